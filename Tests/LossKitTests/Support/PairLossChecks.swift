import XCTest
@testable import LossKit
@testable import LossKitCLI

// Checks run through `losskit eval`'s code path on the pair and triplet losses (triplet,
// contrastive, cosine-embedding in MetricLearningTests; margin-ranking in RankingTests).

extension Tensor where Scalar: LossScalar {
    /// A tensor of `shape` filled with 0.5 (for error tests, where the values do not matter).
    init(shape2 shape: [Int]) { try! self.init(shape: shape, repeating: 0.5) }
}

/// Every reduction of `id` with ±1e4 entries (inputs [2, 6]) gives finite values and gradients.
func assertPairLossFiniteAtExtremes<T: LossScalar>(
    _ id: String, _: T.Type, options: [[String: String]], file: StaticString = #filePath, line: UInt = #line
) throws {
    let big: [T] = [1e4, -1e4, 1e4, 0, 5e3, -3, -1e4, 1e4, 2, -1e4, 0, 1e4]
    let other: [T] = [-1e4, 1e4, 1e4, 1e4, -5e3, 0, -1e4, -1e4, 1e4, 3, 1e4, 0]
    let third: [T] = [1e4, 1e4, -1e4, 0, 0, 1e4, -1e4, 1e4, 1e4, -1e4, 7, 1e4]
    let t: [T] = id == "margin-ranking" ? (0..<12).map { $0 % 2 == 0 ? 1 : -1 } : (id == "contrastive" ? [1, 0] : [1, -1])
    let inputs: [String: DynamicTensor]
    switch id {
    case "triplet":
        inputs = ["anchor": DynamicTensor(try Tensor(shape: [2, 6], scalars: big)),
                  "positive": DynamicTensor(try Tensor(shape: [2, 6], scalars: other)),
                  "negative": DynamicTensor(try Tensor(shape: [2, 6], scalars: third))]
    case "margin-ranking":
        inputs = ["input1": DynamicTensor(try Tensor(shape: [12], scalars: big)),
                  "input2": DynamicTensor(try Tensor(shape: [12], scalars: other)),
                  "target": DynamicTensor(try Tensor(shape: [12], scalars: t))]
    default:
        inputs = ["input1": DynamicTensor(try Tensor(shape: [2, 6], scalars: big)),
                  "input2": DynamicTensor(try Tensor(shape: [2, 6], scalars: other)),
                  "target": DynamicTensor(try Tensor(shape: [2], scalars: t))]
    }
    try assertEvaluationIsFinite(id, inputs: inputs, options: options, "\(T.self)", file: file, line: line)
}

/// [0, 4] inputs (margin-ranking: [0]): mean is NaN, sum is 0 with empty gradients, none is [0].
func assertPairLossEmptyBatch<T: LossScalar>(_ id: String, _ names: [String], _: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    let shape = id == "margin-ranking" ? [0] : [0, 4]
    var inputs: [String: DynamicTensor] = [:]
    for n in names { inputs[n] = DynamicTensor(try Tensor<T>(shape: shape, scalars: [])) }
    if id != "triplet" { inputs["target"] = DynamicTensor(try Tensor<T>(shape: [0], scalars: [])) }
    let m = try Evaluator.evaluate(id: id, inputs: inputs, options: [:])
    XCTAssertTrue(m.value.doubles[0].isNaN, "\(id): mean of nothing", file: file, line: line)
    let s = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "sum"])
    XCTAssertEqual(s.value.doubles, [0], id, file: file, line: line)
    XCTAssertEqual(Set(s.gradients.map(\.name)), Set(names), file: file, line: line)
    for g in s.gradients { XCTAssertEqual(g.tensor.shape, shape, "\(id) grad.\(g.name)", file: file, line: line) }
    let n = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "none"])
    XCTAssertEqual(n.value.shape, [0], id, file: file, line: line)
}
