import RealModule
// Family E of LOSSES.md, the similarity-matrix losses: info-nce, nt-xent, clip, supcon.
//
// All four are cross-entropies over the rows (clip: and the columns) of one scaled similarity
// matrix S = A·Bᵀ/τ, with a pattern of target and excluded cells:
//
//   loss       rows A    columns B                         targets of row i            excluded
//   info-nce   query     positive (in-batch)               column i                    —
//              query     [positiveᵢ | negatives]           column 0 (the positive)     —
//   nt-xent    input     input (rows L2-normalized)        column (i + N) mod 2N       column i
//   clip       input1    input2, rows and columns          column i (column j: row j)  —
//   supcon     input     input                             columns with i's label      column i
//
// `similarityCrossEntropy` normalizes the rows once (keeping the norms for the backward pass),
// builds S with the blocked matrix multiply, runs the one row kernel (`similarityRowLoss`) over
// the rows in parallel, turning each row of S into its row of dS in place, and takes dS back
// through the products (dA = dS·B, dB = dSᵀ·A, or (dS + dSᵀ)·A when A and B are one input) and
// the normalization. Nothing larger than S itself is ever held.

/// InfoNCE: the cross-entropy of picking each query's positive key among negatives.
///
/// ```
/// sᵢⱼ = q̂ᵢ·k̂ⱼ / τ         (x̂ = x / max(‖x‖₂, 1e-12) when normalize, else x̂ = x)
/// with negatives:  ℓᵢ = −log e^{q̂ᵢ·p̂ᵢ/τ} / (e^{q̂ᵢ·p̂ᵢ/τ} + Σₘ e^{q̂ᵢ·n̂ₘ/τ})
/// in-batch:        ℓᵢ = −log e^{q̂ᵢ·p̂ᵢ/τ} / Σⱼ e^{q̂ᵢ·p̂ⱼ/τ}   (= cross-entropy of q̂·p̂ᵀ/τ, targets on the diagonal)
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, shape [N])
/// ```
/// Shapes: `query` `[N, D]`, `positive` `[N, D]` (row i is query i's positive key), `negatives`
/// `[M, D]` (shared by every query; M may be 0). Without `negatives`, the other rows of
/// `positive` are each query's negatives.
///
/// Gradient, with dSᵢⱼ = w·(softmax(sᵢ)ⱼ − [j is i's positive]) (w = 1/N for mean, else 1):
/// ```
/// ∂/∂q̂ = dS·K̂ / τ        ∂/∂k̂ = dSᵀ·Q̂ / τ         (K̂ the keys: positives and/or negatives)
/// ∂/∂x = (∂/∂x̂ − x̂ (x̂·∂/∂x̂)) / ‖x‖   (‖x‖ ≥ 1e-12),   ∂/∂x̂ / 1e-12 otherwise (F.normalize)
/// ```
///
/// - Parameters:
///   - query: the queries (anchors) `[N, D]`.
///   - positive: the positive key of each query `[N, D]`.
///   - negatives: optional negative keys `[M, D]` shared by all queries.
///   - temperature: τ, finite and > 0 (default 0.1).
///   - normalize: L2-normalize the rows of every input first, so that s is a cosine similarity
///     (default true).
///   - reduction: `.mean` (default), `.sum` or `.none` (per query, `[N]`).
///   - wrt: the gradients to compute among `.query`, `.positive`, `.negatives` (default all given).
/// - Returns: the loss and the requested gradients (shaped like their inputs).
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for an input that is not rank 2;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` if `positive` is not `[N, D]` or
///   `negatives` not `[M, D]`; ``LossError/invalidOption(name:value:expected:)`` for a
///   temperature that is not finite and > 0, or `batchmean`.
///
/// Edge cases: an empty batch gives NaN with `mean` (0/0, like `F.cross_entropy`) and 0 with
/// `sum`. N = 1 in-batch, or M = 0 negatives, leaves one candidate: the loss is 0. A zero row
/// with `normalize` normalizes to 0 (F.normalize's clamp) and its gradient is ∂/∂x̂ / 1e-12. The
/// log-sum-exp is shifted per row, so a tiny temperature with large unnormalized inputs stays
/// finite.
///
/// Reference: the formula written in PyTorch, `F.cross_entropy(torch.cat([(q̂·p̂).sum(1,
/// keepdim=True), q̂ @ n̂.T], 1) / τ, zeros)` with negatives and `F.cross_entropy(q̂ @ p̂.T / τ,
/// arange(N))` in-batch, x̂ = `F.normalize(x, dim=1)` (the `info-nce-pytorch` package's
/// "unpaired" mode).
///
/// ```swift
/// let q = try Tensor(shape: [2, 2], scalars: [1, 0, 0, 1] as [Double])
/// let r = try infoNCELoss(query: q, positive: q, temperature: 1)
/// r.scalar                  // 0.3132616875182228   (= log(1 + e⁻¹))
/// r.gradients[.query]       // [[0, 0.13447071068499755], [0.13447071068499755, 0]]
/// ```
@inlinable
public func infoNCELoss<T: LossScalar>(
    query: Tensor<T>, positive: Tensor<T>, negatives: Tensor<T>? = nil,
    temperature: T = 0.1, normalize: Bool = true, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.query, .positive, .negatives]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    let (n, d) = try ContrastiveShapes.matrix("query", query)
    try checkShape("positive", positive.shape, equals: [n, d])
    if let negatives {
        try checkRank("negatives", negatives.shape, in: 2...2)
        try checkShape("negatives", negatives.shape, equals: [negatives.shape[0], d])
    }
    try ContrastiveShapes.checkTemperature(temperature)
    // With negatives every row's target is column 0 (the positive, put in front of the
    // negatives); in-batch it is the diagonal.
    let targets = negatives == nil ? Array(0..<n) : [Int](repeating: 0, count: n)
    let weight: T = reduction == .mean ? 1 / T(n) : 1
    let keys = negatives ?? positive
    let wantKeys = wrt.contains(negatives == nil ? .positive : .negatives)
    let outputs = SimilarityOutputs<T>(
        rowShape: query.shape, wantRows: wrt.contains(.query), columnShape: keys.shape, wantColumns: wantKeys,
        pairedShape: negatives == nil ? nil : positive.shape, wantPaired: wrt.contains(.positive))
    let perRow = similarityCrossEntropy(
        rows: query, columns: keys, paired: negatives == nil ? nil : positive, temperature: temperature,
        normalize: normalize, targets: targets, range: { $0 ..< $0 + 1 }, excludingSelf: false,
        rowWeight: weight, gradients: outputs).rows
    var result = LossResult<T>(value: ContrastiveShapes.reduce(perRow, reduction, count: n))
    outputs.store(into: &result, rows: .query, columns: negatives == nil ? .positive : .negatives, paired: .positive)
    return result
}

/// NT-Xent, SimCLR's normalized temperature-scaled cross-entropy over two views of a batch.
///
/// ```
/// sᵢₖ = ẑᵢ·ẑₖ / τ,   ẑ = z / max(‖z‖₂, 1e-12)          (cosine similarity)
/// ℓᵢ = −log e^{sᵢⱼ} / Σ_{k≠i} e^{sᵢₖ},   j = (i + N) mod 2N   (row i's other view)
/// loss = mean ℓ over the 2N rows (default) | Σ ℓ | ℓ (none, shape [2N])
/// ```
/// Shapes: `input` `[2N, D]`: rows i and i + N are the two views of sample i.
///
/// Gradient, with dSᵢₖ = w·(softmax_{k≠i}(sᵢ)ₖ − [k = j]) (0 on the diagonal; w = 1/2N for mean):
/// ```
/// ∂/∂ẑ = (dS + dSᵀ)·Ẑ / τ,     ∂/∂z = (∂/∂ẑ − ẑ (ẑ·∂/∂ẑ)) / ‖z‖   (∂/∂ẑ / 1e-12 for ‖z‖ < 1e-12)
/// ```
///
/// - Parameters:
///   - input: the embeddings of both views `[2N, D]`.
///   - temperature: τ, finite and > 0 (default 0.5).
///   - reduction: `.mean` (default), `.sum` or `.none` (per row, `[2N]`).
///   - wrt: `[.input]` (default) or `[]` for the value only.
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` if `input` is not rank 2 or has
///   an odd number of rows; ``LossError/invalidOption(name:value:expected:)`` for a temperature
///   that is not finite and > 0, or `batchmean`.
///
/// Edge cases: self-similarity is excluded from every denominator. N = 1 (two rows) leaves each
/// row a single candidate, so the loss is 0; an empty input gives NaN with `mean`. Zero rows
/// follow F.normalize (ẑ = 0).
///
/// Reference: Chen et al. 2020 (SimCLR), written in PyTorch as
/// `F.cross_entropy((ẑ @ ẑ.T / τ).masked_fill(eye, -inf), (arange(2N) + N) % 2N)` with
/// ẑ = `F.normalize(z, dim=1)` (pytorch-metric-learning's `NTXentLoss` with the two views as
/// the positive pairs computes the same value).
///
/// ```swift
/// let z = try Tensor(shape: [4, 2], scalars: [1, 0, 0, 1, 1, 0, 0, 1] as [Double])
/// let r = try ntXentLoss(input: z, temperature: 1)
/// r.scalar                  // 0.5514447139320511   (= log(1 + 2e⁻¹))
/// ```
@inlinable
public func ntXentLoss<T: LossScalar>(
    input: Tensor<T>, temperature: T = 0.5, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    let (rows, _) = try ContrastiveShapes.matrix("input", input)
    guard rows % 2 == 0 else {
        throw LossError.invalidShape(
            argument: "input", shape: input.shape, reason: "expected an even number of rows (two views of N samples), got \(rows)")
    }
    try ContrastiveShapes.checkTemperature(temperature)
    let half = rows / 2
    let partners = (0..<rows).map { $0 < half ? $0 + half : $0 - half }
    let weight: T = reduction == .mean ? 1 / T(rows) : 1
    let outputs = SimilarityOutputs<T>(rowShape: input.shape, wantRows: wrt.contains(.input))
    let perRow = similarityCrossEntropy(
        rows: input, columns: nil, temperature: temperature, normalize: true,
        targets: partners, range: { $0 ..< $0 + 1 }, excludingSelf: true, rowWeight: weight, gradients: outputs).rows
    var result = LossResult<T>(value: ContrastiveShapes.reduce(perRow, reduction, count: rows))
    outputs.store(into: &result, rows: .input)
    return result
}

/// CLIP's symmetric contrastive loss: cross-entropy over the rows and over the columns of the
/// image–text similarity matrix, the matching pairs on the diagonal.
///
/// ```
/// S = x̂₁ x̂₂ᵀ / τ        (x̂ = x / max(‖x‖₂, 1e-12) when normalize)
/// rowᵢ = logΣⱼ e^{Sᵢⱼ} − Sᵢᵢ      colⱼ = logΣᵢ e^{Sᵢⱼ} − Sⱼⱼ
/// ℓᵢ = ½ (rowᵢ + colᵢ)
/// loss = mean ℓ = ½[CE(S, diag) + CE(Sᵀ, diag)] (default) | Σ ℓ | ℓ (none, shape [N])
/// ```
/// Shapes: `input1` `[N, D]` (e.g. image embeddings), `input2` `[N, D]` (e.g. text embeddings);
/// row i of each is a matching pair.
///
/// Gradient, with dSᵢⱼ = ½w·(softmax_row(S)ᵢⱼ + softmax_col(S)ᵢⱼ − 2[i = j]) (w = 1/N for mean):
/// ```
/// ∂/∂x̂₁ = dS·X̂₂ / τ      ∂/∂x̂₂ = dSᵀ·X̂₁ / τ,   then the normalization's backward as in info-nce
/// ```
///
/// - Parameters:
///   - input1: the first modality's embeddings `[N, D]`.
///   - input2: the second modality's embeddings `[N, D]`.
///   - temperature: τ, finite and > 0 (default 0.07; CLIP learns 1/τ, initialized to 1/0.07).
///   - normalize: L2-normalize the rows first (default true).
///   - reduction: `.mean` (default), `.sum` or `.none` (per pair, `[N]`: ½(rowᵢ + colᵢ)).
///   - wrt: the gradients to compute among `.input1`, `.input2` (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` if `input1` is not rank 2;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` if `input2` is not `[N, D]`;
///   ``LossError/invalidOption(name:value:expected:)`` for a temperature that is not finite and
///   > 0, or `batchmean`.
///
/// Edge cases: N = 1 gives 0; an empty batch gives NaN with `mean`. LOSSES.md lists only the
/// temperature and normalize options for clip; the reduction is LossKit's addition, defined by the
/// per-pair values above (their mean is the CLIP loss).
///
/// Reference: Radford et al. 2021 (CLIP), written in PyTorch as `(F.cross_entropy(S, arange(N)) +
/// F.cross_entropy(S.T, arange(N))) / 2`, S = `F.normalize(x1, dim=1) @ F.normalize(x2, dim=1).T / τ`.
///
/// ```swift
/// let x = try Tensor(shape: [2, 2], scalars: [1, 0, 0, 1] as [Double])
/// let r = try clipLoss(input1: x, input2: x, temperature: 1)
/// r.scalar                  // 0.3132616875182228
/// ```
@inlinable
public func clipLoss<T: LossScalar>(
    input1: Tensor<T>, input2: Tensor<T>, temperature: T = 0.07, normalize: Bool = true,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input1, .input2]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    let (n, d) = try ContrastiveShapes.matrix("input1", input1)
    try checkShape("input2", input2.shape, equals: [n, d])
    try ContrastiveShapes.checkTemperature(temperature)
    let targets = Array(0..<n)
    let weight: T = (reduction == .mean ? 1 / T(n) : 1) / 2
    let outputs = SimilarityOutputs<T>(
        rowShape: input1.shape, wantRows: wrt.contains(.input1), columnShape: input2.shape, wantColumns: wrt.contains(.input2))
    let losses = similarityCrossEntropy(
        rows: input1, columns: input2, temperature: temperature, normalize: normalize, symmetric: true,
        targets: targets, range: { $0 ..< $0 + 1 }, excludingSelf: false,
        rowWeight: weight, columnWeight: weight, gradients: outputs)
    let perPair = zip(losses.rows, losses.columns).map { ($0 + $1) / 2 }
    var result = LossResult<T>(value: ContrastiveShapes.reduce(perPair, reduction, count: n))
    outputs.store(into: &result, rows: .input1, columns: .input2)
    return result
}

/// Supervised contrastive loss (SupCon, Khosla et al. 2020, the "L_out" form): every other
/// sample with the anchor's label is a positive.
///
/// ```
/// sᵢₐ = zᵢ·zₐ / τ                          (no normalization: pass L2-normalized features)
/// P(i) = {p ≠ i : targetₚ = targetᵢ}
/// ℓᵢ = −(1/|P(i)|) Σ_{p∈P(i)} log e^{sᵢₚ} / Σ_{a≠i} e^{sᵢₐ}      (ℓᵢ = 0 when P(i) is empty)
/// loss = Σ ℓ / #{i : P(i) ≠ ∅} (mean, default) | Σ ℓ | ℓ (none, shape [N])
/// ```
/// Shapes: `input` `[N, D]` (all views already stacked along the batch), `target` `[N]` integer
/// labels, any values (negative and large ones included: only equality matters).
///
/// Gradient, with dSᵢₐ = w·(softmax_{a≠i}(sᵢ)ₐ − [a ∈ P(i)]/|P(i)|) for anchors with positives
/// (0 otherwise; w = 1/#anchors with positives for mean):
/// ```
/// ∂/∂z = (dS + dSᵀ)·Z / τ
/// ```
///
/// - Parameters:
///   - input: the features `[N, D]`.
///   - target: integer labels `[N]`.
///   - temperature: τ, finite and > 0 (default 0.1).
///   - reduction: `.mean` over the anchors that have a positive (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]` for the value only.
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` if `input` is not rank 2;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` if `target` is not `[N]`;
///   ``LossError/invalidOption(name:value:expected:)`` for a temperature that is not finite and
///   > 0, or `batchmean`.
///
/// Edge cases: anchors without positives contribute 0 to `none` and `sum` and are left out of
/// the mean's denominator (LOSSES.md; pytorch-metric-learning's `SupConLoss` with its
/// `AvgNonZeroReducer` does the same). A batch in which no anchor has a positive (including the
/// empty batch and N = 1) gives 0 with zero gradients, as both references do (HobbitLong's
/// `SupConLoss` averages zeros, pytorch-metric-learning returns its zero loss), not the NaN of a
/// mean over nothing. The denominators are log-sum-exps shifted by the row maximum over a ≠ i,
/// so the loss stays finite where the reference's exp(logits − max including the anchor itself)
/// underflows to log 0 (τ = 1e-3 with normalized features).
///
/// Reference: `SupConLoss` of HobbitLong/SupContrast (the authors' code, current version, whose
/// anchors without positives get 0) with `contrast_mode='all'` and `base_temperature` equal to
/// `temperature` (its factor τ/τ_base is then 1), called on `input.unsqueeze(1)` (one view, so
/// the rows of `input` are the anchors and the contrast set); its per-anchor losses before the
/// final `.mean()` are LossKit's `none` output.
///
/// ```swift
/// let z = try Tensor(shape: [3, 2], scalars: [1, 0, 1, 0, 0, 1] as [Double])
/// let r = try supervisedContrastiveLoss(input: z, target: Tensor([7, 7, -1]), temperature: 1, reduction: .none)
/// r.value                   // [0.3132616875182228, 0.3132616875182228, 0.0]
/// ```
@inlinable
public func supervisedContrastiveLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, temperature: T = 0.1, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    let (n, _) = try ContrastiveShapes.matrix("input", input)
    try checkShape("target", target.shape, equals: [n])
    try ContrastiveShapes.checkTemperature(temperature)
    // The rows sorted by label: each label's rows are one run of `order`, and row i's targets
    // are its run (the kernel skips i itself).
    let (order, runs) = target.withUnsafeBufferPointer { labels in
        let order = (0..<n).sorted { labels[$0] < labels[$1] || (labels[$0] == labels[$1] && $0 < $1) }
        var runs = [Range<Int>](repeating: 0..<0, count: n)
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && labels[order[end]] == labels[order[start]] { end += 1 }
            for k in start..<end { runs[order[k]] = start..<end }
            start = end
        }
        return (order, runs)
    }
    let anchors = runs.filter { $0.count > 1 }.count
    let weight: T = reduction == .mean && anchors > 0 ? 1 / T(anchors) : 1
    let outputs = SimilarityOutputs<T>(rowShape: input.shape, wantRows: wrt.contains(.input))
    let perRow = similarityCrossEntropy(
        rows: input, columns: nil, temperature: temperature, normalize: false,
        targets: order, range: { runs[$0] }, excludingSelf: true, rowWeight: weight, gradients: outputs).rows
    let value = anchors == 0 && reduction == .mean
        ? Tensor(T(0)) : ContrastiveShapes.reduce(perRow, reduction, count: anchors)
    var result = LossResult<T>(value: value)
    outputs.store(into: &result, rows: .input)
    return result
}

// MARK: - Shared pieces

/// Argument checks and the reduction of the per-row losses, shared by the four losses.
@usableFromInline
enum ContrastiveShapes {
    /// (rows, columns) of a rank-2 input.
    @inlinable
    static func matrix<T>(_ name: String, _ x: Tensor<T>) throws(LossError) -> (Int, Int) {
        try checkRank(name, x.shape, in: 2...2)
        return (x.shape[0], x.shape[1])
    }

    @inlinable
    static func checkTemperature<T: LossScalar>(_ t: T) throws(LossError) {
        try checkOption("temperature", t, expected: "a finite number > 0") { $0 > 0 && $0.isFinite }
    }

    /// The `none` tensor of `losses`, or their sum or their sum / `count`.
    @inlinable
    static func reduce<T: LossScalar>(_ losses: [T], _ reduction: Reduction, count: Int) -> Tensor<T> {
        if reduction == .none { return Tensor(uncheckedShape: [losses.count], scalars: losses) }
        var sum: T = 0
        for l in losses { sum += l }
        return Tensor(ReductionPlan<T>(reduction, count: count).value(fromSum: sum))
    }
}

/// The gradient buffers of a similarity loss (rows' input, columns' input, and the paired
/// positives of info-nce with negatives), allocated only when asked for.
@usableFromInline
struct SimilarityOutputs<T: LossScalar> {
    @usableFromInline let rows: (TensorBuffer<T>, [Int])?
    @usableFromInline let columns: (TensorBuffer<T>, [Int])?
    @usableFromInline let paired: (TensorBuffer<T>, [Int])?

    @inlinable
    init(rowShape: [Int], wantRows: Bool, columnShape: [Int]? = nil, wantColumns: Bool = false,
         pairedShape: [Int]? = nil, wantPaired: Bool = false) {
        func buffer(_ shape: [Int]?, _ wanted: Bool) -> (TensorBuffer<T>, [Int])? {
            guard wanted, let shape else { return nil }
            return (TensorBuffer(uninitializedCount: shape.reduce(1, *)), shape)
        }
        rows = buffer(rowShape, wantRows)
        columns = buffer(columnShape, wantColumns)
        paired = buffer(pairedShape, wantPaired)
    }

    @inlinable
    var pointers: SimilarityGradients<T> {
        SimilarityGradients(rows: rows?.0.base, columns: columns?.0.base, paired: paired?.0.base)
    }

    @inlinable
    func store(into result: inout LossResult<T>, rows r: LossArgument, columns c: LossArgument? = nil, paired p: LossArgument? = nil) {
        if let (b, shape) = rows { result.gradients[r] = Tensor(uncheckedShape: shape, scalars: b) }
        if let (b, shape) = columns, let c { result.gradients[c] = Tensor(uncheckedShape: shape, scalars: b) }
        if let (b, shape) = paired, let p { result.gradients[p] = Tensor(uncheckedShape: shape, scalars: b) }
    }
}

/// Where ``similarityCrossEntropy(rows:count:columns:count:paired:depth:temperature:normalize:symmetric:targets:rowWeight:columnWeight:gradients:)``
/// writes the gradients: every element of each non-nil buffer.
@usableFromInline
struct SimilarityGradients<T> {
    @usableFromInline let rows: UnsafeMutablePointer<T>?
    @usableFromInline let columns: UnsafeMutablePointer<T>?
    @usableFromInline let paired: UnsafeMutablePointer<T>?

    @inlinable
    init(rows: UnsafeMutablePointer<T>?, columns: UnsafeMutablePointer<T>?, paired: UnsafeMutablePointer<T>?) {
        self.rows = rows; self.columns = columns; self.paired = paired
    }

    @inlinable var any: Bool { rows != nil || columns != nil || paired != nil }
}

/// The four losses' entry to the engine below: opens the tensors and hands row i the target
/// columns `targets[range(i)]` (with the diagonal excluded when `excludingSelf`).
@inlinable
func similarityCrossEntropy<T: LossScalar>(
    rows a: Tensor<T>, columns b: Tensor<T>?, paired k: Tensor<T>? = nil,
    temperature: T, normalize: Bool, symmetric: Bool = false,
    targets: [Int], range: (Int) -> Range<Int>, excludingSelf: Bool,
    rowWeight: T, columnWeight: T = 0, gradients: SimilarityOutputs<T>
) -> (rows: [T], columns: [T]) {
    let tensors = [a] + (b.map { [$0] } ?? []) + (k.map { [$0] } ?? [])
    return withPointers(tensors) { p in
        targets.withUnsafeBufferPointer { t in
            similarityCrossEntropy(
                rows: p[0], count: a.shape[0], columns: b == nil ? nil : p[1], count: b?.shape[0] ?? a.shape[0],
                paired: k == nil ? nil : p[tensors.count - 1], depth: a.shape[1], temperature: temperature,
                normalize: normalize, symmetric: symmetric,
                targets: { i in (UnsafeBufferPointer(rebasing: t[range(i)]), excludingSelf ? i : -1) },
                rowWeight: rowWeight, columnWeight: columnWeight, gradients: gradients.pointers)
        }
    }
}

/// F.normalize's eps: rows are divided by max(‖x‖₂, eps).
@usableFromInline
let contrastiveNormEpsilon = 1e-12

/// The engine of the four losses: row cross-entropies (and with `symmetric`, column
/// cross-entropies) of S = Â·B̂ᵀ/τ, and their gradients.
///
/// - Parameters:
///   - rows: A `[n, d]`.
///   - columns: B `[m, d]`, or nil when the columns are the rows themselves (nt-xent, supcon:
///     S = Â·Âᵀ/τ, m = n, and the gradient is (dS + dSᵀ)·Â/τ, one product).
///   - paired: info-nce's positives `[n, d]`: S gets a column 0 with sᵢ₀ = âᵢ·k̂ᵢ/τ in front of
///     the m columns of B.
///   - symmetric: also the column cross-entropies of S (clip; n = m, column j's target is row j).
///   - targets: for row i, its target columns (uniform target weights, the excluded column
///     skipped) and the excluded column (−1 for none).
///   - rowWeight, columnWeight: what each row's (column's) loss is multiplied by in the
///     gradient (the reduction's factor).
/// - Returns: the per-row losses and, with `symmetric`, the per-column losses.
@inlinable
func similarityCrossEntropy<T: LossScalar>(
    rows a: UnsafePointer<T>, count n: Int, columns b: UnsafePointer<T>?, count m: Int,
    paired k: UnsafePointer<T>?, depth d: Int, temperature: T, normalize: Bool, symmetric: Bool,
    targets: (Int) -> (columns: UnsafeBufferPointer<Int>, excluded: Int),
    rowWeight: T, columnWeight: T, gradients: SimilarityGradients<T>
) -> (rows: [T], columns: [T]) {
    let workspace = MatrixMultiplyWorkspace<T>()
    let offset = k == nil ? 0 : 1, ld = m + offset
    // A/τ, normalized: S = (Â/τ)·B̂ᵀ is then one product, and (Â/τ) is what dB̂ = dSᵀ·(Â/τ) needs.
    let rowsA = NormalizedRows(a, count: n, depth: d, normalize: normalize, scale: 1 / temperature)
    let rowsB = b.map { NormalizedRows($0, count: m, depth: d, normalize: normalize, scale: 1) }
        ?? (normalize ? NormalizedRows(a, count: n, depth: d, normalize: true, scale: 1) : nil)
    let rowsK = k.map { NormalizedRows($0, count: n, depth: d, normalize: normalize, scale: 1) }
    let bHat = rowsB?.values ?? a
    let s = MatrixMultiplyWorkspace<T>.allocate(n * ld)
    defer {
        s.deallocate()
        rowsA.release(); rowsB?.release(); rowsK?.release()
    }
    matrixMultiply(
        m: n, n: m, k: d, .rowMajor(rowsA.values, columns: d), MatrixOperand.rowMajor(bHat, columns: d).transposed,
        into: s + offset, ldc: ld, accumulate: false, workspace: workspace)
    if let kHat = rowsK?.values {
        for i in 0..<n { s[i * ld] = dotProduct(rowsA.values + i * d, kHat + i * d, d) }
    }

    var columnLosses: [T] = []
    var columnLSE: [T] = []
    if symmetric {
        columnLSE = makeArray(count: m) { columnLogSumExp(UnsafePointer(s), rows: n, columns: m, ld: ld, into: $0) }
        columnLosses = (0..<m).map { j in columnLSE[j] - s[j * ld + j] }
    }

    let wantGradient = gradients.any
    var rowLosses = [T](repeating: 0, count: n)
    rowLosses.withUnsafeMutableBufferPointer { lb in
        columnLSE.withUnsafeBufferPointer { cb in
            let losses = lb.baseAddress, clse = symmetric ? cb.baseAddress : nil
            forEachRange(n, workPerItem: 4 * ld, limit: Parallelism.threadCount) { _, range in
                for i in range {
                    let (columns, excluded) = targets(i)
                    losses![i] = similarityRowLoss(
                        s + i * ld, ld, excluding: excluded, targets: columns,
                        gradient: wantGradient ? SimilarityRowGradient(rowWeight: rowWeight, columnWeight: columnWeight, columnLSE: clse) : nil)
                }
            }
        }
    }
    guard wantGradient else { return (rowLosses, columnLosses) }

    // s now holds dS.
    if b == nil {
        // One input on both sides: ∂Â = dS·B̂/τ + dSᵀ·(Â/τ) = (dS + dSᵀ)·(Â/τ) since B̂ = Â.
        guard let g = gradients.rows else { return (rowLosses, columnLosses) }
        addTransposeInPlace(s, n)
        matrixMultiply(
            m: n, n: d, k: n, .rowMajor(UnsafePointer(s), columns: n), .rowMajor(rowsA.values, columns: d),
            into: g, ldc: d, accumulate: false, workspace: workspace)
        normalizationBackward(a, count: n, depth: d, norms: rowsB?.norms, scale: 1, gradient: g)
        return (rowLosses, columnLosses)
    }
    let dS = MatrixOperand(UnsafePointer(s + offset), rowStride: ld, columnStride: 1)
    if let g = gradients.rows {
        matrixMultiply(m: n, n: d, k: m, dS, .rowMajor(bHat, columns: d), into: g, ldc: d, accumulate: false, workspace: workspace)
        if let kHat = rowsK?.values {
            for i in 0..<n { addScaled(kHat + i * d, s[i * ld], to: g + i * d, d) }
        }
        normalizationBackward(a, count: n, depth: d, norms: rowsA.norms, scale: 1 / temperature, gradient: g)
    }
    if let g = gradients.columns, let b {
        matrixMultiply(
            m: m, n: d, k: n, dS.transposed, .rowMajor(rowsA.values, columns: d), into: g, ldc: d, accumulate: false,
            workspace: workspace)
        normalizationBackward(b, count: m, depth: d, norms: rowsB?.norms, scale: 1, gradient: g)
    }
    if let g = gradients.paired, let k {
        for i in 0..<n {
            (g + i * d).update(repeating: 0, count: d)
            addScaled(rowsA.values + i * d, s[i * ld], to: g + i * d, d)
        }
        normalizationBackward(k, count: n, depth: d, norms: rowsK?.norms, scale: 1, gradient: g)
    }
    return (rowLosses, columnLosses)
}

/// What a row's gradient is made of: `rowWeight` × its softmax and, for clip, `columnWeight` ×
/// each column's softmax at this row, exp(sⱼ − columnLSEⱼ).
@usableFromInline
struct SimilarityRowGradient<T> {
    @usableFromInline let rowWeight: T
    @usableFromInline let columnWeight: T
    @usableFromInline let columnLSE: UnsafePointer<T>?

    @inlinable
    init(rowWeight: T, columnWeight: T, columnLSE: UnsafePointer<T>?) {
        self.rowWeight = rowWeight; self.columnWeight = columnWeight; self.columnLSE = columnLSE
    }
}

/// The row kernel of all four losses: the masked softmax cross-entropy of one row of logits
/// against uniform targets, ℓ = log Σ_{j≠excluded} e^{sⱼ} − mean_{p∈targets} sₚ, and, when
/// `gradient` is given, the row's gradient in place of the logits:
///
///     sⱼ ← w_r·softmax(s)ⱼ + w_c·e^{sⱼ − columnLSEⱼ} − (w_r + w_c)·[j ∈ targets]/|targets|
///
/// (0 at the excluded column). With no targets (a supcon anchor without positives) the loss and
/// the gradient are 0. The log-sum-exp is shifted by the row maximum.
@inlinable
func similarityRowLoss<T: LossScalar>(
    _ row: UnsafeMutablePointer<T>, _ n: Int, excluding excluded: Int, targets: UnsafeBufferPointer<Int>,
    gradient: SimilarityRowGradient<T>?
) -> T {
    if excluded >= 0 { row[excluded] = -.infinity }
    var count = 0
    var targetSum: T = 0
    for t in targets where t != excluded {
        targetSum += row[t]
        count += 1
    }
    guard count > 0 else {
        if gradient != nil { row.update(repeating: 0, count: n) }
        return 0
    }
    let lse = stridedLogSumExp(UnsafePointer(row), n, stride: 1).lse
    if let g = gradient {
        if let columnLSE = g.columnLSE {
            twoSidedSoftmaxRow(row, n, lse: lse, rowWeight: g.rowWeight, columnLSE: columnLSE, columnWeight: g.columnWeight)
        } else {
            softmaxGradientRow(row, nil, n, shift: lse, logSum: 0, scale: g.rowWeight, offset: 0)
        }
        let step = (g.rowWeight + g.columnWeight) / T(count)
        for t in targets where t != excluded { row[t] -= step }
    }
    return lse - targetSum / T(count)
}

/// row[j] ← w_r·exp(row[j] − lse) + w_c·exp(row[j] − columnLSE[j]): a row of clip's dS before
/// the targets are subtracted.
@inlinable
func twoSidedSoftmaxRow<T: LossScalar>(
    _ row: UnsafeMutablePointer<T>, _ n: Int, lse: T, rowWeight: T, columnLSE: UnsafePointer<T>, columnWeight: T
) {
    let l = SIMD8<T>(repeating: lse), wr = SIMD8<T>(repeating: rowWeight), wc = SIMD8<T>(repeating: columnWeight)
    var j = 0
    while j + 8 <= n {
        let s = load8(row + j)
        store8(T.vexp(s - l) * wr + T.vexp(s - load8(columnLSE + j)) * wc, row + j)
        j += 8
    }
    if j < n {
        let s = loadPartial(row + j, n - j, pad: 0)
        storePartial(T.vexp(s - l) * wr + T.vexp(s - loadPartial(columnLSE + j, n - j, pad: 0)) * wc, row + j, n - j)
    }
}

/// log Σᵢ exp(s[i][j]) for each column j of a row-major `rows × columns` matrix (rows `ld`
/// apart), shifted by the column maximum like ``stridedLogSumExp(_:_:stride:)``. Threads take
/// panels of columns and walk down all rows, so each column is summed in row order whatever the
/// thread count.
@inlinable
func columnLogSumExp<T: LossScalar>(
    _ s: UnsafePointer<T>, rows n: Int, columns m: Int, ld: Int, into out: UnsafeMutablePointer<T>
) {
    let panel = 64
    let panels = (m + panel - 1) / panel
    forEachRange(panels, workPerItem: 3 * n * panel, limit: Parallelism.threadCount) { _, range in
        var maximum = [T](repeating: 0, count: panel), sum = [T](repeating: 0, count: panel)
        maximum.withUnsafeMutableBufferPointer { mb in
            sum.withUnsafeMutableBufferPointer { sb in
                let mx = mb.baseAddress!, sm = sb.baseAddress!
                for p in range {
                    let j0 = p * panel, width = min(panel, m - j0)
                    mx.update(repeating: -.infinity, count: panel)
                    sm.update(repeating: 0, count: panel)
                    // NaN is skipped by the maximum and reaches the result through the sum.
                    for i in 0..<n {
                        let row = s + i * ld + j0
                        var j = 0
                        while j + 8 <= width { store8(load8(mx + j).lanesMax(load8(row + j)), mx + j); j += 8 }
                        while j < width { if mx[j] < row[j] { mx[j] = row[j] }; j += 1 }
                    }
                    // A non-finite maximum (±inf) shifts by 0 (no inf − inf) and is the result itself.
                    for i in 0..<n {
                        let row = s + i * ld + j0
                        var j = 0
                        while j + 8 <= width {
                            let shift = load8(mx + j)
                            let finite = shift.magnitudeLanes .< T.infinity
                            store8(load8(sm + j) + T.vexp(load8(row + j) - shift.replacing(with: 0, where: .!finite)), sm + j)
                            j += 8
                        }
                        while j < width { sm[j] += T.exp(row[j] - (mx[j].isFinite ? mx[j] : 0)); j += 1 }
                    }
                    for j in 0..<width { out[j0 + j] = mx[j].isFinite ? mx[j] + T.log(sm[j]) : mx[j] }
                }
            }
        }
    }
}

/// g ← g + gᵀ for a square row-major n × n matrix, in place (nt-xent's and supcon's dS + dSᵀ).
/// Tiles of 64 × 64 are paired with their mirror; threads take tile rows I and T − 1 − I together
/// so the triangle splits evenly. Each element is one addition, so the split never changes it.
@inlinable
func addTransposeInPlace<T: LossScalar>(_ g: UnsafeMutablePointer<T>, _ n: Int) {
    let tile = 64
    let tiles = (n + tile - 1) / tile
    func tileRow(_ ti: Int) {
        let i0 = ti * tile, i1 = min(n, i0 + tile)
        for tj in ti..<tiles {
            let j0 = tj * tile, j1 = min(n, j0 + tile)
            for i in i0..<i1 {
                for j in Swift.max(j0, i)..<j1 {
                    let v = g[i * n + j] + g[j * n + i]
                    g[i * n + j] = v
                    g[j * n + i] = v
                }
            }
        }
    }
    let pairs = (tiles + 1) / 2
    forEachRange(pairs, workPerItem: tiles * tile * tile, limit: Parallelism.threadCount) { _, range in
        for p in range {
            tileRow(p)
            if tiles - 1 - p != p { tileRow(tiles - 1 - p) }
        }
    }
}

/// Rows prepared for the similarity product: x·scale / max(‖x‖₂, eps) when normalizing (the
/// norms ‖x‖₂ kept for the backward pass), x·scale otherwise; the input itself when there is
/// nothing to do.
@usableFromInline
struct NormalizedRows<T: LossScalar> {
    @usableFromInline let values: UnsafePointer<T>
    @usableFromInline let owned: UnsafeMutablePointer<T>?
    @usableFromInline let norms: UnsafeMutablePointer<T>?

    @inlinable
    init(_ x: UnsafePointer<T>, count n: Int, depth d: Int, normalize: Bool, scale: T) {
        guard normalize || scale != 1 else {
            values = x; owned = nil; norms = nil
            return
        }
        let out = MatrixMultiplyWorkspace<T>.allocate(n * d)
        let norms = normalize ? MatrixMultiplyWorkspace<T>.allocate(n) : nil
        let eps = T(contrastiveNormEpsilon)
        forEachRange(n, workPerItem: 2 * d, limit: Parallelism.threadCount) { _, range in
            for i in range {
                let row = x + i * d
                var factor = scale
                if let norms {
                    let norm = euclideanNorm(row, d)
                    norms[i] = norm
                    factor = scale / Swift.max(norm, eps)
                }
                scaleRow(row, by: factor, into: out + i * d, d)
            }
        }
        values = UnsafePointer(out); owned = out; self.norms = norms
    }

    @inlinable
    func release() {
        owned?.deallocate()
        norms?.deallocate()
    }
}

/// The backward pass of x̂ = x·scale / max(‖x‖, eps) (of x·scale without `norms`), in place:
/// g ← scale·(g − x̂ (x̂·g)) / ‖x‖ where ‖x‖ ≥ eps, g·scale/eps below (F.normalize's clamp,
/// through which no gradient reaches the norm).
@inlinable
func normalizationBackward<T: LossScalar>(
    _ x: UnsafePointer<T>, count n: Int, depth d: Int, norms: UnsafeMutablePointer<T>?, scale: T,
    gradient g: UnsafeMutablePointer<T>
) {
    let eps = T(contrastiveNormEpsilon)
    guard let norms else {
        if scale != 1 { scaleRow(g, by: scale, into: g, n * d) }  // the rows are one contiguous block
        return
    }
    forEachRange(n, workPerItem: 3 * d, limit: Parallelism.threadCount) { _, range in
        for i in range {
            let row = x + i * d, gi = g + i * d, norm = norms[i]
            guard norm >= eps else {
                scaleRow(gi, by: scale / eps, into: gi, d)
                continue
            }
            let inverse = 1 / norm
            // x̂·g with x̂ = x/‖x‖, then g − x̂(x̂·g), scaled: x̂ is formed before multiplying so
            // that neither a huge nor a tiny norm under- or overflows.
            let projection = dotProduct(row, UnsafePointer(gi), d) * inverse
            addScaled(row, -projection * inverse, to: gi, d)
            scaleRow(gi, by: scale * inverse, into: gi, d)
        }
    }
}
