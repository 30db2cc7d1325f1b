import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Family A (regression). The reference values come from scripts/fixtures/regression.py
/// (PyTorch); the tests here pin the edge cases, properties and errors of LOSSES.md.
final class RegressionTests: XCTestCase {
    // MARK: Reference and finite differences

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("regression"), 100)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("regression"), 500)
    }

    func testEveryRegressionIdAndAliasResolves() {
        let ids = Catalog.regression.map { $0.id }
        XCTAssertEqual(ids, ["mse", "l1", "euclidean", "huber", "smooth-l1", "log-cosh", "msle", "mape",
                             "gaussian-nll", "laplace-nll", "poisson-nll"])
        XCTAssertEqual(Catalog.entry(named: "mae")?.id, "l1")
    }

    // MARK: Sweeps over every regression loss (Float and Double)

    func testSumOfNoneEqualsSumAndMeanIsSumOverCountForEveryLoss() throws {
        for entry in Catalog.regression {
            try sumNoneMeanAgree(entry.id, Float.self)
            try sumNoneMeanAgree(entry.id, Double.self)
        }
    }

    func testGradientOfMeanIsGradientOfSumOverTheDenominatorForEveryLoss() throws {
        for entry in Catalog.regression {
            let inputs = sampleInputs(entry.id, shape: [3, 5], Double.self, seed: 7)
            let m = try Evaluator.evaluate(id: entry.id, inputs: inputs, options: ["reduction": "mean"])
            let s = try Evaluator.evaluate(id: entry.id, inputs: inputs, options: ["reduction": "sum"])
            // euclidean's mean divides by the batch size, every other loss by the element count
            let denominator = entry.id == "euclidean" ? 3.0 : 15.0
            XCTAssertFalse(m.gradients.isEmpty, entry.id)
            for (g, h) in zip(m.gradients, s.gradients) {
                XCTAssertEqual(g.name, h.name)
                for (a, b) in zip(g.tensor.doubles, h.tensor.doubles) {
                    XCTAssertEqual(a, b / denominator, accuracy: 1e-12 * max(1, abs(a)), "\(entry.id) grad.\(g.name)")
                }
            }
        }
    }

    func testEmptyInputGivesNaNMeanAndZeroSumForEveryLoss() throws {
        for entry in Catalog.regression {
            let inputs = sampleInputs(entry.id, shape: [0, 4], Float.self, seed: 1)
            let m = try Evaluator.evaluate(id: entry.id, inputs: inputs, options: [:])
            XCTAssertTrue(m.value.doubles[0].isNaN, "\(entry.id): mean of nothing")
            let s = try Evaluator.evaluate(id: entry.id, inputs: inputs, options: ["reduction": "sum"])
            XCTAssertEqual(s.value.doubles, [0], entry.id)
            for g in s.gradients { XCTAssertEqual(g.tensor.shape, inputs[g.name]?.shape, "\(entry.id) grad.\(g.name)") }
            let n = try Evaluator.evaluate(id: entry.id, inputs: inputs, options: ["reduction": "none"])
            XCTAssertEqual(n.value.shape, entry.id == "euclidean" ? [0] : [0, 4], entry.id)
        }
    }

    func testValueOnlyCallComputesNoGradients() throws {
        for entry in Catalog.regression {
            let out = try Evaluator.evaluate(
                id: entry.id, inputs: sampleInputs(entry.id, shape: [2, 3], Double.self, seed: 3), options: [:],
                gradients: ["none"])
            XCTAssertTrue(out.gradients.isEmpty, entry.id)
        }
        let r = try gaussianNegativeLogLikelihood(
            input: Tensor<Double>([1, 2]), target: Tensor([0, 0]), variance: Tensor([1, 1]), wrt: [.variance])
        XCTAssertEqual(Set(r.gradients.keys), [.variance])
    }

    func testBatchmeanIsRejectedByEveryLoss() throws {
        for entry in Catalog.regression {
            XCTAssertThrowsError(try Evaluator.evaluate(
                id: entry.id, inputs: sampleInputs(entry.id, shape: [2, 3], Float.self, seed: 2),
                options: ["reduction": "batchmean"])
            ) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"), entry.id)
            }
        }
    }

    func testTargetOfAnotherShapeIsRejectedByEveryLoss() throws {
        for entry in Catalog.regression {
            var inputs = sampleInputs(entry.id, shape: [2, 3], Double.self, seed: 4)
            inputs["target"] = sampleInputs(entry.id, shape: [3, 2], Double.self, seed: 4)["target"]
            XCTAssertThrowsError(try Evaluator.evaluate(id: entry.id, inputs: inputs, options: [:])) { e in
                if ["gaussian-nll", "laplace-nll"].contains(entry.id) {
                    // These broadcast the target (NumPy rules, as PyTorch): [3, 2] does not broadcast to [2, 3].
                    guard case LossError.invalidShape("target", [3, 2], _)? = e as? LossError else { return XCTFail("\(entry.id): \(e)") }
                } else {
                    XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [2, 3], actual: [3, 2]), entry.id)
                }
            }
        }
    }

    func testBroadcastTargetOfTheLikelihoodLossesIsTheExpandedTargetWithItsGradientSummed() throws {
        // target [2, 1] against input [2, 3]: same loss as the expanded target, and the target
        // gradient is the expanded one summed over the broadcast dimension.
        let x = try Tensor(shape: [2, 3], scalars: [0.3, -1.2, 0.8, 2.0, 0.1, -0.4] as [Double])
        let v = try Tensor(shape: [2, 3], scalars: [0.5, 1.5, 0.9, 2.0, 0.7, 1.1] as [Double])
        let y = try Tensor(shape: [2, 1], scalars: [0.2, -0.6] as [Double])
        let expanded = try Tensor(shape: [2, 3], scalars: [0.2, 0.2, 0.2, -0.6, -0.6, -0.6] as [Double])
        for reduction in [Reduction.none, .mean, .sum] {
            let pairs = [
                (try gaussianNegativeLogLikelihood(input: x, target: y, variance: v, reduction: reduction),
                 try gaussianNegativeLogLikelihood(input: x, target: expanded, variance: v, reduction: reduction)),
                (try laplaceNegativeLogLikelihood(input: x, target: y, scale: v, reduction: reduction),
                 try laplaceNegativeLogLikelihood(input: x, target: expanded, scale: v, reduction: reduction)),
            ]
            for (b, e) in pairs {
                XCTAssertEqual(b.value.scalars, e.value.scalars)
                XCTAssertEqual(b.gradients[.input]!.scalars, e.gradients[.input]!.scalars)
                let g = e.gradients[.target]!.scalars
                XCTAssertEqual(b.gradients[.target]!.shape, [2, 1])
                XCTAssertEqual(b.gradients[.target]!.scalars, [g[0] + g[1] + g[2], g[3] + g[4] + g[5]])
            }
        }
    }

    func testExtremeFiniteInputsGiveFiniteValuesAndGradients() throws {
        // ±1e4 errors: every loss whose value is finite there (poisson's e^input overflows by definition).
        for entry in Catalog.regression where entry.id != "poisson-nll" {
            for T in [Float.self, Double.self] as [any LossScalar.Type] {
                try assertFiniteAtExtremes(entry.id, T)
            }
        }
        // poisson-nll with log-rates of −1e4 (rate e^−1e4 = 0) and rates of 1e4.
        let x = Tensor<Float>([-1e4, -1e4, 50]), y = Tensor<Float>([0, 3, 2])
        try assertFinite(poissonNegativeLogLikelihood(input: x, target: y, full: true, reduction: .none))
        try assertFinite(poissonNegativeLogLikelihood(input: Tensor<Float>([1e4, 0, 1e-30]), target: y, logInput: false, full: true))
    }

    // MARK: mse, l1, euclidean

    func testMSEOfEmptyInputIsNaNWithMeanAndZeroWithSum() throws {
        let empty = try Tensor<Double>(shape: [0, 3], scalars: [])
        XCTAssertTrue(try meanSquaredError(input: empty, target: empty).scalar!.isNaN)
        let s = try meanSquaredError(input: empty, target: empty, reduction: .sum)
        XCTAssertEqual(s.scalar, 0)
        XCTAssertEqual(s.gradients[.input]?.shape, [0, 3])
    }

    func testMSEShapeMismatchThrowsNamingBothShapes() {
        XCTAssertThrowsError(try meanSquaredError(input: Tensor<Float>([1, 2]), target: Tensor<Float>([1]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [2], actual: [1]))
        }
    }

    func testL1GradientIsZeroWhereInputEqualsTarget() throws {
        let r = try meanAbsoluteError(input: Tensor<Float>([1, 2, 3]), target: Tensor([1, 0, 5]), reduction: .sum)
        XCTAssertEqual(r.gradients[.input]?.scalars, [0, 1, -1])
        XCTAssertEqual(r.gradients[.target]?.scalars, [0, -1, 1])
        XCTAssertEqual(r.scalar, 4)
    }

    func testEuclideanIsHalfTheSquaredDistancePerSample() throws {
        let x = try Tensor(shape: [2, 2, 2], scalars: [1, 2, 3, 4, 0, 0, 0, 1] as [Double])
        let y = try Tensor(shape: [2, 2, 2], repeating: 0.0)
        let none = try euclideanLoss(input: x, target: y, reduction: .none)
        XCTAssertEqual(none.value.shape, [2])
        XCTAssertEqual(none.value.scalars, [15, 0.5])  // ½(1 + 4 + 9 + 16), ½·1
        XCTAssertEqual(none.gradients[.input]?.scalars, x.scalars)
        XCTAssertEqual(try euclideanLoss(input: x, target: y).scalar, 7.75)  // (15 + 0.5) / N
        XCTAssertEqual(try euclideanLoss(input: x, target: y, reduction: .sum).scalar, 15.5)
        // euclidean sum = ½ · mse sum
        XCTAssertEqual(try meanSquaredError(input: x, target: y, reduction: .sum).scalar, 31)
    }

    func testEuclideanRejectsAScalarInput() {
        XCTAssertThrowsError(try euclideanLoss(input: Tensor(1.0), target: Tensor(0.0))) { e in
            guard case .invalidShape(argument: "input", shape: [], reason: _)? = e as? LossError else {
                return XCTFail("\(e)")
            }
        }
    }

    func testEuclideanWithRowsLongerThanTheParallelGrainMatchesMSE() throws {
        let n = Parallelism.grain + 13
        let x = try Tensor(shape: [2, n], scalars: (0..<(2 * n)).map { Double($0 % 17) / 8 - 1 })
        let y = try Tensor(shape: [2, n], repeating: 0.25)
        let e = try euclideanLoss(input: x, target: y, reduction: .none)
        let rows = try (0..<2).map { r in
            try meanSquaredError(
                input: Tensor(Array(x.scalars[(r * n)..<((r + 1) * n)])),
                target: Tensor(Array(repeating: 0.25, count: n)), reduction: .sum).scalar!
        }
        XCTAssertEqual(e.value.scalars[0], rows[0] / 2, accuracy: 1e-9 * rows[0])
        XCTAssertEqual(e.value.scalars[1], rows[1] / 2, accuracy: 1e-9 * rows[1])
    }

    // MARK: huber, smooth-l1

    func testHuberIsDeltaTimesSmoothL1WithBetaDelta() throws {
        try huberIsDeltaTimesSmoothL1(Float.self)
        try huberIsDeltaTimesSmoothL1(Double.self)
    }

    func testSmoothL1WithBetaZeroIsExactlyL1() throws {
        let x = Tensor<Float>([-2, 0, 0.5, 1e4, 3]), y = Tensor<Float>([0, 0, 0.25, 0, 3])
        let s = try smoothL1Loss(input: x, target: y, beta: 0, reduction: .none)
        let l = try meanAbsoluteError(input: x, target: y, reduction: .none)
        XCTAssertEqual(s.value, l.value)
        XCTAssertEqual(s.gradients[.input], l.gradients[.input])
        XCTAssertEqual(s.gradients[.target], l.gradients[.target])
    }

    func testHuberAndSmoothL1RejectInvalidThresholds() {
        let x = Tensor<Double>([1])
        XCTAssertThrowsError(try huberLoss(input: x, target: x, delta: 0)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "delta", value: "0.0", expected: "> 0"))
        }
        XCTAssertThrowsError(try huberLoss(input: x, target: x, delta: .nan)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "delta", value: "nan", expected: "> 0"))
        }
        XCTAssertThrowsError(try smoothL1Loss(input: x, target: x, beta: -1)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "beta", value: "-1.0", expected: ">= 0"))
        }
    }

    // MARK: log-cosh

    func testLogCoshIsFiniteAndLinearForHugeErrors() throws {
        // For |e| ≥ 1e3, e^(−2|e|) underflows in both precisions, so log cosh e = |e| − log 2 exactly
        // to working precision, with slope ±1.
        for e in [1e3, -1e3, 1e4, -1e4, 3e38] {
            let r = try logCoshLoss(input: Tensor([Float(e)]), target: Tensor([0]), reduction: .sum)
            XCTAssertEqual(r.scalar!, Float(abs(e) - Double.log(2)), accuracy: Float(abs(e)).ulp)
            XCTAssertEqual(r.gradients[.input]!.scalars[0], e > 0 ? 1 : -1)
            let d = try logCoshLoss(input: Tensor([e]), target: Tensor([0.0]), reduction: .sum)
            XCTAssertEqual(d.scalar!, abs(e) - Double.log(2), accuracy: abs(e).ulp)
        }
        let inf = try logCoshLoss(input: Tensor([Float.infinity, -.infinity]), target: Tensor([0, 0]), reduction: .none)
        XCTAssertEqual(inf.value.scalars, [.infinity, .infinity])
        XCTAssertEqual(inf.gradients[.input]?.scalars, [1, -1])
    }

    func testLogCoshKeepsRelativePrecisionForTinyErrors() throws {
        // Taylor series: log cosh e = e²/2 − e⁴/12 + e⁶/45 − 17e⁸/2520 + …, tanh e = e − e³/3 +
        // 2e⁵/15 − 17e⁷/315 + …; for |e| ≤ 1e-3 the omitted terms are below 1e-20 relative.
        func series(_ e: Double) -> (value: Double, slope: Double) {
            let e2 = e * e
            return (e2 * (0.5 - e2 * (1.0 / 12 - e2 * (1.0 / 45 - e2 * 17 / 2520))),
                    e * (1 - e2 * (1.0 / 3 - e2 * (2.0 / 15 - e2 * 17 / 315))))
        }
        for e in [1e-3, -3e-4, 1e-6, 1e-12] {  // Float: e²/2 stays a normal number
            let (value, slope) = series(Double(Float(e)))
            let f = try logCoshLoss(input: Tensor([Float(e)]), target: Tensor([0]), reduction: .sum)
            XCTAssertEqual(Double(f.scalar!), value, accuracy: 4e-7 * value, "Float e = \(e)")
            XCTAssertEqual(Double(f.gradients[.input]!.scalars[0]), slope, accuracy: 4e-7 * abs(slope))
        }
        for e in [1e-3, -3e-4, 1e-6, 1e-12, 1e-19, 1e-150] {
            let (value, slope) = series(e)
            let d = try logCoshLoss(input: Tensor([e]), target: Tensor([0.0]), reduction: .sum)
            XCTAssertEqual(d.scalar!, value, accuracy: 2e-15 * value, "Double e = \(e)")
            XCTAssertEqual(d.gradients[.input]!.scalars[0], slope, accuracy: 2e-15 * abs(slope))
        }
    }

    func testLogCoshInFloatAgreesWithDoubleAcrossTheBranchSwitch() throws {
        // Both branches (|e| < 1 and ≥ 1) and their junction, against libm's log(cosh) in Double,
        // which is accurate to ~1e-16 relative wherever cosh e is not close to 1 (|e| ≥ 0.1).
        let es: [Double] = stride(from: 0.1, through: 30.0, by: 0.0371).flatMap { (e: Double) in [e, -e] } + [0.999999, 1, 1.000001]
        let xs: [Float] = es.map { Float($0) }
        let r = try logCoshLoss(input: Tensor<Float>(xs), target: Tensor<Float>(xs.map { _ in 0 }), reduction: .none)
        for (i, e) in es.enumerated() {
            let e32 = Double(Float(e))
            let exact = Double.log(Double.cosh(e32))
            XCTAssertEqual(Double(r.value.scalars[i]), exact, accuracy: 5e-7 * exact, "e = \(e)")
            XCTAssertEqual(Double(r.gradients[.input]!.scalars[i]), Double.tanh(e32), accuracy: 3e-7)
        }
    }

    // MARK: msle, mape

    func testMSLERejectsValuesAtOrBelowMinusOneNamingTheArgumentAndIndex() {
        XCTAssertThrowsError(try meanSquaredLogarithmicError(input: Tensor<Float>([0, 1, -1]), target: Tensor([0, 0, 0]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "input", value: -1, index: 2, expected: "> -1"))
        }
        XCTAssertThrowsError(try meanSquaredLogarithmicError(input: Tensor<Double>([0, 1]), target: Tensor([-3, 0]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "target", value: -3, index: 0, expected: "> -1"))
        }
    }

    func testMSLENearMinusOneIsFinite() throws {
        // log1p(−1 + 1e-7) ≈ −16.1: large but finite, as are the gradients 2d/(1 + x) ≈ 3e8.
        let r = try meanSquaredLogarithmicError(input: Tensor<Float>([-1 + 1e-7, 1e4]), target: Tensor([0, -0.999999]))
        assertFinite(r)
    }

    func testMSLEIsMSEOfLog1p() throws {
        let x = [0.5, 3, -0.5, 10] as [Double], y = [2, 0, 0.25, 9] as [Double]
        let r = try meanSquaredLogarithmicError(input: Tensor(x), target: Tensor(y), reduction: .sum)
        let m = try meanSquaredError(
            input: Tensor(x.map { Double.log(onePlus: $0) }), target: Tensor(y.map { Double.log(onePlus: $0) }), reduction: .sum)
        XCTAssertEqual(r.scalar!, m.scalar!, accuracy: 1e-14)
        for i in x.indices {  // chain rule: ∂/∂x = ∂mse/∂u · 1/(1 + x)
            XCTAssertEqual(r.gradients[.input]!.scalars[i], m.gradients[.input]!.scalars[i] / (1 + x[i]), accuracy: 1e-14)
        }
    }

    func testMAPEUsesTheFloorForZeroTargetsAndDoesNotDifferentiateTheTarget() throws {
        let r = try meanAbsolutePercentageError(
            input: Tensor<Float>([2, 90]), target: Tensor([0, 100]), reduction: .none, wrt: [.input, .target])
        // 100·2/1e-7 = 2e9 (the Float floor 1e-7 is not exact: compare relatively); 100·10/100 = 10
        XCTAssertEqual(r.value.scalars[0], 2e9, accuracy: 2e9 * 1e-6)
        XCTAssertEqual(r.value.scalars[1], 10)
        XCTAssertEqual(r.gradients[.input]!.scalars[1], -1)
        XCTAssertNil(r.gradients[.target])
        XCTAssertEqual(Set(MAPEEntry.inputs.filter { $0.kind == .differentiable }.map(\.name)), ["input"])
    }

    // MARK: gaussian-nll

    func testGaussianNLLClampIsStraightThroughForVarianceBelowEps() throws {
        // var = 0.25 < eps = 0.5 is evaluated at v̂ = 0.5 and its gradient is the formula's there
        // (PyTorch clamps under no_grad): with e = 1, ∂/∂var = ½(1/0.5 − 1/0.25) = −1 and
        // ∂/∂input = e/v̂ = 2, all exact in binary.
        for full in [false, true] {
            let r = try gaussianNegativeLogLikelihood(
                input: Tensor<Double>([1]), target: Tensor([0]), variance: Tensor([0.25]),
                full: full, eps: 0.5, reduction: .sum)
            XCTAssertEqual(r.gradients[.variance]?.scalars, [-1])
            XCTAssertEqual(r.gradients[.input]?.scalars, [2])
            XCTAssertEqual(r.gradients[.target]?.scalars, [-2])
            let constant = full ? 0.5 * Double.log(2 * .pi) : 0
            XCTAssertEqual(r.scalar!, 0.5 * (Double.log(0.5) + 2) + constant, accuracy: 1e-15)
        }
        // var = 0 (allowed): finite value and gradient at v̂ = eps.
        try assertFinite(gaussianNegativeLogLikelihood(input: Tensor<Float>([1e4]), target: Tensor([-1e4]), variance: Tensor([0])))
    }

    func testGaussianNLLWithUnitVarianceIsHalfMSE() throws {
        let x = Tensor<Double>([0.5, -2, 3, 1e4]), y = Tensor<Double>([1, 1, 3, 0])
        let g = try gaussianNegativeLogLikelihood(input: x, target: y, variance: Tensor([1, 1, 1, 1]))
        let m = try meanSquaredError(input: x, target: y)
        XCTAssertEqual(g.scalar!, m.scalar! / 2, accuracy: 1e-16 * m.scalar!)  // log 1 = 0
        for (a, b) in zip(g.gradients[.input]!.scalars, m.gradients[.input]!.scalars) { XCTAssertEqual(a, b / 2) }
    }

    func testGaussianNLLFullAddsHalfLogTwoPiPerElement() throws {
        let x = Tensor<Float>([0.5, -2, 3]), y = Tensor<Float>([1, 1, 3]), v = Tensor<Float>([0.5, 2, 1])
        let plain = try gaussianNegativeLogLikelihood(input: x, target: y, variance: v, reduction: .none)
        let full = try gaussianNegativeLogLikelihood(input: x, target: y, variance: v, full: true, reduction: .none)
        for (a, b) in zip(full.value.scalars, plain.value.scalars) {
            XCTAssertEqual(a - b, Float(0.5 * Double.log(2 * .pi)), accuracy: 4 * Float(1).ulp)
        }
        XCTAssertEqual(full.gradients[.variance], plain.gradients[.variance])
    }

    func testGaussianNLLBroadcastVarianceEqualsTheExpandedVarianceWithSummedGradient() throws {
        // input [2, 3, 2]; var broadcast over dim 1, dim 2, or without the last dim.
        let input = try Tensor(shape: [2, 3, 2], scalars: (0..<12).map { Double($0) * 0.37 - 2 })
        let target = try Tensor(shape: [2, 3, 2], scalars: (0..<12).map { Double(($0 * 5) % 7) * 0.3 })
        for (shape, expand) in [
            ([2, 1, 2], { (n: Int, j: Int, k: Int) in n * 2 + k }),
            ([2, 3, 1], { (n: Int, j: Int, k: Int) in n * 3 + j }),
            ([2, 3], { (n: Int, j: Int, k: Int) in n * 3 + j }),
        ] as [([Int], (Int, Int, Int) -> Int)] {
            let count = shape.reduce(1, *)
            let variance = try Tensor(shape: shape, scalars: (0..<count).map { 0.2 + Double($0) * 0.3 })
            var index: [Int] = []
            for n in 0..<2 { for j in 0..<3 { for k in 0..<2 { index.append(expand(n, j, k)) } } }
            let expanded = try Tensor(shape: [2, 3, 2], scalars: index.map { variance.scalars[$0] })
            for logVariance in [false, true] {
                let b = try gaussianNegativeLogLikelihood(input: input, target: target, variance: variance, logVariance: logVariance, reduction: .none)
                let e = try gaussianNegativeLogLikelihood(input: input, target: target, variance: expanded, logVariance: logVariance, reduction: .none)
                XCTAssertEqual(b.value, e.value, "\(shape)")
                XCTAssertEqual(b.gradients[.input], e.gradients[.input])
                XCTAssertEqual(b.gradients[.variance]?.shape, shape)
                var summed = [Double](repeating: 0, count: count)
                for (i, g) in e.gradients[.variance]!.scalars.enumerated() { summed[index[i]] += g }
                for (a, s) in zip(b.gradients[.variance]!.scalars, summed) { XCTAssertEqual(a, s, accuracy: 1e-14 * max(1, abs(s))) }
                let mean = try gaussianNegativeLogLikelihood(input: input, target: target, variance: variance, logVariance: logVariance)
                XCTAssertEqual(mean.scalar!, e.value.scalars.reduce(0, +) / 12, accuracy: 1e-14)
            }
        }
    }

    func testBroadcastThirdArgumentOnLongRowsMatchesTheExpandedOneForGaussianAndLaplace() throws {
        // Rows long enough for the direct 8-lane loads (a var row of ≥ 8 elements, or ≥ 8 input
        // elements on one var element) next to rows that need the lane-by-lane gather.
        let shape = [3, 20, 11]
        let count = shape.reduce(1, *)
        let input = try Tensor(shape: shape, scalars: (0..<count).map { Double(($0 * 37) % 101) / 25 - 2 })
        let target = try Tensor(shape: shape, scalars: (0..<count).map { Double(($0 * 11) % 13) / 6 - 1 })
        for varShape in [[3, 1, 11], [3, 20, 1], [3, 20], [1, 20, 11], [3, 20, 11]] {
            let padded = varShape.count == 2 ? varShape + [1] : varShape
            let varCount = varShape.reduce(1, *)
            let third = try Tensor(shape: varShape, scalars: (0..<varCount).map { 0.3 + Double(($0 * 7) % 17) / 10 })
            var index: [Int] = []
            for n in 0..<3 { for j in 0..<20 { for k in 0..<11 {
                let m = [n, j, k].enumerated().map { padded[$0.offset] == 1 ? 0 : $0.element }
                index.append((m[0] * padded[1] + m[1]) * padded[2] + m[2])
            } } }
            let expanded = try Tensor(shape: shape, scalars: index.map { third.scalars[$0] })
            for (id, logForm) in [("gaussian", false), ("gaussian", true), ("laplace", false), ("laplace", true)] {
                func run(_ v: Tensor<Double>, _ reduction: Reduction) throws -> LossResult<Double> {
                    id == "gaussian"
                        ? try gaussianNegativeLogLikelihood(input: input, target: target, variance: v, logVariance: logForm, reduction: reduction)
                        : try laplaceNegativeLogLikelihood(input: input, target: target, scale: v, logScale: logForm, reduction: reduction)
                }
                let argument: LossArgument = id == "gaussian" ? .variance : .scale
                let b = try run(third, .none), e = try run(expanded, .none)
                XCTAssertEqual(b.value, e.value, "\(id) \(varShape)")
                XCTAssertEqual(b.gradients[.input], e.gradients[.input], "\(id) \(varShape)")
                XCTAssertEqual(b.gradients[.target], e.gradients[.target], "\(id) \(varShape)")
                var summed = [Double](repeating: 0, count: varCount)
                for (i, g) in e.gradients[argument]!.scalars.enumerated() { summed[index[i]] += g }
                XCTAssertEqual(b.gradients[argument]?.shape, varShape)
                for (x, y) in zip(b.gradients[argument]!.scalars, summed) {
                    XCTAssertEqual(x, y, accuracy: 1e-12 * max(1, abs(y)), "\(id) \(varShape)")
                }
                XCTAssertEqual(try run(third, .sum).scalar, try run(expanded, .sum).scalar, "\(id) \(varShape)")
            }
        }
    }

    func testGaussianNLLLogVarianceEqualsVarianceFormWhereNothingIsClamped() throws {
        let x = Tensor<Double>([0.5, -2, 3, 0]), y = Tensor<Double>([1, 1, 3, 4])
        let s = [-3, 0.5, 2, -0.25] as [Double]
        let a = try gaussianNegativeLogLikelihood(input: x, target: y, variance: Tensor(s), logVariance: true, full: true, reduction: .none)
        let b = try gaussianNegativeLogLikelihood(input: x, target: y, variance: Tensor(s.map { Double.exp($0) }), full: true, reduction: .none)
        for i in s.indices {
            XCTAssertEqual(a.value.scalars[i], b.value.scalars[i], accuracy: 1e-14)
            XCTAssertEqual(a.gradients[.input]!.scalars[i], b.gradients[.input]!.scalars[i], accuracy: 1e-13)
            // chain rule: ∂/∂s = ∂/∂var · e^s
            XCTAssertEqual(a.gradients[.variance]!.scalars[i], b.gradients[.variance]!.scalars[i] * Double.exp(s[i]), accuracy: 1e-13)
        }
    }

    func testGaussianNLLLogVarianceIsFiniteAtExtremes() throws {
        // s = −1e4: e^(−s) overflows; an exact fit still contributes ½s (0·inf would be NaN).
        let r = try gaussianNegativeLogLikelihood(
            input: Tensor<Float>([2, 1, 5]), target: Tensor([2, 1, -5]), variance: Tensor([-1e4, 1e4, 1e4]),
            logVariance: true, reduction: .none)
        assertFinite(r)
        XCTAssertEqual(r.value.scalars[0], -5e3)
        XCTAssertEqual(r.gradients[.variance]!.scalars[0], 0.5)
        XCTAssertEqual(r.gradients[.input]!.scalars[0], 0)
        XCTAssertEqual(r.value.scalars[1], 5e3)
    }

    func testGaussianNLLRejectsNegativeVarianceButNotNegativeLogVariance() throws {
        let x = Tensor<Double>([1, 2, 3])
        XCTAssertThrowsError(try gaussianNegativeLogLikelihood(input: x, target: x, variance: Tensor([1, -0.5, 2]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "var", value: -0.5, index: 1, expected: ">= 0"))
        }
        XCTAssertNoThrow(try gaussianNegativeLogLikelihood(input: x, target: x, variance: Tensor([1, -0.5, 2]), logVariance: true))
    }

    func testGaussianNLLRejectsVarianceShapesThatDoNotBroadcast() {
        let x = try! Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6] as [Float])
        // [3] (not input without its last dim), [2, 2], [1, 1] (two broadcast dims), [2, 3, 1] (rank)
        for shape in [[3], [2, 2], [1, 1], [2, 3, 1]] {
            let v = try! Tensor(shape: shape, repeating: Float(1))
            XCTAssertThrowsError(try gaussianNegativeLogLikelihood(input: x, target: x, variance: v), "\(shape)") { e in
                guard case .invalidShape(argument: "var", shape: shape, reason: _)? = e as? LossError else {
                    return XCTFail("\(e)")
                }
            }
        }
    }

    func testGaussianAndLaplaceNLLRejectNegativeEps() {
        let x = Tensor<Float>([1])
        XCTAssertThrowsError(try gaussianNegativeLogLikelihood(input: x, target: x, variance: x, eps: -1)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "eps", value: "-1.0", expected: ">= 0 and finite"))
        }
        XCTAssertThrowsError(try laplaceNegativeLogLikelihood(input: x, target: x, scale: x, eps: .infinity)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "eps", value: "inf", expected: ">= 0 and finite"))
        }
    }

    func testGaussianNLLWithBroadcastVarianceAboveTheParallelGrainIsDeterministic() throws {
        let n = Parallelism.grain + 1001
        let x = try Tensor(shape: [n, 2], scalars: (0..<(2 * n)).map { Float(($0 * 7) % 13) / 4 - 1 })
        let y = try Tensor(shape: [n, 2], repeating: Float(0.5))
        let v = try Tensor(shape: [n], scalars: (0..<n).map { Float($0 % 5) * 0.3 + 0.1 })
        let vFull = try Tensor(shape: [n, 2], scalars: v.scalars.flatMap { [$0, $0] })
        let saved = Parallelism.maximumThreads
        defer { Parallelism.maximumThreads = saved }
        Parallelism.maximumThreads = 1
        let one = try gaussianNegativeLogLikelihood(input: x, target: y, variance: vFull)
        Parallelism.maximumThreads = 0
        let many = try gaussianNegativeLogLikelihood(input: x, target: y, variance: vFull)
        XCTAssertEqual(one.scalar, many.scalar)  // blocked sums: bitwise equal whatever the thread count
        XCTAssertEqual(one.gradients[.variance], many.gradients[.variance])
        // the broadcast path sums in the same blocks and lanes as the fused one
        let broadcast = try gaussianNegativeLogLikelihood(input: x, target: y, variance: v)
        XCTAssertEqual(broadcast.scalar, one.scalar)
        XCTAssertEqual(try gaussianNegativeLogLikelihood(input: x, target: y, variance: v, wrt: []).scalar, one.scalar)
    }

    // MARK: laplace-nll

    func testLaplaceNLLWithUnitScaleIsTheL1Loss() throws {
        // log 1 = 0 and |e|/1 = |e|: the "NLL ↔ MAE" link, value and input/target gradients exactly.
        let x = Tensor<Float>([0.5, -2, 3, 1e4]), y = Tensor<Float>([1, 1, 3, 0])
        let lap = try laplaceNegativeLogLikelihood(input: x, target: y, scale: Tensor([1, 1, 1, 1]), reduction: .none)
        let l1 = try meanAbsoluteError(input: x, target: y, reduction: .none)
        XCTAssertEqual(lap.value, l1.value)
        XCTAssertEqual(lap.gradients[.input], l1.gradients[.input])
        XCTAssertEqual(lap.gradients[.target], l1.gradients[.target])
    }

    func testLaplaceNLLLogScaleEqualsScaleFormAndIsFiniteAtExtremes() throws {
        let x = Tensor<Double>([0.5, -2, 3]), y = Tensor<Double>([1, 1, 3])
        let s = [-1.5, 0.5, 2] as [Double]
        let a = try laplaceNegativeLogLikelihood(input: x, target: y, scale: Tensor(s), logScale: true, full: true, reduction: .none)
        let b = try laplaceNegativeLogLikelihood(input: x, target: y, scale: Tensor(s.map { Double.exp($0) }), full: true, reduction: .none)
        for i in s.indices {
            XCTAssertEqual(a.value.scalars[i], b.value.scalars[i], accuracy: 1e-14)
            XCTAssertEqual(a.gradients[.input]!.scalars[i], b.gradients[.input]!.scalars[i], accuracy: 1e-13)
            XCTAssertEqual(a.gradients[.scale]!.scalars[i], b.gradients[.scale]!.scalars[i] * Double.exp(s[i]), accuracy: 1e-13)
        }
        XCTAssertEqual(b.value.scalars[2], 2 + Double.log(2), accuracy: 1e-15)  // exact fit: log b + log 2 with b = e²
        let extreme = try laplaceNegativeLogLikelihood(
            input: Tensor<Float>([3, 1]), target: Tensor([3, -1]), scale: Tensor([-1e4, 1e4]), logScale: true, reduction: .none)
        assertFinite(extreme)
        XCTAssertEqual(extreme.value.scalars[0], -1e4)
        XCTAssertEqual(extreme.gradients[.scale]!.scalars[0], 1)
    }

    func testLaplaceNLLClampIsStraightThroughAndNegativeScaleIsAnError() throws {
        // b = 0.25 < eps = 0.5, e = 1: ∂/∂b = 1/b̂ − |e|/b̂² = 2 − 4 = −2, ∂/∂input = 1/b̂ = 2 (exact).
        let r = try laplaceNegativeLogLikelihood(
            input: Tensor<Double>([1]), target: Tensor([0]), scale: Tensor([0.25]), eps: 0.5, reduction: .sum)
        XCTAssertEqual(r.gradients[.scale]?.scalars, [-2])
        XCTAssertEqual(r.gradients[.input]?.scalars, [2])
        XCTAssertEqual(r.scalar!, Double.log(0.5) + 2, accuracy: 1e-15)
        XCTAssertThrowsError(try laplaceNegativeLogLikelihood(input: Tensor<Float>([1, 2]), target: Tensor([1, 2]), scale: Tensor([1, -2]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "scale", value: -2, index: 1, expected: ">= 0"))
        }
        XCTAssertThrowsError(try laplaceNegativeLogLikelihood(input: Tensor<Float>([1, 2]), target: Tensor([1, 2]), scale: Tensor([1, 1, 1]))) { e in
            guard case .invalidShape(argument: "scale", shape: [3], reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
    }

    // MARK: poisson-nll

    func testPoissonNLLZeroCountAtZeroRateIsZeroNotNaN() throws {
        // 0·log λ = 0 for a zero count even at λ = 0 (PyTorch: 0·(−inf) = NaN).
        let logInput = try poissonNegativeLogLikelihood(input: Tensor([-Float.infinity]), target: Tensor([0]), reduction: .sum)
        XCTAssertEqual(logInput.scalar, 0)
        XCTAssertEqual(logInput.gradients[.input]?.scalars, [0])
        let rate = try poissonNegativeLogLikelihood(input: Tensor<Double>([0]), target: Tensor([0]), logInput: false, eps: 0, reduction: .sum)
        XCTAssertEqual(rate.scalar, 0)
        XCTAssertEqual(rate.gradients[.input]?.scalars, [1])  // 1 − 0/λ with 0/0 read as 0
    }

    func testPoissonNLLStirlingTermAndItsGradientAreMaskedWhereTargetIsAtMostOne() throws {
        // Where target ≤ 1 the full loss equals the plain one, value and gradients; PyTorch's
        // autograd returns NaN for ∂/∂target at target ≤ 0, the masked term's 0 × inf.
        let x = Tensor<Double>([0.5, -1, 2, 0.3]), y = Tensor<Double>([0, 1, -2, 0.5])
        for logInput in [true, false] {
            let xi = logInput ? x : Tensor([0.5, 1, 2, 0.3])
            let full = try poissonNegativeLogLikelihood(input: xi, target: y, logInput: logInput, full: true, reduction: .none)
            let plain = try poissonNegativeLogLikelihood(input: xi, target: y, logInput: logInput, reduction: .none)
            XCTAssertEqual(full.value, plain.value)
            XCTAssertEqual(full.gradients[.target], plain.gradients[.target])
            assertFinite(full)
        }
        // Where target > 1 it adds t·log t − t + ½log(2πt): for t = e, that is ½log(2πe).
        let e = Double.exp(1)
        let a = try poissonNegativeLogLikelihood(input: Tensor([0.0]), target: Tensor([e]), full: true, reduction: .sum)
        let b = try poissonNegativeLogLikelihood(input: Tensor([0.0]), target: Tensor([e]), reduction: .sum)
        XCTAssertEqual(a.scalar! - b.scalar!, 0.5 * Double.log(2 * .pi * e), accuracy: 1e-14)
        XCTAssertEqual(a.gradients[.target]!.scalars[0] - b.gradients[.target]!.scalars[0], 1 + 1 / (2 * e), accuracy: 1e-14)
    }

    func testPoissonNLLRejectsNegativeRatesAndNegativeEps() {
        XCTAssertThrowsError(try poissonNegativeLogLikelihood(input: Tensor<Float>([1, -0.5]), target: Tensor([1, 1]), logInput: false)) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(
                argument: "input", value: -0.5, index: 1, expected: ">= -eps (a Poisson rate with log-input=false)"))
        }
        // a negative log-rate is fine
        XCTAssertNoThrow(try poissonNegativeLogLikelihood(input: Tensor<Float>([1, -0.5]), target: Tensor([1, 1])))
        XCTAssertThrowsError(try poissonNegativeLogLikelihood(input: Tensor<Float>([1]), target: Tensor([1]), eps: -1e-8)) { e in
            guard case .invalidOption(name: "eps", value: _, expected: ">= 0 and finite")? = e as? LossError else { return XCTFail("\(e)") }
        }
    }

    // MARK: Command line

    func testCommandLineOptionsReachTheLibrary() throws {
        let x: DynamicTensor = .float64(Tensor([0.5, 3, -1]))
        let y: DynamicTensor = .float64(Tensor([0, 0, 0]))
        let v: DynamicTensor = .float64(Tensor([0.25, 1, 2]))
        func value(_ id: String, _ inputs: [String: DynamicTensor], _ options: [String: String]) throws -> Double {
            try Evaluator.evaluate(id: id, inputs: inputs, options: options.merging(["reduction": "sum"]) { a, _ in a }).value.doubles[0]
        }
        let xy = ["input": x, "target": y]
        XCTAssertEqual(try value("huber", xy, ["delta": "2"]), try huberLoss(input: Tensor([0.5, 3, -1]), target: Tensor([0, 0, 0.0]), delta: 2, reduction: .sum).scalar)
        XCTAssertEqual(try value("smooth-l1", xy, ["beta": "0"]), try value("mae", xy, [:]))
        let g = ["input": x, "target": y, "var": v]
        XCTAssertNotEqual(try value("gaussian-nll", g, ["full": "true"]), try value("gaussian-nll", g, [:]))
        XCTAssertNotEqual(try value("gaussian-nll", g, ["eps": "0.5"]), try value("gaussian-nll", g, [:]))
        XCTAssertNotEqual(try value("gaussian-nll", g, ["log-var": "true"]), try value("gaussian-nll", g, [:]))
        let l = ["input": x, "target": y, "scale": v]
        XCTAssertNotEqual(try value("laplace-nll", l, ["log-scale": "true"]), try value("laplace-nll", l, [:]))
        XCTAssertNotEqual(try value("laplace-nll", l, ["full": "true"]), try value("laplace-nll", l, [:]))
        XCTAssertNotEqual(try value("laplace-nll", l, ["eps": "0.5"]), try value("laplace-nll", l, [:]))
        let p = ["input": v, "target": .float64(Tensor([0, 2, 3]))]
        XCTAssertNotEqual(try value("poisson-nll", p, ["log-input": "false"]), try value("poisson-nll", p, [:]))
        XCTAssertNotEqual(try value("poisson-nll", p, ["full": "true"]), try value("poisson-nll", p, [:]))
        XCTAssertNotEqual(try value("poisson-nll", p, ["log-input": "false", "eps": "1"]), try value("poisson-nll", p, ["log-input": "false"]))
        XCTAssertThrowsError(try value("gaussian-nll", g, ["full": "yes"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "full", value: "yes", expected: "true or false"))
        }
    }

    func testDocumentationExamplesHoldAsWritten() throws {
        let l1 = try meanAbsoluteError(input: Tensor<Float>([1, -2, 0]), target: Tensor([0, 0, 0]))
        XCTAssertEqual(l1.scalar, 1)
        XCTAssertEqual(l1.gradients[.input]?.scalars, [Float(1) / 3, -Float(1) / 3, 0])
        let x = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4] as [Float])
        let eu = try euclideanLoss(input: x, target: Tensor(shape: [2, 2], repeating: 0), reduction: .none)
        XCTAssertEqual(eu.value.scalars, [2.5, 12.5])
        let hu = try huberLoss(input: Tensor<Float>([0.5, 3]), target: Tensor([0, 0]), delta: 1, reduction: .none)
        XCTAssertEqual(hu.value.scalars, [0.125, 2.5])
        XCTAssertEqual(hu.gradients[.input]?.scalars, [0.5, 1])
        let sl = try smoothL1Loss(input: Tensor<Float>([0.5, 3]), target: Tensor([0, 0]), beta: 2, reduction: .none)
        XCTAssertEqual(sl.value.scalars, [0.0625, 2])
        XCTAssertEqual(sl.gradients[.input]?.scalars, [0.25, 1])
        let lc = try logCoshLoss(input: Tensor<Float>([1e4, 0.5]), target: Tensor([0, 0]), reduction: .none)
        XCTAssertEqual(lc.value.scalars[0], 9999.307, accuracy: 0.001)
        XCTAssertEqual(lc.value.scalars[1], 0.12011445, accuracy: 1e-7)  // log cosh 0.5
        XCTAssertEqual(lc.gradients[.input]!.scalars[1], 0.46211717, accuracy: 1e-7)  // tanh 0.5
        let ms = try meanSquaredLogarithmicError(input: Tensor<Float>([3]), target: Tensor([1]))
        XCTAssertEqual(ms.scalar!, 0.480453, accuracy: 1e-6)
        XCTAssertEqual(ms.gradients[.input]!.scalars[0], 0.34657359, accuracy: 1e-7)
        let mp = try meanAbsolutePercentageError(input: Tensor<Float>([90, 110]), target: Tensor([100, 100]))
        XCTAssertEqual(mp.scalar, 10)
        XCTAssertEqual(mp.gradients[.input]?.scalars, [-0.5, 0.5])
        let ga = try gaussianNegativeLogLikelihood(input: Tensor<Float>([0, 1]), target: Tensor([1, 1]), variance: Tensor([1, 4]), reduction: .none)
        XCTAssertEqual(ga.value.scalars[0], 0.5)
        XCTAssertEqual(ga.value.scalars[1], 0.6931472, accuracy: 1e-7)
        XCTAssertEqual(ga.gradients[.variance]?.scalars, [0, 0.125])
        let la = try laplaceNegativeLogLikelihood(input: Tensor<Float>([0, 1]), target: Tensor([1, 1]), scale: Tensor([1, 2]), reduction: .none)
        XCTAssertEqual(la.value.scalars[0], 1)
        XCTAssertEqual(la.value.scalars[1], 0.6931472, accuracy: 1e-7)
        XCTAssertEqual(la.gradients[.scale]?.scalars, [0, 0.5])
        let po = try poissonNegativeLogLikelihood(input: Tensor<Float>([0, 1]), target: Tensor([1, 2]), reduction: .none)
        XCTAssertEqual(po.value.scalars[0], 1)
        XCTAssertEqual(po.value.scalars[1], 0.7182817, accuracy: 1e-6)
        XCTAssertEqual(po.gradients[.input]!.scalars[0], 0)
        XCTAssertEqual(po.gradients[.input]!.scalars[1], 0.7182817, accuracy: 1e-6)
    }
}

// MARK: - Helpers

/// Valid inputs for a regression loss id, by name (positive var/scale, msle values > −1, counts).
private func sampleInputs<T: LossScalar>(_ id: String, shape: [Int], _: T.Type, seed: UInt64) -> [String: DynamicTensor] {
    var rng = SplitMix64(state: seed)
    let count = shape.reduce(1, *)
    func make(_ f: (inout SplitMix64) -> Double) -> DynamicTensor {
        DynamicTensor(try! Tensor(shape: shape, scalars: (0..<count).map { _ in T(f(&rng)) }))
    }
    switch id {
    case "msle":
        return ["input": make { $0.uniform(-0.9, 4) }, "target": make { $0.uniform(-0.9, 4) }]
    case "mape":
        return ["input": make { $0.uniform(-2, 2) }, "target": make { r in (r.unit() < 0.5 ? -1 : 1) * r.uniform(0.5, 2) }]
    case "poisson-nll":
        return ["input": make { $0.uniform(-2, 2) }, "target": make { ($0.uniform(0, 6)).rounded(.down) }]
    case "gaussian-nll":
        return ["input": make { $0.uniform(-2, 2) }, "target": make { $0.uniform(-2, 2) }, "var": make { $0.uniform(0.1, 2) }]
    case "laplace-nll":
        return ["input": make { $0.uniform(-2, 2) }, "target": make { $0.uniform(-2, 2) }, "scale": make { $0.uniform(0.1, 2) }]
    default:
        return ["input": make { $0.uniform(-3, 3) }, "target": make { $0.uniform(-3, 3) }]
    }
}

/// none summed = sum; mean = sum / count (N for euclidean).
private func sumNoneMeanAgree<T: LossScalar>(_ id: String, _: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    let inputs = sampleInputs(id, shape: [4, 5], T.self, seed: 11)
    let none = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "none"])
    let sum = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "sum"]).value.doubles[0]
    let mean = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "mean"]).value.doubles[0]
    let tolerance = (T.self == Float.self ? 1e-5 : 1e-13) * max(1, abs(sum))
    XCTAssertEqual(none.value.doubles.reduce(0, +), sum, accuracy: tolerance, "\(id) \(T.self)", file: file, line: line)
    XCTAssertEqual(mean * (id == "euclidean" ? 4 : 20), sum, accuracy: tolerance, "\(id) \(T.self)", file: file, line: line)
    // the gradients of none are those of sum
    let s = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "sum"])
    for (a, b) in zip(none.gradients, s.gradients) { XCTAssertEqual(a.tensor.doubles, b.tensor.doubles, id, file: file, line: line) }
}

/// Errors of ±1e4 (and var/scale spanning 1e-4…1e4) give finite values and gradients.
private func assertFiniteAtExtremes<T: LossScalar>(_ id: String, _: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    var inputs = sampleInputs(id, shape: [1, 6], T.self, seed: 5)
    let x: [T] = [1e4, -1e4, 1e4, 0, 5e3, -3]
    let y: [T] = id == "msle" ? [0, 1e4, 1e-3, 1e4, 0, 0] : [-1e4, 1e4, 1e4, 1e4, -5e3, 0]
    inputs["input"] = DynamicTensor(try Tensor(shape: [1, 6], scalars: id == "msle" ? x.map { abs($0) } : x))
    inputs["target"] = DynamicTensor(try Tensor(shape: [1, 6], scalars: y))
    if inputs["var"] != nil { inputs["var"] = DynamicTensor(try Tensor(shape: [1, 6], scalars: [1e-4, 1e4, 1, 0, 1e4, 1e-4] as [T])) }
    if inputs["scale"] != nil { inputs["scale"] = DynamicTensor(try Tensor(shape: [1, 6], scalars: [1e-4, 1e4, 1, 0, 1e4, 1e-4] as [T])) }
    try assertEvaluationIsFinite(id, inputs: inputs, "\(T.self)", file: file, line: line)
}

private func huberIsDeltaTimesSmoothL1<T: LossScalar>(_: T.Type) throws {
    let x = Tensor<T>([-3, -0.5, 0, 0.25, 1, 2, 7, 1e4, -1e4])
    let y = Tensor<T>([0, 0, 0, 0, 0, 0, 1, 0, 0])
    for delta: T in [0.5, 1, 2, 4] {
        let h = try huberLoss(input: x, target: y, delta: delta, reduction: .none)
        let s = try smoothL1Loss(input: x, target: y, beta: delta, reduction: .none)
        for i in 0..<x.count {
            let expected = delta * s.value.scalars[i]
            XCTAssertEqual(h.value.scalars[i], expected, accuracy: 4 * expected.ulp, "δ = \(delta), i = \(i)")
            XCTAssertEqual(h.gradients[.input]!.scalars[i], delta * s.gradients[.input]!.scalars[i], accuracy: 2 * delta.ulp)
        }
    }
}
