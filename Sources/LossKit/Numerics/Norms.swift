import RealModule

// The norms of LossKit, in one place: max |x|, the Euclidean norm of a row (plain sum of squares
// when it is a normal number, else rescaled), the p-norm of a buffer and of a computed vector.
// Every one is overflow- and underflow-safe: finite entries give a finite, accurate norm; NaN
// gives NaN; an infinite entry gives +inf.

/// √s for a sum of squares s, or `nil` when s overflowed, may have underflowed (this includes
/// s = 0) or is NaN; the caller then recomputes the norm scaled (``scaledNorm(length:p:_:)``).
@inlinable @inline(__always)
func rootOfSquares<T: LossScalar>(_ s: T) -> T? {
    // Below this bound the squares of the entries may have lost bits to the denormal range.
    let tiny = T.leastNormalMagnitude / T.ulpOfOne
    return s >= tiny && s <= T.greatestFiniteMagnitude ? s.squareRoot() : nil
}

/// ‖v‖ₚ of the vector v(j), j < length, computed as m·(Σ (|vⱼ|/m)^p)^(1/p) with m = max |vⱼ|,
/// so that it neither overflows nor underflows. NaN if any entry is NaN; inf if any is inf.
@inlinable
func scaledNorm<T: LossScalar>(length: Int, p: T, _ v: (Int) -> T) -> T {
    var m: T = 0
    for j in 0..<length {
        let a = v(j).magnitude
        if a.isNaN { return .nan }
        m = Swift.max(m, a)
    }
    guard m > 0, m.isFinite, p.isFinite else { return m }
    var s: T = 0
    if p == 2 {
        for j in 0..<length { let r = v(j) / m; s += r * r }
        return m * s.squareRoot()
    }
    if p == 1 {
        for j in 0..<length { s += v(j).magnitude / m }
        return m * s
    }
    for j in 0..<length { s += T.pow(v(j).magnitude / m, p) }
    return m * T.pow(s, 1 / p)
}

/// ‖x‖₂ = scale · scaledNorm of a contiguous row, where scale = 1 unless the squares overflow or
/// underflow (then scale = max |xᵢ| and scaledNorm = ‖x / scale‖ ∈ [1, √n]); callers that divide
/// by the norm divide by scale and scaledNorm in turn, so that neither overflows.
@usableFromInline
struct ScaledEuclideanNorm<T: LossScalar> {
    @usableFromInline var norm: T
    @usableFromInline var scale: T
    @usableFromInline var scaledNorm: T

    @inlinable init(norm: T, scale: T, scaledNorm: T) { self.norm = norm; self.scale = scale; self.scaledNorm = scaledNorm }
}

/// The Euclidean norm of `n` contiguous scalars, exact to rounding for any finite entries: the
/// plain sum of squares when it is a normal number, else a second pass scaled by the largest
/// magnitude.
@inlinable
func scaledEuclideanNorm<T: LossScalar>(_ x: UnsafePointer<T>, _ n: Int) -> ScaledEuclideanNorm<T> {
    let sum = dotProduct(x, x, n)
    if sum.isNaN { return ScaledEuclideanNorm(norm: sum, scale: 1, scaledNorm: sum) }
    if let r = rootOfSquares(sum) { return ScaledEuclideanNorm(norm: r, scale: 1, scaledNorm: r) }
    let m = maxMagnitude(x, n)
    if m == 0 || m.isInfinite { return ScaledEuclideanNorm(norm: m, scale: 1, scaledNorm: m) }
    var s: T = 0
    for j in 0..<n { let v = x[j] / m; s += v * v }
    let r = s.squareRoot()
    return ScaledEuclideanNorm(norm: m * r, scale: m, scaledNorm: r)
}

/// ‖x‖₂ of a contiguous row (``scaledEuclideanNorm(_:_:)``'s norm).
@inlinable
func euclideanNorm<T: LossScalar>(_ x: UnsafePointer<T>, _ n: Int) -> T {
    scaledEuclideanNorm(x, n).norm
}

/// ‖x‖_p of a buffer: max|x| for p = inf, the count of non-zeros for p = 0, else
/// (Σ|x|ᵖ)^(1/p) computed on x·2⁻ᵉ with 2ᵉ ≈ max|x|, so that neither the powers overflow nor
/// the small elements underflow (the scaling by a power of two is exact). NaN anywhere gives
/// NaN (except for p = 0, where NaN counts as non-zero).
@inlinable
func pNorm<T: LossScalar>(_ b: UnsafeBufferPointer<T>, p: T) -> T {
    let x = base(b), n = b.count
    if p == 0 {
        var count = 0
        for i in 0..<n where x[i] != 0 { count += 1 }
        return T(count)
    }
    let m = maxMagnitude(x, n)
    if p == .infinity || m.isNaN || m == 0 || m == .infinity { return m }
    // 2^(−exponent(m)), with the exponent kept in range so the scale itself is finite.
    let e = Swift.min(Swift.max(-Int(m.exponent), -Int(T.greatestFiniteMagnitude.exponent)), Int(T.greatestFiniteMagnitude.exponent))
    let s = T(sign: .plus, exponent: T.Exponent(e), significand: 1)
    var sum: T = 0
    if p == 2 || p == 1 {
        let scale = SIMD8<T>(repeating: s)
        var acc = SIMD8<T>.zero
        var i = 0
        while i + 8 <= n {
            let v = (load8(x + i) * scale).magnitudeLanes
            acc += p == 2 ? v * v : v
            i += 8
        }
        if i < n {
            let v = (loadPartial(x + i, n - i, pad: 0) * scale).magnitudeLanes
            acc += p == 2 ? v * v : v
        }
        sum = acc.laneSum()
        return (p == 2 ? sum.squareRoot() : sum) / s
    }
    for i in 0..<n { sum += T.pow((x[i] * s).magnitude, p) }
    return T.pow(sum, 1 / p) / s
}

/// max|x| over `n` elements (0 for none); NaN if any element is NaN.
@inlinable
func maxMagnitude<T: LossScalar>(_ x: UnsafePointer<T>, _ n: Int) -> T {
    var acc = SIMD8<T>.zero
    var nan = SIMDMask<SIMD8<T.SIMDMaskScalar>>(repeating: false)
    var i = 0
    while i + 8 <= n {
        let v = load8(x + i).magnitudeLanes
        nan .|= v .!= v
        acc = acc.lanesMax(v)
        i += 8
    }
    if i < n {
        let v = loadPartial(x + i, n - i, pad: 0).magnitudeLanes
        nan .|= v .!= v
        acc = acc.lanesMax(v)
    }
    return any(nan) ? .nan : acc.laneMax()
}
