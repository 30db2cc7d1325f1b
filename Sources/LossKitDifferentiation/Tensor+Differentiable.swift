#if canImport(_Differentiation)
import _Differentiation

/// `Tensor` is a vector space with broadcasting `+` and `-`: a 0-d operand is added to every
/// element of the other, so the 0-d ``zero`` (Swift for TensorFlow's shapeless zero) is the
/// identity for tensors of every shape.
extension Tensor: AdditiveArithmetic where Scalar: LossScalar {
    /// The 0-d zero: the tangent of a parameter a loss never reaches.
    @inlinable public static var zero: Tensor { Tensor(Scalar(0)) }

    @inlinable
    @differentiable(reverse)
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        broadcasting(lhs, rhs, operation: "+") { $0 + $1 }
    }

    @inlinable
    @differentiable(reverse)
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        broadcasting(lhs, rhs, operation: "-") { $0 - $1 }
    }

    @inlinable
    @derivative(of: +)
    static func _vjpAdd(lhs: Tensor, rhs: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
        let (ls, rs) = (lhs.shape, rhs.shape)
        return (lhs + rhs, { v in (v.summed(toShape: ls), v.summed(toShape: rs)) })
    }

    @inlinable
    @derivative(of: -)
    static func _vjpSubtract(lhs: Tensor, rhs: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
        let (ls, rs) = (lhs.shape, rhs.shape)
        return (lhs - rhs, { v in (v.summed(toShape: ls), Tensor.zero - v.summed(toShape: rs)) })
    }

    /// With a constant operand (a bias the caller does not train), the compiler picks this: the
    /// cotangent is not summed to the other operand's shape.
    @inlinable
    @derivative(of: +, wrt: lhs)
    static func _vjpAddLeft(lhs: Tensor, rhs: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let ls = lhs.shape
        return (lhs + rhs, { v in v.summed(toShape: ls) })
    }

    /// With a constant subtrahend, the compiler picks this: no negated copy of the cotangent.
    @inlinable
    @derivative(of: -, wrt: lhs)
    static func _vjpSubtractLeft(lhs: Tensor, rhs: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let ls = lhs.shape
        return (lhs - rhs, { v in v.summed(toShape: ls) })
    }
}

/// `Tensor` is its own tangent vector.
extension Tensor: Differentiable where Scalar: LossScalar {
    public typealias TangentVector = Tensor

    /// Adds `offset`; the 0-d zero (a parameter the loss did not reach) changes nothing.
    @inlinable
    public mutating func move(by offset: Tensor) {
        if offset.rank == 0 && offset.scalar == 0 { return }
        self = self + offset
    }
}

extension Tensor where Scalar: LossScalar & Differentiable, Scalar.TangentVector == Scalar {
    /// A tensor from `scalars` in `shape`, differentiable with respect to the scalars.
    /// Stops (precondition) if the element count of `shape` differs from `scalars.count`.
    @inlinable
    @differentiable(reverse, wrt: scalars)
    public init(shape: [Int], differentiableScalars scalars: [Scalar]) {
        do { self = try Tensor(shape: shape, scalars: scalars) } catch { preconditionFailure(error.description) }
    }

    @inlinable
    @derivative(of: init(shape:differentiableScalars:), wrt: scalars)
    static func _vjpInit(shape: [Int], differentiableScalars scalars: [Scalar])
        -> (value: Tensor, pullback: (Tensor) -> Array<Scalar>.TangentVector)
    {
        let count = scalars.count
        return (Tensor(shape: shape, differentiableScalars: scalars), { v in
            Array<Scalar>.TangentVector(v.rank == 0 && count != 1 ? Array(repeating: v.scalar ?? 0, count: count) : v.scalars)
        })
    }

    /// The scalars in C order, differentiable.
    @inlinable
    @differentiable(reverse)
    public var differentiableScalars: [Scalar] { scalars }

    @inlinable
    @derivative(of: differentiableScalars)
    func _vjpScalars() -> (value: [Scalar], pullback: (Array<Scalar>.TangentVector) -> Tensor) {
        let shape = self.shape
        return (scalars, { v in Tensor(validShape: shape, v.base.isEmpty ? Array(repeating: 0, count: shape.reduce(1, *)) : v.base) })
    }
}
#endif
