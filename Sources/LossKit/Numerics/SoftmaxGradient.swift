// The softmax gradient of one row of logits, vectorized: shared by the fused linear
// cross-entropy and the contrastive losses.

/// row[j] ← (exp((row[j] + bias[j] − shift) − logSum) − offset)·scale: the softmax gradient of a
/// row before the target's one-hot is subtracted. The logits are taken relative to the row
/// maximum `shift` before `logSum` = log Σ exp(z − shift) is subtracted, so that a probability
/// near 1 keeps its distance from 1 however large the logits are.
@inlinable
func softmaxGradientRow<T: LossScalar>(
    _ row: UnsafeMutablePointer<T>, _ bias: UnsafePointer<T>?, _ n: Int, shift: T, logSum: T, scale: T, offset: T
) {
    let m = SIMD8<T>(repeating: shift), l = SIMD8<T>(repeating: logSum)
    let s = SIMD8<T>(repeating: scale), o = SIMD8<T>(repeating: offset)
    var j = 0
    if let bias {
        while j + 8 <= n {
            store8(T.vexp((load8(row + j) + load8(bias + j) - m) - l) * s - o, row + j)
            j += 8
        }
        if j < n {
            let z = loadPartial(row + j, n - j, pad: 0) + loadPartial(bias + j, n - j, pad: 0)
            storePartial(T.vexp((z - m) - l) * s - o, row + j, n - j)
        }
    } else {
        while j + 8 <= n {
            store8(T.vexp((load8(row + j) - m) - l) * s - o, row + j)
            j += 8
        }
        if j < n { storePartial(T.vexp((loadPartial(row + j, n - j, pad: 0) - m) - l) * s - o, row + j, n - j) }
    }
}
