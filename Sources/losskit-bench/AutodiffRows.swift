// The rows that time the same losses through Swift's automatic differentiation: the value and
// the input's gradient from valueWithPullback over the Losses form (cotangent 1), to measure
// what the differentiable path costs over the direct call of the same case.
#if canImport(_Differentiation)
import _Differentiation
import LossKitDifferentiation

/// `loss` differentiated with respect to `x` by the compiler, as a LossResult.
@inline(never)
func autodiffResult(at x: Tensor<Float>, _ loss: @differentiable(reverse) (Tensor<Float>) -> Tensor<Float>) -> LossResult<Float> {
    let (value, pullback) = valueWithPullback(at: x, of: loss)
    return LossResult(value: value, gradients: [.input: pullback(Tensor(1))])
}

func addAutodiffCases(_ add: (String, () -> () throws -> LossResult<Float>) -> Void) {
    add("cross-entropy 4096x1000 autodiff") {
        let (n, c) = (4096, 1000)
        let x = tensor([n, c], normal(n * c))
        let y = Tensor((0..<n).map { _ in Int32.random(in: 0..<Int32(c), using: &rng) })
        return { autodiffResult(at: x) { x in Losses.crossEntropy(input: x, target: y) } }
    }
    add("bce-with-logits 4M autodiff") {
        let m = 4 << 20
        let x = tensor([m], normal(m)), t = tensor([m], uniform(m).map { $0 < 0.5 ? 0 : 1 })
        return { autodiffResult(at: x) { x in Losses.binaryCrossEntropyWithLogits(input: x, target: t) } }
    }
}
#else
func addAutodiffCases(_ add: (String, () -> () throws -> LossResult<Float>) -> Void) {}
#endif
