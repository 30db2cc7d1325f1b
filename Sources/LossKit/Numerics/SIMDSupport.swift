import RealModule
// Loads, stores and lane helpers for the 8-lane kernels: the one set every family uses. Everything
// here compiles to plain vector instructions (no per-lane library calls or branches); comparisons
// go through the concrete vector compares below. See STYLE.md "Swift performance notes".

/// Loads 8 consecutive scalars starting at `p` (no alignment required).
@inlinable @inline(__always)
func load8<T: LossScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
}

/// Loads `n` < 8 scalars from `p`; the other lanes are `pad`.
@inlinable @inline(__always)
func loadPartial<T: LossScalar>(_ p: UnsafePointer<T>, _ n: Int, pad: T) -> SIMD8<T> {
    var v = SIMD8<T>(repeating: pad)
    for i in 0..<n { v[i] = p[i] }
    return v
}

/// Stores 8 lanes at `p`.
@inlinable @inline(__always)
func store8<T: LossScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self)
}

/// Stores the first `n` lanes at `p`.
@inlinable @inline(__always)
func storePartial<T: LossScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ n: Int) {
    for i in 0..<n { p[i] = v[i] }
}

/// The lane indices 0…7 as scalars (exact in both precisions), for lane masks built by a compare.
@inlinable @inline(__always)
func laneIndices<T: LossScalar>(_: T.Type) -> SIMD8<T> { SIMD8<T>(0, 1, 2, 3, 4, 5, 6, 7) }

/// A mask with the first `n` lanes set (none for n ≤ 0, all for n ≥ 8).
@inlinable @inline(__always)
func firstLanes<T: LossScalar>(_ n: Int, of _: T.Type) -> SIMDMask<SIMD8<T.SIMDMaskScalar>> {
    laneIndices(T.self) .< T(n)
}

/// A mask with only lane `k` set (none unless 0 ≤ k < 8).
@inlinable @inline(__always)
func lane<T: LossScalar>(_ k: Int, of _: T.Type) -> SIMDMask<SIMD8<T.SIMDMaskScalar>> {
    laneIndices(T.self) .== T(k)
}

/// v with the lanes in `mask` set to 0 (a product 0·inf whose limit is 0, an element weighted out).
@inlinable @inline(__always)
func zeroWhere<T: LossScalar>(_ v: SIMD8<T>, _ mask: SIMDMask<SIMD8<T.SIMDMaskScalar>>) -> SIMD8<T> {
    v.replacing(with: 0, where: mask)
}

extension SIMD8 where Scalar: LossScalar {
    /// The lanes holding NaN.
    @inlinable @inline(__always)
    var nanLanes: ComparisonMask { self .!= self }

    /// |x| lane-wise, by clearing the sign bit (|−0| = +0; NaN stays NaN).
    @inlinable @inline(__always)
    var magnitudeLanes: SIMD8<Scalar> {
        if Scalar.self == Float.self {
            let bits = unsafeBitCast(self, to: SIMD8<UInt32>.self) & 0x7fff_ffff
            return unsafeBitCast(bits, to: SIMD8<Scalar>.self)
        }
        if Scalar.self == Double.self {
            let bits = unsafeBitCast(self, to: SIMD8<UInt64>.self) & 0x7fff_ffff_ffff_ffff
            return unsafeBitCast(bits, to: SIMD8<Scalar>.self)
        }
        return replacing(with: -self, where: self .< 0)
    }

    /// sign(x) lane-wise: ±1, and 0 for ±0 and NaN (PyTorch's `sign`, the sub-gradient of |x| it uses).
    @inlinable @inline(__always)
    var signLanes: SIMD8<Scalar> {
        SIMD8.zero.replacing(with: 1, where: self .> 0).replacing(with: -1, where: self .< 0)
    }

    /// max(x, 0) lane-wise; NaN stays NaN.
    @inlinable @inline(__always)
    var positivePart: SIMD8<Scalar> { replacing(with: 0, where: self .< 0) }

    /// max(x, y) lane-wise; NaN in `self` stays NaN, NaN in `y` is skipped (one `max` instruction).
    @inlinable @inline(__always)
    func lanesMax(_ y: SIMD8<Scalar>) -> SIMD8<Scalar> { replacing(with: y, where: self .< y) }

    /// max(x, y) lane-wise with a scalar floor; NaN stays NaN.
    @inlinable @inline(__always)
    func lanesMax(_ y: Scalar) -> SIMD8<Scalar> { replacing(with: y, where: self .< y) }

    /// min(x, y) lane-wise; NaN in `self` stays NaN, NaN in `y` is skipped.
    @inlinable @inline(__always)
    func lanesMin(_ y: SIMD8<Scalar>) -> SIMD8<Scalar> { replacing(with: y, where: self .> y) }

    /// The first `n` lanes, the others 0.
    @inlinable @inline(__always)
    func keepingFirstLanes(_ n: Int) -> SIMD8<Scalar> { replacing(with: 0, where: laneIndices(Scalar.self) .>= Scalar(n)) }

    /// The sum of the lanes, split by hand into a tree (the library's `sum()` may be a chain).
    @inlinable @inline(__always)
    func laneSum() -> Scalar {
        let a = lowHalf + highHalf
        let b = a.lowHalf + a.highHalf
        return b[0] + b[1]
    }

    /// The largest lane (NaN if any lane is NaN), by two vector max steps and one scalar compare.
    @inlinable @inline(__always)
    func laneMax() -> Scalar {
        let a = lanesMax(SIMD8(lowHalf: highHalf, highHalf: lowHalf))
        let b = a.lanesMax(SIMD8(a[2], a[3], a[0], a[1], a[6], a[7], a[4], a[5]))
        let m = b[0] < b[1] ? b[1] : b[0]
        return any(nanLanes) ? .nan : m
    }
}

// MARK: - Vector comparisons

// The standard library's lane-wise comparisons on a generic `SIMD8<T>` compile to a loop over the
// lanes even after specialization (only its concrete `Float`/`Double` overloads are single
// vector compares). These overloads are more specific than the generic ones, so every kernel in
// this module that writes `a .< b` on `SIMD8<T: LossScalar>` gets the vector compare.

extension SIMD8 where Scalar: LossScalar {
    @usableFromInline typealias ComparisonMask = SIMDMask<SIMD8<Scalar.SIMDMaskScalar>>

    @inlinable @inline(__always)
    static func compare(
        _ a: Self, _ b: Self,
        _ f: (SIMD8<Float>, SIMD8<Float>) -> SIMDMask<SIMD8<Int32>>,
        _ d: (SIMD8<Double>, SIMD8<Double>) -> SIMDMask<SIMD8<Int64>>,
        _ generic: (Scalar, Scalar) -> Bool
    ) -> ComparisonMask {
        if Scalar.self == Float.self {
            return unsafeBitCast(f(unsafeBitCast(a, to: SIMD8<Float>.self), unsafeBitCast(b, to: SIMD8<Float>.self)), to: ComparisonMask.self)
        }
        if Scalar.self == Double.self {
            return unsafeBitCast(d(unsafeBitCast(a, to: SIMD8<Double>.self), unsafeBitCast(b, to: SIMD8<Double>.self)), to: ComparisonMask.self)
        }
        var m = ComparisonMask(repeating: false)
        for i in 0..<8 { m[i] = generic(a[i], b[i]) }
        return m
    }

    @inlinable @inline(__always)
    static func .< (a: Self, b: Self) -> ComparisonMask { compare(a, b, { $0 .< $1 }, { $0 .< $1 }, <) }
    @inlinable @inline(__always)
    static func .<= (a: Self, b: Self) -> ComparisonMask { compare(a, b, { $0 .<= $1 }, { $0 .<= $1 }, <=) }
    @inlinable @inline(__always)
    static func .> (a: Self, b: Self) -> ComparisonMask { compare(a, b, { $0 .> $1 }, { $0 .> $1 }, >) }
    @inlinable @inline(__always)
    static func .>= (a: Self, b: Self) -> ComparisonMask { compare(a, b, { $0 .>= $1 }, { $0 .>= $1 }, >=) }
    @inlinable @inline(__always)
    static func .== (a: Self, b: Self) -> ComparisonMask { compare(a, b, { $0 .== $1 }, { $0 .== $1 }, ==) }
    @inlinable @inline(__always)
    static func .!= (a: Self, b: Self) -> ComparisonMask { compare(a, b, { $0 .!= $1 }, { $0 .!= $1 }, !=) }

    @inlinable @inline(__always)
    static func .< (a: Self, b: Scalar) -> ComparisonMask { a .< Self(repeating: b) }
    @inlinable @inline(__always)
    static func .<= (a: Self, b: Scalar) -> ComparisonMask { a .<= Self(repeating: b) }
    @inlinable @inline(__always)
    static func .> (a: Self, b: Scalar) -> ComparisonMask { a .> Self(repeating: b) }
    @inlinable @inline(__always)
    static func .>= (a: Self, b: Scalar) -> ComparisonMask { a .>= Self(repeating: b) }
    @inlinable @inline(__always)
    static func .== (a: Self, b: Scalar) -> ComparisonMask { a .== Self(repeating: b) }
    @inlinable @inline(__always)
    static func .!= (a: Self, b: Scalar) -> ComparisonMask { a .!= Self(repeating: b) }

    // Integer literals (`x .< 0`, `t .== 1`): for an integer-literal operand the type checker
    // prefers the standard library's generic `SIMD.< (Self, Scalar)` (the per-lane loop) to the
    // `Scalar` overloads above; an `Int` parameter matches the literal's default type exactly.
    @inlinable @inline(__always)
    static func .< (a: Self, b: Int) -> ComparisonMask { a .< Self(repeating: Scalar(b)) }
    @inlinable @inline(__always)
    static func .<= (a: Self, b: Int) -> ComparisonMask { a .<= Self(repeating: Scalar(b)) }
    @inlinable @inline(__always)
    static func .> (a: Self, b: Int) -> ComparisonMask { a .> Self(repeating: Scalar(b)) }
    @inlinable @inline(__always)
    static func .>= (a: Self, b: Int) -> ComparisonMask { a .>= Self(repeating: Scalar(b)) }
    @inlinable @inline(__always)
    static func .== (a: Self, b: Int) -> ComparisonMask { a .== Self(repeating: Scalar(b)) }
    @inlinable @inline(__always)
    static func .!= (a: Self, b: Int) -> ComparisonMask { a .!= Self(repeating: Scalar(b)) }
}

/// Loads `lanes` ≤ 8 scalars (the rest `pad`).
@inlinable @inline(__always)
func loadLanes<T: LossScalar>(_ p: UnsafePointer<T>, _ lanes: Int, pad: T = 0) -> SIMD8<T> {
    lanes == 8 ? load8(p) : loadPartial(p, lanes, pad: pad)
}

/// Stores the first `lanes` ≤ 8 lanes of `v`.
@inlinable @inline(__always)
func storeLanes<T: LossScalar>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>, _ lanes: Int) {
    if lanes == 8 { store8(v, p) } else { storePartial(v, p, lanes) }
}
