import XCTest
@testable import LossKit

/// The shared numerics: stable scalar functions, log-sum-exp/softmax along any axis, the
/// elementwise driver's tails and its thread-count independence.
final class NumericsTests: XCTestCase {
    /// softplus in Float agrees with the Double evaluation of log1p(exp(x)) rounded to Float, and
    /// stays finite and exact in its asymptotes.
    func testSoftplusMatchesDoublePrecisionAcrossTheRange() {
        var x: Float = -120
        while x <= 120 {
            let ref = Float(Double.log(onePlus: .exp(Double(x))))
            let got = softplus(x)
            XCTAssertEqual(got, ref, accuracy: 2 * max(ref.ulp, Float.leastNormalMagnitude), "softplus(\(x))")
            x += 0.37
        }
        XCTAssertEqual(softplus(Float(1e4)), 1e4)
        XCTAssertEqual(softplus(Float(-1e4)), 0)
        XCTAssertEqual(softplus(Float.infinity), .infinity)
        XCTAssertEqual(softplus(-Float.infinity), 0)
        XCTAssertEqual(softplus(Double(-30)), .exp(-30) - .exp(-60) / 2, accuracy: 1e-28)  // log1p(u) = u − u²/2 + …, not 0
        XCTAssertTrue(softplus(Float.nan).isNaN)
    }

    func testLogSigmoidAndSigmoidAreStableForBothSigns() {
        for x in [-1e4, -100, -20, -1, 0, 1, 20, 100, 1e4] as [Double] {
            XCTAssertTrue(logSigmoid(x).isFinite, "logSigmoid(\(x))")
            XCTAssertEqual(sigmoid(x) + sigmoid(-x), 1, accuracy: 1e-15, "σ(x) + σ(−x) at \(x)")
        }
        XCTAssertEqual(logSigmoid(-1e4 as Double), -1e4)
        XCTAssertEqual(logSigmoid(1e4 as Double), 0)
        XCTAssertEqual(logSigmoid(-40 as Double), -40 - .exp(-40), accuracy: 1e-14)
        XCTAssertEqual(sigmoid(-800 as Double), 0)
        XCTAssertEqual(sigmoid(-Double.infinity), 0)
        XCTAssertEqual(sigmoid(Double.infinity), 1)
    }

    func testVectorFormsMatchTheScalarForms() {
        let xs: [Float] = [-1e4, -88, -30, -3, -1e-3, 0, 1e-8, 2, 30, 90, 1e4, .infinity, -.infinity]
        for chunk in stride(from: 0, to: xs.count, by: 8) {
            var v = SIMD8<Float>(repeating: 0)
            let n = min(8, xs.count - chunk)
            for i in 0..<n { v[i] = xs[chunk + i] }
            let sp = vsoftplus(v), sg = vsigmoid(v), both = vsoftplusAndSigmoid(v)
            for i in 0..<n {
                let x = xs[chunk + i]
                XCTAssertEqual(sp[i], softplus(x), accuracy: 2 * max(softplus(x).ulp, 8 * Float.leastNonzeroMagnitude), "vsoftplus(\(x))")
                XCTAssertEqual(sg[i], sigmoid(x), accuracy: 2 * max(sigmoid(x).ulp, 8 * Float.leastNonzeroMagnitude), "vsigmoid(\(x))")
                XCTAssertEqual(both.softplus[i], sp[i])
                XCTAssertEqual(both.sigmoid[i], sg[i])
            }
        }
        let tiny = vlog1p(SIMD8<Double>(repeating: 1e-20))
        XCTAssertEqual(tiny[0], 1e-20)  // log1p(x) = x below the rounding of 1 + x
    }

    func testLogSumExpDoesNotOverflowAndHandlesInfinities() throws {
        XCTAssertEqual(try logSumExp(Tensor([1000, 1000] as [Float])).scalar!, 1000 + Float.log(2), accuracy: 1e-4)
        XCTAssertEqual(try logSumExp(Tensor([-1e4, -1e4] as [Double])).scalar!, -1e4 + .log(2), accuracy: 1e-9)
        XCTAssertEqual(try logSumExp(Tensor([-.infinity, -.infinity] as [Double])).scalar!, -.infinity)
        XCTAssertEqual(try logSumExp(Tensor([1, .infinity] as [Double])).scalar!, .infinity)
        XCTAssertTrue(try logSumExp(Tensor([1, .nan, 3] as [Double])).scalar!.isNaN)
        XCTAssertEqual(try logSumExp(Tensor([] as [Double])).scalar!, -.infinity)
    }

    /// Along a middle axis the strided path must agree with the contiguous one on the transpose.
    func testSoftmaxAlongAnyAxisAgreesWithTheLastAxisOfTheTranspose() throws {
        // x has shape [2, 3, 4]; xt[n, s, c] = x[n, c, s].
        let values = (0..<24).map { Double(($0 * 7) % 11) - 5 }
        let x = try Tensor(shape: [2, 3, 4], scalars: values)
        var t = [Double](repeating: 0, count: 24)
        for n in 0..<2 { for c in 0..<3 { for s in 0..<4 { t[n * 12 + s * 3 + c] = values[n * 12 + c * 4 + s] } } }
        let xt = try Tensor(shape: [2, 4, 3], scalars: t)
        let a = try logSoftmax(x, axis: 1).scalars, b = try logSoftmax(xt, axis: -1).scalars
        let p = try softmax(x, axis: 1).scalars
        let l = try logSumExp(x, axis: 1), lt = try logSumExp(xt, axis: 2)
        XCTAssertEqual(l.shape, [2, 4])
        for n in 0..<2 {
            for s in 0..<4 {
                XCTAssertEqual(l.scalars[n * 4 + s], lt.scalars[n * 4 + s], accuracy: 1e-14)
                var sum = 0.0
                for c in 0..<3 {
                    XCTAssertEqual(a[n * 12 + c * 4 + s], b[n * 12 + s * 3 + c], accuracy: 1e-14)
                    XCTAssertEqual(p[n * 12 + c * 4 + s], .exp(a[n * 12 + c * 4 + s]), accuracy: 1e-15)
                    sum += p[n * 12 + c * 4 + s]
                }
                XCTAssertEqual(sum, 1, accuracy: 1e-14)
            }
        }
        XCTAssertThrowsError(try softmax(x, axis: 3)) { XCTAssertTrue($0 is LossError) }
    }

    /// Every tail length of the 8-lane driver gives the same sums and gradients as a plain loop.
    func testElementwiseDriverHandlesEveryTailLength() throws {
        for n in 0...19 {
            let x = (0..<n).map { Double($0) * 0.5 - 3 }, y = (0..<n).map { Double($0 % 3) }
            let r = try meanSquaredError(input: Tensor(x), target: Tensor(y), reduction: .sum)
            let expected = zip(x, y).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
            XCTAssertEqual(r.scalar!, expected, accuracy: 1e-12, "n = \(n)")
            XCTAssertEqual(r.gradients[.input]!.scalars, zip(x, y).map { 2 * ($0 - $1) }, "n = \(n)")
        }
    }

    /// Blocks are fixed by the problem size, so the sum is bitwise the same on 1 or 2 threads.
    func testResultsAreBitwiseIdenticalForAnyThreadCount() throws {
        let n = 5 * Parallelism.grain + 3
        let x = Tensor<Float>((0..<n).map { Float.sin(Float($0)) * 3 })
        let y = Tensor<Float>((0..<n).map { Float.cos(Float($0)) })
        defer { Parallelism.maximumThreads = 0 }
        Parallelism.maximumThreads = 1
        let one = try meanSquaredError(input: x, target: y)
        Parallelism.maximumThreads = 2
        let two = try meanSquaredError(input: x, target: y)
        XCTAssertEqual(one.scalar!.bitPattern, two.scalar!.bitPattern)
        XCTAssertEqual(one.gradients[.input], two.gradients[.input])
    }

    func testReductionPlanScalesGradientsByTheDenominator() {
        let mean = ReductionPlan<Double>(.mean, count: 4)
        XCTAssertEqual(mean.gradientScale, 0.25)
        XCTAssertEqual(mean.value(fromSum: 10), 2.5)
        XCTAssertEqual(ReductionPlan<Double>(.sum, count: 4).value(fromSum: 10), 10)
        XCTAssertEqual(ReductionPlan<Double>(.batchmean, count: 12, batchSize: 3).value(fromSum: 9), 3)
        XCTAssertTrue(ReductionPlan<Double>(.mean, count: 0).value(fromSum: 0).isNaN)
        XCTAssertThrowsError(try Reduction.batchmean.validate()) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"))
        }
    }

    func testTensorValidatesShapesAndBorrowsWithoutCopying() throws {
        XCTAssertThrowsError(try Tensor<Float>(shape: [2, 3], scalars: [1, 2])) { e in
            guard case .invalidShape(let arg, let shape, _)? = e as? LossError else { return XCTFail("\(e)") }
            XCTAssertEqual(arg, "scalars"); XCTAssertEqual(shape, [2, 3])
        }
        XCTAssertThrowsError(try Tensor<Float>(shape: [-1], scalars: [])) { XCTAssertTrue($0 is LossError) }
        XCTAssertThrowsError(try Tensor<Float>(shape: [Int.max, 3], repeating: 0)) { XCTAssertTrue($0 is LossError) }
        let storage: [Double] = [1, 2, 3, 4]
        try storage.withUnsafeBufferPointer { b in
            let t = try Tensor(unsafeBorrowing: b, shape: [2, 2])
            t.withUnsafeBufferPointer { XCTAssertEqual($0.baseAddress, b.baseAddress) }
            var copy = t
            copy.withUnsafeMutableBufferPointer { $0[0] = 9 }
            XCTAssertEqual(storage[0], 1)  // mutation copied first
            XCTAssertEqual(copy.scalars, [9, 2, 3, 4])
            XCTAssertEqual(try meanSquaredError(input: t, target: t).scalar, 0)
        }
    }

    /// Numerics/Norms.swift: a row of n equal entries v has ‖·‖₂ = |v|·√n and ‖·‖ₚ = |v|·n^(1/p),
    /// also where v² overflows or underflows; NaN gives NaN, an infinite entry +inf.
    func testNormsAreExactWhereTheSquaresOverflowOrUnderflow() {
        func check<T: LossScalar>(_: T.Type, tiny: T, huge: T) {
            for n in [1, 7, 8, 19] {
                for v in [tiny, huge, T(3), -huge] {
                    let x = [T](repeating: v, count: n)
                    x.withUnsafeBufferPointer { b in
                        let expected = v.magnitude * T(n).squareRoot()
                        let e = euclideanNorm(b.baseAddress!, n)
                        XCTAssertEqual(e, expected, accuracy: 4 * expected.ulp, "\(T.self) n=\(n) v=\(v)")
                        let s = scaledEuclideanNorm(b.baseAddress!, n)
                        XCTAssertEqual(s.scale * s.scaledNorm, e, accuracy: 2 * e.ulp)
                        XCTAssertEqual(maxMagnitude(b.baseAddress!, n), v.magnitude)
                        let p3 = pNorm(b, p: 3), expected3 = v.magnitude * T.pow(T(n), 1 / T(3))
                        XCTAssertEqual(p3, expected3, accuracy: 8 * expected3.ulp, "p=3 \(T.self) n=\(n) v=\(v)")
                        XCTAssertEqual(scaledNorm(length: n, p: 2) { b[$0] }, expected, accuracy: 4 * expected.ulp)
                    }
                }
                var x = [T](repeating: 1, count: n)
                x[n - 1] = .infinity
                XCTAssertEqual(x.withUnsafeBufferPointer { euclideanNorm($0.baseAddress!, n) }, .infinity)
                x[0] = .nan
                XCTAssertTrue(x.withUnsafeBufferPointer { euclideanNorm($0.baseAddress!, n) }.isNaN)
                XCTAssertTrue(x.withUnsafeBufferPointer { maxMagnitude($0.baseAddress!, n) }.isNaN)
            }
        }
        check(Float.self, tiny: 1e-30, huge: 1e30)
        check(Double.self, tiny: 1e-200, huge: 1e200)
    }
}
