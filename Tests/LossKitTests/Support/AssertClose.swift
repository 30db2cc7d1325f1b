import XCTest
@testable import LossKit
@testable import LossKitCLI

// Closeness assertions, in one place for every test file (ClassificationTests, SegmentationTests
// and DivergenceTests each had a private copy beside the fixture one). Three forms of one rule
// set: fixture tensors against a reference, scalar arrays, typed tensors.

/// Asserts elementwise closeness (NaN matches NaN, infinities match by sign) and equal shapes.
func assertClose(
    _ actual: DynamicTensor, _ expected: DynamicTensor, rtol: Double, atolScale: Double,
    _ what: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.shape == expected.shape else {
        XCTFail("\(what()): shape \(actual.shape) != expected \(expected.shape)", file: file, line: line)
        return
    }
    guard actual.dtype == expected.dtype else {
        XCTFail("\(what()): dtype \(actual.dtype) != expected \(expected.dtype)", file: file, line: line)
        return
    }
    let a = actual.doubles, e = expected.doubles
    let scale = e.filter(\.isFinite).map(abs).max() ?? 0
    let atol = atolScale * max(scale, 1e-30)
    var failures = 0
    for i in a.indices {
        let ok: Bool
        if e[i].isNaN { ok = a[i].isNaN }
        else if e[i].isInfinite { ok = a[i] == e[i] }
        else { ok = abs(a[i] - e[i]) <= atol + rtol * abs(e[i]) }
        if !ok {
            failures += 1
            if failures <= 3 {
                XCTFail("\(what())[\(i)]: \(a[i]) vs reference \(e[i]) (rtol \(rtol), atol \(atol))", file: file, line: line)
            }
        }
    }
    if failures > 3 { XCTFail("\(what()): \(failures) elements differ in all", file: file, line: line) }
}

/// Asserts `a` and `b` have the same count and agree elementwise within `tolerance · max(1, |b|)`
/// (equal values, infinities included, always agree).
func assertClose<T: LossScalar>(
    _ a: [T], _ b: [T], tolerance: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, what, file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() {
        let ok = x == y || abs(Double(x) - Double(y)) <= tolerance * max(1, abs(Double(y)))
        XCTAssertTrue(ok, "\(what)[\(i)]: \(x) vs \(y)", file: file, line: line)
    }
}

/// Asserts equal shapes and elementwise agreement within `rtol · max(|expected|, max|expected|, 1)`
/// (reports the first differing element).
func assertClose<T: LossScalar>(
    _ actual: Tensor<T>, _ expected: Tensor<T>, rtol: T, _ what: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.shape, expected.shape, what, file: file, line: line)
    let scale = expected.scalars.map(\.magnitude).max() ?? 0
    for (i, (a, e)) in zip(actual.scalars, expected.scalars).enumerated() where !(abs(a - e) <= rtol * max(abs(e), scale, 1)) {
        XCTFail("\(what)[\(i)]: \(a) vs \(e)", file: file, line: line)
        return
    }
}
