import XCTest
import Glibc
@testable import LossKit

/// Accuracy and special-value tests for `VectorMath` against Glibc's expf/exp/logf/log.
///
/// Sampled so the whole file runs in a few seconds in a debug build: ~1.3M Float bit
/// patterns (a fixed stride through all 2^32), ~300K Doubles across the whole exponent
/// range, plus dense neighbourhoods of every threshold (overflow, denormal boundary,
/// underflow to zero), denormal inputs and the IEEE special values. The exhaustive
/// 2^32 Float sweep is run separately in release mode (max error measured: 1 ulp).
final class VectorMathTests: XCTestCase {

    static let maxUlp: UInt64 = 2

    // MARK: - ulp distance

    /// Distance in units in the last place, via bit patterns mapped onto a monotonic
    /// integer line (so -0 and +0 coincide and the smallest denormals are 1 apart).
    /// Both-NaN and equal values (including equal infinities) are exact; NaN vs non-NaN
    /// is "infinitely" far.
    static func ulpDistance(_ a: Float, _ b: Float) -> UInt64 {
        if a.isNaN && b.isNaN { return 0 }
        if a.isNaN || b.isNaN { return .max }
        if a == b { return 0 }
        func key(_ v: Float) -> Int64 {
            let magnitude = Int64(v.bitPattern & 0x7FFF_FFFF)
            return v.sign == .minus ? -magnitude : magnitude
        }
        return (key(a) - key(b)).magnitude
    }

    static func ulpDistance(_ a: Double, _ b: Double) -> UInt64 {
        if a.isNaN && b.isNaN { return 0 }
        if a.isNaN || b.isNaN { return .max }
        if a == b { return 0 }
        // Offset-binary key (an Int64 difference could overflow for opposite signs).
        func key(_ v: Double) -> UInt64 {
            let magnitude = v.bitPattern & 0x7FFF_FFFF_FFFF_FFFF
            return v.sign == .minus ? (1 << 63) - magnitude : (1 << 63) + magnitude
        }
        let ka = key(a), kb = key(b)
        return ka > kb ? ka - kb : kb - ka
    }

    static func hex(_ v: Float) -> String { "0x" + String(v.bitPattern, radix: 16) }
    static func hex(_ v: Double) -> String { "0x" + String(v.bitPattern, radix: 16) }

    // MARK: - Checking helpers

    /// Runs `vector` over `inputs` 8 lanes at a time (padding the tail with the first
    /// input) and compares every lane with `reference`. Fails with the worst input.
    func check(
        _ name: String, _ inputs: [Float],
        vector: (SIMD8<Float>) -> SIMD8<Float>, reference: (Float) -> Float,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard !inputs.isEmpty else { return }
        var padded = inputs
        while padded.count % 8 != 0 { padded.append(inputs[0]) }
        var outputs = [Float](repeating: 0, count: padded.count)
        padded.withUnsafeBytes { src in
            outputs.withUnsafeMutableBytes { dst in
                var offset = 0
                while offset < src.count {
                    let v = src.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    dst.storeBytes(of: vector(v), toByteOffset: offset, as: SIMD8<Float>.self)
                    offset += MemoryLayout<SIMD8<Float>>.stride
                }
            }
        }
        var worst: (ulp: UInt64, index: Int) = (0, 0)
        var failures: [String] = []
        for i in 0..<inputs.count {
            let d = Self.ulpDistance(outputs[i], reference(inputs[i]))
            if d > worst.ulp { worst = (d, i) }
            if d > Self.maxUlp && failures.count < 5 {
                let x = inputs[i]
                failures.append("\(name)(\(x)) [bits \(Self.hex(x))] = \(outputs[i]), Glibc = \(reference(x))")
            }
        }
        let x = inputs[worst.index]
        XCTAssertLessThanOrEqual(
            worst.ulp, Self.maxUlp,
            "\(name): max error \(worst.ulp) ulp at x = \(x) [bits \(Self.hex(x))]: got "
                + "\(outputs[worst.index]), Glibc \(reference(x)). First failures: \(failures)",
            file: file, line: line)
    }

    func check(
        _ name: String, _ inputs: [Double],
        vector: (SIMD8<Double>) -> SIMD8<Double>, reference: (Double) -> Double,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        guard !inputs.isEmpty else { return }
        var padded = inputs
        while padded.count % 8 != 0 { padded.append(inputs[0]) }
        var outputs = [Double](repeating: 0, count: padded.count)
        padded.withUnsafeBytes { src in
            outputs.withUnsafeMutableBytes { dst in
                var offset = 0
                while offset < src.count {
                    let v = src.loadUnaligned(fromByteOffset: offset, as: SIMD8<Double>.self)
                    dst.storeBytes(of: vector(v), toByteOffset: offset, as: SIMD8<Double>.self)
                    offset += MemoryLayout<SIMD8<Double>>.stride
                }
            }
        }
        var worst: (ulp: UInt64, index: Int) = (0, 0)
        var failures: [String] = []
        for i in 0..<inputs.count {
            let d = Self.ulpDistance(outputs[i], reference(inputs[i]))
            if d > worst.ulp { worst = (d, i) }
            if d > Self.maxUlp && failures.count < 5 {
                let x = inputs[i]
                failures.append("\(name)(\(x)) [bits \(Self.hex(x))] = \(outputs[i]), Glibc = \(reference(x))")
            }
        }
        let x = inputs[worst.index]
        XCTAssertLessThanOrEqual(
            worst.ulp, Self.maxUlp,
            "\(name): max error \(worst.ulp) ulp at x = \(x) [bits \(Self.hex(x))]: got "
                + "\(outputs[worst.index]), Glibc \(reference(x)). First failures: \(failures)",
            file: file, line: line)
    }

    // MARK: - Inputs

    /// ~1.3M Float bit patterns: an odd stride through all 2^32 (both signs, every
    /// exponent incl. denormals, infinities and NaNs), with a varying low-bit offset.
    static let sampledFloats: [Float] = {
        let stride: UInt64 = 3_299  // odd, so the sampled mantissas vary
        var out: [Float] = []
        out.reserveCapacity(Int((1 << 32) / stride) + 1)
        var bits: UInt64 = 0
        while bits < (1 << 32) {
            out.append(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
            bits += stride
        }
        return out
    }()

    /// `count` values on each side of `center`, one ulp apart.
    static func neighbourhood(_ center: Float, _ count: Int) -> [Float] {
        var out: [Float] = [center]
        var up = center, down = center
        for _ in 0..<count {
            up = up.nextUp; down = down.nextDown
            out.append(up); out.append(down)
        }
        return out
    }

    static func neighbourhood(_ center: Double, _ count: Int) -> [Double] {
        var out: [Double] = [center]
        var up = center, down = center
        for _ in 0..<count {
            up = up.nextUp; down = down.nextDown
            out.append(up); out.append(down)
        }
        return out
    }

    static let floatSpecials: [Float] = [
        0, -0.0, 1, -1, 2, 0.5, .infinity, -.infinity, .nan, -.nan, .signalingNaN,
        Float(bitPattern: 0x7FFF_FFFF), Float(bitPattern: 0xFFC0_0001),
        .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
        .leastNormalMagnitude.nextDown, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
        .ulpOfOne, Float(1).nextUp, Float(1).nextDown, 88, 89, 100, 1e10, -1e10,
        -87, -88, -100, -103, -104, -105, -150, -1e30, 1e-30, -1e-30, Float(bitPattern: 2),
    ]

    static let doubleSpecials: [Double] = [
        0, -0.0, 1, -1, 2, 0.5, .infinity, -.infinity, .nan, -.nan, .signalingNaN,
        Double(bitPattern: 0x7FFF_FFFF_FFFF_FFFF), Double(bitPattern: 0xFFF8_0000_0000_0001),
        .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
        .leastNormalMagnitude.nextDown, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
        .ulpOfOne, Double(1).nextUp, Double(1).nextDown, 709, 710, 800, 1e300, -1e300,
        -700, -708, -709, -740, -745, -746, -800, -1e10, 1e-300, -1e-300, Double(bitPattern: 2025),
    ]

    /// Random bit patterns (every exponent, both signs, denormals, NaNs) plus `uniform`
    /// values drawn uniformly from `range`.
    static func sampledDoubles(seed: UInt64, bitPatterns: Int, uniform: Int,
                               in range: ClosedRange<Double>) -> [Double] {
        var rng = SplitMix64(state: seed)
        var out: [Double] = []
        out.reserveCapacity(bitPatterns + uniform)
        for _ in 0..<bitPatterns { out.append(Double(bitPattern: rng.next())) }
        for _ in 0..<uniform { out.append(Double.random(in: range, using: &rng)) }
        return out
    }

    // MARK: - Float exp

    func testFloatExpSampled() {
        check("VectorMath.exp(Float)", Self.sampledFloats, vector: VectorMath.exp, reference: expf)
    }

    func testFloatExpEdges() {
        var inputs = Self.floatSpecials
        // Overflow threshold: log(greatestFiniteMagnitude) = 88.7228391...
        inputs += Self.neighbourhood(88.72283935546875, 2000)
        // Last normal result: log(2^-126) = -87.3365448...
        inputs += Self.neighbourhood(-87.33654475, 2000)
        // Smallest denormal result 2^-149 (log = -103.2789...) and rounding to zero below
        // 2^-150 (log = -103.9720...).
        inputs += Self.neighbourhood(-103.27892990343185, 2000)
        inputs += Self.neighbourhood(-103.97207708399179, 2000)
        // The whole denormal output range, densely.
        inputs += stride(from: Float(-87.5), through: -104.5, by: -0.0007)
        // Around 0 (tiny arguments, r reduction at n = 0) and the n = ±1 switch points.
        inputs += Self.neighbourhood(0, 2000) + Self.neighbourhood(0.34657359, 500)
            + Self.neighbourhood(-0.34657359, 500)
        check("VectorMath.exp(Float)", inputs, vector: VectorMath.exp, reference: expf)
    }

    func testFloatExpSpecialValues() {
        let r = VectorMath.exp(SIMD8<Float>(-.infinity, .infinity, .nan, 0, -0.0, 89, -104, -100))
        XCTAssertEqual(r[0], 0, "exp(-inf)")
        XCTAssertEqual(r[1], .infinity, "exp(+inf)")
        XCTAssertTrue(r[2].isNaN, "exp(nan) = \(r[2])")
        XCTAssertEqual(r[3], 1, "exp(0)")
        XCTAssertEqual(r[4], 1, "exp(-0)")
        XCTAssertEqual(r[5], .infinity, "exp(89) overflows")
        XCTAssertEqual(r[6], 0, "exp(-104) underflows to 0")
        // exp(-100) = 3.7200760e-44 is a denormal and must not be flushed to zero.
        XCTAssertTrue(r[7].isSubnormal, "exp(-100) = \(r[7]) should be a denormal")
        XCTAssertLessThanOrEqual(Self.ulpDistance(r[7], expf(-100)), Self.maxUlp,
                                 "exp(-100) = \(r[7]), Glibc \(expf(-100))")
    }

    // MARK: - Float log

    func testFloatLogSampled() {
        check("VectorMath.log(Float)", Self.sampledFloats, vector: VectorMath.log, reference: logf)
    }

    func testFloatLogEdges() {
        var inputs = Self.floatSpecials
        inputs += Self.neighbourhood(1, 5000)  // log(1 ± tiny): cancellation region
        inputs += Self.neighbourhood(Float(0.5).squareRoot(), 1000)  // reduction switch points
        inputs += Self.neighbourhood(Float(2).squareRoot(), 1000)
        inputs += Self.neighbourhood(.leastNormalMagnitude, 2000)  // denormal/normal boundary
        inputs += Self.neighbourhood(.greatestFiniteMagnitude, 1000)
        // All denormal exponents (every power of two and neighbours).
        var d = Float.leastNonzeroMagnitude
        while d < .leastNormalMagnitude { inputs += Self.neighbourhood(d, 8); d *= 2 }
        inputs += Self.neighbourhood(.leastNonzeroMagnitude, 2000)
        check("VectorMath.log(Float)", inputs, vector: VectorMath.log, reference: logf)
    }

    func testFloatLogSpecialValues() {
        let r = VectorMath.log(SIMD8<Float>(0, -0.0, -1, .infinity, .nan, 1, -.infinity, .leastNonzeroMagnitude))
        XCTAssertEqual(r[0], -.infinity, "log(0)")
        XCTAssertEqual(r[1], -.infinity, "log(-0)")
        XCTAssertTrue(r[2].isNaN, "log(-1) = \(r[2])")
        XCTAssertEqual(r[3], .infinity, "log(+inf)")
        XCTAssertTrue(r[4].isNaN, "log(nan) = \(r[4])")
        XCTAssertEqual(r[5].bitPattern, Float(0).bitPattern, "log(1) must be exactly +0, got \(r[5])")
        XCTAssertTrue(r[6].isNaN, "log(-inf) = \(r[6])")
        XCTAssertLessThanOrEqual(Self.ulpDistance(r[7], logf(Float.leastNonzeroMagnitude)), Self.maxUlp,
                                 "log(2^-149) = \(r[7]), Glibc \(logf(Float.leastNonzeroMagnitude))")
    }

    // MARK: - Double exp

    func testDoubleExpSampled() {
        // Bit patterns cover huge/special/NaN inputs; the uniform part covers the whole
        // finite-result range incl. overflow and the denormal tail.
        let inputs = Self.sampledDoubles(seed: 0x5EED_0001, bitPatterns: 100_000,
                                         uniform: 200_000, in: -760...720)
        check("VectorMath.exp(Double)", inputs, vector: VectorMath.exp, reference: Glibc.exp)
    }

    func testDoubleExpEdges() {
        var inputs = Self.doubleSpecials
        inputs += Self.neighbourhood(709.782712893384, 2000)  // overflow threshold
        inputs += Self.neighbourhood(-708.3964185322641, 2000)  // last normal result 2^-1022
        inputs += Self.neighbourhood(-744.4400719213812, 2000)  // 2^-1074
        inputs += Self.neighbourhood(-745.1332191019411, 2000)  // 2^-1075: rounds to 0 below
        inputs += stride(from: -708.0, through: -746.0, by: -0.002)  // denormal results
        inputs += Self.neighbourhood(0, 2000) + Self.neighbourhood(0.34657359027997264, 500)
            + Self.neighbourhood(-0.34657359027997264, 500)
        check("VectorMath.exp(Double)", inputs, vector: VectorMath.exp, reference: Glibc.exp)
    }

    func testDoubleExpSpecialValues() {
        let r = VectorMath.exp(SIMD8<Double>(-.infinity, .infinity, .nan, 0, -0.0, 710, -746, -740))
        XCTAssertEqual(r[0], 0, "exp(-inf)")
        XCTAssertEqual(r[1], .infinity, "exp(+inf)")
        XCTAssertTrue(r[2].isNaN, "exp(nan) = \(r[2])")
        XCTAssertEqual(r[3], 1, "exp(0)")
        XCTAssertEqual(r[4], 1, "exp(-0)")
        XCTAssertEqual(r[5], .infinity, "exp(710) overflows")
        XCTAssertEqual(r[6], 0, "exp(-746) underflows to 0")
        XCTAssertTrue(r[7].isSubnormal, "exp(-740) = \(r[7]) should be a denormal")
        XCTAssertLessThanOrEqual(Self.ulpDistance(r[7], Glibc.exp(-740.0)), Self.maxUlp,
                                 "exp(-740) = \(r[7]), Glibc \(Glibc.exp(-740.0))")
    }

    // MARK: - Double log

    func testDoubleLogSampled() {
        var inputs = Self.sampledDoubles(seed: 0x5EED_0002, bitPatterns: 200_000,
                                         uniform: 50_000, in: 0.5...2)
        // Positive bit patterns only for the second half, so all exponents get coverage
        // (the negative half only checks NaN handling).
        for i in 100_000..<200_000 { inputs[i] = Swift.abs(inputs[i]) }
        check("VectorMath.log(Double)", inputs, vector: VectorMath.log, reference: Glibc.log)
    }

    func testDoubleLogEdges() {
        var inputs = Self.doubleSpecials
        inputs += Self.neighbourhood(1, 5000)
        inputs += Self.neighbourhood((0.5 as Double).squareRoot(), 1000)
        inputs += Self.neighbourhood((2 as Double).squareRoot(), 1000)
        inputs += Self.neighbourhood(.leastNormalMagnitude, 2000)
        inputs += Self.neighbourhood(.greatestFiniteMagnitude, 1000)
        var d = Double.leastNonzeroMagnitude
        while d < .leastNormalMagnitude { inputs += Self.neighbourhood(d, 8); d *= 2 }
        inputs += Self.neighbourhood(.leastNonzeroMagnitude, 2000)
        check("VectorMath.log(Double)", inputs, vector: VectorMath.log, reference: Glibc.log)
    }

    func testDoubleLogSpecialValues() {
        let r = VectorMath.log(SIMD8<Double>(0, -0.0, -1, .infinity, .nan, 1, -.infinity, .leastNonzeroMagnitude))
        XCTAssertEqual(r[0], -.infinity, "log(0)")
        XCTAssertEqual(r[1], -.infinity, "log(-0)")
        XCTAssertTrue(r[2].isNaN, "log(-1) = \(r[2])")
        XCTAssertEqual(r[3], .infinity, "log(+inf)")
        XCTAssertTrue(r[4].isNaN, "log(nan) = \(r[4])")
        XCTAssertEqual(r[5].bitPattern, Double(0).bitPattern, "log(1) must be exactly +0, got \(r[5])")
        XCTAssertTrue(r[6].isNaN, "log(-inf) = \(r[6])")
        XCTAssertLessThanOrEqual(Self.ulpDistance(r[7], Glibc.log(Double.leastNonzeroMagnitude)), Self.maxUlp,
                                 "log(2^-1074) = \(r[7]), Glibc \(Glibc.log(Double.leastNonzeroMagnitude))")
    }

    // MARK: - Lanes are independent

    func testMixedLanes() {
        // Specials next to ordinary values in the same vector must not disturb each other.
        let xf = SIMD8<Float>(.nan, 1.5, -.infinity, 3, 0, 0.25, .infinity, -2)
        let ef = VectorMath.exp(xf), lf = VectorMath.log(xf)
        let xd = SIMD8<Double>(.nan, 1.5, -.infinity, 3, 0, 0.25, .infinity, -2)
        let ed = VectorMath.exp(xd), ld = VectorMath.log(xd)
        for i in 0..<8 {
            XCTAssertLessThanOrEqual(Self.ulpDistance(ef[i], expf(xf[i])), Self.maxUlp, "exp(Float \(xf[i])) = \(ef[i])")
            XCTAssertLessThanOrEqual(Self.ulpDistance(lf[i], logf(xf[i])), Self.maxUlp, "log(Float \(xf[i])) = \(lf[i])")
            XCTAssertLessThanOrEqual(Self.ulpDistance(ed[i], Glibc.exp(xd[i])), Self.maxUlp, "exp(Double \(xd[i])) = \(ed[i])")
            XCTAssertLessThanOrEqual(Self.ulpDistance(ld[i], Glibc.log(xd[i])), Self.maxUlp, "log(Double \(xd[i])) = \(ld[i])")
        }
    }

    /// The helpers themselves: a sanity check so a broken ulp metric can't hide errors.
    func testUlpDistance() {
        XCTAssertEqual(Self.ulpDistance(Float(1), Float(1).nextUp), 1)
        XCTAssertEqual(Self.ulpDistance(Float(0), -Float(0)), 0)
        XCTAssertEqual(Self.ulpDistance(Float.leastNonzeroMagnitude, -.leastNonzeroMagnitude), 2)
        XCTAssertEqual(Self.ulpDistance(Float.nan, .nan), 0)
        XCTAssertEqual(Self.ulpDistance(Float.nan, 1), .max)
        XCTAssertEqual(Self.ulpDistance(Float.infinity, .infinity), 0)
        XCTAssertEqual(Self.ulpDistance(Float.infinity, .greatestFiniteMagnitude), 1)
        XCTAssertEqual(Self.ulpDistance(Double(1), Double(1).nextDown), 1)
        XCTAssertEqual(Self.ulpDistance(Double.infinity, -.infinity), UInt64(0xFFE0_0000_0000_0000))
        XCTAssertEqual(Self.ulpDistance(Double.nan, .infinity), .max)
    }
}
