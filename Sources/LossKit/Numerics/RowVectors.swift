import RealModule
// Vectorized operations on contiguous rows of embeddings (dot product, norm, y += a·x, scaling),
// shared by the losses that work on feature vectors.

/// Σ a[j]·b[j] over a contiguous row.
@inlinable
func dotProduct<T: LossScalar>(_ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ n: Int) -> T {
    var s0 = SIMD8<T>.zero, s1 = s0
    var j = 0
    while j + 16 <= n {
        s0 = multiplyAdd(load8(a + j), load8(b + j), s0)
        s1 = multiplyAdd(load8(a + j + 8), load8(b + j + 8), s1)
        j += 16
    }
    if j + 8 <= n { s0 = multiplyAdd(load8(a + j), load8(b + j), s0); j += 8 }
    if j < n { s1 = multiplyAdd(loadPartial(a + j, n - j, pad: 0), loadPartial(b + j, n - j, pad: 0), s1) }
    return (s0 + s1).laneSum()
}

/// y[j] += a·x[j].
@inlinable
func addScaled<T: LossScalar>(_ x: UnsafePointer<T>, _ a: T, to y: UnsafeMutablePointer<T>, _ n: Int) {
    let av = SIMD8<T>(repeating: a)
    var j = 0
    while j + 8 <= n { store8(multiplyAdd(av, load8(x + j), load8(y + j)), y + j); j += 8 }
    while j < n { y[j] += a * x[j]; j += 1 }
}

/// out[j] = a·x[j] (`out` may be `x`).
@inlinable
func scaleRow<T: LossScalar>(_ x: UnsafePointer<T>, by a: T, into out: UnsafeMutablePointer<T>, _ n: Int) {
    let av = SIMD8<T>(repeating: a)
    var j = 0
    while j + 8 <= n { store8(load8(x + j) * av, out + j); j += 8 }
    while j < n { out[j] = x[j] * a; j += 1 }
}
