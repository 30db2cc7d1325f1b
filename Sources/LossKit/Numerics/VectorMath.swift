// Vectorized, branch-free elementwise exp and log for SIMD8<Float> / SIMD8<Double>.
//
// Every operation lowers to vector instructions (no libm calls, no per-lane calls):
// round-to-nearest uses the "magic number" trick (add/subtract 1.5 * 2^p), int <-> float
// conversion goes through bit patterns, 2^n is assembled with integer shifts, and edge
// cases are vector compares + `replacing(with:where:)` (blends). The Float polynomials step
// with `multiplyAdd`: one FMA instruction per step where the build targets FMA (e.g.
// `-target-cpu native`; 13–20% faster exp/log-bound kernels on Zen 5), a multiply and an add
// otherwise. The two builds may round differently (by at most an ulp of the result); each is
// deterministic. The Double polynomials keep plain `*` and `+`.
//
// Accuracy vs Glibc expf/exp/logf/log: max error 1 ulp, measured exhaustively over all
// 2^32 Float inputs, with FMA and without, and on sampled Doubles (VectorMathTests checks
// <= 2 ulp on samples and edges).
//
// Codegen note: the standard library implements SIMD floating-point arithmetic as
// per-lane loops that LLVM's SLP vectorizer turns back into vector code. A few spots
// below (marked "codegen") are written to keep that re-vectorization at full width;
// check `objdump -d` for `call` / scalar `mulss`/`mulsd` after changing them.

public enum VectorMath {

    // MARK: - exp

    /// Elementwise e^x. exp(+inf) = +inf, exp(-inf) = 0, exp(nan) = nan; overflows to
    /// +inf above ~88.72 and produces correctly scaled denormals down to ~-103.97.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Clamp so the reduction stays valid. 89 still overflows to +inf and -104 still
        // underflows to 0 after scaling; NaN fails both compares and propagates.
        var xc = x.replacing(with: 89.0, where: x .> 89.0)
        xc = xc.replacing(with: -104.0, where: xc .< -104.0)

        // n = round(x / ln2) via the magic-number trick; t's low mantissa bits hold n.
        let t = xc * FloatConstants.log2e + FloatConstants.roundMagic
        let n = t - FloatConstants.roundMagic

        // r = x - n*ln2 with a Cody–Waite split (n*ln2Hi is exact for |n| <= 255).
        var r = xc - n * FloatConstants.ln2Hi
        r = r - n * FloatConstants.ln2Lo

        // exp(r) on |r| <= ~ln2/2 (Cephes expf minimax polynomial).
        let r2 = r * r
        var p = multiplyAdd(SIMD8(repeating: FloatConstants.exp5), r, SIMD8(repeating: FloatConstants.exp4))
        p = multiplyAdd(p, r, SIMD8(repeating: FloatConstants.exp3))
        p = multiplyAdd(p, r, SIMD8(repeating: FloatConstants.exp2))
        p = multiplyAdd(p, r, SIMD8(repeating: FloatConstants.exp1))
        p = multiplyAdd(p, r, SIMD8(repeating: FloatConstants.exp0))
        let y = multiplyAdd(p, r2, r) + 1.0

        // Scale by 2^n as 2^n1 * 2^n2 (each factor stays a normal number), so that
        // denormal results are rounded only once, in the final multiply.
        let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- FloatConstants.roundMagicBits
        let n1 = ni &>> 1
        let n2 = ni &- n1
        let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: SIMD8<Float>.self)
        let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: SIMD8<Float>.self)
        return wideRoot((y * s1) * s2, nanLanesOf: x)
    }

    /// Elementwise e^x. exp(+inf) = +inf, exp(-inf) = 0, exp(nan) = nan; overflows to
    /// +inf above ~709.78 and produces correctly scaled denormals down to ~-745.13.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var xc = x.replacing(with: 710.0, where: x .> 710.0)
        xc = xc.replacing(with: -746.0, where: xc .< -746.0)

        let t = xc * DoubleConstants.log2e + DoubleConstants.roundMagic
        let n = t - DoubleConstants.roundMagic

        // Cody–Waite: expLn2Hi has 32 significant bits, so n*expLn2Hi is exact.
        var r = xc - n * DoubleConstants.expLn2Hi
        r = r - n * DoubleConstants.expLn2Lo

        // exp(r) = 1 + r + r^2 * P(r), P of degree 9 fitted to (e^r - 1 - r)/r^2 at
        // Chebyshev nodes on |r| <= ln2/2 (relative error < 1.7e-17). Estrin evaluation.
        let r2 = r * r
        let r4 = r2 * r2
        let r8 = r4 * r4
        let q0 = DoubleConstants.c3 * r + DoubleConstants.c2
        let q1 = DoubleConstants.c5 * r + DoubleConstants.c4
        let q2 = DoubleConstants.c7 * r + DoubleConstants.c6
        let q3 = DoubleConstants.c9 * r + DoubleConstants.c8
        let q4 = DoubleConstants.c11 * r + DoubleConstants.c10
        let h0 = q1 * r2 + q0
        let h1 = q3 * r2 + q2
        let g0 = h1 * r4 + h0
        let p = q4 * r8 + g0
        let y = p * r2 + r + 1.0

        // Scale by 2^n1 * 2^n2 as for Float. n is in [-1076, 1025]; n1 = floor(n/2) via a
        // logical shift of n + 2048 (SSE2/AVX2 have no 64-bit arithmetic shift).
        let ni = unsafeBitCast(t, to: SIMD8<UInt64>.self) &- DoubleConstants.roundMagicBits
        let n1 = ((ni &+ 2048) &>> 1) &- 1024
        let n2 = ni &- n1
        let s1 = unsafeBitCast((n1 &+ 1023) &<< 52, to: SIMD8<Double>.self)
        let s2 = unsafeBitCast((n2 &+ 1023) &<< 52, to: SIMD8<Double>.self)
        return wideRoot((y * s1) * s2, nanLanesOf: x)
    }

    // MARK: - log

    /// Elementwise natural logarithm. log(0) = -inf, log(x < 0) = nan, log(+inf) = +inf,
    /// log(nan) = nan, log(1) = 0 exactly; denormal inputs are handled.
    @inlinable @inline(__always)
    public static func log(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Normalize denormals (and zero, fixed up below): scale by 2^23, adjust exponent.
        let tiny = x .< FloatConstants.minNormal
        let xs = x.replacing(with: x * FloatConstants.two23, where: tiny)
        var bits = unsafeBitCast(xs, to: SIMD8<Int32>.self)
        let adjust = unsafeBitCast(tiny, to: SIMD8<Int32>.self) & -23  // mask lanes are 0 / -1

        // Split x = 2^k * m with m in [sqrt(1/2), sqrt(2)).
        let shifted = bits &- FloatConstants.sqrtHalfBits
        let k = (shifted &>> 23) &+ adjust
        bits = bits &- ((shifted &>> 23) &<< 23)
        let m = unsafeBitCast(bits, to: SIMD8<Float>.self)
        let f = m - 1.0  // exact (Sterbenz)

        // k as Float through the magic number (no int->float vector conversion).
        let kf = unsafeBitCast(k &+ FloatConstants.roundMagicBits, to: SIMD8<Float>.self)
            - FloatConstants.roundMagic

        // Cephes logf: log(1+f) = f - f^2/2 + f^3 * P(f).
        let z = f * f
        var p = multiplyAdd(SIMD8(repeating: FloatConstants.log8), f, SIMD8(repeating: FloatConstants.log7))
        p = multiplyAdd(p, f, SIMD8(repeating: FloatConstants.log6))
        p = multiplyAdd(p, f, SIMD8(repeating: FloatConstants.log5))
        p = multiplyAdd(p, f, SIMD8(repeating: FloatConstants.log4))
        p = multiplyAdd(p, f, SIMD8(repeating: FloatConstants.log3))
        p = multiplyAdd(p, f, SIMD8(repeating: FloatConstants.log2))
        p = multiplyAdd(p, f, SIMD8(repeating: FloatConstants.log1))
        p = multiplyAdd(p, f, SIMD8(repeating: FloatConstants.log0))
        // (p * z) * f, not p * f * z: codegen. With the latter LLVM reassociates one
        // lane differently and leaves two lanes of the polynomial scalar.
        var y = (p * z) * f
        y = y + kf * FloatConstants.ln2Lo
        y = y - 0.5 * z
        var result = f + y
        result = result + kf * FloatConstants.ln2Hi

        // Edge cases. x * 2 == x only for ±0 and ±inf, where (x - 1) * inf gives
        // -inf (x = ±0) and +inf (x = +inf); then nan, -inf and negatives -> nan.
        result = result.replacing(with: (x - 1.0) * .infinity, where: x * 2.0 .== x)
        result = result.replacing(with: .nan, where: .!(x .>= 0))
        return wideRoot(result, nanLanesOf: x)
    }

    /// Elementwise natural logarithm. log(0) = -inf, log(x < 0) = nan, log(+inf) = +inf,
    /// log(nan) = nan, log(1) = 0 exactly; denormal inputs are handled.
    @inlinable @inline(__always)
    public static func log(_ x: SIMD8<Double>) -> SIMD8<Double> {
        // Normalize denormals (and zero, fixed up below): scale by 2^52, adjust exponent.
        let tiny = x .< DoubleConstants.minNormal
        let xs = x.replacing(with: x * DoubleConstants.two52, where: tiny)
        let bits = unsafeBitCast(xs, to: SIMD8<UInt64>.self)

        // x = 2^k * m, m in [sqrt(1/2), sqrt(2)) (musl-style, logical shifts only).
        let hx = bits &+ (DoubleConstants.oneBits &- DoubleConstants.sqrtHalfBits)
        let kBiased = hx &>> 52  // k + 1023 for positive inputs
        let mBits = (hx & DoubleConstants.mantissaMask) &+ DoubleConstants.sqrtHalfBits
        let m = unsafeBitCast(mBits, to: SIMD8<Double>.self)
        let f = m - 1.0  // exact (Sterbenz)

        // k as Double through the magic number: bits(1.5*2^52) + k - 1023 (- 52).
        let bias = SIMD8<UInt64>(repeating: DoubleConstants.roundMagicBits &- 1023)
            &- (unsafeBitCast(tiny, to: SIMD8<UInt64>.self) & 52)
        let kd = unsafeBitCast(kBiased &+ bias, to: SIMD8<Double>.self) - DoubleConstants.roundMagic

        // fdlibm: s = f/(2+f), log(1+f) = f - hfsq + s*(hfsq + R(s^2)).
        // Vector division (divpd), not a libm call.
        let hfsq = 0.5 * f * f
        let s = f / (2.0 + f)
        let z = s * s
        let w = z * z
        let t1 = w * (DoubleConstants.lg2 + w * (DoubleConstants.lg4 + w * DoubleConstants.lg6))
        let t2 = z * (DoubleConstants.lg1
            + w * (DoubleConstants.lg3 + w * (DoubleConstants.lg5 + w * DoubleConstants.lg7)))
        let rr = t2 + t1
        var result = s * (hfsq + rr) + kd * DoubleConstants.logLn2Lo
        result = result - hfsq + f
        result = result + kd * DoubleConstants.logLn2Hi

        // Edge cases. x * 2 == x only for ±0 and ±inf, where (x - 1) * inf gives
        // -inf (x = ±0) and +inf (x = +inf); then nan, -inf and negatives -> nan.
        result = result.replacing(with: (x - 1.0) * .infinity, where: x * 2.0 .== x)
        result = result.replacing(with: .nan, where: .!(x .>= 0))
        return wideRoot(result, nanLanesOf: x)
    }

    /// Returns `v` unchanged except in lanes where `x` is NaN, where `v` must already be
    /// a quiet NaN and stays a NaN (its payload is decremented by one).
    ///
    /// Purpose: codegen. SIMD8<Double> is returned in four 128-bit registers, so LLVM's
    /// SLP vectorizer otherwise rebuilds the per-lane arithmetic as 2-lane trees (no
    /// 256-bit ops under AVX). Ending in a builtin 8-lane integer add gives it a
    /// full-width root: with AVX this halves the instruction count of the Double
    /// kernels (and trims the SSE2 Float exp too).
    @inlinable @inline(__always)
    internal static func wideRoot(_ v: SIMD8<Float>, nanLanesOf x: SIMD8<Float>) -> SIMD8<Float> {
        let nanMask = unsafeBitCast(x .!= x, to: SIMD8<Int32>.self)  // -1 in NaN lanes, else 0
        return unsafeBitCast(unsafeBitCast(v, to: SIMD8<Int32>.self) &+ nanMask, to: SIMD8<Float>.self)
    }

    @inlinable @inline(__always)
    internal static func wideRoot(_ v: SIMD8<Double>, nanLanesOf x: SIMD8<Double>) -> SIMD8<Double> {
        let nanMask = unsafeBitCast(x .!= x, to: SIMD8<Int64>.self)  // -1 in NaN lanes, else 0
        return unsafeBitCast(unsafeBitCast(v, to: SIMD8<Int64>.self) &+ nanMask, to: SIMD8<Double>.self)
    }
}

// MARK: - Constants

extension VectorMath {
    @usableFromInline
    internal enum FloatConstants {
        // Written as computed properties with literal bodies so they constant-fold
        // (static stored properties would need lazy-initialization checks).
        @inlinable static var log2e: Float { 1.44269504088896341 }
        @inlinable static var roundMagic: Float { 12582912.0 }  // 1.5 * 2^23
        @inlinable static var roundMagicBits: Int32 { 0x4B40_0000 }
        @inlinable static var ln2Hi: Float { 0.693359375 }
        @inlinable static var ln2Lo: Float { -2.12194440e-4 }
        @inlinable static var exp5: Float { 1.9875691500e-4 }
        @inlinable static var exp4: Float { 1.3981999507e-3 }
        @inlinable static var exp3: Float { 8.3334519073e-3 }
        @inlinable static var exp2: Float { 4.1665795894e-2 }
        @inlinable static var exp1: Float { 1.6666665459e-1 }
        @inlinable static var exp0: Float { 5.0000001201e-1 }
        @inlinable static var minNormal: Float { .leastNormalMagnitude }  // 2^-126
        @inlinable static var two23: Float { 8388608.0 }
        @inlinable static var sqrtHalfBits: Int32 { 0x3F35_04F3 }  // bits of sqrt(1/2)
        @inlinable static var log8: Float { 7.0376836292e-2 }
        @inlinable static var log7: Float { -1.1514610310e-1 }
        @inlinable static var log6: Float { 1.1676998740e-1 }
        @inlinable static var log5: Float { -1.2420140846e-1 }
        @inlinable static var log4: Float { 1.4249322787e-1 }
        @inlinable static var log3: Float { -1.6668057665e-1 }
        @inlinable static var log2: Float { 2.0000714765e-1 }
        @inlinable static var log1: Float { -2.4999993993e-1 }
        @inlinable static var log0: Float { 3.3333331174e-1 }
    }

    @usableFromInline
    internal enum DoubleConstants {
        @inlinable static var log2e: Double { 1.4426950408889634074 }
        @inlinable static var roundMagic: Double { 6755399441055744.0 }  // 1.5 * 2^52
        @inlinable static var roundMagicBits: UInt64 { 0x4338_0000_0000_0000 }
        @inlinable static var expLn2Hi: Double { 6.93145751953125e-1 }
        @inlinable static var expLn2Lo: Double { 1.42860682030941723212e-6 }
        @inlinable static var c2: Double { 0.5000000000000001 }
        @inlinable static var c3: Double { 0.16666666666666669 }
        @inlinable static var c4: Double { 0.04166666666662399 }
        @inlinable static var c5: Double { 0.008333333333330051 }
        @inlinable static var c6: Double { 0.0013888888917281794 }
        @inlinable static var c7: Double { 0.00019841269863105968 }
        @inlinable static var c8: Double { 2.480152119021773e-05 }
        @inlinable static var c9: Double { 2.7557268378684192e-06 }
        @inlinable static var c10: Double { 2.7620138719733994e-07 }
        @inlinable static var c11: Double { 2.5100424157005067e-08 }
        @inlinable static var minNormal: Double { .leastNormalMagnitude }  // 2^-1022
        @inlinable static var two52: Double { 4503599627370496.0 }
        @inlinable static var sqrtHalfBits: UInt64 { 0x3FE6_A09E_667F_3BCD }  // bits of sqrt(1/2)
        @inlinable static var oneBits: UInt64 { 0x3FF0_0000_0000_0000 }
        @inlinable static var mantissaMask: UInt64 { 0x000F_FFFF_FFFF_FFFF }
        @inlinable static var lg1: Double { 6.666666666666735130e-01 }
        @inlinable static var lg2: Double { 3.999999999940941908e-01 }
        @inlinable static var lg3: Double { 2.857142874366239149e-01 }
        @inlinable static var lg4: Double { 2.222219843214978396e-01 }
        @inlinable static var lg5: Double { 1.818357216161805012e-01 }
        @inlinable static var lg6: Double { 1.531383769920937332e-01 }
        @inlinable static var lg7: Double { 1.479819860511658591e-01 }
        @inlinable static var logLn2Hi: Double { 6.93147180369123816490e-01 }
        @inlinable static var logLn2Lo: Double { 1.90821492927058770002e-10 }
    }
}
