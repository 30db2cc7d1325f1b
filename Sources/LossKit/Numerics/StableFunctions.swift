import RealModule

// The numerically stable building blocks every family uses, in scalar and 8-lane forms.
// Each is written so that it stays finite wherever its mathematical value is finite.

/// softplus(x) = log(1 + eˣ), computed as max(x, 0) + log1p(e^(−|x|)).
///
/// Finite for every finite x, = x for large x, = eˣ (not 0) for very negative x;
/// softplus(+inf) = +inf, softplus(−inf) = 0. Derivative: σ(x).
@inlinable @inline(__always)
public func softplus<T: LossScalar>(_ x: T) -> T {
    x > 0 ? x + T.log(onePlus: T.exp(-x)) : T.log(onePlus: T.exp(x))
}

/// log σ(x) = −softplus(−x). Derivative: σ(−x) = 1 − σ(x).
@inlinable @inline(__always)
public func logSigmoid<T: LossScalar>(_ x: T) -> T { -softplus(-x) }

/// The logistic function σ(x) = 1 / (1 + e^(−x)), without overflow for either sign.
@inlinable @inline(__always)
public func sigmoid<T: LossScalar>(_ x: T) -> T {
    if x >= 0 { return 1 / (1 + T.exp(-x)) }
    let e = T.exp(x)
    return e / (1 + e)
}

/// log(x) with the reference libraries' clamp of −100 (PyTorch's `binary_cross_entropy`).
@inlinable @inline(__always)
func clampedLog<T: LossScalar>(_ x: T) -> T { Swift.max(T.log(x), -100) }

// MARK: - 8-lane forms

/// log(1 + x) for lanes x > −1 (−inf at x = −1, NaN below), accurate for tiny x:
/// log(u)·x/(u − 1) with u = 1 + x (the classic correction for the rounding of u), and x itself
/// where u rounds to 1. Valid on the whole domain: below x = −½, u = 1 + x is exact and the
/// correction is 1.
@inlinable @inline(__always)
func vlog1p<T: LossScalar>(_ x: SIMD8<T>) -> SIMD8<T> {
    let u = 1 + x
    let d = u - 1
    let r = T.vlog(u) * (x / d)
    // u == 1: log1p(x) = x to working precision; u == inf: log(u) is already right.
    return r.replacing(with: x, where: d .== 0).replacing(with: u, where: u .== .infinity)
}

/// The shared pieces of the logistic function of x, from one exponential, one logarithm and one
/// division: e = e^(−|x|), l = log(1 + e) (= softplus(−|x|)), r = 1/(1 + e) = σ(|x|),
/// s = e·r = σ(−|x|). Then softplus(±x) = relu(±x) + l, and σ(x), σ(−x) are r and s in some
/// order, each accurate to a few ulp relative to itself.
@usableFromInline
struct LogisticLanes<T: LossScalar> {
    @usableFromInline var e: SIMD8<T>
    @usableFromInline var l: SIMD8<T>
    @usableFromInline var r: SIMD8<T>
    @usableFromInline var s: SIMD8<T>
    /// The lanes with x < 0.
    @usableFromInline var negative: SIMD8<T>.ComparisonMask

    @inlinable @inline(__always)
    init(_ x: SIMD8<T>) {
        negative = x .< 0
        e = T.vexp(-x.magnitudeLanes)
        let u = 1 + e
        r = 1 / u
        s = e * r
        // log1p(e) = log(u) + (e − (u − 1))/u: the first-order correction for the rounding of
        // u = 1 + e (e − (u − 1) is exact), sharing the one division with r. It is e where u = 1.
        l = T.vlog(u) + (e - (u - 1)) * r
    }

    /// σ(x).
    @inlinable @inline(__always) var sigmoid: SIMD8<T> { r.replacing(with: s, where: negative) }
    /// σ(−x) = 1 − σ(x).
    @inlinable @inline(__always) var sigmoidOfNegation: SIMD8<T> { s.replacing(with: r, where: negative) }
}

/// softplus for 8 lanes (see ``softplus(_:)``): relu(x) + log(1 + e^(−|x|)).
@inlinable @inline(__always)
func vsoftplus<T: LossScalar>(_ x: SIMD8<T>) -> SIMD8<T> {
    // The NaN lanes stay NaN through positivePart and exp.
    x.positivePart + LogisticLanes(x).l
}

/// σ(x) for 8 lanes, from e^(−|x|) so that neither sign overflows.
@inlinable @inline(__always)
func vsigmoid<T: LossScalar>(_ x: SIMD8<T>) -> SIMD8<T> { LogisticLanes(x).sigmoid }

/// softplus(x) and σ(x) together, sharing the one exponential and the one division.
@inlinable @inline(__always)
func vsoftplusAndSigmoid<T: LossScalar>(_ x: SIMD8<T>) -> (softplus: SIMD8<T>, sigmoid: SIMD8<T>) {
    let g = LogisticLanes(x)
    return (x.positivePart + g.l, g.sigmoid)
}

/// tanh of 8 lanes from one exponential, accurate to a few ulp relative to itself for every e:
/// E = e^(−2|e|), m = 1 − E (by Kahan's expm1, (E − 1)·x / log E with x = −2|e|, for |e| < 1,
/// so tiny |e| loses nothing to cancellation), tanh|e| = m / (2 − m), and the sign of e.
@usableFromInline
struct HyperbolicLanes<T: LossScalar> {
    /// |e|.
    @usableFromInline var magnitude: SIMD8<T>
    /// The lanes with |e| < 1.
    @usableFromInline var small: SIMD8<T>.ComparisonMask
    /// e^(−2|e|) ∈ [0, 1].
    @usableFromInline var E: SIMD8<T>
    /// tanh |e|.
    @usableFromInline var tanhMagnitude: SIMD8<T>
    /// tanh e (NaN lanes stay NaN).
    @usableFromInline var tanh: SIMD8<T>

    @inlinable @inline(__always)
    init(_ e: SIMD8<T>) {
        let one = SIMD8<T>(repeating: 1)
        magnitude = e.magnitudeLanes
        small = magnitude .< one
        let x = -2 * magnitude
        E = T.vexp(x)
        let kahan = ((1 - E) * (x / T.vlog(E))).replacing(with: -x, where: E .== one)
        let m = (1 - E).replacing(with: kahan, where: small)
        tanhMagnitude = m / (2 - m)
        tanh = tanhMagnitude.replacing(with: -tanhMagnitude, where: e .< 0).replacing(with: e, where: e.nanLanes)
    }
}
