#if canImport(_Differentiation)
import _Differentiation
import Foundation
import XCTest
import LossKitDifferentiation

/// Every tensor operation's registered derivative against central finite differences in Double:
/// the gradient of L(x) = Σ w ⊙ op(x) for a fixed random w, so every output element matters.
final class OperationTests: XCTestCase {
    /// Checks op's pullback at `x` against finite differences of Σ w ⊙ op(x).
    func check(_ x: Tensor<Double>, seed: UInt64, _ what: String, file: StaticString = #filePath, line: UInt = #line,
               _ op: @escaping @differentiable(reverse) (Tensor<Double>) -> Tensor<Double>) {
        var rng = Seeded(state: seed)
        let w = rng.tensor(op(x).shape)
        let g = gradient(at: x) { x in (op(x) * w).sum() }
        let numeric = numericalGradient(x) { x in (op(x) * w).sum().scalar! }
        assertMatches(g, numeric, what, file: file, line: line)
    }

    /// The same for an operation of two tensors, with respect to both.
    func check2(_ x: Tensor<Double>, _ y: Tensor<Double>, seed: UInt64, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                _ op: @escaping @differentiable(reverse) (Tensor<Double>, Tensor<Double>) -> Tensor<Double>) {
        var rng = Seeded(state: seed)
        let w = rng.tensor(op(x, y).shape)
        let (_, pullback) = valueWithPullback(at: x, y) { x, y in (op(x, y) * w).sum() }
        let (gx, gy) = pullback(Tensor(1))
        assertMatches(gx, numericalGradient(x) { x in (op(x, y) * w).sum().scalar! }, "\(what) wrt first", file: file, line: line)
        assertMatches(gy, numericalGradient(y) { y in (op(x, y) * w).sum().scalar! }, "\(what) wrt second", file: file, line: line)
    }

    func testSoftmaxAndLogSoftmaxAlongEveryAxis() {
        var rng = Seeded(state: 10)
        let x = rng.tensor([2, 3, 4]).scaledForTest(3)
        for axis in [0, 1, 2, -1] {
            check(x, seed: 11, "softmax axis \(axis)") { softmax($0, alongAxis: axis) }
            check(x, seed: 12, "logSoftmax axis \(axis)") { logSoftmax($0, alongAxis: axis) }
        }
        // The rows sum to one, and logSoftmax is the log of softmax.
        let p = softmax(x, alongAxis: 1).sum(alongAxes: [1])
        for s in p.scalars { XCTAssertEqual(s, 1, accuracy: 1e-12) }
        for (a, b) in zip(logSoftmax(x, alongAxis: -1).scalars, softmax(x, alongAxis: -1).scalars) { XCTAssertEqual(a, Double.log(b), accuracy: 1e-12) }
    }

    func testSumAndMeanAlongAxes() {
        var rng = Seeded(state: 20)
        let x = rng.tensor([2, 3, 4])
        for (axes, keep) in [([0], false), ([1], true), ([0, 2], false), ([-1], true), ([0, 1, 2], false)] {
            check(x, seed: 21, "sum \(axes) keep \(keep)") { $0.sum(alongAxes: axes, keepingDimensions: keep) }
            check(x, seed: 22, "mean \(axes) keep \(keep)") { $0.mean(alongAxes: axes, keepingDimensions: keep) }
        }
        XCTAssertEqual(x.sum(alongAxes: [1]).shape, [2, 4])
        XCTAssertEqual(x.sum(alongAxes: [1], keepingDimensions: true).shape, [2, 1, 4])
        var middle: Double = 0  // the mean over axes 0 and 2 at index 1 of axis 1
        for n in 0..<2 { for d in 0..<4 { middle += x.scalars[n * 12 + 4 + d] } }
        XCTAssertEqual(x.mean(alongAxes: [0, 2]).scalars[1], middle / 8, accuracy: 1e-15)
    }

    func testTransposeSliceGatherConcatenate() {
        var rng = Seeded(state: 30)
        let m = rng.tensor([3, 5]), t = rng.tensor([2, 3, 4])
        check(m, seed: 31, "transposed") { $0.transposed() }
        check(t, seed: 32, "permutation") { $0.transposed(permutation: [2, 0, 1]) }
        XCTAssertEqual(m.transposed().scalars[1], m.scalars[5])
        check(t, seed: 33, "slice axis 1") { $0.slice(alongAxis: 1, 1..<3) }
        check(t, seed: 34, "slice axis -1") { $0.slice(alongAxis: -1, 0..<1) }
        XCTAssertEqual(t.slice(alongAxis: 1, 1..<3).shape, [2, 2, 4])
        check(m, seed: 35, "gather rows with repeats") { $0.gathering(atIndices: [2, 0, 2, 1], alongAxis: 0) }
        check(t, seed: 36, "gather axis 2") { $0.gathering(atIndices: [3, 3, 0], alongAxis: 2) }
        XCTAssertEqual(m.gathering(atIndices: [2]).scalars, Array(m.scalars[10..<15]))
        let u = rng.tensor([2, 1, 4])
        check2(t, u, seed: 37, "concatenate axis 1") { $0.concatenated(with: $1, alongAxis: 1) }
        XCTAssertEqual(t.concatenated(with: u, alongAxis: 1).shape, [2, 4, 4])
    }

    func testConvolutionWithStridePaddingAndDilation() {
        var rng = Seeded(state: 40)
        let x = rng.tensor([2, 3, 7, 6]), k = rng.tensor([4, 3, 3, 2])
        for (stride, padding, dilation) in [((1, 1), (0, 0), (1, 1)), ((2, 1), (1, 2), (1, 1)), ((1, 2), (1, 0), (2, 1))] {
            check2(x, k, seed: 41, "conv2d s\(stride) p\(padding) d\(dilation)") {
                conv2d($0, filter: $1, stride: stride, padding: padding, dilation: dilation)
            }
        }
        XCTAssertEqual(conv2d(x, filter: k, stride: (2, 1), padding: (1, 2)).shape, [2, 4, 4, 9])
    }

    func testPooling() {
        var rng = Seeded(state: 50)
        let x = rng.tensor([2, 2, 7, 6])  // distinct values: no ties at the maxima
        check(x, seed: 51, "maxPool 2x2") { maxPool2d($0, kernel: (2, 2)) }
        check(x, seed: 52, "maxPool 3x2 stride 2,1 padding 1") { maxPool2d($0, kernel: (3, 2), stride: (2, 1), padding: (1, 1)) }
        check(x, seed: 53, "avgPool 2x2") { avgPool2d($0, kernel: (2, 2)) }
        check(x, seed: 54, "avgPool 3x3 stride 2 padding 1") { avgPool2d($0, kernel: (3, 3), stride: (2, 2), padding: (1, 1)) }
        XCTAssertEqual(maxPool2d(x, kernel: (2, 2)).shape, [2, 2, 3, 3])
    }

    func testOperationsAreBitwiseIndependentOfTheThreadCount() {
        // Above the grain each image (pooling: each plane) runs on its own thread, elementwise
        // operations and sums split into fixed blocks, softmax rows over threads.
        var rng = Seeded(state: 80)
        let x = rng.tensor([4, 8, 28, 28]), k = rng.tensor([8, 8, 3, 3]), w = rng.tensor([4, 8, 13, 13])
        let z = rng.tensor([64, 1024]), bias = rng.tensor([1024]), v = rng.tensor([64, 1024])
        func run() -> [[Double]] {
            let (value, pullback) = valueWithPullback(at: x, k, z) { x, k, z in
                let y = tanh(x) * x + sigmoid(x) / Tensor(2.0)
                let conv = (avgPool2d(maxPool2d(conv2d(y, filter: k), kernel: (2, 2)), kernel: (1, 1)) * w).sum()
                let rows = z * z + bias  // 65536 elements: four blocks of the grain
                let soft = (softmax(rows, alongAxis: 1) * v).sum() + (logSoftmax(rows, alongAxis: 1) * v).mean()
                return conv + soft + (relu(rows) * leakyRelu(rows) + exp(tanh(rows))).sum(alongAxes: [0]).sum()
            }
            let (gx, gk, gz) = pullback(Tensor(1))
            return [value.scalars, gx.scalars, gk.scalars, gz.scalars]
        }
        let saved = Parallelism.maximumThreads
        defer { Parallelism.maximumThreads = saved }
        Parallelism.maximumThreads = 1
        let one = run()
        Parallelism.maximumThreads = 2
        let two = run()
        for (a, b) in zip(one, two) { XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern)) }
    }

    func testActivationsAtExtremeInputs() {
        // References: the platform's scalar tanh, exp and log in Double.
        let x = Tensor([1e-300, -1e-30, 1e-8, 0.5, -3, 20, -20, 1000, -1000, .infinity, -.infinity] as [Double])
        let t = tanh(x).scalars, s = sigmoid(x).scalars
        for (i, value) in x.scalars.enumerated() {
            XCTAssertEqual(t[i], Foundation.tanh(value), accuracy: 4 * Foundation.tanh(value).magnitude.ulp, "tanh(\(value))")
            let sigma = value >= 0 ? 1 / (1 + Foundation.exp(-value)) : Foundation.exp(value) / (1 + Foundation.exp(value))
            XCTAssertEqual(s[i], sigma, accuracy: 4 * sigma.ulp, "sigmoid(\(value))")
        }
        XCTAssertEqual(exp(Tensor([1000, -1000] as [Double])).scalars, [.infinity, 0])
        XCTAssertEqual(log(Tensor([0, 1] as [Double])).scalars, [-.infinity, 0])
        XCTAssertTrue(relu(Tensor([Double.nan])).scalars[0].isNaN, "relu keeps NaN, as PyTorch")
        XCTAssertTrue(tanh(Tensor([Double.nan])).scalars[0].isNaN)
        // Their gradients stay finite at the extremes: 1 − tanh² and σ(1 − σ) are 0, not NaN.
        let g = gradient(at: Tensor([1000, -1000] as [Double])) { (tanh($0) + sigmoid($0)).sum() }
        XCTAssertEqual(g.scalars, [0, 0])
    }

    func testActivationsArithmeticAndReshape() {
        var rng = Seeded(state: 90)
        let x = rng.tensor([3, 4]), positive = rng.tensor([3, 4]).scaledForTest(0.5) + Tensor(1.0)
        check(x, seed: 91, "relu") { relu($0) }
        check(x, seed: 92, "leakyRelu") { leakyRelu($0, slope: 0.2) }
        check(x, seed: 93, "tanh") { tanh($0) }
        check(x, seed: 94, "sigmoid") { sigmoid($0) }
        check(x, seed: 95, "exp") { exp($0) }
        check(positive, seed: 96, "log") { log($0) }
        check(x, seed: 97, "negation") { -$0 }
        check(x, seed: 98, "reshaped") { $0.reshaped(to: [2, 6]) }
        check(x, seed: 99, "sum") { $0.sum() }
        check(x, seed: 100, "mean") { $0.mean() }
        let bias = rng.tensor([4]), column = rng.tensor([3, 1])
        for (name, y) in [("same shape", positive), ("row bias", bias + Tensor(2.0)), ("column", column + Tensor(2.0)), ("scalar", Tensor(1.5))] {
            check2(x, y, seed: 101, "+ \(name)") { $0 + $1 }
            check2(x, y, seed: 102, "- \(name)") { $0 - $1 }
            check2(x, y, seed: 103, "* \(name)") { $0 * $1 }
            check2(x, y, seed: 104, "/ \(name)") { $0 / $1 }
        }
    }

    func testMatmul() {
        var rng = Seeded(state: 60)
        check2(rng.tensor([3, 4]), rng.tensor([4, 5]), seed: 61, "matmul") { $0.matmul($1) }
    }

    func testASmallConvNetGradientMatchesFiniteDifferencesOnEveryParameter() {
        struct ConvNet: Differentiable {
            var filter: Tensor<Double>, bias: Tensor<Double>, weight: Tensor<Double>
            @differentiable(reverse)
            func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> {
                let h = maxPool2d(relu(conv2d(x, filter: filter, padding: (1, 1)) + bias), kernel: (2, 2))
                return h.reshaped(to: [2, 3 * 3 * 3]).matmul(weight)  // as in DifferentiableSwift.md
            }
        }
        var rng = Seeded(state: 70)
        let x = rng.tensor([2, 2, 6, 6]), labels = Tensor<Int32>([1, 3])
        let model = ConvNet(filter: rng.tensor([3, 2, 3, 3]), bias: rng.tensor([1, 3, 1, 1]), weight: rng.tensor([27, 4]))
        let g = gradient(at: model) { m in Losses.crossEntropy(input: m(x), target: labels) }
        func loss(_ m: ConvNet) -> Double { Losses.crossEntropy(input: m(x), target: labels).scalar! }
        assertMatches(g.filter, numericalGradient(model.filter) { var m = model; m.filter = $0; return loss(m) }, "filter")
        assertMatches(g.bias, numericalGradient(model.bias) { var m = model; m.bias = $0; return loss(m) }, "bias")
        assertMatches(g.weight, numericalGradient(model.weight) { var m = model; m.weight = $0; return loss(m) }, "weight")
    }
}

extension Tensor where Scalar == Double {
    func scaledForTest(_ c: Double) -> Tensor { try! Tensor(shape: shape, scalars: scalars.map { $0 * c }) }
}
#endif
