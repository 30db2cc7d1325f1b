import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Family C: `kl-div`, `js-div`, `vae-kl`. Reference values come from Fixtures/divergence.json
/// (scripts/fixtures/divergence.py, PyTorch); the tests below pin the properties and edge cases
/// the reference cannot (where PyTorch gives NaN and LossKit the finite answer).
final class DivergenceTests: XCTestCase {
    // MARK: Reference

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("divergence"), 0)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("divergence"), 100)
    }

    // MARK: Properties

    func testKLOfADistributionWithItselfIsZero() throws {
        try forBothPrecisions(KLSelf.self)
    }

    private enum KLSelf: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            let logits: Tensor<T> = randomTensor([4, 7], seed: 1, scale: 3)
            let logP = try logSoftmax(logits, axis: 1)
            let p = try softmax(logits, axis: 1)
            let tol = T(16) * T.ulpOfOne
            for r in [Reduction.batchmean, .sum, .mean] {
                let plain = try klDivergence(input: logP, target: p, reduction: r)
                XCTAssertEqual(plain.scalar!, 0, accuracy: tol, "plain \(r)")
                let logTarget = try klDivergence(input: logP, target: logP, logTarget: true, reduction: r)
                XCTAssertEqual(logTarget.scalar!, 0, "log-target \(r): exp(t)·(t − t) is exactly 0")
                // Logits differing by a constant per row are the same distribution.
                let shifted = logits.scalars.map { $0 + 5 }
                let fromLogits = try klDivergence(
                    input: logits, target: Tensor(shape: logits.shape, scalars: shifted), fromLogits: true, reduction: r)
                XCTAssertEqual(fromLogits.scalar!, 0, accuracy: tol, "from-logits \(r)")
                assertAll(fromLogits.gradients[.input]!, near: 0, tol: tol, "from-logits ∂input \(r): p − q = 0")
                assertAll(fromLogits.gradients[.target]!, near: 0, tol: tol, "from-logits ∂target \(r)")
            }
        }
    }

    func testKLFromLogitsEqualsKLOfTheLogSoftmaxes() throws {
        try forBothPrecisions(KLLogits.self)
    }

    private enum KLLogits: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            for shape in [[3, 6], [2, 4, 3, 2], [5, 17]] {
                let x: Tensor<T> = randomTensor(shape, seed: 2, scale: 4)
                let t: Tensor<T> = randomTensor(shape, seed: 3, scale: 4)
                let logP = try logSoftmax(x, axis: 1), logQ = try logSoftmax(t, axis: 1)
                for r in Reduction.allCases {
                    let fused = try klDivergence(input: x, target: t, fromLogits: true, reduction: r)
                    let unfused = try klDivergence(input: logP, target: logQ, logTarget: true, reduction: r)
                    assertClose(fused.value, unfused.value, rtol: T(64) * T.ulpOfOne, "value \(shape) \(r)")
                    // Chain rule through log-softmax: ∂/∂x = −q·s + p·Σ q·s = s·(p − q) per row,
                    // with s the reduction's gradient scale.
                    let scale: T = r == .none || r == .sum ? 1 : 1 / (r == .batchmean ? T(shape[0]) : T(x.count))
                    let p = try softmax(x, axis: 1).scalars, q = try softmax(t, axis: 1).scalars
                    let expected = try Tensor(shape: shape, scalars: zip(p, q).map { scale * ($0 - $1) })
                    assertClose(fused.gradients[.input]!, expected, rtol: T(64) * T.ulpOfOne, "∂input \(shape) \(r)")
                }
            }
        }
    }

    func testJSIsSymmetricAndBetweenZeroAndLog2() throws {
        try forBothPrecisions(JSSymmetry.self)
    }

    private enum JSSymmetry: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            let shape = [6, 9, 2]
            let a: Tensor<T> = randomTensor(shape, seed: 4, scale: 3), b: Tensor<T> = randomTensor(shape, seed: 5, scale: 3)
            let logP = try logSoftmax(a, axis: 1), logQ = try logSoftmax(b, axis: 1)
            let p = try softmax(a, axis: 1), q = try softmax(b, axis: 1)
            let pq = try jensenShannonDivergence(input: logP, target: q, reduction: .none)
            let qp = try jensenShannonDivergence(input: logQ, target: p, reduction: .none)
            XCTAssertEqual(pq.value.shape, [6, 2])
            assertClose(pq.value, qp.value, rtol: T(64) * T.ulpOfOne, "JS(P, Q) = JS(Q, P)")
            let log2 = T.log(2)
            for v in pq.value.scalars { XCTAssertTrue(v >= 0 && v <= log2 * (1 + 8 * T.ulpOfOne), "0 ≤ \(v) ≤ log 2") }
            // Disjoint supports reach the bound; identical distributions give 0.
            let disjoint = try jensenShannonDivergence(
                input: Tensor<T>(shape: [1, 2], scalars: [0, -.infinity]), target: Tensor(shape: [1, 2], scalars: [0, 1]))
            XCTAssertEqual(disjoint.scalar!, log2, accuracy: 4 * log2.ulp)
            let same = try jensenShannonDivergence(input: logP, target: p, reduction: .sum)
            XCTAssertEqual(same.scalar!, 0, accuracy: T(64) * T.ulpOfOne)
            // from-logits is the plain loss on log-softmax(input) and softmax(target): both are
            // logits, and swapping them swaps the gradients (JS is symmetric).
            let fused = try jensenShannonDivergence(input: a, target: b, fromLogits: true, reduction: .none)
            let unfused = try jensenShannonDivergence(input: logP, target: q, reduction: .none)
            assertClose(fused.value, unfused.value, rtol: T(64) * T.ulpOfOne, "from-logits value")
            let swapped = try jensenShannonDivergence(input: b, target: a, fromLogits: true, reduction: .none)
            assertClose(fused.value, swapped.value, rtol: T(64) * T.ulpOfOne, "from-logits JS(a, b) = JS(b, a)")
            assertClose(fused.gradients[.input]!, swapped.gradients[.target]!, rtol: T(256) * T.ulpOfOne, "∂/∂input ↔ ∂/∂target")
            assertClose(fused.gradients[.target]!, swapped.gradients[.input]!, rtol: T(256) * T.ulpOfOne, "∂/∂target ↔ ∂/∂input")
        }
    }

    func testVAEKLIsZeroAtTheStandardNormal() throws {
        try forBothPrecisions(VAEZero.self)
    }

    private enum VAEZero: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            let zero = try Tensor<T>(shape: [3, 5], repeating: 0)
            let r = try vaeKLDivergence(mean: zero, logVariance: zero)
            // −½(1 + 0 − 0 − e⁰) = 0 exactly, and both gradients (μ and ½(e⁰ − 1)) are exactly 0.
            XCTAssertEqual(r.scalar, 0)
            XCTAssertEqual(r.gradients[.mean]?.scalars, Array(repeating: 0, count: 15))
            XCTAssertEqual(r.gradients[.logVariance]?.scalars, Array(repeating: 0, count: 15))
            // One unit of mean in one coordinate costs ½ (the doc comment's example).
            let mu = try Tensor<T>(shape: [1, 2], scalars: [1, 0])
            XCTAssertEqual(try vaeKLDivergence(mean: mu, logVariance: Tensor(shape: [1, 2], repeating: 0)).scalar, 0.5)
        }
    }

    func testMeanAndBatchmeanGradientsAreTheSumGradientOverTheirDenominators() throws {
        try forBothPrecisions(ReductionScaling.self)
    }

    private enum ReductionScaling: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            let shape = [4, 5, 3]
            let x: Tensor<T> = randomTensor(shape, seed: 6), t: Tensor<T> = randomTensor(shape, seed: 7)
            let logP = try logSoftmax(x, axis: 1), q = try softmax(t, axis: 1)
            typealias Call = (Reduction) throws -> LossResult<T>
            let losses: [(String, Call, [(Reduction, T)])] = [
                ("kl", { try klDivergence(input: logP, target: q, reduction: $0) }, [(.mean, 60), (.batchmean, 4)]),
                ("kl from-logits", { try klDivergence(input: x, target: t, fromLogits: true, reduction: $0) }, [(.mean, 60), (.batchmean, 4)]),
                ("js", { try jensenShannonDivergence(input: logP, target: q, reduction: $0) }, [(.mean, 12), (.batchmean, 4)]),
                ("js from-logits", { try jensenShannonDivergence(input: x, target: q, fromLogits: true, reduction: $0) }, [(.mean, 12), (.batchmean, 4)]),
                ("vae", { try vaeKLDivergence(mean: x, logVariance: t, reduction: $0) }, [(.mean, 4)]),
            ]
            for (name, call, scaled) in losses {
                let sum = try call(.sum), none = try call(.none)
                XCTAssertEqual(sum.scalar!, none.value.scalars.reduce(0, +), accuracy: T(64) * T.ulpOfOne * max(1, abs(sum.scalar!)), name)
                for (r, denominator) in scaled {
                    let reduced = try call(r)
                    XCTAssertEqual(reduced.scalar!, sum.scalar! / denominator, accuracy: T(8) * T.ulpOfOne * max(1, abs(sum.scalar!)), "\(name) \(r)")
                    for (arg, g) in sum.gradients {
                        let expected = try Tensor(shape: g.shape, scalars: g.scalars.map { $0 / denominator })
                        assertClose(reduced.gradients[arg]!, expected, rtol: T(8) * T.ulpOfOne, "\(name) \(r) ∂\(arg)")
                        XCTAssertEqual(none.gradients[arg]?.scalars, g.scalars, "\(name): none's gradient is the sum's")
                    }
                }
            }
        }
    }

    func testNoneShapes() throws {
        let x = try Tensor<Float>(shape: [2, 3, 4, 5], repeating: -1)
        let p = try Tensor<Float>(shape: [2, 3, 4, 5], repeating: 0.25)
        XCTAssertEqual(try klDivergence(input: x, target: p, reduction: .none).value.shape, [2, 3, 4, 5])
        XCTAssertEqual(try klDivergence(input: x, target: x, fromLogits: true, reduction: .none).value.shape, [2, 3, 4, 5])
        XCTAssertEqual(try jensenShannonDivergence(input: x, target: p, reduction: .none).value.shape, [2, 4, 5])
        XCTAssertEqual(try vaeKLDivergence(mean: x, logVariance: x, reduction: .none).value.shape, [2])
        // A rank-0 input is allowed by kl_div; batchmean then divides by 1.
        let r = try klDivergence(input: Tensor(Float(-1)), target: Tensor(Float(0.5)))
        XCTAssertEqual(r.scalar!, 0.5 * (Float.log(0.5) + 1), accuracy: 1e-7)
    }

    func testOnlyRequestedGradientsAreComputed() throws {
        let x = try Tensor<Double>(shape: [2, 3], scalars: [-1, -2, -0.5, -1, -1, -1])
        let q = try Tensor<Double>(shape: [2, 3], scalars: [0.2, 0.3, 0.5, 0.1, 0.1, 0.8])
        for fromLogits in [false, true] {
            XCTAssertTrue(try klDivergence(input: x, target: q, fromLogits: fromLogits, wrt: []).gradients.isEmpty)
            XCTAssertEqual(Set(try klDivergence(input: x, target: q, fromLogits: fromLogits, wrt: [.target]).gradients.keys), [.target])
            XCTAssertEqual(Set(try jensenShannonDivergence(input: x, target: q, fromLogits: fromLogits, wrt: [.input]).gradients.keys), [.input])
            XCTAssertTrue(try jensenShannonDivergence(input: x, target: q, fromLogits: fromLogits, wrt: []).gradients.isEmpty)
        }
        XCTAssertEqual(Set(try vaeKLDivergence(mean: x, logVariance: q, wrt: [.logVariance]).gradients.keys), [.logVariance])
        // The value does not depend on which gradients were asked for.
        XCTAssertEqual(
            try klDivergence(input: x, target: q, fromLogits: true, wrt: []).scalar,
            try klDivergence(input: x, target: q, fromLogits: true).scalar)
    }

    func testLargeInputsSplitOverThreadsGiveTheSingleThreadedResultBitForBit() throws {
        // 34 × 1000 (and 3 × 40 × 300 with a strided class axis) elements are two blocks of
        // Parallelism.grain rows, so rows run on different threads.
        for shape in [[34, 1000], [3, 40, 300]] {
            let x: Tensor<Float> = randomTensor(shape, seed: 8, scale: 2), t: Tensor<Float> = randomTensor(shape, seed: 9, scale: 2)
            let logP = try logSoftmax(x, axis: 1), q = try softmax(t, axis: 1)
            func all() throws -> [LossResult<Float>] {
                [try klDivergence(input: logP, target: q), try klDivergence(input: x, target: t, fromLogits: true),
                 try jensenShannonDivergence(input: logP, target: q), try jensenShannonDivergence(input: x, target: t, fromLogits: true),
                 try vaeKLDivergence(mean: x, logVariance: t)]
            }
            let parallel = try all()
            let saved = Parallelism.maximumThreads
            Parallelism.maximumThreads = 1
            defer { Parallelism.maximumThreads = saved }
            let serial = try all()
            for (a, b) in zip(parallel, serial) {
                XCTAssertEqual(a.value, b.value, "\(shape)")
                XCTAssertEqual(a.gradients, b.gradients, "\(shape)")
            }
            // And the Float result agrees with a Double evaluation.
            let kl64 = try klDivergence(input: x.converted(to: Double.self), target: t.converted(to: Double.self), fromLogits: true)
            XCTAssertEqual(Double(parallel[1].scalar!), kl64.scalar!, accuracy: 1e-5 * max(1, kl64.scalar!))
        }
    }

    // MARK: Edge values

    func testZeroTargetContributesZeroEvenWhereInputIsMinusInfinity() throws {
        try forBothPrecisions(ZeroTarget.self)
    }

    private enum ZeroTarget: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            // PyTorch: 0·(−inf) = NaN. The mathematics (and LossKit): 0·log(0/p) = 0 for any p.
            let x = try Tensor<T>(shape: [1, 3], scalars: [-.infinity, T.log(0.5), T.log(0.5)])
            let q = try Tensor<T>(shape: [1, 3], scalars: [0, 0.5, 0.5])
            let r = try klDivergence(input: x, target: q, reduction: .none)
            XCTAssertEqual(r.value.scalars, [0, 0, 0])
            XCTAssertEqual(r.gradients[.input]?.scalars, [0, -0.5, -0.5])
            // ∂/∂target = log t + 1 − x. At t = 0 next to x = −inf the loss jumps from 0 to +inf:
            // no derivative, NaN. Elsewhere log t + 1 − x = 1 here since x = log t.
            let gt = r.gradients[.target]!.scalars
            XCTAssertTrue(gt[0].isNaN)
            XCTAssertEqual(gt[1], 1, accuracy: 4 * T.ulpOfOne)
            // A zero target next to a finite input: value 0, and the one-sided derivative of
            // t·(log t − x) at t = 0, −inf (PyTorch: NaN from 0/0).
            let finite = try klDivergence(input: Tensor(shape: [1, 2], scalars: [-1, -1]), target: Tensor(shape: [1, 2], scalars: [0, 1]))
            XCTAssertEqual(finite.scalar, 1)
            XCTAssertEqual(finite.gradients[.target]?.scalars[0], -.infinity)
            // A target mass on an input of −inf is an infinite divergence, with a finite input gradient.
            let infinite = try klDivergence(input: Tensor(shape: [1, 2], scalars: [-.infinity, 0]), target: Tensor(shape: [1, 2], scalars: [0.5, 0.5]))
            XCTAssertEqual(infinite.scalar, .infinity)
            XCTAssertEqual(infinite.gradients[.input]?.scalars, [-0.5, -0.5])
        }
    }

    func testLogTargetOfMinusInfinityContributesZeroWithZeroGradients() throws {
        try forBothPrecisions(LogTargetZero.self)
    }

    private enum LogTargetZero: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            // PyTorch gives NaN for the value and the target gradient here.
            let x = try Tensor<T>(shape: [1, 3], scalars: [-.infinity, -1, T.log(0.5)])
            let t = try Tensor<T>(shape: [1, 3], scalars: [-.infinity, -.infinity, T.log(0.5)])
            let r = try klDivergence(input: x, target: t, logTarget: true, reduction: .none)
            XCTAssertEqual(r.value.scalars, [0, 0, 0])
            XCTAssertEqual(r.gradients[.input]?.scalars, [0, 0, -0.5])
            XCTAssertEqual(r.gradients[.target]?.scalars[0], 0)
            XCTAssertEqual(r.gradients[.target]?.scalars[1], 0)
        }
    }

    func testFromLogitsIsFiniteForLogitsOfPlusMinus1e4() throws {
        try forBothPrecisions(ExtremeLogits.self)
    }

    private enum ExtremeLogits: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            let x = try Tensor<T>(shape: [2, 3], scalars: [1e4, -1e4, 0, 1e4, 1e4, -1e4])
            let t = try Tensor<T>(shape: [2, 3], scalars: [-1e4, 1e4, 0, 1e4, 1e4, -1e4])
            for r in Reduction.allCases {
                let kl = try klDivergence(input: x, target: t, fromLogits: true, reduction: r)
                assertFinite(kl, "kl-div from-logits \(r)")
                // From logits both sides are finite, gradients included.
                try assertFinite(jensenShannonDivergence(input: x, target: t, fromLogits: true, reduction: r), "js-div from-logits \(r)")
                // As probabilities, softmax(t) has exact zeros (e^−2e4 underflows) next to P > 0:
                // ∂/∂target = −inf there, the documented one-sided derivative; the rest is finite.
                let q = try softmax(t, axis: 1)
                let js = try jensenShannonDivergence(input: logSoftmax(x, axis: 1), target: q, reduction: r)
                assertFinite(js, except: .target, "js-div \(r)")
                let p = try softmax(x, axis: 1).scalars
                for (i, g) in js.gradients[.target]!.scalars.enumerated() {
                    XCTAssertEqual(q.scalars[i] == 0 && p[i] > 0, g == -.infinity, "\(r) [\(i)]")
                }
            }
            // Row 0: q is one-hot on class 1 where log p = −2e4, so KL = 2e4; ∂/∂x = p − q = [1, −1, 0].
            let kl = try klDivergence(input: x, target: t, fromLogits: true, reduction: .none)
            XCTAssertEqual(kl.value.scalars[1], 2e4)
            XCTAssertEqual(kl.gradients[.input]!.scalars[0 ..< 3], [1, -1, 0])
            // Row 0 of JS: disjoint one-hots, JS = log 2; row 1: identical, JS = 0.
            let js = try jensenShannonDivergence(input: x, target: t, fromLogits: true, reduction: .none)
            XCTAssertEqual(js.value.scalars[0], T.log(2), accuracy: 4 * T.ulpOfOne)
            XCTAssertEqual(js.value.scalars[1], 0, accuracy: 4 * T.ulpOfOne)
            // A −inf logit is a class of probability 0: finite where the other side agrees, +inf
            // where the target has mass there (as the mathematics says).
            let masked = try klDivergence(
                input: Tensor<T>(shape: [1, 3], scalars: [-.infinity, 0, 1]), target: Tensor(shape: [1, 3], scalars: [-.infinity, 1, 0]),
                fromLogits: true)
            assertFinite(masked, "masked class")
            let infinite = try klDivergence(
                input: Tensor(shape: [1, 2], scalars: [-.infinity, 0]), target: Tensor<T>(shape: [1, 2], scalars: [0, 0]), fromLogits: true)
            XCTAssertEqual(infinite.scalar, .infinity)
        }
    }

    func testJSZeroProbabilitiesGiveFiniteValuesAndTheOneSidedTargetDerivatives() throws {
        try forBothPrecisions(JSZeros.self)
    }

    private enum JSZeros: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            // Columns: P = 0 and Q = 0; P = 0 < Q; P > 0 = Q; P = Q > 0.
            let x = try Tensor<T>(shape: [1, 4], scalars: [-.infinity, -.infinity, T.log(0.5), T.log(0.5)])
            let q = try Tensor<T>(shape: [1, 4], scalars: [0, 0.5, 0, 0.5])
            let r = try jensenShannonDivergence(input: x, target: q, reduction: .sum)
            // ½[Q log 2] + ½[P log 2] + 0 = ½ log 2.
            XCTAssertEqual(r.scalar!, T.log(2) / 2, accuracy: 4 * T.ulpOfOne)
            let gx = r.gradients[.input]!.scalars, gt = r.gradients[.target]!.scalars
            // ∂/∂x = ½ P log(P/M): 0 where P = 0, ½·½·log 2 where Q = 0, 0 where P = Q.
            XCTAssertEqual(gx[0], 0); XCTAssertEqual(gx[1], 0)
            XCTAssertEqual(gx[2], T.log(2) / 4, accuracy: 4 * T.ulpOfOne)
            XCTAssertEqual(gx[3], 0, accuracy: 4 * T.ulpOfOne)
            // ∂/∂Q = ½ log(Q/M): ½ log 2 along P = 0 (exact: JS = ½ Q log 2 there), −inf at Q = 0 < P.
            XCTAssertEqual(gt[0], T.log(2) / 2, accuracy: 4 * T.ulpOfOne)
            XCTAssertEqual(gt[1], T.log(2) / 2, accuracy: 4 * T.ulpOfOne)
            XCTAssertEqual(gt[2], -.infinity)
            XCTAssertEqual(gt[3], 0, accuracy: 4 * T.ulpOfOne)
        }
    }

    func testVAEKLIsFiniteForLogvarMinus1e4AndInfiniteForPlus1e4() throws {
        try forBothPrecisions(VAEExtremes.self)
    }

    private enum VAEExtremes: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            let mu = try Tensor<T>(shape: [1, 2], scalars: [1, 0])
            let tiny = try vaeKLDivergence(mean: mu, logVariance: Tensor(shape: [1, 2], scalars: [-1e4, 0]), reduction: .sum)
            // ½(μ² + e^−1e4 − 1 + 1e4) = ½(1 + 0 − 1 + 1e4) = 5000 (e^−1e4 underflows to 0 exactly).
            XCTAssertEqual(tiny.scalar, 5000)
            XCTAssertEqual(tiny.gradients[.logVariance]?.scalars, [-0.5, 0])
            let huge = try vaeKLDivergence(mean: mu, logVariance: Tensor(shape: [1, 2], scalars: [1e4, 0]), reduction: .sum)
            XCTAssertEqual(huge.scalar, .infinity)
            XCTAssertEqual(huge.gradients[.logVariance]?.scalars[0], .infinity)
            XCTAssertEqual(huge.gradients[.mean]?.scalars, [1, 0])
            let bigMean = try vaeKLDivergence(mean: Tensor(shape: [1, 1], scalars: [1e4]), logVariance: Tensor(shape: [1, 1], scalars: [0]))
            XCTAssertEqual(bigMean.scalar, 5e7)
        }
    }

    func testDenormalTargetsGiveFiniteValuesAndGradients() throws {
        try forBothPrecisions(Denormals.self)
    }

    private enum Denormals: PrecisionTest {
        static func run<T: LossScalar>(_: T.Type) throws {
            let tiny = T.leastNonzeroMagnitude
            let x = try Tensor<T>(shape: [1, 3], scalars: [-1, -1, -1])
            let q = try Tensor<T>(shape: [1, 3], scalars: [tiny, 4 * tiny, 1])
            let kl = try klDivergence(input: x, target: q, reduction: .none)
            assertFinite(kl, "kl-div")
            // log t + 1 − x at the smallest subnormal: log(tiny) + 2.
            XCTAssertEqual(kl.gradients[.target]!.scalars[0], T.log(tiny) + 2, accuracy: 1e-3)
            XCTAssertEqual(kl.gradients[.target]!.scalars[1], T.log(4 * tiny) + 2, accuracy: 1e-3)
            let js = try jensenShannonDivergence(input: x, target: q, reduction: .none)
            assertFinite(js, "js-div")
            let xt = try Tensor<T>(shape: [1, 2], scalars: [T.log(tiny), 0])
            let jsTiny = try jensenShannonDivergence(input: xt, target: Tensor(shape: [1, 2], scalars: [0, 1]))
            assertFinite(jsTiny, except: .target, "js-div denormal P")
            // Q = 0 < P: the one-sided −inf even when P is the smallest subnormal.
            XCTAssertEqual(jsTiny.gradients[.target]?.scalars[0], -.infinity)
            XCTAssertEqual(jsTiny.scalar!, tiny * T.log(2) / 2, "½ P log 2, exact through log(P/M) = log 2")
        }
    }

    func testEmptyBatchIsNaNWithMeansAndZeroWithSum() throws {
        let empty = try Tensor<Double>(shape: [0, 4], scalars: [])
        XCTAssertTrue(try klDivergence(input: empty, target: empty).scalar!.isNaN)
        XCTAssertTrue(try klDivergence(input: empty, target: empty, fromLogits: true).scalar!.isNaN)
        XCTAssertTrue(try jensenShannonDivergence(input: empty, target: empty).scalar!.isNaN)
        XCTAssertTrue(try vaeKLDivergence(mean: empty, logVariance: empty).scalar!.isNaN)
        let sum = try klDivergence(input: empty, target: empty, fromLogits: true, reduction: .sum)
        XCTAssertEqual(sum.scalar, 0)
        XCTAssertEqual(sum.gradients[.input]?.shape, [0, 4])
        XCTAssertEqual(try jensenShannonDivergence(input: empty, target: empty, reduction: .none).value.shape, [0])
        XCTAssertEqual(try vaeKLDivergence(mean: empty, logVariance: empty, reduction: .none).value.shape, [0])
        // No classes at all is fine for the pointwise losses (a sum of nothing).
        let noClasses = try Tensor<Double>(shape: [2, 0], scalars: [])
        XCTAssertEqual(try jensenShannonDivergence(input: noClasses, target: noClasses, reduction: .sum).scalar, 0)
    }

    func testNaNTargetPropagatesInsteadOfBeingReportedAsNegative() throws {
        let x = try Tensor<Float>(shape: [1, 2], scalars: [-1, -1])
        let q = try Tensor<Float>(shape: [1, 2], scalars: [.nan, 0.5])
        XCTAssertTrue(try klDivergence(input: x, target: q).scalar!.isNaN)
        XCTAssertTrue(try jensenShannonDivergence(input: x, target: q).scalar!.isNaN)
    }

    // MARK: Invalid input

    func testShapeMismatchThrowsNamingBothShapes() {
        let a = try! Tensor<Float>(shape: [2, 3], repeating: -1), b = try! Tensor<Float>(shape: [3, 2], repeating: 0.5)
        let expected = LossError.shapeMismatch(argument: "target", expected: [2, 3], actual: [3, 2])
        XCTAssertThrowsError(try klDivergence(input: a, target: b)) { XCTAssertEqual($0 as? LossError, expected) }
        XCTAssertThrowsError(try klDivergence(input: a, target: b, fromLogits: true)) { XCTAssertEqual($0 as? LossError, expected) }
        XCTAssertThrowsError(try jensenShannonDivergence(input: a, target: b)) { XCTAssertEqual($0 as? LossError, expected) }
        XCTAssertThrowsError(try vaeKLDivergence(mean: a, logVariance: b)) {
            XCTAssertEqual($0 as? LossError, .shapeMismatch(argument: "logvar", expected: [2, 3], actual: [3, 2]))
        }
    }

    func testNegativeProbabilityTargetThrowsWithItsIndex() {
        let x = try! Tensor<Double>(shape: [2, 2], repeating: -1)
        let q = try! Tensor<Double>(shape: [2, 2], scalars: [0.5, 0.5, 1.5, -0.5])
        for r in Reduction.allCases {
            XCTAssertThrowsError(try klDivergence(input: x, target: q, reduction: r), "kl \(r)") { assertNegativeTarget($0, at: 3, value: -0.5) }
            XCTAssertThrowsError(try jensenShannonDivergence(input: x, target: q, reduction: r), "js \(r)") { assertNegativeTarget($0, at: 3, value: -0.5) }
        }
        // Log-targets and logits are allowed to be negative.
        XCTAssertNoThrow(try klDivergence(input: x, target: q, logTarget: true))
        XCTAssertNoThrow(try klDivergence(input: x, target: q, fromLogits: true))
    }

    func testRankBelowTwoThrowsWhereAClassDimensionIsNeeded() {
        let v = Tensor<Float>([-1, -2, -3])
        XCTAssertThrowsError(try klDivergence(input: v, target: v, fromLogits: true)) { assertInvalidShape($0, "input", [3]) }
        XCTAssertThrowsError(try jensenShannonDivergence(input: v, target: v)) { assertInvalidShape($0, "input", [3]) }
        XCTAssertThrowsError(try vaeKLDivergence(mean: v, logVariance: v)) { assertInvalidShape($0, "mean", [3]) }
        // Plain kl-div is pointwise and accepts rank 1 (batchmean divides by size(0), like PyTorch).
        XCTAssertNoThrow(try klDivergence(input: v, target: Tensor<Float>([0.2, 0.3, 0.5])))
    }

    func testSoftmaxOverAnEmptyClassDimensionThrows() {
        let e = try! Tensor<Float>(shape: [2, 0, 3], scalars: [])
        XCTAssertThrowsError(try klDivergence(input: e, target: e, fromLogits: true)) { assertInvalidShape($0, "input", [2, 0, 3]) }
        XCTAssertThrowsError(try jensenShannonDivergence(input: e, target: e, fromLogits: true)) { assertInvalidShape($0, "input", [2, 0, 3]) }
    }

    func testBatchmeanIsRejectedByVAEKL() {
        let z = try! Tensor<Float>(shape: [2, 2], repeating: 0)
        XCTAssertThrowsError(try vaeKLDivergence(mean: z, logVariance: z, reduction: .batchmean)) {
            XCTAssertEqual($0 as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"))
        }
    }

    func testCatalogRejectsMalformedFlagsAndNamesTheOption() {
        let x = DynamicTensor.float32(try! Tensor(shape: [1, 2], scalars: [-1, -1]))
        XCTAssertThrowsError(try Evaluator.evaluate(id: "kl-div", inputs: ["input": x, "target": x], options: ["from-logits": "yes"])) {
            XCTAssertEqual($0 as? LossError, .invalidOption(name: "from-logits", value: "yes", expected: "true or false"))
        }
        XCTAssertThrowsError(try Evaluator.evaluate(id: "vae-kl", inputs: ["mean": x], options: [:])) {
            guard case .missingArgument(name: "logvar", _)? = $0 as? LossError else { return XCTFail("\($0)") }
        }
    }

    func testCatalogDescribesEveryDivergenceWithTheSpecDefaults() throws {
        let kl = try XCTUnwrap(Catalog.entry(named: "kl-div"))
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: kl.options.map { ($0.name, $0.defaultValue) }),
                       ["log-target": "false", "from-logits": "false", "reduction": "batchmean"])
        let js = try XCTUnwrap(Catalog.entry(named: "js-div"))
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: js.options.map { ($0.name, $0.defaultValue) }),
                       ["from-logits": "false", "reduction": "batchmean"])
        let vae = try XCTUnwrap(Catalog.entry(named: "vae-kl"))
        XCTAssertEqual(vae.inputs.map(\.name), ["mean", "logvar"])
        XCTAssertEqual(vae.options.map(\.defaultValue), ["mean"])
    }
}

// MARK: - Helpers

/// A test body run once in Float and once in Double.
private protocol PrecisionTest {
    static func run<T: LossScalar>(_: T.Type) throws
}

private func forBothPrecisions<P: PrecisionTest>(_: P.Type) throws {
    try P.run(Float.self)
    try P.run(Double.self)
}

/// Deterministic normal-ish values (sum of uniforms from a SplitMix64 stream) times `scale`.
private func randomTensor<T: LossScalar>(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor<T> {
    var rng = SplitMix64(state: seed &* 0x9E37_79B9_7F4A_7C15)
    func next() -> Double { rng.unit() }
    let count = shape.reduce(1, *)
    let values = (0..<count).map { _ in T(((0..<4).map { _ in next() }.reduce(0, +) - 2) * scale) }
    return try! Tensor(shape: shape, scalars: values)
}

private extension Tensor where Scalar: LossScalar {
    func converted<U: LossScalar>(to: U.Type) -> Tensor<U> {
        try! Tensor<U>(shape: shape, scalars: scalars.map { U(Double($0)) })
    }
}


private func assertAll<T: LossScalar>(_ t: Tensor<T>, near value: T, tol: T, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    for (i, v) in t.scalars.enumerated() where !(abs(v - value) <= tol) {
        XCTFail("\(what)[\(i)]: \(v)", file: file, line: line)
        return
    }
}

private func assertNegativeTarget(_ error: Error, at index: Int, value: Double, file: StaticString = #filePath, line: UInt = #line) {
    guard case let .valueOutOfRange(argument, v, i, _)? = error as? LossError else {
        return XCTFail("unexpected \(error)", file: file, line: line)
    }
    XCTAssertEqual(argument, "target", file: file, line: line)
    XCTAssertEqual(v, value, file: file, line: line)
    XCTAssertEqual(i, index, file: file, line: line)
}

private func assertInvalidShape(_ error: Error, _ argument: String, _ shape: [Int], file: StaticString = #filePath, line: UInt = #line) {
    guard case let .invalidShape(a, s, _)? = error as? LossError else {
        return XCTFail("unexpected \(error)", file: file, line: line)
    }
    XCTAssertEqual(a, argument, file: file, line: line)
    XCTAssertEqual(s, shape, file: file, line: line)
}
