import XCTest
@testable import LossKit

/// Distillation (Sources/LossKit/Distillation.swift). Reference values come from
/// Fixtures/distillation.json (scripts/fixtures/distillation.py: the defining formula in PyTorch);
/// the tests below pin limits, identities and errors.
final class DistillationTests: XCTestCase {
    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("distillation"), 14)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("distillation"), 150)
    }

    func testDistillationIsFiniteForExtremeLogitsAndZeroTeacherProbabilities() throws {
        func check<T: LossScalar>(_: T.Type) throws {
            let s = tensor([2, 3], [1e4, -1e4, 0, 5, -.infinity, -1e4] as [T])
            let t = tensor([2, 3], [-1e4, 1e4, 0, 0, -.infinity, 1] as [T])
            let r = try distillationLoss(input: s, target: t, labels: labels([1, 0]), temperature: 3, alpha: 0.5, reduction: .none)
            assertFinite(r, "\(T.self)")
            // A student probability of 0 where the teacher's is positive: +inf.
            let inf = try distillationLoss(input: tensor([1, 2], [0, -.infinity] as [T]), target: tensor([1, 2], [0, 0] as [T]))
            XCTAssertEqual(inf.scalar, .infinity)
        }
        try check(Float.self)
        try check(Double.self)
    }

    func testDistillationOfATeacherWithItselfIsZero() throws {
        // KL(p ‖ p) = 0 with a zero gradient, at any temperature.
        let x = tensor([4, 10], noise(40, seed: 14) as [Double])
        for temperature in [0.5, 1, 4] as [Double] {
            let r = try distillationLoss(input: x, target: x, temperature: temperature)
            XCTAssertEqual(r.scalar!, 0, accuracy: 1e-14)
            XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy { abs($0) < 1e-15 })
        }
    }

    func testDistillationWithAlphaZeroIsCrossEntropyAndMeanIsBatchmean() throws {
        let s = tensor([5, 7], noise(35, seed: 15) as [Float]), t = tensor([5, 7], noise(35, seed: 16) as [Float])
        let y = labels([0, 6, 3, 3, 1])
        let kd = try distillationLoss(input: s, target: t, labels: y, temperature: 2, alpha: 0)
        let ce = try crossEntropy(input: s, target: y)
        XCTAssertEqual(kd.scalar!, ce.scalar!, accuracy: 1e-6)
        assertClose(kd.gradients[.input]!.scalars, ce.gradients[.input]!.scalars, tolerance: 1e-7, "α = 0")
        let batchmean = try distillationLoss(input: s, target: t, labels: y, temperature: 3, alpha: 0.4)
        let mean = try distillationLoss(input: s, target: t, labels: y, temperature: 3, alpha: 0.4, reduction: .mean)
        XCTAssertEqual(mean.scalar, batchmean.scalar)
        XCTAssertEqual(mean.gradients[.input], batchmean.gradients[.input])
    }

    func testInvalidOptionsThrowNamingTheOption() {
        let x = tensor([2, 3], [Float](repeating: 0, count: 6)), y = labels([0, 1])
        for (name, call) in [
            ("temperature", { try distillationLoss(input: x, target: x, temperature: 0) }),
            ("temperature", { try distillationLoss(input: x, target: x, temperature: -.infinity) }),
            ("alpha", { try distillationLoss(input: x, target: x, labels: y, alpha: 1.5) }),
        ] as [(String, () throws -> LossResult<Float>)] {
            XCTAssertThrowsError(try call()) { e in
                guard case .invalidOption(name, _, _)? = e as? LossError else { return XCTFail("expected invalidOption(\(name)), got \(e)") }
            }
        }
    }

    func testDistillationRequiresLabelsExactlyWhenAlphaIsBelowOne() throws {
        let x = tensor([2, 3], [1, 2, 3, 3, 2, 1] as [Double])
        assertThrows(.missingArgument(name: "labels", reason: "required when alpha < 1 (alpha = 0.5)")) {
            try distillationLoss(input: x, target: x, alpha: 0.5)
        }
        XCTAssertEqual(try distillationLoss(input: x, target: x).scalar!, 0, accuracy: 1e-15)
    }
}
