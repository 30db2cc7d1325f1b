import RealModule
// Family B of LOSSES.md, the softmax classification losses: cross-entropy (class indices and
// probability targets), negative log-likelihood, focal and poly-1 losses, and the public one-hot
// and label-smoothing building blocks (family J).
//
// Layout: `input` is `[N, C, d1, ...]` (class dimension 1, as in PyTorch) or an unbatched `[C]`.
// For a position (n, d1, ...) the C logits are `inner` = d1·d2·… elements apart. Rows without
// spatial dimensions are contiguous and go through the fused row kernel; K-dimensional inputs are
// vectorized across eight neighbouring positions instead.

// MARK: - Layout and validation

/// Checks integer targets (shape and range) and an optional per-class weight against `layout`.
@inlinable
func validateLabels<T: LossScalar, L: BinaryInteger>(
    _ layout: ClassLayout, target: Tensor<L>, weight: Tensor<T>?, weightName: String = "weight", ignoreIndex: Int?
) throws(LossError) {
    try checkShape("target", target.shape, equals: layout.targetShape)
    if let w = weight { try checkShape(weightName, w.shape, equals: [layout.classes]) }
    try checkLabels("target", target, classCount: layout.classes, ignoreIndex: ignoreIndex)
}

/// Σ w[label] over the labels that are not `ignoreIndex` (the count when `weights` is nil):
/// the denominator of PyTorch's weighted `mean`.
@inlinable
func labelWeightSum<T: LossScalar, L: BinaryInteger>(
    _ labels: Tensor<L>, ignoreIndex: Int, weights: UnsafePointer<T>?
) -> T {
    labels.withUnsafeBufferPointer { b in
        var total: T = 0
        for l in b {
            let y = Int(truncatingIfNeeded: l)
            if y == ignoreIndex { continue }
            total += weights.map { $0[y] } ?? 1
        }
        return total
    }
}

// MARK: - Cross-entropy with class indices

/// The row terms of (weighted) cross-entropy: ℓ = −w_y·log p_y, ∂ℓ/∂x_j = w_y·(p_j − [j = y]).
@inlinable
func crossEntropyTerms<T: LossScalar>(_ row: LabelRow<T>) -> LabelRowTerms<T> {
    LabelRowTerms(loss: -row.weight * row.logProbability, probabilityCoefficient: row.weight, targetCoefficient: row.weight)
}

/// Cross-entropy of logits against class indices, with optional class weights, an ignored
/// label and label smoothing, combined exactly as PyTorch combines them.
///
/// ```
/// log pᵢ = log_softmax(inputᵢ) over the class dimension        (i = one position)
/// ℓᵢ = (1 − ε)·w_y·(−log pᵢ,y) + (ε/C)·Σ_c w_c·(−log pᵢ,c)      (ℓᵢ = 0 where yᵢ = ignoreIndex)
/// mean = Σᵢ ℓᵢ / Σᵢ w_yᵢ (over non-ignored positions) | sum = Σᵢ ℓᵢ | none = ℓ, shape of target
/// ```
/// `w_c = 1` without `weight`, ε = `labelSmoothing`. Both terms of the mean share the denominator
/// Σ w_y, which is what PyTorch does (so with weights and smoothing the "mean" is not a weighted
/// average of the smoothed terms).
///
/// Shapes: `input` `[N, C]`, `[N, C, d1, ...]` (class dimension 1) or unbatched `[C]`;
/// `target` `[N]`, `[N, d1, ...]` or 0-d; `weight` `[C]`.
///
/// Gradient, per position with p = softmax:
/// ```
/// ∂ℓᵢ/∂x_j = p_j·((1 − ε)·w_y + (ε/C)·Σ_c w_c) − (1 − ε)·w_y·[j = y] − (ε/C)·w_j
/// ```
/// divided by the mean's denominator for `mean`; zero for ignored positions.
///
/// - Parameters:
///   - input: logits.
///   - target: class indices in `0..<C`, or `ignoreIndex`.
///   - weight: optional per-class weights `[C]`.
///   - ignoreIndex: a label that contributes neither loss nor gradient nor weight (default −100);
///     `nil` ignores no label, and every label must then be a class index.
///   - labelSmoothing: ε ∈ [0, 1] (default 0).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]` for the value only.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for a 0-d input or an empty class
///   dimension; ``LossError/shapeMismatch(argument:expected:actual:)`` for `target` or `weight`;
///   ``LossError/labelOutOfRange(argument:label:classCount:index:)`` for a label outside `0..<C`
///   that is not `ignoreIndex`; ``LossError/invalidOption(name:value:expected:)`` for ε outside
///   [0, 1] or `batchmean`.
///
/// Edge cases: `mean` over no counted targets (empty batch, every target ignored, or zero total
/// weight) is NaN as in PyTorch, with a zero gradient; `sum` is 0. Logits of ±1e4 are exact
/// (shifted by the row maximum). A logit of +inf takes all the probability (split equally among
/// several +inf): the loss is 0 when it is the target, +inf otherwise, and the gradient is the
/// finite limit p − onehot, where PyTorch returns NaN. A row that is entirely −inf, or contains
/// NaN, gives NaN.
///
/// Matches `torch.nn.functional.cross_entropy` (PyTorch 2.x) with integer targets.
///
/// ```swift
/// let x = try Tensor(shape: [2, 3], scalars: [2, 1, 0, 0, 0, 3] as [Float])
/// let r = try crossEntropy(input: x, target: Tensor([0, 2] as [Int32]))
/// r.scalar                // 0.25126442   (= (0.40760595 + 0.09492292) / 2)
/// r.gradients[.input]     // [-0.16738, 0.12236, 0.04502, 0.02264, 0.02264, -0.04528]
/// ```
@inlinable
public func crossEntropy<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, weight: Tensor<T>? = nil, ignoreIndex: Int? = -100,
    labelSmoothing: T = 0, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("label-smoothing", labelSmoothing, expected: "a number in [0, 1]") { $0 >= 0 && $0 <= 1 }
    let layout = try ClassLayout(input: input.shape)
    try validateLabels(layout, target: target, weight: weight, ignoreIndex: ignoreIndex)
    let ignoreIndex = comparableIgnoreIndex(ignoreIndex)
    let denominator: T = withOptionalPointer(weight) { labelWeightSum(target, ignoreIndex: ignoreIndex, weights: $0) }
    let eps = labelSmoothing
    let smoothing = eps / T(layout.classes)
    let keep = 1 - eps
    if eps == 0 {
        return evaluateSoftmaxLabelLoss(
            input: input, target: target, layout: layout, weights: weight, ignoreIndex: ignoreIndex,
            reduction: reduction, denominator: denominator, wantsGradient: wrt.contains(.input),
            terms: crossEntropyTerms)
    }
    let total: T = withOptionalPointer(weight) { w in
        guard let w else { return T(layout.classes) }
        var s: T = 0
        for c in 0..<layout.classes { s += w[c] }
        return s
    }
    return evaluateSoftmaxLabelLoss(
        input: input, target: target, layout: layout, weights: weight, ignoreIndex: ignoreIndex,
        reduction: reduction, denominator: denominator, wantsGradient: wrt.contains(.input),
        needsLogProbabilitySum: true
    ) { row in
        let wy = keep * row.weight
        return LabelRowTerms(
            loss: -wy * row.logProbability - smoothing * row.weightedLogProbabilitySum,
            probabilityCoefficient: wy + smoothing * total, targetCoefficient: wy, uniformCoefficient: smoothing)
    }
}

// MARK: - Cross-entropy with probability targets

/// Cross-entropy of logits against class probabilities (soft labels), with optional class
/// weights and label smoothing, as PyTorch computes it for floating-point targets.
///
/// ```
/// t'_c = (1 − ε)·t_c + ε/C                                    (label smoothing)
/// ℓᵢ = −Σ_c w_c·t'ᵢ,c·log_softmax(inputᵢ)_c                   (i = one position)
/// mean = Σᵢ ℓᵢ / (number of positions = N·d1·…) | sum | none (shape [N, d1, ...] or [])
/// ```
/// Shapes: `input` and `target` `[N, C, d1, ...]` or `[C]`; `weight` `[C]`. Targets are not
/// required to sum to 1 (the loss is linear in them).
///
/// Gradients, with p = softmax(inputᵢ) and Qᵢ = Σ_c w_c·t'ᵢ,c:
/// ```
/// ∂ℓᵢ/∂input_c  = p_c·Qᵢ − w_c·t'ᵢ,c
/// ∂ℓᵢ/∂target_c = −(1 − ε)·w_c·log pᵢ,c
/// ```
/// divided by the number of positions for `mean`.
///
/// - Parameters:
///   - input: logits.
///   - target: probabilities, same shape as `input`.
///   - weight: optional per-class weights `[C]`.
///   - ignoreIndex: accepted only as `nil` or a negative value (default −100), where it has no effect;
///     a class index throws, as PyTorch raises for floating-point targets.
///   - labelSmoothing: ε ∈ [0, 1] (default 0).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: any of `.input`, `.target` (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if `target` or `weight` does
///   not fit `input`; ``LossError/invalidShape(argument:shape:reason:)`` for a 0-d input or an
///   empty class dimension; ``LossError/invalidOption(name:value:expected:)`` for ε outside [0, 1],
///   `batchmean`, or a non-negative `ignoreIndex`.
///
/// Edge cases: the mean of an empty batch is NaN (as PyTorch). A zero target entry contributes 0
/// even where log p = −inf (0·log 0 = 0), where PyTorch returns NaN; a non-zero target on a
/// −inf logit gives +inf, as it should. +inf logits are handled as in
/// ``crossEntropy(input:target:weight:ignoreIndex:labelSmoothing:reduction:wrt:)``.
///
/// Matches `torch.nn.functional.cross_entropy` (PyTorch 2.x) with probability targets.
///
/// ```swift
/// let x = try Tensor(shape: [1, 3], scalars: [2, 1, 0] as [Double])
/// let t = try Tensor(shape: [1, 3], scalars: [0.5, 0.5, 0] as [Double])
/// let r = try crossEntropy(input: x, target: t)
/// r.scalar               // 0.9076059644443804
/// r.gradients[.input]    // [0.16524, -0.25527, 0.09003]
/// r.gradients[.target]   // [0.40761, 1.40761, 2.40761]
/// ```
@inlinable
public func crossEntropy<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, weight: Tensor<T>? = nil, ignoreIndex: Int? = -100, labelSmoothing: T = 0,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    // PyTorch: "ignore_index is not supported for floating point target" (a negative index,
    // which can never name a class, is accepted and has no effect).
    if let ignoreIndex, ignoreIndex >= 0 {
        throw LossError.invalidOption(
            name: "ignore-index", value: String(ignoreIndex),
            expected: "a negative value (the default -100): probability targets have no ignored class")
    }
    try checkOption("label-smoothing", labelSmoothing, expected: "a number in [0, 1]") { $0 >= 0 && $0 <= 1 }
    let layout = try ClassLayout(input: input.shape)
    try checkShape("target", target.shape, equals: input.shape)
    if let w = weight { try checkShape("weight", w.shape, equals: [layout.classes]) }
    let plan = ReductionPlan<T>(reduction, denominator: T(layout.positions))
    let scale = plan.gradientScale
    let wantsInput = wrt.contains(.input), wantsTarget = wrt.contains(.target)
    var sum: T = 0
    var targetGradient: TensorBuffer<T>?
    let out = withLossOutputs(
        positions: layout.positions, wantsLosses: reduction == .none, gradientCount: input.count, wantsGradient: wantsInput
    ) { (losses: UnsafeMutablePointer<T>?, gx: UnsafeMutablePointer<T>?) in
        targetGradient = makeBuffers(count: input.count, wanted: [wantsTarget]) { (gt: [UnsafeMutablePointer<T>?]) in
            input.withUnsafeBufferPointer { xb in
                target.withUnsafeBufferPointer { tb in
                    withOptionalPointer(weight) { w in
                        let kernel = SoftmaxProbabilityKernel(
                            classes: layout.classes, weights: w, smoothing: labelSmoothing, scale: scale)
                        sum = kernel.run(layout, input: base(xb), target: base(tb), losses: losses,
                                         inputGradient: gx, targetGradient: gt[0])
                    }
                }
            }
        }[0]
    }
    var result = LossResult<T>(
        value: out.losses.map { Tensor(uncheckedShape: layout.targetShape, scalars: $0) } ?? Tensor(plan.value(fromSum: sum)))
    if let g = out.gradient { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
    if let g = targetGradient { result.gradients[.target] = Tensor(uncheckedShape: input.shape, scalars: g) }
    return result
}

/// The kernel of cross-entropy with probability targets: per position, the maximum, then one pass
/// for Σ e^(x−m), Q = Σ q and Σ q·(x − m) with q = w·t', then the gradient pass.
@usableFromInline
struct SoftmaxProbabilityKernel<T: LossScalar> {
    @usableFromInline let classes: Int
    @usableFromInline let weights: UnsafePointer<T>?
    /// 1 − ε and ε/C: t' = keep·t + spread.
    @usableFromInline let keep: T
    @usableFromInline let spread: T
    @usableFromInline let scale: T

    @inlinable
    init(classes: Int, weights: UnsafePointer<T>?, smoothing: T, scale: T) {
        self.classes = classes; self.weights = weights
        self.keep = 1 - smoothing; self.spread = smoothing / T(classes); self.scale = scale
    }

    @inlinable
    func run(
        _ layout: ClassLayout, input: UnsafePointer<T>, target: UnsafePointer<T>, losses: UnsafeMutablePointer<T>?,
        inputGradient: UnsafeMutablePointer<T>?, targetGradient: UnsafeMutablePointer<T>?
    ) -> T {
        let n = classes, inner = layout.inner
        return blockedSum(count: layout.positions, blockSize: max(1, Parallelism.grain / n)) { range in
            var total: T = 0
            for pos in range {
                let (sample, j) = pos.quotientAndRemainder(dividingBy: inner)
                let offset = sample * n * inner + j
                let l = inner == 1
                    ? contiguousRow(input + offset, target + offset, inputGradient.map { $0 + offset }, targetGradient.map { $0 + offset })
                    : stridedRow(input + offset, target + offset, stride: inner,
                                 inputGradient.map { $0 + offset }, targetGradient.map { $0 + offset })
                losses?[pos] = l
                total += l
            }
            return total
        }
    }

    @inlinable
    func contiguousRow(
        _ x: UnsafePointer<T>, _ t: UnsafePointer<T>, _ gx: UnsafeMutablePointer<T>?, _ gt: UnsafeMutablePointer<T>?
    ) -> T {
        let n = classes
        let m = rowMax(x, n)
        guard m.isFinite else { return stridedRow(x, t, stride: 1, gx, gt) }
        let mv = SIMD8<T>(repeating: m), kv = SIMD8<T>(repeating: keep), sv = SIMD8<T>(repeating: spread)
        var s = SIMD8<T>.zero, q = SIMD8<T>.zero, qd = SIMD8<T>.zero
        var i = 0
        while i < n {
            let k = min(8, n - i)
            let v = k == 8 ? load8(x + i) : loadPartial(x + i, k, pad: -.infinity)
            let tv = k == 8 ? load8(t + i) : loadPartial(t + i, k, pad: 0)
            let e = T.vexp(v - mv)
            if let gx { if k == 8 { store8(e, gx + i) } else { storePartial(e, gx + i, k) } }
            var qv = kv * tv + sv
            if let w = weights { qv *= k == 8 ? load8(w + i) : loadPartial(w + i, k, pad: 0) }
            if k < 8 { qv = qv.keepingFirstLanes(k) }
            s += e
            q += qv
            qd += zeroWhere(qv * (v - mv), qv .== 0)
            i += k
        }
        let sum = s.laneSum(), qSum = q.laneSum()
        let logS = T.log(sum)
        if let gx {
            // g = e·(Q/S) − q, from the exponentials stored in pass 2.
            let a = SIMD8<T>(repeating: scale * qSum / sum), sc = SIMD8<T>(repeating: scale)
            var i = 0
            while i < n {
                let k = min(8, n - i)
                let ev = k == 8 ? load8(gx + i) : loadPartial(gx + i, k, pad: 0)
                let tv = k == 8 ? load8(t + i) : loadPartial(t + i, k, pad: 0)
                var qv = kv * tv + sv
                if let w = weights { qv *= k == 8 ? load8(w + i) : loadPartial(w + i, k, pad: 0) }
                let g = ev * a - sc * qv
                if k == 8 { store8(g, gx + i) } else { storePartial(g, gx + i, k) }
                i += k
            }
        }
        if let gt {
            for c in 0..<n { gt[c] = -scale * keep * (weights.map { $0[c] } ?? 1) * ((x[c] - m) - logS) }
        }
        return qSum * logS - qd.laneSum()
    }

    @inlinable
    func stridedRow(
        _ x: UnsafePointer<T>, _ t: UnsafePointer<T>, stride: Int, _ gx: UnsafeMutablePointer<T>?, _ gt: UnsafeMutablePointer<T>?
    ) -> T {
        let n = classes
        guard let m = finiteRowShift(x, n, stride: stride, nanFilling: gx, gt) else { return .nan }
        @inline(__always) func shifted(_ v: T) -> T { v == m ? 0 : v - m }
        @inline(__always) func q(_ c: Int) -> T { (keep * t[c * stride] + spread) * (weights.map { $0[c] } ?? 1) }
        var s: T = 0, qSum: T = 0, qd: T = 0
        for c in 0..<n {
            let d = shifted(x[c * stride])
            s += T.exp(d)
            let qc = q(c)
            qSum += qc
            if qc != 0 { qd += qc * d }
        }
        let logS = T.log(s)
        if let gx {
            let a = scale * qSum / s
            for c in 0..<n { gx[c * stride] = T.exp(shifted(x[c * stride])) * a - scale * q(c) }
        }
        if let gt {
            for c in 0..<n {
                gt[c * stride] = -scale * keep * (weights.map { $0[c] } ?? 1) * (shifted(x[c * stride]) - logS)
            }
        }
        return qSum * logS - qd
    }
}

// MARK: - Negative log-likelihood

/// Negative log-likelihood of log-probabilities at class indices, with optional class weights
/// and an ignored label.
///
/// ```
/// ℓᵢ = −w_y·inputᵢ,y      (0 where yᵢ = ignoreIndex)
/// mean = Σᵢ ℓᵢ / Σᵢ w_yᵢ (non-ignored) | sum | none (shape of target)
/// ∂ℓᵢ/∂inputᵢ,c = −w_y·[c = y]   (divided by Σ w_y for mean)
/// ```
/// Shapes: `input` `[N, C, d1, ...]` or `[C]`; `target` `[N, d1, ...]` or 0-d; `weight` `[C]`.
/// `input` is normally log_softmax of logits, but any values are accepted (as in PyTorch).
///
/// - Parameters:
///   - input: log-probabilities.
///   - target: class indices in `0..<C`, or `ignoreIndex`.
///   - weight: optional per-class weights `[C]`.
///   - ignoreIndex: a label with no loss, gradient or weight (default −100; `nil`: none).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: as ``crossEntropy(input:target:weight:ignoreIndex:labelSmoothing:reduction:wrt:)``.
///
/// Edge cases: `mean` with no counted target is NaN (gradient zero), `sum` is 0; −inf
/// log-probabilities give +inf. Matches `torch.nn.functional.nll_loss`.
///
/// ```swift
/// let lp = try Tensor(shape: [2, 2], scalars: [-0.1, -2.3, -1.2, -0.4] as [Double])
/// let r = try negativeLogLikelihood(input: lp, target: Tensor([0, 1] as [Int]))
/// r.scalar               // 0.25   (= (0.1 + 0.4) / 2)
/// r.gradients[.input]    // [-0.5, 0, 0, -0.5]
/// ```
@inlinable
public func negativeLogLikelihood<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, weight: Tensor<T>? = nil, ignoreIndex: Int? = -100,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    let layout = try ClassLayout(input: input.shape)
    try validateLabels(layout, target: target, weight: weight, ignoreIndex: ignoreIndex)
    let ignoreIndex = comparableIgnoreIndex(ignoreIndex)
    let denominator: T = withOptionalPointer(weight) { labelWeightSum(target, ignoreIndex: ignoreIndex, weights: $0) }
    let plan = ReductionPlan<T>(reduction, denominator: denominator)
    let scale = plan.gradientScale
    let (n, inner) = (layout.classes, layout.inner)
    var sum: T = 0
    let out = withLossOutputs(
        positions: layout.positions, wantsLosses: reduction == .none,
        gradientCount: input.count, wantsGradient: wrt.contains(.input)
    ) { (losses: UnsafeMutablePointer<T>?, gradient: UnsafeMutablePointer<T>?) in
        gradient?.initialize(repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { xb in
            target.withUnsafeBufferPointer { yb in
                withOptionalPointer(weight) { w in
                    for pos in 0..<layout.positions {
                        let y = Int(truncatingIfNeeded: yb[pos])
                        var l: T = 0
                        if y != ignoreIndex {
                            let (sample, j) = pos.quotientAndRemainder(dividingBy: inner)
                            let at = (sample * n + y) * inner + j
                            let wy = w.map { $0[y] } ?? 1
                            l = -wy * xb[at]
                            gradient?[at] = -wy * scale
                        }
                        losses?[pos] = l
                        sum += l
                    }
                }
            }
        }
    }
    var result = LossResult<T>(
        value: out.losses.map { Tensor(uncheckedShape: layout.targetShape, scalars: $0) } ?? Tensor(plan.value(fromSum: sum)))
    if let g = out.gradient { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
    return result
}

// MARK: - Focal loss

/// The α of ``focalLoss(input:target:alpha:gamma:ignoreIndex:reduction:wrt:)``: one factor for
/// every class, or one per class. A number literal is a uniform α.
///
/// ```swift
/// try focalLoss(input: x, target: y, alpha: 0.25)                 // α_y = 0.25 for every class
/// try focalLoss(input: x, target: y, alpha: .perClass(weights))   // α_y = weights[y]
/// ```
public enum FocalAlpha<T: LossScalar>: Sendable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    /// The same α for every class (1: no class balancing).
    case uniform(T)
    /// α_c per class, a `[C]` tensor.
    case perClass(Tensor<T>)

    @inlinable public init(floatLiteral value: Double) { self = .uniform(T(value)) }
    @inlinable public init(integerLiteral value: Int) { self = .uniform(T(value)) }
}

/// Focal loss: cross-entropy down-weighted on well-classified positions by (1 − p_y)^γ
/// (Lin et al. 2017), for softmax over classes with class-index targets.
///
/// ```
/// ℓᵢ = −α_y·(1 − p_y)^γ·log p_y        (0 where yᵢ = ignoreIndex)
/// mean = Σᵢ ℓᵢ / (number of non-ignored positions) | sum | none (shape of target)
/// ```
/// log p_y comes from log-softmax and 1 − p_y from Σ_{c≠y} p_c (so it keeps full relative
/// precision as p_y → 1); (1 − p_y)^γ = exp(γ·log(1 − p_y)), and 1 when γ = 0.
///
/// Gradient, with l = log p_y, q = 1 − p_y and r = l/q (→ −1 as q → 0):
/// ```
/// dℓ/dl = −α_y·q^γ·(1 − γ·p_y·r)
/// ∂ℓᵢ/∂x_j = dℓ/dl·([j = y] − p_j)
/// ```
/// Written with r the gradient stays finite for γ ∈ (0, 1) at saturation (p_y → 1), where the
/// naive (1 − p)^(γ−1) overflows.
///
/// Shapes: as ``crossEntropy(input:target:weight:ignoreIndex:labelSmoothing:reduction:wrt:)``;
/// a per-class α is `[C]`.
///
/// - Parameters:
///   - input: logits `[N, C, ...]` or `[C]`.
///   - target: class indices, or `ignoreIndex`.
///   - alpha: `.uniform(a)` (a number literal works), `.perClass(tensor)`, or `nil` (default)
///     for no α weighting (α = 1 for every class).
///   - gamma: γ ≥ 0 (default 2); γ = 0 gives cross-entropy weighted by α.
///   - ignoreIndex: a label with no loss or gradient (default −100; `nil`: none).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: the errors of cross-entropy; `invalidOption("gamma")` for γ < 0 or not finite;
///   `shapeMismatch("alpha")` for a per-class α that is not `[C]`.
///
/// Edge cases: `mean` divides by the number of non-ignored targets, not by Σ α (NaN when there is
/// none). γ = 0 with α = 1 equals cross-entropy. Reference: the formula above written in PyTorch
/// and differentiated by autograd (in float64, since float32 rounds 1 − p_y to 0 at saturation).
///
/// ```swift
/// let x = try Tensor(shape: [2, 3], scalars: [2, 1, 0, 0, 0, 3] as [Double])
/// let r = try focalLoss(input: x, target: Tensor([0, 2] as [Int]))
/// r.scalar              // 0.023228110682913274   (= (0.0456778 + 0.0007784) / 2)
/// ```
@inlinable
public func focalLoss<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, alpha: FocalAlpha<T>? = nil, gamma: T = 2,
    ignoreIndex: Int? = -100, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("gamma", gamma, expected: "a finite number ≥ 0") { $0 >= 0 && $0.isFinite }
    let layout = try ClassLayout(input: input.shape)
    var alphaTensor: Tensor<T>?
    var uniformAlpha: T = 1
    switch alpha {
    case nil: break
    case .uniform(let a)?: uniformAlpha = a
    case .perClass(let t)?: alphaTensor = t
    }
    try validateLabels(layout, target: target, weight: alphaTensor, weightName: "alpha", ignoreIndex: ignoreIndex)
    let ignoreIndex = comparableIgnoreIndex(ignoreIndex)
    let count: T = labelWeightSum(target, ignoreIndex: ignoreIndex, weights: nil)
    return evaluateSoftmaxLabelLoss(
        input: input, target: target, layout: layout, weights: alphaTensor, ignoreIndex: ignoreIndex,
        reduction: reduction, denominator: count, wantsGradient: wrt.contains(.input), needsComplement: gamma != 0
    ) { row in
        let a = uniformAlpha * row.weight
        let l = row.logProbability, q = row.complement, p = row.probability
        if gamma == 0 {
            return LabelRowTerms(loss: -a * l, probabilityCoefficient: a, targetCoefficient: a)
        }
        let modulator = T.exp(gamma * T.log(q))  // q = 0 → 0
        let r = q > 0 ? l / q : -1               // log p / (1 − p) → −1 as p → 1
        let pr = p == 0 ? 0 : p * r              // p·log p → 0 as p → 0
        let dl = -a * modulator * (1 - gamma * pr)
        // ∂ℓ/∂x_j = dl·([j = y] − p_j) = (−dl)·p_j − (−dl)·[j = y]; at j = y it is dl·(1 − p_y).
        return LabelRowTerms(
            loss: -a * modulator * l, probabilityCoefficient: -dl, targetCoefficient: -dl, targetDerivative: dl * q)
    }
}

// MARK: - Poly-1

/// Poly-1 cross-entropy (Leng et al. 2022, "PolyLoss"): cross-entropy plus ε times the first
/// polynomial term 1 − p_y.
///
/// ```
/// ℓᵢ = w_y·(−log p_y) + ε·(1 − p_y)        (0 where yᵢ = ignoreIndex)
/// mean = Σᵢ ℓᵢ / (number of non-ignored positions) | sum | none (shape of target)
/// ∂ℓᵢ/∂x_j = (w_y + ε·p_y)·(p_j − [j = y])
/// ```
/// Class weights multiply only the cross-entropy term and `mean` divides by the number of
/// non-ignored positions: this is the common PyTorch implementation of PolyLoss
/// (`CrossEntropyLoss(weight=w, reduction="none")(x, y) + ε·(1 − p_t)`, then `.mean()`). With
/// weights, ε = 0 therefore equals cross-entropy with `sum`/`none`, while cross-entropy's `mean`
/// divides by Σ w_y instead.
///
/// - Parameters:
///   - input: logits `[N, C, ...]` or `[C]`.
///   - target: class indices, or `ignoreIndex`.
///   - weight: optional per-class weights `[C]` for the cross-entropy term.
///   - epsilon: ε (default 1; the paper uses values in [−1, ∞)).
///   - ignoreIndex: a label with no loss or gradient (default −100; `nil`: none).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: the errors of cross-entropy; `invalidOption("epsilon")` for a non-finite ε.
///
/// Edge cases as cross-entropy (NaN mean with no counted target).
///
/// ```swift
/// let x = try Tensor(shape: [2, 3], scalars: [2, 1, 0, 0, 0, 3] as [Double])
/// let r = try poly1CrossEntropy(input: x, target: Tensor([0, 2] as [Int]))
/// r.scalar              // 0.4639224832888888   (= (0.7423650 + 0.1854800) / 2)
/// ```
@inlinable
public func poly1CrossEntropy<T: LossScalar, L: BinaryInteger>(
    input: Tensor<T>, target: Tensor<L>, weight: Tensor<T>? = nil, epsilon: T = 1, ignoreIndex: Int? = -100,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("epsilon", epsilon, expected: "a finite number") { $0.isFinite }
    let layout = try ClassLayout(input: input.shape)
    try validateLabels(layout, target: target, weight: weight, ignoreIndex: ignoreIndex)
    let ignoreIndex = comparableIgnoreIndex(ignoreIndex)
    let count: T = labelWeightSum(target, ignoreIndex: ignoreIndex, weights: nil)
    return evaluateSoftmaxLabelLoss(
        input: input, target: target, layout: layout, weights: weight, ignoreIndex: ignoreIndex,
        reduction: reduction, denominator: count, wantsGradient: wrt.contains(.input)
    ) { row in
        let c = row.weight + epsilon * row.probability
        return LabelRowTerms(
            loss: -row.weight * row.logProbability + epsilon * (1 - row.probability),
            probabilityCoefficient: c, targetCoefficient: c)
    }
}
