import RealModule
// Loads, stores and lane helpers for the 8-lane kernels. Everything here compiles to plain vector
// instructions (no per-lane library calls); see STYLE.md "Swift performance notes".

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

/// A mask with the first `n` lanes set.
@inlinable @inline(__always)
func firstLanes<T: LossScalar>(_ n: Int, of _: T.Type) -> SIMDMask<SIMD8<T.SIMDMaskScalar>> {
    SIMD8<T.SIMDMaskScalar>(0, 1, 2, 3, 4, 5, 6, 7) .< SIMD8<T.SIMDMaskScalar>(repeating: T.SIMDMaskScalar(n))
}

extension SIMD8 where Scalar: LossScalar {
    /// |x|, by clearing the sign (no per-lane call).
    @inlinable @inline(__always)
    var magnitudeLanes: SIMD8<Scalar> { replacing(with: -self, where: self .< 0) }

    /// max(x, 0) lane-wise; NaN stays NaN.
    @inlinable @inline(__always)
    var positivePart: SIMD8<Scalar> { replacing(with: 0, where: self .< 0) }

    /// max(x, y) lane-wise; NaN in `self` stays NaN.
    @inlinable @inline(__always)
    func lanesMax(_ y: SIMD8<Scalar>) -> SIMD8<Scalar> { replacing(with: y, where: self .< y) }

    /// min(x, y) lane-wise; NaN in `self` stays NaN.
    @inlinable @inline(__always)
    func lanesMin(_ y: SIMD8<Scalar>) -> SIMD8<Scalar> { replacing(with: y, where: self .> y) }

    /// The sum of the lanes, split by hand into a tree (the library's `sum()` may be a chain).
    @inlinable @inline(__always)
    func laneSum() -> Scalar {
        let a = lowHalf + highHalf
        let b = a.lowHalf + a.highHalf
        return b[0] + b[1]
    }

    /// The largest lane (NaN if any lane is NaN).
    @inlinable @inline(__always)
    func laneMax() -> Scalar {
        let a = lowHalf.replacing(with: highHalf, where: lowHalf .< highHalf)
        let b = a.lowHalf.replacing(with: a.highHalf, where: a.lowHalf .< a.highHalf)
        let m = b[0] < b[1] ? b[1] : b[0]
        return (self .!= self) == SIMDMask(repeating: false) ? m : .nan
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
}
