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

/// log(1 + x) for x ≥ 0 lanes, accurate for tiny x: log(u)·x/(u − 1) with u = 1 + x
/// (the classic correction for the rounding of u), and x itself where u rounds to 1.
@inlinable @inline(__always)
func vlog1p<T: LossScalar>(_ x: SIMD8<T>) -> SIMD8<T> {
    let u = 1 + x
    let d = u - 1
    let r = T.vlog(u) * (x / d)
    // u == 1: log1p(x) = x to working precision; u == inf: log(u) is already right.
    return r.replacing(with: x, where: d .== 0).replacing(with: u, where: u .== .infinity)
}

/// softplus for 8 lanes (see ``softplus(_:)``).
@inlinable @inline(__always)
func vsoftplus<T: LossScalar>(_ x: SIMD8<T>) -> SIMD8<T> {
    // The NaN lanes stay NaN through positivePart and exp.
    x.positivePart + vlog1p(T.vexp(-x.magnitudeLanes))
}

/// σ(x) for 8 lanes, from e^(−|x|) so that neither sign overflows.
@inlinable @inline(__always)
func vsigmoid<T: LossScalar>(_ x: SIMD8<T>) -> SIMD8<T> {
    let e = T.vexp(-x.magnitudeLanes)
    let r = 1 / (1 + e)
    return r.replacing(with: e * r, where: x .< 0)
}

/// softplus(x) and σ(x) together, sharing the one exponential.
@inlinable @inline(__always)
func vsoftplusAndSigmoid<T: LossScalar>(_ x: SIMD8<T>) -> (softplus: SIMD8<T>, sigmoid: SIMD8<T>) {
    let e = T.vexp(-x.magnitudeLanes)
    let r = 1 / (1 + e)
    return (x.positivePart + vlog1p(e), r.replacing(with: e * r, where: x .< 0))
}
