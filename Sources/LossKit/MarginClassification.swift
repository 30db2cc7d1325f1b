import RealModule
// Family B of LOSSES.md, margin (hinge) losses: multi-margin, multilabel-margin, hinge-embedding,
// hinge, squared-hinge, categorical-hinge.
//
// Subgradients at a kink follow the reference: a hinge max(0, z) passes no gradient at z = 0
// (PyTorch's multi-margin and multilabel-margin test z > 0), except hinge-embedding, whose
// reference clamps with clamp_min and passes the gradient at margin − x = 0.

// MARK: - Multi-class margin

/// The multi-class hinge loss of Weston & Watkins / Crammer & Singer as PyTorch defines it.
///
/// ```
/// ℓₙ = (1/C) Σ_{c ≠ yₙ} w_{yₙ} · max(0, margin − x_{n,yₙ} + x_{n,c})^p        p ∈ {1, 2}
/// loss = mean over N of ℓ (default) | Σ ℓ | ℓ (none, shape [N])
/// ```
/// Gradients, for every c ≠ y with z_c = margin − x_y + x_c > 0 (0 elsewhere, including z_c = 0):
/// ```
/// ∂ℓₙ/∂x_{n,c} = w_y · (p = 1 ? 1 : 2·z_c) / C        ∂ℓₙ/∂x_{n,y} = −Σ_{c ≠ y} ∂ℓₙ/∂x_{n,c}
/// ```
/// - Parameters:
///   - input: scores `[N, C]`, `[C]` for one sample, or 0-d for one sample of one class (as
///     PyTorch accepts; the loss and gradient are then 0).
///   - target: class indices `[N]` (for `[C]` input: a 0-d or one-element target, whose shape
///     the `none` output takes).
///   - p: the exponent, 1 or 2 (default 1).
///   - margin: the margin (default 1).
///   - weight: optional class weights `[C]`; the weight of the target class scales the sample.
///     It does not change the mean's denominator (N).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `.input` (default).
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/invalidOption(name:value:expected:)`` for p ∉ {1, 2}, a non-finite
///   margin or `batchmean`; ``LossError/invalidShape(argument:shape:reason:)`` for an input of
///   rank other than 1 or 2 or an empty class dimension;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` for `target` or `weight`;
///   ``LossError/labelOutOfRange(argument:label:classCount:index:)`` for a label outside 0..<C.
///
/// Edge cases: the mean over an empty batch is NaN (PyTorch returns an uninitialized value).
///
/// Matches `torch.nn.functional.multi_margin_loss`.
///
/// ```swift
/// let x = try Tensor(shape: [1, 3], scalars: [0.1, 0.2, 0.4] as [Double])
/// let r = try multiMarginLoss(input: x, target: Tensor([1]))
/// r.scalar                 // 0.7000000000000001   (((1 − 0.2 + 0.1) + (1 − 0.2 + 0.4)) / 3)
/// r.gradients[.input]      // [[0.3333333333333333, -0.6666666666666666, 0.3333333333333333]]
/// ```
@inlinable
public func multiMarginLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, p: T = 1, margin: T = 1, weight: Tensor<T>? = nil,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    if input.rank == 0 {
        return try singleClass(input) { (x: Tensor<T>) throws(LossError) -> LossResult<T> in
            try multiMarginLoss(input: x, target: target, p: p, margin: margin, weight: weight, reduction: reduction, wrt: wrt)
        }
    }
    try reduction.validate()
    try checkOption("p", p, expected: "1 or 2") { $0 == 1 || $0 == 2 }
    try checkOption("margin", margin, expected: "a finite number") { $0.isFinite }
    let classes = try classDimension(of: input, ranks: 1...2)
    let rows = input.count / classes
    let valueShape: [Int]
    if input.rank == 2 {
        try checkShape("target", target.shape, equals: [rows])
        valueShape = [rows]
    } else {
        guard target.count == 1 && target.rank <= 1 else {
            throw LossError.shapeMismatch(argument: "target", expected: [], actual: target.shape)
        }
        valueShape = target.shape
    }
    try checkLabels("target", target, classCount: classes, ignoreIndex: nil)
    if let weight { try checkShape("weight", weight.shape, equals: [classes]) }
    let labels = target.scalars.map { Int($0) }
    let squared = p == 2
    return withWeights(weight, count: classes) { w in
        evaluateRows(input, rowLength: classes, valueShape: valueShape, wrt: wrt, reduction: reduction,
                     gradientFactor: 1 / T(classes)) { row, x, grad, scale in
            let y = labels[row]
            let wy = w[y]
            let shift = SIMD8<T>(repeating: margin - x[y])
            let gradScale = SIMD8<T>(repeating: wy * scale)
            var acc = SIMD8<T>.zero
            var targetGrad = SIMD8<T>.zero
            var c = 0
            while c < classes {
                let n = min(8, classes - c)
                let xv = n == 8 ? load8(x + c) : loadPartial(x + c, n, pad: -.infinity)
                let z = shift + xv
                // z > 0 is false for the padding (−inf) and for NaN, as in the reference.
                let skip = .!(z .> 0) .| lane(y - c, of: T.self)
                acc += zeroWhere(squared ? z * z : z, skip)
                if let grad {
                    let g = zeroWhere(squared ? 2 * z : SIMD8(repeating: 1), skip) * gradScale
                    targetGrad += g
                    if n == 8 { store8(g, grad + c) } else { storePartial(g, grad + c, n) }
                }
                c += 8
            }
            if let grad { grad[y] = -targetGrad.laneSum() }
            return wy * acc.laneSum() / T(classes)
        }
    }
}

// MARK: - Multi-label margin

/// The multi-label hinge loss: every target class should score at least 1 above every non-target.
///
/// ```
/// Yₙ = the labels of row n before its first −1      (a label listed twice counts twice)
/// ℓₙ = (1/C) Σ_{j ∈ Yₙ} Σ_{i ∉ Yₙ} max(0, 1 − (x_{n,j} − x_{n,i}))
/// loss = mean over N of ℓ (default) | Σ ℓ | ℓ (none, shape [N])
/// ```
/// Gradient: each pair (j, i) with 1 − x_j + x_i > 0 adds −1/C to ∂ℓ/∂x_j and +1/C to ∂ℓ/∂x_i.
///
/// - Parameters:
///   - input: scores `[N, C]`, or `[C]` for one sample (`none` then gives a 0-d tensor), or 0-d
///     (one class, with a 0-d target; as PyTorch accepts, the loss and gradient are then 0).
///   - target: the input's shape; each row lists class indices, padded with −1.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `.input` (default).
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/labelOutOfRange(argument:label:classCount:index:)`` for any target
///   value outside −1..<C (anywhere in the row, as the reference checks);
///   ``LossError/shapeMismatch(argument:expected:actual:)``;
///   ``LossError/invalidShape(argument:shape:reason:)`` for rank ∉ {1, 2} or C = 0;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: a row without labels (all −1) has loss 0. The mean over an empty batch is NaN
/// (PyTorch returns 0).
///
/// Matches `torch.nn.functional.multilabel_margin_loss`.
///
/// ```swift
/// let x = try Tensor(shape: [1, 4], scalars: [0.1, 0.2, 0.4, 0.8] as [Double])
/// let y = try Tensor(shape: [1, 4], scalars: [3, 0, -1, 1] as [Int])
/// try multilabelMarginLoss(input: x, target: y).scalar   // 0.8500000000000001
/// ```
@inlinable
public func multilabelMarginLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    if input.rank == 0 {
        try checkShape("target", target.shape, equals: [])
        let target = Tensor(uncheckedShape: [1], scalars: target.scalars)
        return try singleClass(input) { (x: Tensor<T>) throws(LossError) -> LossResult<T> in try multilabelMarginLoss(input: x, target: target, reduction: reduction, wrt: wrt) }
    }
    try reduction.validate()
    let classes = try classDimension(of: input, ranks: 1...2)
    try checkShape("target", target.shape, equals: input.shape)
    try checkLabels("target", target, classCount: classes, ignoreIndex: -1)
    let labels = target.scalars.map { Int($0) }
    return evaluateRows(input, rowLength: classes, valueShape: Array(input.shape.dropLast()), wrt: wrt,
                        reduction: reduction, gradientFactor: 1 / T(classes)) { row, x, grad, scale in
        let y = labels[(row * classes)..<((row + 1) * classes)]
        let count = y.firstIndex(of: -1).map { $0 - y.startIndex } ?? classes
        grad?.update(repeating: 0, count: classes)
        guard count > 0 else { return 0 }
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: classes) { isTarget in
            isTarget.initialize(repeating: false)
            for k in 0..<count { isTarget[y[y.startIndex + k]] = true }
            var total: T = 0
            for k in 0..<count {
                let j = y[y.startIndex + k]
                let shift = 1 - x[j]
                var hits = 0
                for i in 0..<classes where !isTarget[i] {
                    let z = shift + x[i]
                    if z > 0 {
                        total += z
                        hits += 1
                        grad?[i] += scale
                    }
                }
                grad?[j] -= T(hits) * scale
            }
            return total / T(classes)
        }
    }
}

// MARK: - Hinge embedding

/// The hinge embedding loss: the distance itself for similar pairs, a hinge on it for dissimilar ones.
///
/// ```
/// ℓᵢ = xᵢ                     if tᵢ = 1
///      max(0, margin − xᵢ)    if tᵢ = −1
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the input's shape)
/// ∂ℓᵢ/∂xᵢ = 1 if tᵢ = 1;  −1 if tᵢ = −1 and margin − xᵢ ≥ 0 (the reference's clamp_min); else 0
/// ```
/// - Parameters:
///   - input: distances (or any scores), any shape.
///   - target: the input's shape, each −1 or 1.
///   - margin: default 1.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `.input` (default).
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a target other than
///   ±1 (PyTorch silently mixes both branches for other values);
///   ``LossError/shapeMismatch(argument:expected:actual:)``;
///   ``LossError/invalidOption(name:value:expected:)`` for a non-finite margin or `batchmean`.
///
/// Matches `torch.nn.functional.hinge_embedding_loss`.
///
/// ```swift
/// let r = try hingeEmbeddingLoss(input: Tensor([0.3, 0.4] as [Double]), target: Tensor([1, -1]))
/// r.scalar                 // 0.44999999999999996   ((0.3 + (1 − 0.4)) / 2)
/// ```
@inlinable
public func hingeEmbeddingLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, margin: T = 1, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("margin", margin, expected: "a finite number") { $0.isFinite }
    try checkShape("target", target.shape, equals: input.shape)
    try checkSignLabels("target", target, allowZeroOne: false)
    let m = SIMD8<T>(repeating: margin)
    return evaluateElementwise([(input, .input), (target, nil)], wrt: wrt, reduction: reduction, pads: (0, 1, 0)) { x, t, _ in
        let similar = t .== 1
        let gap = m - x
        let loss = gap.positivePart.replacing(with: x, where: similar)
        let d = SIMD8<T>(repeating: -1).replacing(with: 0, where: gap .< 0).replacing(with: 1, where: similar)
        return LaneTerms(loss: loss, d0: d)
    }
}

// MARK: - Hinge and squared hinge (Keras)

/// The binary hinge loss of support vector machines, elementwise.
///
/// ```
/// sᵢ = tᵢ, with 0 mapped to −1 (targets are {−1, 1} or {0, 1})
/// ℓᵢ = max(0, 1 − sᵢ·xᵢ)
/// loss = mean ℓ (default, over all elements) | Σ ℓ | ℓ (none, the input's shape)
/// ∂ℓᵢ/∂xᵢ = −sᵢ where 1 − sᵢ·xᵢ > 0, else 0 (no gradient at the kink)
/// ```
/// - Parameters:
///   - input: decision values, any shape.
///   - target: the input's shape, all in {−1, 1} or all in {0, 1}.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `.input` (default).
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a target outside
///   {−1, 0, 1}, or one that mixes 0 and −1; ``LossError/shapeMismatch(argument:expected:actual:)``;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Matches Keras `keras.losses.hinge` (which averages over the last axis first; for `mean` the
/// result is the same), written in PyTorch as `relu(1 − s·x)` for the reference.
///
/// ```swift
/// let r = try hingeLoss(input: Tensor([0.3, -2] as [Double]), target: Tensor([1, 0]))
/// r.scalar                 // 0.35   ((0.7 + 0) / 2)
/// r.gradients[.input]      // [-0.5, 0.0]
/// ```
@inlinable
public func hingeLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try evaluateHinge(input: input, target: target, reduction: reduction, wrt: wrt) { s, h in
        let inactive = .!(h .> 0)
        return LaneTerms(loss: h.replacing(with: 0, where: inactive), d0: (-s).replacing(with: 0, where: inactive))
    }
}

/// The squared hinge loss, elementwise: a differentiable hinge.
///
/// ```
/// sᵢ = tᵢ, with 0 mapped to −1
/// ℓᵢ = max(0, 1 − sᵢ·xᵢ)²
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the input's shape)
/// ∂ℓᵢ/∂xᵢ = −2·sᵢ·max(0, 1 − sᵢ·xᵢ)
/// ```
/// - Parameters: as ``hingeLoss(input:target:reduction:wrt:)``.
/// - Returns: the loss and the requested gradient.
/// - Throws: as ``hingeLoss(input:target:reduction:wrt:)``.
///
/// Matches Keras `keras.losses.squared_hinge` (elementwise, then reduced; not Swift for
/// TensorFlow's variant that squares the mean), written in PyTorch as `relu(1 − s·x)²`.
///
/// ```swift
/// let r = try squaredHingeLoss(input: Tensor([0.3, -2] as [Double]), target: Tensor([1, 0]))
/// r.scalar                 // 0.24499999999999997   ((0.49 + 0) / 2)
/// ```
@inlinable
public func squaredHingeLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try evaluateHinge(input: input, target: target, reduction: reduction, wrt: wrt) { s, h in
        let r = h.positivePart
        return LaneTerms(loss: r * r, d0: -2 * s * r)
    }
}

/// The shared body of the Keras hinges: checks the targets ({−1, 1} or {0, 1}) and runs
/// `terms(s, h)` elementwise, with s the target mapped to ±1 and h = 1 − s·x.
@inlinable @inline(__always)
func evaluateHinge<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction, wrt: Set<LossArgument>,
    _ terms: (_ s: SIMD8<T>, _ h: SIMD8<T>) -> LaneTerms<T>
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkShape("target", target.shape, equals: input.shape)
    try checkSignLabels("target", target, allowZeroOne: true)
    return evaluateElementwise([(input, .input), (target, nil)], wrt: wrt, reduction: reduction) { x, t, _ in
        let s = t.replacing(with: -1, where: t .== 0)
        return terms(s, 1 - s * x)
    }
}

// MARK: - Categorical hinge (Keras)

/// The multi-class hinge of Crammer & Singer on one-hot targets: the best wrong score should
/// stay 1 below the true score.
///
/// ```
/// posₙ = Σ_c t_nc·x_nc        negₙ = max_c (1 − t_nc)·x_nc
/// ℓₙ = max(0, 1 + negₙ − posₙ)
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the input's shape without the last dimension)
/// ∂ℓₙ/∂x_nc = −t_nc + (1 − t_nc)·[c = argmax]      where 1 + neg − pos > 0, else 0
/// ```
/// The argmax is the first index of the maximum. Products with a zero factor are 0 even for an
/// infinite score (so x = ±inf in the target class gives the limit, where Keras gives NaN).
///
/// - Parameters:
///   - input: scores `[..., C]` (usually `[N, C]`).
///   - target: one-hot (or soft) targets, the input's shape.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `.input` (default).
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for a 0-d input or C = 0;
///   ``LossError/shapeMismatch(argument:expected:actual:)``;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Matches Keras `keras.losses.categorical_hinge`, written in PyTorch for the reference.
///
/// ```swift
/// let x = try Tensor(shape: [1, 3], scalars: [0.5, 0.2, 0.9] as [Double])
/// let t = try Tensor(shape: [1, 3], scalars: [1, 0, 0] as [Double])
/// try categoricalHingeLoss(input: x, target: t).scalar   // 1.4   (1 + 0.9 − 0.5)
/// ```
@inlinable
public func categoricalHingeLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    let classes = try classDimension(of: input, ranks: 1...Int.max)
    try checkShape("target", target.shape, equals: input.shape)
    return target.withUnsafeBufferPointer { tb in
        let target = base(tb)
        return evaluateRows(input, rowLength: classes, valueShape: Array(input.shape.dropLast()), wrt: wrt,
                            reduction: reduction) { row, x, grad, scale in
            let t = target + row * classes
            var pos: T = 0
            var neg = -T.infinity, argmax = 0
            var nan = false
            for c in 0..<classes {
                let (tc, xc) = (t[c], x[c])
                if tc != 0 { pos += tc * xc }
                let other = tc == 1 ? 0 : (1 - tc) * xc
                if other.isNaN { nan = true } else if other > neg { neg = other; argmax = c }
            }
            let h = 1 + neg - pos
            if let grad {
                if h > 0 {
                    for c in 0..<classes { grad[c] = -t[c] * scale }
                    grad[argmax] += (1 - t[argmax]) * scale
                } else {
                    grad.update(repeating: h.isNaN || nan ? .nan : 0, count: classes)
                }
            }
            return nan ? .nan : Swift.max(h, 0)
        }
    }
}

// MARK: - Helpers

/// A 0-d input of the multi-class margin losses, which PyTorch reads as one sample of one class:
/// `body` evaluates the input as `[1]`, and the input gradient gets the 0-d shape back.
@inlinable
func singleClass<T: LossScalar>(
    _ input: Tensor<T>, _ body: (Tensor<T>) throws(LossError) -> LossResult<T>
) throws(LossError) -> LossResult<T> {
    var result = try body(Tensor(uncheckedShape: [1], scalars: input.scalars))
    if let g = result.gradients[.input] { result.gradients[.input] = Tensor(uncheckedShape: [], scalars: g.scalars) }
    return result
}
