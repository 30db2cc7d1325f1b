// Exact text-to-Double conversion for the CSV reader.
//
// The result is bit for bit the one of Swift's `Double(String)` (glibc `strtod_l` in the C
// locale, the whole text consumed, no leading whitespace): correctly rounded, ties to even.
// Plain decimals with at most 19 significant digits and a small exponent take exact integer
// fast paths; everything else (hex floats, inf/nan spellings, long or extreme decimals) goes to
// `strtod` itself, so the two can never disagree on what is a number. One deliberate
// difference: a text containing a NUL byte is not a number (`Double("1.5\0x")` is 1.5).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum DecimalParser {
    /// Powers of ten exactly representable as Double (10^0 … 10^22).
    static let exactPowers: [Double] = {
        var p = [Double](repeating: 1, count: 23)
        for i in 1..<23 { p[i] = p[i - 1] * 10 }
        return p
    }()

    /// Powers of ten exactly representable as UInt64 (10^0 … 10^19).
    static let integerPowers: [UInt64] = {
        var p = [UInt64](repeating: 1, count: 20)
        for i in 1..<20 { p[i] = p[i - 1] * 10 }
        return p
    }()

    /// Parses `count` bytes at `start` as a Double, or returns nil if they are not a number in
    /// the sense of `Double(String)`.
    @inline(__always)
    static func parse(_ start: UnsafePointer<UInt8>, count: Int) -> Double? {
        if let value = parseFast(start, count: count) { return value }
        return parseSlow(start, count: count)
    }

    /// Parses `text` as `parse(_:count:)` does.
    static func parse(_ text: String) -> Double? {
        var copy = text
        return copy.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { return nil }
            return parse(base, count: buffer.count)
        }
    }

    /// Plain decimals `[+-]digits[.digits][(e|E)[+-]digits]` that an exact integer computation
    /// can round correctly; nil for anything else (not necessarily "not a number").
    @inline(__always)
    static func parseFast(_ p: UnsafePointer<UInt8>, count n: Int) -> Double? {
        guard n > 0 else { return nil }
        var i = 0
        var negative = false
        if p[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if p[0] == UInt8(ascii: "+") { i = 1 }
        let integerStart = i
        while i < n, p[i] &- UInt8(ascii: "0") < 10 { i += 1 }
        let integerEnd = i
        var fractionStart = i, fractionEnd = i
        if i < n, p[i] == UInt8(ascii: ".") {
            i += 1
            fractionStart = i
            while i < n, p[i] &- UInt8(ascii: "0") < 10 { i += 1 }
            fractionEnd = i
        }
        guard integerEnd > integerStart || fractionEnd > fractionStart else { return nil }
        var exponent = 0
        if i < n, p[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var negativeExponent = false
            if i < n, p[i] == UInt8(ascii: "-") { negativeExponent = true; i += 1 } else if i < n, p[i] == UInt8(ascii: "+") { i += 1 }
            let exponentStart = i
            var e = 0
            while i < n {
                let d = p[i] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                if e < 100_000 { e = e * 10 + Int(d) }
                i += 1
            }
            guard i > exponentStart else { return nil }
            exponent = negativeExponent ? -e : e
        }
        guard i == n else { return nil }
        // Significant digits: leading zeros of the integer part, and of the fraction when the
        // integer part is all zeros, do not count.
        var first = integerStart
        while first < integerEnd, p[first] == UInt8(ascii: "0") { first += 1 }
        var mantissa: UInt64
        if first < integerEnd {
            guard integerEnd - first + fractionEnd - fractionStart <= 19 else { return nil }
            mantissa = accumulate(p + first, count: integerEnd - first, into: 0)
            mantissa = accumulate(p + fractionStart, count: fractionEnd - fractionStart, into: mantissa)
        } else {
            first = fractionStart
            while first < fractionEnd, p[first] == UInt8(ascii: "0") { first += 1 }
            guard fractionEnd - first <= 19 else { return nil }
            mantissa = accumulate(p + first, count: fractionEnd - first, into: 0)
        }
        exponent -= fractionEnd - fractionStart
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        let magnitude: Double
        if mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            // Clinger's fast path: both operands exact, one correctly rounded operation.
            let m = Double(mantissa)
            magnitude = exponent < 0 ? m / exactPowers[-exponent] : m * exactPowers[exponent]
        } else if exponent < 0 && exponent >= -19 {
            magnitude = divide(mantissa, byPowerOfTen: -exponent)
        } else if exponent >= 0 && exponent <= 19 {
            magnitude = multiply(mantissa, byPowerOfTen: exponent)
        } else {
            return nil
        }
        return negative ? -magnitude : magnitude
    }

    /// `start · 10^count + digits`, for `count` ASCII digits at `p` (the result must fit).
    @inline(__always)
    static func accumulate(_ p: UnsafePointer<UInt8>, count: Int, into start: UInt64) -> UInt64 {
        var m = start
        var j = 0
        #if _endian(little)
        while count - j >= 8 {
            m = m &* 100_000_000 &+ UInt64(eightDigits(UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self)))
            j += 8
        }
        #endif
        while j < count {
            m = m &* 10 &+ UInt64(p[j] &- UInt8(ascii: "0"))
            j += 1
        }
        return m
    }

    /// The value of 8 ASCII digits loaded little-endian (first digit in the lowest byte), by
    /// the SWAR steps of fast_float's `parse_eight_digits_unrolled`.
    @inline(__always)
    static func eightDigits(_ word: UInt64) -> UInt32 {
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        let mul1: UInt64 = 100 + (1_000_000 << 32)
        let mul2: UInt64 = 1 + (10_000 << 32)
        var v = word &- 0x3030_3030_3030_3030
        v = v &* 10 &+ (v >> 8)
        v = ((v & mask) &* mul1 &+ ((v >> 16) & mask) &* mul2) >> 32
        return UInt32(truncatingIfNeeded: v)
    }

    /// floor(2^(128+t) / 10^k) as two words, t = ⌊log2 10^k⌋, for k = 1 … 19 (index 0 unused):
    /// the reciprocals that turn `divide`'s division into two multiplications.
    static let reciprocals: [(high: UInt64, low: UInt64)] = {
        var table: [(high: UInt64, low: UInt64)] = [(0, 0)]
        for k in 1..<20 {
            let d = integerPowers[k]
            let t = 63 - d.leadingZeroBitCount
            let (q1, r1) = d.dividingFullWidth((high: UInt64(1) << UInt64(t), low: 0))
            let (q0, _) = d.dividingFullWidth((high: r1, low: 0))
            table.append((q1, q0))
        }
        return table
    }()

    /// `w / 10^k`, correctly rounded, for 1 ≤ w < 2^64 and 1 ≤ k ≤ 19 (a normal result).
    ///
    /// Multiplies by the truncated reciprocal (as Eisel–Lemire do): the 192-bit product's top
    /// 128 bits `T` are below the exact scaled quotient by less than 2 units of their last bit,
    /// so unless the bits below the rounding point are within 4 units of exactly half, `T`
    /// rounds like the exact value. Otherwise an exact long division decides.
    @inline(__always)
    static func divide(_ w: UInt64, byPowerOfTen k: Int) -> Double {
        let lz = w.leadingZeroBitCount
        let normalized = w << UInt64(lz)
        let r = reciprocals[k]
        let t = 63 - integerPowers[k].leadingZeroBitCount
        let (h1, l1) = normalized.multipliedFullWidth(by: r.high)
        let h2 = normalized.multipliedFullWidth(by: r.low).high
        let (mid, carry) = l1.addingReportingOverflow(h2)
        let high = h1 &+ (carry ? 1 : 0)              // ≥ 2^62
        let shift = 64 - high.leadingZeroBitCount - 53
        let rest = high & ((1 << UInt64(shift)) - 1)
        let half: UInt64 = 1 << UInt64(shift - 1)
        if (rest == half && mid < 4) || (rest == half - 1 && mid > UInt64.max - 4) {
            return divideExactly(w, byPowerOfTen: k)
        }
        var kept = high >> UInt64(shift)
        if rest >= half { kept += 1 }
        return compose(kept, binaryExponent: shift - t - lz)
    }

    /// `w / 10^k` by a 128-by-64-bit division, correctly rounded (for 1 ≤ k ≤ 19).
    static func divideExactly(_ w: UInt64, byPowerOfTen k: Int) -> Double {
        let d = integerPowers[k]
        let lz = w.leadingZeroBitCount
        let normalized = w << UInt64(lz)                  // top bit set
        let t = 63 - d.leadingZeroBitCount                // 2^t ≤ d < 2^(t+1)
        // (normalized · 2^t) / d < 2^64 because normalized < 2^64 and 2^t ≤ d.
        let high = t == 0 ? 0 : normalized >> UInt64(64 - t)
        let low = t == 0 ? normalized : normalized << UInt64(t)
        let (q, r) = d.dividingFullWidth((high: high, low: low))
        // value = q_exact · 2^(-lz - t), q ≥ 2^62.
        return round(q, sticky: r != 0, binaryExponent: -lz - t)
    }

    /// `w · 10^k`, correctly rounded, for 1 ≤ w < 2^64 and 0 ≤ k ≤ 19.
    @inline(__always)
    static func multiply(_ w: UInt64, byPowerOfTen k: Int) -> Double {
        let (high, low) = w.multipliedFullWidth(by: integerPowers[k])
        if high == 0 { return round(low, sticky: false, binaryExponent: 0) }
        // Keep the top 64 bits of the 128-bit product; the rest is sticky.
        let s = 64 - high.leadingZeroBitCount             // bits of `high`
        let top = (high << UInt64(64 - s)) | (low >> UInt64(s))
        let sticky = (low << UInt64(64 - s)) != 0
        return round(top, sticky: sticky, binaryExponent: s)
    }

    /// Rounds `q · 2^e` (plus a nonzero fraction below q's last bit when `sticky`) to the
    /// nearest Double, ties to even. The result must be normal and finite.
    @inline(__always)
    static func round(_ q: UInt64, sticky: Bool, binaryExponent e: Int) -> Double {
        let bits = 64 - q.leadingZeroBitCount
        let shift = bits - 53
        if shift <= 0 {
            // q fits; callers pass a sticky fraction only with 63 or 64 bits in q.
            return Double(q) * powerOfTwo(e)
        }
        var kept = q >> UInt64(shift)
        let rest = q & ((1 << UInt64(shift)) - 1)
        let half: UInt64 = 1 << UInt64(shift - 1)
        if rest > half || (rest == half && (sticky || kept & 1 == 1)) { kept += 1 }
        return compose(kept, binaryExponent: e + shift)
    }

    /// `kept · 2^e` for 2^52 ≤ kept ≤ 2^53 and a normal, finite result, from its bits
    /// (`Double(sign:exponent:significand:)` is many times slower).
    @inline(__always)
    static func compose(_ kept: UInt64, binaryExponent e: Int) -> Double {
        var significand = kept, exponent = e + 52
        if significand == 1 << 53 { significand >>= 1; exponent += 1 }
        return Double(bitPattern: UInt64(exponent + 1023) << 52 | (significand & ((1 << 52) - 1)))
    }

    /// 2^e for a normal power of two.
    @inline(__always)
    static func powerOfTwo(_ e: Int) -> Double {
        Double(bitPattern: UInt64(e + 1023) << 52)
    }

    /// `[+-]snan` in any case, which `Double(String)` accepts (as a positive signaling NaN)
    /// before it calls `strtod`.
    static func isSignalingNaN(_ p: UnsafePointer<UInt8>, count n: Int) -> Bool {
        var i = 0
        if n > 0, p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") { i = 1 }
        guard n - i == 4 else { return false }
        return p[i] | 0x20 == UInt8(ascii: "s") && p[i + 1] | 0x20 == UInt8(ascii: "n")
            && p[i + 2] | 0x20 == UInt8(ascii: "a") && p[i + 3] | 0x20 == UInt8(ascii: "n")
    }

    /// `strtod` on a NUL-terminated copy, with `Double(String)`'s acceptance rules.
    static func parseSlow(_ p: UnsafePointer<UInt8>, count n: Int) -> Double? {
        guard n > 0 else { return nil }
        switch p[0] {
        case 9, 10, 11, 12, 13, 32: return nil
        default: break
        }
        for i in 0..<n where p[i] == 0 { return nil }
        if isSignalingNaN(p, count: n) { return Double(bitPattern: 0x7FF4_0000_0000_0000) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buffer -> Double? in
            let base = buffer.baseAddress!
            UnsafeMutableRawPointer(base).copyMemory(from: p, byteCount: n)
            base[n] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(base, &end)
            guard let end, end == base + n else { return nil }
            return value
        }
    }
}
