import RealModule
// The row driver: losses that reduce each row of a `[..., C]` input to one value (multi-margin,
// multilabel-margin, categorical-hinge, multilabel-soft-margin).

/// Calls `body` with the class weights (1 when absent).
@inlinable
func withWeights<T: LossScalar, R>(_ weight: Tensor<T>?, count: Int, _ body: (UnsafePointer<T>) -> R) -> R {
    let w = weight ?? Tensor(uncheckedShape: [count], scalars: [T](repeating: 1, count: count))
    return w.withUnsafeBufferPointer { body(base($0)) }
}

/// The driver of row losses: `input` is split into rows of `rowLength` contiguous elements;
/// `body(row, x, grad, scale)` returns the row's loss and, when `grad` is non-nil, writes every
/// element of the row's gradient already multiplied by `scale` (the reduction's factor times
/// `gradientFactor`). Rows are split over threads deterministically. `none` returns the row
/// losses with `valueShape`.
@inlinable
func evaluateRows<T: LossScalar>(
    _ input: Tensor<T>, rowLength: Int, valueShape: [Int],
    wrt: Set<LossArgument>, reduction: Reduction, gradientFactor: T = 1,
    _ body: (Int, UnsafePointer<T>, UnsafeMutablePointer<T>?, T) -> T
) -> LossResult<T> {
    let rows = rowLength == 0 ? 0 : input.count / rowLength
    let plan = ReductionPlan<T>(reduction, count: rows)
    let scale = plan.gradientScale * gradientFactor
    var values = [T](repeating: 0, count: reduction == .none ? rows : 0)
    var sum: T = 0
    let grads: [TensorBuffer<T>?] = makeBuffers(count: input.count, wanted: [wrt.contains(.input)]) { (g: [UnsafeMutablePointer<T>?]) in
        input.withUnsafeBufferPointer { xb in
            let x = base(xb)
            values.withUnsafeMutableBufferPointer { vb in
                // An empty array may still have a base address (the shared empty storage).
                let out = reduction == .none ? vb.baseAddress : nil
                sum = blockedSum(count: rows, blockSize: rowsPerBlock(rowLength: rowLength)) { range in
                    var total: T = 0
                    for row in range {
                        let v = body(row, x + row * rowLength, g[0].map { $0 + row * rowLength }, scale)
                        out?[row] = v
                        total += v
                    }
                    return total
                }
            }
        }
    }
    var result = LossResult<T>(
        value: reduction == .none ? Tensor(uncheckedShape: valueShape, scalars: values) : Tensor(plan.value(fromSum: sum)))
    if let g = grads[0] { result.gradients[.input] = Tensor(uncheckedShape: input.shape, scalars: g) }
    return result
}
