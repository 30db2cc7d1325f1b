import RealModule
// Family J of LOSSES.md: what a training step does with losses and gradients besides computing
// them. Gradient clipping (by global norm and by value), learning-rate schedules with warm-up,
// and the weighted composition of several losses over shared inputs.

// MARK: - Gradient clipping

/// Scales a list of gradients in place so that their global p-norm is at most `maxNorm`, with
/// the semantics of `torch.nn.utils.clip_grad_norm_`; returns the norm before clipping.
///
/// ```
/// nᵢ = ‖gᵢ‖_p                        (the norm of each tensor)
/// total = ‖(n₁, …, n_m)‖_p            (= the p-norm of all elements together, for p > 0)
/// c = min(maxNorm / (total + 1e-6), 1)
/// gᵢ ← c·gᵢ
/// ```
/// ‖x‖_p = (Σ|x|ᵖ)^(1/p) for p > 0, max|x| for p = +inf, and the number of non-zero elements for
/// p = 0 (so with p = 0 the total is the number of tensors that have a non-zero element, as in
/// PyTorch). The 1e-6 keeps the division finite for a zero norm; the coefficient is clamped at 1,
/// so gradients are only ever scaled down (multiplying by exactly 1 leaves them unchanged).
///
/// - Parameters:
///   - gradients: the gradient tensors, any shapes; scaled in place (a borrowed tensor is
///     copied first, see ``Tensor/withUnsafeMutableBufferPointer(_:)``).
///   - maxNorm: the largest allowed total norm, ≥ 0 (+inf never clips).
///   - normType: p ≥ 0, or `.infinity` (default 2).
///   - errorIfNonfinite: throw instead of scaling when the total norm is NaN or ±inf.
/// - Returns: the total norm of the gradients before clipping (0 for an empty list).
/// - Throws: ``LossError/invalidOption(name:value:expected:)`` for `maxNorm` < 0 or NaN and for
///   `normType` < 0 (including −inf) or NaN; ``LossError/valueOutOfRange(argument:value:index:expected:)``
///   (argument `gradients`) for a non-finite total norm when `errorIfNonfinite`, leaving the
///   gradients unchanged.
///
/// Edge cases, as PyTorch unless said: a NaN gradient makes the total NaN and, without
/// `errorIfNonfinite`, every gradient NaN; an infinite gradient makes the total +inf and the
/// coefficient 0 (finite elements become 0, infinite ones NaN). Differences from PyTorch, both
/// where it has no finite answer: norms are computed with a power-of-two rescaling, so a total
/// whose squares overflow (e.g. elements of 1e20 in Float) is still the finite true norm where
/// PyTorch returns inf and zeroes the gradients; an empty tensor has norm 0 for every p, where
/// PyTorch's infinity norm raises. PyTorch rejects nothing; negative `maxNorm` (which flips the
/// gradients there) and negative p are errors here.
///
/// Reference: `torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)`.
///
/// ```swift
/// var grads = [Tensor([3, 0] as [Double]), Tensor([4] as [Double])]
/// let norm = try clipGradientNorm(&grads, maxNorm: 1)
/// norm                  // 5.0
/// grads[0].scalars      // [0.599999880000024, 0.0]   (scaled by 1/(5 + 1e-6))
/// grads[1].scalars      // [0.799999840000032]
/// ```
@inlinable @discardableResult
public func clipGradientNorm<T: LossScalar>(
    _ gradients: inout [Tensor<T>], maxNorm: T, normType: T = 2, errorIfNonfinite: Bool = false
) throws(LossError) -> T {
    try checkOption("maxNorm", maxNorm, expected: ">= 0") { $0 >= 0 }
    try checkOption("normType", normType, expected: ">= 0 or inf") { $0 >= 0 }
    guard !gradients.isEmpty else { return 0 }
    let norms = gradients.map { g in g.withUnsafeBufferPointer { pNorm($0, p: normType) } }
    let total = norms.withUnsafeBufferPointer { pNorm($0, p: normType) }
    if errorIfNonfinite && !total.isFinite {
        throw LossError.valueOutOfRange(
            argument: "gradients", value: Double(total), index: nil,
            expected: "a finite total norm of order \(normType) (errorIfNonfinite is set)")
    }
    let coefficient = maxNorm / (total + T(1e-6))
    // Clamped at 1; a NaN coefficient stays NaN, as torch.clamp leaves it.
    let clamped = coefficient > 1 ? 1 : coefficient
    if clamped != 1 {
        for i in gradients.indices { GradientNorms.scale(&gradients[i], by: clamped) }
    }
    return total
}

/// Clamps every element of a list of gradients to [−clipValue, clipValue] in place, with the
/// semantics of `torch.nn.utils.clip_grad_value_`.
///
/// ```
/// gᵢ ← min(max(gᵢ, −clipValue), clipValue)
/// ```
///
/// - Parameters:
///   - gradients: the gradient tensors, any shapes; clamped in place.
///   - clipValue: the bound, ≥ 0 (+inf changes nothing).
/// - Throws: ``LossError/invalidOption(name:value:expected:)`` for `clipValue` < 0 or NaN
///   (PyTorch accepts a negative bound and sets every element to it).
///
/// NaN elements stay NaN, ±inf become ±clipValue, as PyTorch's clamp.
///
/// Reference: `torch.nn.utils.clip_grad_value_(parameters, clip_value)`.
///
/// ```swift
/// var grads = [Tensor([-3, 0.5, 2] as [Float])]
/// try clipGradientValue(&grads, clipValue: 1)
/// grads[0].scalars      // [-1.0, 0.5, 1.0]
/// ```
@inlinable
public func clipGradientValue<T: LossScalar>(_ gradients: inout [Tensor<T>], clipValue: T) throws(LossError) {
    try checkOption("clipValue", clipValue, expected: ">= 0") { $0 >= 0 }
    for i in gradients.indices {
        gradients[i].withUnsafeMutableBufferPointer { b in
            guard let p = b.baseAddress else { return }
            let n = b.count
            let lower = SIMD8<T>(repeating: -clipValue), upper = SIMD8<T>(repeating: clipValue)
            var k = 0
            while k + 8 <= n {
                let v = load8(p + k)
                store8(v.replacing(with: lower, where: v .< lower).replacing(with: upper, where: v .> upper), p + k)
                k += 8
            }
            while k < n {
                if p[k] < -clipValue { p[k] = -clipValue } else if p[k] > clipValue { p[k] = clipValue }
                k += 1
            }
        }
    }
}

/// The norms of ``clipGradientNorm(_:maxNorm:normType:errorIfNonfinite:)``.
@usableFromInline
enum GradientNorms {
    /// t ← c·t in place.
    @inlinable
    static func scale<T: LossScalar>(_ t: inout Tensor<T>, by c: T) {
        t.withUnsafeMutableBufferPointer { b in
            guard let p = b.baseAddress else { return }
            scaleRow(p, by: c, into: p, b.count)
        }
    }
}

// MARK: - Learning-rate schedules

/// A learning-rate schedule: a linear warm-up from `initialValue` to `peakValue` over
/// `warmupSteps` steps, then a constant, linearly decaying or cosine-decaying phase.
///
/// ```
/// step < W:        lr = initialValue + (peakValue − initialValue)·step/W
/// constant:        lr = peakValue
/// linear(to: e):   lr = e + (peakValue − e)·(1 − min(step − W, D)/D)              D = decaySteps − W
/// cosine(to: e):   lr = peakValue·((1 − α)·(½(1 + cos(π·min(step − W, D)/D)))^exponent + α),
///                  α = e/peakValue (0 if peakValue = 0)
/// ```
/// `decaySteps` counts from step 0, warm-up included (as optax's
/// `warmup_cosine_decay_schedule`): the end value is reached at step `decaySteps` and held
/// after it. Steps are 0-based; step 0 gives `initialValue` (or the peak when W = 0), step W
/// the peak. Negative steps give the value of step 0.
///
/// Reference (values at every step): `optax.join_schedules([optax.linear_schedule(init, peak, W),
/// decay], [W])` with `decay` = `optax.constant_schedule(peak)`, `optax.linear_schedule(peak,
/// end, D)` or `optax.cosine_decay_schedule(peak, D, alpha, exponent)`; that is
/// `optax.warmup_constant_schedule` (for W > 0) and `optax.warmup_cosine_decay_schedule`.
/// optax's `warmup_constant_schedule` with W = 0 is the constant *initial* value (its linear
/// piece is disabled); here W = 0 means no warm-up, so the peak from step 0.
///
/// ```swift
/// let lr = try LearningRateSchedule.warmupCosineDecay(peakValue: 1, warmupSteps: 2, decaySteps: 6, endValue: 0.1)
/// (0...7).map { lr(step: $0) }
/// // [0.0, 0.5, 1.0, 0.8681980515339464, 0.55, 0.23180194846605365, 0.1, 0.1]
/// ```
public struct LearningRateSchedule: Sendable, Hashable {
    /// What follows the warm-up.
    public enum Decay: Sendable, Hashable {
        /// Hold the peak value.
        case constant
        /// Linear from the peak to `endValue`, reached at step `decaySteps` (warm-up included).
        case linear(endValue: Double, decaySteps: Int)
        /// Cosine from the peak to `endValue`, reached at step `decaySteps` (warm-up included);
        /// the cosine factor is raised to `exponent` (1 = the plain half cosine).
        case cosine(endValue: Double, decaySteps: Int, exponent: Double)
    }

    /// The value at step 0 (when `warmupSteps` > 0).
    public let initialValue: Double
    /// The value reached at the end of the warm-up.
    public let peakValue: Double
    /// The length of the linear warm-up (0 = none).
    public let warmupSteps: Int
    /// The phase after the warm-up.
    public let decay: Decay

    /// Creates a schedule.
    ///
    /// - Throws: ``LossError/invalidOption(name:value:expected:)`` for a non-finite value,
    ///   `warmupSteps` < 0, a decay that does not end after the warm-up (`decaySteps` ≤
    ///   `warmupSteps`), or a cosine `exponent` that is not finite and > 0. (optax returns a
    ///   constant for a linear piece of length ≤ 0 and raises for a cosine one.)
    public init(initialValue: Double = 0, peakValue: Double, warmupSteps: Int, decay: Decay = .constant) throws(LossError) {
        let finite = "a finite number"
        try checkOption("initialValue", initialValue, expected: finite) { $0.isFinite }
        try checkOption("peakValue", peakValue, expected: finite) { $0.isFinite }
        try checkOption("warmupSteps", warmupSteps, expected: ">= 0") { $0 >= 0 }
        switch decay {
        case .constant:
            break
        case let .linear(endValue, decaySteps):
            try checkOption("endValue", endValue, expected: finite) { $0.isFinite }
            try checkOption("decaySteps", decaySteps, expected: "> warmupSteps (\(warmupSteps))") { $0 > warmupSteps }
        case let .cosine(endValue, decaySteps, exponent):
            try checkOption("endValue", endValue, expected: finite) { $0.isFinite }
            try checkOption("decaySteps", decaySteps, expected: "> warmupSteps (\(warmupSteps))") { $0 > warmupSteps }
            try checkOption("exponent", exponent, expected: "a finite number > 0") { $0 > 0 && $0.isFinite }
        }
        self.initialValue = initialValue
        self.peakValue = peakValue
        self.warmupSteps = warmupSteps
        self.decay = decay
    }

    /// Linear warm-up from `initialValue` to `peakValue` over `warmupSteps`, then constant
    /// (`optax.warmup_constant_schedule`).
    public static func warmupConstant(initialValue: Double = 0, peakValue: Double, warmupSteps: Int) throws(LossError) -> Self {
        try Self(initialValue: initialValue, peakValue: peakValue, warmupSteps: warmupSteps)
    }

    /// A linear ramp from `initialValue` to `endValue` over `steps`, then constant
    /// (`optax.linear_schedule` with `transition_steps` > 0).
    public static func linear(initialValue: Double, endValue: Double, steps: Int) throws(LossError) -> Self {
        try Self(initialValue: initialValue, peakValue: endValue, warmupSteps: steps)
    }

    /// Linear warm-up, then linear decay to `endValue` at step `decaySteps` (warm-up included).
    public static func warmupLinearDecay(
        initialValue: Double = 0, peakValue: Double, warmupSteps: Int, decaySteps: Int, endValue: Double = 0
    ) throws(LossError) -> Self {
        try Self(initialValue: initialValue, peakValue: peakValue, warmupSteps: warmupSteps,
                 decay: .linear(endValue: endValue, decaySteps: decaySteps))
    }

    /// Linear warm-up, then cosine decay to `endValue` at step `decaySteps` (warm-up included)
    /// (`optax.warmup_cosine_decay_schedule`).
    public static func warmupCosineDecay(
        initialValue: Double = 0, peakValue: Double, warmupSteps: Int, decaySteps: Int, endValue: Double = 0,
        exponent: Double = 1
    ) throws(LossError) -> Self {
        try Self(initialValue: initialValue, peakValue: peakValue, warmupSteps: warmupSteps,
                 decay: .cosine(endValue: endValue, decaySteps: decaySteps, exponent: exponent))
    }

    /// Cosine decay from `initialValue` to `alpha·initialValue` over `decaySteps`, no warm-up
    /// (`optax.cosine_decay_schedule`).
    public static func cosineDecay(initialValue: Double, decaySteps: Int, alpha: Double = 0, exponent: Double = 1) throws(LossError) -> Self {
        try checkOption("alpha", alpha, expected: "a finite number") { $0.isFinite }
        return try Self(initialValue: initialValue, peakValue: initialValue, warmupSteps: 0,
                        decay: .cosine(endValue: alpha * initialValue, decaySteps: decaySteps, exponent: exponent))
    }

    /// The learning rate at `step` (0-based).
    public func callAsFunction(step: Int) -> Double {
        let step = Swift.max(step, 0)
        if step < warmupSteps {
            // optax.linear_schedule(initialValue, peakValue, W): (init − peak)·(1 − t/W) + peak.
            let fraction = 1 - Double(step) / Double(warmupSteps)
            return (initialValue - peakValue) * fraction + peakValue
        }
        let t = step - warmupSteps
        switch decay {
        case .constant:
            return peakValue
        case let .linear(endValue, decaySteps):
            let length = decaySteps - warmupSteps
            let fraction = 1 - Double(Swift.min(t, length)) / Double(length)
            return (peakValue - endValue) * fraction + endValue
        case let .cosine(endValue, decaySteps, exponent):
            let length = Double(decaySteps - warmupSteps)
            let alpha = peakValue == 0 ? 0 : endValue / peakValue
            let cosine = 0.5 * (1 + Double.cos(Double.pi * Swift.min(Double(t), length) / length))
            let factor = exponent == 1 ? cosine : Double.pow(cosine, exponent)
            return peakValue * ((1 - alpha) * factor + alpha)
        }
    }
}

// MARK: - Composition of losses

/// A weighted sum of loss terms whose gradients are added up per shared input.
///
/// ```
/// value = Σⱼ wⱼ·valueⱼ
/// ∂value/∂x = Σⱼ wⱼ·∂valueⱼ/∂x      for every input x, over the terms that depend on x
/// ```
/// Each term is a ``LossResult`` computed by any LossKit loss; `inputs` says which of the
/// composition's inputs (keys of any `Hashable` type) each of the term's gradients belongs to.
/// Terms that share a tensor map it to the same key: cross-entropy and a distillation KL on the
/// same student logits both map `.input` to the logits' key; an attention-target term maps its
/// `.input` to the attention maps' key. A term without a gradient for a key contributes 0 to it,
/// so request the same gradients from every term that depends on an input.
///
/// Values of equal shape are added elementwise (usually 0-d reduced losses; the gradient of a
/// `none` value is that of its sum, so the sum of two `none` terms stays consistent).
///
/// ```swift
/// var total = LossComposition<Double, String>()
/// try total.add(crossEntropy(input: logits, target: labels), weight: 1, inputs: [.input: "logits"])
/// try total.add(attentionTargetLoss(input: attention, target: trigger), weight: 0.5, inputs: [.input: "attention"])
/// total.value                  // 1·CE + 0.5·attention-target
/// total.gradients["logits"]    // ∂/∂logits
/// total.gradients["attention"] // 0.5·∂attention-target/∂attention
/// ```
public struct LossComposition<Scalar: LossScalar, Key: Hashable> {
    /// The weighted sum of the values added so far (0-d zero before the first term).
    public private(set) var value: Tensor<Scalar>
    /// The weighted sums of the gradients, per input.
    public private(set) var gradients: [Key: Tensor<Scalar>]
    /// The number of terms added.
    public private(set) var termCount: Int

    /// An empty composition: value 0, no gradients.
    public init() {
        value = Tensor(Scalar(0))
        gradients = [:]
        termCount = 0
    }

    /// Adds `weight`·`term`: its value to ``value``, each of its gradients to the gradient of
    /// the key `inputs` maps its argument to.
    ///
    /// - Throws: ``LossError/invalidOption(name:value:expected:)`` for a non-finite weight;
    ///   ``LossError/missingArgument(name:reason:)`` for a gradient whose argument `inputs` does
    ///   not map; ``LossError/shapeMismatch(argument:expected:actual:)`` (argument `value`, or
    ///   the key) when the value or a gradient has another shape than what it is added to.
    ///   Nothing is changed when it throws.
    public mutating func add(_ term: LossResult<Scalar>, weight: Scalar = 1, inputs: [LossArgument: Key]) throws(LossError) {
        try checkOption("weight", weight, expected: "a finite number") { $0.isFinite }
        if termCount > 0 { try checkShape("value", term.value.shape, equals: value.shape) }
        var mapped: [(key: Key, gradient: Tensor<Scalar>)] = []
        var shapes: [Key: [Int]] = gradients.mapValues(\.shape)
        for argument in LossArgument.allCases {
            guard let g = term.gradients[argument] else { continue }
            guard let key = inputs[argument] else {
                throw LossError.missingArgument(
                    name: argument.rawValue, reason: "the term has a gradient for \(argument.rawValue) but `inputs` maps it to no key")
            }
            if let shape = shapes[key] { try checkShape("\(key)", g.shape, equals: shape) }
            shapes[key] = g.shape
            mapped.append((key, g))
        }
        value = termCount == 0 ? Self.scaled(term.value, weight) : Self.adding(value, term.value, weight)
        for (key, g) in mapped {
            gradients[key] = gradients[key].map { Self.adding($0, g, weight) } ?? Self.scaled(g, weight)
        }
        termCount += 1
    }

    /// w·t.
    @usableFromInline
    static func scaled(_ t: Tensor<Scalar>, _ w: Scalar) -> Tensor<Scalar> {
        Tensor(uncheckedShape: t.shape, scalars: t.scalars.map { w * $0 })
    }

    /// a + w·b, for tensors of the same shape.
    @usableFromInline
    static func adding(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, _ w: Scalar) -> Tensor<Scalar> {
        var sum = a
        b.withUnsafeBufferPointer { bb in
            sum.withUnsafeMutableBufferPointer { sb in
                for i in sb.indices { sb[i] += w * bb[i] }
            }
        }
        return sum
    }
}

extension LossComposition: Sendable where Key: Sendable {}

extension LossComposition where Key == LossArgument {
    /// Adds `weight`·`term`, each gradient to the gradient of the same ``LossArgument``: for
    /// terms whose arguments name the same tensors (e.g. two losses of the same `input` logits).
    public mutating func add(_ term: LossResult<Scalar>, weight: Scalar = 1) throws(LossError) {
        try add(term, weight: weight, inputs: Dictionary(uniqueKeysWithValues: LossArgument.allCases.map { ($0, $0) }))
    }

    /// The composition as a ``LossResult``.
    public var result: LossResult<Scalar> { LossResult(value: value, gradients: gradients) }
}

/// The weighted sum of loss terms over shared inputs: values added, gradients added per
/// ``LossArgument``.
///
/// ```
/// value = Σⱼ wⱼ·valueⱼ        gradient[x] = Σⱼ wⱼ·gradientⱼ[x]
/// ```
/// Use it when the terms' arguments name the same tensors, e.g. cross-entropy plus a
/// distillation KL on the same student logits (`.input`), the CE + KL recipe of MGViT and LFViT.
/// For terms on different tensors that share an argument name (cross-entropy on logits plus
/// attention-target on attention maps, both `.input`), use ``LossComposition`` with keys.
///
/// - Parameter terms: weights and results; an empty list gives a 0-d zero with no gradients.
/// - Returns: the combined value and gradients.
/// - Throws: as ``LossComposition/add(_:weight:inputs:)``: a non-finite weight, or values or
///   same-argument gradients of different shapes.
///
/// ```swift
/// let logits = try Tensor(shape: [1, 3], scalars: [2, 1, 0] as [Double])
/// let teacher = try Tensor(shape: [1, 3], scalars: [0, 1, 2] as [Double])
/// let ce = try crossEntropy(input: logits, target: Tensor([0] as [Int]))
/// let kd = try distillationLoss(input: logits, target: teacher, temperature: 2)
/// let r = try combine([(weight: 1, result: ce), (weight: 0.5, result: kd)])
/// r.scalar              // 1.0479193001039933  (= 0.4076059644443804 + 0.5·1.2806266713192258)
/// r.gradients[.input]   // [-0.014602376395371763, 0.2447284710547976, -0.23012609465942602]
/// ```
@inlinable
public func combine<T: LossScalar>(_ terms: [(weight: T, result: LossResult<T>)]) throws(LossError) -> LossResult<T> {
    var composition = LossComposition<T, LossArgument>()
    for term in terms { try composition.add(term.result, weight: term.weight) }
    return composition.result
}
