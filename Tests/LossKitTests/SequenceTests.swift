import Foundation
import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Family F (sequences: CTC). The reference values come from scripts/fixtures/sequence.py
/// (the CTC recursion written in torch, checked against `F.ctc_loss`); the tests here pin the
/// edge cases, exact special cases, properties and errors of LOSSES.md.
final class SequenceTests: XCTestCase {
    // MARK: Reference and finite differences

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("sequence"), 60)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("sequence"), 500)
    }

    func testCatalogEntryHasTheSpecifiedInputsAndOptions() throws {
        XCTAssertEqual(Catalog.sequence.map { $0.id }, ["ctc"])
        let e = try XCTUnwrap(Catalog.entry(named: "ctc"))
        XCTAssertEqual(e.inputs.map(\.name), ["input", "target", "input_lengths", "target_lengths"])
        XCTAssertEqual(e.inputs.map(\.kind), [.differentiable, .labels, .labels, .labels])
        let defaults = Dictionary(uniqueKeysWithValues: e.options.map { ($0.name, $0.defaultValue) })
        XCTAssertEqual(defaults, ["blank": "0", "zero-infinity": "false", "from-logits": "false", "reduction": "mean"])
    }

    // MARK: Exact special cases

    /// The documentation example: uniform probabilities over 2 classes, T = 2, target [1].
    /// Three paths (11, 01, 10) of probability ¼: ℓ = −log ¾; the label is emitted at a frame by
    /// two paths of three, so γ(label) = ⅔ and γ(blank) = ⅓ at both frames.
    func testDocumentationExampleIsMinusLogThreeQuartersWithOccupanciesOfThirds() throws {
        let x = try Tensor(shape: [2, 1, 2], repeating: -Float.log(2))
        let r = try ctcLoss(
            input: x, target: Tensor(shape: [1, 1], scalars: [1] as [Int32]),
            inputLengths: Tensor([2] as [Int32]), targetLengths: Tensor([1] as [Int32]))
        XCTAssertEqual(try XCTUnwrap(r.scalar), -Float.log(0.75), accuracy: 1e-6)
        let g = try XCTUnwrap(r.gradients[.input]).scalars
        for (a, b) in zip(g, [-1 / 3, -2 / 3, -1 / 3, -2 / 3] as [Float]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    /// With uniform log-probabilities −log C every path has probability C^−T, so
    /// ℓ = T·log C − log(#paths). A target of L labels with r repeated neighbours has
    /// binom(T + L − r, 2L) paths: 2L + 1 runs over T frames, the L label runs nonempty, the blank
    /// runs free except the r that separate repeats (nonempty).
    func testLongInputsMatchTheExactPathCountAndStayFinite() throws {
        try longInputMatchesPathCount(Float.self, rtol: 1e-5)
        try longInputMatchesPathCount(Double.self, rtol: 1e-10)
    }

    func longInputMatchesPathCount<T: LossScalar>(_: T.Type, rtol: Double) throws {
        let (frames, classes) = (5000, 5)
        let labels: [Int32] = [1, 2, 2, 3, 1, 1, 1, 4, 2, 3, 3, 4, 1, 2, 3, 4, 4, 4, 1, 2]
        let l = labels.count, r = (1..<l).filter { labels[$0] == labels[$0 - 1] }.count  // 6 repeats
        let x = try Tensor(shape: [frames, 1, classes], repeating: -T.log(T(classes)))
        let result = try ctcLoss(
            input: x, target: Tensor(shape: [1, l], scalars: labels), inputLengths: Tensor([Int32(frames)]),
            targetLengths: Tensor([Int32(l)]), reduction: .sum)
        let paths = lgamma(Double(frames + l - r + 1)) - lgamma(Double(2 * l + 1)) - lgamma(Double(frames - l - r + 1))
        let expected = Double(frames) * Foundation.log(Double(classes)) - paths
        XCTAssertEqual(Double(try XCTUnwrap(result.scalar)), expected, accuracy: rtol * expected, "\(T.self)")
        // The occupancies of a frame sum to 1: every gradient row sums to −1.
        let g = try XCTUnwrap(result.gradients[.input]).scalars
        XCTAssertTrue(g.allSatisfy(\.isFinite), "\(T.self)")
        for t in Swift.stride(from: 0, to: frames, by: 97) {
            let rowSum = g[t * classes ..< (t + 1) * classes].reduce(0, +)
            XCTAssertEqual(Double(rowSum), -1, accuracy: T.self == Float.self ? 1e-4 : 1e-10, "\(T.self) frame \(t)")
        }
    }

    /// Float keeps its precision over thousands of frames (α and β are rescaled every frame and
    /// the occupancies normalized per frame): it agrees with Double on the same input.
    func testFloatAgreesWithDoubleOverThousandsOfFrames() throws {
        let (frames, batch, classes, width) = (3000, 2, 6, 200)
        let (x, target, il, tl) = randomBatch(frames: frames, batch: batch, classes: classes, width: width, seed: 18, Double.self)
        let single = try Tensor(shape: x.shape, scalars: x.scalars.map(Float.init))
        let d = try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl, reduction: .none)
        let f = try ctcLoss(input: single, target: target, inputLengths: il, targetLengths: tl, reduction: .none)
        for (a, b) in zip(f.value.scalars, d.value.scalars) {
            XCTAssertTrue(b.isFinite && b > 1000, "\(b)")
            XCTAssertEqual(Double(a), b, accuracy: 2e-6 * b)
        }
        let gd = try XCTUnwrap(d.gradients[.input]).scalars, gf = try XCTUnwrap(f.gradients[.input]).scalars
        let worst = zip(gf, gd).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4)
    }

    /// An empty target has one path, all blanks: ℓ = −Σ_{t < T′} x[t, blank], gradient −1 on the blank.
    func testEmptyTargetLossIsMinusTheSumOfTheBlankLogProbabilities() throws {
        for blank in [0, 2, 3] {
            let x = logProbabilities(frames: 6, batch: 1, classes: 4, seed: 5, Double.self)
            let r = try ctcLoss(
                input: x, target: Tensor(shape: [1, 0], scalars: [] as [Int]), inputLengths: Tensor([5]),
                targetLengths: Tensor([0]), blank: blank, reduction: .sum)
            let s = x.scalars
            XCTAssertEqual(try XCTUnwrap(r.scalar), -(0..<5).map { s[$0 * 4 + blank] }.reduce(0, +), accuracy: 1e-12)
            let g = try XCTUnwrap(r.gradients[.input]).scalars
            for t in 0..<6 {
                for c in 0..<4 {
                    XCTAssertEqual(g[t * 4 + c], t < 5 && c == blank ? -1 : 0, accuracy: 1e-12, "blank \(blank) [\(t), \(c)]")
                }
            }
        }
    }

    /// Repeated labels need a blank between them: [1, 1] has no alignment in 2 frames and exactly
    /// one (1, blank, 1) in 3.
    func testRepeatedLabelsNeedABlankBetweenThem() throws {
        let x = logProbabilities(frames: 3, batch: 1, classes: 3, seed: 6, Double.self)
        let target = try Tensor(shape: [1, 2], scalars: [1, 1] as [Int])
        let two = try ctcLoss(input: x, target: target, inputLengths: Tensor([2]), targetLengths: Tensor([2]), reduction: .sum)
        XCTAssertEqual(two.scalar, .infinity)
        let three = try ctcLoss(input: x, target: target, inputLengths: Tensor([3]), targetLengths: Tensor([2]), reduction: .sum)
        let s = x.scalars
        XCTAssertEqual(try XCTUnwrap(three.scalar), -(s[0 * 3 + 1] + s[1 * 3 + 0] + s[2 * 3 + 1]), accuracy: 1e-12)
        let expected: [Double] = [0, -1, 0, -1, 0, 0, 0, -1, 0]
        for (a, b) in zip(try XCTUnwrap(three.gradients[.input]).scalars, expected) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    // MARK: Infeasible alignments, zero-infinity, zero lengths

    func testInfeasibleTargetGivesInfinityAndNaNGradientOrZeroUnderZeroInfinity() throws {
        try infeasibleTarget(Float.self)
        try infeasibleTarget(Double.self)
    }

    func infeasibleTarget<T: LossScalar>(_: T.Type) throws {
        // Sequence 0: [1, 2, 3] in 2 frames (infeasible); sequence 1: [2] in 4 frames (feasible).
        let x = logProbabilities(frames: 4, batch: 2, classes: 4, seed: 7, T.self)
        let target = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 2, 0, 0] as [Int])
        let il = Tensor([2, 4]), tl = Tensor([3, 1])
        for fromLogits in [false, true] {
            let plain = try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl, fromLogits: fromLogits, reduction: .none)
            XCTAssertEqual(plain.value.scalars[0], .infinity)
            XCTAssertTrue(plain.value.scalars[1].isFinite)
            let g = try XCTUnwrap(plain.gradients[.input]).scalars
            for t in 0..<4 {
                for c in 0..<4 {
                    let a = g[(t * 2 + 0) * 4 + c], b = g[(t * 2 + 1) * 4 + c]
                    // PyTorch: NaN on the frames of the infeasible sequence, 0 past its length.
                    XCTAssertTrue(t < 2 ? a.isNaN : a == 0, "\(T.self) [\(t), 0, \(c)] = \(a)")
                    XCTAssertTrue(b.isFinite)
                }
            }
            let zero = try ctcLoss(
                input: x, target: target, inputLengths: il, targetLengths: tl, zeroInfinity: true, fromLogits: fromLogits,
                reduction: .none)
            XCTAssertEqual(zero.value.scalars, [0, plain.value.scalars[1]])
            let gz = try XCTUnwrap(zero.gradients[.input]).scalars
            for t in 0..<4 {
                for c in 0..<4 {
                    XCTAssertEqual(gz[(t * 2 + 0) * 4 + c], 0)
                    XCTAssertEqual(gz[(t * 2 + 1) * 4 + c], g[(t * 2 + 1) * 4 + c], "zero-infinity changes only the infinite loss")
                }
            }
            let mean = try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl, fromLogits: fromLogits)
            XCTAssertEqual(mean.scalar, .infinity)
        }
    }

    /// Infeasible because a required label has probability 0 (log-probability −inf), not for lack of frames.
    func testZeroProbabilityLabelGivesInfinityOrZeroUnderZeroInfinity() throws {
        var s = logProbabilities(frames: 3, batch: 1, classes: 3, seed: 8, Double.self).scalars
        for t in 0..<3 { s[t * 3 + 2] = -.infinity }
        let x = try Tensor(shape: [3, 1, 3], scalars: s)
        let target = try Tensor(shape: [1, 2], scalars: [1, 2] as [Int])
        let r = try ctcLoss(input: x, target: target, inputLengths: Tensor([3]), targetLengths: Tensor([2]), reduction: .sum)
        XCTAssertEqual(r.scalar, .infinity)
        let z = try ctcLoss(
            input: x, target: target, inputLengths: Tensor([3]), targetLengths: Tensor([2]), zeroInfinity: true, reduction: .sum)
        XCTAssertEqual(z.scalar, 0)
        XCTAssertTrue(try XCTUnwrap(z.gradients[.input]).scalars.allSatisfy { $0 == 0 })
    }

    func testInputLengthZeroGivesZeroForAnEmptyTargetAndInfinityOtherwise() throws {
        let x = logProbabilities(frames: 3, batch: 2, classes: 3, seed: 9, Float.self)
        let r = try ctcLoss(
            input: x, target: Tensor(shape: [2, 1], scalars: [1, 1] as [Int]), inputLengths: Tensor([0, 0]),
            targetLengths: Tensor([0, 1]), reduction: .none)
        XCTAssertEqual(r.value.scalars, [0, .infinity])
        XCTAssertTrue(try XCTUnwrap(r.gradients[.input]).scalars.allSatisfy { $0 == 0 }, "no frames, no gradient")
    }

    func testEmptyBatchGivesNaNMeanAndZeroSum() throws {
        let x = try Tensor<Float>(shape: [4, 0, 3], scalars: [])
        let target = try Tensor(shape: [0, 2], scalars: [] as [Int])
        let none = Tensor([] as [Int])
        let mean = try ctcLoss(input: x, target: target, inputLengths: none, targetLengths: none)
        XCTAssertTrue(try XCTUnwrap(mean.scalar).isNaN)
        XCTAssertEqual(mean.gradients[.input]?.shape, [4, 0, 3])
        let sum = try ctcLoss(input: x, target: target, inputLengths: none, targetLengths: none, reduction: .sum)
        XCTAssertEqual(sum.scalar, 0)
        let each = try ctcLoss(input: x, target: target, inputLengths: none, targetLengths: none, reduction: .none)
        XCTAssertEqual(each.value.shape, [0])
    }

    // MARK: Properties

    /// For log-probability input the occupancies γ of a frame sum to 1: every row of the `sum`
    /// gradient sums to −1 on the frames in use and is 0 past them.
    func testLogProbabilityGradientRowsSumToMinusOneOnTheFramesInUse() throws {
        let (x, target, il, tl) = randomBatch(frames: 12, batch: 5, classes: 6, width: 4, seed: 10, Double.self)
        let r = try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl, reduction: .sum)
        let g = try XCTUnwrap(r.gradients[.input]).scalars
        for t in 0..<12 {
            for n in 0..<5 {
                let row = g[(t * 5 + n) * 6 ..< (t * 5 + n + 1) * 6].reduce(0, +)
                XCTAssertEqual(row, t < il.scalars[n] ? -1 : 0, accuracy: 1e-12, "[\(t), \(n)]")
            }
        }
    }

    /// from-logits = the log-probability gradient g pulled back through log-softmax:
    /// ∂ℓ/∂z = g − softmax(z)·Σ_c g.
    func testFromLogitsGradientIsTheLogProbabilityGradientThroughLogSoftmax() throws {
        try fromLogitsMatchesChainRule(Float.self, accuracy: 1e-6)
        try fromLogitsMatchesChainRule(Double.self, accuracy: 1e-13)
    }

    func fromLogitsMatchesChainRule<T: LossScalar>(_: T.Type, accuracy: T) throws {
        let (frames, batch, classes) = (9, 4, 5)
        let (_, target, il, tl) = randomBatch(frames: frames, batch: batch, classes: classes, width: 3, seed: 11, T.self)
        let z = randomTensor([frames, batch, classes], scale: 3, seed: 12, T.self)
        let x = try logSoftmax(z, axis: -1)
        let p = try softmax(z, axis: -1).scalars
        for reduction in [Reduction.mean, .sum] {
            let viaLogits = try ctcLoss(input: z, target: target, inputLengths: il, targetLengths: tl, fromLogits: true, reduction: reduction)
            let viaLogProbabilities = try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl, reduction: reduction)
            XCTAssertEqual(try XCTUnwrap(viaLogits.scalar), try XCTUnwrap(viaLogProbabilities.scalar), accuracy: accuracy * 10)
            let gz = try XCTUnwrap(viaLogits.gradients[.input]).scalars
            let gx = try XCTUnwrap(viaLogProbabilities.gradients[.input]).scalars
            for r in 0..<(frames * batch) {
                let row = r * classes ..< (r + 1) * classes
                let total = gx[row].reduce(0, +)
                for i in row { XCTAssertEqual(gz[i], gx[i] - p[i] * total, accuracy: accuracy, "\(T.self) \(reduction) [\(i)]") }
            }
        }
    }

    func testPaddedAndConcatenatedTargetsGiveTheSameResult() throws {
        let x = logProbabilities(frames: 7, batch: 3, classes: 5, seed: 13, Float.self)
        let padded = try Tensor(shape: [3, 4], scalars: [1, 2, 2, -1, 3, 9, 9, 9, 4, 1, 4, 2] as [Int32])
        let concatenated = Tensor([1, 2, 2, 3, 4, 1, 4, 2] as [Int32])
        let il = Tensor([7, 5, 6] as [Int32]), tl = Tensor([3, 1, 4] as [Int32])
        for reduction in [Reduction.none, .mean, .sum] {
            let a = try ctcLoss(input: x, target: padded, inputLengths: il, targetLengths: tl, reduction: reduction)
            let b = try ctcLoss(input: x, target: concatenated, inputLengths: il, targetLengths: tl, reduction: reduction)
            XCTAssertEqual(a.value, b.value)
            XCTAssertEqual(a.gradients[.input], b.gradients[.input])
        }
    }

    /// mean = (1/N) Σ ℓₙ / max(target_lengthsₙ, 1), and each sequence's gradient is its `sum`
    /// gradient over N·max(target_lengthsₙ, 1) (so not one common factor: the catalog-wide
    /// "mean gradient = sum gradient × mean/sum" sweep does not apply to ctc).
    func testMeanDividesEachLossByItsClampedTargetLengthThenAverages() throws {
        let (x, target, il, tl) = randomBatch(frames: 10, batch: 4, classes: 5, width: 4, seed: 14, Double.self)
        var lengths = tl.scalars
        lengths[2] = 0
        let tl0 = Tensor(lengths)
        let none = try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl0, reduction: .none)
        let sum = try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl0, reduction: .sum)
        let mean = try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl0)
        let divided = zip(none.value.scalars, lengths).map { $0 / Double(max($1, 1)) }
        XCTAssertEqual(try XCTUnwrap(mean.scalar), divided.reduce(0, +) / 4, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(sum.scalar), none.value.scalars.reduce(0, +), accuracy: 1e-12)
        let gm = try XCTUnwrap(mean.gradients[.input]).scalars, gs = try XCTUnwrap(sum.gradients[.input]).scalars
        for i in gm.indices {
            let n = (i / 5) % 4
            XCTAssertEqual(gm[i], gs[i] / Double(4 * max(lengths[n], 1)), accuracy: 1e-15)
        }
        XCTAssertEqual(none.gradients[.input], sum.gradients[.input], "none differentiates the sum")
    }

    func testResultsAreBitwiseEqualOnOneAndTwoThreads() throws {
        let (x, target, il, tl) = randomBatch(frames: 60, batch: 16, classes: 12, width: 20, seed: 15, Float.self)
        let saved = Parallelism.maximumThreads
        defer { Parallelism.maximumThreads = saved }
        var results: [LossResult<Float>] = []
        for threads in [1, 2] {
            Parallelism.maximumThreads = threads
            for fromLogits in [false, true] {
                results.append(try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl, fromLogits: fromLogits))
            }
        }
        for k in 0..<2 {
            XCTAssertEqual(results[k].value, results[k + 2].value)
            XCTAssertEqual(results[k].gradients[.input], results[k + 2].gradients[.input])
        }
    }

    func testValueOnlyCallComputesNoGradientAndTheSameValue() throws {
        let (x, target, il, tl) = randomBatch(frames: 20, batch: 3, classes: 6, width: 6, seed: 16, Float.self)
        for fromLogits in [false, true] {
            let full = try ctcLoss(input: x, target: target, inputLengths: il, targetLengths: tl, fromLogits: fromLogits, reduction: .none)
            let value = try ctcLoss(
                input: x, target: target, inputLengths: il, targetLengths: tl, fromLogits: fromLogits, reduction: .none, wrt: [])
            XCTAssertTrue(value.gradients.isEmpty)
            XCTAssertEqual(value.value, full.value)
        }
    }

    func testUnbatchedInputGivesAScalarForNone() throws {
        let x = try Tensor(shape: [5, 4], scalars: logProbabilities(frames: 5, batch: 1, classes: 4, seed: 17, Double.self).scalars)
        let batched = try Tensor(shape: [5, 1, 4], scalars: x.scalars)
        let target = Tensor([1, 3] as [Int])
        let a = try ctcLoss(input: x, target: target, inputLengths: Tensor(shape: [], scalars: [5]),
                            targetLengths: Tensor(shape: [], scalars: [2]), reduction: .none)
        let b = try ctcLoss(input: batched, target: target, inputLengths: Tensor([5]), targetLengths: Tensor([2]), reduction: .none)
        XCTAssertEqual(a.value.shape, [])
        XCTAssertEqual(a.value.scalars, b.value.scalars)
        XCTAssertEqual(a.gradients[.input]?.shape, [5, 4])
        XCTAssertEqual(a.gradients[.input]?.scalars, b.gradients[.input]?.scalars)
    }

    // MARK: Extremes

    /// Logits of ±1e4: a target forced through labels of log-probability ≈ −2e4 has a huge but
    /// finite loss, and every gradient is finite.
    func testExtremeLogitsGiveFiniteValuesAndGradients() throws {
        try extremeLogits(Float.self)
        try extremeLogits(Double.self)
    }

    func extremeLogits<T: LossScalar>(_: T.Type) throws {
        let (frames, classes) = (4, 4)
        var z = [T](repeating: -1e4, count: frames * 2 * classes)
        for t in 0..<frames { z[(t * 2) * classes] = 1e4; z[(t * 2 + 1) * classes + 3] = 1e4 }  // blank / label 3 win
        let x = try Tensor(shape: [frames, 2, classes], scalars: z)
        let target = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 3] as [Int])
        for fromLogits in [true, false] {
            for reduction in [Reduction.none, .mean] {
                let r = try ctcLoss(
                    input: x, target: target, inputLengths: Tensor([4, 4]), targetLengths: Tensor([2, 2]),
                    fromLogits: fromLogits, reduction: reduction)
                XCTAssertTrue(r.value.scalars.allSatisfy(\.isFinite), "\(T.self) \(fromLogits) \(r.value)")
                XCTAssertTrue(try XCTUnwrap(r.gradients[.input]).scalars.allSatisfy(\.isFinite), "\(T.self) \(fromLogits)")
            }
        }
    }

    // MARK: Errors

    func testLabelEqualToBlankIsRejected() {
        let x = logProbabilities(frames: 4, batch: 2, classes: 4, seed: 1, Float.self)
        XCTAssertThrowsError(try ctcLoss(
            input: x, target: Tensor(shape: [2, 2], scalars: [1, 2, 3, 2] as [Int]), inputLengths: Tensor([4, 4]),
            targetLengths: Tensor([2, 2]), blank: 2)
        ) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "target", value: 2, index: 1, expected: "a class index other than blank (2)"))
        }
    }

    func testLabelOutOfRangeIsRejectedButPaddingIsNot() throws {
        let x = logProbabilities(frames: 4, batch: 2, classes: 4, seed: 1, Float.self)
        XCTAssertThrowsError(try ctcLoss(
            input: x, target: Tensor(shape: [2, 2], scalars: [1, 2, 4, 0] as [Int]), inputLengths: Tensor([4, 4]),
            targetLengths: Tensor([2, 1]))
        ) { e in
            XCTAssertEqual(e as? LossError, .labelOutOfRange(argument: "target", label: 4, classCount: 4, index: 2))
        }
        // -7 and 0 (the blank) past the target lengths are padding.
        _ = try ctcLoss(
            input: x, target: Tensor(shape: [2, 2], scalars: [1, -7, 3, 0] as [Int]), inputLengths: Tensor([4, 4]),
            targetLengths: Tensor([1, 1]))
    }

    func testLengthsOutOfRangeAreRejected() {
        let x = logProbabilities(frames: 4, batch: 2, classes: 4, seed: 1, Float.self)
        let target = try! Tensor(shape: [2, 2], scalars: [1, 2, 3, 1] as [Int])
        XCTAssertThrowsError(try ctcLoss(input: x, target: target, inputLengths: Tensor([4, 5]), targetLengths: Tensor([2, 2]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "input_lengths", value: 5, index: 1, expected: "a length in 0...4 (T)"))
        }
        XCTAssertThrowsError(try ctcLoss(input: x, target: target, inputLengths: Tensor([-1, 4]), targetLengths: Tensor([2, 2]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "input_lengths", value: -1, index: 0, expected: "a length in 0...4 (T)"))
        }
        XCTAssertThrowsError(try ctcLoss(input: x, target: target, inputLengths: Tensor([4, 4]), targetLengths: Tensor([3, 2]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(
                argument: "target_lengths", value: 3, index: 0, expected: "a length in 0...2 (S, the padded target's width)"))
        }
        XCTAssertThrowsError(try ctcLoss(
            input: x, target: Tensor([1, 2, 3]), inputLengths: Tensor([4, 4]), targetLengths: Tensor([2, -1]))
        ) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "target_lengths", value: -1, index: 1, expected: "a length ≥ 0"))
        }
    }

    func testConcatenatedTargetMustHoldExactlyTheSumOfTheTargetLengths() {
        let x = logProbabilities(frames: 4, batch: 2, classes: 4, seed: 1, Float.self)
        for count in [2, 4] {
            XCTAssertThrowsError(try ctcLoss(
                input: x, target: Tensor([Int](repeating: 1, count: count)), inputLengths: Tensor([4, 4]),
                targetLengths: Tensor([2, 1]))
            ) { e in
                XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [3], actual: [count]))
            }
        }
    }

    func testWrongShapesAreRejectedNamingTheArgument() {
        let x = logProbabilities(frames: 4, batch: 2, classes: 4, seed: 1, Float.self)
        let target = try! Tensor(shape: [2, 2], scalars: [1, 2, 3, 1] as [Int])
        let two = Tensor([4, 4]), lengths = Tensor([2, 2])
        func expect(_ error: LossError, _ body: () throws -> LossResult<Float>, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { XCTAssertEqual($0 as? LossError, error, line: line) }
        }
        expect(.invalidShape(argument: "input", shape: [32], reason: "expected rank 2...3, got rank 1")) {
            try ctcLoss(input: Tensor(x.scalars), target: target, inputLengths: two, targetLengths: lengths)
        }
        expect(.invalidShape(argument: "input", shape: [4, 2, 0], reason: "the class dimension is empty")) {
            try ctcLoss(input: Tensor(shape: [4, 2, 0], scalars: []), target: target, inputLengths: two, targetLengths: lengths)
        }
        expect(.shapeMismatch(argument: "input_lengths", expected: [2], actual: [3])) {
            try ctcLoss(input: x, target: target, inputLengths: Tensor([4, 4, 4]), targetLengths: lengths)
        }
        expect(.shapeMismatch(argument: "target_lengths", expected: [2], actual: [1])) {
            try ctcLoss(input: x, target: target, inputLengths: two, targetLengths: Tensor([2]))
        }
        expect(.shapeMismatch(argument: "target", expected: [2, 2], actual: [1, 2])) {
            try ctcLoss(input: x, target: Tensor(shape: [1, 2], scalars: [1, 2]), inputLengths: two, targetLengths: lengths)
        }
        expect(.invalidShape(argument: "target", shape: [2, 2, 1], reason: "expected [N, S] (padded) or [Σ target_lengths] (concatenated)")) {
            try ctcLoss(input: x, target: Tensor(shape: [2, 2, 1], scalars: [1, 2, 3, 1]), inputLengths: two, targetLengths: lengths)
        }
        expect(.invalidOption(name: "blank", value: "4", expected: "a class index in 0..<4")) {
            try ctcLoss(input: x, target: target, inputLengths: two, targetLengths: lengths, blank: 4)
        }
        expect(.invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum")) {
            try ctcLoss(input: x, target: target, inputLengths: two, targetLengths: lengths, reduction: .batchmean)
        }
    }

    func testWrongDtypesAreRejectedByTheCommandLineNamingTheInput() {
        let x = DynamicTensor.float32(logProbabilities(frames: 3, batch: 1, classes: 3, seed: 1, Float.self))
        let target = DynamicTensor.int64(try! Tensor(shape: [1, 1], scalars: [1]))
        let lengths = DynamicTensor.int32(Tensor([3] as [Int32]))
        let good: [String: DynamicTensor] = ["input": x, "target": target, "input_lengths": lengths, "target_lengths": .int32(Tensor([1]))]
        XCTAssertNoThrow(try Evaluator.evaluate(id: "ctc", inputs: good, options: [:]))
        let cases: [(String, DynamicTensor, LossError)] = [
            ("target", .float32(try! Tensor(shape: [1, 1], scalars: [1])), .dtypeMismatch(argument: "target", expected: "int32 or int64", actual: "float32")),
            ("input_lengths", .float32(Tensor([3])), .dtypeMismatch(argument: "input_lengths", expected: "int32 or int64", actual: "float32")),
            ("target_lengths", .bool(Tensor([true])), .dtypeMismatch(argument: "target_lengths", expected: "int32 or int64", actual: "bool")),
            ("input", .int32(try! Tensor(shape: [3, 1, 3], scalars: [Int32](repeating: 0, count: 9))), .dtypeMismatch(argument: "input", expected: "float32", actual: "int32")),
        ]
        for (name, value, error) in cases {
            var inputs = good
            inputs[name] = value
            XCTAssertThrowsError(try Evaluator.evaluate(id: "ctc", inputs: inputs, options: [:])) { XCTAssertEqual($0 as? LossError, error, name) }
        }
    }

    // MARK: Helpers

    func randomTensor<T: LossScalar>(_ shape: [Int], scale: Double, seed: UInt64, _: T.Type) -> Tensor<T> {
        var rng = SplitMix64(state: seed)
        let count = shape.reduce(1, *)
        return try! Tensor(shape: shape, scalars: (0..<count).map { _ in T(rng.uniform(-scale, scale)) })
    }

    /// Normalized log-probabilities [T, N, C] (log-softmax of uniform logits in [−2, 2)).
    func logProbabilities<T: LossScalar>(frames: Int, batch: Int, classes: Int, seed: UInt64, _: T.Type) -> Tensor<T> {
        try! logSoftmax(randomTensor([frames, batch, classes], scale: 2, seed: seed, T.self), axis: -1)
    }

    /// Log-probabilities with padded targets (labels 1..<C, blank 0) and per-sequence lengths,
    /// every target feasible.
    func randomBatch<T: LossScalar>(
        frames: Int, batch: Int, classes: Int, width: Int, seed: UInt64, _: T.Type
    ) -> (Tensor<T>, Tensor<Int>, Tensor<Int>, Tensor<Int>) {
        var rng = SplitMix64(state: seed &+ 1)
        let x = logProbabilities(frames: frames, batch: batch, classes: classes, seed: seed, T.self)
        let labels = (0..<batch * width).map { _ in 1 + Int(rng.next() % UInt64(classes - 1)) }
        let tl = (0..<batch).map { _ in Int(rng.next() % UInt64(width + 1)) }
        let il = (0..<batch).map { _ in frames - Int(rng.next() % UInt64(max(1, frames - 2 * width))) }
        return (x, try! Tensor(shape: [batch, width], scalars: labels), Tensor(il), Tensor(tl))
    }
}
