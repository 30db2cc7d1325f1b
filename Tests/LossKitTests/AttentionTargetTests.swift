import XCTest
@testable import LossKit
@testable import LossKitCLI

/// AttentionTarget (Sources/LossKit/AttentionTarget.swift). The reference values come from
/// Fixtures/attention_target.json (scripts/fixtures/attention_target.py: the formula written in
/// PyTorch, autograd gradients); the tests here pin the edge cases, properties and errors.
final class AttentionTargetTests: XCTestCase {
    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("attention_target"), 19)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("attention_target"), 500)
    }

    func testTheIdResolvesAndOnlyInputIsDifferentiable() {
        XCTAssertEqual(Catalog.attentionTarget.map { $0.id }, ["attention-target"])
        for entry in Catalog.attentionTarget {
            XCTAssertEqual(Catalog.entry(named: entry.id).map { ObjectIdentifier($0) }, ObjectIdentifier(entry), entry.id)
            XCTAssertEqual(entry.inputs.filter { $0.kind == .differentiable }.map(\.name), ["input"], entry.id)
        }
    }

    func testDocumentationExampleHoldsAsWritten() throws {
        let a = try Tensor(shape: [1, 1, 2, 3], scalars: [0.5, 0.25, 0.25, 0.1, 0.1, 0.8] as [Double])
        let r = try attentionTargetLoss(input: a, target: Tensor([0, 0, 1] as [Double]), reduction: .none)
        XCTAssertEqual(r.value.shape, [1, 1, 2])
        XCTAssertEqual(r.value.scalars, [-0.25, -0.8])
        XCTAssertEqual(r.gradients[.input]!.scalars, [0, 0, -1, 0, 0, -1])
    }

    // MARK: attention-target

    func testUniformAttentionPutsTheTargetFractionOnTheTargets() throws {
        try uniformAttention(Float.self)
        try uniformAttention(Double.self)
    }

    func testSharedMaskEqualsTheSameMaskRepeatedPerSample() throws {
        let a = try Tensor(shape: [2, 1, 2, 3], scalars: [0.2, 0.3, 0.5, 0.6, 0.3, 0.1, 0.1, 0.1, 0.8, 0.25, 0.5, 0.25] as [Double])
        for log in [false, true] {
            let shared = try attentionTargetLoss(input: a, target: Tensor([1, 0, 1] as [Double]), logLoss: log, reduction: .none)
            let perSample = try attentionTargetLoss(
                input: a, target: Tensor(shape: [2, 3], scalars: [1, 0, 1, 1, 0, 1]), logLoss: log, reduction: .none)
            XCTAssertEqual(shared.value, perSample.value)
            XCTAssertEqual(shared.gradients[.input], perSample.gradients[.input])
            XCTAssertEqual(shared.value.shape, [2, 1, 2])
        }
        // per-sample masks differ: sample 1 targets only the last token
        let r = try attentionTargetLoss(input: a, target: Tensor(shape: [2, 3], scalars: [1, 0, 0, 0, 0, 1]), reduction: .none)
        XCTAssertEqual(r.value.scalars, [-0.2, -0.6, -0.8, -0.25])
        XCTAssertEqual(r.gradients[.input]!.scalars, [-1, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, -1])
    }

    func testLogAttentionTargetIsMinusLogOfTheMassAndInfiniteWhereTheMassIsZero() throws {
        let a = try Tensor(shape: [1, 1, 2, 4], scalars: [0.5, 0.25, 0.25, 0, 1, 0, 0, 0] as [Float])
        let r = try attentionTargetLoss(input: a, target: Tensor([0, 0, 1, 1] as [Float]), logLoss: true, reduction: .none)
        XCTAssertEqual(r.value.scalars[0], -Float.log(0.25), accuracy: 1e-7)
        XCTAssertEqual(r.value.scalars[1], .infinity)
        XCTAssertEqual(Array(r.gradients[.input]!.scalars[0..<4]), [0, 0, -4, -4])
        XCTAssertEqual(Array(r.gradients[.input]!.scalars[4..<8]), [0, 0, -.infinity, -.infinity], "non-targets stay 0, not NaN")
        // the plain loss is bounded and fine at the same point
        let plain = try attentionTargetLoss(input: a, target: Tensor([0, 0, 1, 1] as [Float]), reduction: .sum)
        XCTAssertEqual(plain.scalar, -0.25)  // −(0.25 + 0)
    }

    func testAttentionTargetMeanIsOverQueriesAndEmptyBatchIsNaN() throws {
        let a = try Tensor(shape: [1, 2, 1, 2], scalars: [0.25, 0.75, 1, 0] as [Double])
        let m = try attentionTargetLoss(input: a, target: Tensor([0, 1] as [Double]))
        XCTAssertEqual(m.scalar, -0.375)  // (0.75 + 0)/2 rows
        XCTAssertEqual(m.gradients[.input]!.scalars, [0, -0.5, 0, -0.5])
        let empty = try Tensor<Double>(shape: [0, 2, 3, 4], scalars: [])
        XCTAssertTrue(try attentionTargetLoss(input: empty, target: Tensor([0, 1, 1, 0] as [Double])).scalar!.isNaN)
        let none = try attentionTargetLoss(input: empty, target: Tensor([0, 1, 1, 0] as [Double]), reduction: .none)
        XCTAssertEqual(none.value.shape, [0, 2, 3])
    }

    func testAttentionTargetRejectsShapesValuesAndMasksByName() throws {
        let a = try Tensor(shape: [2, 1, 1, 3], scalars: [0.2, 0.3, 0.5, 0.6, 0.3, 0.1] as [Double])
        XCTAssertThrowsError(try attentionTargetLoss(input: Tensor([0.5, 0.5] as [Double]), target: Tensor([1, 0] as [Double]))) { e in
            guard case .invalidShape(argument: "input", shape: [2], reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try attentionTargetLoss(input: Tensor(shape: [2, 0], scalars: [Double]()), target: Tensor([Double]()))) { e in
            guard case .invalidShape(argument: "input", shape: [2, 0], reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try attentionTargetLoss(input: a, target: Tensor([1, 0] as [Double]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [2, 3], actual: [2]))
        }
        XCTAssertThrowsError(try attentionTargetLoss(input: a, target: Tensor(shape: [3, 3], repeating: 1.0))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [2, 3], actual: [3, 3]))
        }
        XCTAssertThrowsError(try attentionTargetLoss(input: a, target: Tensor([1, 2, 0] as [Double]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "target", value: 2, index: 1, expected: "0 or 1"))
        }
        let bad = try Tensor(shape: [1, 1, 1, 2], scalars: [1.5, -0.5] as [Double])
        XCTAssertThrowsError(try attentionTargetLoss(input: bad, target: Tensor([1, 0] as [Double]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "input", value: 1.5, index: 0, expected: "a value in [0, 1]"))
        }
        XCTAssertThrowsError(try attentionTargetLoss(input: a, target: Tensor([1, 0, 0] as [Double]), reduction: .batchmean)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"))
        }
    }

    func testAttentionTargetOnRowsLongerThanTheParallelGrainMatchesTheDirectSum() throws {
        // K = 1000, 40 rows: blocks of rows go to different threads; the result is deterministic.
        let keys = 1000, rows = 40
        var scalars = [Double](repeating: 0, count: rows * keys)
        for r in 0..<rows { for k in 0..<keys { scalars[r * keys + k] = Double((r + k) % 7 + 1) } }
        for r in 0..<rows {
            let s = scalars[(r * keys)..<((r + 1) * keys)].reduce(0, +)
            for k in 0..<keys { scalars[r * keys + k] /= s }
        }
        let a = try Tensor(shape: [2, 4, 5, keys], scalars: scalars)
        let mask = Tensor((0..<keys).map { Double($0 % 3 == 0 ? 1 : 0) })
        let r = try attentionTargetLoss(input: a, target: mask, reduction: .sum)
        var expected = 0.0
        for i in scalars.indices where i % keys % 3 == 0 { expected -= scalars[i] }
        XCTAssertEqual(r.scalar!, expected, accuracy: 1e-12)
        XCTAssertEqual(try attentionTargetLoss(input: a, target: mask, reduction: .sum).scalar, r.scalar)
    }

    private func uniformAttention<T: LossScalar>(_: T.Type) throws {
        // Every query attends uniformly over K = 10 keys; 3 of them are targets: S = 0.3.
        let a = try Tensor(shape: [2, 3, 4, 10], repeating: T(0.1))
        let mask = Tensor<T>([0, 1, 0, 0, 1, 0, 0, 1, 0, 0])
        let plain = try attentionTargetLoss(input: a, target: mask)
        XCTAssertEqual(plain.scalar!, -T(0.3), accuracy: 4 * T.ulpOfOne)
        let log = try attentionTargetLoss(input: a, target: mask, logLoss: true)
        XCTAssertEqual(log.scalar!, -T.log(0.3), accuracy: 8 * T.ulpOfOne)
        let rows = T(24)
        let g = log.gradients[.input]!.scalars
        XCTAssertEqual(g[1], -1 / (T(0.3) * rows), accuracy: 16 * T.ulpOfOne)
        XCTAssertEqual(g[0], 0)
        XCTAssertEqual(plain.gradients[.input]!.scalars[4], -1 / rows)
    }
}
