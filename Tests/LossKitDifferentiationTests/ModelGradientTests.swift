#if canImport(_Differentiation)
import _Differentiation
import XCTest
import LossKitDifferentiation

/// A two-layer perceptron written as a `Differentiable` struct, the way a user writes a model.
struct MLP: Differentiable {
    var w1: Tensor<Double>
    var b1: Tensor<Double>
    var w2: Tensor<Double>
    var b2: Tensor<Double>

    @differentiable(reverse)
    func callAsFunction(_ x: Tensor<Double>) -> Tensor<Double> {
        tanh(x.matmul(w1) + b1).matmul(w2) + b2
    }
}

/// Reproducible inputs (SplitMix64).
struct Seeded {
    var state: UInt64
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) * 2 - 1
    }
    mutating func tensor(_ shape: [Int]) -> Tensor<Double> {
        try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in next() })
    }
}

/// Central finite differences of `f` at every scalar of `x`.
func numericalGradient(_ x: Tensor<Double>, h: Double = 1e-6, _ f: (Tensor<Double>) -> Double) -> [Double] {
    (0..<x.count).map { i in
        var up = x.scalars, down = x.scalars
        up[i] += h; down[i] -= h
        return (f(try! Tensor(shape: x.shape, scalars: up)) - f(try! Tensor(shape: x.shape, scalars: down))) / (2 * h)
    }
}

func assertMatches(_ analytic: Tensor<Double>, _ numeric: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
    for (i, (a, n)) in zip(analytic.scalars, numeric).enumerated() {
        XCTAssertEqual(a, n, accuracy: 1e-7 * max(1, abs(n)), "\(what)[\(i)]", file: file, line: line)
    }
}

final class ModelGradientTests: XCTestCase {
    func makeModel(_ rng: inout Seeded, inputs: Int, hidden: Int, outputs: Int) -> MLP {
        MLP(w1: rng.tensor([inputs, hidden]), b1: rng.tensor([hidden]), w2: rng.tensor([hidden, outputs]), b2: rng.tensor([outputs]))
    }

    /// Every parameter's gradient through `loss` against central finite differences.
    func checkParameters(_ model: MLP, _ loss: @escaping @differentiable(reverse) (MLP) -> Tensor<Double>, _ what: String) {
        let g = gradient(at: model) { m in loss(m) }
        let f = { (m: MLP) in loss(m).scalar! }
        assertMatches(g.w1, numericalGradient(model.w1) { var m = model; m.w1 = $0; return f(m) }, "\(what) w1")
        assertMatches(g.b1, numericalGradient(model.b1) { var m = model; m.b1 = $0; return f(m) }, "\(what) b1")
        assertMatches(g.w2, numericalGradient(model.w2) { var m = model; m.w2 = $0; return f(m) }, "\(what) w2")
        assertMatches(g.b2, numericalGradient(model.b2) { var m = model; m.b2 = $0; return f(m) }, "\(what) b2")
    }

    func testRegressionLossGradientMatchesFiniteDifferencesOnEveryParameter() {
        var rng = Seeded(state: 1)
        let model = makeModel(&rng, inputs: 3, hidden: 5, outputs: 2)
        let x = rng.tensor([6, 3]), y = rng.tensor([6, 2])
        checkParameters(model, { m in Losses.meanSquaredError(input: m(x), target: y) }, "mse")
        checkParameters(model, { m in Losses.huberLoss(input: m(x), target: y, delta: 0.3, reduction: .sum) }, "huber")
    }

    func testCrossEntropyGradientMatchesFiniteDifferencesOnEveryParameter() {
        var rng = Seeded(state: 2)
        let model = makeModel(&rng, inputs: 4, hidden: 6, outputs: 3)
        let x = rng.tensor([5, 4]), labels = Tensor([0, 2, 1, 1, 0] as [Int32])
        checkParameters(model, { m in Losses.crossEntropy(input: m(x), target: labels, labelSmoothing: 0.1) }, "cross-entropy")
    }

    func testTwoInputLossGradientMatchesFiniteDifferencesOnEveryParameter() {
        // Triplet: anchor, positive and negative all come out of the model (three ∂ inputs).
        var rng = Seeded(state: 3)
        let model = makeModel(&rng, inputs: 3, hidden: 4, outputs: 4)
        let a = rng.tensor([5, 3]), p = rng.tensor([5, 3]), n = rng.tensor([5, 3])
        checkParameters(model, { m in Losses.tripletMarginLoss(anchor: m(a), positive: m(p), negative: m(n), margin: 2) }, "triplet")
    }

    func testNoneReductionTakesAFullCotangent() throws {
        var rng = Seeded(state: 4)
        let x = rng.tensor([4, 3]), y = Tensor([2, 0, 1, 1] as [Int])
        let weights = rng.tensor([4])
        // d/dx Σ wᵢ·ℓᵢ through the .none form equals finite differences of the same sum.
        let g = gradient(at: x) { x in (Losses.crossEntropy(input: x, target: y, reduction: .none) * weights).sum() }
        let numeric = numericalGradient(x) { x in
            (try! crossEntropy(input: x, target: y, reduction: .none, wrt: [])).value.scalars.enumerated()
                .reduce(0) { $0 + $1.element * weights.scalars[$1.offset] }
        }
        assertMatches(g, numeric, "cross-entropy none")
        let gm = gradient(at: x) { x in (Losses.meanSquaredError(input: x, target: x * Tensor(0.5), reduction: .none) * x).sum() }
        let nm = numericalGradient(x) { x in zip(x.scalars, x.scalars).reduce(0) { $0 + 0.25 * $1.0 * $1.0 * $1.1 } }
        assertMatches(gm, nm, "mse none, both inputs")
    }

    func testTheRegisteredDerivativeIsTheFusedKernelBitForBit() throws {
        var rng = Seeded(state: 5)
        let x = rng.tensor([8, 5]), y = Tensor((0..<8).map { Int32($0 % 5) })
        let (value, pullback) = valueWithPullback(at: x) { x in Losses.crossEntropy(input: x, target: y) }
        let core = try crossEntropy(input: x, target: y)
        XCTAssertEqual(value.scalars, core.value.scalars)
        XCTAssertEqual(pullback(Tensor(1)).scalars, core.gradients[.input]!.scalars)
    }

    func testAParameterTheLossNeverReachesGetsTheZero() {
        struct TwoHeads: Differentiable { var used: Tensor<Double>; var unused: Tensor<Double> }
        let m = TwoHeads(used: Tensor([1, 2]), unused: Tensor([3, 4, 5]))
        let g = gradient(at: m) { m in Losses.meanSquaredError(input: m.used, target: Tensor([0, 0])) }
        XCTAssertEqual(g.used.scalars, [1, 2])
        XCTAssertEqual(g.unused, Tensor<Double>.zero)
        var moved = m.unused
        moved.move(by: g.unused)
        XCTAssertEqual(moved, m.unused)
    }
}
#endif
