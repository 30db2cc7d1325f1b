import XCTest
@testable import LossKit
@testable import LossKitCLI

/// MarginClassification (Sources/LossKit/MarginClassification.swift): multi-margin,
/// multilabel-margin, hinge-embedding, hinge, squared-hinge, categorical-hinge. Reference values
/// come from Fixtures/margin_classification.json (scripts/fixtures/margin_classification.py,
/// PyTorch); the tests below pin limits, identities and errors.
final class MarginClassificationTests: XCTestCase {
    // MARK: - Reference fixtures

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("margin_classification"), 75)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("margin_classification"), 600)
    }

    // MARK: - Margin losses

    func testMarginLossesAtLargeAndInfiniteScores() throws {
        try marginLossesAtExtremes(Float.self)
        try marginLossesAtExtremes(Double.self)
    }

    private func marginLossesAtExtremes<T: LossScalar>(_: T.Type) throws {
        let inf = Double.infinity
        let x: Tensor<T> = tensor([1e4, -1e4, inf, -inf]), ones: Tensor<T> = tensor([1, 1, 1, 1])
        // hinge max(0, 1 − x): exact at ±1e4 and the true (infinite) value at −inf; slope −1 or 0.
        let h = try hingeLoss(input: x, target: ones, reduction: .none)
        XCTAssertEqual(h.value.doubles, [0, 10001, 0, inf])
        XCTAssertEqual(h.gradients[.input]!.doubles, [0, -1, 0, -1])
        let sq = try squaredHingeLoss(input: x, target: ones, reduction: .none)
        XCTAssertEqual(sq.value.doubles, [0, Double(T(10001) * T(10001)), 0, inf])
        XCTAssertEqual(sq.gradients[.input]!.doubles, [0, -20002, 0, -inf])
        let he = try hingeEmbeddingLoss(input: x, target: tensor([1, -1, -1, -1]), reduction: .none)
        XCTAssertEqual(he.value.doubles, [1e4, 10001, 0, inf])
        XCTAssertEqual(he.gradients[.input]!.doubles, [1, -1, 0, -1])
        // multi-margin on scores [1e4, 0, −1e4]: target 0 is satisfied (0, zero gradient);
        // target 2 violates both margins: ((1 + 2e4) + (1 + 1e4)) / 3.
        let scores: Tensor<T> = tensor([1e4, 0, -1e4, 1e4, 0, -1e4], shape: [2, 3])
        let mm = try multiMarginLoss(input: scores, target: Tensor([0, 2]), reduction: .none)
        XCTAssertEqual(mm.value.doubles[0], 0)
        XCTAssertEqual(mm.value.doubles[1], 30002.0 / 3, accuracy: 1e-2)
        XCTAssertEqual(mm.gradients[.input]!.doubles[0..<3], [0, 0, 0])
        XCTAssertEqual(mm.gradients[.input]!.doubles[3], 1.0 / 3, accuracy: 1e-7)
        XCTAssertEqual(mm.gradients[.input]!.doubles[5], -2.0 / 3, accuracy: 1e-7)
        let ml = try multilabelMarginLoss(input: scores, target: try Tensor(shape: [2, 3], scalars: [0, -1, 0, 2, -1, 0]), reduction: .none)
        XCTAssertEqual(ml.value.doubles, [0, 30002.0 / 3].map { Double(T($0)) })
        let ch = try categoricalHingeLoss(input: scores, target: tensor([1, 0, 0, 0, 0, 1], shape: [2, 3]), reduction: .none)
        XCTAssertEqual(ch.value.doubles, [0, 20001])
        XCTAssertEqual(ch.gradients[.input]!.doubles, [0, 0, 0, 1, 0, -1])
    }

    func testHingeWithZeroOneTargetsEqualsHingeWithSignTargets() throws {
        let x = try Tensor(shape: [2, 3], scalars: [-2, -0.5, 0.3, 0.8, 1.7, -3] as [Float])
        let signs = try Tensor(shape: [2, 3], scalars: [1, -1, -1, 1, -1, 1] as [Float])
        let zeroOne = signs.map { $0 < 0 ? 0 : 1 }
        let losses: [(Tensor<Float>, Tensor<Float>, Reduction, Set<LossArgument>) throws -> LossResult<Float>] = [
            { try hingeLoss(input: $0, target: $1, reduction: $2, wrt: $3) },
            { try squaredHingeLoss(input: $0, target: $1, reduction: $2, wrt: $3) },
        ]
        for f in losses {
            let a = try f(x, signs, .none, [.input]), b = try f(x, zeroOne, .none, [.input])
            XCTAssertEqual(a.value, b.value)
            XCTAssertEqual(a.gradients[.input], b.gradients[.input])
        }
    }

    func testSquaredHingeIsTheSquareOfHinge() throws {
        let x = try Tensor(shape: [2, 4], scalars: [-2, -0.5, 0.3, 0.8, 1.7, -3, 0.99, 4] as [Double])
        let t = try Tensor(shape: [2, 4], scalars: [1, -1, -1, 1, -1, 1, 1, -1] as [Double])
        let h = try hingeLoss(input: x, target: t, reduction: .none)
        let s = try squaredHingeLoss(input: x, target: t, reduction: .none)
        for i in 0..<8 {
            XCTAssertEqual(s.value.scalars[i], h.value.scalars[i] * h.value.scalars[i], accuracy: 1e-15)
            XCTAssertEqual(s.gradients[.input]!.scalars[i], 2 * h.value.scalars[i] * h.gradients[.input]!.scalars[i], accuracy: 1e-15)
        }
    }

    func testHingeKinkHasNoGradientAndHingeEmbeddingKinkPassesIt() throws {
        // hinge: 1 − t·x = 0 at x = 1, t = 1 → subgradient 0 (relu). hinge-embedding follows its
        // reference's clamp_min: margin − x = 0 passes the gradient −1.
        XCTAssertEqual(try hingeLoss(input: Tensor<Double>([1]), target: Tensor([1])).gradients[.input]?.scalars, [0])
        XCTAssertEqual(try hingeEmbeddingLoss(input: Tensor<Double>([1]), target: Tensor([-1])).gradients[.input]?.scalars, [-1])
    }

    func testCategoricalHingeWithInfiniteTrueScoreIsZero() throws {
        let inf = Double.infinity
        let x = try Tensor(shape: [2, 3], scalars: [inf, 5, -2, 0.5, -inf, 0.1])
        let t = try Tensor(shape: [2, 3], scalars: [1, 0, 0, 1, 0, 0] as [Double])
        let r = try categoricalHingeLoss(input: x, target: t, reduction: .none)
        // Row 0: pos = +inf → 0 (Keras: NaN from 0·inf). Row 1: 1 + 0.1 − 0.5 (−inf·0 is 0).
        XCTAssertEqual(r.value.scalars[0], 0)
        XCTAssertEqual(r.value.scalars[1], 0.6, accuracy: 1e-15)
        XCTAssertEqual(r.gradients[.input]!.scalars, [0, 0, 0, -1, 0, 1])
    }

    func testMultilabelMarginRowWithoutLabelsIsZeroAndDuplicatesCountTwice() throws {
        let x = try Tensor(shape: [3, 3], scalars: [0.1, 0.9, -0.4, 0.1, 0.9, -0.4, 0.1, 0.9, -0.4] as [Double])
        let y = try Tensor(shape: [3, 3], scalars: [-1, 0, 1, 1, -1, 2, 1, 1, -1] as [Int])
        let r = try multilabelMarginLoss(input: x, target: y, reduction: .none)
        XCTAssertEqual(r.value.scalars[0], 0)
        // Row 1: label 1 against classes 0 and 2: (1 − 0.9 + 0.1) + (1 − 0.9 − 0.4 → 0) over C = 3.
        XCTAssertEqual(r.value.scalars[1], 0.2 / 3, accuracy: 1e-15)
        XCTAssertEqual(r.value.scalars[2], 2 * r.value.scalars[1], accuracy: 1e-15)
        XCTAssertEqual(r.gradients[.input]!.scalars[0..<3], [0, 0, 0])
    }

    func testMultiMarginTargetClassGradientBalancesTheOthers() throws {
        let x = try Tensor(shape: [2, 10], scalars: (0..<20).map { Double(($0 * 7) % 11) * 0.15 - 0.6 })
        for p in [1, 2] as [Double] {
            let r = try multiMarginLoss(input: x, target: Tensor([3, 9]), p: p, margin: 0.8, weight: Tensor((0..<10).map { 0.5 + Double($0) / 10 }))
            let g = r.gradients[.input]!.scalars
            for n in 0..<2 { XCTAssertEqual(g[(n * 10)..<(n * 10 + 10)].reduce(0, +), 0, accuracy: 1e-15) }
        }
    }

    // MARK: - Empty inputs

    func testEmptyBatchesGiveNaNMeanAndZeroSum() throws {
        let e1 = try Tensor<Double>(shape: [0], scalars: [])
        let e2 = try Tensor<Double>(shape: [0, 4], scalars: [])
        let noLabels = try Tensor<Int>(shape: [0], scalars: [])
        let noLabels2 = try Tensor<Int>(shape: [0, 4], scalars: [])
        let calls: [(String, (Reduction) throws -> LossResult<Double>)] = [
            ("multi-margin", { try multiMarginLoss(input: e2, target: noLabels, reduction: $0) }),
            ("multilabel-margin", { try multilabelMarginLoss(input: e2, target: noLabels2, reduction: $0) }),
            ("hinge-embedding", { try hingeEmbeddingLoss(input: e1, target: e1, reduction: $0) }),
            ("hinge", { try hingeLoss(input: e1, target: e1, reduction: $0) }),
            ("squared-hinge", { try squaredHingeLoss(input: e1, target: e1, reduction: $0) }),
            ("categorical-hinge", { try categoricalHingeLoss(input: e2, target: e2, reduction: $0) }),
        ]
        try assertEmptyBatchReductions(calls)
    }

    // MARK: - Invalid inputs

    func testShapeMismatchThrowsNamingTarget() {
        let x = Tensor<Double>([1, 2, 3]), y = Tensor<Double>([1, 2])
        let expected = LossError.shapeMismatch(argument: "target", expected: [3], actual: [2])
        assertThrows(expected) { try hingeLoss(input: x, target: y) }
        assertThrows(expected) { try hingeEmbeddingLoss(input: x, target: y) }
    }

    func testInvalidOptionsThrowNamingTheOption() throws {
        let x = Tensor<Double>([0.5, -0.5]), t = Tensor<Double>([1, 0])
        let scores = try Tensor<Double>(shape: [2, 3], repeating: 0)
        assertThrows(.invalidOption(name: "p", value: "3.0", expected: "1 or 2")) {
            try multiMarginLoss(input: scores, target: Tensor([0, 1]), p: 3)
        }
        assertThrows(.invalidOption(name: "margin", value: "nan", expected: "a finite number")) {
            try hingeEmbeddingLoss(input: x, target: t.map { $0 * 2 - 1 }, margin: .nan)
        }
    }

    func testLabelsOutOfRangeThrow() throws {
        let scores = try Tensor<Double>(shape: [2, 3], repeating: 0)
        assertThrows(.labelOutOfRange(argument: "target", label: 3, classCount: 3, index: 1)) {
            try multiMarginLoss(input: scores, target: Tensor([0, 3]))
        }
        // Like the reference, every value must lie in −1..<C, also after the first −1.
        assertThrows(.labelOutOfRange(argument: "target", label: -2, classCount: 3, index: 4)) {
            try multilabelMarginLoss(input: scores, target: try Tensor(shape: [2, 3], scalars: [0, -1, 2, 1, -2, 0]))
        }
        assertThrows(.shapeMismatch(argument: "target", expected: [2], actual: [3])) {
            try multiMarginLoss(input: scores, target: Tensor([0, 1, 2]))
        }
    }

    func testInvalidShapesThrow() throws {
        let cube = try Tensor<Double>(shape: [2, 2, 2], repeating: 0)
        assertThrows(.invalidShape(argument: "input", shape: [2, 2, 2], reason: "expected rank 1...2, got rank 3")) {
            try multiMarginLoss(input: cube, target: Tensor([0, 1]))
        }
        let noClasses = try Tensor<Double>(shape: [2, 0], scalars: [])
        assertThrows(.invalidShape(argument: "input", shape: [2, 0], reason: "the class dimension is empty")) {
            try categoricalHingeLoss(input: noClasses, target: noClasses)
        }
    }

    func testHingeTargetsOutsideTheirConventionThrow() {
        let x = Tensor<Double>([0.5, -0.5, 2])
        assertThrows(.valueOutOfRange(argument: "target", value: 0.5, index: 1, expected: "−1 or 1 (or all targets 0 or 1)")) {
            try hingeLoss(input: x, target: Tensor([1, 0.5, 1]))
        }
        assertThrows(.valueOutOfRange(argument: "target", value: -1, index: 2, expected: "labels of one convention, {−1, 1} or {0, 1}, not both 0 and −1")) {
            try squaredHingeLoss(input: x, target: Tensor([1, 0, -1]))
        }
        assertThrows(.valueOutOfRange(argument: "target", value: 0, index: 0, expected: "−1 or 1")) {
            try hingeEmbeddingLoss(input: x, target: Tensor([0, 1, 1]))
        }
    }

    func testCLIRejectsInvalidCallsWithLossErrors() throws {
        let x = DynamicTensor.float32(try Tensor(shape: [2, 2], scalars: [0.2, 0.4, 0.6, 0.8]))
        let y = DynamicTensor.int64(try Tensor(shape: [2], scalars: [0, 5]))
        XCTAssertThrowsError(try Evaluator.evaluate(id: "multi-margin", inputs: ["input": x, "target": y], options: [:])) { e in
            XCTAssertEqual(e as? LossError, .labelOutOfRange(argument: "target", label: 5, classCount: 2, index: 1))
        }
    }
}
