#if canImport(_Differentiation)
import _Differentiation
import RealModule

extension Tensor where Scalar: LossScalar {
    /// `f` elementwise, with the pullback `v ↦ v ⊙ df(x, f(x))`.
    @inlinable
    func mapWithDerivative(
        _ f: (Scalar) -> Scalar, _ df: @escaping (Scalar, Scalar) -> Scalar
    ) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let y = withUnsafeBufferPointer { p in Tensor.elementwise(p.count) { f(p[$0]) } }
        let shape = self.shape, x = self
        return (Tensor(validShape: shape, y), { v in
            x.withUnsafeBufferPointer { px in
                v.withUnsafeBufferPointer { pv in
                    Tensor(validShape: shape, Tensor.elementwise(px.count) { i in pv[pv.count == 1 ? 0 : i] * df(px[i], y[i]) })
                }
            }
        })
    }
}

/// max(x, 0) elementwise; the derivative at 0 is 0 (as PyTorch).
@inlinable
@differentiable(reverse)
public func relu<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.mapWithDerivative({ max($0, 0) }, { x, _ in x > 0 ? 1 : 0 }).value }

@inlinable
@derivative(of: relu)
func _vjpRelu<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.mapWithDerivative({ max($0, 0) }, { x, _ in x > 0 ? 1 : 0 })
}

/// x for x > 0, `slope`·x otherwise.
@inlinable
@differentiable(reverse, wrt: x)
public func leakyRelu<T: LossScalar>(_ x: Tensor<T>, slope: T = 0.01) -> Tensor<T> {
    x.mapWithDerivative({ $0 > 0 ? $0 : slope * $0 }, { x, _ in x > 0 ? 1 : slope }).value
}

@inlinable
@derivative(of: leakyRelu, wrt: x)
func _vjpLeakyRelu<T: LossScalar>(_ x: Tensor<T>, slope: T) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.mapWithDerivative({ $0 > 0 ? $0 : slope * $0 }, { x, _ in x > 0 ? 1 : slope })
}

/// tanh elementwise.
@inlinable
@differentiable(reverse)
public func tanh<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.mapWithDerivative({ T.tanh($0) }, { _, y in 1 - y * y }).value }

@inlinable
@derivative(of: tanh)
func _vjpTanh<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.mapWithDerivative({ T.tanh($0) }, { _, y in 1 - y * y })
}

/// The logistic sigmoid elementwise (LossKit's overflow-safe scalar ``sigmoid(_:)``).
@inlinable
@differentiable(reverse)
public func sigmoid<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.mapWithDerivative({ sigmoid($0) }, { _, y in y * (1 - y) }).value }

@inlinable
@derivative(of: sigmoid)
func _vjpSigmoid<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.mapWithDerivative({ sigmoid($0) }, { _, y in y * (1 - y) })
}

/// eˣ elementwise.
@inlinable
@differentiable(reverse)
public func exp<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.mapWithDerivative({ T.exp($0) }, { _, y in y }).value }

@inlinable
@derivative(of: exp)
func _vjpExp<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.mapWithDerivative({ T.exp($0) }, { _, y in y })
}

/// The natural logarithm elementwise.
@inlinable
@differentiable(reverse)
public func log<T: LossScalar>(_ x: Tensor<T>) -> Tensor<T> { x.mapWithDerivative({ T.log($0) }, { x, _ in 1 / x }).value }

@inlinable
@derivative(of: log)
func _vjpLog<T: LossScalar>(_ x: Tensor<T>) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    x.mapWithDerivative({ T.log($0) }, { x, _ in 1 / x })
}
#endif
