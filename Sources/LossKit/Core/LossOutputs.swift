// Allocation of a loss's outputs (the `none` losses and the gradient), shared by every family
// kernel that fills them in place.

/// Calls `body` with the base address of an optional tensor's storage.
@inlinable
func withOptionalPointer<T, R>(_ t: Tensor<T>?, _ body: (UnsafePointer<T>?) -> R) -> R {
    guard let t else { return body(nil) }
    return t.withUnsafeBufferPointer { body(base($0)) }
}

/// Allocates the `none` losses (`positions` elements, when `wantsLosses`) and the gradient
/// (`gradientCount` elements, when `wantsGradient`), lets `body` fill them, and returns both.
@inlinable
func withLossOutputs<T: LossScalar>(
    positions: Int, wantsLosses: Bool, gradientCount: Int, wantsGradient: Bool,
    _ body: (UnsafeMutablePointer<T>?, UnsafeMutablePointer<T>?) -> Void
) -> (losses: TensorBuffer<T>?, gradient: TensorBuffer<T>?) {
    let losses = wantsLosses ? TensorBuffer<T>(uninitializedCount: positions) : nil
    let gradient = wantsGradient ? TensorBuffer<T>(uninitializedCount: gradientCount) : nil
    body(losses?.base, gradient?.base)
    return (losses, gradient)
}
