import XCTest
@testable import LossKit

/// For each named call on an empty batch: `.mean` is NaN with an empty input gradient, `.sum`
/// is 0, `.none` has no elements (as in the reference).
func assertEmptyBatchReductions(
    _ calls: [(String, (Reduction) throws -> LossResult<Double>)], file: StaticString = #filePath, line: UInt = #line
) throws {
    for (name, call) in calls {
        let mean = try call(.mean)
        XCTAssertTrue(mean.scalar?.isNaN == true, name, file: file, line: line)
        XCTAssertEqual(mean.gradients[.input]?.count, 0, name, file: file, line: line)
        XCTAssertEqual(try call(.sum).scalar, 0, name, file: file, line: line)
        XCTAssertEqual(try call(.none).value.count, 0, name, file: file, line: line)
    }
}
