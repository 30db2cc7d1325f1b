#if canImport(_Differentiation)
import _Differentiation

/// The gradient of a function whose result is a 0-d (or single-element) ``Tensor``, such as a
/// reduced loss: `gradient(at: model) { m in Losses.crossEntropy(input: m(x), target: y) }`.
///
/// The standard library's `gradient(at:of:)` needs a floating-point result; this one seeds the
/// pullback with a tensor 1. Stops if the result has more than one element (use
/// `valueWithPullback(at:of:)` with a cotangent of the result's shape).
@inlinable
public func gradient<Model: Differentiable, Scalar: LossScalar>(
    at x: Model, of f: @differentiable(reverse) (Model) -> Tensor<Scalar>
) -> Model.TangentVector {
    valueWithGradient(at: x, of: f).gradient
}

/// The value and the gradient of a function whose result is a 0-d (or single-element)
/// ``Tensor``; see ``gradient(at:of:)``.
@inlinable
public func valueWithGradient<Model: Differentiable, Scalar: LossScalar>(
    at x: Model, of f: @differentiable(reverse) (Model) -> Tensor<Scalar>
) -> (value: Tensor<Scalar>, gradient: Model.TangentVector) {
    let (value, pullback) = valueWithPullback(at: x, of: f)
    precondition(value.count == 1, "gradient(at:of:): the result has shape \(value.shape); it must be a single value (reduce the loss, or use valueWithPullback with a cotangent)")
    return (value, pullback(Tensor(Scalar(1))))
}
#endif
