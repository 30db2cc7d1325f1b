import RealModule
// Family E of LOSSES.md, distance-based metric-learning losses: triplet, contrastive and
// cosine-embedding.
//
// Every loss here reduces a group of rows (anchor/positive/negative, or input1/input2) of length
// D to one value per row. Each row is processed in two passes over contiguous memory: one that
// accumulates every sum the row needs (squared differences, dot products, norms) eight lanes at a
// time, and, when gradients are asked for, one that writes each gradient as a linear combination
// of the row's vectors. Rows are split over threads with `blockedSum` (deterministic).
//
// Subgradients follow PyTorch's autograd: hinges max(0, z) pass no gradient at z = 0, a norm of
// a zero vector passes none (`masked_fill(norm == 0, 0)`), and `torch.minimum` splits the
// gradient in halves at a tie.

/// The distance a triplet loss compares: the p-norm of the difference, or one minus the cosine
/// similarity.
public enum TripletDistance: String, CaseIterable, Sendable {
    /// d(x, y) = ‖x − y + eps‖ₚ, `F.pairwise_distance`.
    case pairwise
    /// d(x, y) = 1 − cos(x, y) with norms clamped below at eps, `1 − F.cosine_similarity`.
    case cosine
}

// MARK: - Triplet

/// The triplet margin loss: the anchor should be closer to the positive than to the negative by
/// at least `margin`.
///
/// ```
/// d(x, y) = ‖x − y + eps‖ₚ                                   (distance = .pairwise)
///         = 1 − Σ xⱼyⱼ / (max(‖x‖₂, eps) · max(‖y‖₂, eps))    (distance = .cosine)
/// d⁻ₙ = d(aₙ, nₙ), or min(d(aₙ, nₙ), d(pₙ, nₙ)) when swap
/// ℓₙ = max(0, margin + d(aₙ, pₙ) − d⁻ₙ)
/// loss = mean over N of ℓ (default) | Σ ℓ | ℓ (none, shape [N]; 0-d for unbatched input)
/// ```
/// Shapes: `anchor`, `positive`, `negative` all `[N, D]`, or all `[D]` for one triplet.
///
/// Gradient, where ℓₙ > 0 (0 elsewhere, including ℓₙ = 0): ∂ℓ/∂d(a, p) = 1 and ∂ℓ/∂d⁻ = −1,
/// shared equally by d(a, n) and d(p, n) when swap meets a tie; with v = x − y + eps,
/// ```
/// ∂‖v‖ₚ/∂x = sign(v)·(|v| / ‖v‖ₚ)^(p−1)      (p = 2: v/‖v‖₂;  p = ∞: sign(v) on the entries of
///                                               largest |v|, shared equally)      ∂/∂y = −∂/∂x
/// ∂cos/∂x = y / (x̂·ŷ) − cos · x / (x̂·‖x‖)   with x̂ = max(‖x‖, eps), ŷ = max(‖y‖, eps)
/// ```
/// A zero difference (or a zero vector for cosine) contributes no gradient, as in PyTorch.
///
/// - Parameters:
///   - anchor: `[N, D]` or `[D]`.
///   - positive: same shape as `anchor`.
///   - negative: same shape as `anchor`.
///   - margin: the required gap, > 0 (default 1).
///   - p: the norm's exponent for `.pairwise`, > 0 (default 2; `.infinity` is the max norm).
///     Ignored by `.cosine`.
///   - eps: ≥ 0 (default 1e-6). For `.pairwise` it is added to every difference (PyTorch's
///     `pairwise_distance`); for `.cosine` it is the floor of each norm (`F.cosine_similarity`'s
///     eps, whose own default is 1e-8).
///   - swap: use min(d(a, n), d(p, n)) as the negative distance (the distance swap of Balntas
///     et al. 2016). Default false.
///   - distance: `.pairwise` (default) or `.cosine`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default `.anchor`, `.positive`, `.negative`).
/// - Returns: the loss and the requested gradients, each shaped like its input.
/// - Throws: ``LossError/invalidOption(name:value:expected:)`` for margin ≤ 0, p ≤ 0 (or NaN),
///   eps < 0, a non-finite option or `batchmean`; ``LossError/invalidShape(argument:shape:reason:)``
///   for an anchor of rank other than 1 or 2; ``LossError/shapeMismatch(argument:expected:actual:)``
///   if `positive` or `negative` is not shaped like `anchor`.
///
/// Edge cases: identical anchor and positive give d = eps·D^(1/p), so the loss and its gradient
/// stay finite. The mean over an empty batch is NaN (as in PyTorch). A distance whose squares
/// overflow or underflow (entries beyond ~1e19 in `Float`, or differences below ~1e-16) is
/// computed with the vector scaled by its largest entry, so it stays finite and exact where
/// PyTorch's overflows to inf or underflows to 0. Inputs must share one shape (PyTorch also
/// broadcasts).
///
/// Matches `torch.nn.functional.triplet_margin_loss` (`.pairwise`) and
/// `torch.nn.functional.triplet_margin_with_distance_loss` with
/// `distance_function = lambda x, y: 1 − F.cosine_similarity(x, y, eps=eps)` (`.cosine`).
///
/// ```swift
/// let a = try Tensor(shape: [1, 2], scalars: [0, 0] as [Double])
/// let p = try Tensor(shape: [1, 2], scalars: [3, 4] as [Double])
/// let n = try Tensor(shape: [1, 2], scalars: [0, 1] as [Double])
/// let r = try tripletMarginLoss(anchor: a, positive: p, negative: n, eps: 0)
/// r.scalar                    // 5.0   (1 + ‖a − p‖ − ‖a − n‖ = 1 + 5 − 1)
/// r.gradients[.anchor]?.scalars  // [-0.6000000000000001, 0.19999999999999996]   ((a − p)/5 − (a − n)/1)
/// ```
@inlinable
public func tripletMarginLoss<T: LossScalar>(
    anchor: Tensor<T>, positive: Tensor<T>, negative: Tensor<T>,
    margin: T = 1, p: T = 2, eps: T = 1e-6, swap: Bool = false, distance: TripletDistance = .pairwise,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.anchor, .positive, .negative]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("margin", margin, expected: "a finite number > 0") { $0 > 0 && $0.isFinite }
    try checkOption("p", p, expected: "> 0 (inf for the max norm)") { $0 > 0 }
    try checkOption("eps", eps, expected: "a finite number >= 0") { $0 >= 0 && $0.isFinite }
    let valueShape = try MetricRows.checkRows("anchor", anchor, others: [("positive", positive), ("negative", negative)])
    let inputs = [(anchor, LossArgument.anchor), (positive, .positive), (negative, .negative)]
    let length = anchor.shape.last ?? 0
    if distance == .cosine {
        return MetricRows.evaluate(inputs, valueShape: valueShape, wrt: wrt, reduction: reduction) { _, row, scale in
            MetricRows.cosineTriplet(row, length: length, margin: margin, eps: eps, swap: swap, scale: scale)
        }
    }
    if p == 2 {
        return MetricRows.evaluate(inputs, valueShape: valueShape, wrt: wrt, reduction: reduction) { _, row, scale in
            MetricRows.euclideanTriplet(row, length: length, margin: margin, eps: eps, swap: swap, scale: scale)
        }
    }
    return MetricRows.evaluate(inputs, valueShape: valueShape, wrt: wrt, reduction: reduction) { _, row, scale in
        MetricRows.normTriplet(row, length: length, p: p, margin: margin, eps: eps, swap: swap, scale: scale)
    }
}

// MARK: - Contrastive

/// The contrastive loss of Hadsell, Chopra & LeCun (2006): similar pairs are pulled together,
/// dissimilar pairs pushed at least `margin` apart.
///
/// ```
/// dₙ = ‖input1ₙ − input2ₙ + 1e-6‖₂                       (F.pairwise_distance)
/// ℓₙ = ½ [yₙ·dₙ² + (1 − yₙ)·max(0, margin − dₙ)²]         y = target ∈ {0, 1}, 1 = similar
/// loss = mean over N of ℓ (default) | Σ ℓ | ℓ (none, shape [N]; 0-d for unbatched input)
/// ```
/// Shapes: `input1`, `input2` `[N, D]` (or `[D]`), `target` `[N]` (or 0-d / `[1]` with `[D]`).
///
/// Gradient, with v = input1 − input2 + 1e-6:
/// ```
/// ∂ℓₙ/∂input1ₙ = [yₙ·dₙ − (1 − yₙ)·max(0, margin − dₙ)] · v / dₙ      ∂ℓₙ/∂input2ₙ = −∂ℓₙ/∂input1ₙ
/// ```
/// (0 where dₙ = 0.) `mean` gives the ½N·Σ form of the background notes.
///
/// - Parameters:
///   - input1: embeddings `[N, D]` or `[D]`.
///   - input2: same shape as `input1`.
///   - target: 1 for a similar pair, 0 for a dissimilar one; one per row.
///   - margin: the distance beyond which dissimilar pairs cost nothing (default 1).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default `.input1`, `.input2`).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a target other
///   than 0 or 1; ``LossError/invalidShape(argument:shape:reason:)`` for an `input1` of rank
///   other than 1 or 2; ``LossError/shapeMismatch(argument:expected:actual:)`` for `input2` or
///   `target`; ``LossError/invalidOption(name:value:expected:)`` for a non-finite margin or
///   `batchmean`.
///
/// Edge cases: identical inputs give d = 1e-6·√D (finite gradient). The mean over an empty
/// batch is NaN.
///
/// Reference: the formula above written in PyTorch with `F.pairwise_distance(input1, input2)`.
///
/// ```swift
/// let x = try Tensor(shape: [2, 2], scalars: [0, 0, 0, 0] as [Double])
/// let y = try Tensor(shape: [2, 2], scalars: [3, 4, 0.3, 0.4] as [Double])
/// let r = try contrastiveLoss(input1: x, input2: y, target: Tensor([1, 0]), reduction: .none)
/// r.value                     // [12.499993000001, 0.12500070000095997]   (≈ ½·5², ½·(1 − 0.5)²)
/// ```
@inlinable
public func contrastiveLoss<T: LossScalar>(
    input1: Tensor<T>, input2: Tensor<T>, target: Tensor<T>, margin: T = 1,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input1, .input2]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("margin", margin, expected: "a finite number") { $0.isFinite }
    let valueShape = try MetricRows.checkRows("input1", input1, others: [("input2", input2)])
    try MetricRows.checkTarget(target, valueShape: valueShape)
    try checkValues("target", target, expected: "0 or 1 (1 = similar pair)") { $0 == 0 || $0 == 1 }
    let length = input1.shape.last ?? 0
    let eps: T = 1e-6
    return target.withUnsafeBufferPointer { tb in
        let y = base(tb)
        return MetricRows.evaluate([(input1, .input1), (input2, .input2)], valueShape: valueShape, wrt: wrt,
                                   reduction: reduction) { i, row, scale in
            let d = MetricRows.euclideanDistance(row.x0, row.x1, length: length, eps: eps)
            let similar = y[i] == 1
            let gap = MetricRows.hinge(margin - d)
            if row.g0 != nil || row.g1 != nil {
                let slope = similar ? d : -gap
                let k = d > 0 ? scale * slope / d : 0
                MetricRows.writeEuclideanGradient(row, length: length, eps: eps, coefficient: k)
            }
            return similar ? d * d / 2 : gap * gap / 2
        }
    }
}

// MARK: - Cosine embedding

/// The cosine embedding loss: similar pairs (target 1) should have cosine 1, dissimilar pairs
/// (target −1) a cosine of at most `margin`.
///
/// ```
/// cosₙ = Σⱼ x₁ⱼx₂ⱼ / √((Σ x₁ⱼ² + 1e-12)·(Σ x₂ⱼ² + 1e-12))
/// ℓₙ = 1 − cosₙ                  if targetₙ = 1
///      max(0, cosₙ − margin)     if targetₙ = −1
/// loss = mean over N of ℓ (default) | Σ ℓ | ℓ (none, shape [N]; 0-d for unbatched input)
/// ```
/// Shapes: `input1`, `input2` `[N, D]` with `target` `[N]`, or `[D]` with a 0-d target.
///
/// Gradient, with mᵢ = Σ xᵢⱼ² + 1e-12:
/// ```
/// ∂cos/∂x₁ = x₂ / √(m₁m₂) − cos · x₁ / m₁        ∂cos/∂x₂ = x₁ / √(m₁m₂) − cos · x₂ / m₂
/// ∂ℓ/∂xᵢ = −∂cos/∂xᵢ (target 1),  ∂cos/∂xᵢ where cos > margin (target −1), else 0
/// ```
/// - Parameters:
///   - input1: `[N, D]` or `[D]`.
///   - input2: same shape as `input1`.
///   - target: ±1 per pair.
///   - margin: the cosine below which dissimilar pairs cost nothing (default 0; −1…1 is useful).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default `.input1`, `.input2`).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a target other
///   than ±1 (PyTorch silently gives such pairs loss 0); ``LossError/invalidShape(argument:shape:reason:)``
///   for rank other than 1 or 2; ``LossError/shapeMismatch(argument:expected:actual:)`` for
///   `input2` or `target`; ``LossError/invalidOption(name:value:expected:)`` for a non-finite
///   margin or `batchmean`.
///
/// Edge cases: a zero vector has cos = 0 (the 1e-12 keeps the division finite), so its loss is
/// 1 for target 1 with gradient −x₂/√(m₁m₂). The product m₁m₂ is taken as √m₁·√m₂ and a row
/// whose sums overflow is recomputed scaled, so entries up to the type's largest finite value
/// give a finite answer. The mean over an empty batch is NaN.
///
/// Matches `torch.nn.functional.cosine_embedding_loss`.
///
/// ```swift
/// let x = try Tensor(shape: [2, 2], scalars: [1, 0, 1, 0] as [Double])
/// let y = try Tensor(shape: [2, 2], scalars: [1, 1, 1, 1] as [Double])
/// let r = try cosineEmbeddingLoss(input1: x, input2: y, target: Tensor([1, -1]), reduction: .none)
/// r.value                     // [0.2928932188139829, 0.7071067811860171]   (1 − 1/√2, 1/√2)
/// ```
@inlinable
public func cosineEmbeddingLoss<T: LossScalar>(
    input1: Tensor<T>, input2: Tensor<T>, target: Tensor<T>, margin: T = 0,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input1, .input2]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("margin", margin, expected: "a finite number") { $0.isFinite }
    let valueShape = try MetricRows.checkRows("input1", input1, others: [("input2", input2)])
    try MetricRows.checkTarget(target, valueShape: valueShape)
    try checkSignLabels("target", target, allowZeroOne: false)
    let length = input1.shape.last ?? 0
    return target.withUnsafeBufferPointer { tb in
        let t = base(tb)
        return MetricRows.evaluate([(input1, .input1), (input2, .input2)], valueShape: valueShape, wrt: wrt,
                                   reduction: reduction) { i, row, scale in
            MetricRows.cosineEmbedding(row, length: length, similar: t[i] == 1, margin: margin, scale: scale)
        }
    }
}

// MARK: - Row driver and kernels

/// One row of each input of a metric loss (unused input slots repeat the first) and where its
/// gradients go (`nil` when not requested).
@usableFromInline
struct MetricRow<T: LossScalar> {
    @usableFromInline let x0: UnsafePointer<T>
    @usableFromInline let x1: UnsafePointer<T>
    @usableFromInline let x2: UnsafePointer<T>
    @usableFromInline let g0: UnsafeMutablePointer<T>?
    @usableFromInline let g1: UnsafeMutablePointer<T>?
    @usableFromInline let g2: UnsafeMutablePointer<T>?

    @inlinable @inline(__always)
    init(
        _ x0: UnsafePointer<T>, _ x1: UnsafePointer<T>, _ x2: UnsafePointer<T>,
        _ g0: UnsafeMutablePointer<T>?, _ g1: UnsafeMutablePointer<T>?, _ g2: UnsafeMutablePointer<T>?
    ) {
        self.x0 = x0; self.x1 = x1; self.x2 = x2; self.g0 = g0; self.g1 = g1; self.g2 = g2
    }

    @inlinable var wantsGradient: Bool { g0 != nil || g1 != nil || g2 != nil }
}

/// The row driver and the per-row kernels of the metric-learning losses.
@usableFromInline
enum MetricRows {
    /// Checks that `first` is `[N, D]` or `[D]` and every other input has its shape; returns the
    /// shape of the `none` output (`[N]`, or `[]` for one row).
    @inlinable
    static func checkRows<T>(_ name: String, _ first: Tensor<T>, others: [(String, Tensor<T>)]) throws(LossError) -> [Int] {
        try checkRank(name, first.shape, in: 1...2)
        for (other, t) in others { try checkShape(other, t.shape, equals: first.shape) }
        return Array(first.shape.dropLast())
    }

    /// Checks a per-row target: `[N]` for `[N, D]` inputs; 0-d (or `[1]`) for one row.
    @inlinable
    static func checkTarget<T>(_ target: Tensor<T>, valueShape: [Int]) throws(LossError) {
        if valueShape.isEmpty {
            guard target.count == 1 && target.rank <= 1 else {
                throw .shapeMismatch(argument: "target", expected: [], actual: target.shape)
            }
        } else {
            try checkShape("target", target.shape, equals: valueShape)
        }
    }

    /// Runs `body(row index, row, gradient scale)` over the rows of up to three same-shaped
    /// `[N, D]` inputs (rows split over threads deterministically) and packages the result: the
    /// reduced value (mean over N) or the `none` tensor of `valueShape`, and the gradients in
    /// `wrt`. `body` returns the row's loss and, for every non-nil gradient pointer, writes all
    /// D elements of that row's gradient already multiplied by `scale`.
    @inlinable
    static func evaluate<T: LossScalar>(
        _ inputs: [(tensor: Tensor<T>, argument: LossArgument)], valueShape: [Int],
        wrt: Set<LossArgument>, reduction: Reduction,
        _ body: (Int, MetricRow<T>, T) -> T
    ) -> LossResult<T> {
        let shape = inputs[0].tensor.shape
        let length = shape.last ?? 0
        let rows = valueShape.reduce(1, *)
        let count = inputs[0].tensor.count
        let plan = ReductionPlan<T>(reduction, count: rows)
        let scale = plan.gradientScale
        // The `none` losses and the requested gradients, uninitialized; every row writes its
        // value and all D elements of each requested gradient exactly once.
        func gradient(_ i: Int) -> TensorBuffer<T>? {
            i < inputs.count && wrt.contains(inputs[i].argument) ? TensorBuffer(uninitializedCount: count) : nil
        }
        let values = reduction == .none ? TensorBuffer<T>(uninitializedCount: rows) : nil
        let grads = [gradient(0), gradient(1), gradient(2)]
        let out = values?.base
        let (g0, g1, g2) = (grads[0]?.base, grads[1]?.base, grads[2]?.base)
        let a = inputs[0].tensor, b = inputs[min(1, inputs.count - 1)].tensor, c = inputs[min(2, inputs.count - 1)].tensor
        let block = rowsPerBlock(rowLength: max(1, length * inputs.count))
        let sum = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeBufferPointer { pc in
                    let (x0, x1, x2) = (base(pa), base(pb), base(pc))
                    return blockedSum(count: rows, blockSize: block) { range in
                        var total: T = 0
                        for i in range {
                            let o = i * length
                            let row = MetricRow(x0 + o, x1 + o, x2 + o, g0.map { $0 + o }, g1.map { $0 + o }, g2.map { $0 + o })
                            let v = body(i, row, scale)
                            out?[i] = v
                            total += v
                        }
                        return total
                    }
                }
            }
        }
        var result = LossResult<T>(
            value: values.map { Tensor(uncheckedShape: valueShape, scalars: $0) } ?? Tensor(plan.value(fromSum: sum)))
        for (i, input) in inputs.enumerated() {
            if let g = grads[i] { result.gradients[input.argument] = Tensor(uncheckedShape: shape, scalars: g) }
        }
        return result
    }

    // MARK: Distances

    /// ‖x − y + eps‖₂ of one row (`F.pairwise_distance` with p = 2).
    @inlinable
    static func euclideanDistance<T: LossScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, length: Int, eps: T) -> T {
        let e = SIMD8<T>(repeating: eps)
        var s0 = SIMD8<T>.zero, s1 = SIMD8<T>.zero
        var j = 0
        while j + 16 <= length {
            let v0 = load8(x + j) - load8(y + j) + e
            let v1 = load8(x + j + 8) - load8(y + j + 8) + e
            s0 += v0 * v0
            s1 += v1 * v1
            j += 16
        }
        while j < length {
            let r = min(8, length - j)
            let v = r == 8 ? load8(x + j) - load8(y + j) + e
                : (loadPartial(x + j, r, pad: 0) - loadPartial(y + j, r, pad: 0) + e).keepingFirstLanes(r)
            s0 += v * v
            j += 8
        }
        if let d = rootOfSquares((s0 + s1).laneSum()) { return d }
        return scaledNorm(length: length, p: 2) { x[$0] - y[$0] + eps }
    }

    /// Writes g0 = k·v and g1 = −k·v with v = x0 − x1 + eps (the gradient of k·‖v‖₂ when
    /// k already includes the 1/‖v‖₂).
    @inlinable
    static func writeEuclideanGradient<T: LossScalar>(_ row: MetricRow<T>, length: Int, eps: T, coefficient k: T) {
        if k == 0 {
            row.g0?.update(repeating: 0, count: length)
            row.g1?.update(repeating: 0, count: length)
            return
        }
        let e = SIMD8<T>(repeating: eps), kv = SIMD8<T>(repeating: k)
        var j = 0
        while j + 8 <= length {
            let g = (load8(row.x0 + j) - load8(row.x1 + j) + e) * kv
            if let g0 = row.g0 { store8(g, g0 + j) }
            if let g1 = row.g1 { store8(-g, g1 + j) }
            j += 8
        }
        while j < length {
            let g = (row.x0[j] - row.x1[j] + eps) * k
            row.g0?[j] = g
            row.g1?[j] = -g
            j += 1
        }
    }

    /// ‖x − y + eps‖ₚ for any p > 0 (p = 1 and p = ∞ exactly, others scaled as in ``scaledNorm(length:p:_:)``).
    @inlinable
    static func pDistance<T: LossScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, length: Int, p: T, eps: T) -> T {
        if p == 2 { return euclideanDistance(x, y, length: length, eps: eps) }
        if p == .infinity {
            var m: T = 0
            for j in 0..<length {
                let a = (x[j] - y[j] + eps).magnitude
                if a.isNaN { return .nan }
                m = Swift.max(m, a)
            }
            return m
        }
        if p == 1 {
            var s: T = 0
            for j in 0..<length { s += (x[j] - y[j] + eps).magnitude }
            return s
        }
        return scaledNorm(length: length, p: p) { x[$0] - y[$0] + eps }
    }

    /// Adds k·∂d/∂x to gx and subtracts it from gy, for d = ‖x − y + eps‖ₚ with value `d`:
    /// ∂d/∂xⱼ = sign(vⱼ)·(|vⱼ|/d)^(p−1), 0 where vⱼ = 0 or d = 0 (PyTorch's `norm_backward`);
    /// for p = ∞ the sign is shared equally by the entries of largest magnitude.
    @inlinable
    static func addPDistanceGradient<T: LossScalar>(
        _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ gx: UnsafeMutablePointer<T>?, _ gy: UnsafeMutablePointer<T>?,
        length: Int, p: T, eps: T, distance d: T, coefficient k: T
    ) {
        guard k != 0, gx != nil || gy != nil else { return }
        func add(_ j: Int, _ g: T) {
            gx?[j] += g
            gy?[j] -= g
        }
        if p == 1 {
            for j in 0..<length {
                let v = x[j] - y[j] + eps
                add(j, v > 0 ? k : (v < 0 ? -k : 0))
            }
            return
        }
        guard d != 0 else { return }
        if p == .infinity {
            var ties: T = 0
            for j in 0..<length {
                let a = (x[j] - y[j] + eps).magnitude
                if a == d || a.isNaN { ties += 1 }
            }
            for j in 0..<length {
                let v = x[j] - y[j] + eps
                if v.magnitude == d || v.isNaN { add(j, (v > 0 ? k : (v < 0 ? -k : 0)) / ties) }
            }
            return
        }
        for j in 0..<length {
            let v = x[j] - y[j] + eps
            guard v != 0 else { continue }
            let g = p == 2 ? v / d : T.pow(v.magnitude / d, p - 1)
            add(j, k * (p == 2 || v > 0 ? g : -g))
        }
    }

    /// max(z, 0) with NaN propagated, as `clamp_min` does.
    @inlinable @inline(__always)
    static func hinge<T: LossScalar>(_ z: T) -> T { z > 0 || z.isNaN ? z : 0 }

    /// The weights with which `torch.minimum(a, b)` passes its gradient to a and to b: 1 to the
    /// smaller, ½ each at a tie (NaN passes to both, as PyTorch's formula does).
    @inlinable @inline(__always)
    static func minimumWeights<T: LossScalar>(_ a: T, _ b: T) -> (value: T, a: T, b: T) {
        if a == b { return (a, 0.5, 0.5) }
        let value = a.isNaN || b.isNaN ? T.nan : Swift.min(a, b)
        return (value, a > b ? 0 : 1, a < b ? 0 : 1)
    }

    // MARK: Triplet kernels

    /// The triplet row with p = 2: one pass for the two (three with swap) squared distances, one
    /// pass writing every requested gradient as a combination of the differences.
    @inlinable
    static func euclideanTriplet<T: LossScalar>(
        _ row: MetricRow<T>, length: Int, margin: T, eps: T, swap: Bool, scale: T
    ) -> T {
        let a = row.x0, p = row.x1, n = row.x2
        let e = SIMD8<T>(repeating: eps)
        var sap = SIMD8<T>.zero, san = SIMD8<T>.zero, spn = SIMD8<T>.zero
        var j = 0
        while j + 8 <= length {
            let av = load8(a + j), pv = load8(p + j), nv = load8(n + j)
            let vp = av - pv + e, vn = av - nv + e
            sap += vp * vp
            san += vn * vn
            if swap {
                let vs = pv - nv + e
                spn += vs * vs
            }
            j += 8
        }
        if j < length {
            let r = length - j
            let av = loadPartial(a + j, r, pad: 0), pv = loadPartial(p + j, r, pad: 0), nv = loadPartial(n + j, r, pad: 0)
            let vp = (av - pv + e).keepingFirstLanes(r), vn = (av - nv + e).keepingFirstLanes(r)
            sap += vp * vp
            san += vn * vn
            if swap {
                let vs = (pv - nv + e).keepingFirstLanes(r)
                spn += vs * vs
            }
        }
        let dap = rootOfSquares(sap.laneSum()) ?? scaledNorm(length: length, p: 2) { a[$0] - p[$0] + eps }
        let dan = rootOfSquares(san.laneSum()) ?? scaledNorm(length: length, p: 2) { a[$0] - n[$0] + eps }
        var wan: T = 1, wpn: T = 0, dneg = dan
        if swap {
            let dpn = rootOfSquares(spn.laneSum()) ?? scaledNorm(length: length, p: 2) { p[$0] - n[$0] + eps }
            (dneg, wan, wpn) = minimumWeights(dan, dpn)
            // From here on wpn carries the 1/d(p, n) of the gradient.
            wpn = wpn == 0 || dpn == 0 ? 0 : wpn / dpn
        }
        let z = margin + dap - dneg
        guard row.wantsGradient else { return hinge(z) }
        guard z > 0 else {
            row.g0?.update(repeating: 0, count: length)
            row.g1?.update(repeating: 0, count: length)
            row.g2?.update(repeating: 0, count: length)
            return hinge(z)
        }
        // g_a = kp·vp − kn·vn,  g_p = −kp·vp − ks·vs,  g_n = kn·vn + ks·vs
        let kp = dap == 0 ? 0 : scale / dap
        let kn = wan == 0 || dan == 0 ? 0 : scale * wan / dan
        let ks = scale * wpn
        let kpv = SIMD8<T>(repeating: kp), knv = SIMD8<T>(repeating: kn), ksv = SIMD8<T>(repeating: ks)
        let useSwap = swap && ks != 0
        j = 0
        while j + 8 <= length {
            let av = load8(a + j), pv = load8(p + j), nv = load8(n + j)
            let tp = (av - pv + e) * kpv, tn = (av - nv + e) * knv
            let ts = useSwap ? (pv - nv + e) * ksv : .zero
            if let g = row.g0 { store8(tp - tn, g + j) }
            if let g = row.g1 { store8(-tp - ts, g + j) }
            if let g = row.g2 { store8(tn + ts, g + j) }
            j += 8
        }
        while j < length {
            let tp = (a[j] - p[j] + eps) * kp, tn = (a[j] - n[j] + eps) * kn
            let ts = useSwap ? (p[j] - n[j] + eps) * ks : 0
            row.g0?[j] = tp - tn
            row.g1?[j] = -tp - ts
            row.g2?[j] = tn + ts
            j += 1
        }
        return z
    }

    /// The triplet row for any p > 0 other than 2.
    @inlinable
    static func normTriplet<T: LossScalar>(
        _ row: MetricRow<T>, length: Int, p: T, margin: T, eps: T, swap: Bool, scale: T
    ) -> T {
        let a = row.x0, pos = row.x1, n = row.x2
        let dap = pDistance(a, pos, length: length, p: p, eps: eps)
        let dan = pDistance(a, n, length: length, p: p, eps: eps)
        var wan: T = 1, wpn: T = 0, dneg = dan, dpn: T = 0
        if swap {
            dpn = pDistance(pos, n, length: length, p: p, eps: eps)
            (dneg, wan, wpn) = minimumWeights(dan, dpn)
        }
        let z = margin + dap - dneg
        if row.wantsGradient {
            row.g0?.update(repeating: 0, count: length)
            row.g1?.update(repeating: 0, count: length)
            row.g2?.update(repeating: 0, count: length)
            if z > 0 {
                addPDistanceGradient(a, pos, row.g0, row.g1, length: length, p: p, eps: eps, distance: dap, coefficient: scale)
                addPDistanceGradient(a, n, row.g0, row.g2, length: length, p: p, eps: eps, distance: dan, coefficient: -scale * wan)
                if swap {
                    addPDistanceGradient(pos, n, row.g1, row.g2, length: length, p: p, eps: eps, distance: dpn, coefficient: -scale * wpn)
                }
            }
        }
        return hinge(z)
    }

    /// The triplet row with the cosine distance 1 − cos(x, y), cos(x, y) = x·y / (x̂·ŷ),
    /// x̂ = max(‖x‖, eps) (the clamp passes its gradient straight through, as in
    /// `F.cosine_similarity`). One pass for the six sums, one for the gradients, each a
    /// combination of a, p and n.
    @inlinable
    static func cosineTriplet<T: LossScalar>(
        _ row: MetricRow<T>, length: Int, margin: T, eps: T, swap: Bool, scale: T
    ) -> T {
        let a = row.x0, p = row.x1, n = row.x2
        var saa = SIMD8<T>.zero, spp = SIMD8<T>.zero, snn = SIMD8<T>.zero
        var sap = SIMD8<T>.zero, san = SIMD8<T>.zero, spn = SIMD8<T>.zero
        var j = 0
        while j < length {
            let r = min(8, length - j)
            let av = r == 8 ? load8(a + j) : loadPartial(a + j, r, pad: 0)
            let pv = r == 8 ? load8(p + j) : loadPartial(p + j, r, pad: 0)
            let nv = r == 8 ? load8(n + j) : loadPartial(n + j, r, pad: 0)
            saa += av * av; spp += pv * pv; snn += nv * nv
            sap += av * pv; san += av * nv; spn += pv * nv
            j += 8
        }
        let sums = (saa.laneSum(), spp.laneSum(), snn.laneSum(), sap.laneSum(), san.laneSum(), spn.laneSum())
        let na = norm(a, length: length, sumOfSquares: sums.0)
        let np = norm(p, length: length, sumOfSquares: sums.1)
        let nn = norm(n, length: length, sumOfSquares: sums.2)
        let ap = CosinePair(a, p, length: length, dot: sums.3, nx: na, ny: np, eps: eps)
        let an = CosinePair(a, n, length: length, dot: sums.4, nx: na, ny: nn, eps: eps)
        var wan: T = 1, wpn: T = 0, dneg = 1 - an.cos
        var pn = CosinePair<T>.zero
        if swap {
            pn = CosinePair(p, n, length: length, dot: sums.5, nx: np, ny: nn, eps: eps)
            (dneg, wan, wpn) = minimumWeights(1 - an.cos, 1 - pn.cos)
        }
        let z = margin + (1 - ap.cos) - dneg
        guard row.wantsGradient else { return hinge(z) }
        guard z > 0 else {
            row.g0?.update(repeating: 0, count: length)
            row.g1?.update(repeating: 0, count: length)
            row.g2?.update(repeating: 0, count: length)
            return hinge(z)
        }
        // ∂ℓ/∂d(a,p) = 1, ∂ℓ/∂d(a,n) = −wan, ∂ℓ/∂d(p,n) = −wpn, and ∂d = −∂cos:
        //   g_a = c[ (β_ap − wan·β_an)·a − α_ap·p + wan·α_an·n ]
        //   g_p = c[ −α_ap·a + (γ_ap − wpn·β_pn)·p + wpn·α_pn·n ]
        //   g_n = c[ wan·α_an·a + wpn·α_pn·p − (wan·γ_an + wpn·γ_pn)·n ]
        let c = scale
        let ga = (c * (ap.betaX - wan * an.betaX), -c * ap.alpha, c * wan * an.alpha)
        let gp = (-c * ap.alpha, c * (ap.betaY - wpn * pn.betaX), c * wpn * pn.alpha)
        let gn = (c * wan * an.alpha, c * wpn * pn.alpha, -c * (wan * an.betaY + wpn * pn.betaY))
        combine(row, length: length, ga, gp, gn)
        return z
    }

    /// ‖x‖₂ from its sum of squares, recomputed scaled when the sum overflowed or underflowed.
    @inlinable @inline(__always)
    static func norm<T: LossScalar>(_ x: UnsafePointer<T>, length: Int, sumOfSquares s: T) -> T {
        rootOfSquares(s) ?? scaledNorm(length: length, p: 2) { x[$0] }
    }

    /// Writes g0 = c0·(x0, x1, x2), g1 = c1·(x0, x1, x2), g2 = c2·(x0, x1, x2) (each a dot
    /// product of three coefficients with the row's three vectors) for the requested gradients.
    @inlinable
    static func combine<T: LossScalar>(_ row: MetricRow<T>, length: Int, _ c0: (T, T, T), _ c1: (T, T, T), _ c2: (T, T, T)) {
        let k0 = (SIMD8<T>(repeating: c0.0), SIMD8<T>(repeating: c0.1), SIMD8<T>(repeating: c0.2))
        let k1 = (SIMD8<T>(repeating: c1.0), SIMD8<T>(repeating: c1.1), SIMD8<T>(repeating: c1.2))
        let k2 = (SIMD8<T>(repeating: c2.0), SIMD8<T>(repeating: c2.1), SIMD8<T>(repeating: c2.2))
        var j = 0
        while j + 8 <= length {
            let u = load8(row.x0 + j), v = load8(row.x1 + j), w = load8(row.x2 + j)
            if let g = row.g0 { store8(k0.0 * u + k0.1 * v + k0.2 * w, g + j) }
            if let g = row.g1 { store8(k1.0 * u + k1.1 * v + k1.2 * w, g + j) }
            if let g = row.g2 { store8(k2.0 * u + k2.1 * v + k2.2 * w, g + j) }
            j += 8
        }
        while j < length {
            let u = row.x0[j], v = row.x1[j], w = row.x2[j]
            row.g0?[j] = c0.0 * u + c0.1 * v + c0.2 * w
            row.g1?[j] = c1.0 * u + c1.1 * v + c1.2 * w
            row.g2?[j] = c2.0 * u + c2.1 * v + c2.2 * w
            j += 1
        }
    }

    // MARK: Cosine embedding kernel

    /// The cosine-embedding row: cos = s / (√m₁·√m₂), mᵢ = Σxᵢ² + 1e-12 (PyTorch's EPSILON).
    @inlinable
    static func cosineEmbedding<T: LossScalar>(
        _ row: MetricRow<T>, length: Int, similar: Bool, margin: T, scale: T
    ) -> T {
        let x = row.x0, y = row.x1
        var sxx = SIMD8<T>.zero, syy = SIMD8<T>.zero, sxy = SIMD8<T>.zero
        var j = 0
        while j < length {
            let r = min(8, length - j)
            let xv = r == 8 ? load8(x + j) : loadPartial(x + j, r, pad: 0)
            let yv = r == 8 ? load8(y + j) : loadPartial(y + j, r, pad: 0)
            sxx += xv * xv; syy += yv * yv; sxy += xv * yv
            j += 8
        }
        // PyTorch's EPSILON is the float 1e-12 (9.99999996e-13), also in double precision.
        let epsilon = T(Float(1e-12))
        var s = sxy.laneSum(), m1 = sxx.laneSum() + epsilon, m2 = syy.laneSum() + epsilon
        // Scales applied to x and y in the sums (1 unless the sums overflowed).
        var kx: T = 1, ky: T = 1
        if !(s.isFinite && m1.isFinite && m2.isFinite) {
            // Recompute with x/kx and y/ky, kx = max|x| (the 1e-12 scaled along).
            kx = maxMagnitude(x, length)
            ky = maxMagnitude(y, length)
            if kx.isFinite && ky.isFinite && kx > 0 && ky > 0 {
                var a: T = 0, b: T = 0, c: T = 0
                for j in 0..<length {
                    let u = x[j] / kx, v = y[j] / ky
                    a += u * u; b += v * v; c += u * v
                }
                s = c; m1 = a + epsilon / kx / kx; m2 = b + epsilon / ky / ky
            } else {
                kx = 1; ky = 1
            }
        }
        let r1 = m1.squareRoot(), r2 = m2.squareRoot()
        let cos = s / r1 / r2
        let loss = similar ? 1 - cos : hinge(cos - margin)
        guard row.wantsGradient else { return loss }
        let active = similar || cos - margin > 0
        let sign: T = similar ? -1 : 1
        let c = active ? sign * scale : 0
        // In the scaled frame x' = x/kx: ∂cos/∂x = (y'/(r1 r2) − cos·x'/m1) / kx.
        let alpha = 1 / r1 / r2
        let gx = (c * (-cos / m1) / kx, c * alpha / kx, T(0))
        let gy = (c * alpha / ky, c * (-cos / m2) / ky, T(0))
        if kx == 1 && ky == 1 {
            combine(row, length: length, gx, gy, (0, 0, 0))
        } else {
            for j in 0..<length {
                let u = x[j] / kx, v = y[j] / ky
                row.g0?[j] = gx.0 * u + gx.1 * v
                row.g1?[j] = gy.0 * u + gy.1 * v
            }
        }
        return loss
    }

}

/// The cosine similarity of two rows, with PyTorch's norm clamp, and the factors of its
/// gradient: ∂cos/∂x = α·y − βx·x, ∂cos/∂y = α·x − βy·y.
@usableFromInline
struct CosinePair<T: LossScalar> {
    @usableFromInline var cos: T
    /// 1 / (x̂·ŷ).
    @usableFromInline var alpha: T
    /// cos / (x̂·‖x‖) (0 for a zero x: the norm's gradient is masked there).
    @usableFromInline var betaX: T
    /// cos / (ŷ·‖y‖).
    @usableFromInline var betaY: T

    @usableFromInline static var zero: CosinePair { CosinePair(cos: 0, alpha: 0, betaX: 0, betaY: 0) }

    @inlinable
    init(cos: T, alpha: T, betaX: T, betaY: T) {
        self.cos = cos; self.alpha = alpha; self.betaX = betaX; self.betaY = betaY
    }

    /// From the dot product and the two norms; a dot product that overflowed is recomputed from
    /// the normalized rows.
    @inlinable
    init(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, length: Int, dot: T, nx: T, ny: T, eps: T) {
        let cx = Swift.max(nx, eps), cy = Swift.max(ny, eps)
        alpha = 1 / cx / cy
        var c = dot * alpha
        if !c.isFinite && cx.isFinite && cy.isFinite {
            c = 0
            for j in 0..<length { c += (x[j] / cx) * (y[j] / cy) }
        }
        cos = c
        betaX = nx == 0 ? 0 : c / cx / nx
        betaY = ny == 0 ? 0 : c / cy / ny
    }
}
