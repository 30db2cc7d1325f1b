#if canImport(_Differentiation)
import _Differentiation

extension Tensor where Scalar: LossScalar {
    /// The sum over `axes` (negative counts from the end), keeping each as an extent of 1
    /// (PyTorch's `keepdim=True`) or, with `keepingDimensions: false`, removing it. Differentiable;
    /// the pullback broadcasts the cotangent back over the summed axes.
    ///
    /// ```swift
    /// let rows = x.sum(alongAxes: [1])                          // [N, C] → [N]
    /// let kept = x.sum(alongAxes: [1], keepingDimensions: true) // [N, C] → [N, 1]
    /// ```
    @inlinable
    @differentiable(reverse)
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let kept = keptShape(axes, operation: "sum(alongAxes:)")
        let s = summed(toShape: kept)
        return keepingDimensions ? s : s.viewed(as: squeezedShape(axes))
    }

    @inlinable
    @derivative(of: sum(alongAxes:keepingDimensions:))
    func _vjpSum(alongAxes axes: [Int], keepingDimensions: Bool) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let shape = self.shape, kept = keptShape(axes, operation: "sum(alongAxes:)")
        return (sum(alongAxes: axes, keepingDimensions: keepingDimensions), { v in
            // The cotangent has the kept or the squeezed shape (same elements), or is the 0-d zero.
            let k = v.count == kept.reduce(1, *) ? v.viewed(as: kept) : v.expanded(to: kept)
            return k.broadcast(to: shape)
        })
    }

    /// The mean over `axes`, as ``sum(alongAxes:keepingDimensions:)`` divided by the number of
    /// elements summed (NaN when that is 0).
    @inlinable
    @differentiable(reverse)
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        sum(alongAxes: axes, keepingDimensions: keepingDimensions) * Tensor(1 / elementCount(alongAxes: axes))
    }

    @inlinable
    @derivative(of: mean(alongAxes:keepingDimensions:))
    func _vjpMean(alongAxes axes: [Int], keepingDimensions: Bool) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let (value, pullback) = _vjpSum(alongAxes: axes, keepingDimensions: keepingDimensions)
        let c = Tensor(1 / elementCount(alongAxes: axes))
        return (value * c, { v in pullback(v) * c })
    }

    /// The number of elements one entry of a reduction over `axes` sums.
    @inlinable
    func elementCount(alongAxes axes: [Int]) -> Scalar {
        var n = 1
        for a in Set(axes.map({ normalizedAxis($0, rank: rank, operation: "mean(alongAxes:)") })) { n *= shape[a] }
        return Scalar(n)
    }

    /// The shape with every axis in `axes` set to 1.
    @inlinable
    func keptShape(_ axes: [Int], operation: String) -> [Int] {
        var kept = shape
        for a in axes { kept[normalizedAxis(a, rank: rank, operation: operation)] = 1 }
        return kept
    }

    /// The shape without the axes in `axes`.
    @inlinable
    func squeezedShape(_ axes: [Int]) -> [Int] {
        let drop = Set(axes.map { normalizedAxis($0, rank: rank, operation: "sum(alongAxes:)") })
        return shape.indices.filter { !drop.contains($0) }.map { shape[$0] }
    }
}
#endif
