import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Family E, the similarity-matrix losses (info-nce, nt-xent, clip, supcon). The reference values
/// come from scripts/fixtures/contrastive.py (the formulas in PyTorch, supcon the authors'
/// SupConLoss); the tests here pin the edge cases, properties and errors.
final class ContrastiveTests: XCTestCase {
    // MARK: Reference and finite differences

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("contrastive"), 100)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("contrastive"), 1000)
    }

    func testEveryContrastiveIdResolves() {
        XCTAssertEqual(Catalog.contrastive.map { $0.id }, ["info-nce", "nt-xent", "clip", "supcon"])
        for id in ["info-nce", "nt-xent", "clip", "supcon"] { XCTAssertEqual(Catalog.entry(named: id)?.id, id) }
    }

    // MARK: Larger problems (the blocked products and the parallel row pass)

    /// Beyond the multiply's block sizes (kc = 256, mc = 128) and the one-thread grain: the value
    /// equals cross-entropy of logits computed by a plain loop, and sampled gradient elements
    /// equal central finite differences.
    func testInfoNCEWithNegativesMatchesCrossEntropyOfPlainLogitsAtScale() throws {
        let (n, m, d) = (130, 12, 260)
        let q = randomMatrix(n, d, seed: 1), p = randomMatrix(n, d, seed: 2), neg = randomMatrix(m, d, seed: 3)
        let tau = 0.2
        let r = try infoNCELoss(query: q, positive: p, negatives: neg, temperature: tau)
        let (qs, ps, ns) = (unitRows(q), unitRows(p), unitRows(neg))
        var logits = [Double]()
        for i in 0..<n {
            logits.append(dot(qs[i], ps[i]) / tau)
            for j in 0..<m { logits.append(dot(qs[i], ns[j]) / tau) }
        }
        let ce = try crossEntropy(input: Tensor(shape: [n, m + 1], scalars: logits), target: Tensor([Int](repeating: 0, count: n)))
        XCTAssertEqual(r.scalar!, ce.scalar!, accuracy: 1e-12)
        try assertSampledFiniteDifferences(r, [("query", q), ("positive", p), ("negatives", neg)]) { inputs in
            try infoNCELoss(query: inputs[0], positive: inputs[1], negatives: inputs[2], temperature: tau, wrt: []).scalar!
        }
    }

    func testCLIPAndNTXentAndSupConMatchFiniteDifferencesAtScale() throws {
        let (n, d) = (130, 260)
        let a = randomMatrix(n, d, seed: 4), b = randomMatrix(n, d, seed: 5)
        let clip = try clipLoss(input1: a, input2: b, temperature: 0.1)
        try assertSampledFiniteDifferences(clip, [("input1", a), ("input2", b)]) { x in
            try clipLoss(input1: x[0], input2: x[1], temperature: 0.1, wrt: []).scalar!
        }
        let nt = try ntXentLoss(input: a, temperature: 0.3)
        try assertSampledFiniteDifferences(nt, [("input", a)]) { x in try ntXentLoss(input: x[0], temperature: 0.3, wrt: []).scalar! }
        let labels = Tensor((0..<n).map { Int64($0 % 9) })
        let sc = try supervisedContrastiveLoss(input: a, target: labels, temperature: 5)
        try assertSampledFiniteDifferences(sc, [("input", a)]) { x in
            try supervisedContrastiveLoss(input: x[0], target: labels, temperature: 5, wrt: []).scalar!
        }
    }

    func testResultsAreBitwiseIdenticalForAnyThreadCount() throws {
        let (n, d) = (160, 24)
        let a = try Tensor(shape: [n, d], scalars: randomMatrix(n, d, seed: 6).scalars.map(Float.init))
        let b = try Tensor(shape: [n, d], scalars: randomMatrix(n, d, seed: 7).scalars.map(Float.init))
        let labels = Tensor((0..<n).map { Int32($0 % 7) })
        func all() throws -> [LossResult<Float>] {
            [try clipLoss(input1: a, input2: b), try infoNCELoss(query: a, positive: b, negatives: a),
             try ntXentLoss(input: a), try supervisedContrastiveLoss(input: a, target: labels)]
        }
        defer { Parallelism.maximumThreads = 0 }
        Parallelism.maximumThreads = 1
        let one = try all()
        Parallelism.maximumThreads = 2
        let two = try all()
        for (x, y) in zip(one, two) {
            XCTAssertEqual(x.value, y.value)
            XCTAssertEqual(x.gradients, y.gradients)
        }
    }

    // MARK: Properties

    /// clip = ½[info-nce(x₁ → x₂) + info-nce(x₂ → x₁)] in-batch, value and gradients.
    func testCLIPIsTheMeanOfTheTwoInBatchInfoNCEDirections() throws {
        let a = randomMatrix(6, 5, seed: 8), b = randomMatrix(6, 5, seed: 9)
        let c = try clipLoss(input1: a, input2: b, temperature: 0.3)
        let ab = try infoNCELoss(query: a, positive: b, temperature: 0.3)
        let ba = try infoNCELoss(query: b, positive: a, temperature: 0.3)
        XCTAssertEqual(c.scalar!, (ab.scalar! + ba.scalar!) / 2, accuracy: 1e-14)
        assertAllClose(c.gradients[.input1]!, combine(ab.gradients[.query]!, ba.gradients[.positive]!))
        assertAllClose(c.gradients[.input2]!, combine(ab.gradients[.positive]!, ba.gradients[.query]!))
    }

    func testCLIPIsSymmetricInItsInputs() throws {
        let a = randomMatrix(5, 4, seed: 10), b = randomMatrix(5, 4, seed: 11)
        let x = try clipLoss(input1: a, input2: b, reduction: .none), y = try clipLoss(input1: b, input2: a, reduction: .none)
        assertAllClose(x.value, y.value)
        assertAllClose(x.gradients[.input1]!, y.gradients[.input2]!)
    }

    /// With one positive per anchor (the other view) and unit rows, supcon is nt-xent.
    func testSupConWithTwoViewLabelsOnUnitRowsIsNTXent() throws {
        let z = try Tensor(shape: [8, 3], scalars: unitRows(randomMatrix(8, 3, seed: 12)).flatMap { $0 })
        let labels = Tensor((0..<8).map { $0 % 4 })
        let s = try supervisedContrastiveLoss(input: z, target: labels, temperature: 0.4, reduction: .none)
        let t = try ntXentLoss(input: z, temperature: 0.4, reduction: .none)
        assertAllClose(s.value, t.value)
    }

    func testSupConMeanDividesByTheAnchorsWithPositives() throws {
        let z = randomMatrix(6, 3, seed: 13)
        let labels = Tensor([3, 1, 3, 7, 1, 5] as [Int])  // 4 anchors have a positive
        let sum = try supervisedContrastiveLoss(input: z, target: labels, reduction: .sum)
        let mean = try supervisedContrastiveLoss(input: z, target: labels)
        let none = try supervisedContrastiveLoss(input: z, target: labels, reduction: .none)
        XCTAssertEqual(mean.scalar!, sum.scalar! / 4, accuracy: 1e-14)
        XCTAssertEqual(none.value.scalars[3], 0)
        XCTAssertEqual(none.value.scalars[5], 0)
        assertAllClose(mean.gradients[.input]!, try Tensor(shape: [6, 3], scalars: sum.gradients[.input]!.scalars.map { $0 / 4 }))
    }

    func testSupConLabelsMatterOnlyThroughEquality() throws {
        let z = randomMatrix(5, 3, seed: 14)
        let small = try supervisedContrastiveLoss(input: z, target: Tensor([0, 1, 0, 1, 2] as [Int64]))
        let odd = try supervisedContrastiveLoss(input: z, target: Tensor([-9, Int64.max, -9, Int64.max, Int64.min]))
        XCTAssertEqual(small.scalar, odd.scalar)
        XCTAssertEqual(small.gradients, odd.gradients)
    }

    func testInfoNCEDoesNotDependOnTheOrderOfTheNegatives() throws {
        let q = randomMatrix(3, 4, seed: 15), p = randomMatrix(3, 4, seed: 16), n = randomMatrix(5, 4, seed: 17)
        let reversed = try Tensor(shape: [5, 4], scalars: (0..<5).reversed().flatMap { i in n.scalars[i * 4 ..< i * 4 + 4] })
        let x = try infoNCELoss(query: q, positive: p, negatives: n, reduction: .none)
        let y = try infoNCELoss(query: q, positive: p, negatives: reversed, reduction: .none)
        assertAllClose(x.value, y.value)
        assertAllClose(x.gradients[.query]!, y.gradients[.query]!)
    }

    func testGradientsNotAskedForAreNotComputed() throws {
        let a = randomMatrix(4, 3, seed: 18)
        XCTAssertEqual(Set(try infoNCELoss(query: a, positive: a, negatives: a, wrt: [.negatives]).gradients.keys), [.negatives])
        XCTAssertEqual(Set(try infoNCELoss(query: a, positive: a, wrt: [.positive]).gradients.keys), [.positive])
        XCTAssertEqual(Set(try clipLoss(input1: a, input2: a, wrt: [.input2]).gradients.keys), [.input2])
        XCTAssertTrue(try ntXentLoss(input: a, wrt: []).gradients.isEmpty)
        XCTAssertTrue(try supervisedContrastiveLoss(input: a, target: Tensor([0, 0, 1, 1]), wrt: []).gradients.isEmpty)
    }

    // MARK: Edge cases

    func testTinyTemperatureWithLargeUnnormalizedInputsIsFinite() throws {
        try tinyTemperatureIsFinite(Float.self)
        try tinyTemperatureIsFinite(Double.self)
    }

    /// With unit rows and τ = 1e-3 the self-similarity exceeds the others by hundreds, and the
    /// reference's exp(logits − max including self) underflows to log 0 = −inf; LossKit's
    /// log-sum-exp over a ≠ i stays finite.
    func testSupConAndNTXentAtTinyTemperatureAreFinite() throws {
        for T in [Float.self, Double.self] as [any LossScalar.Type] { try tinyTemperatureOnUnitRows(T) }
    }

    func testZeroRowsNormalizeToZeroWithFiniteGradients() throws {
        let zero = try Tensor<Float>(shape: [2, 3], repeating: 0)
        let r = try clipLoss(input1: zero, input2: zero)
        // Both rows normalize to 0, so S = 0 and each row's loss is log 2.
        XCTAssertEqual(r.scalar!, Float.log(2), accuracy: 1e-6)
        assertFinite(r)
        try assertFinite(infoNCELoss(query: zero, positive: zero, negatives: zero))
        try assertFinite(ntXentLoss(input: zero))
    }

    func testHugeRowsStillNormalize() throws {
        let x = try Tensor<Float>(shape: [2, 2], scalars: [3e30, 4e30, -1e38, 1e38])
        let y = try Tensor<Float>(shape: [2, 2], scalars: [0.6, 0.8, -1, 1])
        let big = try clipLoss(input1: x, input2: x)
        let unit = try clipLoss(input1: y, input2: y)
        XCTAssertEqual(big.scalar!, unit.scalar!, accuracy: 1e-5)
        assertFinite(big)
        try assertFinite(ntXentLoss(input: x))
    }

    func testSingleCandidateGivesZeroLossAndZeroGradient() throws {
        let one = randomMatrix(1, 4, seed: 19), other = randomMatrix(1, 4, seed: 20)
        for r in [try infoNCELoss(query: one, positive: other), try clipLoss(input1: one, input2: other),
                  try ntXentLoss(input: try Tensor(shape: [2, 4], scalars: one.scalars + other.scalars)),
                  try supervisedContrastiveLoss(input: one, target: Tensor([3]))] {
            XCTAssertEqual(r.scalar, 0)
            for g in r.gradients.values { XCTAssertTrue(g.scalars.allSatisfy { $0 == 0 }) }
        }
        let noNegatives = try infoNCELoss(query: one, positive: other, negatives: Tensor(shape: [0, 4], scalars: []))
        XCTAssertEqual(noNegatives.scalar, 0)
        XCTAssertEqual(noNegatives.gradients[.negatives]?.shape, [0, 4])
    }

    func testEmptyBatchIsNaNWithMeanAndZeroWithSum() throws {
        let empty = try Tensor<Float>(shape: [0, 4], scalars: [])
        for mean in [try infoNCELoss(query: empty, positive: empty), try infoNCELoss(query: empty, positive: empty, negatives: randomFloat(3, 4)),
                     try clipLoss(input1: empty, input2: empty), try ntXentLoss(input: empty)] {
            XCTAssertTrue(mean.scalar!.isNaN)
            for g in mean.gradients.values { XCTAssertTrue(g.scalars.allSatisfy { $0 == 0 }) }
        }
        let sum = try infoNCELoss(query: empty, positive: empty, negatives: randomFloat(3, 4), reduction: .sum)
        XCTAssertEqual(sum.scalar, 0)
        XCTAssertEqual(sum.gradients[.negatives], try Tensor(shape: [3, 4], repeating: 0))
        XCTAssertEqual(try clipLoss(input1: empty, input2: empty, reduction: .none).value.shape, [0])
    }

    /// No anchor with a positive: 0 (as HobbitLong's SupConLoss and pytorch-metric-learning
    /// give), not the NaN of a mean over nothing; also for the empty batch.
    func testSupConWithoutAnyPositiveIsZero() throws {
        let z = randomFloat(4, 3)
        for reduction in [Reduction.mean, .sum] {
            let r = try supervisedContrastiveLoss(input: z, target: Tensor([0, 1, 2, 3] as [Int32]), reduction: reduction)
            XCTAssertEqual(r.scalar, 0)
            XCTAssertEqual(r.gradients[.input], try Tensor(shape: [4, 3], repeating: 0))
        }
        let empty = try supervisedContrastiveLoss(input: Tensor<Float>(shape: [0, 3], scalars: []), target: Tensor([Int]()))
        XCTAssertEqual(empty.scalar, 0)
    }

    // MARK: Errors

    func testInputsThatAreNotMatricesAreRejected() throws {
        let v = Tensor<Float>([1, 2, 3])
        XCTAssertThrowsError(try infoNCELoss(query: v, positive: v)) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "query", shape: [3], reason: "expected rank 2, got rank 1"))
        }
        XCTAssertThrowsError(try ntXentLoss(input: v)) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "input", shape: [3], reason: "expected rank 2, got rank 1"))
        }
        XCTAssertThrowsError(try clipLoss(input1: v, input2: v)) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "input1", shape: [3], reason: "expected rank 2, got rank 1"))
        }
        XCTAssertThrowsError(try supervisedContrastiveLoss(input: v, target: Tensor([0, 1, 2]))) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "input", shape: [3], reason: "expected rank 2, got rank 1"))
        }
        XCTAssertThrowsError(try infoNCELoss(query: randomFloat(2, 3), positive: randomFloat(2, 3), negatives: v)) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "negatives", shape: [3], reason: "expected rank 2, got rank 1"))
        }
    }

    func testMismatchedShapesAreRejected() throws {
        XCTAssertThrowsError(try infoNCELoss(query: randomFloat(2, 3), positive: randomFloat(3, 3))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "positive", expected: [2, 3], actual: [3, 3]))
        }
        XCTAssertThrowsError(try infoNCELoss(query: randomFloat(2, 3), positive: randomFloat(2, 3), negatives: randomFloat(4, 2))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "negatives", expected: [4, 3], actual: [4, 2]))
        }
        XCTAssertThrowsError(try clipLoss(input1: randomFloat(2, 3), input2: randomFloat(2, 4))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "input2", expected: [2, 3], actual: [2, 4]))
        }
        XCTAssertThrowsError(try supervisedContrastiveLoss(input: randomFloat(3, 2), target: Tensor([0, 1]))) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [3], actual: [2]))
        }
    }

    func testOddRowCountIsRejectedByNTXent() throws {
        XCTAssertThrowsError(try ntXentLoss(input: randomFloat(3, 2))) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(
                argument: "input", shape: [3, 2], reason: "expected an even number of rows (two views of N samples), got 3"))
        }
    }

    func testTemperatureMustBeFiniteAndPositive() throws {
        for (t, text) in [(Float(0), "0.0"), (-0.5, "-0.5"), (.infinity, "inf"), (.nan, "nan")] {
            let expected = LossError.invalidOption(name: "temperature", value: text, expected: "a finite number > 0")
            let x = randomFloat(2, 3)
            XCTAssertThrowsError(try infoNCELoss(query: x, positive: x, temperature: t)) { XCTAssertEqual($0 as? LossError, expected) }
            XCTAssertThrowsError(try ntXentLoss(input: x.reshaped2(), temperature: t)) { XCTAssertEqual($0 as? LossError, expected) }
            XCTAssertThrowsError(try clipLoss(input1: x, input2: x, temperature: t)) { XCTAssertEqual($0 as? LossError, expected) }
            XCTAssertThrowsError(try supervisedContrastiveLoss(input: x, target: Tensor([0, 0]), temperature: t)) {
                XCTAssertEqual($0 as? LossError, expected)
            }
        }
    }

    func testBatchmeanIsRejected() throws {
        let x = randomFloat(2, 3)
        let expected = LossError.invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum")
        XCTAssertThrowsError(try infoNCELoss(query: x, positive: x, reduction: .batchmean)) { XCTAssertEqual($0 as? LossError, expected) }
        XCTAssertThrowsError(try ntXentLoss(input: x, reduction: .batchmean)) { XCTAssertEqual($0 as? LossError, expected) }
        XCTAssertThrowsError(try clipLoss(input1: x, input2: x, reduction: .batchmean)) { XCTAssertEqual($0 as? LossError, expected) }
        XCTAssertThrowsError(try supervisedContrastiveLoss(input: x, target: Tensor([0, 1]), reduction: .batchmean)) {
            XCTAssertEqual($0 as? LossError, expected)
        }
    }

    func testFloatLabelsAreRejectedByTheCommandLine() throws {
        let x = DynamicTensor.float32(randomFloat(2, 3))
        XCTAssertThrowsError(try Evaluator.evaluate(
            id: "supcon", inputs: ["input": x, "target": .float32(Tensor([0, 1] as [Float]))], options: [:])
        ) { e in
            XCTAssertEqual(e as? LossError, .dtypeMismatch(argument: "target", expected: "int32 or int64", actual: "float32"))
        }
    }

    func testInvalidNormalizeFlagIsRejectedByTheCommandLine() throws {
        let x = DynamicTensor.float32(randomFloat(2, 3))
        XCTAssertThrowsError(try Evaluator.evaluate(id: "clip", inputs: ["input1": x, "input2": x], options: ["normalize": "yes"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "normalize", value: "yes", expected: "true or false"))
        }
    }
}

// MARK: - Helpers

private func randomMatrix(_ n: Int, _ d: Int, seed: UInt64) -> Tensor<Double> {
    var rng = SplitMix64(state: seed)
    let values = (0..<(n * d)).map { _ in rng.uniform(-1, 1) }
    return try! Tensor(shape: [n, d], scalars: values)
}

private func randomFloat(_ n: Int, _ d: Int) -> Tensor<Float> {
    try! Tensor(shape: [n, d], scalars: randomMatrix(n, d, seed: 99).scalars.map(Float.init))
}

private extension Tensor where Scalar == Float {
    /// The first two rows (an even count for nt-xent).
    func reshaped2() -> Tensor<Float> { try! Tensor(shape: [2, shape[1]], scalars: Array(scalars.prefix(2 * shape[1]))) }
}

private func unitRows(_ x: Tensor<Double>) -> [[Double]] {
    let d = x.shape[1], s = x.scalars
    return (0..<x.shape[0]).map { i in
        let row = Array(s[i * d ..< (i + 1) * d])
        let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
        return row.map { $0 / max(norm, 1e-12) }
    }
}

private func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { $0 * $1 }.reduce(0, +) }

private func combine(_ a: Tensor<Double>, _ b: Tensor<Double>) -> Tensor<Double> {
    try! Tensor(shape: a.shape, scalars: zip(a.scalars, b.scalars).map { ($0 + $1) / 2 })
}

private func assertAllClose<T: LossScalar>(
    _ a: Tensor<T>, _ b: Tensor<T>, tolerance: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    for (x, y) in zip(a.scalars, b.scalars) {
        XCTAssertEqual(Double(x), Double(y), accuracy: tolerance * max(1, abs(Double(y))), file: file, line: line)
    }
}

/// Central differences of `f` at 4 sampled elements of each input, against `r`'s gradients.
private func assertSampledFiniteDifferences(
    _ r: LossResult<Double>, _ inputs: [(String, Tensor<Double>)], file: StaticString = #filePath, line: UInt = #line,
    _ f: ([Tensor<Double>]) throws -> Double
) throws {
    for (k, (name, x)) in inputs.enumerated() {
        let g = try XCTUnwrap(r.gradients[LossArgument(rawValue: name)!], name, file: file, line: line).scalars
        for sample in 0..<4 {
            let i = (sample * 7919 + k * 104729) % x.count
            func at(_ delta: Double) throws -> Double {
                var s = x.scalars
                s[i] += delta
                var all = inputs.map(\.1)
                all[k] = try Tensor(shape: x.shape, scalars: s)
                return try f(all)
            }
            let h = 1e-5
            let fd = (try at(h) - at(-h)) / (2 * h)
            XCTAssertEqual(g[i], fd, accuracy: 1e-7 * max(1, abs(fd)), "\(name)[\(i)]", file: file, line: line)
        }
    }
}

private func tinyTemperatureIsFinite<T: LossScalar>(_: T.Type) throws {
    func big(_ n: Int, _ d: Int, _ seed: UInt64) -> Tensor<T> {
        try! Tensor(shape: [n, d], scalars: randomMatrix(n, d, seed: seed).scalars.map { T($0 * 1e4) })
    }
    let q = big(4, 3, 21), p = big(4, 3, 22), n = big(5, 3, 23)
    let tau: T = 1e-3
    let r = try infoNCELoss(query: q, positive: p, negatives: n, temperature: tau, normalize: false)
    assertFinite(r)
    XCTAssertGreaterThan(r.scalar!, 1e6)  // logits ~1e11 apart: the loss is their gap, not inf
    try assertFinite(infoNCELoss(query: q, positive: p, temperature: tau, normalize: false, reduction: .none))
    try assertFinite(clipLoss(input1: q, input2: p, temperature: tau, normalize: false))
    try assertFinite(supervisedContrastiveLoss(input: q, target: Tensor([0, 0, 1, 1]), temperature: tau))
    try assertFinite(infoNCELoss(query: q, positive: p, negatives: n, temperature: tau))
}

private func tinyTemperatureOnUnitRows<T: LossScalar>(_: T.Type) throws {
    let rows = unitRows(randomMatrix(6, 3, seed: 24))
    let z = try Tensor(shape: [6, 3], scalars: rows.flatMap { $0 }.map { T($0) })
    try assertFinite(supervisedContrastiveLoss(input: z, target: Tensor([0, 0, 1, 1, 2, 2]), temperature: 1e-3))
    try assertFinite(ntXentLoss(input: z, temperature: 1e-3))
}
