import XCTest
@testable import LossKit

/// Asserts that a loss result's value and every gradient (except `except`) are finite.
///
/// The one copy for every test file (RegressionTests, ContrastiveTests, MetricLearningTests and
/// DivergenceTests each had their own). `rethrows`: a throwing call is written `try assertFinite(loss(...))`, a value `assertFinite(r)`.
func assertFinite<T: LossScalar>(
    _ result: @autoclosure () throws -> LossResult<T>, except: LossArgument? = nil, _ what: String = "",
    file: StaticString = #filePath, line: UInt = #line
) rethrows {
    let r = try result()
    XCTAssertTrue(r.value.scalars.allSatisfy(\.isFinite), "\(what) value \(r.value)", file: file, line: line)
    for (arg, g) in r.gradients where arg != except {
        XCTAssertTrue(g.scalars.allSatisfy(\.isFinite), "\(what) ∂\(arg) \(g)", file: file, line: line)
    }
}
