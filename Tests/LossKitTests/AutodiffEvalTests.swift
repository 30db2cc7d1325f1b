import Foundation
import XCTest
@testable import LossKit
@testable import LossKitCLI

#if canImport(_Differentiation)
/// `losskit eval --autodiff` (issue 9 point 5): the value and gradients from
/// valueWithPullback over the differentiable forms. Every fixture case also runs through this
/// path in `replayFixtures`; these tests cover what the fixtures do not.
final class AutodiffEvalTests: XCTestCase {
    func testEveryCatalogEntryHasADifferentiableForm() {
        let missing = Catalog.entries.map { $0.id }.filter { !Evaluator.hasDifferentiableForm($0) }
        XCTAssertEqual(missing, [], "catalog entries without an --autodiff path")
    }

    func testAutodiffEqualsTheDirectCallBitwise() throws {
        // A reduced loss (cotangent 1) and reduction=none (cotangent of ones) give the fused
        // kernel's results unchanged: the two paths agree bit for bit.
        let x = try Tensor(shape: [3, 4], scalars: (0..<12).map { Float($0) * 0.37 - 2 })
        let labels = try Tensor(shape: [3], scalars: [Int32(0), 3, 1])
        for reduction in ["mean", "sum", "none"] {
            let inputs: [String: DynamicTensor] = ["input": .float32(x), "target": .int32(labels)]
            let direct = try Evaluator.evaluate(id: "cross-entropy", inputs: inputs, options: ["reduction": reduction])
            let autodiff = try Evaluator.evaluate(id: "cross-entropy", inputs: inputs, options: ["reduction": reduction], autodiff: true)
            guard case let .float32(dv) = direct.value, case let .float32(av) = autodiff.value else { return XCTFail("dtype") }
            XCTAssertEqual(dv.shape, av.shape)
            XCTAssertEqual(dv.scalars.map(\.bitPattern), av.scalars.map(\.bitPattern), reduction)
            XCTAssertEqual(direct.gradients.map(\.name), autodiff.gradients.map(\.name))
            guard case let .float32(dg) = direct.gradients[0].tensor, case let .float32(ag) = autodiff.gradients[0].tensor else {
                return XCTFail("gradient dtype")
            }
            XCTAssertEqual(dg.scalars.map(\.bitPattern), ag.scalars.map(\.bitPattern), reduction)
        }
    }

    func testAutodiffKeepsOnlyTheRequestedGradients() throws {
        let x = try Tensor(shape: [4], scalars: [0.1, 0.7, -0.3, 2] as [Double])
        let y = try Tensor(shape: [4], scalars: [0.0, 1, 0.5, 1] as [Double])
        let inputs: [String: DynamicTensor] = ["input": .float64(x), "target": .float64(y)]
        let both = try Evaluator.evaluate(id: "bce-with-logits", inputs: inputs, options: [:], autodiff: true)
        XCTAssertEqual(both.gradients.map(\.name), ["input", "target"])
        let one = try Evaluator.evaluate(id: "bce-with-logits", inputs: inputs, options: [:], gradients: ["target"], autodiff: true)
        XCTAssertEqual(one.gradients.map(\.name), ["target"])
        let none = try Evaluator.evaluate(id: "bce-with-logits", inputs: inputs, options: [:], gradients: ["none"], autodiff: true)
        XCTAssertEqual(none.gradients.count, 0)
    }

    func testAutodiffValidatesThroughTheThrowingAPIFirst() throws {
        // Shapes the differentiable form would stop on are a typed error, not a trap.
        let inputs: [String: DynamicTensor] = [
            "input": .float32(try Tensor(shape: [2, 3], repeating: 0)), "target": .float32(try Tensor(shape: [3, 2], repeating: 0)),
        ]
        XCTAssertThrowsError(try Evaluator.evaluate(id: "mse", inputs: inputs, options: [:], autodiff: true)) { error in
            XCTAssertTrue(error is LossError, "\(error)")
        }
    }
}

extension CLITests {
    func testAutodiffFlagWritesTheSameOutputAsEval() throws {
        let x = try write("x.npy", .float64(shape: [2, 3], scalars: [0.5, -1, 2, 0.25, 0.75, -0.5]))
        let t = try write("t.npy", .int64(shape: [2], scalars: [2, 0]))
        let direct = try run(["eval", "cross-entropy", "--input", "input=\(x)", "--input", "target=\(t)", "--out", "d"])
        let autodiff = try run(["eval", "cross-entropy", "--input", "input=\(x)", "--input", "target=\(t)", "--out", "a", "--autodiff"])
        XCTAssertEqual(direct.status, 0, direct.stderr)
        XCTAssertEqual(autodiff.status, 0, autodiff.stderr)
        func value(_ s: String) throws -> Double {
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
            return try XCTUnwrap(json["value"] as? Double)
        }
        XCTAssertEqual(try value(autodiff.stdout).bitPattern, try value(direct.stdout).bitPattern)
        for file in ["loss.npy", "grad.input.npy"] {
            let d = try Data(contentsOf: scratch.appendingPathComponent("d/\(file)"))
            let a = try Data(contentsOf: scratch.appendingPathComponent("a/\(file)"))
            XCTAssertEqual(a, d, file)
        }
    }

    func testAutodiffBadInputExitsTwoWithOneErrorLine() throws {
        let x = try write("x.npy", .float32(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5]))
        let t = try write("t.npy", .float32(shape: [3, 2], scalars: [0, 1, 2, 3, 4, 5]))
        try assertUsageError(["eval", "mse", "--input", "input=\(x)", "--input", "target=\(t)", "--autodiff"], mentions: "target")
        try assertUsageError(
            ["eval", "cross-entropy", "--input", "input=\(x)", "--input", "target=\(t)", "--autodiff", "--set", "reduction=bogus"],
            mentions: "reduction")
    }
}
#endif
