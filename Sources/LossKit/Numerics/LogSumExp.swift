import RealModule
// Log-sum-exp, softmax and log-softmax: the single implementation the classification and
// divergence kernels build on. A row is `n` elements `stride` apart (stride 1 for the last axis,
// the spatial size for PyTorch's class dimension 1 of `[N, C, ...]`).

/// The maximum of a contiguous row; NaN if any element is NaN, −inf for an empty row.
///
/// Two independent vector maxima (so the loop is not one chain of dependent `max`es) and a NaN
/// mask, all single vector instructions; the row kernels of every family use this one.
@inlinable
func rowMax<T: LossScalar>(_ p: UnsafePointer<T>, _ n: Int) -> T {
    var m0 = SIMD8<T>(repeating: -.infinity), m1 = m0
    var nan = SIMDMask<SIMD8<T.SIMDMaskScalar>>(repeating: false)
    var i = 0
    while i + 16 <= n {
        let a = load8(p + i), b = load8(p + i + 8)
        nan .|= a.nanLanes .| b.nanLanes
        m0 = m0.lanesMax(a)
        m1 = m1.lanesMax(b)
        i += 16
    }
    if i + 8 <= n {
        let a = load8(p + i)
        nan .|= a.nanLanes
        m0 = m0.lanesMax(a)
        i += 8
    }
    if i < n {
        let a = loadPartial(p + i, n - i, pad: -.infinity)
        nan .|= a.nanLanes
        m1 = m1.lanesMax(a)
    }
    return any(nan) ? .nan : m0.lanesMax(m1).laneMax()
}

/// Σ exp(p[i] − shift) over a contiguous row.
@inlinable
func rowSumExp<T: LossScalar>(_ p: UnsafePointer<T>, _ n: Int, shift: T) -> T {
    var acc = SIMD8<T>.zero
    let s = SIMD8<T>(repeating: shift)
    var i = 0
    while i + 8 <= n {
        acc += T.vexp(load8(p + i) - s)
        i += 8
    }
    if i < n { acc += T.vexp(loadPartial(p + i, n - i, pad: -.infinity) - s) }
    return acc.laneSum()
}

/// The maximum of `n` elements `stride` apart.
@inlinable
func stridedMax<T: LossScalar>(_ p: UnsafePointer<T>, _ n: Int, stride: Int) -> T {
    if stride == 1 { return rowMax(p, n) }
    var r = -T.infinity
    for i in 0..<n { let v = p[i * stride]; if v.isNaN { return .nan }; if r < v { r = v } }
    return r
}

/// log Σ exp over `n` elements `stride` apart, returned with the maximum it shifted by.
///
/// All −inf gives −inf; any +inf gives +inf; NaN propagates. The shift is the row maximum
/// (0 when it is not finite), so `exp(x − shift)` never overflows.
@inlinable
func stridedLogSumExp<T: LossScalar>(_ p: UnsafePointer<T>, _ n: Int, stride: Int) -> (lse: T, shift: T) {
    let m = stridedMax(p, n, stride: stride)
    guard m.isFinite else { return (m, 0) }
    var s: T
    if stride == 1 {
        s = rowSumExp(p, n, shift: m)
    } else {
        s = 0
        for i in 0..<n { s += T.exp(p[i * stride] - m) }
    }
    return (m + T.log(s), m)
}

/// Splits a shape around `axis` into (outer, extent, inner) for the strided row loops.
@inlinable
func splitShape(_ shape: [Int], axis: Int) -> (outer: Int, extent: Int, inner: Int) {
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    return (outer, shape[axis], inner)
}

@inlinable
func normalizedAxis(_ axis: Int, rank: Int, argument: String, shape: [Int]) throws(LossError) -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0, a < rank else {
        throw .invalidShape(argument: argument, shape: shape, reason: "axis \(axis) is out of range for rank \(rank)")
    }
    return a
}

/// Applies `body(row pointer, output pointer)` to every row along `axis` and returns a tensor of
/// the input's shape (or with `axis` removed when `keepAxis` is false and `body` writes one value).
/// Rows are split over threads above the grain; each writes only its own outputs, so the result
/// does not depend on the split.
@inlinable
func mapRows<T: LossScalar>(
    _ x: Tensor<T>, axis: Int, outputPerRow: Int,
    _ body: (UnsafePointer<T>, Int, Int, UnsafeMutablePointer<T>, Int) -> Void
) -> TensorBuffer<T> {
    let (outer, extent, inner) = splitShape(x.shape, axis: axis)
    return x.withUnsafeBufferPointer { xb in
        let xp = base(xb)
        return makeBuffers(count: outer * inner * outputPerRow, wanted: [true]) { out in
            let op = out[0]!
            forEachRange(outer * inner, workPerItem: max(1, extent), limit: .max) { _, rows in
                for r in rows {
                    let (o, j) = r.quotientAndRemainder(dividingBy: inner)
                    body(xp + o * extent * inner + j, extent, inner, op + (o * inner * outputPerRow) + j, inner)
                }
            }
        }[0]!
    }
}

/// out[i·stride] = f(row[i·stride]) for the `n` elements of a row, 8 lanes at a time when the row
/// is contiguous; a strided row computes each element in the lanes of a splat, so both give the
/// same bits.
@inlinable @inline(__always)
func mapRow<T: LossScalar>(
    _ row: UnsafePointer<T>, _ n: Int, stride: Int, into out: UnsafeMutablePointer<T>, _ f: (SIMD8<T>) -> SIMD8<T>
) {
    if stride == 1 {
        LaneMapBlock(a: row, b: row, c: row, out: out).run(0..<n) { x, _, _ in f(x) }
    } else {
        for i in 0..<n { out[i * stride] = f(SIMD8(repeating: row[i * stride]))[0] }
    }
}

/// log Σ exp(x) along `axis`, without overflow: m + log Σ exp(x − m) with m the maximum.
///
/// ```
/// logSumExp(x)ᵢ = log Σⱼ exp(xᵢⱼ)       (the axis removed from the shape)
/// ∂/∂xⱼ = softmax(x)ⱼ
/// ```
/// A row of −inf gives −inf, a row containing +inf gives +inf.
///
/// ```swift
/// try logSumExp(Tensor([1000, 1000] as [Float]), axis: 0).scalar  // 1000.6931
/// ```
@inlinable
public func logSumExp<T: LossScalar>(_ x: Tensor<T>, axis: Int = -1) throws(LossError) -> Tensor<T> {
    let a = try normalizedAxis(axis, rank: x.rank, argument: "input", shape: x.shape)
    var shape = x.shape
    shape.remove(at: a)
    let values = mapRows(x, axis: a, outputPerRow: 1) { row, n, stride, out, _ in
        out.pointee = stridedLogSumExp(row, n, stride: stride).lse
    }
    return Tensor(uncheckedShape: shape, scalars: values)
}

/// log softmax(x) along `axis`: xⱼ − logSumExp(x), never computed as log(softmax(x)).
///
/// Gradient (vector–Jacobian product with an upstream g): gⱼ − softmax(x)ⱼ·Σₖ gₖ.
@inlinable
public func logSoftmax<T: LossScalar>(_ x: Tensor<T>, axis: Int = -1) throws(LossError) -> Tensor<T> {
    let a = try normalizedAxis(axis, rank: x.rank, argument: "input", shape: x.shape)
    let values = mapRows(x, axis: a, outputPerRow: x.shape[a]) { row, n, stride, out, _ in
        let lse = SIMD8(repeating: stridedLogSumExp(row, n, stride: stride).lse)
        mapRow(row, n, stride: stride, into: out) { $0 - lse }
    }
    return Tensor(uncheckedShape: x.shape, scalars: values)
}

/// softmax(x)ⱼ = exp(xⱼ − m) / Σₖ exp(xₖ − m) along `axis` (m the row maximum, so nothing overflows).
///
/// Gradient (vector–Jacobian product with g): softmax(x)ⱼ·(gⱼ − Σₖ gₖ softmax(x)ₖ).
@inlinable
public func softmax<T: LossScalar>(_ x: Tensor<T>, axis: Int = -1) throws(LossError) -> Tensor<T> {
    let a = try normalizedAxis(axis, rank: x.rank, argument: "input", shape: x.shape)
    let values = mapRows(x, axis: a, outputPerRow: x.shape[a]) { row, n, stride, out, _ in
        let lse = SIMD8(repeating: stridedLogSumExp(row, n, stride: stride).lse)
        mapRow(row, n, stride: stride, into: out) { T.vexp($0 - lse) }
    }
    return Tensor(uncheckedShape: x.shape, scalars: values)
}

/// log(eᵃ + eᵇ + eᶜ) lane-wise, with −inf for three −inf lanes: the maximum plus the log of
/// 1 + the two other exponentials (two exps and one log per lane).
///
/// The exponents are clamped at −64: e⁻⁶⁴ ≈ 1.6e-28 vanishes next to 1 in Double as in Float, so
/// the result is unchanged, and the exponentials never reach the subnormal range (or take the
/// −inf path), whose arithmetic is many times slower: a blank state's s−2 term is always −inf.
@inlinable @inline(__always)
func logSumExp3<T: LossScalar>(_ a: SIMD8<T>, _ b: SIMD8<T>, _ c: SIMD8<T>) -> SIMD8<T> {
    let high = a.lanesMax(b), low = a.lanesMin(b)
    let m = high.lanesMax(c), middle = high.lanesMin(c)
    let shift = m.replacing(with: 0, where: m .== -T.infinity)
    let floor = SIMD8<T>(repeating: -64)
    return m + T.vlog(1 + T.vexp((low - shift).lanesMax(floor)) + T.vexp((middle - shift).lanesMax(floor)))
}

/// log(eᵃ + eᵇ) for two scalars, −inf when both are −inf.
@inlinable
func logSumExp2<T: LossScalar>(_ a: T, _ b: T) -> T {
    let m = max(a, b)
    guard m > -.infinity else { return -.infinity }
    return m + T.log(1 + T.exp(min(a, b) - m))
}
