#if canImport(_Differentiation)
import _Differentiation
import XCTest
import Foundation

// BEGIN README EXAMPLE
import LossKitDifferentiation

struct Classifier: Differentiable {
    var w1 = try! Tensor(shape: [2, 8], scalars: (0..<16).map { Float(($0 * 37) % 17) / 8 - 1 })
    var b1 = try! Tensor(shape: [8], repeating: Float(0))
    var w2 = try! Tensor(shape: [8, 2], scalars: (0..<16).map { Float(($0 * 23) % 13) / 6 - 1 })
    var b2 = try! Tensor(shape: [2], repeating: Float(0))

    @differentiable(reverse)
    func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> {
        tanh(x.matmul(w1) + b1).matmul(w2) + b2   // logits [N, 2]
    }
}

func trainXOR(steps: Int = 300, learningRate: Float = 0.5) -> (first: Float, last: Float) {
    let x = try! Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1] as [Float])
    let y = Tensor([0, 1, 1, 0] as [Int32])                 // XOR: not linearly separable
    var model = Classifier()
    var losses: [Float] = []
    for _ in 0..<steps {
        let (loss, g) = valueWithGradient(at: model) { m in Losses.crossEntropy(input: m(x), target: y) }
        losses.append(loss.scalar!)
        let step = Tensor(learningRate)                       // plain gradient descent
        model.w1 = model.w1 - step * g.w1
        model.b1 = model.b1 - step * g.b1
        model.w2 = model.w2 - step * g.w2
        model.b2 = model.b2 - step * g.b2
    }
    return (losses.first!, losses.last!)
}
// END README EXAMPLE

final class ReadmeExampleTests: XCTestCase {
    func testTheReadmeExampleTrains() {
        let (first, last) = trainXOR()
        print("XOR cross-entropy: \(first) → \(last)")
        XCTAssertGreaterThan(first, 0.5)       // 0.777 at the start (README)
        XCTAssertLessThan(last, 0.05, "XOR was not learned: loss \(first) → \(last)")
    }

    func testTheReadmeShowsThisExample() throws {
        let here = URL(fileURLWithPath: #filePath)
        let readme = try String(contentsOf: here.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: here, encoding: .utf8)
        let start = try XCTUnwrap(source.range(of: "// BEGIN README EXAMPLE\n")).upperBound
        let end = try XCTUnwrap(source.range(of: "// END README EXAMPLE")).lowerBound
        let example = String(source[start..<end])
        XCTAssertTrue(readme.contains("```swift\n" + example + "```"), "README.md must show the example of ReadmeExampleTests.swift verbatim")
    }
}
#endif
