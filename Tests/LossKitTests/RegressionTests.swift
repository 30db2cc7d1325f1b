import XCTest
@testable import LossKit
@testable import LossKitCLI

final class RegressionTests: XCTestCase {
    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("regression"), 0)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("regression"), 0)
    }

    func testMSEOfEmptyInputIsNaNWithMeanAndZeroWithSum() throws {
        let empty = try Tensor<Double>(shape: [0, 3], scalars: [])
        XCTAssertTrue(try meanSquaredError(input: empty, target: empty).scalar!.isNaN)
        let s = try meanSquaredError(input: empty, target: empty, reduction: .sum)
        XCTAssertEqual(s.scalar, 0)
        XCTAssertEqual(s.gradients[.input]?.shape, [0, 3])
    }

    func testMSEShapeMismatchThrowsNamingBothShapes() {
        XCTAssertThrowsError(try meanSquaredError(input: Tensor([1, 2] as [Float]), target: Tensor([1] as [Float]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [2], actual: [1]))
        }
    }
}
