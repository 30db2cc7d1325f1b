import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Ranking (Sources/LossKit/Ranking.swift): margin-ranking, pairwise-ranking, listwise-ranking. The
/// reference values come from Fixtures/ranking.json (scripts/fixtures/ranking.py: PyTorch's
/// margin_ranking_loss, the pairwise formula in PyTorch, optax 0.2.8's ranking_softmax_loss through
/// jax); the tests here pin the edge cases, properties and errors.
final class RankingTests: XCTestCase {
    // MARK: Reference and finite differences

    func testValuesAndGradientsMatchTheReferences() throws {
        XCTAssertGreaterThan(try replayFixtures("ranking"), 60)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("ranking"), 400)
    }

    func testRankingIdsResolve() {
        XCTAssertEqual(Catalog.ranking.map { $0.id }, ["margin-ranking", "pairwise-ranking", "listwise-ranking"])
    }

    // MARK: pairwise-ranking

    func testPairwiseDocumentationExample() throws {
        let x = try Tensor(shape: [1, 3], scalars: [0.5, 1, 0] as [Double])
        let t = try Tensor(shape: [1, 3], scalars: [3, 2, 1] as [Double])
        let r = try pairwiseRankingLoss(input: x, target: t, margin: 0.25, reduction: .sum)
        XCTAssertEqual(r.scalar, 0.75)
        XCTAssertEqual(r.gradients[.input]?.scalars, [-1, 1, 0])
    }

    func testPairwiseMatchesABruteForceDoubleLoopForEveryListLength() throws {
        // K = 1…19 covers one partial block, full blocks and tails; K = 300 the long rows.
        for k in Array(1...19) + [300] {
            try pairwiseMatchesBruteForce(Double.self, rows: 3, k: k, margin: 0.3, seed: UInt64(k))
            try pairwiseMatchesBruteForce(Float.self, rows: 2, k: k, margin: -0.1, seed: UInt64(k) + 100)
        }
    }

    func testPairwiseOnTwoItemsIsMarginRankingWithTheTargetOrder() throws {
        // K = 2: one pair, the margin ranking loss of (x₀, x₁) with target sign(t₀ − t₁).
        var rng = SplitMix64(state: 9)
        var x: [Double] = [], t: [Double] = [], x1: [Double] = [], x2: [Double] = [], y: [Double] = []
        for _ in 0..<6 {
            let a = rng.uniform(-2, 2), b = rng.uniform(-2, 2), ta = rng.uniform(0, 1), tb = rng.uniform(0, 1)
            x += [a, b]; t += [ta, tb]; x1.append(a); x2.append(b); y.append(ta > tb ? 1 : -1)
        }
        let p = try pairwiseRankingLoss(input: Tensor(shape: [6, 2], scalars: x), target: Tensor(shape: [6, 2], scalars: t), margin: 0.4, reduction: .none)
        let m = try marginRankingLoss(input1: Tensor(x1), input2: Tensor(x2), target: Tensor(y), margin: 0.4, reduction: .none)
        XCTAssertEqual(p.value.scalars, m.value.scalars)
        let g = try XCTUnwrap(p.gradients[.input]).scalars
        XCTAssertEqual(stride(from: 0, to: 12, by: 2).map { g[$0] }, m.gradients[.input1]?.scalars)
        XCTAssertEqual(stride(from: 1, to: 12, by: 2).map { g[$0] }, m.gradients[.input2]?.scalars)
    }

    func testPairwiseIsInvariantUnderPermutingTheItemsOfARow() throws {
        let (x, t) = Self.scoresAndRelevance(Double.self, rows: 1, k: 13, seed: 4, levels: 3)
        let perm = [5, 2, 12, 0, 7, 1, 9, 3, 11, 4, 8, 10, 6]
        let xp = try Tensor(shape: [1, 13], scalars: perm.map { x.scalars[$0] })
        let tp = try Tensor(shape: [1, 13], scalars: perm.map { t.scalars[$0] })
        let a = try pairwiseRankingLoss(input: x, target: t, margin: 0.2)
        let b = try pairwiseRankingLoss(input: xp, target: tp, margin: 0.2)
        XCTAssertEqual(a.scalar!, b.scalar!, accuracy: 1e-13)
        let ga = try XCTUnwrap(a.gradients[.input]).scalars, gb = try XCTUnwrap(b.gradients[.input]).scalars
        for (i, j) in perm.enumerated() { XCTAssertEqual(gb[i], ga[j], accuracy: 1e-15) }
    }

    func testPairwiseMeanDividesByTheCountedPairsOfTheBatch() throws {
        // rows with 3 distinct targets (3 pairs), all tied (0 pairs), two levels (2·2 = 4 pairs)
        let x = try Tensor(shape: [3, 4], scalars: [0.1, 0.7, -0.2, 0.4, 1, 2, 3, 4, 0.5, -0.5, 0.25, 0] as [Double])
        let t = try Tensor(shape: [3, 4], scalars: [1, 2, 3, 3, 5, 5, 5, 5, 0, 1, 0, 1] as [Double])
        let s = try pairwiseRankingLoss(input: x, target: t, margin: 1, reduction: .sum)
        let m = try pairwiseRankingLoss(input: x, target: t, margin: 1, reduction: .mean)
        // pairs: row 0: (0,1), (0,2), (0,3), (1,2), (1,3) = 5 (2 and 3 tie); row 1: 0; row 2: 4
        XCTAssertEqual(m.scalar!, s.scalar! / 9, accuracy: 1e-15)
        for (a, b) in zip(m.gradients[.input]!.scalars, s.gradients[.input]!.scalars) { XCTAssertEqual(a, b / 9, accuracy: 1e-15) }
        let none = try pairwiseRankingLoss(input: x, target: t, margin: 1, reduction: .none)
        XCTAssertEqual(none.value.shape, [3])
        XCTAssertEqual(none.value.scalars[1], 0)
        XCTAssertEqual(none.value.scalars.reduce(0, +), s.scalar!, accuracy: 1e-14)
    }

    func testPairwiseWithoutCountedPairsHasNaNMeanAndZeroGradient() throws {
        for (x, t) in [(try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6] as [Float]), try Tensor<Float>(shape: [2, 3], repeating: 7)),
                       (try Tensor<Float>(shape: [0, 3], scalars: []), try Tensor<Float>(shape: [0, 3], scalars: [])),
                       (try Tensor<Float>(shape: [4, 1], scalars: [1, 2, 3, 4]), try Tensor<Float>(shape: [4, 1], scalars: [4, 3, 2, 1]))] {
            let r = try pairwiseRankingLoss(input: x, target: t, margin: 1)
            XCTAssertTrue(r.scalar!.isNaN)
            XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy { $0 == 0 })
            XCTAssertEqual(try pairwiseRankingLoss(input: x, target: t, margin: 1, reduction: .sum).scalar, 0)
        }
    }

    func testPairwiseIsFiniteForExtremeScoresAndInfiniteTargets() throws {
        for T in [Float.self, Double.self] as [any LossScalar.Type] { try pairwiseExtremes(T) }
    }

    func testPairwiseOnLongListsSplitOverThreadsMatchesRowByRow() throws {
        // 24 rows of 256 items: K²/2 work per row puts one row in each parallel block.
        let (x, t) = Self.scoresAndRelevance(Float.self, rows: 24, k: 256, seed: 12, levels: 50)
        let all = try pairwiseRankingLoss(input: x, target: t, margin: 0.1, reduction: .none)
        for row in [0, 11, 23] {
            let xs = try Tensor(shape: [1, 256], scalars: Array(x.scalars[row * 256 ..< (row + 1) * 256]))
            let ts = try Tensor(shape: [1, 256], scalars: Array(t.scalars[row * 256 ..< (row + 1) * 256]))
            let one = try pairwiseRankingLoss(input: xs, target: ts, margin: 0.1, reduction: .none)
            XCTAssertEqual(one.value.scalars[0], all.value.scalars[row])
            XCTAssertEqual(one.gradients[.input]!.scalars, Array(all.gradients[.input]!.scalars[row * 256 ..< (row + 1) * 256]))
        }
    }

    func testPairwiseValueOnlyCallComputesNoGradient() throws {
        let (x, t) = Self.scoresAndRelevance(Double.self, rows: 2, k: 9, seed: 5, levels: 4)
        let r = try pairwiseRankingLoss(input: x, target: t, wrt: [])
        XCTAssertTrue(r.gradients.isEmpty)
        XCTAssertEqual(r.scalar, try pairwiseRankingLoss(input: x, target: t).scalar)
    }

    func testPairwiseRejectsNaNTargetsNonFiniteMarginsAndBadShapes() {
        let x = try! Tensor(shape: [2, 2], scalars: [1, 2, 3, 4] as [Double])
        XCTAssertThrowsError(try pairwiseRankingLoss(input: x, target: Tensor(shape: [2, 2], scalars: [0, 1, .nan, 2]))) { e in
            guard case let .valueOutOfRange("target", value, 2, "a score that is not NaN")? = e as? LossError, value.isNaN else {
                return XCTFail("\(e)")
            }
        }
        for margin in [Double.infinity, .nan] {
            XCTAssertThrowsError(try pairwiseRankingLoss(input: x, target: x, margin: margin)) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "margin", value: "\(margin)", expected: "a finite number"))
            }
        }
        XCTAssertThrowsError(try pairwiseRankingLoss(input: x, target: Tensor([1, 2, 3, 4]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [2, 2], actual: [4]))
        }
        XCTAssertThrowsError(try pairwiseRankingLoss(input: Tensor<Double>(1), target: Tensor<Double>(1))) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "input", shape: [], reason: "expected scores [N, K], got rank 0"))
        }
        XCTAssertThrowsError(try pairwiseRankingLoss(input: x, target: x, reduction: .batchmean)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"))
        }
    }

    // MARK: listwise-ranking

    func testListwiseOptaxDocstringExample() throws {
        // optax's docstring: loss 1.408, gradient [-0.755, 0.09, 0.665]; exactly
        // log(e² + e + e³) − 2 and softmax(x) − t.
        let x = try Tensor(shape: [1, 3], scalars: [2, 1, 3] as [Double])
        let t = try Tensor(shape: [1, 3], scalars: [1, 0, 0] as [Double])
        let r = try listwiseRankingLoss(input: x, target: t)
        let z = exp(2.0) + exp(1.0) + exp(3.0)
        XCTAssertEqual(r.scalar!, log(z) - 2, accuracy: 1e-15)
        let g = try XCTUnwrap(r.gradients[.input]).scalars
        for (a, b) in zip(g, [exp(2.0) / z - 1, exp(1.0) / z, exp(3.0) / z]) { XCTAssertEqual(a, b, accuracy: 1e-15) }
        XCTAssertEqual(g[0], -0.755, accuracy: 5e-4)
    }

    func testListwiseWithDistributionTargetsIsCrossEntropyWithProbabilities() throws {
        // Rows of t summing to 1: −Σ t·log_softmax(x) is the cross-entropy with probability targets.
        let (x, raw) = Self.scoresAndRelevance(Double.self, rows: 4, k: 11, seed: 6, levels: 5)
        var t = raw.scalars
        for r in 0..<4 {
            let s = t[r * 11 ..< (r + 1) * 11].reduce(0, +) + 1
            for i in r * 11 ..< (r + 1) * 11 { t[i] = (t[i] + 1.0 / 11) / s }
        }
        let target = try Tensor(shape: [4, 11], scalars: t)
        let l = try listwiseRankingLoss(input: x, target: target)
        let ce = try crossEntropy(input: x, target: target, wrt: [.input])
        XCTAssertEqual(l.scalar!, ce.scalar!, accuracy: 1e-13)
        for (a, b) in zip(l.gradients[.input]!.scalars, ce.gradients[.input]!.scalars) { XCTAssertEqual(a, b, accuracy: 1e-15) }
    }

    func testListwiseLabelsAreNotNormalizedAndAZeroRowCountsInTheMean() throws {
        let (x, t) = Self.scoresAndRelevance(Double.self, rows: 1, k: 7, seed: 7, levels: 4)
        let a = try listwiseRankingLoss(input: x, target: t).scalar!
        let b = try listwiseRankingLoss(input: x, target: Tensor(shape: [1, 7], scalars: t.scalars.map { 2.5 * $0 })).scalar!
        XCTAssertEqual(b, 2.5 * a, accuracy: 1e-13)
        // a second row of zero relevance: loss 0, the mean halves
        let x2 = try Tensor(shape: [2, 7], scalars: x.scalars + x.scalars)
        let t2 = try Tensor(shape: [2, 7], scalars: t.scalars + [Double](repeating: 0, count: 7))
        let m = try listwiseRankingLoss(input: x2, target: t2)
        XCTAssertEqual(m.scalar!, a / 2, accuracy: 1e-14)
        XCTAssertTrue(m.gradients[.input]!.scalars[7...].allSatisfy { $0 == 0 })
    }

    func testListwiseMaskedItemsAreLeftOutOfTheSoftmax() throws {
        // Masking items equals removing them; masked items get gradient 0, even with −inf or 1e30 scores.
        let x = try Tensor(shape: [1, 6], scalars: [0.3, -.infinity, 1.2, 1e30, -0.7, 2] as [Float])
        let t = try Tensor(shape: [1, 6], scalars: [1, 2, 0, 3, 2, 0] as [Float])
        let mask = try Tensor(shape: [1, 6], scalars: [1, 0, 1, 0, 1, 1] as [Float])
        let r = try listwiseRankingLoss(input: x, target: t, mask: mask)
        let kept = [0, 2, 4, 5]
        let s = try listwiseRankingLoss(
            input: Tensor(shape: [1, 4], scalars: kept.map { x.scalars[$0] }), target: Tensor(shape: [1, 4], scalars: kept.map { t.scalars[$0] }))
        XCTAssertEqual(r.scalar!, s.scalar!, accuracy: 1e-6)
        let g = try XCTUnwrap(r.gradients[.input]).scalars
        XCTAssertEqual(g[1], 0)
        XCTAssertEqual(g[3], 0)
        for (i, k) in kept.enumerated() { XCTAssertEqual(g[k], s.gradients[.input]!.scalars[i], accuracy: 1e-6) }
    }

    func testListwiseFullyMaskedRowsLeaveTheMeanAndAnEmptyMeanIsZero() throws {
        let x = try Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6] as [Double])
        let t = try Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 2, 2] as [Double])
        let mask = try Tensor(shape: [3, 2], scalars: [1, 1, 0, 0, 1, 1] as [Double])
        let m = try listwiseRankingLoss(input: x, target: t, mask: mask)
        let none = try listwiseRankingLoss(input: x, target: t, mask: mask, reduction: .none)
        XCTAssertEqual(none.value.scalars[1], 0)
        XCTAssertEqual(m.scalar!, (none.value.scalars[0] + none.value.scalars[2]) / 2, accuracy: 1e-15)
        // every row masked, or no rows: 0 (optax's _safe_reduce), gradient 0
        let off = try listwiseRankingLoss(input: x, target: t, mask: Tensor(shape: [3, 2], repeating: 0))
        XCTAssertEqual(off.scalar, 0)
        XCTAssertTrue(off.gradients[.input]!.scalars.allSatisfy { $0 == 0 })
        let empty = try Tensor<Float>(shape: [0, 5], scalars: [])
        let e = try listwiseRankingLoss(input: empty, target: empty)
        XCTAssertEqual(e.scalar, 0)
        XCTAssertEqual(e.gradients[.input]?.shape, [0, 5])
    }

    func testListwiseMinusInfinityScoreWithZeroRelevanceIsFiniteWhereOptaxGivesNaN() throws {
        // optax: 0·log_softmax(−inf) = 0·(−inf) = NaN. The limit is 0: the item drops out.
        for T in [Float.self, Double.self] as [any LossScalar.Type] { try listwiseMinusInfinity(T) }
    }

    func testListwiseIsFiniteForScoresOfPlusMinus1e4() throws {
        for T in [Float.self, Double.self] as [any LossScalar.Type] { try listwiseExtremes(T) }
    }

    func testListwiseMeanGradientIsSumGradientOverTheRows() throws {
        let (x, t) = Self.scoresAndRelevance(Float.self, rows: 5, k: 20, seed: 8, levels: 4)
        let s = try listwiseRankingLoss(input: x, target: t, reduction: .sum)
        let m = try listwiseRankingLoss(input: x, target: t, reduction: .mean)
        XCTAssertEqual(m.scalar!, s.scalar! / 5, accuracy: 1e-5 * s.scalar!)
        for (a, b) in zip(m.gradients[.input]!.scalars, s.gradients[.input]!.scalars) { XCTAssertEqual(a, b / 5, accuracy: 1e-7) }
    }

    func testListwiseRejectsNegativeRelevanceBadMasksAndShapes() {
        let x = try! Tensor(shape: [2, 2], scalars: [1, 2, 3, 4] as [Float])
        XCTAssertThrowsError(try listwiseRankingLoss(input: x, target: Tensor(shape: [2, 2], scalars: [0, 1, -1, 2]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "target", value: -1, index: 2, expected: "a finite relevance ≥ 0"))
        }
        XCTAssertThrowsError(try listwiseRankingLoss(input: x, target: Tensor(shape: [2, 2], scalars: [0, .infinity, 1, 2]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "target", value: .infinity, index: 1, expected: "a finite relevance ≥ 0"))
        }
        XCTAssertThrowsError(try listwiseRankingLoss(input: x, target: x, mask: Tensor(shape: [2, 2], scalars: [1, 0.5, 1, 1]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "mask", value: 0.5, index: 1, expected: "0 or 1"))
        }
        XCTAssertThrowsError(try listwiseRankingLoss(input: x, target: x, mask: Tensor([1, 1]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "mask", expected: [2, 2], actual: [2]))
        }
        XCTAssertThrowsError(try listwiseRankingLoss(input: x, target: Tensor([1, 1, 1, 1]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [2, 2], actual: [4]))
        }
        XCTAssertThrowsError(try listwiseRankingLoss(input: x, target: x, reduction: .batchmean)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"))
        }
    }

    func testListwiseMaskGivenAsBooleansThroughTheCatalog() throws {
        let x = DynamicTensor.float32(try Tensor(shape: [1, 3], scalars: [1, 2, 3]))
        let t = DynamicTensor.float32(try Tensor(shape: [1, 3], scalars: [1, 0, 2]))
        let b = DynamicTensor.bool(try Tensor(shape: [1, 3], scalars: [true, false, true]))
        let f = DynamicTensor.float32(try Tensor(shape: [1, 3], scalars: [1, 0, 1]))
        let rb = try Evaluator.evaluate(id: "listwise-ranking", inputs: ["input": x, "target": t, "mask": b], options: [:])
        let rf = try Evaluator.evaluate(id: "listwise-ranking", inputs: ["input": x, "target": t, "mask": f], options: [:])
        XCTAssertEqual(rb.value.doubles, rf.value.doubles)
    }

    // MARK: Helpers

    /// Scores in [−2, 2] and relevance levels 0..<levels (ties when levels is small).
    static func scoresAndRelevance<T: LossScalar>(_: T.Type, rows: Int, k: Int, seed: UInt64, levels: Int) -> (Tensor<T>, Tensor<T>) {
        var rng = SplitMix64(state: seed)
        let x = (0..<(rows * k)).map { _ in T(rng.uniform(-2, 2)) }
        let t = (0..<(rows * k)).map { _ in T(Int(rng.uniform(0, Double(levels)))) }
        return (try! Tensor(shape: [rows, k], scalars: x), try! Tensor(shape: [rows, k], scalars: t))
    }

    private func pairwiseMatchesBruteForce<T: LossScalar>(_: T.Type, rows: Int, k: Int, margin: T, seed: UInt64) throws {
        let (x, t) = Self.scoresAndRelevance(T.self, rows: rows, k: k, seed: seed, levels: 5)
        let r = try pairwiseRankingLoss(input: x, target: t, margin: margin, reduction: .none)
        let xs = x.scalars, ts = t.scalars
        var grad = [Double](repeating: 0, count: rows * k)
        for n in 0..<rows {
            var loss = 0.0
            for i in 0..<k {
                for j in (i + 1)..<max(i + 1, k) {
                    let a = n * k + i, b = n * k + j
                    let s: Double = ts[a] > ts[b] ? 1 : ts[a] < ts[b] ? -1 : 0
                    guard s != 0 else { continue }
                    let z = Double(margin) - Double(xs[a] - xs[b]) * s
                    if z > 0 { loss += z; grad[a] -= s; grad[b] += s }
                }
            }
            let tolerance = (T.self == Float.self ? 1e-5 : 1e-12) * max(1, loss)
            XCTAssertEqual(Double(r.value.scalars[n]), loss, accuracy: tolerance, "K=\(k) row \(n) \(T.self)")
        }
        XCTAssertEqual(r.gradients[.input]!.scalars.map { Double($0) }, grad, "K=\(k) \(T.self)")
    }

    private func pairwiseExtremes<T: LossScalar>(_: T.Type) throws {
        let x = try Tensor(shape: [2, 4], scalars: [1e4, -1e4, 0, 5e3, -1e4, -1e4, 1e4, 1e4] as [T])
        let t = try Tensor(shape: [2, 4], scalars: [0, 1, .infinity, -.infinity, .infinity, .infinity, 1, -.infinity] as [T])
        for reduction in [Reduction.none, .mean, .sum] {
            let r = try pairwiseRankingLoss(input: x, target: t, margin: 1, reduction: reduction)
            XCTAssertTrue(r.value.scalars.allSatisfy(\.isFinite), "\(T.self) \(reduction): \(r.value)")
            XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy(\.isFinite))
        }
        // row 1: the two +inf targets tie (items 0 and 1): 5 pairs
        let none = try pairwiseRankingLoss(input: x, target: t, margin: 1, reduction: .none)
        let sum = try pairwiseRankingLoss(input: x, target: t, margin: 1, reduction: .sum).scalar!
        XCTAssertEqual(try pairwiseRankingLoss(input: x, target: t, margin: 1).scalar!, sum / 11)
        XCTAssertEqual(none.value.scalars[0] + none.value.scalars[1], sum)
    }

    private func listwiseMinusInfinity<T: LossScalar>(_: T.Type) throws {
        let x = try Tensor(shape: [1, 4], scalars: [0.5, -.infinity, 1.5, -1] as [T])
        let t = try Tensor(shape: [1, 4], scalars: [1, 0, 2, 0.5] as [T])
        let r = try listwiseRankingLoss(input: x, target: t)
        let s = try listwiseRankingLoss(
            input: Tensor(shape: [1, 3], scalars: [0.5, 1.5, -1] as [T]), target: Tensor(shape: [1, 3], scalars: [1, 2, 0.5] as [T]))
        XCTAssertEqual(Double(r.scalar!), Double(s.scalar!), accuracy: 1e-6)
        let g = try XCTUnwrap(r.gradients[.input]).scalars
        XCTAssertEqual(g[1], 0)
        XCTAssertTrue(g.allSatisfy(\.isFinite))
        // with positive relevance on the −inf item the loss is +inf, the gradient still finite (−t there)
        let inf = try listwiseRankingLoss(input: x, target: Tensor(shape: [1, 4], scalars: [1, 1, 0, 0] as [T]))
        XCTAssertEqual(inf.scalar, .infinity)
        XCTAssertEqual(inf.gradients[.input]!.scalars[1], -1)
    }

    private func listwiseExtremes<T: LossScalar>(_: T.Type) throws {
        let x = try Tensor(shape: [2, 5], scalars: [1e4, -1e4, 0, 1e4, 3, -1e4, -1e4, -1e4, -1e4 + 1, -1e4] as [T])
        let t = try Tensor(shape: [2, 5], scalars: [1, 2, 0, 0.5, 1, 0, 1, 3, 0, 1] as [T])
        for reduction in [Reduction.none, .mean, .sum] {
            let r = try listwiseRankingLoss(input: x, target: t, reduction: reduction)
            XCTAssertTrue(r.value.scalars.allSatisfy(\.isFinite), "\(T.self) \(reduction): \(r.value)")
            XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy(\.isFinite))
        }
        // the gradient of each row sums to 0 (Σ t·softmax − t)
        let g = try listwiseRankingLoss(input: x, target: t, reduction: .sum).gradients[.input]!.scalars
        XCTAssertEqual(Double(g[0..<5].reduce(0, +)), 0, accuracy: 1e-5)
    }


    func testMarginRankingDocumentationExample() throws {
        let r = try marginRankingLoss(
            input1: Tensor([0.2, 0.9] as [Double]), input2: Tensor([0.5, 0.1]), target: Tensor([1, 1]), margin: 0.1)
        XCTAssertEqual(r.scalar!, 0.2, accuracy: 1e-15)  // (0.1 + 0.3 + 0) / 2
        XCTAssertEqual(r.gradients[.input1]?.scalars, [-0.5, 0])
        XCTAssertEqual(r.gradients[.input2]?.scalars, [0.5, 0])
    }

    // MARK: margin-ranking

    func testMarginRankingIsTheHingeOfTheSignedScoreDifference() throws {
        try marginRankingDefinition(Float.self)
        try marginRankingDefinition(Double.self)
    }

    func testMarginRankingWithInputsExchangedAndTargetNegatedIsUnchanged() throws {
        let x1 = Tensor<Double>([0.3, -1.2, 2.5, 0.0, 0.7]), x2 = Tensor<Double>([1.0, -1.0, 0.5, 0.0, 0.75])
        let t = Tensor<Double>([1, -1, 1, -1, 1])
        let r = try marginRankingLoss(input1: x1, input2: x2, target: t, margin: 0.25, reduction: .none)
        let s = try marginRankingLoss(input1: x2, input2: x1, target: Tensor(t.scalars.map { -$0 }), margin: 0.25, reduction: .none)
        XCTAssertEqual(r.value, s.value)
        XCTAssertEqual(r.gradients[.input1], s.gradients[.input2])
        XCTAssertEqual(r.gradients[.input2], s.gradients[.input1])
    }

    func testMarginRankingExtremesAndEmptyInput() throws {
        for T in [Float.self, Double.self] as [any LossScalar.Type] {
            try assertPairLossFiniteAtExtremes("margin-ranking", T, options: [[:], ["margin": "1e4"]])
        }
        try assertPairLossEmptyBatch("margin-ranking", ["input1", "input2"], Float.self)
        try assertPairLossEmptyBatch("margin-ranking", ["input1", "input2"], Double.self)
    }

    func testMarginRankingRejectsBadTargetsAndShapes() {
        let x = Tensor<Double>([1, 2, 3])
        XCTAssertThrowsError(try marginRankingLoss(input1: x, input2: x, target: Tensor([1, 0.5, -1]))) { e in
            XCTAssertEqual(e as? LossError, .valueOutOfRange(argument: "target", value: 0.5, index: 1, expected: "−1 or 1"))
        }
        XCTAssertThrowsError(try marginRankingLoss(input1: x, input2: Tensor([1, 2]), target: x)) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "input2", expected: [3], actual: [2]))
        }
        XCTAssertThrowsError(try marginRankingLoss(input1: x, input2: x, target: Tensor(shape2: [3, 1]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [3], actual: [3, 1]))
        }
        XCTAssertThrowsError(try marginRankingLoss(input1: x, input2: x, target: Tensor([1, 1, 1]), reduction: .batchmean)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"))
        }
    }}

private func marginRankingDefinition<T: LossScalar>(_: T.Type, file: StaticString = #filePath, line: UInt = #line) throws {
    // 11 elements: one full 8-lane block and a tail; element 3 sits exactly on the kink (z = 0).
    let x1: [T] = [0.5, -2, 1, 0.5, 3, -0.5, 0, 2, -1, 0.75, 1e4]
    let x2: [T] = [0, 1, 1, 0.25, -3, -0.25, 0, 1, 1, 0.5, -1e4]
    let t: [T] = [1, -1, 1, 1, -1, 1, -1, 1, -1, -1, 1]
    let margin: T = 0.25
    let r = try marginRankingLoss(input1: Tensor(x1), input2: Tensor(x2), target: Tensor(t), margin: margin, reduction: .sum)
    var sum: T = 0
    for i in x1.indices {
        let z = -t[i] * (x1[i] - x2[i]) + margin
        sum += Swift.max(0, z)
        XCTAssertEqual(r.gradients[.input1]!.scalars[i], z > 0 ? -t[i] : 0, "element \(i)", file: file, line: line)
        XCTAssertEqual(r.gradients[.input2]!.scalars[i], z > 0 ? t[i] : 0, "element \(i)", file: file, line: line)
    }
    XCTAssertEqual(r.scalar!, sum, accuracy: 4 * T.ulpOfOne * sum, file: file, line: line)
}
