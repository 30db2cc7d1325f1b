import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Every option set × reduction of `id` through `losskit eval`'s code path gives finite values
/// and finite gradients (and at least one gradient).
func assertEvaluationIsFinite(
    _ id: String, inputs: [String: DynamicTensor], options: [[String: String]] = [[:]],
    reductions: [String] = ["none", "mean", "sum"], _ what: String = "", file: StaticString = #filePath, line: UInt = #line
) throws {
    for extra in options {
        for reduction in reductions {
            let o = extra.merging(["reduction": reduction]) { a, _ in a }
            let out = try Evaluator.evaluate(id: id, inputs: inputs, options: o)
            XCTAssertTrue(out.value.doubles.allSatisfy(\.isFinite), "\(id) \(o) \(what): value \(out.value.doubles)", file: file, line: line)
            XCTAssertFalse(out.gradients.isEmpty, "\(id) \(o) \(what)", file: file, line: line)
            for g in out.gradients {
                XCTAssertTrue(g.tensor.doubles.allSatisfy(\.isFinite), "\(id) \(o) \(what) grad.\(g.name): \(g.tensor.doubles)", file: file, line: line)
            }
        }
    }
}
