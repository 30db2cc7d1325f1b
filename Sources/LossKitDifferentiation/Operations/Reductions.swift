#if canImport(_Differentiation)
import _Differentiation

extension Tensor where Scalar: LossScalar {
    /// The sum of every element, 0-d.
    @inlinable
    @differentiable(reverse)
    public func sum() -> Tensor { Tensor(scalarSum) }

    @inlinable
    @derivative(of: sum)
    func _vjpSum() -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let shape = self.shape
        return (sum(), { v in Tensor(validShape: shape, repeating: v.scalar ?? 0) })
    }

    /// The mean of every element, 0-d (NaN for an empty tensor).
    @inlinable
    @differentiable(reverse)
    public func mean() -> Tensor { Tensor(scalarSum / Scalar(count)) }

    @inlinable
    @derivative(of: mean)
    func _vjpMean() -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let shape = self.shape, n = Scalar(count)
        return (mean(), { v in Tensor(validShape: shape, repeating: (v.scalar ?? 0) / n) })
    }

    /// The sum of every element in SIMD lanes, over threads in blocks of a fixed size (the same
    /// bits on any number of threads).
    @inlinable
    var scalarSum: Scalar { withUnsafeBufferPointer { $0.isEmpty ? 0 : Lanewise.sum(count: $0.count, $0.baseAddress!) } }

    /// The same scalars in `shape` (same element count; stops otherwise).
    @inlinable
    @differentiable(reverse)
    public func reshaped(to shape: [Int]) -> Tensor {
        precondition(shape.reduce(1, *) == count, "reshaped(to: \(shape)): the tensor has \(count) elements, shape \(self.shape)")
        return viewed(as: shape)
    }

    @inlinable
    @derivative(of: reshaped)
    func _vjpReshaped(to shape: [Int]) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let original = self.shape
        return (reshaped(to: shape), { v in v.reshaped(to: original) })
    }
}
#endif
