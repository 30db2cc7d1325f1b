#if canImport(_Differentiation)
import _Differentiation

extension Tensor where Scalar: LossScalar {
    /// The elementwise product under broadcasting (a 0-d operand scales every element).
    @inlinable
    @differentiable(reverse)
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        broadcasting(lhs, rhs, operation: "*") { $0 * $1 }
    }

    @inlinable
    @derivative(of: *)
    static func _vjpMultiply(lhs: Tensor, rhs: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
        (lhs * rhs, { v in ((v * rhs).summed(toShape: lhs.shape), (v * lhs).summed(toShape: rhs.shape)) })
    }

    // One-sided derivatives: with a constant operand (weights, masks, a scale) the compiler picks
    // these, and the other operand's gradient, a whole tensor, is never computed.
    @inlinable
    @derivative(of: *, wrt: lhs)
    static func _vjpMultiplyLeft(lhs: Tensor, rhs: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        (lhs * rhs, { v in (v * rhs).summed(toShape: lhs.shape) })
    }

    @inlinable
    @derivative(of: *, wrt: rhs)
    static func _vjpMultiplyRight(lhs: Tensor, rhs: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        (lhs * rhs, { v in (v * lhs).summed(toShape: rhs.shape) })
    }

    /// The elementwise quotient under broadcasting.
    @inlinable
    @differentiable(reverse)
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        broadcasting(lhs, rhs, operation: "/") { $0 / $1 }
    }

    @inlinable
    @derivative(of: /)
    static func _vjpDivide(lhs: Tensor, rhs: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
        let q = lhs / rhs
        return (q, { v in
            let dl = v / rhs
            return (dl.summed(toShape: lhs.shape), (Tensor.zero - dl * q).summed(toShape: rhs.shape))
        })
    }

    @inlinable
    @derivative(of: /, wrt: lhs)
    static func _vjpDivideLeft(lhs: Tensor, rhs: Tensor) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        (lhs / rhs, { v in (v / rhs).summed(toShape: lhs.shape) })
    }

    /// The elementwise negation.
    @inlinable
    @differentiable(reverse)
    public static prefix func - (x: Tensor) -> Tensor { Tensor.zero - x }

    /// The matrix product `self · other` of rank-2 tensors (LossKit's blocked kernel); stops
    /// with ``matmul(_:_:transposeA:transposeB:)``'s message when the shapes do not fit.
    @inlinable
    @differentiable(reverse)
    public func matmul(_ other: Tensor) -> Tensor {
        do { return try LossKit.matmul(self, other) } catch { preconditionFailure("matmul: \(error)") }
    }

    @inlinable
    @derivative(of: matmul)
    func _vjpMatmul(_ other: Tensor) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
        (matmul(other), { v in
            if v.rank == 0 { return (Tensor.zero, Tensor.zero) }  // the zero cotangent
            do {
                // ∂/∂A = V·Bᵀ, ∂/∂B = Aᵀ·V
                return (try LossKit.matmul(v, other, transposeB: true), try LossKit.matmul(self, v, transposeA: true))
            } catch { preconditionFailure("matmul pullback: \(error)") }
        })
    }
}
#endif
