#if canImport(_Differentiation)
import _Differentiation

extension Tensor where Scalar: LossScalar {
    /// A tensor whose shape is known to hold `scalars.count` elements (built by this module).
    @inlinable
    init(validShape shape: [Int], _ scalars: [Scalar]) {
        do { self = try Tensor(shape: shape, scalars: scalars) } catch { preconditionFailure(error.description) }
    }

    /// `self` with the shape `shape` of the same element count, sharing its storage (no copy).
    @inlinable
    func viewed(as shape: [Int]) -> Tensor {
        do { return try withShape(shape) } catch { preconditionFailure(error.description) }
    }

    /// A tensor of `shape` with every element `value`, in LossKit's recycled storage.
    @inlinable
    init(validShape shape: [Int], repeating value: Scalar) {
        self.init(validShape: shape) { $0.initialize(repeating: value, count: shape.reduce(1, *)) }
    }

    /// A tensor of `shape` whose `count` elements `body` initializes, every one of them.
    @inlinable
    init(validShape shape: [Int], initializingWith body: (UnsafeMutablePointer<Scalar>) -> Void) {
        do {
            try self.init(shape: shape, initializingWith: { if !$0.isEmpty { body($0.baseAddress!) } })
        } catch { preconditionFailure(error.description) }
    }

    /// `op` applied elementwise under NumPy broadcasting (a 0-d or single-element operand applies
    /// to every element; shapes align on the right, extents 1 stretch), 8 SIMD lanes at a time
    /// (``Lanewise``). Stops with a message naming `operation` and both shapes when they do not
    /// broadcast. Pass a closure literal that captures nothing, so it is inlined into the lanes.
    @inlinable
    static func broadcasting(
        _ a: Tensor, _ b: Tensor, operation: String, _ op: (SIMD8<Scalar>, SIMD8<Scalar>) -> SIMD8<Scalar>
    ) -> Tensor {
        if a.shape == b.shape {
            return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                Tensor(validShape: a.shape) { Lanewise.map(count: pa.count, pa.baseAddress!, pb.baseAddress!, into: $0, op) }
            } }
        }
        if b.count == 1 && b.rank <= a.rank {
            let s = b.scalars[0]
            return a.withUnsafeBufferPointer { pa in
                Tensor(validShape: a.shape) { Lanewise.map(count: pa.count, pa.baseAddress!, broadcasting: s, into: $0, op) }
            }
        }
        if a.count == 1 && a.rank <= b.rank {
            let s = a.scalars[0]
            return b.withUnsafeBufferPointer { pb in
                Tensor(validShape: b.shape) { Lanewise.map(count: pb.count, pb.baseAddress!, broadcasting: s, into: $0) { y, x in op(x, y) } }
            }
        }
        let shape = broadcastShape(a.shape, b.shape, operation: operation)
        let (sa, sb) = (broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape))
        guard let inner = shape.last, sa.last == 1, sb.last == 1 else {
            // An operand stretched along the last axis: stretch it (a copy), then map the rows.
            return broadcasting(a.broadcast(to: shape), b.broadcast(to: shape), operation: operation, op)
        }
        // Both operands run along the rows (a bias of [C] over [N, C], say): map row by row,
        // each operand read in place at its own offset, the rows split over threads.
        let rows = shape.reduce(1, *) / max(1, inner)
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            Tensor(validShape: shape) { out in
                let (la, lb) = (pa.baseAddress!, pb.baseAddress!)
                Parallelism.forEachRange(rows, workPerItem: inner) { range in
                    for r in range {
                        let (ia, ib) = rowOffsets(r, shape, sa, sb)
                        Lanewise.map(count: inner, la + ia, lb + ib, into: out + r * inner, op)
                    }
                }
            }
        } }
    }

    /// `self` stretched to `shape` (which it broadcasts to): a copy, one row at a time.
    @inlinable
    func broadcast(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let strides = broadcastStrides(self.shape, to: shape)
        return withUnsafeBufferPointer { p in
            Tensor(validShape: shape) { out in
                forEachBroadcastRow(shape, strides) { i, offset, step, n in
                    if step == 1 {
                        (out + i).initialize(from: p.baseAddress! + offset, count: n)
                    } else {
                        (out + i).initialize(repeating: p[offset], count: n)
                    }
                }
            }
        }
    }

    /// The sum of `self` over the dimensions that broadcasting stretched to reach `self.shape`
    /// from `shape` (the pullback of a broadcast), a row at a time in SIMD lanes.
    @inlinable
    func summed(toShape shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        let count = shape.reduce(1, *)
        if count == 1 { return Tensor(validShape: shape, [withUnsafeBufferPointer { $0.isEmpty ? 0 : Lanewise.sum(count: $0.count, $0.baseAddress!) }]) }
        let strides = broadcastStrides(shape, to: self.shape)
        return withUnsafeBufferPointer { p in
            Tensor(validShape: shape) { po in
                po.initialize(repeating: 0, count: count)
                let pp = p.baseAddress!
                forEachBroadcastRow(self.shape, strides) { i, offset, step, n in
                    if step == 1 {
                        Lanewise.map(count: n, po + offset, pp + i, into: po + offset) { $0 + $1 }
                    } else {
                        po[offset] += Lanewise.sum(count: n, pp + i)
                    }
                }
            }
        }
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

/// The offsets in operands read with strides `sa` and `sb` of the first element of row `r` (the
/// rows of the last dimension of `shape`, in C order).
@inlinable
func rowOffsets(_ r: Int, _ shape: [Int], _ sa: [Int], _ sb: [Int]) -> (Int, Int) {
    var (rest, ia, ib) = (r, 0, 0)
    var d = shape.count - 2
    while d >= 0 {
        let (q, i) = rest.quotientAndRemainder(dividingBy: shape[d])
        ia += i * sa[d]; ib += i * sb[d]
        rest = q
        d -= 1
    }
    return (ia, ib)
}

/// Calls `body(linearIndex, offset, step, n)` for every row (last dimension) of `shape` in C
/// order: the row starts at `linearIndex` of `shape` and at `offset` of the operand read with
/// `strides`, whose elements are `step` (0 or 1) apart along the row of `n` elements.
@inlinable
func forEachBroadcastRow(_ shape: [Int], _ strides: [Int], _ body: (Int, Int, Int, Int) -> Void) {
    let count = shape.reduce(1, *)
    guard count > 0 else { return }
    let rank = shape.count
    if rank == 0 { body(0, 0, 0, 1); return }
    var index = [Int](repeating: 0, count: rank)
    var offset = 0
    let inner = shape[rank - 1], step = strides[rank - 1]
    var i = 0
    while i < count {
        body(i, offset, step, inner)
        i += inner
        // Advance the outer dimensions like an odometer.
        var d = rank - 2
        while d >= 0 {
            index[d] += 1
            offset += strides[d]
            if index[d] < shape[d] { break }
            offset -= strides[d] * shape[d]
            index[d] = 0
            d -= 1
        }
    }
}
#endif
