import RealModule
// Family H of LOSSES.md: policy-gradient and RLHF losses.
//
// Both losses are elementwise in the sampled actions (or tokens) and run through
// `evaluateElementwise`: one fused pass computes the per-element terms and ∂/∂input for eight
// lanes at a time. Only `input` (the policy's log-probabilities) is differentiated; the old
// policy, the advantages, the reference model and the mask are data.

/// PPO's clipped surrogate objective (negated, so that it is minimized).
///
/// ```
/// rᵢ = exp(inputᵢ − oldᵢ)                         (probability ratio π_θ / π_old)
/// ℓᵢ = −min(rᵢ·Aᵢ, clamp(rᵢ, 1 − ε, 1 + ε)·Aᵢ)
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input` log π_θ(a|s) of the sampled actions, `[N]` (or any shape, e.g. `[N, T]` for
/// per-token ratios); `old` and `advantages` the same shape.
///
/// Gradient (with s₁ = r·A, s₂ = clamp(r, 1 − ε, 1 + ε)·A), exactly as PyTorch's autograd
/// differentiates `-torch.min(r * A, torch.clamp(r, 1 - ε, 1 + ε) * A)`:
/// ```
/// ∂ℓᵢ/∂inputᵢ = −(w₁ + w₂·[1 − ε < r < 1 + ε])·A·r
/// w₁ = 1, w₂ = 0 where s₁ < s₂;   w₁ = 0, w₂ = 1 where s₂ < s₁;   w₁ = w₂ = ½ where s₁ = s₂
/// ```
/// `torch.min` splits the gradient of a tie in half, and `torch.clamp` passes the gradient only
/// strictly inside its bounds (PyTorch 2.x). So inside the clip range (s₁ = s₂) the gradient is
/// the unclipped −A·r; where the ratio sits exactly on a bound (e.g. `clip` = 0 and r = 1) it is
/// half of that; outside the range it is −A·r on the pessimistic side and 0 on the clipped side.
/// With `mean` every element's gradient is divided by the element count.
///
/// - Parameters:
///   - input: log-probabilities of the taken actions under the current policy (differentiated).
///   - old: log-probabilities under the policy that collected the data, same shape.
///   - advantages: advantage estimates Â, same shape.
///   - clip: ε ≥ 0 (default 0.2); +inf disables clipping.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` for `old` or `advantages`;
///   ``LossError/invalidOption(name:value:expected:)`` for ε < 0 or NaN, or for `batchmean`.
///
/// Edge cases: a log-ratio so large that r overflows (input − old ≳ 88.7 in Float, 709.8 in
/// Double) gives r = +inf: with A > 0 the clipped term wins, the value is finite and the
/// gradient is 0 (the objective is flat there; PyTorch's autograd returns 0·inf = NaN); with
/// A < 0 the value and gradient are +inf, the overflowing r·|A| itself. A very negative
/// log-ratio gives r = 0, value 0 or −(1 − ε)·A and a gradient of 0. An advantage of 0
/// contributes 0 with gradient 0 whatever r is (PyTorch: NaN when r = +inf). The mean of an
/// empty batch is NaN.
///
/// Reference: Schulman et al. 2017, "Proximal Policy Optimization Algorithms", eq. 7; matches
/// the formula above written in PyTorch, value and autograd gradient.
///
/// ```swift
/// let r = try ppoClipLoss(input: Tensor([0, 0.5, -0.5] as [Double]), old: Tensor([0, 0, 0]),
///                         advantages: Tensor([1, 1, -1]))
/// r.scalar              // -0.4666666666666666  (= −(1 + 1.2 − 0.8)/3: the last two are clipped)
/// r.gradients[.input]   // [-0.3333333333333333, 0.0, 0.0]
/// ```
@inlinable
public func ppoClipLoss<T: LossScalar>(
    input: Tensor<T>, old: Tensor<T>, advantages: Tensor<T>, clip: T = 0.2,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("clip", clip, expected: ">= 0") { $0 >= 0 }
    try checkShape("old", old.shape, equals: input.shape)
    try checkShape("advantages", advantages.shape, equals: input.shape)
    let lower = SIMD8<T>(repeating: 1 - clip), upper = SIMD8<T>(repeating: 1 + clip)
    return evaluateElementwise(
        [(input, .input), (old, nil), (advantages, nil)], wrt: wrt, reduction: reduction
    ) { x, o, a in
        ReinforcementKernels.ppoClip(x, o, a, lower: lower, upper: upper)
    }
}

/// The per-token estimator of KL(π_θ ‖ π_ref) used as a penalty in RLHF (Schulman's k1, k2, k3).
///
/// With dᵢ = inputᵢ − referenceᵢ = log π_θ(aᵢ) − log π_ref(aᵢ) for tokens aᵢ sampled from π_θ:
/// ```
/// k1 = d                      (unbiased, can be negative)
/// k2 = ½d²                    (biased, ≥ 0, low variance)
/// k3 = e^(−d) − 1 + d         (unbiased, ≥ 0; the GRPO estimator)
/// loss = β·Σᵢ maskᵢ·kᵢ / Σᵢ maskᵢ   (mean, default; without a mask Σ over all / count)
///      | β·Σᵢ maskᵢ·kᵢ (sum) | β·maskᵢ·kᵢ (none, the inputs' shape)
/// ```
/// Shapes: `input` log-probabilities of the sampled tokens under the policy, `[N, T]` (any
/// shape is accepted); `reference` and `mask` the same shape.
///
/// Gradient (w.r.t. `input`; the reference model is frozen):
/// ```
/// ∂k1/∂d = 1        ∂k2/∂d = d        ∂k3/∂d = 1 − e^(−d)
/// ∂loss/∂inputᵢ = β·maskᵢ·∂kᵢ/∂d / Σ mask      (mean)
/// ```
///
/// - Parameters:
///   - input: log π_θ of the sampled tokens (differentiated).
///   - reference: log π_ref of the same tokens, same shape.
///   - mask: optional 0/1 weights, same shape (1 = a real token, 0 = padding); `nil` counts
///     every element. A `Bool` mask is accepted by the overload below.
///   - estimator: `.k1` (default), `.k2` or `.k3`.
///   - beta: β ≥ 0, the penalty coefficient (default 1).
///   - reduction: `.mean` (default, the masked mean), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` for `reference` or `mask`;
///   ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a mask entry other than
///   0 or 1; ``LossError/invalidOption(name:value:expected:)`` for β < 0 or not finite, or for
///   `batchmean`.
///
/// Edge cases: masked elements are excluded, not multiplied by 0: padding positions may hold
/// −inf or NaN log-probabilities and still contribute 0 with gradient 0 (TRL's
/// `(values * mask).sum()` would give NaN there). A fully masked (or empty) batch gives NaN
/// with `mean` — a mean over no tokens, as TRL's `masked_mean` returns (verl adds 1e-8 to the
/// denominator and returns 0 instead) — with zero gradients, and 0 with `sum`. k3 is computed
/// with a series for |d| < ½, so it keeps full relative precision for d → 0 where
/// e^(−d) − 1 + d cancels (the naive Float formula loses every digit below |d| ≈ 1e-4); for
/// d → −∞ it overflows to +inf (gradient −inf) as e^(−d) does, for d → +∞ it is d − 1
/// (gradient 1).
///
/// Reference: J. Schulman, "Approximating KL divergence" (2020); TRL's PPO (`kl`, `mse`) and GRPO
/// (k3) per-token penalties and `masked_mean`; matches those formulas written in PyTorch.
///
/// ```swift
/// let lp = try Tensor(shape: [1, 3], scalars: [-1, -2, -3] as [Double])
/// let ref = try Tensor(shape: [1, 3], scalars: [-1.5, -2, -9] as [Double])
/// let mask = try Tensor(shape: [1, 3], scalars: [1, 1, 0] as [Double])
/// let r = try klPenalty(input: lp, reference: ref, mask: mask, estimator: .k3, beta: 0.1)
/// r.scalar              // 0.005326532985631672  (= 0.1·(e^(−0.5) − 0.5)/2)
/// r.gradients[.input]   // [0.01967346701436833, 0.0, 0.0]
/// ```
@inlinable
public func klPenalty<T: LossScalar>(
    input: Tensor<T>, reference: Tensor<T>, mask: Tensor<T>? = nil, estimator: KLEstimator = .k1,
    beta: T = 1, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("beta", beta, expected: "a finite number >= 0") { $0 >= 0 && $0.isFinite }
    try checkShape("reference", reference.shape, equals: input.shape)
    var count = T(input.count)
    if let mask {
        try checkShape("mask", mask.shape, equals: input.shape)
        count = try ReinforcementKernels.maskCount(mask)
    }
    let masked = mask != nil
    var inputs: [(tensor: Tensor<T>, argument: LossArgument?)] = [(input, .input), (reference, nil)]
    if let mask { inputs.append((mask, nil)) }
    // A mean over no tokens is NaN, with zero gradients (every element is masked out); the
    // kernel runs with a denominator of 1 so that no 0·inf appears in the gradient.
    var result = evaluateElementwise(
        inputs, wrt: wrt, reduction: reduction, denominator: count == 0 ? 1 : count
    ) { x, r, m in
        var t = ReinforcementKernels.klEstimate(x - r, estimator)
        if masked {
            let out = m .== 0
            t.loss = zeroWhere(t.loss, out)
            t.d0 = zeroWhere(t.d0, out)
        }
        t.loss *= beta
        t.d0 *= beta
        return t
    }
    if count == 0 && reduction == .mean { result.value = Tensor(T.nan) }
    return result
}

/// ``klPenalty(input:reference:mask:estimator:beta:reduction:wrt:)`` with a Boolean mask
/// (`true` = a counted token).
@inlinable
public func klPenalty<T: LossScalar>(
    input: Tensor<T>, reference: Tensor<T>, mask: Tensor<Bool>, estimator: KLEstimator = .k1,
    beta: T = 1, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try checkShape("mask", mask.shape, equals: input.shape)
    let numeric = Tensor<T>(uncheckedShape: mask.shape, scalars: mask.scalars.map { $0 ? 1 : 0 })
    return try klPenalty(
        input: input, reference: reference, mask: numeric, estimator: estimator, beta: beta,
        reduction: reduction, wrt: wrt)
}

/// The per-token KL estimators of ``klPenalty(input:reference:mask:estimator:beta:reduction:wrt:)-(_,_,Tensor<T>?,_,_,_,_)``,
/// with d = log π_θ − log π_ref.
public enum KLEstimator: String, CaseIterable, Sendable {
    /// d: unbiased for KL(π_θ ‖ π_ref) under samples from π_θ; single samples can be negative.
    case k1
    /// ½d²: always ≥ 0, biased, low variance.
    case k2
    /// e^(−d) − 1 + d: unbiased and always ≥ 0 (the estimator of GRPO).
    case k3
}

/// The lane kernels of family H.
@usableFromInline
enum ReinforcementKernels {
    /// PPO's clipped surrogate, negated, and its derivative w.r.t. the log-probability, with
    /// PyTorch's sub-gradient conventions (see ``ppoClipLoss(input:old:advantages:clip:reduction:wrt:)``).
    @inlinable @inline(__always)
    static func ppoClip<T: LossScalar>(
        _ x: SIMD8<T>, _ old: SIMD8<T>, _ a: SIMD8<T>, lower: SIMD8<T>, upper: SIMD8<T>
    ) -> LaneTerms<T> {
        let r = T.vexp(x - old)
        let clipped = r.lanesMax(lower).lanesMin(upper)
        // r·A with A = 0 is 0 for every finite ratio, also where r has overflowed to +inf.
        let unclippedTerm = zeroWhere(r * a, a .== 0)
        let clippedTerm = clipped * a
        let unclippedWins = unclippedTerm .< clippedTerm
        let clippedWins = clippedTerm .< unclippedTerm
        let tie = unclippedTerm .== clippedTerm
        let minimum = unclippedTerm.replacing(with: clippedTerm, where: clippedWins)
        // torch.min splits a tie's gradient in half; torch.clamp passes it strictly inside the bounds.
        let w1 = SIMD8<T>.zero.replacing(with: 1, where: unclippedWins).replacing(with: 0.5, where: tie)
        let w2 = SIMD8<T>.zero.replacing(with: 1, where: clippedWins).replacing(with: 0.5, where: tie)
        let inside = (r .> lower) .& (r .< upper)
        let coefficient = (w1 + w2.replacing(with: 0, where: .!inside)) * a
        // ∂/∂x = coefficient·r; a zero coefficient stays 0 where r = +inf (the objective is flat).
        let d = zeroWhere(-(coefficient * r), coefficient .== 0)
        return LaneTerms(loss: -minimum, d0: d)
    }

    /// The KL estimator of d = log π_θ − log π_ref and its derivative w.r.t. d.
    @inlinable @inline(__always)
    static func klEstimate<T: LossScalar>(_ d: SIMD8<T>, _ estimator: KLEstimator) -> LaneTerms<T> {
        switch estimator {
        case .k1:
            return LaneTerms(loss: d, d0: SIMD8(repeating: 1))
        case .k2:
            return LaneTerms(loss: 0.5 * d * d, d0: d)
        case .k3:
            let (f, expm1) = exponentialRemainder(-d)
            return LaneTerms(loss: f, d0: -expm1)
        }
    }

    /// f(u) = eᵘ − 1 − u and eᵘ − 1, accurate to a few ulp relative to themselves.
    ///
    /// For |u| < ½ the Taylor series Σ_{n≥2} uⁿ/n!, to n = 15 in Double and n = 9 in Float (the
    /// first omitted term is below 2⁻⁵⁷ resp. 2⁻²⁸ of the sum), and eᵘ − 1 = u + f(u); beyond,
    /// eᵘ − 1 − u directly (f ≥ 0.1 there, so the subtraction loses at most a few bits).
    @inlinable @inline(__always)
    static func exponentialRemainder<T: LossScalar>(_ u: SIMD8<T>) -> (f: SIMD8<T>, expm1: SIMD8<T>) {
        // Horner from the highest term down to 1/2!.
        var p: SIMD8<T>
        if T.significandBitCount > 30 {
            p = SIMD8(repeating: T(1.0 / 1_307_674_368_000))
            p = p * u + T(1.0 / 87_178_291_200)
            p = p * u + T(1.0 / 6_227_020_800)
            p = p * u + T(1.0 / 479_001_600)
            p = p * u + T(1.0 / 39_916_800)
            p = p * u + T(1.0 / 3_628_800)
            p = p * u + T(1.0 / 362_880)
        } else {
            p = SIMD8(repeating: T(1.0 / 362_880))
        }
        p = p * u + T(1.0 / 40_320)
        p = p * u + T(1.0 / 5_040)
        p = p * u + T(1.0 / 720)
        p = p * u + T(1.0 / 120)
        p = p * u + T(1.0 / 24)
        p = p * u + T(1.0 / 6)
        p = p * u + T(0.5)
        let series = p * u * u
        let e = T.vexp(u) - 1
        let small = u.magnitudeLanes .< T(0.5)
        // u = +inf: e − u would be inf − inf; the limit is +inf.
        let f = (e - u).replacing(with: series, where: small).replacing(with: u, where: u .== .infinity)
        return (f, e.replacing(with: u + series, where: small))
    }

    /// The number of ones in a 0/1 mask, in one vectorized pass.
    ///
    /// - Throws: ``LossError/valueOutOfRange(argument:value:index:expected:)`` naming the first
    ///   entry that is neither 0 nor 1 (NaN included).
    @inlinable
    static func maskCount<T: LossScalar>(_ mask: Tensor<T>) throws(LossError) -> T {
        let (count, bad): (Int, Int?) = mask.withUnsafeBufferPointer { b in
            let p = base(b), n = b.count
            // Lane sums stay exact in Float: they are moved to an integer every 2¹⁶ vectors.
            var total = 0
            var acc = SIMD8<T>.zero
            var i = 0
            while i + 8 <= n {
                let v = load8(p + i)
                if !all((v .== 0) .| (v .== 1)) { break }
                acc += v
                i += 8
                if i & ((1 << 19) - 1) == 0 { total += Int(acc.laneSum()); acc = .zero }
            }
            total += Int(acc.laneSum())
            while i < n {
                guard p[i] == 0 || p[i] == 1 else { return (0, i) }
                if p[i] == 1 { total += 1 }
                i += 1
            }
            return (total, nil)
        }
        if let i = bad {
            let v = mask.withUnsafeBufferPointer { $0[i] }
            throw .valueOutOfRange(argument: "mask", value: Double(v), index: i, expected: "0 or 1")
        }
        return T(count)
    }
}
