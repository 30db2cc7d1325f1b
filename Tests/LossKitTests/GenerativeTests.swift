import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Family G (generative models). The reference values come from scripts/fixtures/generative.py
/// (PyTorch formulas in float64, kornia 0.9 for total variation); the tests here pin the edge
/// cases, properties and errors of LOSSES.md.
final class GenerativeTests: XCTestCase {
    // MARK: Reference and finite differences

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("generative"), 120)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("generative"), 1000)
    }

    func testEveryGenerativeIdResolves() {
        XCTAssertEqual(Catalog.generative.map { $0.id }, ["gan", "gradient-penalty", "perceptual", "style", "total-variation"])
        for entry in Catalog.generative { XCTAssertNotNil(Catalog.entry(named: entry.id), entry.id) }
    }

    // MARK: Sweeps over every generative loss (Float and Double)

    func testSumOfNoneEqualsSumAndMeanIsSumOverTheBatch() throws {
        for id in generativeIDs {
            try noneSumMeanAgree(id, Float.self)
            try noneSumMeanAgree(id, Double.self)
        }
    }

    func testValueOnlyCallComputesNoGradients() throws {
        for id in generativeIDs {
            let out = try Evaluator.evaluate(id: id, inputs: sampleInputs(id, Double.self, seed: 5), options: [:], gradients: ["none"])
            XCTAssertTrue(out.gradients.isEmpty, id)
        }
        let r = try ganLoss(input: Tensor<Float>([1, 2]), real: Tensor([0, 1]), wrt: [.real])
        XCTAssertEqual(Set(r.gradients.keys), [.real])
    }

    func testBatchmeanIsRejectedByEveryLoss() throws {
        for id in generativeIDs {
            XCTAssertThrowsError(try Evaluator.evaluate(
                id: id, inputs: sampleInputs(id, Float.self, seed: 2), options: ["reduction": "batchmean"])
            ) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"), id)
            }
        }
    }

    func testEmptyBatchGivesNaNMeanAndZeroSumForEveryLoss() throws {
        for id in generativeIDs {
            let inputs = sampleInputs(id, Double.self, seed: 1, batch: 0)
            let m = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "mean"])
            XCTAssertTrue(m.value.doubles[0].isNaN, "\(id): mean of nothing")
            let s = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "sum"])
            XCTAssertEqual(s.value.doubles, [0], id)
            for g in s.gradients { XCTAssertEqual(g.tensor.shape, inputs[g.name]?.shape, "\(id) grad.\(g.name)") }
        }
    }

    func testExtremeFiniteInputsGiveFiniteValuesAndGradients() throws {
        for id in generativeIDs {
            try assertFiniteAtExtremes(id, Float.self)
            try assertFiniteAtExtremes(id, Double.self)
        }
    }

    // MARK: gan

    func testNonSaturatingDiscriminatorIsBCEWithLogitsOfRealAsOneAndFakeAsZero() throws {
        try discriminatorIsBCE(Float.self)
        try discriminatorIsBCE(Double.self)
    }

    func testMinimaxGameIsZeroSum() throws {
        // D's loss + the minimax generator's loss = softplus(−real): the fake term is shared with
        // opposite signs, so its gradients with respect to the fake scores cancel exactly.
        let x = Tensor<Double>([-3, -0.5, 0, 1.25, 7]), r = Tensor<Double>([2, -1, 0.5, 0, -4])
        let d = try ganLoss(input: x, real: r, objective: .minimax, reduction: .none)
        let g = try ganLoss(input: x, objective: .minimax, side: .generator, reduction: .none)
        let realTerm = try binaryCrossEntropyWithLogits(input: r, target: Tensor(shape: [5], repeating: 1), reduction: .none)
        for i in 0..<5 {
            XCTAssertEqual(d.value.scalars[i] + g.value.scalars[i], realTerm.value.scalars[i], accuracy: 1e-14)
            XCTAssertEqual(d.gradients[.input]!.scalars[i] + g.gradients[.input]!.scalars[i], 0, accuracy: 1e-16)
        }
    }

    func testNonSaturatingGeneratorIsMinimaxGeneratorMirrored() throws {
        // softplus(−x) = softplus(x) − x, so non-saturating = −minimax − x, and the gradients differ by −1.
        for x in [Tensor<Double>([-20, -2, -0.25, 0, 0.5, 3, 40]), Tensor<Double>([1e-8, -1e-8])] {
            let ns = try ganLoss(input: x, objective: .nonSaturating, side: .generator, reduction: .none)
            let mm = try ganLoss(input: x, objective: .minimax, side: .generator, reduction: .none)
            for i in 0..<x.count {
                XCTAssertEqual(ns.value.scalars[i], -mm.value.scalars[i] - x.scalars[i], accuracy: 1e-13)
                XCTAssertEqual(ns.gradients[.input]!.scalars[i], -mm.gradients[.input]!.scalars[i] - 1, accuracy: 1e-15)
            }
        }
    }

    func testMinimaxGeneratorSaturatesWhereNonSaturatingDoesNot() throws {
        // A discriminator that confidently rejects the fakes (logit −1e4): the minimax generator's
        // gradient vanishes, the non-saturating one's is −1 (why the latter is used in practice).
        for T in [Float.self, Double.self] as [any LossScalar.Type] { try saturation(T) }
    }

    func testSaturatedAndInfiniteScoresGiveTheLimits() throws {
        try infiniteScores(Float.self)
        try infiniteScores(Double.self)
    }

    func testHingeAndLeastSquaresAndWassersteinDiscriminatorsMatchTheirFormulas() throws {
        // Exact in binary floating point: every value below is a small dyadic rational.
        let x = Tensor<Double>([-1.5, -1, 0.5]), r = Tensor<Double>([0.5, 1, 2])
        let hinge = try ganLoss(input: x, real: r, objective: .hinge, reduction: .none)
        XCTAssertEqual(hinge.value.scalars, [0.5, 0, 1.5])  // relu(1 − r) + relu(1 + x)
        XCTAssertEqual(hinge.gradients[.input]?.scalars, [0, 0, 1])  // no gradient at the kink 1 + x = 0
        XCTAssertEqual(hinge.gradients[.real]?.scalars, [-1, 0, 0])
        let ls = try ganLoss(input: x, real: r, objective: .leastSquares, reduction: .none)
        XCTAssertEqual(ls.value.scalars, [1.25, 0.5, 0.625])  // ½[(r − 1)² + x²]
        XCTAssertEqual(ls.gradients[.real]?.scalars, [-0.5, 0, 1])
        let w = try ganLoss(input: x, real: r, objective: .wasserstein, reduction: .sum)
        XCTAssertEqual(w.scalar, -5.5)  // Σ(x − r)
        XCTAssertEqual(w.gradients[.input]?.scalars, [1, 1, 1])
        XCTAssertEqual(w.gradients[.real]?.scalars, [-1, -1, -1])
        let g = try ganLoss(input: x, objective: .hinge, side: .generator, reduction: .mean)
        XCTAssertEqual(g.scalar!, 2.0 / 3.0, accuracy: 1e-15)  // mean(−x)
        XCTAssertEqual(g.gradients[.input]?.scalars, [-1.0 / 3, -1.0 / 3, -1.0 / 3])
    }

    func testGeneratorIgnoresRealAndGivesItAZeroGradient() throws {
        let x = Tensor<Float>([0.5, -2]), r = Tensor<Float>([3, 1])
        let with = try ganLoss(input: x, real: r, side: .generator)
        let without = try ganLoss(input: x, side: .generator)
        XCTAssertEqual(with.value, without.value)
        XCTAssertEqual(with.gradients[.input], without.gradients[.input])
        XCTAssertEqual(with.gradients[.real]?.scalars, [0, 0])
    }

    func testDiscriminatorWithoutRealThrowsMissingArgument() throws {
        XCTAssertThrowsError(try ganLoss(input: Tensor<Float>([1, 2]))) { e in
            guard case .missingArgument(name: "real", reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
        // the same through the command-line path (real is an optional input of the entry)
        XCTAssertThrowsError(try Evaluator.evaluate(
            id: "gan", inputs: ["input": .float64(Tensor([1, 2] as [Double]))], options: ["objective": "hinge"])
        ) { e in
            guard case .missingArgument(name: "real", reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
    }

    func testRealOfAnotherShapeThrowsShapeMismatch() {
        XCTAssertThrowsError(try ganLoss(input: Tensor<Double>([1, 2, 3]), real: Tensor([1, 2]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "real", expected: [3], actual: [2]))
        }
    }

    func testUnknownObjectiveAndSideAreRejectedByName() {
        let x = DynamicTensor.float32(Tensor([1, 2] as [Float]))
        XCTAssertThrowsError(try Evaluator.evaluate(id: "gan", inputs: ["input": x, "real": x], options: ["objective": "relativistic"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(
                name: "objective", value: "relativistic",
                expected: "one of non-saturating, minimax, least-squares, hinge, wasserstein"))
        }
        XCTAssertThrowsError(try Evaluator.evaluate(id: "gan", inputs: ["input": x], options: ["side": "critic"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "side", value: "critic", expected: "one of discriminator, generator"))
        }
    }

    // MARK: gradient-penalty

    func testWGANGPOfAZeroGradientRowIsWeightWithAZeroGradient() throws {
        try zeroRow(Float.self)
        try zeroRow(Double.self)
    }

    func testWGANGPIsZeroForUnitNormRowsAndMatchesHandValues() throws {
        // Rows [0.6, 0.8] (norm 1) and [3, 4] (norm 5): ℓ = 10·[0, 16], mean 80.
        let g = try Tensor(shape: [2, 2], scalars: [0.6, 0.8, 3, 4] as [Double])
        let r = try gradientPenalty(input: g)
        XCTAssertEqual(r.scalar!, 80, accuracy: 1e-12)
        // ∂/∂g = 2λ(‖g‖ − 1)·g/‖g‖ / N: row 2 → 2·10·4·[0.6, 0.8]/2
        let grad = r.gradients[.input]!.scalars
        for (a, b) in zip(grad, [0, 0, 24, 32] as [Double]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    func testR1IsHalfTheWeightTimesTheSquaredNorm() throws {
        let g = try Tensor(shape: [2, 3], scalars: [1, 2, 2, 0, 3, 4] as [Float])
        let r = try gradientPenalty(input: g, kind: .r1, weight: 2, reduction: .none)
        XCTAssertEqual(r.value.scalars, [9, 25])  // (2/2)·‖g‖²
        XCTAssertEqual(r.gradients[.input]?.scalars, g.scalars.map { 2 * $0 })  // λ·g
    }

    func testTinyAndHugeGradientRowsKeepTheirDirection() throws {
        // In Float the squares of 1e-30 underflow and those of 1e25 overflow; the rescaled norm
        // keeps ‖g‖ exact, so the wgan-gp gradient is −2λ·g/‖g‖ (tiny) and ≈ 2λ‖g‖·g/‖g‖ (huge).
        let base: [Double] = [0.36, -0.48, 0, 0.8]  // norm 1 after ×(5/5): 0.36² + 0.48² + 0.8² = 1
        for factor in [1e-30, 1e25, 1e-40] {
            let row = base.map { Float($0 * factor) }
            let r = try gradientPenalty(input: Tensor(shape: [1, 4], scalars: row), reduction: .sum)
            let norm = sqrt(row.map { Double($0) * Double($0) }.reduce(0, +))
            let grad = try XCTUnwrap(r.gradients[.input]).scalars
            for i in 0..<4 {
                let expected = 2 * 10 * (norm - 1) * Double(row[i]) / norm
                XCTAssertEqual(Double(grad[i]), expected, accuracy: 1e-5 * abs(expected) + 1e-30, "×\(factor)[\(i)]")
            }
            let value = 10 * (norm - 1) * (norm - 1)  // 1e51 for the huge row: beyond Float, so +inf
            if value > Double(Float.greatestFiniteMagnitude) { XCTAssertEqual(r.scalar, .infinity) }
            else { XCTAssertEqual(Double(r.scalar!), value, accuracy: 1e-5 * value) }
        }
    }

    func testRowsWithoutElementsHaveNormZero() throws {
        let empty = try Tensor<Double>(shape: [3, 0], scalars: [])
        let w = try gradientPenalty(input: empty, reduction: .none)
        XCTAssertEqual(w.value.scalars, [10, 10, 10])
        XCTAssertEqual(w.gradients[.input]?.shape, [3, 0])
        XCTAssertEqual(try gradientPenalty(input: empty, kind: .r1).scalar, 0)
    }

    func testGradientPenaltyRejectsInvalidWeightAndScalarInput() {
        for bad in [-1.0, .nan, .infinity] {
            XCTAssertThrowsError(try gradientPenalty(input: Tensor<Double>([1, 2]), weight: bad)) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "weight", value: "\(bad)", expected: "a finite number >= 0"))
            }
        }
        XCTAssertThrowsError(try gradientPenalty(input: Tensor<Float>(1))) { e in
            guard case .invalidShape(argument: "input", shape: [], reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try Evaluator.evaluate(
            id: "gradient-penalty", inputs: ["input": .float32(Tensor([1, 2] as [Float]))], options: ["kind": "r2"])
        ) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "kind", value: "r2", expected: "one of wgan-gp, r1"))
        }
    }

    // MARK: perceptual

    func testPerceptualDistanceOfIdenticalFeaturesIsZero() throws {
        let x = try randomTensor([2, 3, 2, 5], seed: 3, Float.self)
        for distance in PerceptualDistance.allCases {
            let r = try perceptualLoss(input: x, target: x, weight: Tensor([1, 2, 3]), distance: distance)
            XCTAssertEqual(r.value.scalars, [0, 0])
            XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy { $0 == 0 }, "\(distance)")
        }
    }

    func testNormalizedPerceptualDistanceIgnoresTheScaleOfTheFeatures() throws {
        // x̂ = x/(‖x‖ + ε) does not change when x is multiplied by k > 0 (up to ε/‖x‖), and
        // the gradient is divided by k.
        let x = try randomTensor([2, 4, 3, 3], seed: 8, Double.self), y = try randomTensor([2, 4, 3, 3], seed: 9, Double.self)
        let r = try perceptualLoss(input: x, target: y)
        let scaled = try perceptualLoss(input: Tensor(shape: x.shape, scalars: x.scalars.map { 7 * $0 }), target: y)
        for (a, b) in zip(r.value.scalars, scaled.value.scalars) { XCTAssertEqual(a, b, accuracy: 1e-9) }
        for (a, b) in zip(r.gradients[.input]!.scalars, scaled.gradients[.input]!.scalars) { XCTAssertEqual(a, 7 * b, accuracy: 1e-9) }
    }

    func testPerceptualGradientAtAZeroFeatureVectorIsTheFiniteLimit() throws {
        // Position 0 of the input is 0 in every channel: x̂ = x/ε there, so ∂d/∂x = a/ε with
        // a = 2(0 − ŷ)/M (PyTorch's sqrt backward gives NaN).
        try zeroFeatureVector(Float.self)
        try zeroFeatureVector(Double.self)
    }

    func testMultiLayerPerceptualLossIsTheWeightedSumOfTheLayers() throws {
        let a = PerceptualLayer(
            input: try randomTensor([2, 3, 2, 2], seed: 1, Double.self), target: try randomTensor([2, 3, 2, 2], seed: 2, Double.self),
            weight: Tensor([0.5, 1, 2]), layerWeight: 0.25)
        let b = PerceptualLayer(
            input: try randomTensor([2, 5, 3], seed: 3, Double.self), target: try randomTensor([2, 5, 3], seed: 4, Double.self),
            layerWeight: 2)
        for reduction in [Reduction.none, .mean, .sum] {
            let total = try perceptualLoss(layers: [a, b], distance: .l1, reduction: reduction)
            let ra = try perceptualLoss(input: a.input, target: a.target, weight: a.weight, distance: .l1, reduction: reduction)
            let rb = try perceptualLoss(input: b.input, target: b.target, distance: .l1, reduction: reduction)
            for i in 0..<total.value.count {
                XCTAssertEqual(total.value.scalars[i], 0.25 * ra.value.scalars[i] + 2 * rb.value.scalars[i], accuracy: 1e-13)
            }
            XCTAssertEqual(total.inputGradients.count, 2)
            for (g, h) in zip(total.inputGradients[0].scalars, ra.gradients[.input]!.scalars) { XCTAssertEqual(g, 0.25 * h, accuracy: 1e-13) }
            for (g, h) in zip(total.inputGradients[1].scalars, rb.gradients[.input]!.scalars) { XCTAssertEqual(g, 2 * h, accuracy: 1e-13) }
        }
        XCTAssertTrue(try perceptualLoss(layers: [a, b], wrt: []).inputGradients.isEmpty)
    }

    func testMultiLayerPerceptualLossRejectsNoLayersAndMismatchedBatches() throws {
        XCTAssertThrowsError(try perceptualLoss(layers: [PerceptualLayer<Float>]())) { e in
            guard case .missingArgument(name: "layers", reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
        let a = PerceptualLayer(input: try randomTensor([2, 3, 2], seed: 1, Float.self), target: try randomTensor([2, 3, 2], seed: 2, Float.self))
        let b = PerceptualLayer(input: try randomTensor([3, 4], seed: 1, Float.self), target: try randomTensor([3, 4], seed: 2, Float.self))
        XCTAssertThrowsError(try perceptualLoss(layers: [a, b])) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "layers[1].input", expected: [2, 4], actual: [3, 4]))
        }
        let c = PerceptualLayer(input: a.input, target: b.target)
        XCTAssertThrowsError(try perceptualLoss(layers: [a, c])) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "layers[1].target", expected: [2, 3, 2], actual: [3, 4]))
        }
    }

    func testPerceptualRejectsBadWeightAndRank() throws {
        let x = try randomTensor([2, 3, 2, 2], seed: 1, Double.self)
        XCTAssertThrowsError(try perceptualLoss(input: x, target: x, weight: Tensor([1, 2]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "weight", expected: [3], actual: [2]))
        }
        XCTAssertThrowsError(try perceptualLoss(input: Tensor<Double>([1, 2]), target: Tensor([1, 2]))) { e in
            guard case .invalidShape(argument: "input", shape: [2], reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try Evaluator.evaluate(
            id: "perceptual", inputs: ["input": .float64(x), "target": .float64(x)], options: ["distance": "cosine"])
        ) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "distance", value: "cosine", expected: "one of l2, l1"))
        }
        XCTAssertThrowsError(try Evaluator.evaluate(
            id: "perceptual", inputs: ["input": .float64(x), "target": .float64(x)], options: ["normalize": "yes"])
        ) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "normalize", value: "yes", expected: "true or false"))
        }
    }

    func testPerceptualOverManySamplesMatchesSampleBySample() throws {
        // Enough samples to split the batch over threads; each sample must be computed as alone.
        try matchesSampleBySample([40, 8, 12, 12]) { x, y, r in
            try perceptualLoss(input: x, target: y, weight: Tensor((0..<8).map { 0.25 * Double($0 + 1) }), reduction: r)
        }
    }

    // MARK: style

    func testStyleLossOfIdenticalFeaturesIsZero() throws {
        let x = try randomTensor([2, 5, 3, 4], seed: 11, Float.self)
        let r = try styleLoss(input: x, target: x, reduction: .none)
        XCTAssertEqual(r.value.scalars, [0, 0])
        XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy { $0 == 0 })
    }

    func testStyleLossIgnoresWhereFeaturesAre() throws {
        // The Gram matrix sums over positions: permuting the positions of the input changes
        // neither the loss nor (permuted back) its gradient.
        let (c, m) = (3, 6)
        let x = try randomTensor([1, c, m], seed: 12, Double.self), y = try randomTensor([1, c, m], seed: 13, Double.self)
        let permutation = [4, 0, 5, 2, 1, 3]
        let xp = try Tensor(shape: [1, c, m], scalars: (0..<c).flatMap { ch in permutation.map { x.scalars[ch * m + $0] } })
        let r = try styleLoss(input: x, target: y), rp = try styleLoss(input: xp, target: y)
        XCTAssertEqual(r.scalar!, rp.scalar!, accuracy: 1e-14)
        for ch in 0..<c {
            for (j, p) in permutation.enumerated() {
                XCTAssertEqual(rp.gradients[.input]!.scalars[ch * m + j], r.gradients[.input]!.scalars[ch * m + p], accuracy: 1e-14)
            }
        }
    }

    func testStyleLossWithManyChannelsMatchesTheGramFormula() throws {
        // Large enough for the blocked multiply's panels (C = 37, M = 70), checked against the
        // formula computed with plain loops in Double.
        let (n, c, m) = (2, 37, 70)
        for T in [Float.self, Double.self] as [any LossScalar.Type] {
            try gramFormula(T, n: n, c: c, m: m)
        }
    }

    func testStyleLossRejectsMismatchedTargetAndEmptyChannels() throws {
        XCTAssertThrowsError(try styleLoss(input: randomTensor([2, 3, 4], seed: 1, Float.self), target: randomTensor([2, 4, 3], seed: 1, Float.self))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [2, 3, 4], actual: [2, 4, 3]))
        }
        let empty = try Tensor<Float>(shape: [2, 0, 3], scalars: [])
        XCTAssertThrowsError(try styleLoss(input: empty, target: empty)) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "input", shape: [2, 0, 3], reason: "the channel dimension is empty"))
        }
        XCTAssertThrowsError(try styleLoss(input: Tensor<Float>([1]), target: Tensor<Float>([1]))) { e in
            guard case .invalidShape(argument: "input", shape: [1], reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
    }

    // MARK: total-variation

    func testTotalVariationOfAConstantImageIsZero() throws {
        for T in [Float.self, Double.self] as [any LossScalar.Type] { try constantImage(T) }
    }

    func testTotalVariationCountsEveryAdjacentDifferenceOnce() throws {
        // x = [[0, 1], [3, 3]]: vertical |3 − 0| + |3 − 1|, horizontal |1 − 0| + |3 − 3| = 6;
        // ∂/∂x = [−1 − 1, −1 + 1, 1 − 0, 1 + 0] (sign(0) = 0 for the tie).
        let x = try Tensor(shape: [1, 1, 2, 2], scalars: [0, 1, 3, 3] as [Double])
        let r = try totalVariationLoss(input: x)
        XCTAssertEqual(r.scalar, 6)
        XCTAssertEqual(r.gradients[.input]?.scalars, [-2, 0, 1, 1])
    }

    func testTotalVariationIsUnchangedByABrightnessShiftAndScalesWithContrast() throws {
        let x = try randomTensor([2, 3, 5, 11], seed: 21, Double.self)
        let r = try totalVariationLoss(input: x, reduction: .none)
        let shifted = try totalVariationLoss(input: Tensor(shape: x.shape, scalars: x.scalars.map { $0 + 0.5 }), reduction: .none)
        let doubled = try totalVariationLoss(input: Tensor(shape: x.shape, scalars: x.scalars.map { 2 * $0 }), reduction: .none)
        for i in 0..<2 {
            XCTAssertEqual(shifted.value.scalars[i], r.value.scalars[i], accuracy: 1e-12)
            XCTAssertEqual(doubled.value.scalars[i], 2 * r.value.scalars[i], accuracy: 1e-12)
        }
        XCTAssertEqual(doubled.gradients[.input], r.gradients[.input])  // signs only
    }

    func testTotalVariationOverManySamplesMatchesSampleBySample() throws {
        try matchesSampleBySample([30, 3, 20, 23]) { x, _, r in try totalVariationLoss(input: x, reduction: r) }
    }

    func testTotalVariationOfAnInfinitePixelIsInfinite() throws {
        let x = try Tensor(shape: [1, 1, 2, 2], scalars: [0, .infinity, 1, 2] as [Float])
        let r = try totalVariationLoss(input: x)
        XCTAssertEqual(r.scalar, .infinity)
        XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy(\.isFinite))
    }

    func testTotalVariationRequiresRankFour() {
        XCTAssertThrowsError(try totalVariationLoss(input: Tensor(shape: [3, 4, 4], repeating: Float(0)))) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "input", shape: [3, 4, 4], reason: "expected rank 4, got rank 3"))
        }
    }

    // MARK: documentation examples

    func testDocumentationExamplesGiveTheDocumentedOutputs() throws {
        let fake = Tensor([-1, 2] as [Double]), real = Tensor([3, 0] as [Double])
        let d = try ganLoss(input: fake, real: real)
        XCTAssertEqual(d.scalar!, 1.5909621153474416, accuracy: 1e-15)
        assertEqual(d.gradients[.input]!.scalars, [0.13447071068499755, 0.4403985389889412])
        assertEqual(d.gradients[.real]!.scalars, [-0.023712936588783394, -0.25])
        XCTAssertEqual(try ganLoss(input: fake, side: .generator).scalar!, 0.7200948492805976, accuracy: 1e-15)

        let g = try gradientPenalty(input: Tensor(shape: [2, 2], scalars: [3, 4, 0, 0] as [Double]))
        XCTAssertEqual(g.scalar, 85)
        XCTAssertEqual(g.gradients[.input]?.scalars, [24, 32, 0, 0])

        let px = try Tensor(shape: [1, 2, 1, 1], scalars: [3, 4] as [Double])
        let py = try Tensor(shape: [1, 2, 1, 1], scalars: [1, 0] as [Double])
        let p = try perceptualLoss(input: px, target: py)
        assertEqual(p.value.scalars, [0.799999999904])
        assertEqual(p.gradients[.input]!.scalars, [-0.25599999996736, 0.19199999997952])
        let a = PerceptualLayer(input: px, target: py)
        let b = PerceptualLayer(
            input: try Tensor(shape: [1, 1, 1, 2], scalars: [1, -1] as [Double]),
            target: try Tensor(shape: [1, 1, 1, 2], scalars: [1, 1]), layerWeight: 0.5)
        assertEqual(try perceptualLoss(layers: [a, b]).value.scalars, [1.799999999704])

        let s = try styleLoss(
            input: Tensor(shape: [1, 2, 1, 1], scalars: [1, 2] as [Double]), target: Tensor(shape: [1, 2, 1, 1], scalars: [0, 1]))
        XCTAssertEqual(s.scalar, 1.125)
        XCTAssertEqual(s.gradients[.input]?.scalars, [1.25, 2])
    }
}

// MARK: - Helpers

private let generativeIDs = ["gan", "gradient-penalty", "perceptual", "style", "total-variation"]

private func assertEqual(_ a: [Double], _ b: [Double], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-14 * max(1, abs(y)), file: file, line: line) }
}

/// Deterministic pseudo-random values in [−1.5, 1.5) from the shared `SplitMix64` (the tests
/// need varied values, not a particular distribution).
private func randomScalars<T: LossScalar>(_ count: Int, seed: Int, _: T.Type) -> [T] {
    var rng = SplitMix64(state: UInt64(truncatingIfNeeded: seed))
    return (0..<count).map { _ in T(rng.uniform(-1.5, 1.5)) }
}

private func randomTensor<T: LossScalar>(_ shape: [Int], seed: Int, _: T.Type) throws -> Tensor<T> {
    try Tensor(shape: shape, scalars: randomScalars(shape.reduce(1, *), seed: seed, T.self))
}

/// Inputs of loss `id` for `losskit eval`, with a batch of `batch` samples.
private func sampleInputs<T: LossScalar>(_ id: String, _: T.Type, seed: Int, batch: Int = 3) -> [String: DynamicTensor] {
    func t(_ shape: [Int], _ s: Int) -> DynamicTensor { DynamicTensor(try! randomTensor(shape, seed: s, T.self)) }
    switch id {
    case "gan": return ["input": t([batch], seed), "real": t([batch], seed + 1)]
    case "gradient-penalty": return ["input": t([batch, 2, 3], seed)]
    case "perceptual": return ["input": t([batch, 3, 2, 3], seed), "target": t([batch, 3, 2, 3], seed + 1)]
    case "style": return ["input": t([batch, 3, 2, 3], seed), "target": t([batch, 3, 2, 3], seed + 1)]
    default: return ["input": t([batch, 2, 3, 4], seed)]
    }
}

/// none summed = sum, mean = sum / N, and the mean's gradients = the sum's / N.
private func noneSumMeanAgree<T: LossScalar>(_ id: String, _: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    let inputs = sampleInputs(id, T.self, seed: 7)
    let none = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "none"])
    let sum = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "sum"])
    let mean = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "mean"])
    let tol = T.self == Float.self ? 1e-5 : 1e-12
    XCTAssertEqual(none.value.shape, [3], id, file: file, line: line)
    let s = sum.value.doubles[0]
    XCTAssertEqual(none.value.doubles.reduce(0, +), s, accuracy: tol * max(1, abs(s)), id, file: file, line: line)
    XCTAssertEqual(mean.value.doubles[0], s / 3, accuracy: tol * max(1, abs(s)), id, file: file, line: line)
    for ((g, h), k) in zip(zip(sum.gradients, mean.gradients), none.gradients) {
        XCTAssertEqual(g.tensor.doubles, k.tensor.doubles, "\(id) grad.\(g.name): none and sum", file: file, line: line)
        for (a, b) in zip(g.tensor.doubles, h.tensor.doubles) {
            XCTAssertEqual(b, a / 3, accuracy: tol * max(1, abs(a)), "\(id) grad.\(g.name)", file: file, line: line)
        }
    }
}

/// Inputs of ±1e4 (features, scores, pixels) give finite values and gradients for every option.
private func assertFiniteAtExtremes<T: LossScalar>(_ id: String, _: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    let big: [T] = [1e4, -1e4, 1e4, 0.5, -1e4, 1e4, -1e4, 1e4, 3, -1e4, 1e4, -1e4]
    let other: [T] = [-1e4, 1e4, 2, -1e4, 1e4, -1e4, 0, 1e4, -1e4, 1e4, 1e4, -1e4]
    var variants: [[String: String]] = [[:]]
    var inputs: [String: DynamicTensor]
    switch id {
    case "gan":
        inputs = ["input": DynamicTensor(Tensor(big)), "real": DynamicTensor(Tensor(other))]
        variants = GANObjective.allCases.flatMap { o in GANSide.allCases.map { ["objective": o.rawValue, "side": $0.rawValue] } }
    case "gradient-penalty":
        inputs = ["input": DynamicTensor(try Tensor(shape: [3, 4], scalars: big))]
        variants = [["kind": "wgan-gp"], ["kind": "r1"]]
    case "perceptual", "style":
        inputs = ["input": DynamicTensor(try Tensor(shape: [2, 3, 2], scalars: big)),
                  "target": DynamicTensor(try Tensor(shape: [2, 3, 2], scalars: other))]
        if id == "perceptual" { variants = [[:], ["distance": "l1"], ["normalize": "false"]] }
    default:
        inputs = ["input": DynamicTensor(try Tensor(shape: [1, 2, 2, 3], scalars: big))]
    }
    try assertEvaluationIsFinite(id, inputs: inputs, options: variants, reductions: ["none", "sum"], "\(T.self)", file: file, line: line)
}

private func discriminatorIsBCE<T: LossScalar>(_: T.Type) throws {
    let x = try randomTensor([2, 1, 3, 3], seed: 31, T.self), r = try randomTensor([2, 1, 3, 3], seed: 32, T.self)
    let ones = try Tensor(shape: r.shape, repeating: T(1)), zeros = try Tensor(shape: x.shape, repeating: T(0))
    let tol: T = T.self == Float.self ? 1e-6 : 1e-15
    for objective in [GANObjective.nonSaturating, .minimax] {
        let d = try ganLoss(input: x, real: r, objective: objective, reduction: .none)
        let realTerm = try binaryCrossEntropyWithLogits(input: r, target: ones, reduction: .none)
        let fakeTerm = try binaryCrossEntropyWithLogits(input: x, target: zeros, reduction: .none)
        for i in 0..<x.count {
            let expected = realTerm.value.scalars[i] + fakeTerm.value.scalars[i]
            XCTAssertEqual(d.value.scalars[i], expected, accuracy: tol * Swift.max(1, expected))
            XCTAssertEqual(d.gradients[.input]!.scalars[i], fakeTerm.gradients[.input]!.scalars[i], accuracy: tol)
            XCTAssertEqual(d.gradients[.real]!.scalars[i], realTerm.gradients[.input]!.scalars[i], accuracy: tol)
        }
    }
}

private func saturation<T: LossScalar>(_: T.Type) throws {
    let x = Tensor<T>([-1e4])
    let mm = try ganLoss(input: x, objective: .minimax, side: .generator)
    let ns = try ganLoss(input: x, objective: .nonSaturating, side: .generator)
    XCTAssertEqual(mm.scalar, 0)  // −softplus(−1e4) = −e^(−1e4) = −0
    XCTAssertEqual(mm.gradients[.input]?.scalars, [0])
    XCTAssertEqual(ns.scalar, 1e4)  // softplus(1e4) = 1e4 exactly in binary floating point
    XCTAssertEqual(ns.gradients[.input]?.scalars, [-1])
}

private func infiniteScores<T: LossScalar>(_: T.Type) throws {
    // softplus(±inf) = inf | 0 with derivatives σ(±inf) = 1 | 0: values are the limits, gradients finite.
    let x = Tensor<T>([-.infinity, .infinity, -1e4, 1e4]), r = Tensor<T>([.infinity, -.infinity, 1e4, -1e4])
    let d = try ganLoss(input: x, real: r, reduction: .none)
    XCTAssertEqual(d.value.scalars, [0, .infinity, 0, 2e4])
    XCTAssertEqual(d.gradients[.input]?.scalars, [0, 1, 0, 1])
    XCTAssertEqual(d.gradients[.real]?.scalars, [0, -1, 0, -1])
    let mm = try ganLoss(input: x, objective: .minimax, side: .generator, reduction: .none)
    XCTAssertEqual(mm.value.scalars, [0, -.infinity, 0, -1e4])
    XCTAssertEqual(mm.gradients[.input]?.scalars, [0, -1, 0, -1])
    let ns = try ganLoss(input: x, side: .generator, reduction: .none)
    XCTAssertEqual(ns.value.scalars, [.infinity, 0, 1e4, 0])
    XCTAssertEqual(ns.gradients[.input]?.scalars, [-1, 0, -1, 0])
}

private func zeroRow<T: LossScalar>(_: T.Type) throws {
    // torch's norm backward masks the gradient where the norm is 0: ℓ = λ·(0 − 1)², ∂ℓ/∂g = 0.
    let g = try Tensor(shape: [2, 3], scalars: [0, 0, 0, 1, 2, 2] as [T])
    let r = try gradientPenalty(input: g, reduction: .none)
    XCTAssertEqual(r.value.scalars, [10, 40])  // 10·(0 − 1)², 10·(3 − 1)²
    let grad = r.gradients[.input]!.scalars
    XCTAssertEqual(Array(grad[0..<3]), [0, 0, 0])
    let expected: [T] = [1, 2, 2].map { 2 * 10 * 2 * $0 / 3 }
    for (a, b) in zip(grad[3...], expected) { XCTAssertEqual(a, b, accuracy: 8 * T.ulpOfOne * b.magnitude) }
}

private func zeroFeatureVector<T: LossScalar>(_: T.Type) throws {
    // [1, 2, 1, 2]: position 0 has x = (0, 0); position 1 is ordinary.
    let x = try Tensor(shape: [1, 2, 1, 2], scalars: [0, 3, 0, 4] as [T])
    let y = try Tensor(shape: [1, 2, 1, 2], scalars: [1, 0, 2, 1] as [T])
    let r = try perceptualLoss(input: x, target: y)
    let grad = r.gradients[.input]!.scalars
    XCTAssertTrue(grad.allSatisfy(\.isFinite))
    let ny = T(5).squareRoot() + 1e-10
    let eps: T = 1e-10
    // a = 2(0 − ŷ)/M with M = 2, ŷ = (1, 2)/(√5 + ε); gradient a/ε.
    let expected0 = [-(1 / ny) / eps, -(2 / ny) / eps]
    XCTAssertEqual(grad[0], expected0[0], accuracy: 1e-5 * expected0[0].magnitude)
    XCTAssertEqual(grad[2], expected0[1], accuracy: 1e-5 * expected0[1].magnitude)
    // the value: position 0 contributes ‖ŷ‖² ≈ 1, position 1 ‖(0.6, 0.8) − (0, 1)‖² = 0.4; over M = 2.
    XCTAssertEqual(r.value.scalars[0], (1 + 0.4) / 2, accuracy: 1e-5)
}

private func gramFormula<T: LossScalar>(_: T.Type, n: Int, c: Int, m: Int) throws {
    let x = try randomTensor([n, c, m], seed: 41, T.self), y = try randomTensor([n, c, m], seed: 42, T.self)
    let r = try styleLoss(input: x, target: y, reduction: .none)
    let xs = x.scalars.map { Double($0) }, ys = y.scalars.map { Double($0) }
    let grad = r.gradients[.input]!.scalars
    let tol = T.self == Float.self ? 2e-4 : 1e-11
    for s in 0..<n {
        func gram(_ f: [Double]) -> [Double] {
            var g = [Double](repeating: 0, count: c * c)
            for i in 0..<c { for j in 0..<c {
                var acc = 0.0
                for p in 0..<m { acc += f[s * c * m + i * m + p] * f[s * c * m + j * m + p] }
                g[i * c + j] = acc / Double(c * m)
            } }
            return g
        }
        let d = zip(gram(xs), gram(ys)).map { $0 - $1 }
        let loss = d.map { $0 * $0 }.reduce(0, +) / Double(c * c)
        XCTAssertEqual(Double(r.value.scalars[s]), loss, accuracy: tol * loss, "\(T.self) sample \(s)")
        // ∂ℓ/∂F = 4·D·F/(C³·M)
        var worst = 0.0, scale = 0.0
        for i in 0..<c { for p in 0..<m {
            var acc = 0.0
            for j in 0..<c { acc += d[i * c + j] * xs[s * c * m + j * m + p] }
            let expected = 4 * acc / Double(c * c * c * m)
            worst = max(worst, abs(Double(grad[s * c * m + i * m + p]) - expected))
            scale = max(scale, abs(expected))
        } }
        XCTAssertLessThanOrEqual(worst, tol * scale, "\(T.self) sample \(s) gradient")
    }
}

private func constantImage<T: LossScalar>(_: T.Type) throws {
    let x = try Tensor(shape: [2, 3, 4, 9], repeating: T(0.75))
    let r = try totalVariationLoss(input: x, reduction: .none)
    XCTAssertEqual(r.value.scalars, [0, 0])
    XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy { $0 == 0 })
}

/// A per-sample loss over a batch large enough to be split over threads equals the same loss
/// computed one sample at a time (values, and the gradient of the mean).
private func matchesSampleBySample(
    _ shape: [Int], _ loss: (Tensor<Double>, Tensor<Double>, Reduction) throws -> LossResult<Double>
) throws {
    let x = try randomTensor(shape, seed: 51, Double.self), y = try randomTensor(shape, seed: 52, Double.self)
    let batch = shape[0], sample = shape.dropFirst().reduce(1, *)
    let all = try loss(x, y, .none)
    let mean = try loss(x, y, .mean)
    for n in [0, 1, batch / 2, batch - 1] {
        let one = [1] + shape.dropFirst()
        let xn = try Tensor(shape: one, scalars: Array(x.scalars[(n * sample)..<((n + 1) * sample)]))
        let yn = try Tensor(shape: one, scalars: Array(y.scalars[(n * sample)..<((n + 1) * sample)]))
        let r = try loss(xn, yn, .none)
        XCTAssertEqual(all.value.scalars[n], r.value.scalars[0], accuracy: 1e-12 * max(1, abs(r.value.scalars[0])))
        let g = Array(mean.gradients[.input]!.scalars[(n * sample)..<((n + 1) * sample)])
        for (a, b) in zip(g, r.gradients[.input]!.scalars) { XCTAssertEqual(a, b / Double(batch), accuracy: 1e-14 * max(1, abs(b))) }
    }
}
