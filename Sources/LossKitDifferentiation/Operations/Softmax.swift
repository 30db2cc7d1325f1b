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
        let v = v.expanded(to: y.shape)
        return y.withUnsafeBufferPointer { py in v.withUnsafeBufferPointer { pv in
            var out = [T](repeating: 0, count: py.count)
            layout.forEachRow { base, stride in
                var dot: T = 0
                for i in 0..<layout.count { dot += pv[base + i * stride] * py[base + i * stride] }
                for i in 0..<layout.count { let j = base + i * stride; out[j] = py[j] * (pv[j] - dot) }
            }
            return Tensor(validShape: y.shape, out)
        } }
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
        let v = v.expanded(to: y.shape)
        return y.withUnsafeBufferPointer { py in v.withUnsafeBufferPointer { pv in
            var out = [T](repeating: 0, count: py.count)
            layout.forEachRow { base, stride in
                var total: T = 0
                for i in 0..<layout.count { total += pv[base + i * stride] }
                for i in 0..<layout.count { let j = base + i * stride; out[j] = pv[j] - T.exp(py[j]) * total }
            }
            return Tensor(validShape: y.shape, out)
        } }
    })
}

extension AxisLayout {
    /// Calls `body(base, stride)` for every row along the axis: its elements are at
    /// `base + i·stride`, i in 0..<count.
    @inlinable
    func forEachRow(_ body: (Int, Int) -> Void) {
        for o in 0..<outer { for d in 0..<inner { body(o * count * inner + d, inner) } }
    }
}

extension Tensor where Scalar: LossScalar {
    /// `self` with a 0-d cotangent (the shapeless zero, or a scalar seed) stretched to `shape`.
    @inlinable
    func expanded(to shape: [Int]) -> Tensor {
        if self.shape == shape { return self }
        precondition(rank == 0 || count == 1, "cotangent of shape \(self.shape) for a value of shape \(shape)")
        return Tensor(validShape: shape, Array(repeating: scalars.first ?? 0, count: shape.reduce(1, *)))
    }
}
#endif
