import Foundation
import XCTest
@testable import LossKitCLI

/// The CSV reader's number parser against Swift's `Double(String)` (glibc strtod): the same
/// verdict (number or not) and the same bits, on random and edge strings.
final class DecimalParserTests: XCTestCase {
    func assertAgrees(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let expected = Double(text)
        let actual = DecimalParser.parse(text)
        if let expected, expected.isNaN {
            XCTAssertTrue(actual?.isNaN == true, "'\(text)': expected NaN, got \(String(describing: actual))", file: file, line: line)
        } else {
            XCTAssertEqual(actual?.bitPattern, expected?.bitPattern,
                           "'\(text)': expected \(String(describing: expected)), got \(String(describing: actual))", file: file, line: line)
        }
    }

    func testEdgeStringsMatchDoubleInit() {
        let cases = [
            "0", "-0", "+0", "0.0", "-0.0", "00012", "1", "+1", "-1", ".5", "5.", "-.5", "+.5e1",
            "1e0", "1E5", "1e+5", "1e-5", "1.5e308", "1.7976931348623157e308", "1.7976931348623159e308",
            "1e400", "-1e400", "1e-400", "4.9e-324", "2.4703282292062328e-324", "2.4703282292062327e-324",
            "2.2250738585072014e-308", "2.2250738585072011e-308", "1e-310",
            "9007199254740992", "9007199254740993", "9007199254740994", "9007199254740995",
            "18014398509481986", "18014398509481990", "9223372036854775807", "9223372036854775808",
            "18446744073709551615", "18446744073709551616", "99999999999999999999",
            "0.1", "0.2", "0.3", "0.30000000000000004", "123456789012345678", "1234567890123456789",
            "12345678901234567890", "0.000000000000000000000000001", "1." + String(repeating: "0", count: 30),
            "3.141592653589793238462643383279", "1e22", "1e23", "1e-22", "1e-23", "9e22", "123e-19", "123e19",
            "inf", "-inf", "+inf", "Infinity", "INF", "-Infinity", "infinit", "nan", "NaN", "-nan", "nan(123)",
            "snan", "-snan", "SNAN", "snan(5)", "0x1p3", "0X1P-2", "0x.8", "0x", "0x1.fffffffffffffp1023",
            "", ".", "-", "+", "e5", "1e", "1e+", "1e-", "1.5.5", "1,5", " 1", "1 ", "\t1", "1_0", "1e5.5",
            "1.5f", "--1", "+-1", "1e++5", "١", "0e99999999", "1e99999999999999999999", "0.0e-99999999999",
        ]
        for text in cases { assertAgrees(text) }
    }

    func testNulByteIsNotANumber() {
        // Deliberately stricter than Double(String), which stops at the NUL.
        XCTAssertEqual(Double("1.5\u{0}x"), 1.5)
        XCTAssertNil(DecimalParser.parse("1.5\u{0}x"))
    }

    func testShortestReprOfRandomBitPatternsRoundTrips() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            let x = Double(bitPattern: rng.next())
            guard x.isFinite else { continue }
            let text = "\(x)"
            assertAgrees(text)
            XCTAssertEqual(DecimalParser.parse(text)?.bitPattern, x.bitPattern, text)
        }
    }

    func testPrintfFormatsOfTypicalValues() {
        var rng = SystemRandomNumberGenerator()
        let formats = ["%.17g", "%.16g", "%.15g", "%.6f", "%.3e", "%.19e", "%.20f", "%g", "%.12f"]
        for _ in 0..<50_000 {
            let scale = Double(sign: .plus, exponent: Int.random(in: -40...40, using: &rng), significand: 1)
            let x = Double.random(in: -1...1, using: &rng) * scale
            for format in formats { assertAgrees(String(format: format, x)) }
        }
    }

    func testRandomDigitStrings() {
        var rng = SystemRandomNumberGenerator()
        let digits = Array("0123456789")
        for _ in 0..<200_000 {
            var text = ""
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: text = "-"
            case 1: text = "+"
            default: break
            }
            let integerDigits = Int.random(in: 0...20, using: &rng)
            for _ in 0..<integerDigits { text.append(digits[Int.random(in: 0..<10, using: &rng)]) }
            if Bool.random(using: &rng) {
                text += "."
                for _ in 0..<Int.random(in: 0...20, using: &rng) { text.append(digits[Int.random(in: 0..<10, using: &rng)]) }
            }
            if Int.random(in: 0..<3, using: &rng) == 0 {
                text += ["e", "E", "e-", "e+", "E-"][Int.random(in: 0..<5, using: &rng)]
                text += String(Int.random(in: 0...340, using: &rng))
            }
            assertAgrees(text)
        }
    }

    func testHalfwayIntegersRoundToEven() {
        // Odd integers in [2^53, 2^54) and 2 mod 4 in [2^54, 2^55) lie exactly halfway between two
        // doubles; written plain, with a fraction of zeros, or scaled by a power of ten.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50_000 {
            let low = UInt64.random(in: (1 << 52)..<(1 << 53), using: &rng)
            let halfway53 = (1 << 53) + 2 * low % (1 << 53) + 1
            let halfway54 = (1 << 54) + (4 * low) % (1 << 54) + 2
            for n in [halfway53, halfway54, halfway53 - 1, halfway54 + 1] {
                assertAgrees(String(n))
                assertAgrees(String(n) + ".000")
                assertAgrees(String(n) + "e-3")
                assertAgrees(String(n) + "e2")
                let s = String(n)
                assertAgrees(String(s.prefix(3)) + "." + String(s.dropFirst(3)))
            }
        }
    }
}
