import RealModule
// Family A of LOSSES.md: regression losses.
//
// Every loss here is elementwise (or, for `euclideanLoss`, a per-sample sum of elementwise terms)
// and runs through `evaluateElementwise`: one fused pass that computes the loss and the
// requested partial derivatives for eight lanes at a time. The per-lane formulas live in
// `RegressionKernels` so that the broadcast path of the two likelihood losses reuses them.

/// Mean squared error: the squared difference of `input` and `target`.
///
/// ```
/// ℓᵢ = (inputᵢ − targetᵢ)²
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input` any shape, `target` the same shape.
///
/// Gradient:
/// ```
/// ∂ℓᵢ/∂inputᵢ = 2(inputᵢ − targetᵢ)        ∂ℓᵢ/∂targetᵢ = −2(inputᵢ − targetᵢ)
/// ```
/// With `mean` each gradient is divided by the element count.
///
/// - Parameters:
///   - input: predictions, any shape.
///   - target: same shape as `input`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both; `[]` computes the value only).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// The mean of an empty input is NaN (as in PyTorch); the sum is 0.
///
/// Matches `torch.nn.functional.mse_loss`.
///
/// ```swift
/// let r = try meanSquaredError(input: Tensor([1, 2] as [Float]), target: Tensor([0, 0]))
/// r.scalar                   // 2.5
/// r.gradients[.input]        // [1, 2]
/// ```
@inlinable
public func meanSquaredError<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try RegressionKernels.errorLoss(input: input, target: target, reduction: reduction, wrt: wrt) { e in
        LaneTerms(loss: e * e, d0: 2 * e, d1: -2 * e)
    }
}

/// Mean absolute error (L1 loss): the absolute difference of `input` and `target`.
///
/// ```
/// ℓᵢ = |inputᵢ − targetᵢ|
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input` any shape, `target` the same shape.
///
/// Gradient:
/// ```
/// ∂ℓᵢ/∂inputᵢ = sign(inputᵢ − targetᵢ)     ∂ℓᵢ/∂targetᵢ = −sign(inputᵢ − targetᵢ)
/// ```
/// with sign(0) = 0, the sub-gradient PyTorch returns where `input == target`.
///
/// - Parameters:
///   - input: predictions, any shape.
///   - target: same shape as `input`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// The L1 loss is the negative log-likelihood of Laplace noise with a fixed scale, up to
/// constants (see ``laplaceNegativeLogLikelihood(input:target:scale:logScale:full:eps:reduction:wrt:)``).
/// A NaN difference has gradient 0 (PyTorch's sign(NaN) = 0).
///
/// Matches `torch.nn.functional.l1_loss` (`losskit` ids `l1` and `mae`).
///
/// ```swift
/// let r = try meanAbsoluteError(input: Tensor([1, -2, 0] as [Float]), target: Tensor([0, 0, 0]))
/// r.scalar                   // 1.0
/// r.gradients[.input]        // [0.33333334, -0.33333334, 0.0]
/// ```
@inlinable
public func meanAbsoluteError<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try RegressionKernels.errorLoss(input: input, target: target, reduction: reduction, wrt: wrt) {
        RegressionKernels.absolute($0)
    }
}

/// Euclidean loss: half the squared L2 distance between each sample and its target.
///
/// ```
/// ℓₙ = ½ Σⱼ (inputₙⱼ − targetₙⱼ)²     (j runs over every non-batch element of sample n)
/// loss = (1/N) Σₙ ℓₙ (mean, default) | Σₙ ℓₙ (sum) | ℓ (none, shape [N])
/// ```
/// Shapes: `input` `[N, ...]` (rank ≥ 1), `target` the same shape.
///
/// Gradient:
/// ```
/// ∂ℓₙ/∂inputₙⱼ = inputₙⱼ − targetₙⱼ        ∂ℓₙ/∂targetₙⱼ = −(inputₙⱼ − targetₙⱼ)
/// ```
/// divided by N for `mean`.
///
/// - Parameters:
///   - input: predictions `[N, ...]`.
///   - target: same shape as `input`.
///   - reduction: `.mean` over the batch (default), `.sum` or `.none` (per-sample `[N]`).
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients (shaped like `input`).
/// - Throws: ``LossError/invalidShape(argument:shape:reason:)`` for a 0-d `input`;
///   ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// `mean` divides by the batch size N, not by the element count: it is Caffe's `EuclideanLoss`
/// (½N·Σ‖x − y‖²); `sum` is the plain ½Σ(ŷ − y)². An empty batch gives NaN with `mean`.
///
/// Reference: the formula `0.5 * ((input - target)**2).flatten(1).sum(1)` in PyTorch, then the reduction.
///
/// ```swift
/// let x = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4] as [Float])
/// let r = try euclideanLoss(input: x, target: Tensor(shape: [2, 2], repeating: 0), reduction: .none)
/// r.value                    // [2.5, 12.5]
/// r.gradients[.input]        // [1, 2, 3, 4]
/// ```
@inlinable
public func euclideanLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    guard input.rank >= 1 else {
        throw LossError.invalidShape(argument: "input", shape: input.shape, reason: "expected rank ≥ 1 ([N, ...]), got rank 0")
    }
    try checkShape("target", target.shape, equals: input.shape)
    let kernel = { (x: SIMD8<T>, y: SIMD8<T>, _: SIMD8<T>) -> LaneTerms<T> in
        let e = x - y
        return LaneTerms(loss: 0.5 * e * e, d0: e, d1: -e)
    }
    let batch = input.shape[0]
    guard reduction == .none else {
        return evaluateElementwise(
            [(input, .input), (target, .target)], wrt: wrt, reduction: reduction,
            denominator: T(batch), kernel: kernel)
    }
    // Per-sample sums: the same fused kernel over each contiguous sample.
    let rowLength = input.shape.dropFirst().reduce(1, *)
    let count = input.count
    var losses = [T](repeating: 0, count: batch)
    let grads = makeBuffers(count: count, wanted: [wrt.contains(.input), wrt.contains(.target)]) { (g: [UnsafeMutablePointer<T>?]) in
        withPointers([input, target]) { p in
            for n in 0..<batch {
                let offset = n * rowLength
                losses[n] = elementwiseLoss(
                    count: rowLength, p[0] + offset, p[1] + offset, p[1] + offset, scale: 1,
                    outputs: ElementwiseOutputs(losses: nil, g0: g[0].map { $0 + offset }, g1: g[1].map { $0 + offset }),
                    kernel: kernel)
            }
        }
    }
    var result = LossResult(value: Tensor(uncheckedShape: [batch], scalars: losses))
    if let g = grads[0] { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
    if let g = grads[1] { result.gradients[.target] = Tensor(uncheckedShape: input.shape, scalars: g) }
    return result
}

/// Huber loss: quadratic for errors smaller than `delta`, linear (with slope `delta`) beyond.
///
/// ```
/// eᵢ = inputᵢ − targetᵢ
/// ℓᵢ = ½eᵢ²               if |eᵢ| < δ
///      δ·(|eᵢ| − ½δ)      otherwise
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input` any shape, `target` the same shape.
///
/// Gradient:
/// ```
/// ∂ℓᵢ/∂inputᵢ = clamp(eᵢ, −δ, δ)          ∂ℓᵢ/∂targetᵢ = −clamp(eᵢ, −δ, δ)
/// ```
///
/// - Parameters:
///   - input: predictions, any shape.
///   - target: same shape as `input`.
///   - delta: the error magnitude where the loss turns linear (> 0, default 1).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/invalidOption(name:value:expected:)`` for `delta` ≤ 0 or NaN, or for
///   `batchmean`; ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ.
///
/// The loss is continuously differentiable, so |e| = δ needs no sub-gradient choice.
/// Huber with δ equals δ·``smoothL1Loss(input:target:beta:reduction:wrt:)`` with β = δ.
///
/// Matches `torch.nn.functional.huber_loss`.
///
/// ```swift
/// let r = try huberLoss(input: Tensor([0.5, 3] as [Float]), target: Tensor([0, 0]), delta: 1, reduction: .none)
/// r.value                    // [0.125, 2.5]
/// r.gradients[.input]        // [0.5, 1.0]
/// ```
@inlinable
public func huberLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, delta: T = 1, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try RegressionKernels.errorLoss(
        input: input, target: target, reduction: reduction, wrt: wrt,
        options: { () throws(LossError) in try checkOption("delta", delta, expected: "> 0") { $0 > 0 } }
    ) { RegressionKernels.huber($0, delta: delta) }
}

/// Smooth L1 loss: quadratic (scaled by 1/β) for errors smaller than `beta`, the L1 loss beyond.
///
/// ```
/// eᵢ = inputᵢ − targetᵢ
/// ℓᵢ = ½eᵢ²/β             if |eᵢ| < β
///      |eᵢ| − ½β          otherwise
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input` any shape, `target` the same shape.
///
/// Gradient:
/// ```
/// ∂ℓᵢ/∂inputᵢ = clamp(eᵢ/β, −1, 1)        ∂ℓᵢ/∂targetᵢ = −∂ℓᵢ/∂inputᵢ
/// ```
///
/// - Parameters:
///   - input: predictions, any shape.
///   - target: same shape as `input`.
///   - beta: where the loss turns linear (≥ 0, default 1); β = 0 is exactly
///     ``meanAbsoluteError(input:target:reduction:wrt:)``, sign(0) = 0 included.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/invalidOption(name:value:expected:)`` for `beta` < 0 or NaN, or for
///   `batchmean`; ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ.
///
/// Smooth L1 is the box-regression loss of Fast R-CNN; it equals ``huberLoss(input:target:delta:reduction:wrt:)``
/// divided by β (for β > 0).
///
/// Matches `torch.nn.functional.smooth_l1_loss`.
///
/// ```swift
/// let r = try smoothL1Loss(input: Tensor([0.5, 3] as [Float]), target: Tensor([0, 0]), beta: 2, reduction: .none)
/// r.value                    // [0.0625, 2.0]
/// r.gradients[.input]        // [0.25, 1.0]
/// ```
@inlinable
public func smoothL1Loss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, beta: T = 1, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    if beta == 0 {
        // PyTorch switches to l1_loss for β = 0 (the quadratic piece would divide by zero).
        return try RegressionKernels.errorLoss(input: input, target: target, reduction: reduction, wrt: wrt) {
            RegressionKernels.absolute($0)
        }
    }
    return try RegressionKernels.errorLoss(
        input: input, target: target, reduction: reduction, wrt: wrt,
        options: { () throws(LossError) in try checkOption("beta", beta, expected: ">= 0") { $0 >= 0 } }
    ) { RegressionKernels.smoothL1($0, beta: beta) }
}

/// Log-cosh loss: log(cosh(input − target)), quadratic near 0 and linear for large errors.
///
/// ```
/// eᵢ = inputᵢ − targetᵢ
/// ℓᵢ = log cosh eᵢ = |eᵢ| + softplus(−2|eᵢ|) − log 2
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input` any shape, `target` the same shape.
///
/// Gradient:
/// ```
/// ∂ℓᵢ/∂inputᵢ = tanh eᵢ                   ∂ℓᵢ/∂targetᵢ = −tanh eᵢ
/// ```
///
/// - Parameters:
///   - input: predictions, any shape.
///   - target: same shape as `input`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// cosh is never evaluated, so the loss stays finite for any finite error (|e| − log 2 for
/// |e| ≥ 1e3, where cosh overflows) and is +inf only at e = ±inf, with gradient ±1. For |e| < 1
/// the loss is computed as −½·log1p(−tanh²e) (tanh from an accurate e^(−2|e|) − 1), which keeps
/// full relative precision for tiny errors where the log-2 form cancels.
///
/// Reference: log cosh written stably in PyTorch (float64), as in Keras' `log_cosh`.
///
/// ```swift
/// let r = try logCoshLoss(input: Tensor([1e4, 0.5] as [Float]), target: Tensor([0, 0]), reduction: .none)
/// r.value                    // [9999.307, 0.12011445]
/// r.gradients[.input]        // [1.0, 0.46211717]
/// ```
@inlinable
public func logCoshLoss<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try RegressionKernels.errorLoss(input: input, target: target, reduction: reduction, wrt: wrt) {
        RegressionKernels.logCosh($0)
    }
}

/// Mean squared logarithmic error: the squared difference of log(1 + input) and log(1 + target).
///
/// ```
/// dᵢ = log1p(inputᵢ) − log1p(targetᵢ)
/// ℓᵢ = dᵢ²
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input` any shape, `target` the same shape; every element > −1.
///
/// Gradient:
/// ```
/// ∂ℓᵢ/∂inputᵢ = 2dᵢ/(1 + inputᵢ)          ∂ℓᵢ/∂targetᵢ = −2dᵢ/(1 + targetᵢ)
/// ```
///
/// - Parameters:
///   - input: predictions (> −1), any shape.
///   - target: same shape as `input` (> −1).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/valueOutOfRange(argument:value:index:expected:)`` naming `input` or
///   `target` and the index of the first element ≤ −1; ``LossError/shapeMismatch(argument:expected:actual:)``
///   if the shapes differ; ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// Keras clips both arguments at ε before taking log(x + 1); LossKit does not clip, and values
/// ≤ −1, where the logarithm is undefined, are an error. NaN propagates.
///
/// Reference: `(torch.log1p(input) - torch.log1p(target))**2` in PyTorch.
///
/// ```swift
/// let r = try meanSquaredLogarithmicError(input: Tensor([3] as [Float]), target: Tensor([1]))
/// r.scalar                   // 0.480453 = (log 4 − log 2)²
/// r.gradients[.input]        // [0.34657359] = 2·log 2 / 4
/// ```
@inlinable
public func meanSquaredLogarithmicError<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkShape("target", target.shape, equals: input.shape)
    try checkValues("input", input, expected: "> -1") { !($0 <= -1) }
    try checkValues("target", target, expected: "> -1") { !($0 <= -1) }
    return evaluateElementwise([(input, .input), (target, .target)], wrt: wrt, reduction: reduction) { x, y, _ in
        // log1p of lanes > −1 (the correction of `vlog1p` holds on the whole range).
        let d = vlog1p(x) - vlog1p(y)
        let twice = 2 * d
        return LaneTerms(loss: d * d, d0: twice / (1 + x), d1: -twice / (1 + y))
    }
}

/// Mean absolute percentage error: the absolute error as a percentage of |target|.
///
/// ```
/// ℓᵢ = 100·|targetᵢ − inputᵢ| / max(|targetᵢ|, 1e-7)
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input` any shape, `target` the same shape.
///
/// Gradient (`target` is not differentiated, as in Keras):
/// ```
/// ∂ℓᵢ/∂inputᵢ = 100·sign(inputᵢ − targetᵢ) / max(|targetᵢ|, 1e-7)
/// ```
/// with sign(0) = 0.
///
/// - Parameters:
///   - input: predictions, any shape.
///   - target: same shape as `input`; a constant.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: `[.input]` (default) or `[]`.
/// - Returns: the loss and the requested gradient.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if the shapes differ;
///   ``LossError/invalidOption(name:value:expected:)`` for `batchmean`.
///
/// The 1e-7 floor (Keras' ε) keeps zero targets finite: the loss there is 1e9·|input|.
///
/// Reference: `keras.losses.mean_absolute_percentage_error`, written in PyTorch as
/// `100 * (target - input).abs() / target.abs().clamp(min=1e-7)`.
///
/// ```swift
/// let r = try meanAbsolutePercentageError(input: Tensor([90, 110] as [Float]), target: Tensor([100, 100]))
/// r.scalar                   // 10.0
/// r.gradients[.input]        // [-0.5, 0.5]
/// ```
@inlinable
public func meanAbsolutePercentageError<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkShape("target", target.shape, equals: input.shape)
    let floor = T(1e-7)
    return evaluateElementwise([(input, .input), (target, nil)], wrt: wrt, reduction: reduction) { x, y, _ in
        let w = 100 / y.magnitudeLanes.lanesMax(floor)
        let t = RegressionKernels.absolute(x - y)
        return LaneTerms(loss: t.loss * w, d0: t.d0 * w)
    }
}

/// Gaussian negative log-likelihood of `target` under N(`input`, `variance`).
///
/// ```
/// v̂ᵢ = max(varᵢ, eps)                           (log-var = false)
/// ℓᵢ = ½·(log v̂ᵢ + (inputᵢ − targetᵢ)²/v̂ᵢ) [+ ½·log 2π if full]
///
/// sᵢ = the third input, read as log σ²            (log-var = true; no clamp)
/// ℓᵢ = ½·(sᵢ + (inputᵢ − targetᵢ)²·e^(−sᵢ)) [+ ½·log 2π if full]
///
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the input's shape)
/// ```
/// Shapes: `input` any shape; `target` the same shape or one that broadcasts to it; `variance` the same shape
/// (heteroscedastic), or the same shape with one dimension of extent 1, or the input's shape
/// without its last dimension (homoscedastic; broadcast over that dimension).
///
/// Gradient, with e = input − target:
/// ```
/// ∂ℓ/∂input = e/v̂       ∂ℓ/∂target = −e/v̂       ∂ℓ/∂var = ½·(1/v̂ − e²/v̂²)
/// log-var:  ∂ℓ/∂input = e·e^(−s)   ∂ℓ/∂target = −e·e^(−s)   ∂ℓ/∂s = ½·(1 − e²·e^(−s))
/// ```
/// The gradient with respect to a broadcast `variance` is summed over the broadcast dimension
/// and has `variance`'s shape. The clamp is straight-through, as in PyTorch (which clamps under
/// `no_grad`): where var < eps the gradient is the formula evaluated at v̂ = eps, not 0.
///
/// - Parameters:
///   - input: the predicted means, any shape.
///   - target: observations, the shape of `input` or one that broadcasts to it (NumPy rules; its
///     gradient is summed over the broadcast dimensions).
///   - variance: the predicted variances (≥ 0), or log-variances with `logVariance`
///     (`losskit` input name `var`).
///   - logVariance: read `variance` as log σ² (the `log-var` option; default false).
///   - full: add the constant ½·log 2π per element (default false).
///   - eps: the variance floor (≥ 0, default 1e-6); unused with `logVariance`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default `[.input, .target, .variance]`).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/shapeMismatch(argument:expected:actual:)`` if `target`'s shape differs;
///   ``LossError/invalidShape(argument:shape:reason:)`` if `variance` does not broadcast as above;
///   ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a negative variance
///   (without `logVariance`); ``LossError/invalidOption(name:value:expected:)`` for `eps` < 0,
///   or for `batchmean`.
///
/// In log-variance form the loss is finite for every finite s; an exact fit (e = 0) contributes
/// ½s even where e^(−s) overflows (PyTorch's formula gives 0·inf = NaN there). NaN variances
/// propagate, as in PyTorch.
///
/// Matches `torch.nn.functional.gaussian_nll_loss` (log-var: the formula of background/002 in PyTorch).
///
/// ```swift
/// let r = try gaussianNegativeLogLikelihood(
///     input: Tensor([0, 1] as [Float]), target: Tensor([1, 1]), variance: Tensor([1, 4]), reduction: .none)
/// r.value                    // [0.5, 0.6931472]
/// r.gradients[.variance]     // [0.0, 0.125]
/// ```
@inlinable
public func gaussianNegativeLogLikelihood<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, variance: Tensor<T>,
    logVariance: Bool = false, full: Bool = false, eps: T = 1e-6, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target, .variance]
) throws(LossError) -> LossResult<T> {
    let constant: T = full ? T(0.5 * Double.log(2 * Double.pi)) : 0
    return try RegressionKernels.likelihood(
        input: input, target: target, third: variance, name: "var", argument: .variance,
        logForm: logVariance, eps: eps, reduction: reduction, wrt: wrt,
        logKernel: { e, s in RegressionKernels.gaussianLogVariance(e, s, constant: constant) },
        kernel: { e, v in RegressionKernels.gaussian(e, v, eps: eps, constant: constant) })
}

/// Laplace negative log-likelihood of `target` under Laplace(`input`, `scale`).
///
/// ```
/// b̂ᵢ = max(scaleᵢ, eps)                         (log-scale = false)
/// ℓᵢ = log b̂ᵢ + |targetᵢ − inputᵢ|/b̂ᵢ [+ log 2 if full]
///
/// sᵢ = the third input, read as log b             (log-scale = true; no clamp)
/// ℓᵢ = sᵢ + |targetᵢ − inputᵢ|·e^(−sᵢ) [+ log 2 if full]
///
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the input's shape)
/// ```
/// Shapes: as ``gaussianNegativeLogLikelihood(input:target:variance:logVariance:full:eps:reduction:wrt:)``:
/// `scale` has the input's shape, or it with one dimension of extent 1, or it without its last
/// dimension.
///
/// Gradient, with e = input − target:
/// ```
/// ∂ℓ/∂input = sign(e)/b̂      ∂ℓ/∂target = −sign(e)/b̂      ∂ℓ/∂scale = 1/b̂ − |e|/b̂²
/// log-scale:  ∂ℓ/∂input = sign(e)·e^(−s)      ∂ℓ/∂s = 1 − |e|·e^(−s)
/// ```
/// with sign(0) = 0; summed over the broadcast dimension for a broadcast `scale`. The clamp is
/// straight-through, the convention of PyTorch's `gaussian_nll_loss`.
///
/// - Parameters:
///   - input: the predicted locations (medians), any shape.
///   - target: observations, the shape of `input` or one that broadcasts to it.
///   - scale: the predicted scales b (≥ 0), or log b with `logScale`.
///   - logScale: read `scale` as log b (the `log-scale` option; default false).
///   - full: add the constant log 2 per element (default false).
///   - eps: the scale floor (≥ 0, default 1e-6); unused with `logScale`.
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default `[.input, .target, .scale]`).
/// - Returns: the loss and the requested gradients.
/// - Throws: as ``gaussianNegativeLogLikelihood(input:target:variance:logVariance:full:eps:reduction:wrt:)``,
///   naming `scale`.
///
/// With a fixed scale the loss is the L1 loss up to constants: the Laplace-noise ("NLL ↔ MAE")
/// counterpart of the Gaussian/MSE link. In log-scale form an exact fit contributes s even where
/// e^(−s) overflows.
///
/// Reference: the formula in PyTorch, with the scale clamped under `no_grad` as
/// `gaussian_nll_loss` does.
///
/// ```swift
/// let r = try laplaceNegativeLogLikelihood(
///     input: Tensor([0, 1] as [Float]), target: Tensor([1, 1]), scale: Tensor([1, 2]), reduction: .none)
/// r.value                    // [1.0, 0.6931472]
/// r.gradients[.scale]        // [0.0, 0.5]
/// ```
@inlinable
public func laplaceNegativeLogLikelihood<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, scale: Tensor<T>,
    logScale: Bool = false, full: Bool = false, eps: T = 1e-6, reduction: Reduction = .mean,
    wrt: Set<LossArgument> = [.input, .target, .scale]
) throws(LossError) -> LossResult<T> {
    let constant: T = full ? T.log(2) : 0
    return try RegressionKernels.likelihood(
        input: input, target: target, third: scale, name: "scale", argument: .scale,
        logForm: logScale, eps: eps, reduction: reduction, wrt: wrt,
        logKernel: { e, s in RegressionKernels.laplaceLogScale(e, s, constant: constant) },
        kernel: { e, b in RegressionKernels.laplace(e, b, eps: eps, constant: constant) })
}

/// Poisson negative log-likelihood of counts `target` given a predicted rate.
///
/// ```
/// log-input = true  (input = log λ):  ℓᵢ = e^(inputᵢ) − targetᵢ·inputᵢ
/// log-input = false (input = λ):      ℓᵢ = inputᵢ − targetᵢ·log(inputᵢ + eps)
/// full: ℓᵢ += targetᵢ·log targetᵢ − targetᵢ + ½·log(2π·targetᵢ)   where targetᵢ > 1 (Stirling)
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ```
/// Shapes: `input` any shape, `target` the same shape.
///
/// Gradient:
/// ```
/// log-input:  ∂ℓ/∂input = e^(input) − target        ∂ℓ/∂target = −input
/// rate:       ∂ℓ/∂input = 1 − target/(input + eps)   ∂ℓ/∂target = −log(input + eps)
/// full:       ∂ℓ/∂target += log target + 1/(2·target)   where target > 1
/// ```
///
/// - Parameters:
///   - input: log-rates (default) or rates, any shape.
///   - target: observed counts, same shape as `input`.
///   - logInput: whether `input` is log λ (the `log-input` option; default true).
///   - full: add the Stirling approximation of log(target!) (default false).
///   - eps: added to the rate before the logarithm when `logInput` is false (≥ 0, default 1e-8).
///   - reduction: `.mean` (default), `.sum` or `.none`.
///   - wrt: the arguments to return gradients for (default both).
/// - Returns: the loss and the requested gradients.
/// - Throws: ``LossError/valueOutOfRange(argument:value:index:expected:)`` for a rate with
///   input + eps < 0 (when `logInput` is false); ``LossError/shapeMismatch(argument:expected:actual:)``
///   if the shapes differ; ``LossError/invalidOption(name:value:expected:)`` for `eps` < 0 or `batchmean`.
///
/// Edge cases where LossKit returns the mathematical value and PyTorch does not:
/// - a zero count contributes 0·log λ = 0 even where log λ is −inf (PyTorch: 0·inf = NaN), so
///   input = −inf with target 0 gives loss 0 (log-input) and input = −eps gives input (rate);
/// - with `full`, the Stirling term is masked out where target ≤ 1, and so is its gradient:
///   ∂ℓ/∂target is −input (or −log(input + eps)) there; PyTorch's autograd returns NaN for
///   target ≤ 0 (0 times the infinite derivative of the masked log).
/// - a negative rate (input + eps < 0 with `logInput` false) is an error; PyTorch returns NaN.
///
/// Matches `torch.nn.functional.poisson_nll_loss`.
///
/// ```swift
/// let r = try poissonNegativeLogLikelihood(input: Tensor([0, 1] as [Float]), target: Tensor([1, 2]), reduction: .none)
/// r.value                    // [1.0, 0.7182817]
/// r.gradients[.input]        // [0.0, 0.7182817]
/// ```
@inlinable
public func poissonNegativeLogLikelihood<T: LossScalar>(
    input: Tensor<T>, target: Tensor<T>, logInput: Bool = true, full: Bool = false, eps: T = 1e-8,
    reduction: Reduction = .mean, wrt: Set<LossArgument> = [.input, .target]
) throws(LossError) -> LossResult<T> {
    try reduction.validate()
    try checkShape("target", target.shape, equals: input.shape)
    try checkOption("eps", eps, expected: ">= 0 and finite") { $0 >= 0 && $0.isFinite }
    if !logInput {
        try checkValues("input", input, expected: ">= -eps (a Poisson rate with log-input=false)") { !($0 + eps < 0) }
    }
    let inputs: [(tensor: Tensor<T>, argument: LossArgument?)] = [(input, .input), (target, .target)]
    switch (logInput, full) {
    case (true, false):
        return evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, y, _ in
            RegressionKernels.poissonLogInput(x, y)
        }
    case (true, true):
        return evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, y, _ in
            RegressionKernels.addingStirling(RegressionKernels.poissonLogInput(x, y), y)
        }
    case (false, false):
        return evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, y, _ in
            RegressionKernels.poissonRate(x, y, eps: eps)
        }
    case (false, true):
        return evaluateElementwise(inputs, wrt: wrt, reduction: reduction) { x, y, _ in
            RegressionKernels.addingStirling(RegressionKernels.poissonRate(x, y, eps: eps), y)
        }
    }
}

// MARK: - Lane kernels

/// The per-lane formulas of the regression losses (value and partial derivatives), shared by the
/// fused elementwise driver and the broadcast path of the likelihood losses.
@usableFromInline
enum RegressionKernels {
    /// The body of the losses of the error e = input − target over same-shaped tensors: the
    /// checks (then the loss's own `options` checks), and `kernel(e)` fused over both inputs.
    @inlinable @inline(__always)
    static func errorLoss<T: LossScalar>(
        input: Tensor<T>, target: Tensor<T>, reduction: Reduction, wrt: Set<LossArgument>,
        options: () throws(LossError) -> Void = {}, kernel: (SIMD8<T>) -> LaneTerms<T>
    ) throws(LossError) -> LossResult<T> {
        try reduction.validate()
        try checkShape("target", target.shape, equals: input.shape)
        try options()
        return evaluateElementwise([(input, .input), (target, .target)], wrt: wrt, reduction: reduction) { x, y, _ in
            kernel(x - y)
        }
    }

    /// |e| with derivative ±sign(e) for (input, target).
    @inlinable @inline(__always)
    static func absolute<T: LossScalar>(_ e: SIMD8<T>) -> LaneTerms<T> {
        let s = e.signLanes
        return LaneTerms(loss: e.magnitudeLanes, d0: s, d1: -s)
    }

    @inlinable @inline(__always)
    static func huber<T: LossScalar>(_ e: SIMD8<T>, delta: T) -> LaneTerms<T> {
        let a = e.magnitudeLanes
        let d = SIMD8<T>(repeating: delta)
        let loss = (d * (a - 0.5 * d)).replacing(with: 0.5 * e * e, where: a .< d)
        // PyTorch's backward: e ≤ −δ → −δ, e ≥ δ → δ, else e (NaN stays NaN).
        let g = e.replacing(with: -d, where: e .<= -d).replacing(with: d, where: d .<= e)
        return LaneTerms(loss: loss, d0: g, d1: -g)
    }

    @inlinable @inline(__always)
    static func smoothL1<T: LossScalar>(_ e: SIMD8<T>, beta: T) -> LaneTerms<T> {
        let a = e.magnitudeLanes
        let b = SIMD8<T>(repeating: beta)
        let loss = (a - 0.5 * b).replacing(with: 0.5 * e * e / b, where: a .< b)
        // PyTorch's backward: e < −β → −1, e > β → 1, else e/β.
        let g = (e / b).replacing(with: -1, where: e .< -b).replacing(with: 1, where: b .< e)
        return LaneTerms(loss: loss, d0: g, d1: -g)
    }

    /// log cosh e and tanh e from one exponential and two logarithms, accurate for every e.
    @inlinable @inline(__always)
    static func logCosh<T: LossScalar>(_ e: SIMD8<T>) -> LaneTerms<T> {
        let ln2 = SIMD8<T>(repeating: 0.693147180559945309417232121458176568)
        let h = HyperbolicLanes(e)
        let t = h.tanhMagnitude
        // One log1p: of −tanh² for |e| < 1 (log cosh = −½·log1p(−tanh²)), of E otherwise
        // (log cosh = |e| + log1p(E) − log 2).
        let l = vlog1p(h.E.replacing(with: -t * t, where: h.small))
        let loss = (h.magnitude + l - ln2).replacing(with: -0.5 * l, where: h.small)
        return LaneTerms(loss: loss, d0: h.tanh, d1: -h.tanh)
    }

    @inlinable @inline(__always)
    static func gaussian<T: LossScalar>(_ e: SIMD8<T>, _ v: SIMD8<T>, eps: T, constant: T) -> LaneTerms<T> {
        let vc = v.lanesMax(eps)  // straight-through clamp
        let r = 1 / vc
        let q = e * r  // e/v̂
        let loss = 0.5 * (T.vlog(vc) + e * q) + constant
        return LaneTerms(loss: loss, d0: q, d1: -q, d2: 0.5 * (r - q * q))
    }

    @inlinable @inline(__always)
    static func gaussianLogVariance<T: LossScalar>(_ e: SIMD8<T>, _ s: SIMD8<T>, constant: T) -> LaneTerms<T> {
        let p = T.vexp(-s)  // precision 1/σ²
        let exact = e .== 0
        let q = (e * p).replacing(with: 0, where: exact)
        let w = (e * q).replacing(with: 0, where: exact)  // e²/σ², 0 for an exact fit even if p = inf
        return LaneTerms(loss: 0.5 * (s + w) + constant, d0: q, d1: -q, d2: 0.5 * (1 - w))
    }

    @inlinable @inline(__always)
    static func laplace<T: LossScalar>(_ e: SIMD8<T>, _ b: SIMD8<T>, eps: T, constant: T) -> LaneTerms<T> {
        let bc = b.lanesMax(eps)
        let r = 1 / bc
        let a = e.magnitudeLanes * r  // |e|/b̂
        let g = e.signLanes * r
        return LaneTerms(loss: T.vlog(bc) + a + constant, d0: g, d1: -g, d2: r * (1 - a))
    }

    @inlinable @inline(__always)
    static func laplaceLogScale<T: LossScalar>(_ e: SIMD8<T>, _ s: SIMD8<T>, constant: T) -> LaneTerms<T> {
        let p = T.vexp(-s)  // 1/b
        let exact = e .== 0
        let a = (e.magnitudeLanes * p).replacing(with: 0, where: exact)
        let g = (e.signLanes * p).replacing(with: 0, where: exact)
        return LaneTerms(loss: s + a + constant, d0: g, d1: -g, d2: 1 - a)
    }

    /// e^x − y·x (x = log λ), with y·x = 0 where y = 0.
    @inlinable @inline(__always)
    static func poissonLogInput<T: LossScalar>(_ x: SIMD8<T>, _ y: SIMD8<T>) -> LaneTerms<T> {
        let ex = T.vexp(x)
        let yx = (y * x).replacing(with: 0, where: y .== 0)
        return LaneTerms(loss: ex - yx, d0: ex - y, d1: -x)
    }

    /// x − y·log(x + eps) (x = λ), with y·log(x + eps) = 0 and y/(x + eps) = 0 where y = 0.
    @inlinable @inline(__always)
    static func poissonRate<T: LossScalar>(_ x: SIMD8<T>, _ y: SIMD8<T>, eps: T) -> LaneTerms<T> {
        let u = x + eps
        let lu = T.vlog(u)
        let zero = y .== 0
        let ylu = (y * lu).replacing(with: 0, where: zero)
        let ratio = (y / u).replacing(with: 0, where: zero)
        return LaneTerms(loss: x - ylu, d0: 1 - ratio, d1: -lu)
    }

    /// Adds the Stirling term y·log y − y + ½·log(2πy) where y > 1 to the loss and its
    /// derivative log y + 1/(2y) to d1.
    @inlinable @inline(__always)
    static func addingStirling<T: LossScalar>(_ t: LaneTerms<T>, _ y: SIMD8<T>) -> LaneTerms<T> {
        let log2π: T = 1.837877066409345483560659472811235280
        let two = SIMD8<T>(repeating: 2)
        let masked = y .<= 1  // where the term is not counted (NaN counts, as in PyTorch)
        let ys = y.replacing(with: two, where: masked)  // log of a safe value elsewhere
        let ly = T.vlog(ys)
        let term = ys * ly - ys + 0.5 * (log2π + ly)
        let dterm = ly + 0.5 / ys
        var r = t
        r.loss += term.replacing(with: 0, where: masked)
        r.d1 += dterm.replacing(with: 0, where: masked)
        return r
    }

    // MARK: Broadcasting of the third argument (variance, scale)

    /// The body of the likelihood losses with a scale-like third argument (Gaussian variance,
    /// Laplace scale) named `name`: the checks, its broadcast layout, then `logKernel(e, s)` when
    /// it holds logarithms (`logForm`, no clamp), or `kernel(e, v)` once it is checked ≥ 0;
    /// e = input − target.
    @inlinable @inline(__always)
    static func likelihood<T: LossScalar>(
        input: Tensor<T>, target: Tensor<T>, third: Tensor<T>, name: String, argument: LossArgument,
        logForm: Bool, eps: T, reduction: Reduction, wrt: Set<LossArgument>,
        logKernel: (SIMD8<T>, SIMD8<T>) -> LaneTerms<T>, kernel: (SIMD8<T>, SIMD8<T>) -> LaneTerms<T>
    ) throws(LossError) -> LossResult<T> {
        try reduction.validate()
        if target.shape != input.shape {
            // A target that broadcasts to the input (NumPy rules, as `input - target` does in
            // PyTorch): expanded, and its gradient summed back over the broadcast dimensions.
            let targetLayout = try LossKit.broadcastLayout(of: target.shape, to: input.shape, argument: "target")
            let expanded = target.withUnsafeBufferPointer { targetLayout.expand($0, count: input.count) }
            var result = try likelihood(
                input: input, target: Tensor(uncheckedShape: input.shape, scalars: expanded), third: third, name: name,
                argument: argument, logForm: logForm, eps: eps, reduction: reduction, wrt: wrt,
                logKernel: logKernel, kernel: kernel)
            if let g = result.gradients[.target] {
                let reduced = g.withUnsafeBufferPointer { targetLayout.reduce($0, operandCount: target.count) }
                result.gradients[.target] = Tensor(uncheckedShape: target.shape, scalars: reduced)
            }
            return result
        }
        let layout = try broadcastLayout(name, third.shape, against: input.shape)
        try checkOption("eps", eps, expected: ">= 0 and finite") { $0 >= 0 && $0.isFinite }
        if logForm {
            return evaluate(input: input, target: target, third: third, thirdArgument: argument, layout: layout,
                            wrt: wrt, reduction: reduction) { x, y, s in logKernel(x - y, s) }
        }
        try checkValues(name, third, expected: ">= 0") { !($0 < 0) }
        return evaluate(input: input, target: target, third: third, thirdArgument: argument, layout: layout,
                        wrt: wrt, reduction: reduction) { x, y, v in kernel(x - y, v) }
    }

    /// How a likelihood loss's third argument covers `input`: `nil` for the same shape, else the
    /// decomposition of `input` into (outer, extent, inner) around the one dimension the argument
    /// broadcasts over. The rules are those of `F.gaussian_nll_loss`: the input's shape with one
    /// dimension of extent 1, or the input's shape without its last dimension.
    @inlinable
    static func broadcastLayout(
        _ argument: String, _ shape: [Int], against input: [Int]
    ) throws(LossError) -> (outer: Int, extent: Int, inner: Int)? {
        if shape == input { return nil }
        if !input.isEmpty, Array(input.dropLast()) == shape {
            return (shape.reduce(1, *), input[input.count - 1], 1)
        }
        if shape.count == input.count {
            let differing = input.indices.filter { input[$0] != shape[$0] }
            if differing.count == 1, shape[differing[0]] == 1 {
                return splitShape(input, axis: differing[0])
            }
        }
        throw .invalidShape(
            argument: argument, shape: shape,
            reason: "expected the input shape \(describe(shape: input)), that shape with one dimension of extent 1, or without its last dimension")
    }

    /// Runs a three-input lane kernel: fused over same-shaped tensors, or with the third argument
    /// broadcast over one dimension of `input` (loaded directly where eight lanes fall in one of
    /// its rows or on one of its elements, gathered lane by lane otherwise; its gradient is summed
    /// over that dimension and has the third argument's shape).
    @inlinable
    static func evaluate<T: LossScalar>(
        input: Tensor<T>, target: Tensor<T>, third: Tensor<T>, thirdArgument: LossArgument,
        layout: (outer: Int, extent: Int, inner: Int)?,
        wrt: Set<LossArgument>, reduction: Reduction,
        kernel: (SIMD8<T>, SIMD8<T>, SIMD8<T>) -> LaneTerms<T>
    ) -> LossResult<T> {
        guard let layout else {
            return evaluateElementwise(
                [(input, .input), (target, .target), (third, thirdArgument)], wrt: wrt, reduction: reduction,
                pads: (0, 0, 1), kernel: kernel)
        }
        let count = input.count
        let plan = ReductionPlan<T>(reduction, count: count)
        let scale = plan.gradientScale
        let s = SIMD8<T>(repeating: scale)
        let wantThird = wrt.contains(thirdArgument)
        var thirdGradient = wantThird ? [T](repeating: 0, count: third.count) : []
        var sum: T = 0
        let arrays = makeBuffers(
            count: count, wanted: [reduction == .none, wrt.contains(.input), wrt.contains(.target)]
        ) { (out: [UnsafeMutablePointer<T>?]) in
            withPointers([input, target, third]) { p in
                thirdGradient.withUnsafeMutableBufferPointer { g3 in
                    let (a, b, c) = (p[0], p[1], p[2])
                    // One block of input elements, 8 lanes at a time in the same blocks and lanes as
                    // `elementwiseLoss`, so the value equals that of the expanded argument bitwise.
                    // (an empty array may still have a base address: only use it when wanted)
                    let g3p = wantThird ? g3.baseAddress : nil
                    func block(_ range: Range<Int>) -> T {
                        var acc = SIMD8<T>.zero
                        // The position (o, j, i) of the next input element in [outer, extent, inner];
                        // the third argument's element is o·inner + i.
                        var i = range.lowerBound % layout.inner
                        var j = (range.lowerBound / layout.inner) % layout.extent
                        var o = range.lowerBound / (layout.inner * layout.extent)
                        var start = range.lowerBound
                        while start < range.upperBound {
                            let n = Swift.min(8, range.upperBound - start)
                            if n == 8 && (i + 8 <= layout.inner || (layout.inner == 1 && j + 8 <= layout.extent)) {
                                // Eight lanes in one row of the third argument (contiguous), or all
                                // on one of its elements (broadcast over the last dimension).
                                let k = o * layout.inner + i
                                let contiguous = layout.inner > 1
                                let t = kernel(load8(a + start), load8(b + start), contiguous ? load8(c + k) : SIMD8(repeating: c[k]))
                                acc += t.loss
                                if let q = out[0] { store8(t.loss, q + start) }
                                if let q = out[1] { store8(t.d0 * s, q + start) }
                                if let q = out[2] { store8(t.d1 * s, q + start) }
                                if let g = g3p {
                                    let d = t.d2 * s
                                    if contiguous { store8(load8(UnsafePointer(g + k)) + d, g + k) } else { g[k] += d.laneSum() }
                                }
                                if contiguous {
                                    i += 8
                                    if i == layout.inner { i = 0; j += 1; if j == layout.extent { j = 0; o += 1 } }
                                } else {
                                    j += 8
                                    if j == layout.extent { j = 0; o += 1 }
                                }
                                start += 8
                                continue
                            }
                            // Lanes that cross a row: gather them one by one.
                            var x = SIMD8<T>.zero, y = SIMD8<T>.zero, v = SIMD8<T>(repeating: 1)
                            var index = SIMD8<Int>.zero
                            for l in 0..<n {
                                let k = o * layout.inner + i
                                x[l] = a[start + l]; y[l] = b[start + l]; v[l] = c[k]; index[l] = k
                                i += 1
                                if i == layout.inner { i = 0; j += 1; if j == layout.extent { j = 0; o += 1 } }
                            }
                            let t = kernel(x, y, v)
                            acc += n == 8 ? t.loss : t.loss.keepingFirstLanes(n)
                            if let q = out[0] { storePartial(t.loss, q + start, n) }
                            if let q = out[1] { storePartial(t.d0 * s, q + start, n) }
                            if let q = out[2] { storePartial(t.d1 * s, q + start, n) }
                            if let g = g3p {
                                let d = t.d2 * s
                                for l in 0..<n { g[index[l]] += d[l] }
                            }
                            start += n
                        }
                        return acc.laneSum()
                    }
                    if wantThird {
                        // Blocks scatter into shared elements of the third gradient: run them in order.
                        var b = 0
                        while b < count {
                            let e = Swift.min(count, b + Parallelism.grain)
                            sum += block(b..<e)
                            b = e
                        }
                    } else {
                        sum = blockedSum(count: count, blockSize: Parallelism.grain, block)
                    }
                }
            }
        }
        var result = LossResult<T>(
            value: arrays[0].map { Tensor(uncheckedShape: input.shape, scalars: $0) } ?? Tensor(plan.value(fromSum: sum)))
        if let g = arrays[1] { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
        if let g = arrays[2] { result.gradients[.target] = Tensor(uncheckedShape: input.shape, scalars: g) }
        if wantThird { result.gradients[thirdArgument] = Tensor(uncheckedShape: third.shape, scalars: thirdGradient) }
        return result
    }
}
