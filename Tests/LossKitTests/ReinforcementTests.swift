import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Reinforcement (Sources/LossKit/Reinforcement.swift): ppo-clip, kl-penalty. The reference values
/// come from Fixtures/reinforcement.json (scripts/fixtures/reinforcement.py: the formulas written
/// in PyTorch, autograd gradients); the tests here pin the edge cases, properties and errors.
final class ReinforcementTests: XCTestCase {
    // MARK: Reference and finite differences

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("reinforcement"), 55)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("reinforcement"), 300)
    }

    func testEveryIdResolvesAndOnlyInputIsDifferentiable() {
        XCTAssertEqual(Catalog.reinforcement.map { $0.id }, ["ppo-clip", "kl-penalty"])
        for entry in Catalog.reinforcement {
            XCTAssertEqual(Catalog.entry(named: entry.id).map { ObjectIdentifier($0) }, ObjectIdentifier(entry), entry.id)
            XCTAssertEqual(entry.inputs.filter { $0.kind == .differentiable }.map(\.name), ["input"], entry.id)
        }
    }

    // MARK: ppo-clip

    func testPPOAtRatioOneIsMinusTheMeanAdvantageWithTheUnclippedGradient() throws {
        try ppoAtRatioOne(Float.self)
        try ppoAtRatioOne(Double.self)
    }

    func testPPOWithInfiniteClipIsThePlainImportanceWeightedObjective() throws {
        let x = Tensor<Double>([0.3, -2, 4, 0]), old = Tensor<Double>([0, 0.5, -1, 0.2]), a = Tensor<Double>([1, -2, 0.5, -1])
        let r = try ppoClipLoss(input: x, old: old, advantages: a, clip: .infinity, reduction: .sum)
        var value = 0.0
        for i in 0..<4 {
            let ratio = Double.exp(x.scalars[i] - old.scalars[i])
            value -= ratio * a.scalars[i]
            XCTAssertEqual(r.gradients[.input]!.scalars[i], -ratio * a.scalars[i], accuracy: 1e-12 * ratio)
        }
        XCTAssertEqual(r.scalar!, value, accuracy: 1e-12 * abs(value))
    }

    func testPPOClippedSideHasZeroGradientAndPessimisticSideKeepsIt() throws {
        // log-ratio ±1: r = e ≈ 2.72 (above 1.2) and 1/e ≈ 0.37 (below 0.8)
        let x = Tensor<Double>([1, 1, -1, -1]), old = Tensor<Double>([0, 0, 0, 0]), a = Tensor<Double>([1, -1, 1, -1])
        let r = try ppoClipLoss(input: x, old: old, advantages: a, reduction: .none)
        let e = Double.exp(1.0)
        // A > 0, r > 1 + ε: clipped (1.2·A), no gradient; A < 0, r > 1 + ε: r·A, gradient −A·r.
        // A > 0, r < 1 − ε: r·A, gradient −A·r;  A < 0, r < 1 − ε: clipped (0.8·A), no gradient.
        let expectedValue = [-1.2, e, -1 / e, 0.8]
        let expectedGradient = [0, e, -1 / e, 0]
        for i in 0..<4 {
            XCTAssertEqual(r.value.scalars[i], expectedValue[i], accuracy: 1e-15)
            XCTAssertEqual(r.gradients[.input]!.scalars[i], expectedGradient[i], accuracy: 1e-15)
        }
    }

    func testPPORatioExactlyOnTheClipBoundGetsHalfTheGradientLikeAutograd() throws {
        // clip = 0: both bounds are 1 and input == old gives r = 1 exactly. torch.clamp passes no
        // gradient at its bounds and torch.min halves a tie: −A·r/2 (see reinforcement.py).
        let r = try ppoClipLoss(input: Tensor<Float>([0.5, 0.5]), old: Tensor([0.5, 0.25]), advantages: Tensor([2, 2]), clip: 0, reduction: .sum)
        XCTAssertEqual(r.gradients[.input]!.scalars[0], -1)
        XCTAssertEqual(r.gradients[.input]!.scalars[1], 0)  // r = e^0.25 > 1: clipped
        XCTAssertEqual(r.scalar, -4)
    }

    func testPPOWithOverflowingRatiosIsFiniteWhereTheObjectiveIsFlat() throws {
        try ppoExtremes(Float.self)
        try ppoExtremes(Double.self)
    }

    func testPPOMeanGradientIsSumGradientOverTheCount() throws {
        let x = Tensor<Double>([0.1, -0.3, 0.25, 2, -0.05]), old = Tensor<Double>([0, 0, 0, 0, 0.1]), a = Tensor<Double>([1, -1, 2, -0.5, 0.7])
        let m = try ppoClipLoss(input: x, old: old, advantages: a)
        let s = try ppoClipLoss(input: x, old: old, advantages: a, reduction: .sum)
        XCTAssertEqual(m.scalar!, s.scalar! / 5, accuracy: 1e-15)
        for (g, h) in zip(m.gradients[.input]!.scalars, s.gradients[.input]!.scalars) { XCTAssertEqual(g, h / 5, accuracy: 1e-16) }
    }

    func testPPOEmptyBatchIsNaNWithMeanAndZeroWithSum() throws {
        let e = try Tensor<Float>(shape: [0], scalars: [])
        XCTAssertTrue(try ppoClipLoss(input: e, old: e, advantages: e).scalar!.isNaN)
        let s = try ppoClipLoss(input: e, old: e, advantages: e, reduction: .sum)
        XCTAssertEqual(s.scalar, 0)
        XCTAssertEqual(s.gradients[.input]?.shape, [0])
    }

    func testPPORejectsMismatchedShapesInvalidClipAndBatchmean() {
        let x = Tensor<Double>([0, 1, 2])
        XCTAssertThrowsError(try ppoClipLoss(input: x, old: Tensor([0, 1]), advantages: x)) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "old", expected: [3], actual: [2]))
        }
        XCTAssertThrowsError(try ppoClipLoss(input: x, old: x, advantages: Tensor([1]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "advantages", expected: [3], actual: [1]))
        }
        for bad in [-0.1, Double.nan] {
            XCTAssertThrowsError(try ppoClipLoss(input: x, old: x, advantages: x, clip: bad)) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "clip", value: "\(bad)", expected: ">= 0"))
            }
        }
        XCTAssertThrowsError(try ppoClipLoss(input: x, old: x, advantages: x, reduction: .batchmean)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"))
        }
    }

    // MARK: kl-penalty

    func testMeanOfEachEstimatorOverExactlyProportionalSamplesIsTheKLDivergence() throws {
        // Tokens drawn from π_θ = (½, ¼, ¼) in exact proportion (a, a, b, c): the sample means of
        // k1 and k3 are exactly E_π[k] = KL(π_θ ‖ π_ref) (both unbiased), k2's is not.
        let p = [0.5, 0.25, 0.25], q = [0.2, 0.5, 0.3]
        let tokens = [0, 0, 1, 2]
        let kl = zip(p, q).map { $0 * Double.log($0 / $1) }.reduce(0, +)
        let lp = try Tensor(shape: [1, 4], scalars: tokens.map { Double.log(p[$0]) })
        let ref = try Tensor(shape: [1, 4], scalars: tokens.map { Double.log(q[$0]) })
        XCTAssertEqual(try klPenalty(input: lp, reference: ref, estimator: .k1).scalar!, kl, accuracy: 1e-15)
        XCTAssertEqual(try klPenalty(input: lp, reference: ref, estimator: .k3).scalar!, kl, accuracy: 1e-15)
        let k2 = try klPenalty(input: lp, reference: ref, estimator: .k2).scalar!
        let expectedK2 = zip(p, q).map { 0.5 * $0 * Double.pow(Double.log($0 / $1), 2) }.reduce(0, +)
        XCTAssertEqual(k2, expectedK2, accuracy: 1e-15)
        XCTAssertNotEqual(k2, kl, accuracy: 1e-3)
        // and β scales the value and the gradient
        let a = try klPenalty(input: lp, reference: ref, estimator: .k3)
        let b = try klPenalty(input: lp, reference: ref, estimator: .k3, beta: 0.04)
        XCTAssertEqual(b.scalar!, 0.04 * a.scalar!, accuracy: 1e-17)
        for (g, h) in zip(b.gradients[.input]!.scalars, a.gradients[.input]!.scalars) { XCTAssertEqual(g, 0.04 * h, accuracy: 1e-17) }
    }

    func testK2AndK3AreNonNegativeAndZeroOnlyWhereThePoliciesAgree() throws {
        var rng = SplitMix64(state: 12345)
        func next() -> Double { rng.uniform(-6, 6) }
        let lp = Tensor<Float>((0..<200).map { _ in Float(next()) })
        var refValues = lp.scalars.map { $0 + Float(next() / 3) }
        refValues[7] = lp.scalars[7]
        let ref = Tensor(refValues)
        for estimator in [KLEstimator.k2, .k3] {
            let r = try klPenalty(input: lp, reference: ref, estimator: estimator, reduction: .none)
            XCTAssertTrue(r.value.scalars.allSatisfy { $0 >= 0 && $0.isFinite }, "\(estimator)")
            XCTAssertEqual(r.value.scalars[7], 0, "\(estimator)")
            XCTAssertEqual(r.gradients[.input]!.scalars[7], 0, "\(estimator)")
        }
    }

    func testK3KeepsRelativePrecisionForTinyDifferencesInFloat() throws {
        // k3(d) = d²/2 − d³/6 + …; the naive e^(−d) − 1 + d gives 0 or garbage in Float here.
        for d in [1e-3, -2e-4, 3e-5, 1e-6, -4e-2, 0.3, -0.49] {
            let base: Double = -1.25
            let lp = Tensor([Float(base + d)]), ref = Tensor([Float(base)])
            let exactD = Double(lp.scalars[0]) - Double(ref.scalars[0])  // the difference the Float inputs hold
            let r = try klPenalty(input: lp, reference: ref, estimator: .k3, reduction: .sum)
            let value = Double.exp(-exactD) - 1 + exactD  // in Double: accurate to ~1e-16/d² relative
            let slope = 1 - Double.exp(-exactD)
            XCTAssertEqual(Double(r.scalar!), value, accuracy: 1e-6 * value + 1e-22, "d = \(d)")
            XCTAssertEqual(Double(r.gradients[.input]!.scalars[0]), slope, accuracy: 1e-6 * abs(slope), "d = \(d)")
        }
    }

    func testKLPenaltyAtExtremeLogProbabilities() throws {
        try klExtremes(Float.self)
        try klExtremes(Double.self)
    }

    func testMaskedMeanIsTheMeanOverTheKeptTokensAndBoolMaskEqualsFloatMask() throws {
        let lp = try Tensor(shape: [2, 3], scalars: [-1, -2, -0.5, -3, -0.1, -4] as [Double])
        let ref = try Tensor(shape: [2, 3], scalars: [-1.5, -1, -0.5, -2, -0.4, -9] as [Double])
        let keep = [true, true, false, true, false, false]
        let mask = try Tensor(shape: [2, 3], scalars: keep.map { $0 ? 1.0 : 0.0 })
        for estimator in KLEstimator.allCases {
            let masked = try klPenalty(input: lp, reference: ref, mask: mask, estimator: estimator, beta: 0.5)
            let kept = try klPenalty(
                input: Tensor([-1, -2, -3] as [Double]), reference: Tensor([-1.5, -1, -2] as [Double]),
                estimator: estimator, beta: 0.5)
            XCTAssertEqual(masked.scalar!, kept.scalar!, accuracy: 1e-15, "\(estimator)")
            let g = masked.gradients[.input]!.scalars
            XCTAssertEqual([g[0], g[1], g[3]], kept.gradients[.input]!.scalars, "\(estimator)")
            XCTAssertEqual([g[2], g[4], g[5]], [0, 0, 0], "\(estimator)")
            let boolean = try klPenalty(
                input: lp, reference: ref, mask: Tensor(shape: [2, 3], scalars: keep), estimator: estimator, beta: 0.5)
            XCTAssertEqual(boolean.value, masked.value)
            XCTAssertEqual(boolean.gradients[.input], masked.gradients[.input])
        }
    }

    func testFullyMaskedBatchGivesNaNMeanZeroSumAndZeroGradients() throws {
        let lp = try Tensor(shape: [2, 2], scalars: [-1, -2, -.infinity, -0.5] as [Float])
        let ref = try Tensor(shape: [2, 2], scalars: [-1.5, -1, -3, -.infinity] as [Float])
        let mask = try Tensor(shape: [2, 2], repeating: Float(0))
        for estimator in KLEstimator.allCases {
            let m = try klPenalty(input: lp, reference: ref, mask: mask, estimator: estimator)
            XCTAssertTrue(m.scalar!.isNaN, "\(estimator): a mean over no tokens (TRL's masked_mean)")
            XCTAssertEqual(m.gradients[.input]!.scalars, [0, 0, 0, 0], "\(estimator)")
            let s = try klPenalty(input: lp, reference: ref, mask: mask, estimator: estimator, reduction: .sum)
            XCTAssertEqual(s.scalar, 0)
            XCTAssertEqual(s.gradients[.input]!.scalars, [0, 0, 0, 0])
            let n = try klPenalty(input: lp, reference: ref, mask: mask, estimator: estimator, reduction: .none)
            XCTAssertEqual(n.value.scalars, [0, 0, 0, 0])
        }
        let empty = try Tensor<Double>(shape: [0, 5], scalars: [])
        XCTAssertTrue(try klPenalty(input: empty, reference: empty).scalar!.isNaN)
    }

    func testKLPenaltyRejectsShapesMaskValuesBetaAndEstimatorByName() throws {
        let x = try Tensor(shape: [2, 2], scalars: [-1, -2, -3, -4] as [Double])
        XCTAssertThrowsError(try klPenalty(input: x, reference: Tensor([-1, -2, -3, -4] as [Double]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "reference", expected: [2, 2], actual: [4]))
        }
        XCTAssertThrowsError(try klPenalty(input: x, reference: x, mask: Tensor([1, 1] as [Double]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "mask", expected: [2, 2], actual: [2]))
        }
        XCTAssertThrowsError(try klPenalty(input: x, reference: x, mask: Tensor(shape: [2, 2], scalars: [1, 0.5, 0, 1]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "mask", value: 0.5, index: 1, expected: "0 or 1"))
        }
        for bad in [-1.0, .infinity, .nan] {
            XCTAssertThrowsError(try klPenalty(input: x, reference: x, beta: bad)) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "beta", value: "\(bad)", expected: "a finite number >= 0"))
            }
        }
        let inputs: [String: DynamicTensor] = ["input": .float64(x), "reference": .float64(x)]
        XCTAssertThrowsError(try Evaluator.evaluate(id: "kl-penalty", inputs: inputs, options: ["estimator": "k4"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "estimator", value: "k4", expected: "one of k1, k2, k3"))
        }
        XCTAssertThrowsError(try Evaluator.evaluate(id: "kl-penalty", inputs: inputs, options: ["reduction": "batchmean"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"))
        }
        XCTAssertThrowsError(try Evaluator.evaluate(id: "kl-penalty", inputs: ["input": .float64(x)], options: [:])) { e in
            guard case .missingArgument(name: "reference", reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
    }

    func testBoolMaskFromTheCommandLineEqualsAFloatMask() throws {
        let x = try Tensor(shape: [1, 3], scalars: [-1, -2, -3] as [Float])
        let ref = try Tensor(shape: [1, 3], scalars: [-2, -2, -1] as [Float])
        let b = try Evaluator.evaluate(
            id: "kl-penalty", inputs: ["input": .float32(x), "reference": .float32(ref), "mask": .bool(Tensor(shape: [1, 3], scalars: [true, false, true]))],
            options: ["estimator": "k2"])
        let f = try Evaluator.evaluate(
            id: "kl-penalty", inputs: ["input": .float32(x), "reference": .float32(ref), "mask": .float32(Tensor(shape: [1, 3], scalars: [1, 0, 1]))],
            options: ["estimator": "k2"])
        XCTAssertEqual(b.value.doubles, f.value.doubles)
        XCTAssertEqual(b.value.doubles, [(0.5 * 1 + 0.5 * 4) / 2])
    }

    // MARK: Documentation

    func testDocumentationExamplesHoldAsWritten() throws {
        let p = try ppoClipLoss(input: Tensor([0, 0.5, -0.5] as [Double]), old: Tensor([0, 0, 0]), advantages: Tensor([1, 1, -1]))
        XCTAssertEqual(p.scalar!, -0.4666666666666666, accuracy: 1e-15)
        XCTAssertEqual(p.gradients[.input]!.scalars, [-1.0 / 3, 0, 0])
        let lp = try Tensor(shape: [1, 3], scalars: [-1, -2, -3] as [Double])
        let ref = try Tensor(shape: [1, 3], scalars: [-1.5, -2, -9] as [Double])
        let mask = try Tensor(shape: [1, 3], scalars: [1, 1, 0] as [Double])
        let k = try klPenalty(input: lp, reference: ref, mask: mask, estimator: .k3, beta: 0.1)
        XCTAssertEqual(k.scalar!, 0.005326532985631672, accuracy: 1e-17)
        XCTAssertEqual(k.gradients[.input]!.scalars[0], 0.01967346701436833, accuracy: 1e-17)
    }

    // MARK: Helpers

    private func ppoAtRatioOne<T: LossScalar>(_: T.Type) throws {
        let x = Tensor<T>([0.5, -1, 3, 0.25]), a = Tensor<T>([2, -1, 0.5, 0])
        let r = try ppoClipLoss(input: x, old: x, advantages: a)
        XCTAssertEqual(r.scalar!, -(2 - 1 + 0.5) / 4)
        XCTAssertEqual(r.gradients[.input]!.scalars, a.scalars.map { -$0 / 4 })
    }

    private func ppoExtremes<T: LossScalar>(_: T.Type) throws {
        // log-ratios ±1e4: r = +inf or 0
        let x = Tensor<T>([1e4, 1e4, 1e4, -1e4, -1e4, -1e4]), old = Tensor<T>(repeating: 0, count: 6)
        let a = Tensor<T>([2, -2, 0, 2, -2, 0])
        let r = try ppoClipLoss(input: x, old: old, advantages: a, reduction: .none)
        let v = r.value.scalars, g = r.gradients[.input]!.scalars
        // A > 0, r = inf: the clipped term 1.2·A wins; the objective is flat (autograd: NaN).
        XCTAssertEqual(v[0], -T(1.2) * 2, accuracy: 1e-6)
        XCTAssertEqual(g[0], 0)
        // A < 0, r = inf: −r·A = +inf itself, and so is its slope.
        XCTAssertEqual(v[1], .infinity)
        XCTAssertEqual(g[1], .infinity)
        // A = 0: 0 whatever r is (autograd: NaN from inf·0).
        XCTAssertEqual(v[2], 0)
        XCTAssertEqual(g[2], 0)
        // r = 0: A > 0 gives r·A = 0; A < 0 the clipped 0.8·A; gradients 0.
        XCTAssertEqual(v[3], 0)
        XCTAssertEqual(v[4], T(0.8) * 2, accuracy: 1e-6)
        XCTAssertEqual(v[5], 0)
        XCTAssertEqual(g[3...5].map { $0 == 0 }, [true, true, true])
    }

    private func klExtremes<T: LossScalar>(_: T.Type) throws {
        let lp = Tensor<T>([-1e4, -1, 0, -1e4]), ref = Tensor<T>([0, -1e4, -1e4, -1e4 + 1])
        // d = −1e4, 1e4 − 1, 1e4, −1
        let k1 = try klPenalty(input: lp, reference: ref, estimator: .k1, reduction: .none)
        XCTAssertEqual(k1.value.scalars, [-1e4, 1e4 - 1, 1e4, -1])
        XCTAssertEqual(k1.gradients[.input]!.scalars, [1, 1, 1, 1])
        let k2 = try klPenalty(input: lp, reference: ref, estimator: .k2, reduction: .none)
        XCTAssertEqual(k2.value.scalars[0], 5e7)
        XCTAssertEqual(k2.gradients[.input]!.scalars[0], -1e4)
        let k3 = try klPenalty(input: lp, reference: ref, estimator: .k3, reduction: .none)
        // d → −∞: e^(−d) overflows (the value itself is ~e^1e4); d → +∞: d − 1 with slope 1.
        XCTAssertEqual(k3.value.scalars[0], .infinity)
        XCTAssertEqual(k3.gradients[.input]!.scalars[0], -.infinity)
        XCTAssertEqual(k3.value.scalars[1], 1e4 - 2, accuracy: T(1e4).ulp)
        XCTAssertEqual(k3.value.scalars[2], 1e4 - 1, accuracy: T(1e4).ulp)
        XCTAssertEqual(k3.gradients[.input]!.scalars[1], 1)
        XCTAssertEqual(k3.value.scalars[3], T.exp(1) - 2, accuracy: 4 * T.ulpOfOne)
        XCTAssertEqual(k3.gradients[.input]!.scalars[3], 1 - T.exp(1), accuracy: 4 * T.ulpOfOne)
        // a reference of −inf (the token is impossible under π_ref): KL is +inf for k1 and k3
        let inf = try klPenalty(input: Tensor<T>([-1]), reference: Tensor([-.infinity]), estimator: .k3, reduction: .sum)
        XCTAssertEqual(inf.scalar, .infinity)
        XCTAssertEqual(inf.gradients[.input]!.scalars, [1])
        let pad = try klPenalty(input: Tensor<T>([-.infinity]), reference: Tensor([-1]), estimator: .k3, reduction: .sum)
        XCTAssertEqual(pad.scalar, .infinity, "d = −inf: e^(+inf) − 1 + d is +inf, not inf − inf")
    }

}

private extension Tensor where Scalar: LossScalar {
    init(repeating value: Scalar, count: Int) { self.init([Scalar](repeating: value, count: count)) }
}
