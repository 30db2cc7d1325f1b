import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// MetricLearning (Sources/LossKit/MetricLearning.swift): triplet, contrastive, cosine-embedding.
/// The reference values come from Fixtures/metric_learning.json (scripts/fixtures/metric_learning.py,
/// PyTorch); the tests here pin the edge cases, properties and errors of LOSSES.md.
final class MetricLearningTests: XCTestCase {
    // MARK: Reference and finite differences

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("metric_learning"), 75)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("metric_learning"), 2000)
    }

    func testEveryMetricLearningIdResolves() {
        XCTAssertEqual(Catalog.metricLearning.map { $0.id }, ["triplet", "contrastive", "cosine-embedding"])
        for e in Catalog.metricLearning { XCTAssertEqual(Catalog.entry(named: e.id)?.id, e.id) }
    }

    // MARK: Documented examples (each value derived by hand in the comment)

    func testTripletDocumentationExample() throws {
        let a = try Tensor(shape: [1, 2], scalars: [0, 0] as [Double])
        let p = try Tensor(shape: [1, 2], scalars: [3, 4] as [Double])
        let n = try Tensor(shape: [1, 2], scalars: [0, 1] as [Double])
        let r = try tripletMarginLoss(anchor: a, positive: p, negative: n, eps: 0)
        XCTAssertEqual(r.scalar, 5)  // 1 + ‖(−3, −4)‖ − ‖(0, −1)‖
        // (a − p)/5 − (a − n)/1 = (−0.6, −0.8) − (0, −1)
        XCTAssertEqual(r.gradients[.anchor]!.scalars, [-0.6, 0.2], accuracy: 1e-15)
        XCTAssertEqual(r.gradients[.positive]!.scalars, [0.6, 0.8], accuracy: 1e-15)
        XCTAssertEqual(r.gradients[.negative]!.scalars, [0, -1], accuracy: 1e-15)
    }

    func testContrastiveDocumentationExample() throws {
        let x = try Tensor(shape: [2, 2], scalars: [0, 0, 0, 0] as [Double])
        let y = try Tensor(shape: [2, 2], scalars: [3, 4, 0.3, 0.4] as [Double])
        let r = try contrastiveLoss(input1: x, input2: y, target: Tensor([1, 0]), reduction: .none)
        let d0 = (pow(-3 + 1e-6, 2) + pow(-4 + 1e-6, 2)).squareRoot()
        let d1 = (pow(-0.3 + 1e-6, 2) + pow(-0.4 + 1e-6, 2)).squareRoot()
        XCTAssertEqual(r.value.scalars, [d0 * d0 / 2, (1 - d1) * (1 - d1) / 2], accuracy: 1e-14)
        XCTAssertEqual(r.value.scalars[0], 12.5, accuracy: 1e-5)  // ½·5²
        XCTAssertEqual(r.value.scalars[1], 0.125, accuracy: 1e-5)  // ½·(1 − 0.5)²
    }

    func testCosineEmbeddingDocumentationExample() throws {
        let x = try Tensor(shape: [2, 2], scalars: [1, 0, 1, 0] as [Double])
        let y = try Tensor(shape: [2, 2], scalars: [1, 1, 1, 1] as [Double])
        let r = try cosineEmbeddingLoss(input1: x, input2: y, target: Tensor([1, -1]), reduction: .none)
        let cos = 1 / 2.squareRoot()
        XCTAssertEqual(r.value.scalars, [1 - cos, cos], accuracy: 1e-12)
    }

    // MARK: triplet: extremes

    func testIdenticalAnchorAndPositiveGiveTheEpsDistanceAndAFiniteGradient() throws {
        try identicalAnchorAndPositive(Float.self)
        try identicalAnchorAndPositive(Double.self)
    }

    func testIdenticalAnchorAndPositiveWithoutEpsPassNoGradientThroughTheZeroDistance() throws {
        // eps = 0: d(a, p) = 0 exactly; PyTorch masks the norm's gradient there (0, not NaN).
        let a = try Tensor(shape: [1, 3], scalars: [1, 2, 3] as [Double])
        let n = try Tensor(shape: [1, 3], scalars: [1, 2, 3.5] as [Double])
        for p in [2.0, 1, 3, .infinity] {
            let r = try tripletMarginLoss(anchor: a, positive: a, negative: n, p: p, eps: 0, reduction: .sum)
            XCTAssertEqual(r.scalar, 0.5, "p = \(p)")  // 1 + 0 − 0.5
            XCTAssertEqual(r.gradients[.positive]?.scalars, [0, 0, 0], "p = \(p)")
            XCTAssertEqual(r.gradients[.anchor]?.scalars, [0, 0, 1], "p = \(p)")  // −∂d(a, n)/∂a = −sign(−0.5)
        }
    }

    func testTripletEntriesOf1e4GiveFiniteValuesAndGradients() throws {
        for T in [Float.self, Double.self] as [any LossScalar.Type] {
            try assertPairLossFiniteAtExtremes("triplet", T, options: [[:], ["distance": "cosine"], ["swap": "true"], ["p": "1"], ["p": "3"], ["p": "inf"]])
        }
    }

    func testTripletDistancesWhoseSquaresOverflowStayFiniteAndExact() throws {
        // Float squares overflow beyond ~1.8e19; the distance is recomputed scaled by the largest entry.
        let a = try Tensor(shape: [1, 2], scalars: [0, 0] as [Float])
        let p = try Tensor(shape: [1, 2], scalars: [3e20, 4e20] as [Float])
        let n = try Tensor(shape: [1, 2], scalars: [1e20, 0] as [Float])
        let r = try tripletMarginLoss(anchor: a, positive: p, negative: n)
        XCTAssertEqual(r.scalar!, 4e20, accuracy: 4e20 * 1e-6)  // 1 + 5e20 − 1e20
        // (a − p)/‖a − p‖ − (a − n)/‖a − n‖ = (−0.6, −0.8) − (−1, 0)
        XCTAssertEqual(r.gradients[.anchor]!.scalars, [0.4, -0.8], accuracy: 1e-6)
        let c = try tripletMarginLoss(anchor: p, positive: p, negative: n, distance: .cosine, reduction: .sum)
        XCTAssertEqual(c.scalar!, 0.6, accuracy: 1e-6)  // 1 + (1 − cos(p, p)) − (1 − cos(p, n)) = 1 + 0 − 0.4
        assertFinite(c)
    }

    func testTripletDistancesWhoseSquaresUnderflowKeepTheirUnitGradient() throws {
        // eps = 0 and differences of 1e-30: the squares vanish in Float, the distance does not.
        let a = try Tensor(shape: [1, 2], scalars: [3e-30, 4e-30] as [Float])
        let zero = try Tensor(shape: [1, 2], repeating: Float(0))
        let far = try Tensor(shape: [1, 2], scalars: [0, 0.5] as [Float])
        let r = try tripletMarginLoss(anchor: a, positive: zero, negative: far, eps: 0, reduction: .sum)
        XCTAssertEqual(r.gradients[.positive]!.scalars, [-0.6, -0.8], accuracy: 1e-6)  // −(a − p)/‖a − p‖
    }

    func testZeroVectorsInTheCosineDistanceUseTheEpsClamp() throws {
        // A zero anchor has cos = 0 with both others (its norm is clamped to eps): ℓ = margin.
        // ∂ℓ/∂a = −∂cos(a,p)/∂a + ∂cos(a,n)/∂a = −p/(eps‖p‖) + n/(eps‖n‖) (the norm term is masked at 0).
        let eps = 1e-6
        let a = try Tensor(shape: [1, 3], scalars: [0, 0, 0] as [Double])
        let p = try Tensor(shape: [1, 3], scalars: [1, 2, 2] as [Double])
        let n = try Tensor(shape: [1, 3], scalars: [0, 3, 4] as [Double])
        let r = try tripletMarginLoss(anchor: a, positive: p, negative: n, eps: eps, distance: .cosine, reduction: .sum)
        XCTAssertEqual(r.scalar, 1)
        let expected = (0..<3).map { -p.scalars[$0] / (eps * 3) + n.scalars[$0] / (eps * 5) }
        XCTAssertEqual(r.gradients[.anchor]!.scalars, expected, accuracy: 1e-6)
        XCTAssertEqual(r.gradients[.positive]!.scalars, [0, 0, 0])  // cos(a, p)'s gradient w.r.t. p is a/(â p̂) = 0
        assertFinite(r)
        try assertFinite(tripletMarginLoss(anchor: a, positive: a, negative: a, swap: true, distance: .cosine))
        let f = try tripletMarginLoss(
            anchor: Tensor<Float>(shape: [1, 3], repeating: 0), positive: Tensor(shape: [1, 3], scalars: [1, 2, 2]),
            negative: Tensor(shape: [1, 3], repeating: 0), distance: .cosine)
        XCTAssertEqual(f.scalar, 1)
        assertFinite(f)
    }

    func testCosineNormBelowEpsPassesTheClampGradientStraightThrough() throws {
        // F.cosine_similarity clamps the norms under no_grad: below eps the gradient is
        // y/(eps·‖y‖) − cos·x/(eps·‖x‖), as if the clamp were the identity (not the derivative of
        // the clamped function). The float32 fixture checks this against PyTorch; here in Double.
        let eps = 1e-8
        let x = [1e-9, -2e-9, 3e-9], y = [1.0, 0.5, -2.0], z = [0.3, -0.1, 0.2]
        let nx = x.map { $0 * $0 }.reduce(0, +).squareRoot(), ny = y.map { $0 * $0 }.reduce(0, +).squareRoot()
        let cos = zip(x, y).map(*).reduce(0, +) / (eps * ny)
        let r = try tripletMarginLoss(
            anchor: Tensor(shape: [1, 3], scalars: x), positive: Tensor(shape: [1, 3], scalars: y),
            negative: Tensor(shape: [1, 3], scalars: z), margin: 2, eps: eps, distance: .cosine, reduction: .sum)
        // ℓ = 2 + (1 − cos(x, y)) − (1 − cos(x, z)); only ∂cos(x, y)/∂x is checked: subtract the other part.
        let nz = z.map { $0 * $0 }.reduce(0, +).squareRoot()
        let cosXZ = zip(x, z).map(*).reduce(0, +) / (eps * nz)
        let expected = (0..<3).map { j in
            -(y[j] / (eps * ny) - cos * x[j] / (eps * nx)) + (z[j] / (eps * nz) - cosXZ * x[j] / (eps * nx))
        }
        XCTAssertEqual(r.gradients[.anchor]!.scalars, expected, accuracy: 1e-6 * expected.map(abs).max()!)
    }

    func testTripletOfAnEmptyBatchIsNaNWithMeanAndZeroWithSum() throws {
        try assertPairLossEmptyBatch("triplet", ["anchor", "positive", "negative"], Float.self)
        try assertPairLossEmptyBatch("triplet", ["anchor", "positive", "negative"], Double.self)
        let e = try Tensor<Double>(shape: [0, 4], scalars: [])
        XCTAssertTrue(try tripletMarginLoss(anchor: e, positive: e, negative: e, distance: .cosine).scalar!.isNaN)
    }

    // MARK: triplet: properties

    func testSwapWithSymmetricDataIsSymmetricInAnchorAndPositive() throws {
        // With swap the loss max(0, m + d(a,p) − min(d(a,n), d(p,n))) is symmetric in a and p
        // when d is (cosine, or pairwise with eps = 0): exchanging them exchanges the gradients.
        try swapSymmetry(Float.self)
        try swapSymmetry(Double.self)
    }

    func testSwapNeverDecreasesTheLossAndChangesNothingWhenTheAnchorIsNearer() throws {
        let (a, p, n) = randomTriplets(rows: 6, length: 7, Double.self, seed: 3)
        for distance in TripletDistance.allCases {
            let plain = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 2, distance: distance, reduction: .none)
            let swapped = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 2, swap: true, distance: distance, reduction: .none)
            // min(d(a, n), d(p, n)) ≤ d(a, n)
            for i in 0..<6 { XCTAssertGreaterThanOrEqual(swapped.value.scalars[i], plain.value.scalars[i], "\(distance) row \(i)") }
            XCTAssertNotEqual(swapped.value, plain.value, "\(distance): the swap never applied")
            // negative == anchor + (anchor − positive) keeps d(p, n) = 2·d(a, p)-ish > d(a, n): swap is a no-op.
            let far = try Tensor(shape: a.shape, scalars: zip(a.scalars, p.scalars).map { 2 * $0 - $1 })
            let x = try tripletMarginLoss(anchor: a, positive: p, negative: far, margin: 2, distance: distance, reduction: .none)
            let y = try tripletMarginLoss(anchor: a, positive: p, negative: far, margin: 2, swap: true, distance: distance, reduction: .none)
            XCTAssertEqual(x.value, y.value, "\(distance)")
            XCTAssertEqual(x.gradients[.negative], y.gradients[.negative], "\(distance)")
        }
    }

    func testSwapAtATieSplitsTheNegativeGradientInHalves() throws {
        // anchor == positive: d(a, n) == d(p, n), and torch.minimum gives each half the gradient.
        let (a, _, n) = randomTriplets(rows: 3, length: 5, Double.self, seed: 8)
        let plain = try tripletMarginLoss(anchor: a, positive: a, negative: n, margin: 5, reduction: .sum)
        let swapped = try tripletMarginLoss(anchor: a, positive: a, negative: n, margin: 5, swap: true, reduction: .sum)
        XCTAssertEqual(plain.scalar!, swapped.scalar!, accuracy: 1e-12)
        let g = plain.gradients, h = swapped.gradients
        for j in 0..<a.count {
            // without swap −∂d(a,n)/∂a goes to the anchor only; with swap half of it goes to the positive
            let negativePart = g[.anchor]!.scalars[j] + g[.positive]!.scalars[j]
            XCTAssertEqual(h[.anchor]!.scalars[j], g[.anchor]!.scalars[j] - negativePart / 2, accuracy: 1e-12)
            XCTAssertEqual(h[.positive]!.scalars[j], g[.positive]!.scalars[j] + negativePart / 2, accuracy: 1e-12)
            XCTAssertEqual(h[.negative]!.scalars[j], g[.negative]!.scalars[j], accuracy: 1e-12)
        }
    }

    func testTripletGradientOfMeanIsGradientOfSumOverN() throws {
        let (a, p, n) = randomTriplets(rows: 5, length: 9, Double.self, seed: 4)
        for distance in TripletDistance.allCases {
            let m = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 1.5, distance: distance)
            let s = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 1.5, distance: distance, reduction: .sum)
            XCTAssertEqual(m.scalar!, s.scalar! / 5, accuracy: 1e-14)
            for arg in [LossArgument.anchor, .positive, .negative] {
                XCTAssertEqual(m.gradients[arg]!.scalars, s.gradients[arg]!.scalars.map { $0 / 5 }, accuracy: 1e-15)
            }
        }
    }

    func testUnbatchedTripletEqualsABatchOfOne() throws {
        let (a, p, n) = randomTriplets(rows: 1, length: 11, Float.self, seed: 5)
        for distance in TripletDistance.allCases {
            let batched = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 3, distance: distance, reduction: .none)
            let single = try tripletMarginLoss(
                anchor: Tensor(a.scalars), positive: Tensor(p.scalars), negative: Tensor(n.scalars), margin: 3,
                distance: distance, reduction: .none)
            XCTAssertEqual(single.value.shape, [])
            XCTAssertEqual(single.value.scalars, batched.value.scalars)
            XCTAssertEqual(single.gradients[.anchor]?.shape, [11])
            XCTAssertEqual(single.gradients[.anchor]?.scalars, batched.gradients[.anchor]?.scalars)
        }
    }

    func testRequestedGradientsOnlyAreComputedAndValueOnlyCallsAgree() throws {
        let (a, p, n) = randomTriplets(rows: 4, length: 10, Double.self, seed: 6)
        for distance in TripletDistance.allCases {
            for p0 in [2.0, 1.5] {
                let all = try tripletMarginLoss(anchor: a, positive: p, negative: n, p: p0, swap: true, distance: distance)
                let some = try tripletMarginLoss(anchor: a, positive: p, negative: n, p: p0, swap: true, distance: distance, wrt: [.negative])
                let none = try tripletMarginLoss(anchor: a, positive: p, negative: n, p: p0, swap: true, distance: distance, wrt: [])
                XCTAssertEqual(Set(some.gradients.keys), [.negative])
                XCTAssertEqual(some.gradients[.negative], all.gradients[.negative])
                XCTAssertTrue(none.gradients.isEmpty)
                XCTAssertEqual(none.scalar, all.scalar)
            }
        }
        let c = try contrastiveLoss(input1: a, input2: p, target: Tensor([1, 0, 1, 0]), wrt: [.input2])
        XCTAssertEqual(Set(c.gradients.keys), [.input2])
        let e = try cosineEmbeddingLoss(input1: a, input2: p, target: Tensor([1, -1, 1, -1]), wrt: [])
        XCTAssertTrue(e.gradients.isEmpty)
    }

    func testRowsSplitOverThreadsGiveBitwiseTheSameResult() throws {
        // 600 rows of 300: several blocks of `blockedSum`; the result must not depend on the thread count.
        let (a, p, n) = randomTriplets(rows: 600, length: 300, Float.self, seed: 9)
        let saved = Parallelism.maximumThreads
        defer { Parallelism.maximumThreads = saved }
        Parallelism.maximumThreads = 1
        let one = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 8)
        let oneCosine = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 0.5, distance: .cosine)
        Parallelism.maximumThreads = 2
        let two = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 8)
        let twoCosine = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 0.5, distance: .cosine)
        XCTAssertEqual(one.scalar, two.scalar)
        XCTAssertEqual(one.gradients[.anchor], two.gradients[.anchor])
        XCTAssertEqual(oneCosine.scalar, twoCosine.scalar)
        XCTAssertGreaterThan(one.scalar!, 0)
    }

    // MARK: triplet: errors

    func testTripletShapeMismatchesAreRejectedNamingTheInput() {
        let a = Tensor<Float>(shape2: [2, 4]), wrong = Tensor<Float>(shape2: [2, 3])
        XCTAssertThrowsError(try tripletMarginLoss(anchor: a, positive: wrong, negative: a)) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "positive", expected: [2, 4], actual: [2, 3]))
        }
        XCTAssertThrowsError(try tripletMarginLoss(anchor: a, positive: a, negative: Tensor<Float>(shape2: [4]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "negative", expected: [2, 4], actual: [4]))
        }
        XCTAssertThrowsError(try tripletMarginLoss(anchor: Tensor<Float>(shape2: [2, 2, 2]), positive: Tensor<Float>(shape2: [2, 2, 2]), negative: Tensor<Float>(shape2: [2, 2, 2]))) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "anchor", shape: [2, 2, 2], reason: "expected rank 1...2, got rank 3"))
        }
        XCTAssertThrowsError(try tripletMarginLoss(anchor: Tensor<Float>(1), positive: Tensor<Float>(1), negative: Tensor<Float>(1))) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "anchor", shape: [], reason: "expected rank 1...2, got rank 0"))
        }
    }

    func testTripletRejectsNonPositivePAndMarginAndNegativeEps() {
        let a = Tensor<Double>(shape2: [2, 3])
        for p in [0.0, -1, .nan] {
            XCTAssertThrowsError(try tripletMarginLoss(anchor: a, positive: a, negative: a, p: p)) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "p", value: "\(p)", expected: "> 0 (inf for the max norm)"))
            }
        }
        for m in [0.0, -0.5, .infinity] {
            XCTAssertThrowsError(try tripletMarginLoss(anchor: a, positive: a, negative: a, margin: m, distance: .cosine)) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "margin", value: "\(m)", expected: "a finite number > 0"))
            }
        }
        XCTAssertThrowsError(try tripletMarginLoss(anchor: a, positive: a, negative: a, eps: -1e-6)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "eps", value: "-1e-06", expected: "a finite number >= 0"))
        }
        XCTAssertThrowsError(try tripletMarginLoss(anchor: a, positive: a, negative: a, reduction: .batchmean)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"))
        }
    }

    func testUnknownDistanceIsRejectedByTheCommandLine() throws {
        let x = DynamicTensor.float32(Tensor<Float>(shape2: [2, 3]))
        let inputs = ["anchor": x, "positive": x, "negative": x]
        XCTAssertThrowsError(try Evaluator.evaluate(id: "triplet", inputs: inputs, options: ["distance": "manhattan"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "distance", value: "manhattan", expected: "one of pairwise, cosine"))
        }
        XCTAssertThrowsError(try Evaluator.evaluate(id: "triplet", inputs: inputs, options: ["p": "0"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "p", value: "0.0", expected: "> 0 (inf for the max norm)"))
        }
        // p = inf is spelled "inf" on the command line
        XCTAssertNoThrow(try Evaluator.evaluate(id: "triplet", inputs: inputs, options: ["p": "inf"]))
    }

    // MARK: contrastive

    func testContrastiveIsHalfTheSquaredDistanceOrTheSquaredMarginGap() throws {
        try contrastiveDefinition(Float.self)
        try contrastiveDefinition(Double.self)
    }

    func testContrastiveOfIdenticalPairsIsFinite() throws {
        // d = 1e-6·√D: similar pairs cost ½d², dissimilar ones ½(m − d)², gradients ±(y·d − (1−y)(m − d))·v/d.
        for T in [Float.self, Double.self] as [any LossScalar.Type] {
            try identicalContrastivePair(T)
        }
    }

    func testContrastiveEntriesOf1e4AndEmptyBatches() throws {
        for T in [Float.self, Double.self] as [any LossScalar.Type] {
            try assertPairLossFiniteAtExtremes("contrastive", T, options: [[:], ["margin": "1e4"]])
        }
        try assertPairLossEmptyBatch("contrastive", ["input1", "input2"], Float.self)
        try assertPairLossEmptyBatch("contrastive", ["input1", "input2"], Double.self)
    }

    func testContrastiveRejectsTargetsOtherThanZeroAndOneAndShapeMismatches() {
        let x = Tensor<Double>(shape2: [3, 2])
        XCTAssertThrowsError(try contrastiveLoss(input1: x, input2: x, target: Tensor([1, -1, 0]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "target", value: -1, index: 1, expected: "0 or 1 (1 = similar pair)"))
        }
        XCTAssertThrowsError(try contrastiveLoss(input1: x, input2: x, target: Tensor([1, 0]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [3], actual: [2]))
        }
        XCTAssertThrowsError(try contrastiveLoss(input1: x, input2: Tensor(shape2: [3, 3]), target: Tensor([1, 0, 1]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "input2", expected: [3, 2], actual: [3, 3]))
        }
        XCTAssertThrowsError(try contrastiveLoss(input1: Tensor([1.0, 2]), input2: Tensor([1.0, 2]), target: Tensor([1.0, 0]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [], actual: [2]))
        }
        XCTAssertThrowsError(try contrastiveLoss(input1: x, input2: x, target: Tensor([1, 0, 1]), margin: .nan)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "margin", value: "nan", expected: "a finite number"))
        }
    }

    // MARK: cosine-embedding

    func testCosineEmbeddingOfAZeroVectorMatchesTheEpsilonFormula() throws {
        // x₁ = 0: m₁ = ε = Float(1e-12) (PyTorch's EPSILON is a float), cos = 0, ℓ = 1 for target 1,
        // ∂ℓ/∂x₁ = −x₂/√(m₁m₂), ∂ℓ/∂x₂ = −(x₁/√(m₁m₂) − cos·x₂/m₂) = 0. The float32 fixture checks
        // this against PyTorch; here in Double.
        let eps = Double(Float(1e-12))
        let y = [0.5, -1.5, 2.0]
        let m2 = y.map { $0 * $0 }.reduce(0, +) + eps
        let r = try cosineEmbeddingLoss(
            input1: Tensor(shape: [1, 3], scalars: [0, 0, 0]), input2: Tensor(shape: [1, 3], scalars: y),
            target: Tensor([1]), reduction: .sum)
        XCTAssertEqual(r.scalar, 1)
        XCTAssertEqual(r.gradients[.input1]!.scalars, y.map { -$0 / (eps * m2).squareRoot() }, accuracy: 1e-15 * 1e6)
        XCTAssertEqual(r.gradients[.input2]!.scalars, [0, 0, 0])
        let f = try cosineEmbeddingLoss(
            input1: Tensor<Float>(shape: [2, 3], repeating: 0), input2: Tensor(shape: [2, 3], repeating: 0),
            target: Tensor([1, -1]), reduction: .none)
        XCTAssertEqual(f.value.scalars, [1, 0])
        assertFinite(f)
    }

    func testCosineEmbeddingIsScaleInvariantWithGradientsScaledInversely() throws {
        let (a, p, _) = randomTriplets(rows: 4, length: 6, Double.self, seed: 12)
        let t = Tensor<Double>([1, -1, -1, 1])
        let r = try cosineEmbeddingLoss(input1: a, input2: p, target: t, margin: -0.3, reduction: .none)
        let scaled = try Tensor(shape: a.shape, scalars: a.scalars.map { $0 * 8 })
        let s = try cosineEmbeddingLoss(input1: scaled, input2: p, target: t, margin: -0.3, reduction: .none)
        // (exact but for the 1e-12 added to Σx², relative 1e-12 here)
        XCTAssertEqual(s.value.scalars, r.value.scalars, accuracy: 1e-11)
        XCTAssertEqual(s.gradients[.input1]!.scalars, r.gradients[.input1]!.scalars.map { $0 / 8 }, accuracy: 1e-11)
        XCTAssertEqual(s.gradients[.input2]!.scalars, r.gradients[.input2]!.scalars, accuracy: 1e-11)
    }

    func testCosineEmbeddingHugeAndExtremeEntriesStayFinite() throws {
        for T in [Float.self, Double.self] as [any LossScalar.Type] {
            try assertPairLossFiniteAtExtremes("cosine-embedding", T, options: [[:], ["margin": "-0.5"]])
        }
        // 1e30 in Float: every sum overflows; the row is recomputed scaled (PyTorch gives NaN).
        let x = try Tensor(shape: [1, 2], scalars: [1e30, 0] as [Float])
        let y = try Tensor(shape: [1, 2], scalars: [1e30, 1e30] as [Float])
        let r = try cosineEmbeddingLoss(input1: x, input2: y, target: Tensor([1]))
        XCTAssertEqual(r.scalar!, 1 - 1 / Float(2).squareRoot(), accuracy: 1e-6)
        // ∂(1 − cos)/∂x₁ = −(x₂/(‖x₁‖‖x₂‖) − cos·x₁/‖x₁‖²) = −(1/√2·1e-30)·(1 − 1, 1) …
        XCTAssertEqual(r.gradients[.input1]!.scalars, [0, -1e-30 / Float(2).squareRoot()], accuracy: 1e-36)
    }

    func testCosineEmbeddingOfAnEmptyBatchAndUnbatchedShapes() throws {
        try assertPairLossEmptyBatch("cosine-embedding", ["input1", "input2"], Float.self)
        try assertPairLossEmptyBatch("cosine-embedding", ["input1", "input2"], Double.self)
        let r = try cosineEmbeddingLoss(input1: Tensor([1.0, 0]), input2: Tensor([0.0, 1]), target: Tensor(-1.0), reduction: .none)
        XCTAssertEqual(r.value.shape, [])
        XCTAssertEqual(r.value.scalars, [0])
        XCTAssertEqual(r.gradients[.input1]?.scalars, [0, 0])  // cos − margin = 0: no gradient at the kink
    }

    func testCosineEmbeddingRejectsTargetsOtherThanPlusMinusOne() {
        let x = Tensor<Float>(shape2: [2, 3])
        XCTAssertThrowsError(try cosineEmbeddingLoss(input1: x, input2: x, target: Tensor([1, 0]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "target", value: 0, index: 1, expected: "−1 or 1"))
        }
        XCTAssertThrowsError(try cosineEmbeddingLoss(input1: x, input2: x, target: Tensor([1, -1, 1]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [2], actual: [3]))
        }
        XCTAssertThrowsError(try cosineEmbeddingLoss(input1: x, input2: Tensor(shape2: [3, 2]), target: Tensor([1, -1]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "input2", expected: [2, 3], actual: [3, 2]))
        }
        XCTAssertThrowsError(try cosineEmbeddingLoss(input1: Tensor<Float>(shape2: [1, 1, 2]), input2: Tensor(shape2: [1, 1, 2]), target: Tensor([1]))) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "input1", shape: [1, 1, 2], reason: "expected rank 1...2, got rank 3"))
        }
    }

}

// MARK: - Helpers

/// A seeded generator (SplitMix64) of values in [−1, 1).
private struct SeededValues {
    var state: UInt64
    mutating func next<T: LossScalar>(_: T.Type) -> T {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return T(Double(z >> 11) / Double(1 << 53) * 2 - 1)
    }
}

/// Anchors, positives near them and negatives further away (a mix of active and inactive rows).
private func randomTriplets<T: LossScalar>(rows: Int, length: Int, _: T.Type, seed: UInt64) -> (Tensor<T>, Tensor<T>, Tensor<T>) {
    var g = SeededValues(state: seed)
    let count = rows * length
    let a = (0..<count).map { _ in g.next(T.self) }
    let p = a.map { $0 + g.next(T.self) / 3 }
    let n = a.map { $0 + g.next(T.self) }
    return (try! Tensor(shape: [rows, length], scalars: a), try! Tensor(shape: [rows, length], scalars: p),
            try! Tensor(shape: [rows, length], scalars: n))
}

private func identicalAnchorAndPositive<T: LossScalar>(_: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    // D = 4, a == p: d(a, p) = ‖(eps, eps, eps, eps)‖ = 2·eps, ∂d/∂p = −v/d = −(½, ½, ½, ½).
    let a = try Tensor(shape: [1, 4], scalars: [0.5, -1, 2, 0] as [T])
    let n = try Tensor(shape: [1, 4], scalars: [0.5, -1, 2, 0.25] as [T])
    let r = try tripletMarginLoss(anchor: a, positive: a, negative: n, reduction: .sum)
    assertFinite(r, file: file, line: line)
    let dan = (3 * T(1e-6) * T(1e-6) + (T(-0.25) + T(1e-6)) * (T(-0.25) + T(1e-6))).squareRoot()
    XCTAssertEqual(r.scalar!, 1 + 2 * T(1e-6) - dan, accuracy: 4 * T.ulpOfOne, file: file, line: line)
    XCTAssertEqual(r.gradients[.positive]!.scalars, [-0.5, -0.5, -0.5, -0.5], accuracy: 4 * T.ulpOfOne, file: file, line: line)
}

private func swapSymmetry<T: LossScalar>(_: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    let (a, p, n) = randomTriplets(rows: 5, length: 9, T.self, seed: 21)
    for distance in TripletDistance.allCases {
        let r = try tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 2, eps: 0, swap: true, distance: distance, reduction: .none)
        let s = try tripletMarginLoss(anchor: p, positive: a, negative: n, margin: 2, eps: distance == .cosine ? 1e-6 : 0, swap: true, distance: distance, reduction: .none)
        let tol = 16 * T.ulpOfOne
        XCTAssertEqual(r.value.scalars, s.value.scalars, accuracy: tol, "\(distance)", file: file, line: line)
        XCTAssertEqual(r.gradients[.anchor]!.scalars, s.gradients[.positive]!.scalars, accuracy: tol, "\(distance)", file: file, line: line)
        XCTAssertEqual(r.gradients[.positive]!.scalars, s.gradients[.anchor]!.scalars, accuracy: tol, "\(distance)", file: file, line: line)
        XCTAssertEqual(r.gradients[.negative]!.scalars, s.gradients[.negative]!.scalars, accuracy: tol, "\(distance)", file: file, line: line)
        XCTAssertTrue(r.value.scalars.contains { $0 > 0 }, "\(distance): no active row", file: file, line: line)
    }
}

private func contrastiveDefinition<T: LossScalar>(_: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    let (x, y, _) = randomTriplets(rows: 6, length: 5, T.self, seed: 31)
    let target = Tensor<T>([1, 0, 1, 0, 0, 1])
    let r = try contrastiveLoss(input1: x, input2: y, target: target, margin: 0.6, reduction: .none)
    let m = try contrastiveLoss(input1: x, input2: y, target: target, margin: 0.6)
    var sum: T = 0
    for i in 0..<6 {
        var s: T = 0
        for j in 0..<5 { let v = x.scalars[i * 5 + j] - y.scalars[i * 5 + j] + T(1e-6); s += v * v }
        let d = s.squareRoot()
        let expected = target.scalars[i] == 1 ? d * d / 2 : Swift.max(0, T(0.6) - d) * Swift.max(0, T(0.6) - d) / 2
        XCTAssertEqual(r.value.scalars[i], expected, accuracy: 8 * T.ulpOfOne, "row \(i)", file: file, line: line)
        sum += expected
    }
    // mean = 1/(2N) Σ [y·d² + (1 − y)·max(0, m − d)²]
    XCTAssertEqual(m.scalar!, sum / 6, accuracy: 8 * T.ulpOfOne, file: file, line: line)
}

private func identicalContrastivePair<T: LossScalar>(_: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    let x = try Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, -1, 0, 1e4, -1e4] as [T])
    let r = try contrastiveLoss(input1: x, input2: x, target: Tensor([1, 0]), reduction: .none)
    assertFinite(r, file: file, line: line)
    let d = 2 * T(1e-6)  // ‖(1e-6, 1e-6, 1e-6, 1e-6)‖
    XCTAssertEqual(r.value.scalars[0], d * d / 2, accuracy: 8 * d * d * T.ulpOfOne, file: file, line: line)
    XCTAssertEqual(r.value.scalars[1], (1 - d) * (1 - d) / 2, accuracy: 8 * T.ulpOfOne, file: file, line: line)
    // similar: y·d·v/d = v = 1e-6 each; dissimilar: −(1 − d)·v/d = −(1 − d)/2 each
    let g = r.gradients[.input1]!.scalars
    XCTAssertEqual(Array(g[0..<4]), [T](repeating: T(1e-6), count: 4), accuracy: T(1e-6) * 8 * T.ulpOfOne, file: file, line: line)
    XCTAssertEqual(Array(g[4..<8]), [T](repeating: -(1 - d) / 2, count: 4), accuracy: 8 * T.ulpOfOne, file: file, line: line)
}

private func XCTAssertEqual<T: LossScalar>(
    _ a: [T], _ b: [T], accuracy: T, _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
    guard a.count == b.count else { return XCTFail("\(a) vs \(b): counts differ. \(message())", file: file, line: line) }
    for i in a.indices where !(abs(a[i] - b[i]) <= accuracy) {
        XCTFail("[\(i)]: \(a[i]) vs \(b[i]) (accuracy \(accuracy)). \(message())", file: file, line: line)
    }
}
