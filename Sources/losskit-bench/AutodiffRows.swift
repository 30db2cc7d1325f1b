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
    // The tensor operations of a small model (scripts/benchmark_operations.py times the same in
    // PyTorch): value and input gradient of sum(w * op(x)).
    add("op conv2d 8x16x28x28 k32x16x3x3 p1 autodiff") {
        let x = tensor([8, 16, 28, 28], normal(8 * 16 * 28 * 28)), k = tensor([32, 16, 3, 3], normal(32 * 16 * 9, scale: 0.1))
        let w = tensor([8, 32, 28, 28], normal(8 * 32 * 28 * 28))
        return { autodiffResult(at: x) { x in (conv2d(x, filter: k, padding: (1, 1)) * w).sum() } }
    }
    add("op maxPool2d 8x32x28x28 k2 autodiff") {
        let x = tensor([8, 32, 28, 28], normal(8 * 32 * 28 * 28)), w = tensor([8, 32, 14, 14], normal(8 * 32 * 14 * 14))
        return { autodiffResult(at: x) { x in (maxPool2d(x, kernel: (2, 2)) * w).sum() } }
    }
    add("op elementwise 4M autodiff") {
        let m = 4 << 20
        let x = tensor([m], normal(m)), w = tensor([m], normal(m))
        return { autodiffResult(at: x) { x in ((sigmoid(x) * x + x) * w).sum() } }
    }
    add("op bias-relu 4096x1000 autodiff") {
        let x = tensor([4096, 1000], normal(4096 * 1000)), b = tensor([1000], normal(1000))
        let w = tensor([4096, 1000], normal(4096 * 1000))
        return { autodiffResult(at: x) { x in (relu(x + b) * w).sum() } }
    }
    add("op softmax 4096x1000 autodiff") {
        let x = tensor([4096, 1000], normal(4096 * 1000)), w = tensor([4096, 1000], normal(4096 * 1000))
        return { autodiffResult(at: x) { x in (softmax(x, alongAxis: 1) * w).sum() } }
    }
}
#else
func addAutodiffCases(_ add: (String, () -> () throws -> LossResult<Float>) -> Void) {}
#endif
