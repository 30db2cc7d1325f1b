import RealModule
// Family G of LOSSES.md: losses of generative models. Adversarial objectives (`ganLoss`), the
// critic's gradient penalties (`gradientPenalty`), feature-space losses for image synthesis and
// style transfer (`perceptualLoss`, `styleLoss`) and the total-variation smoothness prior
// (`totalVariationLoss`).
//
// The adversarial objectives are elementwise and run through `evaluateElementwise` (one fused pass,
// softplus/log-sigmoid forms). The other losses reduce one sample (`[C, ...]`) to one value and
// split the batch over threads with `blockedSum` (deterministic); the Gram matrices of the style
// loss go through the blocked matrix multiply.
//
// Subgradients follow PyTorch's autograd: |x| and relu pass no gradient at 0, and the Euclidean
// norm of a zero vector passes none (`masked_fill(norm == 0, 0)` in torch's norm backward).

// MARK: - Options

/// The adversarial objective of ``ganLoss(input:real:objective:side:reduction:wrt:)``.
public enum GANObjective: String, CaseIterable, Sendable {
    /// Goodfellow et al. (2014) with the generator maximizing log D(G(z)): −log σ(fake).
    case nonSaturating = "non-saturating"
    /// The original two-player game: the generator minimizes log(1 − σ(fake)) (saturates).
    case minimax
    /// LSGAN (Mao et al. 2017): squared distances to the labels 1 (real) and 0 (fake).
    case leastSquares = "least-squares"
    /// The hinge loss of geometric/SAGAN/BigGAN discriminators.
    case hinge
    /// WGAN (Arjovsky et al. 2017): the critic's score difference.
    case wasserstein
}

/// Which player's loss ``ganLoss(input:real:objective:side:reduction:wrt:)`` computes.
public enum GANSide: String, CaseIterable, Sendable {
    /// The discriminator (critic): scores on real and on generated samples.
    case discriminator
    /// The generator: scores on generated samples only.
    case generator
}

/// The penalty of ``gradientPenalty(input:kind:weight:reduction:wrt:)``.
public enum GradientPenaltyKind: String, CaseIterable, Sendable {
    /// WGAN-GP (Gulrajani et al. 2017): λ·(‖∇D‖₂ − 1)², at interpolates of real and fake samples.
    case wganGP = "wgan-gp"
    /// R1 (Mescheder et al. 2018): (λ/2)·‖∇D‖₂², at real samples.
    case r1
}

/// The per-channel difference of ``perceptualLoss(input:target:weight:normalize:distance:reduction:wrt:)``.
public enum PerceptualDistance: String, CaseIterable, Sendable {
    /// Squared difference (LPIPS).
    case l2
    /// Absolute difference.
    case l1
}

// MARK: - GAN

/// The adversarial loss of a GAN, for the discriminator or the generator, from the
/// discriminator's raw outputs (logits or critic scores).
///
/// With x = `input` (the discriminator's output on generated samples) and r = `real` (its
/// output on real samples), per element:
/// ```
///                    discriminator                          generator
/// minimax            softplus(−r) + softplus(x)             −softplus(x)   (= log(1 − σ(x)))
/// non-saturating     softplus(−r) + softplus(x)             softplus(−x)   (= −log σ(x))
/// least-squares      ½[(r − 1)² + x²]                       ½(x − 1)²
/// hinge              relu(1 − r) + relu(1 + x)              −x
/// wasserstein        x − r                                  −x
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the shape of input)
/// ```
/// softplus(−r) + softplus(x) is BCE-with-logits(r, 1) + BCE-with-logits(x, 0).
/// Shapes: `input` any shape (usually `[N]`, `[N, 1]` or a PatchGAN map `[N, 1, H, W]`), `real`
/// the same shape.
///
/// Gradient:
/// ```
///                    ∂ℓ/∂input (discriminator)  ∂ℓ/∂real          ∂ℓ/∂input (generator)
/// minimax, non-sat.  σ(x)                       −σ(−r)            −σ(x) | −σ(−x)
/// least-squares      x                          r − 1             x − 1
/// hinge              [1 + x > 0]                −[1 − r > 0]      −1
/// wasserstein        1                          −1                −1
/// ```
/// divided by the element count for `mean`. The hinges pass no gradient at their kink (torch's
/// relu). For the generator, `real` is not used: its gradient, if requested, is zero.
///
/// - Parameters:
///   - input: discriminator outputs on generated samples.
///   - real: discriminator outputs on real samples, same shape; required for `.discriminator`.
///   - objective: `.nonSaturating` (default), `.minimax`, `.leastSquares`, `.hinge`, `.wasserstein`.
///   - side: `.discriminator` (default) or `.generator`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default `.input` and `.real`).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/missingArgument(name:reason:)`` if `real` is nil for the discriminator;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` if `real` is not shaped like
///   `input`; ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: the log-sigmoid forms keep every value and gradient finite for finite logits
/// (±1e4 included) and give the limits at ±inf: softplus(−inf) = 0 with gradient 0,
/// softplus(+inf) = +inf with gradient 1 (σ saturates at exactly 0 and 1, never NaN). The
/// minimax generator loss is −softplus(x), never log of 1 − σ(x) in probability space.
/// Wasserstein and hinge generator losses are unbounded below by definition. The mean of an
/// empty input is NaN.
///
/// Reference: the formulas above in PyTorch with `F.logsigmoid` (softplus(z) = −logsigmoid(−z));
/// for minimax/non-saturating the discriminator loss equals
/// `F.binary_cross_entropy_with_logits(r, 1) + F.binary_cross_entropy_with_logits(x, 0)` per element.
///
/// ```swift
/// let fake = Tensor([-1, 2] as [Double]), real = Tensor([3, 0] as [Double])
/// let d = try ganLoss(input: fake, real: real)
/// d.scalar                 // 1.5909621153474416
/// d.gradients[.input]      // [0.13447071068499755, 0.4403985389889412]
/// d.gradients[.real]       // [-0.023712936588783394, -0.25]
/// let g = try ganLoss(input: fake, side: .generator)
/// g.scalar                 // 0.7200948492805976
/// ```
@inlinable
public func ganLoss<T: LossScalar>(
    input: Tensor<T>, real: Tensor<T>? = nil, objective: GANObjective = .nonSaturating,
    side: GANSide = .discriminator, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .real]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    if let real { try checkShape("real", real.shape, equals: input.shape) }
    switch side {
    case .discriminator:
        guard let real else {
            throw LossError.missingArgument(
                name: "real", reason: "required for side=discriminator (the discriminator's output on real samples, shape \(describe(shape: input.shape)))")
        }
        let inputs: [(tensor: Tensor<T>, argument: LossArgument?)] = [(input, .input), (real, .real)]
        switch objective {
        case .minimax, .nonSaturating:
            return evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, r, _ in
                let f = LogisticLanes(x), t = LogisticLanes(r)
                return LaneTerms(
                    loss: x.positivePart + f.l + (-r).positivePart + t.l, d0: f.sigmoid, d1: -t.sigmoidOfNegation)
            }
        case .leastSquares:
            return evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, r, _ in
                let e = r - 1
                return LaneTerms(loss: 0.5 * (e * e + x * x), d0: x, d1: e)
            }
        case .hinge:
            return evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, r, _ in
                let a = 1 - r, b = 1 + x
                return LaneTerms(
                    loss: a.positivePart + b.positivePart,
                    d0: SIMD8.zero.replacing(with: 1, where: b .> 0),
                    d1: SIMD8.zero.replacing(with: -1, where: a .> 0))
            }
        case .wasserstein:
            return evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, r, _ in
                LaneTerms(loss: x - r, d0: SIMD8(repeating: 1), d1: SIMD8(repeating: -1))
            }
        }
    case .generator:
        let inputs: [(tensor: Tensor<T>, argument: LossArgument?)] = [(input, .input)]
        var result: LossResult<T>
        switch objective {
        case .minimax:
            result = evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, _, _ in
                let f = LogisticLanes(x)
                return LaneTerms(loss: -(x.positivePart + f.l), d0: -f.sigmoid)
            }
        case .nonSaturating:
            result = evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, _, _ in
                let f = LogisticLanes(x)
                return LaneTerms(loss: (-x).positivePart + f.l, d0: -f.sigmoidOfNegation)
            }
        case .leastSquares:
            result = evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, _, _ in
                let e = x - 1
                return LaneTerms(loss: 0.5 * e * e, d0: e)
            }
        case .hinge, .wasserstein:
            result = evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, _, _ in
                LaneTerms(loss: -x, d0: SIMD8(repeating: -1))
            }
        }
        if let real, wrt.contains(.real) {
            result.gradients[.real] = Tensor(uncheckedShape: real.shape, scalars: [T](repeating: 0, count: real.count))
        }
        return result
    }
}

// MARK: - Gradient penalty

/// The gradient penalty of a GAN critic: how far the norm of the critic's gradient with respect
/// to its input is from 1 (WGAN-GP) or from 0 (R1).
///
/// ```
/// gₙ = input[n, ...] (the critic's gradient for sample n, flattened)
/// ℓₙ = λ·(‖gₙ‖₂ − 1)²          (wgan-gp)
///    = (λ/2)·‖gₙ‖₂²            (r1)
/// loss = (1/N) Σₙ ℓₙ (mean, default) | Σₙ ℓₙ (sum) | ℓ (none, shape [N])
/// ```
/// Shapes: `input` `[N, ...]` (rank ≥ 1; `[N]` makes each gₙ a scalar).
///
/// Gradient:
/// ```
/// ∂ℓₙ/∂gₙ = 2λ·(‖gₙ‖₂ − 1)·gₙ/‖gₙ‖₂      (wgan-gp; 0 at gₙ = 0)
///         = λ·gₙ                         (r1)
/// ```
/// divided by N for `mean`. ‖g‖ has no derivative at g = 0; like torch's autograd (which masks
/// the gradient of a norm that is 0) LossKit uses the subgradient 0 there, so a zero gradient
/// row gets a zero gradient, not NaN. In practice the loss is differentiated again through the
/// critic (`create_graph=True`); this function gives ∂loss/∂g for that chain.
///
/// - Parameters:
///   - input: the gradients of the critic's output with respect to its input, `[N, ...]`.
///   - kind: `.wganGP` (default) or `.r1`.
///   - weight: λ, a finite number ≥ 0 (default 10).
///   - reduction: `.mean` over N (default; the formula of the papers), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for a 0-d input;
///   ``LossError/invalidOption(name:value:expected:)`` for a negative or non-finite weight or
///   `batchmean`.
///
/// Edge cases: norms are computed with rescaling where the squares would overflow or underflow,
/// so rows with entries of 1e30 (Float) or 1e-30 give the exact norm and a finite gradient
/// (the direction gₙ/‖gₙ‖ stays accurate for tiny rows). The mean of an empty batch is NaN.
///
/// Reference: `λ·((g.flatten(1).norm(2, dim=1) − 1)**2).mean()` and
/// `λ/2·(g.flatten(1).norm(2, dim=1)**2).mean()` in PyTorch, differentiated by autograd.
///
/// ```swift
/// let g = try Tensor(shape: [2, 2], scalars: [3, 4, 0, 0] as [Double])
/// let r = try gradientPenalty(input: g)
/// r.scalar                 // 85.0     (10·((5 − 1)² + (0 − 1)²)/2)
/// r.gradients[.input]      // [24, 32, 0, 0]
/// ```
@inlinable
public func gradientPenalty<T: LossScalar>(
    input: Tensor<T>, kind: GradientPenaltyKind = .wganGP, weight: T = 10,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkOption("weight", weight, expected: "a finite number >= 0") { $0 >= 0 && $0.isFinite }
    guard input.rank >= 1 else {
        throw LossError.invalidShape(argument: "input", shape: input.shape, reason: "expected rank ≥ 1 ([N, ...]), got rank 0")
    }
    let batch = input.shape[0]
    let rowLength = input.shape.dropFirst().reduce(1, *)
    let lambda = weight
    if rowLength == 0 {
        // Empty rows have norm 0: ℓₙ = λ (wgan-gp) or 0 (r1), and nothing to differentiate.
        let plan = ReductionPlan<T>(reduction, count: batch)
        let each: T = kind == .wganGP ? lambda : 0
        var result = LossResult<T>(
            value: reduction == .none
                ? Tensor(uncheckedShape: [batch], scalars: [T](repeating: each, count: batch))
                : Tensor(plan.value(fromSum: each * T(batch))))
        if wrt.contains(.input) { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: []) }
        return result
    }
    switch kind {
    case .wganGP:
        return evaluateRows(input, rowLength: rowLength, valueShape: [batch], wrt: wrt, reduction: reduction) { _, g, grad, scale in
            let n = scaledEuclideanNorm(g, rowLength)
            let e = n.norm - 1
            if let grad {
                // 2λ(‖g‖ − 1)·g/‖g‖ with g/‖g‖ = (g/m)/s; the zero row passes no gradient.
                let k = n.norm == 0 ? 0 : scale * 2 * lambda * e / n.scaledNorm
                GenerativeKernels.scaleRowDividing(g, rowLength, by: k, dividedBy: n.scale, into: grad)
            }
            return lambda * e * e
        }
    case .r1:
        return evaluateRows(input, rowLength: rowLength, valueShape: [batch], wrt: wrt, reduction: reduction) { _, g, grad, scale in
            let n = scaledEuclideanNorm(g, rowLength)
            if let grad { GenerativeKernels.scaleRowDividing(g, rowLength, by: scale * lambda, dividedBy: 1, into: grad) }
            return lambda / 2 * n.norm * n.norm
        }
    }
}

// MARK: - Perceptual

/// One layer's features for the multi-layer ``perceptualLoss(layers:normalize:distance:reduction:wrt:)``.
public struct PerceptualLayer<Scalar: LossScalar>: Sendable {
    /// Features of the generated image, `[N, C, ...]` (differentiated).
    public var input: Tensor<Scalar>
    /// Features of the reference image, the same shape.
    public var target: Tensor<Scalar>
    /// Optional per-channel weights `[C]` (LPIPS's learned linear layer).
    public var weight: Tensor<Scalar>?
    /// The weight of this layer in the sum over layers.
    public var layerWeight: Scalar

    @inlinable
    public init(input: Tensor<Scalar>, target: Tensor<Scalar>, weight: Tensor<Scalar>? = nil, layerWeight: Scalar = 1) {
        self.input = input; self.target = target; self.weight = weight; self.layerWeight = layerWeight
    }
}

/// The value of a loss over several feature layers and the gradient for each layer's input.
public struct LayeredLossResult<Scalar: LossScalar>: Sendable {
    /// The loss: 0-d when reduced, `[N]` for `none`.
    public var value: Tensor<Scalar>
    /// ∂value/∂layers[l].input for each layer, in order; empty when not requested.
    public var inputGradients: [Tensor<Scalar>]

    @inlinable
    public init(value: Tensor<Scalar>, inputGradients: [Tensor<Scalar>]) {
        self.value = value; self.inputGradients = inputGradients
    }

    /// The value of a reduced loss, or `nil` when unreduced.
    @inlinable public var scalar: Scalar? { value.shape.isEmpty ? value.scalar : nil }
}

/// The LPIPS-style perceptual distance of one feature layer: features unit-normalized over
/// channels at each position, weighted squared (or absolute) differences summed over channels and
/// averaged over positions.
///
/// ```
/// x̂[c, p] = x[c, p] / (‖x[·, p]‖₂ + ε)      ŷ likewise      (when normalize; ε = 1e-10)
/// dₙ = (1/M) Σₚ Σ_c w_c·(x̂[c, p] − ŷ[c, p])²     (l2)    or  w_c·|x̂ − ŷ|  (l1)
/// loss = dₙ (none, default, shape [N]) | (1/N) Σₙ dₙ (mean) | Σₙ dₙ (sum)
/// ```
/// p runs over the M = H·W positions (all dimensions after C), c over the C channels, w_c = 1
/// without `weight`.
///
/// Shapes: `input` `[N, C, ...]` (usually `[N, C, H, W]`; rank ≥ 2), `target` the same, `weight` `[C]`.
///
/// Gradient (only `input` is differentiated), with a = ∂dₙ/∂x̂ = 2w_c(x̂ − ŷ)/M (l2) or
/// w_c·sign(x̂ − ŷ)/M (l1, sign(0) = 0), s = ‖x[·, p]‖ + ε:
/// ```
/// ∂dₙ/∂x[·, p] = a/s − x·(xᵀa)/(‖x‖·s²)        (normalize; the second term is 0 at x = 0)
///              = a                              (normalize = false)
/// ```
///
/// - Parameters:
///   - input: features of the generated images `[N, C, ...]`.
///   - target: features of the reference images, the same shape (not differentiated).
///   - weight: optional per-channel weights `[C]`.
///   - normalize: unit-normalize each position's channel vector first (default true).
///   - distance: `.l2` (default) or `.l1`.
///   - reduction: `.none` (default, the per-sample distance `[N]` LPIPS returns), `.mean` or `.sum`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the distance and, if requested, ∂/∂input (of the sum of the distances for `none`).
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for rank < 2;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` for `target` or `weight`;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: at a position where every channel of `input` is 0, x̂ = x/ε has the Jacobian I/ε,
/// so the gradient is a/ε, finite; PyTorch's `x / (sqrt(Σx²) + ε)` gives NaN there (the
/// derivative of sqrt at 0), LossKit returns the finite limit. Channel norms whose squares would
/// overflow are rescaled. Features with no positions (M = 0) give NaN, the mean of nothing.
///
/// Reference: LPIPS's `normalize_tensor`, squared difference, 1×1 weighted channel sum and
/// spatial average (Zhang et al. 2018, `lpips.LPIPS` for one layer), written in PyTorch.
/// For several layers use ``perceptualLoss(layers:normalize:distance:reduction:wrt:)``.
///
/// ```swift
/// let x = try Tensor(shape: [1, 2, 1, 1], scalars: [3, 4] as [Double])
/// let y = try Tensor(shape: [1, 2, 1, 1], scalars: [1, 0] as [Double])
/// let r = try perceptualLoss(input: x, target: y)
/// r.value                  // [0.799999999904]      ((0.6 − 1)² + 0.8², up to ε)
/// r.gradients[.input]      // [-0.25599999996736, 0.19199999997952]
/// ```
@inlinable
public func perceptualLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, weight: Tensor<T>? = nil, normalize: Bool = true,
    distance: PerceptualDistance = .l2, reduction: Reduction = .none, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try GenerativeKernels.checkFeatures(input: input, target: target, weight: weight, prefix: "")
    let batch = input.shape[0]
    let plan = ReductionPlan<T>(reduction, count: batch)
    let scale = plan.gradientScale
    let (distances, gradient) = GenerativeKernels.perceptual(
        input, target, weight, normalize: normalize, distance: distance, gradientScale: wrt.contains(.input) ? scale : nil)
    var result = LossResult<T>(
        value: reduction == .none
            ? Tensor(uncheckedShape: [batch], scalars: distances)
            : Tensor(plan.value(fromSum: distances.reduce(0, +))))
    if let gradient { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: gradient) }
    return result
}

/// The perceptual loss over several feature layers of any extractor: the weighted sum of the
/// per-layer distances of ``perceptualLoss(input:target:weight:normalize:distance:reduction:wrt:)``.
///
/// ```
/// Dₙ = Σₗ λₗ · dₙ(layers[l].input, layers[l].target, layers[l].weight)
/// loss = Dₙ (none, default, shape [N]) | (1/N) Σₙ Dₙ (mean) | Σₙ Dₙ (sum)
/// ```
/// This is LPIPS when the layers are the five normalized feature maps of its backbone with the
/// learned channel weights. Every layer has the same batch size N; channels and spatial sizes may
/// differ from layer to layer.
///
/// Gradient: λₗ times the layer's own gradient (see the single-layer function), one per layer.
///
/// - Parameters:
///   - layers: the features, channel weights and layer weight of each layer (at least one).
///   - normalize: unit-normalize each position's channel vector first (default true).
///   - distance: `.l2` (default) or `.l1`, as for one layer.
///   - reduction: `.none` (default, `[N]`), `.mean` or `.sum` over the batch.
///   - wrt: `[.input]` (default) for every layer's gradient, or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input for each layer in order.
/// - Throws: ``LossError/missingArgument(name:reason:)`` for an empty `layers`; the single-layer
///   errors with the argument named `layers[l].input` etc.; ``LossError/shapeMismatch(argument:expected:actual:)``
///   when a layer's batch size differs from the first layer's; ``LossError/invalidOption(name:value:expected:)``
///   for a non-finite layer weight or `batchmean`.
///
/// Reference: the sum of the single-layer reference over layers (LPIPS's `sum(res)`).
///
/// ```swift
/// let a = PerceptualLayer(input: try Tensor(shape: [1, 2, 1, 1], scalars: [3, 4] as [Double]),
///                         target: try Tensor(shape: [1, 2, 1, 1], scalars: [1, 0]))
/// let b = PerceptualLayer(input: try Tensor(shape: [1, 1, 1, 2], scalars: [1, -1] as [Double]),
///                         target: try Tensor(shape: [1, 1, 1, 2], scalars: [1, 1]), layerWeight: 0.5)
/// try perceptualLoss(layers: [a, b]).value   // [1.799999999704]   (0.8 + 0.5·(0 + 4)/2, up to ε)
/// ```
@inlinable
public func perceptualLoss<T: LossScalar>(
    layers: [PerceptualLayer<T>], normalize: Bool = true, distance: PerceptualDistance = .l2,
    reduction: Reduction = .none, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LayeredLossResult<T> {
    try reduction.validate()
    guard let first = layers.first else {
        throw LossError.missingArgument(name: "layers", reason: "at least one feature layer is required")
    }
    for (l, layer) in layers.enumerated() {
        try GenerativeKernels.checkFeatures(input: layer.input, target: layer.target, weight: layer.weight, prefix: "layers[\(l)].")
        try checkOption("layers[\(l)].layerWeight", layer.layerWeight, expected: "a finite number") { $0.isFinite }
        if layer.input.shape[0] != first.input.shape[0] {
            throw LossError.shapeMismatch(
                argument: "layers[\(l)].input", expected: [first.input.shape[0]] + layer.input.shape.dropFirst(),
                actual: layer.input.shape)
        }
    }
    let batch = first.input.shape[0]
    let plan = ReductionPlan<T>(reduction, count: batch)
    let scale = plan.gradientScale
    var total = [T](repeating: 0, count: batch)
    var gradients: [Tensor<T>] = []
    for layer in layers {
        let (d, g) = GenerativeKernels.perceptual(
            layer.input, layer.target, layer.weight, normalize: normalize, distance: distance,
            gradientScale: wrt.contains(.input) ? scale * layer.layerWeight : nil)
        for n in 0..<batch { total[n] += layer.layerWeight * d[n] }
        if let g { gradients.append(Tensor(uncheckedShape: layer.input.shape, scalars: g)) }
    }
    return LayeredLossResult(
        value: reduction == .none
            ? Tensor(uncheckedShape: [batch], scalars: total) : Tensor(plan.value(fromSum: total.reduce(0, +))),
        inputGradients: gradients)
}

// MARK: - Style

/// The style loss of neural style transfer (Gatys et al. 2016): the mean squared difference of
/// the Gram matrices of two feature maps.
///
/// ```
/// Fₙ = input[n] as a C × M matrix (M = H·W, all dimensions after C)
/// Gₙ = Fₙ Fₙᵀ / (C·M)          Ĝₙ likewise from target
/// ℓₙ = (1/C²) Σᵢⱼ (Gₙ − Ĝₙ)ᵢⱼ²
/// loss = (1/N) Σₙ ℓₙ (mean, default) | Σₙ ℓₙ (sum) | ℓ (none, shape [N])
/// ```
/// Shapes: `input` `[N, C, ...]` (usually `[N, C, H, W]`; rank ≥ 2), `target` the same shape.
///
/// Gradient (only `input` is differentiated; G and Ĝ are symmetric):
/// ```
/// ∂ℓₙ/∂Fₙ = 4·(Gₙ − Ĝₙ)·Fₙ / (C³·M)
/// ```
/// divided by N for `mean`.
///
/// - Parameters:
///   - input: features of the generated images `[N, C, ...]`.
///   - target: features of the style images, the same shape (not differentiated).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for rank < 2 or C = 0;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` for `target`;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: identical features give exactly 0 with a zero gradient. Features with no
/// positions (M = 0) give NaN (0/0 in the Gram normalization, as in PyTorch). The Gram matrices
/// are products of the features: entries beyond ~1e9 overflow the squared difference in `Float`.
///
/// Reference: `G = F.flatten(2) @ F.flatten(2).transpose(1, 2) / (C·H·W)`,
/// `((G − Ĝ)**2).mean((1, 2))` in PyTorch, differentiated by autograd.
///
/// ```swift
/// let x = try Tensor(shape: [1, 2, 1, 1], scalars: [1, 2] as [Double])
/// let y = try Tensor(shape: [1, 2, 1, 1], scalars: [0, 1] as [Double])
/// let r = try styleLoss(input: x, target: y)
/// r.scalar                 // 1.125        (G = [[.5, 1], [1, 2]], Ĝ = [[0, 0], [0, .5]])
/// r.gradients[.input]      // [1.25, 2.0]
/// ```
@inlinable
public func styleLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkRank("input", input.shape, in: 2...Int.max)
    try checkShape("target", target.shape, equals: input.shape)
    let (batch, channels) = (input.shape[0], input.shape[1])
    guard channels > 0 else {
        throw LossError.invalidShape(argument: "input", shape: input.shape, reason: "the channel dimension is empty")
    }
    let positions = input.shape.dropFirst(2).reduce(1, *)
    let plan = ReductionPlan<T>(reduction, count: batch)
    let scale = plan.gradientScale
    let sample = channels * positions
    let cc = channels * channels
    let norm = 1 / (T(channels) * T(positions))
    var losses = [T](repeating: 0, count: batch)
    let gradient = wrt.contains(.input) ? TensorBuffer<T>(uninitializedCount: input.count) : nil
    // One workspace for all samples; each multiply splits its own rows over threads.
    let workspace = MatrixMultiplyWorkspace<T>()
    var grams = [T](repeating: 0, count: 2 * cc)
    input.withUnsafeBufferPointer { xb in
        target.withUnsafeBufferPointer { yb in
            grams.withUnsafeMutableBufferPointer { gb in
                let g = gb.baseAddress!, h = g + cc
                for n in 0..<batch {
                    let x = base(xb) + n * sample, y = base(yb) + n * sample
                    let fx = MatrixOperand.rowMajor(x, columns: positions), fy = MatrixOperand.rowMajor(y, columns: positions)
                    matrixMultiply(m: channels, n: channels, k: positions, fx, fx.transposed, into: g, ldc: channels, accumulate: false, workspace: workspace)
                    matrixMultiply(m: channels, n: channels, k: positions, fy, fy.transposed, into: h, ldc: channels, accumulate: false, workspace: workspace)
                    // D = G − Ĝ (unnormalized Grams, so one multiply by `norm`), in place of G.
                    var sum: T = 0
                    for i in 0..<cc {
                        let d = (g[i] - h[i]) * norm
                        g[i] = d
                        sum += d * d
                    }
                    losses[n] = sum / T(cc)
                    if let gradient {
                        for i in 0..<cc { g[i] *= 4 * norm / T(cc) * scale }
                        matrixMultiply(
                            m: channels, n: positions, k: channels, .rowMajor(UnsafePointer(g), columns: channels), fx,
                            into: gradient.base + n * sample, ldc: positions, accumulate: false, workspace: workspace)
                    }
                }
            }
        }
    }
    var result = LossResult<T>(
        value: reduction == .none
            ? Tensor(uncheckedShape: [batch], scalars: losses) : Tensor(plan.value(fromSum: losses.reduce(0, +))))
    if let gradient { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: gradient) }
    return result
}

// MARK: - Total variation

/// The anisotropic total variation of images: the sum of absolute differences between vertically
/// and horizontally adjacent pixels, per sample.
///
/// ```
/// ℓₙ = Σ_c Σ_h,w |x[n, c, h+1, w] − x[n, c, h, w]| + Σ_c Σ_h,w |x[n, c, h, w+1] − x[n, c, h, w]|
/// loss = Σₙ ℓₙ (sum, default) | (1/N) Σₙ ℓₙ (mean) | ℓ (none, shape [N])
/// ```
/// Shapes: `input` `[N, C, H, W]`.
///
/// Gradient: each difference d = x[a] − x[b] adds sign(d) to x[a] and −sign(d) to x[b]
/// (sign(0) = 0, torch's subgradient of |·|):
/// ```
/// ∂ℓₙ/∂x[h, w] = sign(x[h,w] − x[h−1,w]) − sign(x[h+1,w] − x[h,w])
///              + sign(x[h,w] − x[h,w−1]) − sign(x[h,w+1] − x[h,w])   (terms outside the image omitted)
/// ```
/// divided by N for `mean`.
///
/// - Parameters:
///   - input: images `[N, C, H, W]`.
///   - reduction: `.sum` over the batch (default), `.mean` over the batch or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and, if requested, ∂loss/∂input.
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` unless `input` has rank 4;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Edge cases: a constant image has variation 0 and gradient 0; H = 1 or W = 1 contribute no
/// differences along that axis. Differences of ±inf pixels are inf (NaN for inf − inf).
///
/// Reference: `kornia.losses.total_variation(x, reduction="sum")` (kornia 0.9 keeps the channel
/// axis, `[N, C]`), summed over channels: that is `none`; `sum`/`mean` reduce it over the batch.
/// kornia's own `reduction="mean"` (an average per difference within each image) is a different
/// quantity and is not offered: divide by the number of differences if you need it.
///
/// ```swift
/// let x = try Tensor(shape: [1, 1, 2, 2], scalars: [0, 1, 3, 3] as [Double])
/// let r = try totalVariationLoss(input: x)
/// r.scalar                 // 6.0   (|3 − 0| + |3 − 1| + |1 − 0| + |3 − 3|)
/// r.gradients[.input]      // [-2, 0, 1, 1]
/// ```
@inlinable
public func totalVariationLoss<T: LossScalar>(
    input: Tensor<T>, reduction: Reduction = .sum, wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkRank("input", input.shape, in: 4...4)
    let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
    let sample = channels * height * width
    let plan = ReductionPlan<T>(reduction, count: batch)
    let scale = plan.gradientScale
    var losses = [T](repeating: 0, count: batch)
    let gradient = wrt.contains(.input) ? TensorBuffer<T>(uninitializedCount: input.count) : nil
    if let gradient { gradient.base.initialize(repeating: 0, count: input.count) }
    input.withUnsafeBufferPointer { xb in
        losses.withUnsafeMutableBufferPointer { lb in
            let out = lb.baseAddress
            _ = blockedSum(count: batch, blockSize: rowsPerBlock(rowLength: sample)) { (range: Range<Int>) -> T in
                for n in range {
                    var total: T = 0
                    for c in 0..<channels {
                        let offset = n * sample + c * height * width
                        total += GenerativeKernels.planeVariation(
                            base(xb) + offset, height: height, width: width, scale: scale,
                            gradient: gradient.map { $0.base + offset })
                    }
                    out?[n] = total
                }
                return 0
            }
        }
    }
    var result = LossResult<T>(
        value: reduction == .none
            ? Tensor(uncheckedShape: [batch], scalars: losses) : Tensor(plan.value(fromSum: losses.reduce(0, +))))
    if let gradient { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: gradient) }
    return result
}

// MARK: - Kernels

/// The per-sample kernels of the generative losses.
@usableFromInline
enum GenerativeKernels {
    /// out = k · (v / divisor), 8 lanes at a time (divisor 1 skips the division).
    @inlinable
    static func scaleRowDividing<T: LossScalar>(
        _ v: UnsafePointer<T>, _ n: Int, by k: T, dividedBy divisor: T, into out: UnsafeMutablePointer<T>
    ) {
        if divisor == 1 { return LossKit.scaleRow(v, by: k, into: out, n) }
        let kv = SIMD8(repeating: k)
        var i = 0
        do {
            let d = SIMD8(repeating: divisor)
            while i + 8 <= n { store8(kv * (load8(v + i) / d), out + i); i += 8 }
            while i < n { out[i] = k * (v[i] / divisor); i += 1 }
        }
    }

    /// Checks one perceptual layer's features (`prefix` names the layer in messages).
    @inlinable
    static func checkFeatures<T: LossScalar>(
        input: Tensor<T>, target: Tensor<T>, weight: Tensor<T>?, prefix: String
    ) throws(LossError) {
        try checkRank(prefix + "input", input.shape, in: 2...Int.max)
        try checkShape(prefix + "target", target.shape, equals: input.shape)
        if let weight { try checkShape(prefix + "weight", weight.shape, equals: [input.shape[1]]) }
    }

    /// The per-sample perceptual distances of one layer and, when `gradientScale` is given, the
    /// gradient with respect to `input` multiplied by it.
    @inlinable
    static func perceptual<T: LossScalar>(
        _ input: Tensor<T>, _ target: Tensor<T>, _ weight: Tensor<T>?, normalize: Bool,
        distance: PerceptualDistance, gradientScale: T?
    ) -> (distances: [T], gradient: TensorBuffer<T>?) {
        let (batch, channels) = (input.shape[0], input.shape[1])
        let positions = input.shape.dropFirst(2).reduce(1, *)
        let sample = channels * positions
        var distances = [T](repeating: 0, count: batch)
        let gradient = gradientScale.map { _ in TensorBuffer<T>(uninitializedCount: input.count) }
        withWeights(weight, count: channels) { w in
            input.withUnsafeBufferPointer { xb in
                target.withUnsafeBufferPointer { yb in
                    distances.withUnsafeMutableBufferPointer { db in
                        let out = db.baseAddress
                        _ = blockedSum(count: batch, blockSize: rowsPerBlock(rowLength: sample)) { (range: Range<Int>) -> T in
                            // Per-position scratch: 1/(‖x‖ + ε), 1/(‖y‖ + ε), ‖x‖, xᵀa; reused by the block's samples.
                            let scratch = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, 4 * positions))
                            defer { scratch.deallocate() }
                            for n in range {
                                out?[n] = perceptualSample(
                                    base(xb) + n * sample, base(yb) + n * sample, w, channels: channels, positions: positions,
                                    normalize: normalize, distance: distance, scale: gradientScale ?? 0,
                                    gradient: gradient.map { $0.base + n * sample }, scratch: scratch)
                            }
                            return 0
                        }
                    }
                }
            }
        }
        return (distances, gradient)
    }

    /// One sample `[C, M]` of the perceptual distance (see `perceptualLoss`); writes the gradient
    /// times `scale` when `gradient` is non-nil. `scratch` holds 4·M scalars.
    @inlinable
    static func perceptualSample<T: LossScalar>(
        _ x: UnsafePointer<T>, _ y: UnsafePointer<T>, _ w: UnsafePointer<T>, channels: Int, positions m: Int,
        normalize: Bool, distance: PerceptualDistance, scale: T, gradient: UnsafeMutablePointer<T>?,
        scratch: UnsafeMutablePointer<T>
    ) -> T {
        let ix = scratch, iy = scratch + m, rx = scratch + 2 * m, dot = scratch + 3 * m
        let eps: T = 1e-10
        if normalize {
            channelNorms(x, channels: channels, positions: m, into: rx)
            channelNorms(y, channels: channels, positions: m, into: iy)
            for p in 0..<m {
                ix[p] = 1 / (rx[p] + eps)
                iy[p] = 1 / (iy[p] + eps)
                dot[p] = 0
            }
        } else {
            for p in 0..<m { ix[p] = 1; iy[p] = 1; dot[p] = 0 }
        }
        let inverseCount = 1 / T(m)
        let squared = distance == .l2
        var total: T = 0
        for c in 0..<channels {
            let xc = x + c * m, yc = y + c * m
            let k = SIMD8(repeating: scale * w[c] * inverseCount * (squared ? 2 : 1))
            var acc = SIMD8<T>.zero
            var p = 0
            while p < m {
                let lanes = Swift.min(8, m - p)
                let xv = lanes == 8 ? load8(xc + p) : loadPartial(xc + p, lanes, pad: 0)
                let yv = lanes == 8 ? load8(yc + p) : loadPartial(yc + p, lanes, pad: 0)
                let a = lanes == 8 ? load8(ix + p) : loadPartial(ix + p, lanes, pad: 0)
                let b = lanes == 8 ? load8(iy + p) : loadPartial(iy + p, lanes, pad: 0)
                let d = xv * a - yv * b
                acc += squared ? d * d : d.magnitudeLanes
                if let gradient {
                    let g = k * (squared ? d : d.signLanes)
                    if lanes == 8 { store8(g, gradient + c * m + p) } else { storePartial(g, gradient + c * m + p, lanes) }
                    if normalize {
                        let dv = (lanes == 8 ? load8(dot + p) : loadPartial(dot + p, lanes, pad: 0)) + xv * a * g
                        if lanes == 8 { store8(dv, dot + p) } else { storePartial(dv, dot + p, lanes) }
                    }
                }
                p += 8
            }
            total += w[c] * acc.laneSum()
        }
        if normalize, let gradient {
            // ∂x̂/∂x = I/s − x xᵀ/(‖x‖ s²), so with u = x/s: g ← (g − u·(uᵀg)·s/‖x‖)/s, the second
            // term 0 at x = 0. Every factor is O(1) whatever the scale of x (x xᵀ/s² would leave
            // the Float range for features of 1e20 or 1e-20).
            for p in 0..<m { dot[p] = rx[p] == 0 ? 0 : dot[p] / (rx[p] * ix[p]) }
            for c in 0..<channels {
                let xc = x + c * m, gc = gradient + c * m
                var p = 0
                while p + 8 <= m {
                    let a = load8(ix + p)
                    store8((load8(gc + p) - load8(xc + p) * a * load8(dot + p)) * a, gc + p)
                    p += 8
                }
                while p < m { gc[p] = (gc[p] - xc[p] * ix[p] * dot[p]) * ix[p]; p += 1 }
            }
        }
        return total * inverseCount
    }

    /// The Euclidean norm over channels at each of `m` positions of a `[C, M]` sample; positions
    /// whose sum of squares overflows are recomputed scaled by their largest magnitude.
    @inlinable
    static func channelNorms<T: LossScalar>(
        _ x: UnsafePointer<T>, channels: Int, positions m: Int, into out: UnsafeMutablePointer<T>
    ) {
        for p in 0..<m { out[p] = 0 }
        for c in 0..<channels {
            let xc = x + c * m
            var p = 0
            while p + 8 <= m { let v = load8(xc + p); store8(load8(out + p) + v * v, out + p); p += 8 }
            while p < m { out[p] += xc[p] * xc[p]; p += 1 }
        }
        for p in 0..<m {
            let s = out[p]
            if s <= T.greatestFiniteMagnitude || s.isNaN { out[p] = s.squareRoot(); continue }
            var big: T = 0
            for c in 0..<channels { big = Swift.max(big, abs(x[c * m + p])) }
            if big.isInfinite { out[p] = big; continue }
            var t: T = 0
            for c in 0..<channels { let v = x[c * m + p] / big; t += v * v }
            out[p] = big * t.squareRoot()
        }
    }

    /// The total variation of one `[H, W]` plane; adds ±sign(d)·scale for every difference to
    /// `gradient` (which holds the running gradient of the plane) when it is non-nil.
    @inlinable
    static func planeVariation<T: LossScalar>(
        _ x: UnsafePointer<T>, height: Int, width: Int, scale: T, gradient: UnsafeMutablePointer<T>?
    ) -> T {
        var acc = SIMD8<T>.zero
        let s = SIMD8(repeating: scale)
        // Vertical differences: row h+1 − row h, contiguous along w.
        if height > 1 {
            for h in 0..<(height - 1) {
                let a = x + (h + 1) * width, b = x + h * width
                var w = 0
                while w < width {
                    let lanes = Swift.min(8, width - w)
                    let d = lanes == 8 ? load8(a + w) - load8(b + w) : loadPartial(a + w, lanes, pad: 0) - loadPartial(b + w, lanes, pad: 0)
                    acc += d.magnitudeLanes
                    if let gradient {
                        let g = d.signLanes * s
                        let ga = gradient + (h + 1) * width + w, gb = gradient + h * width + w
                        if lanes == 8 {
                            store8(load8(ga) + g, ga); store8(load8(gb) - g, gb)
                        } else {
                            storePartial(loadPartial(ga, lanes, pad: 0) + g, ga, lanes)
                            storePartial(loadPartial(gb, lanes, pad: 0) - g, gb, lanes)
                        }
                    }
                    w += 8
                }
            }
        }
        // Horizontal differences: x[w+1] − x[w] within each row.
        if width > 1 {
            for h in 0..<height {
                let r = x + h * width
                let count = width - 1
                var w = 0
                while w < count {
                    let lanes = Swift.min(8, count - w)
                    let d = lanes == 8 ? load8(r + w + 1) - load8(r + w) : loadPartial(r + w + 1, lanes, pad: 0) - loadPartial(r + w, lanes, pad: 0)
                    acc += d.magnitudeLanes
                    if let gradient {
                        let g = d.signLanes * s
                        let ga = gradient + h * width + w + 1, gb = gradient + h * width + w
                        // Store the shifted lanes first: the next load sees them (the ranges overlap).
                        if lanes == 8 {
                            store8(load8(ga) + g, ga); store8(load8(gb) - g, gb)
                        } else {
                            storePartial(loadPartial(ga, lanes, pad: 0) + g, ga, lanes)
                            storePartial(loadPartial(gb, lanes, pad: 0) - g, gb, lanes)
                        }
                    }
                    w += 8
                }
            }
        }
        return acc.laneSum()
    }
}
