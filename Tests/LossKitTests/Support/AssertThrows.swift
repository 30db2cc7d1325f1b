import XCTest
@testable import LossKit

/// Asserts that `body` throws exactly `expected`.
///
/// The one copy for every test file (SegmentationTests, BinaryClassificationTests and
/// ClassificationTests each had their own): `assertThrows(.missingArgument(...)) { try loss(...) }`.
func assertThrows<R>(
    _ expected: LossError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> R
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        XCTAssertEqual(error as? LossError, expected, file: file, line: line)
    }
}
