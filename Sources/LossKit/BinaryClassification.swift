import RealModule
// Family B of LOSSES.md, binary and multi-label losses on probabilities and logits:
// bce, bce-with-logits, sigmoid-focal, soft-margin, multilabel-soft-margin.
//
// All of them are elementwise in the logit (or probability) and share one numerical core: for a
// logit x, e = e^(−|x|) is the only exponential, and
//   L = log(1 + e)            so that  softplus(x) = relu(x) + L,  softplus(−x) = relu(−x) + L
//   σ(−|x|) = e / (1 + e)     so that  σ(x) and σ(−x) are both accurate to a relative ulp.
// Writing the losses with relu(±x) and L separately keeps them finite at x = ±inf wherever the
// limit is finite (0·inf never meets a zero coefficient: those products are selected to 0).

// MARK: - Binary cross-entropy on probabilities

/// Binary cross-entropy between probabilities and targets, with PyTorch's clamp of each log at −100.
///
/// ```
/// ℓᵢ = −wᵢ · [ tᵢ · max(log pᵢ, −100) + (1 − tᵢ) · max(log(1 − pᵢ), −100) ]
/// loss = mean ℓ (default, over all elements) | Σ ℓ | ℓ (none, the input's shape)
/// ```
/// `p` = `input` ∈ [0, 1], `t` = `target` ∈ [0, 1] (same shape), `w` = `weight` broadcast to the
/// input's shape (default 1; any shape that broadcasts to the input's, e.g. `[C]` or `[N, 1]`).
/// The weight does not change the mean's denominator (the element count).
///
/// Gradients (before the reduction's 1/count):
/// ```
/// ∂ℓᵢ/∂pᵢ = wᵢ · (pᵢ − tᵢ) / max((1 − pᵢ)·pᵢ, ε)          ε = 1e-12 (PyTorch's float constant)
/// ∂ℓᵢ/∂tᵢ = wᵢ · [ max(log(1 − pᵢ), −100) − max(log pᵢ, −100) ]
/// ```
/// The input gradient is PyTorch's, with its ε in the denominator, so it is finite (about
/// ±1e12·w) at p = 0 and p = 1. The target gradient is the exact derivative of the clamped loss,
/// finite everywhere (±100 at p = 0 or 1).
///
/// - Parameters:
///   - input: probabilities in [0, 1], any shape.
///   - target: probabilities in [0, 1], the input's shape.
///   - weight: optional rescaling, broadcastable to the input's shape (no gradient).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for: `.input`, `.target` (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` when `target`'s shape differs;
///   ``LossError/invalidShape(argument:shape:reason:)`` when `weight` does not broadcast;
///   ``LossError/valueOutOfRange(argument:value:index:expected:)`` naming `input` or `target`
///   and the first index holding a value outside [0, 1] (or NaN);
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: the mean of an empty input is NaN (as in PyTorch).
///
/// Deviation from PyTorch: PyTorch's target gradient is −logit(p), which is ±inf at p = 0 or 1;
/// LossKit returns the derivative of the clamped value actually computed (±100).
///
/// Matches `torch.nn.functional.binary_cross_entropy`.
///
/// ```swift
/// let r = try binaryCrossEntropy(input: Tensor([0.9, 0.2] as [Double]), target: Tensor([1, 0]))
/// r.scalar                 // 0.16425203348601802   (−(log 0.9 + log 0.8) / 2)
/// r.gradients[.input]      // [-0.5555555555555556, 0.6249999999999999]
/// ```
@inlinable
public func binaryCrossEntropy<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, weight: Tensor<T>? = nil,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkShape("target", target.shape, equals: input.shape)
    let weightLayout = try weight.map { w throws(LossError) in try broadcastLayout(of: w.shape, to: input.shape, argument: "weight") }
    try checkUnitInterval("input", input)
    try checkUnitInterval("target", target)
    // PyTorch's ε is the single-precision constant 1e-12f (9.99999996e-13), also in float64.
    let eps = T(Float(1e-12))
    @inline(__always) func terms(_ p: SIMD8<T>, _ t: SIMD8<T>, _ w: SIMD8<T>) -> LaneTerms<T> {
        let logP = T.vlog(p).lanesMax(-100)
        // log1p(−p) as log(u)·(−p)/(u − 1) with u = 1 − p, like PyTorch's log1p (−inf at p = 1).
        let u = 1 - p, d = u - 1
        let logQ = (T.vlog(u) * (-p / d)).replacing(with: -p, where: d .== 0).lanesMax(-100)
        let loss = (t - 1) * logQ - t * logP
        let dp = (p - t) / ((1 - p) * p).lanesMax(eps)
        return LaneTerms(loss: loss * w, d0: dp * w, d1: (logQ - logP) * w)
    }
    guard let weight, let weightLayout else {
        return evaluateElementwise([(input, .input), (target, .target)], wrt: wrt, reduction: reduction) { p, t, _ in
            terms(p, t, SIMD8(repeating: 1))
        }
    }
    return evaluateBroadcastElementwise(
        input: input, target: target, targetArgument: .target,
        operands: (BroadcastOperandSource(weight, weightLayout), nil),
        wrt: wrt, reduction: reduction
    ) { p, t, w, _ in terms(p, t, w) }
}

// MARK: - Binary cross-entropy on logits

/// Binary cross-entropy on logits: the sigmoid and the cross-entropy fused, stable for any logit.
///
/// ```
/// ℓᵢ = wᵢ · [ (1 − tᵢ)·xᵢ + (1 + (pwᵢ − 1)·tᵢ) · softplus(−xᵢ) ]
///    = wᵢ · [ −pwᵢ·tᵢ·log σ(xᵢ) − (1 − tᵢ)·log(1 − σ(xᵢ)) ]
/// loss = mean ℓ (default, over all elements) | Σ ℓ | ℓ (none, the input's shape)
/// ```
/// `x` = `input` (logits), `t` = `target` (any real, usually in [0, 1]), `w` = `weight` broadcast to
/// the input's shape, `pw` = `posWeight` broadcast to it (for input `[..., C]` usually `[C]`: the
/// weight of the positive term per class). Both default to 1; neither changes the mean's denominator.
///
/// Gradients (before the reduction's 1/count):
/// ```
/// ∂ℓᵢ/∂xᵢ = wᵢ · [ (1 − tᵢ) − (1 + (pwᵢ − 1)·tᵢ)·σ(−xᵢ) ]       (= wᵢ·(σ(xᵢ) − tᵢ) when pw = 1)
/// ∂ℓᵢ/∂tᵢ = wᵢ · [ −xᵢ + (pwᵢ − 1)·softplus(−xᵢ) ]               (= −wᵢ·xᵢ when pw = 1)
/// ```
/// Computed as relu(x)·(1 − t) + relu(−x)·pw·t + (1 + (pw − 1)·t)·log(1 + e^(−|x|)) with one
/// exponential and one logarithm per element, in a single pass that also writes the gradients.
///
/// - Parameters:
///   - input: logits, any shape.
///   - target: the input's shape.
///   - weight: optional rescaling broadcastable to the input's shape (no gradient).
///   - posWeight: optional weight of the positive term broadcastable to the input's shape
///     (no gradient).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `.input`, `.target` (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` when `target`'s shape differs;
///   ``LossError/invalidShape(argument:shape:reason:)`` when `weight` or `pos_weight` does not
///   broadcast to the input's shape; ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: the value is finite wherever its limit is: x = +inf with t = 1 and x = −inf with
/// t = 0 give 0, where PyTorch gives NaN; any other infinite logit gives +inf (the true value).
/// The input gradient is finite for every logit including ±inf; the target gradient is ∓inf at
/// x = ±inf, which is its exact value (the loss is linear in t with slope −x there). An element whose
/// weight is 0 contributes 0 even where its unweighted loss is infinite. The mean of an empty
/// input is NaN.
///
/// Matches `torch.nn.functional.binary_cross_entropy_with_logits`.
///
/// ```swift
/// let r = try binaryCrossEntropyWithLogits(input: Tensor([2, -1] as [Double]), target: Tensor([1, 0]))
/// r.scalar                 // 0.2200948492805977   ((softplus(−2) + softplus(−1)) / 2)
/// r.gradients[.input]      // [-0.05960146101105877, 0.13447071068499755]
/// ```
@inlinable
public func binaryCrossEntropyWithLogits<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, weight: Tensor<T>? = nil, posWeight: Tensor<T>? = nil,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkShape("target", target.shape, equals: input.shape)
    let weightLayout = try weight.map { w throws(LossError) in try broadcastLayout(of: w.shape, to: input.shape, argument: "weight") }
    let posLayout = try posWeight.map { w throws(LossError) in try broadcastLayout(of: w.shape, to: input.shape, argument: "pos_weight") }
    if weight == nil && posWeight == nil {
        // A local always-inline function rather than a closure literal: inlined into the lane loop
        // on every path (see evaluateElementwise's codegen note).
        @inline(__always) func kernel(_ x: SIMD8<T>, _ t: SIMD8<T>, _: SIMD8<T>) -> LaneTerms<T> {
            let g = LogisticLanes(x)
            return LaneTerms(loss: logitCrossEntropy(x, t, g), d0: (1 - t) - g.sigmoidOfNegation, d1: -x)
        }
        return evaluateElementwise([(input, .input), (target, .target)], wrt: wrt, reduction: reduction, kernel: kernel)
    }
    return evaluateBroadcastElementwise(
        input: input, target: target, targetArgument: .target,
        operands: (weight.map { BroadcastOperandSource($0, weightLayout!) }, posWeight.map { BroadcastOperandSource($0, posLayout!) }),
        wrt: wrt, reduction: reduction
    ) { x, t, w, pw in
        let g = LogisticLanes(x)
        let u = 1 - t
        let pt = pw * t
        let logWeight = 1 + (pw - 1) * t
        let xp = x.positivePart, xn = (-x).positivePart
        let loss = zeroWhere(xp * u, u .== 0) + zeroWhere(xn * pt, pt .== 0) + logWeight * g.l
        let dx = u - logWeight * g.sigmoidOfNegation
        let dt = -xp + zeroWhere(xn * pw, pw .== 0) + (pw - 1) * g.l
        let off = w .== 0
        return LaneTerms(loss: zeroWhere(loss * w, off), d0: zeroWhere(dx * w, off), d1: zeroWhere(dt * w, off))
    }
}

// MARK: - Sigmoid focal loss

/// The sigmoid focal loss of RetinaNet: binary cross-entropy on logits scaled by (1 − p_t)^γ.
///
/// ```
/// p = σ(x)      p_t = p·t + (1 − p)·(1 − t)      α_t = α·t + (1 − α)·(1 − t)   (α_t = 1 when α < 0)
/// ℓᵢ = α_t · CE(xᵢ, tᵢ) · (1 − p_t)^γ,   CE = bce-with-logits = −t·log p − (1 − t)·log(1 − p)
/// loss = ℓ (none, the default; the input's shape) | mean ℓ | Σ ℓ
/// ```
/// Computed in log space, like optax's `sigmoid_focal_loss`: log p and log(1 − p) are
/// log-sigmoids, 1 − p_t = p·(1 − t) + (1 − p)·t is a sum of non-negative terms (no
/// cancellation), and (1 − p_t)^γ = exp(γ·log(1 − p_t)) with log(1 − p_t) = log σ(∓x) exactly for
/// t ∈ {0, 1} (for γ = 1 and γ = 2 the product a^γ, which is exact to the same precision).
///
/// Gradients, derived analytically and computed in the same pass (a = 1 − p_t, q = 1 − p,
/// M = a^γ, before the reduction's 1/count):
/// ```
/// ∂ℓ/∂x = α_t · M · [ (p − t) + γ · (CE / a) · p·q·(1 − 2t) ]
/// ∂ℓ/∂t = α_t · M · [ −x + γ · (CE / a) · (q − p) ] + (2α − 1) · CE · M      (last term only when α ≥ 0)
/// ```
/// CE / a is bounded (it tends to 1 where both vanish), so the gradients are finite wherever the
/// loss's limit is, for every γ ≥ 0, including γ ∈ (0, 1) at saturation where PyTorch's autograd
/// of (1 − p_t)**γ gives NaN.
///
/// - Parameters:
///   - input: logits, any shape.
///   - target: the input's shape, in [0, 1] (binary labels or soft targets).
///   - alpha: weight of the positive class in [0, 1], or `nil` for no α weighting (the
///     reference's negative α). Default 0.25.
///   - gamma: focusing exponent ≥ 0 (finite). Default 2; 0 gives α-weighted bce-with-logits.
///   - reduction: `.none` (default), `.mean` or `.sum`.
///   - wrt: `.input`, `.target` (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` when `target`'s shape differs;
///   ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a target outside [0, 1]
///   (or NaN); ``LossError/invalidOption(name:value:expected:)`` for `alpha` outside [0, 1], a negative or
///   non-finite `gamma`, or `batchmean`.
///
/// Edge cases: x = +inf with t = 1 and x = −inf with t = 0 give 0 and a zero gradient (PyTorch:
/// NaN); elsewhere an infinite logit gives +inf (the true value). Where 1 − p_t underflows the
/// loss is the correctly rounded tiny value rather than PyTorch's 0 from 1 − p_t rounding to 0.
///
/// Matches `torchvision.ops.sigmoid_focal_loss` (value; its gradient through autograd).
///
/// ```swift
/// let r = try sigmoidFocalLoss(input: Tensor([2, -1] as [Double]), target: Tensor([1, 0]), reduction: .sum)
/// r.scalar                 // 0.0174444338401606
/// r.gradients[.input]      // [-0.0012177350488481915, 0.03943584748317048]
/// ```
@inlinable
public func sigmoidFocalLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, alpha: T? = 0.25, gamma: T = 2,
    reduction: Reduction = .none, wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    if let alpha { try checkOption("alpha", alpha, expected: "a number in [0, 1], or nil for no α weighting") { $0 >= 0 && $0 <= 1 } }
    try checkOption("gamma", gamma, expected: "a finite number ≥ 0") { $0.isFinite && $0 >= 0 }
    try checkShape("target", target.shape, equals: input.shape)
    try checkUnitInterval("target", target)
    let focal = SigmoidFocalParameters(alpha: alpha, gamma: gamma, wantTarget: wrt.contains(.target))
    return evaluateElementwise([(input, .input), (target, .target)], wrt: wrt, reduction: reduction) { x, t, _ in
        sigmoidFocalTerms(x, t, focal)
    }
}

/// The loop-invariant choices of the sigmoid focal kernel.
@usableFromInline
struct SigmoidFocalParameters<T: LossScalar> {
    @usableFromInline let alpha: T
    @usableFromInline let gamma: T
    @usableFromInline let weighted: Bool
    /// How (1 − p_t)^γ is formed: 0 → 1, 1 → a, 2 → a·a, otherwise exp(γ·log a).
    @usableFromInline let power: Int
    @usableFromInline let wantTarget: Bool

    @inlinable
    init(alpha: T?, gamma: T, wantTarget: Bool) {
        self.alpha = alpha ?? 1
        self.gamma = gamma
        self.weighted = alpha != nil
        self.power = gamma == 0 ? 0 : gamma == 1 ? 1 : gamma == 2 ? 2 : -1
        self.wantTarget = wantTarget
    }

    /// a^γ from a and log a.
    @inlinable @inline(__always)
    func modulator(_ a: SIMD8<T>, log logA: @autoclosure () -> SIMD8<T>) -> SIMD8<T> {
        switch power {
        case 0: return SIMD8(repeating: 1)
        case 1: return a
        case 2: return a * a
        default: return T.vexp(gamma * logA())
        }
    }
}

/// The focal loss and its derivatives for 8 lanes. Groups whose targets are all 0 or 1 (hard
/// labels) take a shorter path in the signed logit z = ±x; other groups the general one.
@inlinable @inline(__always)
func sigmoidFocalTerms<T: LossScalar>(_ x: SIMD8<T>, _ t: SIMD8<T>, _ f: SigmoidFocalParameters<T>) -> LaneTerms<T> {
    let isOne = t .== 1
    let isZero = t .== 0
    let g = LogisticLanes(x)
    let alphaT: SIMD8<T> = f.weighted ? (1 - f.alpha) + (2 * f.alpha - 1) * t : SIMD8(repeating: 1)
    let noWeight = alphaT .== 0

    if all(isOne .| isZero) {
        // Hard labels: with z = x for t = 1 and z = −x for t = 0, p_t = σ(z), a = 1 − p_t = σ(−z),
        // CE = softplus(−z) = relu(−z) + l, log a = −softplus(z) = −(relu(z) + l).
        let sign = SIMD8<T>(repeating: -1).replacing(with: 1, where: isOne)
        let z = x * sign
        let zNegative = z .< 0
        let sz = g.r.replacing(with: g.s, where: zNegative)      // σ(z)
        let a = g.s.replacing(with: g.r, where: zNegative)       // σ(−z)
        let zp = z.positivePart
        let ce = (-z).positivePart + g.l
        let m = f.modulator(a, log: -(zp + g.l))
        let loss = zeroWhere(alphaT * ce * m, noWeight)
        // ∂ℓ/∂z = −α_t·M·[σ(−z) + γ·CE·σ(z)]; CE·σ(z) → 0 as z → −inf.
        let ceSz = zeroWhere(ce * sz, sz .== 0)
        let dz = -alphaT * m * (a + f.gamma * ceSz)
        var dt = SIMD8<T>.zero
        if f.wantTarget {
            // CE / a: (l/e)·(1 + e) for z ≥ 0 (→ 1 as e → 0), CE·(1 + e) for z < 0.
            let lOverE = (g.l / g.e).replacing(with: 1, where: g.e .== 0)
            let ratio = (1 + g.e) * lOverE.replacing(with: ce, where: zNegative)
            var bracket = alphaT * (f.gamma * sign * (a - sz) * ratio - x)
            if f.weighted { bracket += (2 * f.alpha - 1) * ce }
            dt = zeroWhere(m * bracket, m .== 0)
        }
        return LaneTerms(loss: loss, d0: zeroWhere(sign * dz, noWeight), d1: dt)
    }

    let p = g.sigmoid, q = g.sigmoidOfNegation
    let xp = x.positivePart, xn = (-x).positivePart
    let u = 1 - t
    let ce = logitCrossEntropy(x, t, g)
    let a = p * u + q * t                   // 1 − p_t, ≥ min(t, 1 − t) for t ∈ (0, 1)
    let m = f.modulator(a, log: T.vlog(a).replacing(with: -(xp + g.l), where: isOne).replacing(with: -(xn + g.l), where: isZero))
    let loss = zeroWhere(alphaT * ce * m, noWeight)
    let ratio = (ce / a).replacing(with: 1, where: a .== 0)    // CE / a → 1 where both underflow
    let pq = p * q
    let dx = alphaT * m * ((u * p - t * q) + zeroWhere(f.gamma * ratio * pq * (1 - 2 * t), pq .== 0))
    var dt = SIMD8<T>.zero
    if f.wantTarget {
        var bracket = alphaT * (f.gamma * (q - p) * ratio - x)
        if f.weighted { bracket += (2 * f.alpha - 1) * ce }
        dt = zeroWhere(m * bracket, m .== 0)
    }
    return LaneTerms(loss: loss, d0: zeroWhere(dx, noWeight), d1: dt)
}

// MARK: - Soft margin

/// The two-class logistic loss on ±1 targets: softplus of the negated margin.
///
/// ```
/// ℓᵢ = log(1 + exp(−tᵢ·xᵢ)) = softplus(−tᵢ·xᵢ)
/// loss = mean ℓ (default, over all elements) | Σ ℓ | ℓ (none, the input's shape)
/// ∂ℓᵢ/∂xᵢ = −tᵢ · σ(−tᵢ·xᵢ)
/// ```
/// - Parameters:
///   - input: scores, any shape.
///   - target: the input's shape, usually −1 or 1 (any real value is used as is, like PyTorch).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `.input` (default). The target has no gradient.
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)``;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: computed as relu(z) + log(1 + e^(−|z|)), so the value is finite for every finite
/// margin where PyTorch's log1p(exp(−t·x)) overflows to inf (t·x < −88 in float32), and its
/// gradient is ±t there where PyTorch's is NaN. The mean of an empty input is NaN.
///
/// Matches `torch.nn.functional.soft_margin_loss`.
///
/// ```swift
/// let r = try softMarginLoss(input: Tensor([2, 0.5] as [Double]), target: Tensor([1, -1]))
/// r.scalar                 // 0.5505024976115396   ((softplus(−2) + softplus(0.5)) / 2)
/// r.gradients[.input]      // [-0.05960146101105877, 0.3112296656009273]
/// ```
@inlinable
public func softMarginLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkShape("target", target.shape, equals: input.shape)
    return evaluateElementwise([(input, .input), (target, nil)], wrt: wrt, reduction: reduction) { x, t, _ in
        let z = -t * x
        let g = LogisticLanes(z)
        return LaneTerms(loss: z.positivePart + g.l, d0: -t * g.sigmoid)
    }
}

// MARK: - Multi-label soft margin

/// Multi-label one-versus-all logistic loss: the mean over classes of binary cross-entropy on logits.
///
/// ```
/// ℓₙ = (1/C) Σ_c w_c · [ −t_nc·log σ(x_nc) − (1 − t_nc)·log σ(−x_nc) ]
/// loss = mean over N of ℓ (default) | Σ ℓ | ℓ (none, shape [N])
/// ∂ℓₙ/∂x_nc = w_c · (σ(x_nc) − t_nc) / C
/// ```
/// - Parameters:
///   - input: logits `[N, C]` (or `[C]`, one sample: `none` gives a 0-d tensor).
///   - target: the input's shape, labels 0 or 1 (values in between are used as soft labels).
///   - weight: optional class weights `[C]` (no gradient).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `.input` (default). The target has no gradient.
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` unless `input` has rank 1 or 2
///   with C ≥ 1; ``LossError/shapeMismatch(argument:expected:actual:)`` for `target` or a
///   `weight` that is not `[C]`; ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: finite at x = ±inf where the limit is (x = +inf with t = 1, −inf with t = 0 give
/// 0; PyTorch gives NaN for the former). The mean over an empty batch is NaN.
///
/// Matches `torch.nn.functional.multilabel_soft_margin_loss`.
///
/// ```swift
/// let r = try multilabelSoftMarginLoss(input: try Tensor(shape: [1, 2], scalars: [2, -1] as [Double]),
///                                      target: try Tensor(shape: [1, 2], scalars: [1, 0]))
/// r.scalar                 // 0.2200948492805977   (the bce-with-logits example, averaged over C = 2)
/// ```
@inlinable
public func multilabelSoftMarginLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, weight: Tensor<T>? = nil,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    let classes = try classDimension(of: input, ranks: 1...2)
    try checkShape("target", target.shape, equals: input.shape)
    if let weight { try checkShape("weight", weight.shape, equals: [classes]) }
    let weights = weight ?? Tensor(uncheckedShape: [classes], scalars: [T](repeating: 1, count: classes))
    return withPointers([target, weights]) { p in
        let (target, w) = (p[0], p[1])
        return evaluateRows(
            input, rowLength: classes, valueShape: Array(input.shape.dropLast()),
            wrt: wrt, reduction: reduction, gradientFactor: 1 / T(classes)
        ) { row, x, grad, scale in
            let t = target + row * classes
            var acc = SIMD8<T>.zero
            var c = 0
            while c < classes {
                let n = min(8, classes - c)
                let xv = n == 8 ? load8(x + c) : loadPartial(x + c, n, pad: 0)
                let tv = n == 8 ? load8(t + c) : loadPartial(t + c, n, pad: 0)
                let wv = n == 8 ? load8(w + c) : loadPartial(w + c, n, pad: 0)
                let lg = LogisticLanes(xv)
                let u = 1 - tv
                let off = wv .== 0
                acc += zeroWhere(logitCrossEntropy(xv, tv, lg) * wv, off)
                if let grad {
                    // σ(x) − t written as (1 − t)·σ(x) − t·σ(−x): exact for hard labels at saturation.
                    let g = zeroWhere((u * lg.sigmoid - tv * lg.sigmoidOfNegation) * wv, off) * SIMD8(repeating: scale)
                    if n == 8 { store8(g, grad + c) } else { storePartial(g, grad + c, n) }
                }
                c += 8
            }
            return acc.laneSum() / T(classes)
        }
    }
}

/// Binary cross-entropy on logits for 8 lanes, (1 − t)·relu(x) + t·relu(−x) + log(1 + e^(−|x|)),
/// from the logistic pieces `g` of x; a zero factor beats an infinite x.
@inlinable @inline(__always)
func logitCrossEntropy<T: LossScalar>(_ x: SIMD8<T>, _ t: SIMD8<T>, _ g: LogisticLanes<T>) -> SIMD8<T> {
    let u = 1 - t
    return zeroWhere(x.positivePart * u, u .== 0) + zeroWhere((-x).positivePart * t, t .== 0) + g.l
}
