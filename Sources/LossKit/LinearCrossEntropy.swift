import Dispatch
import RealModule
// Family I of LOSSES.md: large vocabularies.

/// Cross-entropy of a linear layer's output, `crossEntropy(input · weightᵀ + bias, target)`,
/// computed without ever holding the `[N, V]` logits.
///
/// ```
/// zᵢ = input[i] · weightᵀ + bias                    (the logits of row i, length V)
/// lseᵢ = log Σ_c exp(zᵢc)
/// ℓᵢ = (1 − ε)(lseᵢ − zᵢ,yᵢ) + ε(lseᵢ − (1/V) Σ_c zᵢc)   (0 where yᵢ = ignoreIndex)
/// loss = Σ ℓᵢ / #{i : yᵢ ≠ ignoreIndex} (mean, default) | Σ ℓᵢ (sum) | ℓ (none, shape [N])
/// ```
/// Shapes: `input` (hidden states) `[N, D]`, `weight` (classifier) `[V, D]`, `target` `[N]`
/// class indices in `0..<V`, `bias` `[V]`, `classWeight` `[V]`; an unbatched `[D]` input takes a
/// 0-d target and gives a 0-d loss. With class weights w, ℓᵢ = (1 − ε)·w_y·(lseᵢ − zᵢ,y) +
/// (ε/V)·Σ_c w_c·(lseᵢ − zᵢc) and `mean` divides by Σ w_y over the counted targets (as
/// `F.cross_entropy(weight=)`).
///
/// Gradient, with gᵢc = s·(softmax(zᵢ)c − (1 − ε)·[c = yᵢ] − ε/V) (gᵢ = 0 for ignored rows; s = 1
/// for sum and none, 1 / #non-ignored for mean):
/// ```
/// ∂loss/∂input = g · weight        [N, D]
/// ∂loss/∂weight = gᵀ · input       [V, D]
/// ∂loss/∂bias = Σᵢ gᵢ              [V]
/// ```
///
/// The vocabulary is processed in chunks of `chunkSize` columns and the batch in blocks of up to
/// 512 rows, so the logits never exist beyond one `rows × chunkSize` tile (Cut Cross-Entropy,
/// Wijmans et al. 2024; Liger Kernel's fused linear cross-entropy). A first pass over the chunks
/// merges each row's running maximum and sum of exponentials once per 256 columns (online
/// log-sum-exp) and picks up the target logit and, with smoothing, the sum of the logits; a
/// second pass recomputes each tile, turns it into the gradient tile g in place, and accumulates
/// `g · weight`, `gᵀ · input` and the column sums of g. The extra memory is the tile plus packed
/// copies of the current rows of `input` and of g, O(rows × (chunkSize + D)) scalars: about
/// 10 MB for N = 512, D = 1024, V = 32000 in Float, against 131 MB for the logits and their
/// gradient. The price is computing the logits twice (four matrix products instead of three).
/// Results are bitwise identical for any ``Parallelism/maximumThreads`` and depend on `chunkSize`
/// only through rounding.
///
/// - Parameters:
///   - input: hidden states `[N, D]`.
///   - weight: the classifier's weight `[V, D]` (V ≥ 1).
///   - target: class indices `[N]` in `0..<V`, or `ignoreIndex`.
///   - bias: optional classifier bias `[V]`.
///   - classWeight: optional per-class weights `[V]` (PyTorch's `weight` of
///     `F.linear_cross_entropy`; the CLI's `class-weight` input).
///   - ignoreIndex: targets equal to this contribute neither loss nor gradient and are not
///     counted by `mean` (default −100; `nil` ignores no target).
///   - labelSmoothing: ε ∈ [0, 1]: the target distribution is (1 − ε)·one-hot + ε/V.
///   - reduction: `.mean` (default), `.sum` or `.none` (per row, shape `[N]`).
///   - chunkSize: the vocabulary chunk (columns per logits tile); `nil` picks one so a tile is
///     about 2 MB. It changes speed and memory only.
///   - wrt: the gradients to compute, among `.input`, `.weight`, `.bias` (default all; `.bias`
///     only when `bias` is given). Without any, only the first pass runs.
/// - Returns: the loss (0-d, or `[N]` for `.none`) and the requested gradients.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` if `input` is not rank 1 or 2,
///   `weight` not rank 2, or V = 0; ``LossError/shapeMismatch(argument:expected:actual:)`` if `weight` is not
///   `[V, D]`, `target` not `[N]` (0-d for a `[D]` input), or `bias` or `classWeight` not `[V]`; ``LossError/labelOutOfRange(argument:label:classCount:index:)``
///   for a target outside `0..<V` that is not `ignoreIndex`;
///   ``LossError/invalidOption(name:value:expected:)`` for ε outside [0, 1], `chunkSize` < 1 or
///   `batchmean`.
///
/// Edge cases: an empty batch gives NaN with `mean` (0/0, like PyTorch) and 0 with `sum`, with
/// zero gradients; a batch whose targets are all ignored gives NaN with `mean` (as the reference)
/// and zero gradients. A bias of −inf masks a class (its probability and gradients are 0); with
/// ε > 0 such a class makes the smoothing term, and the loss, +inf, as in the reference. NaN in
/// the inputs propagates to the loss and gradients.
///
/// Matches `torch.nn.functional.cross_entropy(F.linear(input, weight, bias), target,
/// ignore_index=, label_smoothing=, reduction=)` in value and in the gradients of input, weight
/// and bias.
///
/// ```swift
/// let x = try Tensor(shape: [2, 2], scalars: [1, 0, 0, 1] as [Float])
/// let w = try Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1] as [Float])
/// let r = try linearCrossEntropy(input: x, weight: w, target: Tensor([0, 2] as [Int32]))
/// r.scalar                    // 0.86199474   (the logits are [1, 0, 1] and [0, 1, 1])
/// r.gradients[.input]         // [[-0.077681184, 0.28884062], [-0.21115938, -0.077681184]]
/// ```
@inlinable
public func linearCrossEntropy<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, weight: Tensor<T>, target: Tensor<L>, bias: Tensor<T>? = nil, classWeight: Tensor<T>? = nil,
    ignoreIndex: Int? = -100, labelSmoothing: T = 0, reduction: Reduction = .mean,
    chunkSize: Int? = nil, wrt: Set<LossArgument> = [.input, .weight, .bias]
) throws(LossError) -> LossResult<T> {
    let (n, v, unbatched) = try checkLinearCrossEntropy(
        input: input, weight: weight, bias: bias, classWeight: classWeight, labelSmoothing: labelSmoothing,
        reduction: reduction, chunkSize: chunkSize)
    try checkShape("target", target.shape, equals: unbatched ? [] : [n])
    try checkLabels("target", target, classCount: v, ignoreIndex: ignoreIndex)
    let ignoreIndex = comparableIgnoreIndex(ignoreIndex)
    // Class index per row, −1 for an ignored target (the ignore index wins, as in PyTorch, even
    // when it is a valid class); `mean` divides by the counted targets' class weights.
    var counted: T = 0
    let labels: [Int] = target.withUnsafeBufferPointer { t in
        t.map { l in
            if l == ignoreIndex { return -1 }
            counted += classWeight?.scalars[Int(l)] ?? 1
            return Int(l)
        }
    }
    return runLinearCrossEntropy(
        input: input, weight: weight, bias: bias, labels: labels, classWeight: classWeight, probabilities: nil,
        denominator: counted, unbatched: unbatched, labelSmoothing: labelSmoothing, reduction: reduction,
        chunkSize: chunkSize, wrt: wrt)
}

/// Cross-entropy of a linear layer's output against probability targets (soft labels),
/// `crossEntropy(input · weightᵀ + bias, target)` with `target` `[N, V]`, computed without the
/// `[N, V]` logits.
///
/// ```
/// t'ᵢc = (1 − ε)·targetᵢc + ε/V,   ℓᵢ = Σ_c w_c·t'ᵢc·(lseᵢ − zᵢc)
/// loss = Σ ℓᵢ / N (mean) | Σ ℓᵢ (sum) | ℓ (none, shape [N])
/// ```
/// Gradient, with s = 1/N for mean (1 otherwise) and Qᵢ = Σ_c w_c·t'ᵢc:
/// ```
/// gᵢc = s·(Qᵢ·softmax(zᵢ)c − w_c·t'ᵢc)   (then as for class indices: g·weight, gᵀ·input, Σᵢ gᵢ)
/// ∂loss/∂target = s·(1 − ε)·w·(lse − z)
/// ```
///
/// - Parameters: as ``linearCrossEntropy(input:weight:target:bias:classWeight:ignoreIndex:labelSmoothing:reduction:chunkSize:wrt:)``,
///   with `target` probabilities `[N, V]` (`[V]` for an unbatched `[D]` input) and `ignoreIndex`
///   accepted only as a negative value (PyTorch has no ignored class for probability targets).
///   `wrt` may also contain `.target` (default all four).
/// - Throws: as the class-index form; ``LossError/invalidOption(name:value:expected:)`` for a
///   non-negative `ignoreIndex`.
///
/// Matches `torch.nn.functional.linear_cross_entropy(input, weight, target, linear_bias=,
/// weight=classWeight, label_smoothing=, reduction=)` with a floating-point target.
///
/// ```swift
/// let x = try Tensor(shape: [1, 2], scalars: [1, 0] as [Double])
/// let w = try Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1] as [Double])
/// let t = try Tensor(shape: [1, 3], scalars: [0.5, 0.5, 0] as [Double])
/// let r = try linearCrossEntropy(input: x, weight: w, target: t)
/// r.scalar   // 1.3619948040582512   (the logits are [1, 0, 1])
/// ```
@inlinable
public func linearCrossEntropy<T: LossScalar>(
    input: Tensor<T>, weight: Tensor<T>, target: Tensor<T>, bias: Tensor<T>? = nil, classWeight: Tensor<T>? = nil,
    ignoreIndex: Int? = -100, labelSmoothing: T = 0, reduction: Reduction = .mean,
    chunkSize: Int? = nil, wrt: Set<LossArgument> = [.input, .weight, .bias, .target]
) throws(LossError) -> LossResult<T> {
    let (n, v, unbatched) = try checkLinearCrossEntropy(
        input: input, weight: weight, bias: bias, classWeight: classWeight, labelSmoothing: labelSmoothing,
        reduction: reduction, chunkSize: chunkSize)
    try checkShape("target", target.shape, equals: unbatched ? [v] : [n, v])
    if let ignoreIndex, ignoreIndex >= 0 {
        throw LossError.invalidOption(
            name: "ignore-index", value: String(ignoreIndex),
            expected: "a negative value (the default -100): probability targets have no ignored class")
    }
    return runLinearCrossEntropy(
        input: input, weight: weight, bias: bias, labels: [Int](repeating: -2, count: n), classWeight: classWeight,
        probabilities: target, denominator: T(n), unbatched: unbatched, labelSmoothing: labelSmoothing,
        reduction: reduction, chunkSize: chunkSize, wrt: wrt)
}

/// The checks shared by both target forms; returns N, V and whether the input is one unbatched
/// `[D]` row.
@inlinable
func checkLinearCrossEntropy<T: LossScalar>(
    input: Tensor<T>, weight: Tensor<T>, bias: Tensor<T>?, classWeight: Tensor<T>?, labelSmoothing: T,
    reduction: Reduction, chunkSize: Int?
) throws(LossError) -> (n: Int, v: Int, unbatched: Bool) {
    try reduction.validate()
    try checkRank("input", input.shape, in: 1...2)
    try checkRank("weight", weight.shape, in: 2...2)
    let unbatched = input.rank == 1
    let n = unbatched ? 1 : input.shape[0], d = input.shape[input.rank - 1], v = weight.shape[0]
    try checkShape("weight", weight.shape, equals: [v, d])
    guard v > 0 else {
        throw LossError.invalidShape(argument: "weight", shape: weight.shape, reason: "the vocabulary (dimension 0) is empty")
    }
    if let bias { try checkShape("bias", bias.shape, equals: [v]) }
    if let classWeight { try checkShape("class-weight", classWeight.shape, equals: [v]) }
    try checkOption("label-smoothing", labelSmoothing, expected: "a number in [0, 1]") { $0 >= 0 && $0 <= 1 }
    if let chunkSize { try checkOption("chunk-size", chunkSize, expected: "a positive integer") { $0 > 0 } }
    return (n, v, unbatched)
}

/// Runs the fused kernel on checked arguments: `labels` holds a class per row (−1 ignored, −2 for
/// probability targets), `denominator` what `mean` divides by.
@inlinable
func runLinearCrossEntropy<T: LossScalar>(
    input: Tensor<T>, weight: Tensor<T>, bias: Tensor<T>?, labels: [Int], classWeight: Tensor<T>?,
    probabilities: Tensor<T>?, denominator: T, unbatched: Bool, labelSmoothing: T, reduction: Reduction,
    chunkSize: Int?, wrt: Set<LossArgument>
) -> LossResult<T> {
    let n = labels.count, d = input.shape[input.rank - 1], v = weight.shape[0]
    let plan = ReductionPlan<T>(reduction, denominator: denominator)
    let geometry = LinearCrossEntropyGeometry(rows: n, columns: v, scalarSize: MemoryLayout<T>.stride, chunk: chunkSize)
    let wantInput = wrt.contains(.input), wantWeight = wrt.contains(.weight)
    let wantBias = wrt.contains(.bias) && bias != nil, wantTarget = wrt.contains(.target) && probabilities != nil

    // The requested gradients, uninitialized: the kernel writes every element of each.
    func output(_ wanted: Bool, _ count: Int) -> TensorBuffer<T>? { wanted ? TensorBuffer(uninitializedCount: count) : nil }
    let gradInput = output(wantInput, n * d), gradWeight = output(wantWeight, v * d), gradBias = output(wantBias, v)
    let gradTarget = output(wantTarget, n * v)
    func pointer(_ t: Tensor<T>?, _ body: (UnsafePointer<T>?) -> Void) {
        if let t { t.withUnsafeBufferPointer { body(base($0)) } } else { body(nil) }
    }
    var losses: [T] = []
    input.withUnsafeBufferPointer { xb in
    weight.withUnsafeBufferPointer { wb in
    labels.withUnsafeBufferPointer { yb in
    pointer(bias) { bp in
    pointer(classWeight) { cwp in
    pointer(probabilities) { pp in
        losses = fusedLinearCrossEntropy(
            x: base(xb), w: base(wb), bias: bp, labels: base(yb), classWeight: cwp, probabilities: pp,
            n: n, d: d, v: v, smoothing: labelSmoothing, gradientScale: plan.gradientScale,
            geometry: geometry, gradInput: gradInput?.base, gradWeight: gradWeight?.base,
            gradBias: gradBias?.base, gradTarget: gradTarget?.base)
    }}}}}}

    var total: T = 0
    for l in losses { total += l }
    let rows: [Int] = unbatched ? [] : [n]
    var result = LossResult<T>(
        value: reduction == .none ? Tensor(uncheckedShape: rows, scalars: losses) : Tensor(plan.value(fromSum: total)))
    if let g = gradInput { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
    if let g = gradWeight { result.gradients[.weight] = Tensor(uncheckedShape: [v, d], scalars: g) }
    if let g = gradBias { result.gradients[.bias] = Tensor(uncheckedShape: [v], scalars: g) }
    if let g = gradTarget { result.gradients[.target] = Tensor(uncheckedShape: rows + [v], scalars: g) }
    return result
}

/// The tiling of the fused kernel: rows per block, vocabulary columns per chunk, and the
/// columns of one unit of work inside a chunk (one `kc`-slice of the matrix multiply, so a unit
/// packs whole slices of the gradient tile for ∂input = g·weight).
@usableFromInline
struct LinearCrossEntropyGeometry {
    @usableFromInline let rowBlock: Int
    @usableFromInline let chunk: Int
    @usableFromInline var unit: Int { MatrixMultiplyBlocking.kc }

    /// The bytes of one logits tile when the chunk is chosen automatically.
    @usableFromInline static let tileBytes = 1 << 21

    @inlinable
    init(rows: Int, columns: Int, scalarSize: Int, chunk: Int?) {
        rowBlock = max(1, min(rows, 512))
        if let chunk {
            self.chunk = min(chunk, columns)
        } else {
            // Whole units, at least two so that two threads share a chunk.
            let kc = MatrixMultiplyBlocking.kc
            let fit = LinearCrossEntropyGeometry.tileBytes / (rowBlock * scalarSize)
            self.chunk = min(columns, max(2 * kc, fit / kc * kc))
        }
    }
}

/// The two-pass chunked kernel. Returns the per-row losses (0 for ignored rows) and writes every
/// element of each non-nil gradient (already multiplied by `gradientScale`).
///
/// Work is split so that a chunk costs one parallel region in the first pass and two in the
/// second: threads take units (column slices) of the chunk for the logits, the row statistics,
/// the gradient tile, the weight and bias gradients and the packing of the gradient tile, then
/// columns of the input gradient. The current block of input rows is packed once for all the
/// products that read it. Every element is computed the same way whatever the thread count; the
/// per-unit row statistics are merged in unit order.
@inlinable
func fusedLinearCrossEntropy<T: LossScalar>(
    x: UnsafePointer<T>, w: UnsafePointer<T>, bias: UnsafePointer<T>?, labels: UnsafePointer<Int>,
    classWeight: UnsafePointer<T>? = nil, probabilities: UnsafePointer<T>? = nil,
    n: Int, d: Int, v: Int, smoothing eps: T, gradientScale scale: T,
    geometry: LinearCrossEntropyGeometry,
    gradInput: UnsafeMutablePointer<T>?, gradWeight: UnsafeMutablePointer<T>?, gradBias: UnsafeMutablePointer<T>?,
    gradTarget: UnsafeMutablePointer<T>? = nil
) -> [T] {
    typealias B = MatrixMultiplyBlocking
    if n == 0 {
        gradWeight?.update(repeating: 0, count: v * d)
        gradBias?.update(repeating: 0, count: v)
        return []
    }
    let rowBlock = geometry.rowBlock, chunk = geometry.chunk, unit = geometry.unit
    let maxUnits = (chunk + unit - 1) / unit
    // Tile rows are padded so that their stride is not a multiple of 4 KiB (walking down a
    // column of the tile, as the weight gradient's packing does, would otherwise hit one cache set).
    let ld = (chunk + 15) / 16 * 16 + 16
    let threads = Parallelism.threadCount
    let tile = MatrixMultiplyWorkspace<T>.allocate(rowBlock * ld)
    // The rows of `input` packed for z = x·wᵀ (as A) and for ∂w = gᵀ·x (as B), and the gradient
    // tile packed for ∂x = g·w (as A).
    let xA = MatrixMultiplyWorkspace<T>.allocate(B.packedCountA(rows: rowBlock, depth: d))
    let xB = gradWeight == nil ? nil : MatrixMultiplyWorkspace<T>.allocate(B.packedCountB(depth: rowBlock, columns: d, T.self))
    let gA = gradInput == nil ? nil : MatrixMultiplyWorkspace<T>.allocate(B.packedCountA(rows: rowBlock, depth: chunk))
    let workspaces = (0..<threads).map { _ in MatrixMultiplyWorkspace<T>(threads: 1) }
    defer {
        tile.deallocate(); xA.deallocate(); xB?.deallocate(); gA?.deallocate()
    }
    let weight = MatrixOperand.rowMajor(w, columns: d)

    /// Rows r0 ..< r0 + nb of `input` packed as A (and as B when `asB`), packing only what is
    /// not packed already (slices over threads).
    var packedRowsA = -1, packedRowsB = -1
    func packRows(_ r0: Int, _ nb: Int, asB: Bool) -> (a: MatrixOperand<T>, b: MatrixOperand<T>?) {
        let rows = MatrixOperand.rowMajor(x + r0 * d, columns: d)
        let a = MatrixOperand(UnsafePointer(xA), rowStride: 0, columnStride: 0,
                              packed: PackedLayout(panel: B.mr, paddedExtent: (nb + B.mr - 1) / B.mr * B.mr))
        let b = asB ? packedOperandB(columns: d, into: xB!) : nil
        let aSlices = packedRowsA == r0 ? 0 : (d + B.kc - 1) / B.kc
        let bSlices = !asB || packedRowsB == r0 ? 0 : (nb + B.kc - 1) / B.kc
        forEachRange(aSlices + bSlices, workPerItem: nb * B.kc, limit: threads) { _, range in
            for s in range {
                if s < aSlices {
                    let pc = s * B.kc
                    packA(rows, rows: 0, nb, columns: pc, min(B.kc, d - pc), into: xA + pc * a.packed!.paddedExtent, mr: B.mr)
                } else {
                    packSliceB(rows, slice: (s - aSlices) * B.kc, depth: nb, columns: d, into: b!)
                }
            }
        }
        packedRowsA = r0
        if asB { packedRowsB = r0 }
        return (a, b)
    }

    /// tile[0 ..< nb, j0 ..< j0 + cols] = x · w[c0 + j0 ..< c0 + j0 + cols]ᵀ (the bias is added by
    /// the row passes), on the calling thread.
    func logits(_ xa: MatrixOperand<T>, _ nb: Int, columns c: Int, _ j0: Int, _ cols: Int, _ ws: MatrixMultiplyWorkspace<T>) {
        matrixMultiply(
            m: nb, n: cols, k: d, xa, weight.droppingRows(c + j0).transposed,
            into: tile + j0, ldc: ld, accumulate: false, workspace: ws, parallel: false)
    }

    // Pass 1: per row, the running maximum m and sum of exponentials s, and the target terms kept
    // relative to the running maximum: with the target distribution's coefficients c_j (one-hot
    // times (1 − ε)·w_y plus ε/V·w_j for class indices; w_j·((1 − ε)·t_j + ε/V) for probabilities),
    // ℓ = Σ_j c_j (lse − z_j) = R + A·log s with A = Σ_j c_j and R = Σ_j c_j (m − z_j). Each unit
    // shifts by max(running maximum, its own maximum), which after the first chunks is almost
    // always the running maximum, so the merge (in unit order) rarely needs an exponential; R
    // moves with the maximum as R += A·(m' − m). Keeping R relative to m is what keeps 1 − p_y
    // in float32 on a peaked head (|z| in the hundreds).
    let vT = T(v)
    let onScale = 1 - eps, offScale = eps / vT
    let dense = probabilities != nil || eps > 0
    var runningMax = [T](repeating: -.infinity, count: n)
    var runningSum = [T](repeating: 0, count: n)
    var relative = [T](repeating: 0, count: n)
    var mass = [T](repeating: 0, count: n)
    var unitMax = [T](repeating: 0, count: maxUnits * rowBlock)
    var unitSum = [T](repeating: 0, count: maxUnits * rowBlock)
    var unitRelative = [T](repeating: 0, count: maxUnits * rowBlock)
    var unitMass = [T](repeating: 0, count: maxUnits * rowBlock)
    runningMax.withUnsafeMutableBufferPointer { mb in
    runningSum.withUnsafeMutableBufferPointer { sb in
    relative.withUnsafeMutableBufferPointer { rb in
    mass.withUnsafeMutableBufferPointer { ab in
    unitMax.withUnsafeMutableBufferPointer { umb in
    unitSum.withUnsafeMutableBufferPointer { usb in
    unitRelative.withUnsafeMutableBufferPointer { urb in
    unitMass.withUnsafeMutableBufferPointer { uab in
        let m = mb.baseAddress!, s = sb.baseAddress!, rel = rb.baseAddress!, a = ab.baseAddress!
        let um = umb.baseAddress!, us = usb.baseAddress!, ur = urb.baseAddress!, ua = uab.baseAddress!
        var r0 = 0
        while r0 < n {
            let nb = min(rowBlock, n - r0)
            let xa = packRows(r0, nb, asB: false).a
            var c0 = 0
            while c0 < v {
                let vc = min(chunk, v - c0)
                let units = (vc + unit - 1) / unit
                forEachRange(units, workPerItem: nb * unit * d, limit: threads) { thread, range in
                    for u in range {
                        let j0 = u * unit, cols = min(unit, vc - j0)
                        logits(xa, nb, columns: c0, j0, cols, workspaces[thread])
                        for i in 0..<nb {
                            let row = tile + i * ld + j0, r = r0 + i
                            let cm = addBiasAndMaximum(row, bias.map { $0 + c0 + j0 }, cols)
                            // NaN logits are not in the maximum; they reach the sum (and the
                            // loss) through exp. A shift of −inf (all −inf so far) becomes 0 so
                            // that no exp(−inf − (−inf)) is formed.
                            let shift = Swift.max(m[r], cm)
                            um[u * nb + i] = shift
                            us[u * nb + i] = sumExpAndSum(row, cols, shift: shift == -.infinity ? 0 : shift, withSum: false).0
                            var ru: T = 0, au: T = 0
                            let y = labels[r]
                            if y != -1 {
                                if dense {
                                    (ru, au) = shiftedCoefficientSum(
                                        row, cols, shift: shift, weights: classWeight.map { $0 + c0 + j0 },
                                        probabilities: probabilities.map { $0 + r * v + c0 + j0 }, onScale: onScale, offScale: offScale)
                                }
                                let yu = y - c0 - j0
                                if y >= 0 && yu >= 0 && yu < cols {
                                    let c = onScale * (classWeight?[y] ?? 1)
                                    ru += c * (shift - row[yu])
                                    au += c
                                }
                            }
                            ur[u * nb + i] = ru
                            ua[u * nb + i] = au
                        }
                    }
                }
                for i in 0..<nb {
                    let r = r0 + i
                    var mr = m[r], sr = s[r], rr = rel[r], ar = a[r]
                    for u in 0..<units {
                        let mu = um[u * nb + i], su = us[u * nb + i], au = ua[u * nb + i]
                        if mu > mr {
                            sr *= T.exp(mr - mu)
                            if ar != 0 { rr += ar * (mu - mr) }
                            mr = mu
                        }
                        sr += mu == mr ? su : su * T.exp(mu - mr)
                        rr += ur[u * nb + i]
                        if mu != mr && au != 0 { rr += au * (mr - mu) }
                        ar += au
                    }
                    m[r] = mr; s[r] = sr; rel[r] = rr; a[r] = ar
                }
                c0 += vc
            }
            r0 += nb
        }
    }}}}}}}}

    // Per-row loss ℓ = R + A·log s; `logSum` is log s for a finite maximum and 0 otherwise (then
    // the loss is R, ±inf or NaN).
    var logSum = [T](repeating: 0, count: n)
    var losses = [T](repeating: 0, count: n)
    for r in 0..<n {
        let mr = runningMax[r]
        logSum[r] = mr.isFinite ? T.log(runningSum[r]) : 0
        guard labels[r] != -1 else { continue }
        losses[r] = relative[r] + mass[r] * logSum[r]
    }
    guard gradInput != nil || gradWeight != nil || gradBias != nil || gradTarget != nil else { return losses }

    // Pass 2: recompute each tile unit by unit, turn it into the gradient tile in place, and
    // accumulate the products. The products read the tile through strides (no transposed copy).
    // g_j = scale·(A·p_j − c_j): the constant part of c (ε/V without class weights) is the
    // softmax row's offset, the rest is subtracted after it.
    let constantOffset = probabilities == nil && classWeight == nil
    let offTarget = constantOffset ? offScale * scale : 0
    runningMax.withUnsafeBufferPointer { mb in
    logSum.withUnsafeBufferPointer { lb in
    mass.withUnsafeBufferPointer { ab in
        let rowMax = mb.baseAddress!, logSum = lb.baseAddress!, mass = ab.baseAddress!
        var c0 = 0
        while c0 < v {
            let vc = min(chunk, v - c0)
            let units = (vc + unit - 1) / unit
            let chunkWeight = weight.droppingRows(c0)
            var r0 = 0
            while r0 < n {
                let nb = min(rowBlock, n - r0)
                let (xa, xb) = packRows(r0, nb, asB: gradWeight != nil)
                let paddedRows = (nb + B.mr - 1) / B.mr * B.mr
                let ga = gA.map {
                    MatrixOperand(UnsafePointer($0), rowStride: 0, columnStride: 0, packed: PackedLayout(panel: B.mr, paddedExtent: paddedRows))
                }
                let firstRows = r0 == 0
                forEachRange(units, workPerItem: nb * unit * d, limit: threads) { thread, range in
                    let ws = workspaces[thread]
                    for u in range {
                        let j0 = u * unit, cols = min(unit, vc - j0)
                        logits(xa, nb, columns: c0, j0, cols, ws)
                        for i in 0..<nb {
                            let r = r0 + i, row = tile + i * ld + j0, y = labels[r]
                            if y == -1 {
                                row.update(repeating: 0, count: cols)
                                continue
                            }
                            let columnBias = bias.map { $0 + c0 + j0 }, columnWeight = classWeight.map { $0 + c0 + j0 }
                            let targetRow = probabilities.map { $0 + r * v + c0 + j0 }
                            if let dt = gradTarget {
                                // ∂ℓ/∂t_j = (1 − ε)·w_j·(lse − z_j) = (1 − ε)·w_j·((m − z_j) + log s)
                                let out = dt + r * v + c0 + j0, m = rowMax[r], l = logSum[r], c = onScale * scale
                                for j in 0..<cols {
                                    let z = row[j] + (columnBias?[j] ?? 0)
                                    out[j] = c * (columnWeight?[j] ?? 1) * ((m - z) + l)
                                }
                            }
                            softmaxGradientRow(
                                row, columnBias, cols, shift: rowMax[r], logSum: logSum[r],
                                scale: scale * mass[r], offset: offTarget)
                            if !constantOffset {
                                subtractCoefficients(
                                    row, cols, weights: columnWeight, probabilities: targetRow,
                                    onScale: onScale * scale, offScale: offScale * scale)
                            }
                            let yu = y - c0 - j0
                            if y >= 0 && yu >= 0 && yu < cols { row[yu] -= onScale * scale * (classWeight?[y] ?? 1) }
                        }
                        let g = UnsafePointer(tile + j0)
                        if let dw = gradWeight {
                            // ∂weight[c0 + j0 ..< c0 + j0 + cols] (+)= gᵀ · x[r0 ..< r0 + nb]
                            matrixMultiply(
                                m: cols, n: d, k: nb, MatrixOperand.rowMajor(g, columns: ld).transposed, xb!,
                                into: dw + (c0 + j0) * d, ldc: d, accumulate: !firstRows, workspace: ws, parallel: false)
                        }
                        if let db = gradBias {
                            let out = db + c0 + j0
                            if firstRows { out.update(repeating: 0, count: cols) }
                            for i in 0..<nb { addRow(g + i * ld, to: out, cols) }
                        }
                        if let gA {
                            // The gradient tile as A of ∂x = g·w: this unit's columns are one kc-slice.
                            packA(.rowMajor(g, columns: ld), rows: 0, nb, columns: 0, cols, into: gA + j0 * paddedRows, mr: B.mr)
                        }
                    }
                }
                if let dx = gradInput, let ga {
                    // ∂input[r0 ..< r0 + nb] (+)= g · w[c0 ..< c0 + vc], threads taking columns.
                    let nr = B.nr(T.self), panels = (d + nr - 1) / nr
                    forEachRange(panels, workPerItem: nr * vc * nb, limit: threads) { thread, range in
                        let j0 = range.lowerBound * nr, j1 = min(d, range.upperBound * nr)
                        matrixMultiply(
                            m: nb, n: j1 - j0, k: vc, ga, chunkWeight.droppingColumns(j0),
                            into: dx + r0 * d + j0, ldc: d, accumulate: c0 > 0, workspace: workspaces[thread], parallel: false)
                    }
                }
                r0 += nb
            }
            c0 += vc
        }
    }}}
    return losses
}

/// (Σ_j c_j·(shift − row[j]), Σ_j c_j) over a row of logits, with the dense target coefficients
/// c_j = w_j·(onScale·t_j + offScale) (w_j = 1 without `weights`; t_j = 0 without
/// `probabilities`). A zero coefficient contributes 0 even on a −inf logit.
@inlinable
func shiftedCoefficientSum<T: LossScalar>(
    _ row: UnsafePointer<T>, _ n: Int, shift: T, weights: UnsafePointer<T>?, probabilities: UnsafePointer<T>?,
    onScale: T, offScale: T
) -> (T, T) {
    var r = SIMD8<T>.zero, a = SIMD8<T>.zero
    let m = SIMD8<T>(repeating: shift), on = SIMD8<T>(repeating: onScale), off = SIMD8<T>(repeating: offScale)
    var j = 0
    while j < n {
        let k = min(8, n - j)
        var c = off
        if let probabilities { c = on * loadPartial(probabilities + j, k, pad: 0) + off }
        if let weights { c = c * loadPartial(weights + j, k, pad: 0) }
        if k < 8 { c = SIMD8<T>.zero.replacing(with: c, where: firstLanes(k, of: T.self)) }
        let term = c * (m - loadPartial(row + j, k, pad: shift))
        r += term.replacing(with: 0, where: c .== 0)
        a += c
        j += 8
    }
    return (r.laneSum(), a.laneSum())
}

/// row[j] −= w_j·(onScale·t_j + offScale): the dense target coefficients of
/// ``shiftedCoefficientSum(_:_:shift:weights:probabilities:onScale:offScale:)``, already scaled.
@inlinable
func subtractCoefficients<T: LossScalar>(
    _ row: UnsafeMutablePointer<T>, _ n: Int, weights: UnsafePointer<T>?, probabilities: UnsafePointer<T>?,
    onScale: T, offScale: T
) {
    for j in 0..<n {
        var c = offScale
        if let probabilities { c = onScale * probabilities[j] + offScale }
        if let weights { c *= weights[j] }
        row[j] -= c
    }
}

/// Adds `bias` (if any) to a row of logits in place and returns the row's maximum, −inf for an
/// empty row. NaN elements are left out of the maximum.
@inlinable
func addBiasAndMaximum<T: LossScalar>(_ row: UnsafeMutablePointer<T>, _ bias: UnsafePointer<T>?, _ n: Int) -> T {
    var m0 = SIMD8<T>(repeating: -.infinity), m1 = m0
    var j = 0
    if let bias {
        while j + 16 <= n {
            let a = load8(row + j) + load8(bias + j), b = load8(row + j + 8) + load8(bias + j + 8)
            store8(a, row + j)
            store8(b, row + j + 8)
            m0 = m0.lanesMax(a)
            m1 = m1.lanesMax(b)
            j += 16
        }
    } else {
        while j + 16 <= n {
            m0 = m0.lanesMax(load8(row + j))
            m1 = m1.lanesMax(load8(row + j + 8))
            j += 16
        }
    }
    let m = m0.lanesMax(m1)
    var r = m[0]
    for i in 1..<8 where r < m[i] { r = m[i] }
    while j < n {
        if let bias { row[j] += bias[j] }
        if r < row[j] { r = row[j] }
        j += 1
    }
    return r
}

/// (Σ exp(row[j] − shift), Σ row[j]) over a contiguous row; the plain sum only when `withSum`.
@inlinable
func sumExpAndSum<T: LossScalar>(_ row: UnsafePointer<T>, _ n: Int, shift: T, withSum: Bool) -> (T, T) {
    var e0 = SIMD8<T>.zero, e1 = e0, s0 = e0, s1 = e0
    let c = SIMD8<T>(repeating: shift)
    var j = 0
    while j + 16 <= n {
        let a = load8(row + j), b = load8(row + j + 8)
        e0 += T.vexp(a - c)
        e1 += T.vexp(b - c)
        if withSum { s0 += a; s1 += b }
        j += 16
    }
    if j + 8 <= n {
        let a = load8(row + j)
        e0 += T.vexp(a - c)
        if withSum { s0 += a }
        j += 8
    }
    if j < n {
        e1 += T.vexp(loadPartial(row + j, n - j, pad: -.infinity) - c)
        if withSum { s1 += loadPartial(row + j, n - j, pad: 0) }
    }
    return ((e0 + e1).laneSum(), withSum ? (s0 + s1).laneSum() : 0)
}

/// dst[j] += src[j] for j < n.
@inlinable
func addRow<T: LossScalar>(_ src: UnsafePointer<T>, to dst: UnsafeMutablePointer<T>, _ n: Int) {
    var j = 0
    while j + 8 <= n {
        store8(load8(dst + j) + load8(src + j), dst + j)
        j += 8
    }
    while j < n { dst[j] += src[j]; j += 1 }
}

