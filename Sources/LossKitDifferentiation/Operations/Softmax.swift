#if canImport(_Differentiation)
import _Differentiation
import RealModule

/// softmax(x)ⱼ = exp(xⱼ − m) / Σₖ exp(xₖ − m) along `axis` (m the maximum; nothing overflows),
/// differentiable. A row of all −inf gives NaN, as PyTorch.
///
/// Pullback of an upstream v: yⱼ·(vⱼ − Σₖ vₖyₖ). Stops (precondition) when `axis` is out of
/// range: the documented non-throwing form of ``LossKit/softmax(_:axis:)``.
///
/// ```swift
/// let p = softmax(logits, alongAxis: 1)   // rows of [N, C] sum to 1
/// ```
@inlinable
@differentiable(reverse)
public func softmax<T: LossScalar>(_ x: Tensor<T>, alongAxis axis: Int) -> Tensor<T> {
    do { return try LossKit.softmax(x, axis: axis) } catch { preconditionFailure("softmax(_:alongAxis:): \(error)") }
}

@inlinable
@derivative(of: softmax(_:alongAxis:))
func _vjpSoftmax<T: LossScalar>(_ x: Tensor<T>, alongAxis axis: Int) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    let y = softmax(x, alongAxis: axis), layout = AxisLayout(x.shape, axis: axis, operation: "softmax")
    return (y, { v in
        layout.mapRows(v.expanded(to: y.shape), y) { pv, py, out, n, stride in
            if stride == 1 {
                let dot = SIMD8(repeating: Lanewise.dot(count: n, pv, py))
                Lanewise.map(count: n, pv, py, into: out) { v, y in y * (v - dot) }
            } else {
                var dot: T = 0
                for i in 0..<n { dot += pv[i * stride] * py[i * stride] }
                for i in 0..<n { let j = i * stride; out[j] = py[j] * (pv[j] - dot) }
            }
        }
    })
}

/// log softmax(x)ⱼ = xⱼ − log Σₖ exp(xₖ) along `axis`, differentiable (never log of the softmax).
///
/// Pullback of v: vⱼ − softmax(x)ⱼ·Σₖ vₖ. Stops (precondition) when `axis` is out of range.
///
/// ```swift
/// let logp = logSoftmax(logits, alongAxis: -1)
/// ```
@inlinable
@differentiable(reverse)
public func logSoftmax<T: LossScalar>(_ x: Tensor<T>, alongAxis axis: Int) -> Tensor<T> {
    do { return try LossKit.logSoftmax(x, axis: axis) } catch { preconditionFailure("logSoftmax(_:alongAxis:): \(error)") }
}

@inlinable
@derivative(of: logSoftmax(_:alongAxis:))
func _vjpLogSoftmax<T: LossScalar>(_ x: Tensor<T>, alongAxis axis: Int) -> (value: Tensor<T>, pullback: (Tensor<T>) -> Tensor<T>) {
    let y = logSoftmax(x, alongAxis: axis), layout = AxisLayout(x.shape, axis: axis, operation: "logSoftmax")
    return (y, { v in
        layout.mapRows(v.expanded(to: y.shape), y) { pv, py, out, n, stride in
            if stride == 1 {
                let total = SIMD8(repeating: Lanewise.sum(count: n, pv))
                Lanewise.map(count: n, pv, py, into: out) { v, y in v - T.vexp(y) * total }
            } else {
                var total: T = 0
                for i in 0..<n { total += pv[i * stride] }
                for i in 0..<n { let j = i * stride; out[j] = pv[j] - T.exp(py[j]) * total }
            }
        }
    })
}

extension AxisLayout {
    /// A tensor of `a`'s shape (`b` has the same) whose rows along the axis `body(a, b, out, count,
    /// stride)` writes: a row's elements are `stride` apart from the pointers it is given. Rows
    /// are split over threads above the grain, each writing only its own.
    @inlinable
    func mapRows<T: LossScalar>(
        _ a: Tensor<T>, _ b: Tensor<T>,
        _ body: (UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>, Int, Int) -> Void
    ) -> Tensor<T> {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            Tensor(validShape: a.shape) { out in
                let (la, lb) = (pa.baseAddress!, pb.baseAddress!)
                Parallelism.forEachRange(outer * inner, workPerItem: count) { rows in
                    for r in rows {
                        let (o, d) = r.quotientAndRemainder(dividingBy: inner)
                        let start = o * count * inner + d
                        body(la + start, lb + start, out + start, count, inner)
                    }
                }
            }
        } }
    }
}

extension Tensor where Scalar: LossScalar {
    /// `self` with a 0-d cotangent (the shapeless zero, or a scalar seed) stretched to `shape`.
    @inlinable
    func expanded(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        precondition(rank == 0 || count == 1, "cotangent of shape \(self.shape) for a value of shape \(shape)")
        return Tensor(validShape: shape, repeating: scalars.first ?? 0)
    }
}
#endif
