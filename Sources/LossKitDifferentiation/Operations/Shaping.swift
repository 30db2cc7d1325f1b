#if canImport(_Differentiation)
import _Differentiation

extension Tensor where Scalar: LossScalar {
    /// The strides of a C-order tensor of `shape`.
    @inlinable
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count), s = 1
        for i in shape.indices.reversed() { strides[i] = s; s *= shape[i] }
        return strides
    }

    /// The axes permuted: result axis i is axis `permutation[i]` of `self` (PyTorch's
    /// `permute`). Differentiable; the pullback permutes back. Stops when `permutation` is not a
    /// permutation of 0..<rank.
    ///
    /// ```swift
    /// let nhwc = x.transposed(permutation: [0, 2, 3, 1])
    /// ```
    @inlinable
    @differentiable(reverse)
    public func transposed(permutation: [Int]) -> Tensor {
        precondition(permutation.sorted() == Array(0..<rank), "transposed(permutation: \(permutation)): not a permutation of the \(rank) axes of \(shape)")
        let outShape = permutation.map { shape[$0] }, inStrides = Tensor.contiguousStrides(shape)
        let strides = permutation.map { inStrides[$0] }
        let out: [Scalar] = withUnsafeBufferPointer { p in
            var out = [Scalar](repeating: 0, count: p.count), index = [Int](repeating: 0, count: rank)
            for j in 0..<p.count {
                var source = 0
                for d in 0..<rank { source += index[d] * strides[d] }
                out[j] = p[source]
                var d = rank - 1
                while d >= 0 { index[d] += 1; if index[d] < outShape[d] { break }; index[d] = 0; d -= 1 }
            }
            return out
        }
        return Tensor(validShape: outShape, out)
    }

    @inlinable
    @derivative(of: transposed(permutation:))
    func _vjpTransposed(permutation: [Int]) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (i, p) in permutation.enumerated() { inverse[p] = i }
        let value = transposed(permutation: permutation)
        return (value, { v in v.expanded(to: value.shape).transposed(permutation: inverse) })
    }

    /// The matrix transpose of a rank-2 tensor (stops otherwise).
    @inlinable
    @differentiable(reverse)
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed(): expected a matrix, got shape \(shape)")
        return transposed(permutation: [1, 0])
    }

    /// Elements `range` along `axis` (PyTorch's `narrow`/slicing `x[..., a:b, ...]`).
    /// Differentiable; the pullback puts the cotangent back in place, zeros elsewhere. Stops
    /// when the range is outside the axis.
    ///
    /// ```swift
    /// let firstRows = x.slice(alongAxis: 0, 0..<16)
    /// ```
    @inlinable
    @differentiable(reverse)
    public func slice(alongAxis axis: Int, _ range: Range<Int>) -> Tensor {
        let layout = AxisLayout(shape, axis: axis, operation: "slice(alongAxis:)")
        precondition(range.lowerBound >= 0 && range.upperBound <= layout.count,
                     "slice(alongAxis: \(axis), \(range)): outside 0..<\(layout.count) of shape \(shape)")
        var outShape = shape
        outShape[normalizedAxis(axis, rank: rank, operation: "slice")] = range.count
        let out: [Scalar] = withUnsafeBufferPointer { p in
            var out = [Scalar](); out.reserveCapacity(layout.outer * range.count * layout.inner)
            for o in 0..<layout.outer {
                let base = (o * layout.count + range.lowerBound) * layout.inner
                out.append(contentsOf: p[base..<(base + range.count * layout.inner)])
            }
            return out
        }
        return Tensor(validShape: outShape, out)
    }

    @inlinable
    @derivative(of: slice(alongAxis:_:))
    func _vjpSlice(alongAxis axis: Int, _ range: Range<Int>) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let shape = self.shape, layout = AxisLayout(shape, axis: axis, operation: "slice(alongAxis:)")
        let value = slice(alongAxis: axis, range)
        return (value, { v in
            let v = v.expanded(to: value.shape)
            var out = [Scalar](repeating: 0, count: shape.reduce(1, *))
            v.withUnsafeBufferPointer { pv in
                let block = range.count * layout.inner
                for o in 0..<layout.outer {
                    let base = (o * layout.count + range.lowerBound) * layout.inner
                    for j in 0..<block { out[base + j] = pv[o * block + j] }
                }
            }
            return Tensor(validShape: shape, out)
        })
    }

    /// The entries `indices` along `axis`, in that order, repeats allowed (PyTorch's
    /// `index_select`; an embedding lookup along axis 0). Differentiable; the pullback adds each
    /// cotangent entry into the entry it came from. Stops on an index outside the axis.
    ///
    /// ```swift
    /// let vectors = embedding.gathering(atIndices: [3, 1, 3], alongAxis: 0)
    /// ```
    @inlinable
    @differentiable(reverse)
    public func gathering(atIndices indices: [Int], alongAxis axis: Int = 0) -> Tensor {
        let layout = AxisLayout(shape, axis: axis, operation: "gathering(atIndices:)")
        for i in indices { precondition(i >= 0 && i < layout.count, "gathering(atIndices:): index \(i) outside 0..<\(layout.count) of shape \(shape)") }
        var outShape = shape
        outShape[normalizedAxis(axis, rank: rank, operation: "gathering")] = indices.count
        let out: [Scalar] = withUnsafeBufferPointer { p in
            var out = [Scalar](); out.reserveCapacity(layout.outer * indices.count * layout.inner)
            for o in 0..<layout.outer {
                for i in indices {
                    let base = (o * layout.count + i) * layout.inner
                    out.append(contentsOf: p[base..<(base + layout.inner)])
                }
            }
            return out
        }
        return Tensor(validShape: outShape, out)
    }

    @inlinable
    @derivative(of: gathering(atIndices:alongAxis:))
    func _vjpGathering(atIndices indices: [Int], alongAxis axis: Int) -> (value: Tensor, pullback: (Tensor) -> Tensor) {
        let shape = self.shape, layout = AxisLayout(shape, axis: axis, operation: "gathering(atIndices:)")
        let value = gathering(atIndices: indices, alongAxis: axis)
        return (value, { v in
            let v = v.expanded(to: value.shape)
            var out = [Scalar](repeating: 0, count: shape.reduce(1, *))
            v.withUnsafeBufferPointer { pv in
                var j = 0
                for o in 0..<layout.outer {
                    for i in indices {
                        let base = (o * layout.count + i) * layout.inner
                        for d in 0..<layout.inner { out[base + d] += pv[j]; j += 1 }
                    }
                }
            }
            return Tensor(validShape: shape, out)
        })
    }

    /// `self` followed by `other` along `axis` (PyTorch's `cat([self, other], dim)`); the other
    /// extents must agree. Differentiable with respect to both; the pullback splits the cotangent.
    ///
    /// ```swift
    /// let features = a.concatenated(with: b, alongAxis: 1)
    /// ```
    @inlinable
    @differentiable(reverse)
    public func concatenated(with other: Tensor, alongAxis axis: Int) -> Tensor {
        let a = normalizedAxis(axis, rank: rank, operation: "concatenated(with:alongAxis:)")
        var check = other.shape
        precondition(check.count == rank, "concatenated(with:alongAxis:): shapes \(shape) and \(other.shape) differ in rank")
        check[a] = shape[a]
        precondition(check == shape, "concatenated(with:alongAxis: \(axis)): shapes \(shape) and \(other.shape) differ off the axis")
        let (l1, l2) = (AxisLayout(shape, axis: a, operation: "concatenated"), AxisLayout(other.shape, axis: a, operation: "concatenated"))
        var outShape = shape
        outShape[a] += other.shape[a]
        let out: [Scalar] = withUnsafeBufferPointer { p in other.withUnsafeBufferPointer { q in
            var out = [Scalar](); out.reserveCapacity(p.count + q.count)
            let (b1, b2) = (l1.count * l1.inner, l2.count * l2.inner)
            for o in 0..<l1.outer {
                out.append(contentsOf: p[(o * b1)..<((o + 1) * b1)])
                out.append(contentsOf: q[(o * b2)..<((o + 1) * b2)])
            }
            return out
        } }
        return Tensor(validShape: outShape, out)
    }

    @inlinable
    @derivative(of: concatenated(with:alongAxis:))
    func _vjpConcatenated(with other: Tensor, alongAxis axis: Int) -> (value: Tensor, pullback: (Tensor) -> (Tensor, Tensor)) {
        let value = concatenated(with: other, alongAxis: axis)
        let a = normalizedAxis(axis, rank: rank, operation: "concatenated")
        let n1 = shape[a]
        return (value, { v in
            let v = v.expanded(to: value.shape)
            return (v.slice(alongAxis: a, 0..<n1), v.slice(alongAxis: a, n1..<value.shape[a]))
        })
    }
}
#endif
