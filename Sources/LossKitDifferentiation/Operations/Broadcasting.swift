#if canImport(_Differentiation)
import _Differentiation

extension Tensor where Scalar: LossScalar {
    /// A tensor whose shape is known to hold `scalars.count` elements (built by this module).
    @inlinable
    init(validShape shape: [Int], _ scalars: [Scalar]) {
        do { self = try Tensor(shape: shape, scalars: scalars) } catch { preconditionFailure(error.description) }
    }

    /// `op` applied elementwise under NumPy broadcasting (a 0-d or single-element operand applies
    /// to every element; shapes align on the right, extents 1 stretch). Stops with a message
    /// naming `operation` and both shapes when they do not broadcast.
    @inlinable
    static func broadcasting(
        _ a: Tensor, _ b: Tensor, operation: String, _ op: (Scalar, Scalar) -> Scalar
    ) -> Tensor {
        if a.shape == b.shape {
            return Tensor(validShape: a.shape, a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                elementwise(pa.count) { i in op(pa[i], pb[i]) }
            } })
        }
        if b.rank == 0 {
            let y = b.scalar ?? 0
            return Tensor(validShape: a.shape, a.withUnsafeBufferPointer { pa in elementwise(pa.count) { i in op(pa[i], y) } })
        }
        if a.rank == 0 {
            let x = a.scalar ?? 0
            return Tensor(validShape: b.shape, b.withUnsafeBufferPointer { pb in elementwise(pb.count) { i in op(x, pb[i]) } })
        }
        let shape = broadcastShape(a.shape, b.shape, operation: operation)
        let (sa, sb) = (broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape))
        let count = shape.reduce(1, *)
        let s = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            [Scalar](unsafeUninitializedCapacity: count) { out, n in
                forEachBroadcastIndex(shape, sa, sb) { i, ia, ib in out[i] = op(pa[ia], pb[ib]) }
                n = count
            }
        } }
        return Tensor(validShape: shape, s)
    }

    /// `[f(0), f(1), ..., f(count − 1)]`, in contiguous ranges on several threads above the grain
    /// (each element is written once, so the result does not depend on the split).
    @inlinable
    static func elementwise(_ count: Int, _ f: (Int) -> Scalar) -> [Scalar] {
        [Scalar](unsafeUninitializedCapacity: count) { out, n in
            let base = out.baseAddress
            Parallelism.forEachRange(count, workPerItem: 1) { range in
                for i in range { (base! + i).initialize(to: f(i)) }
            }
            n = count
        }
    }

    /// The sum of `self` over the dimensions that broadcasting stretched to reach `self.shape`
    /// from `shape` (the pullback of a broadcast).
    @inlinable
    func summed(toShape shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let count = shape.reduce(1, *)
        var out = [Scalar](repeating: 0, count: count)
        let strides = broadcastStrides(shape, to: self.shape)
        let zeros = [Int](repeating: 0, count: self.shape.count)
        withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                forEachBroadcastIndex(self.shape, strides, zeros) { i, io, _ in o[io] += p[i] }
            }
        }
        return Tensor(validShape: shape, out)
    }
}

/// The broadcast shape of `a` and `b` (NumPy rules); stops naming `operation` if there is none.
@inlinable
func broadcastShape(_ a: [Int], _ b: [Int], operation: String) -> [Int] {
    let rank = max(a.count, b.count)
    var shape = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(x == y || x == 1 || y == 1, "\(operation): shapes \(a) and \(b) do not broadcast")
        shape[i] = x == 1 ? y : x
    }
    return shape
}

/// The strides, in elements, at which an operand of `shape` is read at each index of `target`
/// (0 along stretched dimensions).
@inlinable
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: target.count)
    var step = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        let t = i + target.count - shape.count
        strides[t] = shape[i] == 1 ? 0 : step
        step *= shape[i]
    }
    return strides
}

/// Calls `body(linearIndex, offsetA, offsetB)` for every index of `shape` in C order.
@inlinable
func forEachBroadcastIndex(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
    let count = shape.reduce(1, *)
    guard count > 0 else { return }
    let rank = shape.count
    if rank == 0 { body(0, 0, 0); return }
    var index = [Int](repeating: 0, count: rank)
    var (ia, ib) = (0, 0)
    let inner = shape[rank - 1], (ta, tb) = (sa[rank - 1], sb[rank - 1])
    var i = 0
    while i < count {
        for j in 0..<inner { body(i + j, ia + j * ta, ib + j * tb) }
        i += inner
        // Advance the outer dimensions like an odometer.
        var d = rank - 2
        while d >= 0 {
            index[d] += 1
            ia += sa[d]; ib += sb[d]
            if index[d] < shape[d] { break }
            ia -= sa[d] * shape[d]; ib -= sb[d] * shape[d]
            index[d] = 0
            d -= 1
        }
    }
}
#endif
