/// The name of a loss argument: the differentiable inputs LossKit can return gradients for.
///
/// The raw values are the input names of the specification and of `losskit eval`
/// (`--input NAME=...`, `grad.NAME.npy`).
public enum LossArgument: String, CaseIterable, Sendable, Hashable {
    case input, target, weight
    case posWeight = "pos_weight"
    case variance = "var"
    case scale, labels, mean
    case logVariance = "logvar"
    case anchor, positive, negative, negatives, query
    case input1, input2
    case real, old, advantages, reference, mask, bias
}

/// A loss value together with the gradients that were asked for.
///
/// ```swift
/// let r = try meanSquaredError(input: x, target: y)
/// r.scalar                  // the reduced loss
/// r.gradients[.input]       // ∂loss/∂input, shaped like input
/// ```
public struct LossResult<Scalar: LossScalar>: Sendable {
    /// The loss: 0-d for a reduced loss, the documented `none` shape otherwise.
    public var value: Tensor<Scalar>
    /// ∂value/∂argument for each requested argument (of the sum of `value` when unreduced).
    public var gradients: [LossArgument: Tensor<Scalar>]

    @inlinable
    public init(value: Tensor<Scalar>, gradients: [LossArgument: Tensor<Scalar>] = [:]) {
        self.value = value
        self.gradients = gradients
    }

    /// The value of a reduced loss (the single element of `value`), or `nil` when unreduced.
    @inlinable public var scalar: Scalar? { value.shape.isEmpty ? value.scalar : nil }

    /// The gradient with respect to `argument`, if it was computed.
    @inlinable public subscript(gradient argument: LossArgument) -> Tensor<Scalar>? { gradients[argument] }
}
