import RealModule
// Family A of LOSSES.md: regression losses.

/// Mean squared error: the squared difference of `input` and `target`.
///
/// ```
/// ℓᵢ = (inputᵢ − targetᵢ)²
/// loss = mean ℓ (default) | Σ ℓ | ℓ (none, the inputs' shape)
/// ∂ℓᵢ/∂inputᵢ = 2(inputᵢ − targetᵢ)        ∂ℓᵢ/∂targetᵢ = −2(inputᵢ − targetᵢ)
/// ```
/// With `mean` each gradient is divided by the element count; the mean of an empty input is NaN
/// (as in PyTorch).
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
) throws -> LossResult<T> {
    try reduction.validate()
    try checkShape("target", target.shape, equals: input.shape)
    return evaluateElementwise([(input, .input), (target, .target)], wrt: wrt, reduction: reduction) { x, y, _ in
        let e = x - y
        return LaneTerms(loss: e * e, d0: 2 * e, d1: -2 * e)
    }
}
