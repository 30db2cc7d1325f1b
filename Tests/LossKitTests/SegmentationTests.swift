import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Family D (dense overlap losses). The reference values come from scripts/fixtures/segmentation.py
/// (segmentation_models_pytorch 0.6); the tests here pin edge cases, properties and errors.
final class SegmentationTests: XCTestCase {
    // MARK: Reference and finite differences

    func testValuesAndGradientsMatchSegmentationModelsPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("segmentation"), 100)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("segmentation"), 1000)
    }

    func testCatalogListsTheFamilyInSpecificationOrder() {
        XCTAssertEqual(Catalog.segmentation.map { $0.id }, ["dice", "jaccard", "tversky", "lovasz"])
    }

    func testDocumentationExamplesShowTheComputedOutputs() throws {
        // Expected values: smp 0.6 on the same inputs (float64; lovasz float32, smp's only dtype).
        let x = try Tensor(shape: [1, 2, 2], scalars: [2, -1, 0, 1] as [Double])
        let y = try Tensor(shape: [1, 2], scalars: [0, 1] as [Int32])
        XCTAssertEqual(try diceLoss(input: x, target: y).scalar!, 0.11920292202211746, accuracy: 1e-14)
        XCTAssertEqual(try jaccardLoss(input: x, target: y).scalar!, 0.21301395783840138, accuracy: 1e-14)
        XCTAssertEqual(try tverskyLoss(input: x, target: y, alpha: 0.3, beta: 0.7, gamma: 2).scalar!, 0.014209336618611044, accuracy: 1e-14)
        let x4 = try Tensor(shape: [1, 2, 1, 2], scalars: [2, -1, 0, 1] as [Float])
        let y4 = try Tensor(shape: [1, 1, 2], scalars: [0, 1] as [Int32])
        XCTAssertEqual(try lovaszLoss(input: x4, target: y4).scalar!, 0.11920297145843506, accuracy: 1e-7)

        let xb = try Tensor(shape: [1, 1, 2], scalars: [2, -1] as [Double])
        let tb = try Tensor(shape: [1, 1, 2], scalars: [1, 0] as [Double])
        XCTAssertEqual(try diceLoss(input: xb, target: tb, mode: .binary).scalar!, 0.18055421322633258, accuracy: 1e-14)
        XCTAssertEqual(try jaccardLoss(input: xb, target: tb, mode: .binary).scalar!, 0.3058804266733274, accuracy: 1e-14)
        XCTAssertEqual(try tverskyLoss(input: xb, target: tb, mode: .binary, alpha: 0.7, beta: 0.3).scalar!, 0.2027665050379539, accuracy: 1e-14)
        let hinge = try Tensor(shape: [1, 1, 2], scalars: [0.5, -1] as [Float])
        XCTAssertEqual(try lovaszLoss(input: hinge, target: tb.map(Float.init), mode: .binary).scalar!, 0.5)
    }

    // MARK: Properties

    func testDiceAndJaccardAreTverskyWithHalfAndUnitWeights() throws {
        try forBoth { (_: Double.Type, x: Tensor<Double>, y: Tensor<Int>) in
            for reduction in [Reduction.mean, .sum, .none] {
                let d = try diceLoss(input: x, target: y, smooth: 0.3, reduction: reduction)
                let td = try tverskyLoss(input: x, target: y, smooth: 0.3, alpha: 0.5, beta: 0.5, reduction: reduction)
                XCTAssertEqual(d.value, td.value)
                XCTAssertEqual(d.gradients[.input], td.gradients[.input])
                let j = try jaccardLoss(input: x, target: y, logLoss: true, reduction: reduction)
                let tj = try tverskyLoss(input: x, target: y, logLoss: true, alpha: 1, beta: 1, reduction: reduction)
                XCTAssertEqual(j.value, tj.value)
                XCTAssertEqual(j.gradients[.input], tj.gradients[.input])
            }
        }
    }

    /// Dice = 2I/(Σp + Σt) and IoU = I/(Σp + Σt − I) are linked by IoU = dice/(2 − dice) for every
    /// class (exact algebra), so the per-class losses of the two kernels must agree through it.
    func testPerClassJaccardAndDiceSatisfyIoUEqualsDiceOverTwoMinusDice() throws {
        let (x, y) = sample(shape: [2, 4, 3, 5], seed: 11, Double.self)
        let dice = try diceLoss(input: x, target: y, eps: 0, reduction: .none).value.scalars
        let iou = try jaccardLoss(input: x, target: y, eps: 0, reduction: .none).value.scalars
        for c in 0..<4 {
            let d = 1 - dice[c]
            XCTAssertEqual(1 - iou[c], d / (2 - d), accuracy: 1e-14, "class \(c)")
        }
    }

    func testClassesWithoutTargetPixelsAreZeroedButCountInTheMean() throws {
        var (x, y) = sample(shape: [2, 3, 2, 4], seed: 3, Float.self)
        y = y.map { $0 == 1 ? 0 : $0 }
        for loss in overlapLosses(Float.self) {
            let none = try loss(x, y, .none)
            XCTAssertEqual(none.value.scalars[1], 0)
            let mean = try loss(x, y, .mean)
            XCTAssertEqual(Double(mean.scalar!), Double(none.value.scalars.reduce(0, +)) / 3, accuracy: 1e-6)
        }
    }

    func testGradientOfMeanIsGradientOfSumOverTheClassCount() throws {
        let (x, y) = sample(shape: [2, 5, 3, 3], seed: 5, Double.self)
        for loss in overlapLosses(Double.self) {
            let m = try loss(x, y, .mean), s = try loss(x, y, .sum), n = try loss(x, y, .none)
            XCTAssertEqual(m.scalar!, s.scalar! / 5, accuracy: 1e-14)
            XCTAssertEqual(s.scalar!, n.value.scalars.reduce(0, +), accuracy: 1e-14)
            assertClose(m.gradients[.input]!.scalars, s.gradients[.input]!.scalars.map { $0 / 5 }, tolerance: 1e-14, "mean grad")
            assertClose(n.gradients[.input]!.scalars, s.gradients[.input]!.scalars, tolerance: 1e-14, "none grad")
        }
    }

    /// Tversky's γ acts on the aggregate (smp): mean = (mean ℓ)^γ, sum = (Σℓ)^γ, none = ℓ^γ.
    func testTverskyGammaRaisesTheAggregateAndEachClassOfNone() throws {
        let (x, y) = sample(shape: [2, 3, 4], seed: 8, Double.self)
        let plain = try tverskyLoss(input: x, target: y, alpha: 0.2, beta: 0.8, reduction: .none).value.scalars
        let none = try tverskyLoss(input: x, target: y, alpha: 0.2, beta: 0.8, gamma: 1.5, reduction: .none).value.scalars
        let mean = try tverskyLoss(input: x, target: y, alpha: 0.2, beta: 0.8, gamma: 1.5).scalar!
        let sum = try tverskyLoss(input: x, target: y, alpha: 0.2, beta: 0.8, gamma: 1.5, reduction: .sum).scalar!
        assertClose(none, plain.map { Double.pow($0, 1.5) }, tolerance: 1e-14, "none")
        XCTAssertEqual(mean, Double.pow(plain.reduce(0, +) / 3, 1.5), accuracy: 1e-14)
        XCTAssertEqual(sum, Double.pow(plain.reduce(0, +), 1.5), accuracy: 1e-14)
    }

    func testBinaryModeEqualsMultilabelWithOneChannelAndAcceptsATargetWithoutTheChannel() throws {
        let x = randomTensor([3, 1, 4, 5], seed: 2, Float.self)
        let t = maskTensor([3, 4, 5], seed: 4, Float.self)
        let withChannel = try Tensor(shape: [3, 1, 4, 5], scalars: t.scalars)
        for logLoss in [false, true] {
            let b = try diceLoss(input: x, target: t, mode: .binary, logLoss: logLoss)
            let m = try diceLoss(input: x, target: withChannel, mode: .multilabel, logLoss: logLoss)
            XCTAssertEqual(b.value, m.value)
            XCTAssertEqual(b.gradients[.input], m.gradients[.input])
        }
        let l1 = try lovaszLoss(input: x, target: t, mode: .binary)
        let l2 = try lovaszLoss(input: x, target: withChannel, mode: .multilabel)
        XCTAssertEqual(l1.value, l2.value)
        XCTAssertEqual(l1.gradients[.input], l2.gradients[.input])
        // An integer mask is read as the same numbers.
        let intMask = try Tensor(shape: [3, 4, 5], scalars: t.scalars.map { Int32($0) })
        XCTAssertEqual(try diceLoss(input: x, target: intMask, mode: .binary).value, try diceLoss(input: x, target: t, mode: .binary).value)
    }

    /// from-logits=false on softmax(x) is the from-logits loss of x; its gradient taken back
    /// through the softmax (vector–Jacobian product) is the logits gradient.
    func testProbabilityInputOfTheSoftmaxEqualsLogitInputThroughTheChainRule() throws {
        let (x, y) = sample(shape: [2, 3, 3, 4], seed: 21, Double.self)
        let p = try softmax(x, axis: 1)
        typealias Loss = (Tensor<Double>, Bool) throws -> LossResult<Double>
        let losses: [(String, Loss)] = [
            ("dice", { try diceLoss(input: $0, target: y, fromLogits: $1) }),
            ("tversky", { try tverskyLoss(input: $0, target: y, fromLogits: $1, alpha: 0.1, beta: 0.9, gamma: 2) }),
            ("lovasz", { try lovaszLoss(input: $0, target: y, fromLogits: $1) }),
            ("lovasz per image", { try lovaszLoss(input: $0, target: y, fromLogits: $1, perImage: true) }),
        ]
        for (name, loss) in losses {
            let fromLogits = try loss(x, true), fromProbabilities = try loss(p, false)
            XCTAssertEqual(fromLogits.scalar!, fromProbabilities.scalar!, accuracy: 1e-14, name)
            let chained = softmaxVJP(p: p, g: fromProbabilities.gradients[.input]!)
            assertClose(fromLogits.gradients[.input]!.scalars, chained, tolerance: 1e-13, "\(name) grad")
        }
        // Binary masks: σ(x) as probabilities.
        let xb = randomTensor([2, 1, 3, 4], seed: 5, Double.self), tb = maskTensor([2, 1, 3, 4], seed: 6, Double.self)
        let sb = xb.map { 1 / (1 + Double.exp(-$0)) }
        let a = try diceLoss(input: xb, target: tb, mode: .binary), b = try diceLoss(input: sb, target: tb, mode: .binary, fromLogits: false)
        XCTAssertEqual(a.scalar!, b.scalar!, accuracy: 1e-14)
        assertClose(a.gradients[.input]!.scalars, zip(b.gradients[.input]!.scalars, sb.scalars).map { $0 * $1 * (1 - $1) }, tolerance: 1e-13, "binary grad")
    }

    /// On hard predictions (probabilities 0 and 1) the Lovász extension equals the set function
    /// it extends: the Jaccard loss 1 − |P ∩ G|/|P ∪ G| (per present class, then averaged).
    func testLovaszOfHardPredictionsIsTheJaccardLoss() throws {
        var rng = SplitMix64(state: 77)
        let n = 2, c = 3, s = 10
        let labels = (0..<(n * s)).map { _ in Int(rng.next() % 3) }
        let predicted = (0..<(n * s)).map { _ in Int(rng.next() % 3) }
        var p = [Double](repeating: 0, count: n * c * s)
        for i in 0..<(n * s) { p[(i / s * c + predicted[i]) * s + i % s] = 1 }
        let input = try Tensor(shape: [n, c, s], scalars: p), target = try Tensor(shape: [n, s], scalars: labels)
        var expected = 0.0, present = 0.0
        for k in 0..<c where labels.contains(k) {
            let inter = zip(labels, predicted).filter { $0 == k && $1 == k }.count
            let union = zip(labels, predicted).filter { $0 == k || $1 == k }.count
            expected += 1 - Double(inter) / Double(union)
            present += 1
        }
        XCTAssertEqual(try lovaszLoss(input: input, target: target, fromLogits: false).scalar!, expected / present, accuracy: 1e-15)
        // Binary: 0/1 probabilities against a mask.
        let mask = (0..<20).map { _ in Double(rng.next() % 2) }, hard = (0..<20).map { _ in Double(rng.next() % 2) }
        let inter = zip(mask, hard).filter { $0 == 1 && $1 == 1 }.count, union = zip(mask, hard).filter { $0 == 1 || $1 == 1 }.count
        let b = try lovaszLoss(input: Tensor(shape: [2, 1, 10], scalars: hard), target: Tensor(shape: [2, 10], scalars: mask),
                               mode: .binary, fromLogits: false)
        XCTAssertEqual(b.scalar!, 1 - Double(inter) / Double(union), accuracy: 1e-15)
    }

    func testLovaszPerImageIsTheMeanOfEachImageAlone() throws {
        let (x, y) = sample(shape: [3, 4, 2, 5], seed: 31, Double.self)
        let per = try lovaszLoss(input: x, target: y, perImage: true, reduction: .none)
        for n in 0..<3 {
            let xn = try Tensor(shape: [1, 4, 2, 5], scalars: Array(x.scalars[(n * 40)..<((n + 1) * 40)]))
            let yn = try Tensor(shape: [1, 2, 5], scalars: Array(y.scalars[(n * 10)..<((n + 1) * 10)]))
            let alone = try lovaszLoss(input: xn, target: yn)
            XCTAssertEqual(per.value.scalars[n], alone.scalar!, accuracy: 1e-15)
            assertClose(Array(per.gradients[.input]!.scalars[(n * 40)..<((n + 1) * 40)]), alone.gradients[.input]!.scalars, tolerance: 1e-15, "image \(n)")
        }
        let mean = try lovaszLoss(input: x, target: y, perImage: true)
        XCTAssertEqual(mean.scalar!, per.value.scalars.reduce(0, +) / 3, accuracy: 1e-15)
    }

    func testLovaszTiesAreBrokenByIndexAndDoNotChangeTheValue() throws {
        // Four equal hinge errors (logit 0 everywhere): the value is the Jaccard loss of predicting
        // nothing, whatever the order; the sub-gradient follows the stable order.
        let x = try Tensor(shape: [1, 1, 4], repeating: 0.0)
        let t = try Tensor(shape: [1, 1, 4], scalars: [0, 1, 0, 1] as [Double])
        let r = try lovaszLoss(input: x, target: t, mode: .binary)
        XCTAssertEqual(r.scalar!, 1)  // all errors are 1: Σg = J(all) = 1
        // Sorted (stable) order 0, 1, 2, 3: J = 1 − (2 − cumFg)/(2 + cumBg) = 1/3, 2/3, 3/4, 1, so
        // g = 1/3, 1/3, 1/12, 1/4 and ∂/∂x = −(2t − 1)·g.
        assertClose(r.gradients[.input]!.scalars, [1.0 / 3, -1.0 / 3, 1.0 / 12, -1.0 / 4], tolerance: 1e-15, "tie grad")
    }

    // MARK: Edge cases

    func testAllIgnoredTargetsGiveZeroAndZeroGradient() throws {
        let x = randomTensor([2, 3, 2, 2], seed: 1, Float.self)
        let ignored = try Tensor(shape: [2, 2, 2], repeating: 255 as Int)
        for loss in overlapLosses(Float.self, ignoreIndex: 255) {
            let r = try loss(x, ignored, .mean)
            XCTAssertEqual(r.scalar, 0)
            XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy { $0 == 0 })
        }
        for perImage in [false, true] {
            let r = try lovaszLoss(input: x, target: ignored, perImage: perImage, ignoreIndex: 255)
            XCTAssertEqual(r.scalar, 0)
            XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy { $0 == 0 })
            let m = try lovaszLoss(input: Tensor(shape: [2, 1, 2, 2], repeating: 0.5), target: Tensor(shape: [2, 2, 2], repeating: -1 as Float),
                                   mode: .binary, perImage: perImage, ignoreIndex: -1)
            XCTAssertEqual(m.scalar, 0)
        }
    }

    /// An image whose pixels are all ignored counts as 0 in the per-image mean (smp's multiclass
    /// Lovász returns an empty tensor there).
    func testAllIgnoredImageCountsAsZeroInThePerImageMean() throws {
        let (x, y0) = sample(shape: [2, 3, 2, 3], seed: 9, Double.self)
        var labels = y0.scalars
        for i in 6..<12 { labels[i] = -1 }
        let y = try Tensor(shape: [2, 2, 3], scalars: labels)
        let both = try lovaszLoss(input: x, target: y, perImage: true, ignoreIndex: -1)
        let first = try lovaszLoss(input: Tensor(shape: [1, 3, 2, 3], scalars: Array(x.scalars[0..<18])),
                                   target: Tensor(shape: [1, 2, 3], scalars: Array(labels[0..<6])))
        XCTAssertEqual(both.scalar!, first.scalar! / 2, accuracy: 1e-15)
        XCTAssertTrue(both.gradients[.input]!.scalars[18...].allSatisfy { $0 == 0 })
    }

    func testEmptyBatchGivesZero() throws {
        let x = try Tensor(shape: [0, 3, 4], repeating: Float(0))
        let y = try Tensor(shape: [0, 4], repeating: 0 as Int)
        for loss in overlapLosses(Float.self) {
            let r = try loss(x, y, .mean)
            XCTAssertEqual(r.scalar, 0)
            XCTAssertEqual(r.gradients[.input]?.shape, [0, 3, 4])
        }
        XCTAssertEqual(try lovaszLoss(input: x, target: y).scalar, 0)
        XCTAssertEqual(try lovaszLoss(input: x, target: y, perImage: true).scalar, 0)
        XCTAssertEqual(try lovaszLoss(input: x, target: y, perImage: true, reduction: .none).value.shape, [0])
    }

    func testExtremeLogitsGiveFiniteValuesAndGradients() throws {
        for big in [Float(1e4), .infinity] {
            let x = try Tensor(shape: [2, 3, 4], scalars: (0..<24).map { i -> Float in [big, -big, 0.5, -2][i % 4] })
            let y = try Tensor(shape: [2, 4], scalars: [0, 1, 2, 0, 2, 2, 1, 0] as [Int])
            let xb = try Tensor(shape: [2, 1, 4], scalars: (0..<8).map { i -> Float in [big, -big, 0.5, -big][i % 4] })
            let tb = try Tensor(shape: [2, 1, 4], scalars: [1, 0, 1, 1, 0, 0, 1, 0] as [Float])
            var results = try overlapLosses(Float.self).flatMap { loss in [try loss(x, y, .mean), try loss(x, y, .none)] }
            results += [
                try diceLoss(input: xb, target: tb, mode: .binary, logLoss: true),
                try tverskyLoss(input: xb, target: tb, mode: .multilabel, alpha: 0.9, beta: 0.1, gamma: 3),
                try lovaszLoss(input: x, target: y),
                try lovaszLoss(input: x, target: y, perImage: true),
            ]
            for r in results {
                XCTAssertTrue(r.value.scalars.allSatisfy(\.isFinite), "\(big): \(r.value)")
                XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy(\.isFinite), "\(big)")
            }
        }
        // A +inf logit takes the whole probability: dice of a perfect one-hot prediction is 0.
        let perfect = try Tensor(shape: [1, 2, 2], scalars: [.infinity, 0, 0, .infinity] as [Double])
        XCTAssertEqual(try diceLoss(input: perfect, target: Tensor(shape: [1, 2], scalars: [0, 1] as [Int])).scalar, 0)
    }

    func testDenormalAndSaturatedProbabilitiesStayFinite() throws {
        let p = try Tensor(shape: [1, 1, 4], scalars: [0, 1, Double.leastNonzeroMagnitude, 1 - 1e-17])
        let t = try Tensor(shape: [1, 1, 4], scalars: [0, 1, 0, 1] as [Double])
        for r in [try diceLoss(input: p, target: t, mode: .binary, fromLogits: false, logLoss: true),
                  try jaccardLoss(input: p, target: t, mode: .binary, fromLogits: false),
                  try lovaszLoss(input: p, target: t, mode: .binary, fromLogits: false)] {
            XCTAssertEqual(r.scalar!, 0, accuracy: 1e-300)
            XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy(\.isFinite))
        }
    }

    // MARK: Performance-relevant behaviour

    /// Inputs large enough to split into several blocks and threads, with a spatial size that is
    /// not a multiple of 8: the result matches a direct Double evaluation and does not depend on
    /// the number of threads.
    func testLargeInputsMatchADirectEvaluationAndAreDeterministicAcrossThreadCounts() throws {
        let (x, y) = sample(shape: [2, 3, 109, 103], seed: 41, Float.self)
        let threaded = try diceLoss(input: x, target: y, smooth: 0.5)
        let saved = Parallelism.maximumThreads
        Parallelism.maximumThreads = 1
        defer { Parallelism.maximumThreads = saved }
        let single = try diceLoss(input: x, target: y, smooth: 0.5)
        XCTAssertEqual(threaded.value, single.value)
        XCTAssertEqual(threaded.gradients[.input], single.gradients[.input])
        XCTAssertEqual(Double(threaded.scalar!), directDice(x, y, smooth: 0.5), accuracy: 1e-5)

        let xm = randomTensor([2, 3, 109, 103], seed: 43, Float.self), tm = maskTensor([2, 3, 109, 103], seed: 44, Float.self)
        let m1 = try jaccardLoss(input: xm, target: tm, mode: .multilabel)
        Parallelism.maximumThreads = saved
        let m2 = try jaccardLoss(input: xm, target: tm, mode: .multilabel)
        XCTAssertEqual(m1.value, m2.value)
        XCTAssertEqual(m1.gradients[.input], m2.gradients[.input])
    }

    func testValueOnlyCallReturnsNoGradientAndTheSameValue() throws {
        let (x, y) = sample(shape: [2, 3, 5], seed: 13, Float.self)
        for loss in overlapLosses(Float.self) {
            XCTAssertNotNil(try loss(x, y, .mean).gradients[.input])
        }
        let full = try diceLoss(input: x, target: y), valueOnly = try diceLoss(input: x, target: y, wrt: [])
        XCTAssertTrue(valueOnly.gradients.isEmpty)
        XCTAssertEqual(full.value, valueOnly.value)
        XCTAssertTrue(try lovaszLoss(input: x, target: y, wrt: []).gradients.isEmpty)
    }

    // MARK: Errors

    func testInvalidShapesThrowNamingTheArgument() {
        let x = randomTensor([2, 3, 4], seed: 1, Float.self)
        assertThrows(.invalidShape(argument: "input", shape: [6], reason: "expected [N, C, ...] (rank ≥ 2), got rank 1")) {
            try diceLoss(input: Tensor([1, 2, 3, 4, 5, 6] as [Float]), target: Tensor<Int>([0]))
        }
        assertThrows(.invalidShape(argument: "input", shape: [2, 0, 4], reason: "the class dimension is empty")) {
            try jaccardLoss(input: Tensor(shape: [2, 0, 4], repeating: Float(0)), target: Tensor(shape: [2, 4], repeating: 0 as Int))
        }
        assertThrows(.invalidShape(argument: "input", shape: [2, 3, 4], reason: "binary mode takes one channel, [N, 1, ...]")) {
            try diceLoss(input: x, target: Tensor(shape: [2, 3, 4], repeating: Float(0)), mode: .binary)
        }
        assertThrows(.shapeMismatch(argument: "target", expected: [2, 4], actual: [2, 5])) {
            try tverskyLoss(input: x, target: Tensor(shape: [2, 5], repeating: 0 as Int))
        }
        assertThrows(.shapeMismatch(argument: "target", expected: [2, 3, 4], actual: [2, 4])) {
            try lovaszLoss(input: x, target: Tensor(shape: [2, 4], repeating: Float(0)), mode: .multilabel)
        }
    }

    func testLabelsOutOfRangeThrowUnlessIgnored() throws {
        let x = randomTensor([1, 3, 4], seed: 1, Double.self)
        let y = try Tensor(shape: [1, 4], scalars: [0, 3, 1, 2] as [Int])
        assertThrows(.labelOutOfRange(argument: "target", label: 3, classCount: 3, index: 1)) { try diceLoss(input: x, target: y) }
        assertThrows(.labelOutOfRange(argument: "target", label: 3, classCount: 3, index: 1)) { try lovaszLoss(input: x, target: y) }
        XCTAssertNoThrow(try diceLoss(input: x, target: y, ignoreIndex: 3))
        XCTAssertNoThrow(try lovaszLoss(input: x, target: y, ignoreIndex: 3))
    }

    func testInvalidOptionsThrowNamingTheOption() {
        let (x, y) = sample(shape: [1, 2, 3], seed: 1, Double.self)
        let mask = maskTensor([1, 2, 3], seed: 2, Double.self)
        assertThrows(.invalidOption(name: "mode", value: "multiclass",
                                    expected: "binary or multilabel for a floating-point mask target (multiclass takes integer class indices)")) {
            try diceLoss(input: x, target: mask, mode: .multiclass)
        }
        assertThrows(.invalidOption(name: "smooth", value: "-1.0", expected: "a finite number ≥ 0")) { try diceLoss(input: x, target: y, smooth: -1) }
        assertThrows(.invalidOption(name: "eps", value: "nan", expected: "a finite number ≥ 0")) { try jaccardLoss(input: x, target: y, eps: .nan) }
        assertThrows(.invalidOption(name: "alpha", value: "-0.5", expected: "a finite number ≥ 0")) { try tverskyLoss(input: x, target: y, alpha: -0.5) }
        assertThrows(.invalidOption(name: "beta", value: "inf", expected: "a finite number ≥ 0")) { try tverskyLoss(input: x, target: y, beta: .infinity) }
        assertThrows(.invalidOption(name: "gamma", value: "0.0", expected: "a finite number > 0")) { try tverskyLoss(input: x, target: y, gamma: 0) }
        assertThrows(.invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum")) {
            try diceLoss(input: x, target: y, reduction: .batchmean)
        }
        assertThrows(.invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum")) {
            try lovaszLoss(input: x, target: y, reduction: .batchmean)
        }
    }

    func testCommandLineReadsTheTargetAsTheModeRequires() throws {
        let x = DynamicTensor.float32(randomTensor([1, 2, 3], seed: 1, Float.self))
        let floatTarget = DynamicTensor.float32(try Tensor(shape: [1, 3], repeating: 0))
        XCTAssertThrowsError(try Evaluator.evaluate(id: "dice", inputs: ["input": x, "target": floatTarget], options: [:])) { e in
            XCTAssertEqual(e as? LossError, .dtypeMismatch(argument: "target", expected: "int32 or int64", actual: "float32"))
        }
        XCTAssertThrowsError(try Evaluator.evaluate(id: "lovasz", inputs: ["input": x, "target": floatTarget], options: ["mode": "semantic"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "mode", value: "semantic", expected: "one of binary, multilabel, multiclass"))
        }
        // Integer masks are accepted in binary and multilabel modes and read as numbers.
        let xb = DynamicTensor.float32(randomTensor([1, 1, 3], seed: 1, Float.self))
        let intMask = DynamicTensor.int64(try Tensor(shape: [1, 3], scalars: [1, 0, 1]))
        let floatMask = DynamicTensor.float32(try Tensor(shape: [1, 3], scalars: [1, 0, 1]))
        for id in ["dice", "jaccard", "tversky", "lovasz"] {
            let a = try Evaluator.evaluate(id: id, inputs: ["input": xb, "target": intMask], options: ["mode": "binary"])
            let b = try Evaluator.evaluate(id: id, inputs: ["input": xb, "target": floatMask], options: ["mode": "binary"])
            XCTAssertEqual(a.value.doubles, b.value.doubles, id)
            XCTAssertEqual(a.gradients.map(\.name), ["input"], id)
        }
    }

    // MARK: Helpers

    typealias OverlapLoss<T: LossScalar> = (Tensor<T>, Tensor<Int>, Reduction) throws -> LossResult<T>

    /// The three overlap losses with non-default options (γ = 1: mean = sum/C), as functions of
    /// input, labels, reduction.
    func overlapLosses<T: LossScalar>(_: T.Type, ignoreIndex: Int? = nil) -> [OverlapLoss<T>] {
        [
            { try diceLoss(input: $0, target: $1, ignoreIndex: ignoreIndex, reduction: $2) },
            { try jaccardLoss(input: $0, target: $1, smooth: 0.5, ignoreIndex: ignoreIndex, logLoss: true, reduction: $2) },
            { try tverskyLoss(input: $0, target: $1, ignoreIndex: ignoreIndex, alpha: 0.3, beta: 0.7, reduction: $2) },
        ]
    }

    func forBoth(_ body: (Double.Type, Tensor<Double>, Tensor<Int>) throws -> Void) throws {
        let (x, y) = sample(shape: [2, 4, 3, 3], seed: 17, Double.self)
        try body(Double.self, x, y)
    }

    /// Random logits `[N, C, ...]` and class indices `[N, ...]` covering every class.
    func sample<T: LossScalar>(shape: [Int], seed: UInt64, _: T.Type) -> (Tensor<T>, Tensor<Int>) {
        let x = randomTensor(shape, seed: seed, T.self)
        var rng = SplitMix64(state: seed &+ 1000)
        let count = shape[0] * shape[2...].reduce(1, *)
        let y = (0..<count).map { i in i < shape[1] ? i : Int(rng.next() % UInt64(shape[1])) }
        return (x, try! Tensor(shape: [shape[0]] + shape[2...], scalars: y))
    }

    func randomTensor<T: LossScalar>(_ shape: [Int], seed: UInt64, _: T.Type) -> Tensor<T> {
        var rng = SplitMix64(state: seed)
        return try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in T(rng.uniform(-3, 3)) })
    }

    func maskTensor<T: LossScalar>(_ shape: [Int], seed: UInt64, _: T.Type) -> Tensor<T> {
        var rng = SplitMix64(state: seed)
        return try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in T(rng.next() % 2) })
    }

    /// The vector–Jacobian product of the softmax along dimension 1: p·(g − Σ_c p_c g_c).
    func softmaxVJP(p: Tensor<Double>, g: Tensor<Double>) -> [Double] {
        let (n, c) = (p.shape[0], p.shape[1]), s = p.count / (n * c)
        let pv = p.scalars, gv = g.scalars
        var out = [Double](repeating: 0, count: p.count)
        for i in 0..<n {
            for j in 0..<s {
                var dot = 0.0
                for k in 0..<c { dot += pv[(i * c + k) * s + j] * gv[(i * c + k) * s + j] }
                for k in 0..<c { out[(i * c + k) * s + j] = pv[(i * c + k) * s + j] * (gv[(i * c + k) * s + j] - dot) }
            }
        }
        return out
    }

    /// smp's multiclass dice written out directly in Double.
    func directDice(_ x: Tensor<Float>, _ y: Tensor<Int>, smooth: Double) -> Double {
        let (n, c) = (x.shape[0], x.shape[1]), s = x.count / (n * c)
        let xv = x.scalars.map(Double.init), yv = y.scalars
        var sp = [Double](repeating: 0, count: c), st = sp, sd = sp
        for i in 0..<n {
            for j in 0..<s {
                let row = (0..<c).map { xv[(i * c + $0) * s + j] }
                let m = row.max()!, e = row.map { Double.exp($0 - m) }, z = e.reduce(0, +)
                for k in 0..<c {
                    let p = e[k] / z, t: Double = yv[i * s + j] == k ? 1 : 0
                    sp[k] += p; st[k] += t; sd[k] += abs(p - t)
                }
            }
        }
        var total = 0.0
        for k in 0..<c where st[k] > 0 {
            let inter = (sp[k] + st[k] - sd[k]) / 2
            total += 1 - (inter + smooth) / max(inter + 0.5 * (sp[k] - inter) + 0.5 * (st[k] - inter) + smooth, 1e-7)
        }
        return total / Double(c)
    }


}

private extension Tensor where Scalar: LossScalar {
    func map<U>(_ f: (Scalar) -> U) -> Tensor<U> { try! Tensor<U>(shape: shape, scalars: scalars.map(f)) }
}

private extension Tensor where Scalar == Int {
    func map(_ f: (Int) -> Int) -> Tensor<Int> { try! Tensor(shape: shape, scalars: scalars.map(f)) }
}
