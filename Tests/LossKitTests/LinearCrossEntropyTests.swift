import Foundation
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Family I: `linear-cross-entropy`, the chunked cross-entropy of a linear layer.
final class LinearCrossEntropyTests: XCTestCase {
    override func tearDown() {
        Parallelism.maximumThreads = 0
        super.tearDown()
    }

    // MARK: - References

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("linear_cross_entropy"), 0)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("linear_cross_entropy"), 0)
    }

    /// Every chunk size (dividing V or not, 1, larger than V, automatic), with and without bias,
    /// ignored targets and smoothing, in every reduction, equals the straightforward computation
    /// through the materialized [N, V] logits (in Double).
    func testEveryChunkSizeMatchesTheMaterializedComputation() throws {
        let p = Problem(n: 7, d: 6, v: 13, seed: 1, ignored: [2])
        for chunk in [nil, 1, 3, 4, 8, 13, 40] as [Int?] {
            for withBias in [false, true] {
                for eps in [0, 0.15, 1] as [Double] {
                    for reduction in [Reduction.none, .mean, .sum] {
                        let what = "chunk \(String(describing: chunk)) bias \(withBias) ε \(eps) \(reduction)"
                        try assertMatchesMaterialized(p, Float.self, bias: withBias, eps: eps, reduction: reduction, chunk: chunk, rtol: 2e-5, what)
                        try assertMatchesMaterialized(p, Double.self, bias: withBias, eps: eps, reduction: reduction, chunk: chunk, rtol: 1e-12, what)
                    }
                }
            }
        }
    }

    /// More rows than one row block (512): the weight and bias gradients accumulate over blocks.
    func testBatchesLargerThanOneRowBlockMatchTheMaterializedComputation() throws {
        let p = Problem(n: 1100, d: 5, v: 37, seed: 2, ignored: [0, 600, 1099])
        for chunk in [nil, 8, 30] as [Int?] {
            try assertMatchesMaterialized(p, Double.self, bias: true, eps: 0.1, reduction: .mean, chunk: chunk, rtol: 1e-11, "chunk \(String(describing: chunk))")
        }
        try assertMatchesMaterialized(p, Float.self, bias: true, eps: 0, reduction: .sum, chunk: 16, rtol: 1e-4, "float sum")
    }

    /// Large enough that the matrix products and row passes split over threads (and two row
    /// blocks): the results are bitwise identical with one and two threads.
    func testResultsAreBitwiseIdenticalForOneAndTwoThreads() throws {
        let p = Problem(n: 520, d: 16, v: 260, seed: 3, ignored: [5])
        for chunk in [nil, 96] as [Int?] {
            Parallelism.maximumThreads = 1
            let one = try p.run(Float.self, bias: true, eps: 0.1, reduction: .mean, chunk: chunk)
            Parallelism.maximumThreads = 2
            let two = try p.run(Float.self, bias: true, eps: 0.1, reduction: .mean, chunk: chunk)
            XCTAssertEqual(one.value, two.value)
            for arg in [LossArgument.input, .weight, .bias] {
                XCTAssertEqual(one.gradients[arg], two.gradients[arg], "\(arg) chunk \(String(describing: chunk))")
            }
        }
    }

    /// The matrix multiply alone, in all three transpositions the loss uses and with edge tiles
    /// in every dimension, against a Double triple loop; with and without accumulation.
    func testMatrixMultiplyMatchesTripleLoopForEveryTransposition() {
        for (m, n, k) in [(1, 1, 1), (9, 33, 5), (17, 70, 300), (130, 40, 260)] {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let a = values(m * k, seed: m + k), b = values(k * n, seed: n + 7)
                let c0 = values(m * n, seed: 3)
                for accumulate in [false, true] {
                    var c = c0
                    a.withUnsafeBufferPointer { ab in
                        b.withUnsafeBufferPointer { bb in
                            c.withUnsafeMutableBufferPointer { cb in
                                let aop = ta ? MatrixOperand.rowMajor(ab.baseAddress!, columns: m).transposed : .rowMajor(ab.baseAddress!, columns: k)
                                let bop = tb ? MatrixOperand.rowMajor(bb.baseAddress!, columns: k).transposed : .rowMajor(bb.baseAddress!, columns: n)
                                matrixMultiply(m: m, n: n, k: k, aop, bop, into: cb.baseAddress!, ldc: n, accumulate: accumulate)
                            }
                        }
                    }
                    for i in 0..<m {
                        for j in 0..<n {
                            var s = accumulate ? c0[i * n + j] : 0
                            for p in 0..<k {
                                s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j])
                            }
                            XCTAssertEqual(c[i * n + j], s, accuracy: 1e-12 * Double(k + 1), "\(m)×\(n)×\(k) ta \(ta) tb \(tb) acc \(accumulate) [\(i), \(j)]")
                        }
                    }
                }
            }
        }
    }

    /// The parallel multiply (rows split, and columns split when there are fewer row blocks than
    /// threads) gives bitwise the same C with one and two threads, and the right one.
    func testParallelMatrixMultiplyIsBitwiseIdenticalForOneAndTwoThreads() {
        for (m, n, k) in [(72, 200, 150), (300, 64, 100)] {
            let a = values(m * k, seed: 1).map { Float($0) }, b = values(n * k, seed: 2).map { Float($0) }
            func product(threads: Int) -> [Float] {
                Parallelism.maximumThreads = threads
                var c = [Float](repeating: .nan, count: m * n)
                a.withUnsafeBufferPointer { ab in
                    b.withUnsafeBufferPointer { bb in
                        c.withUnsafeMutableBufferPointer { cb in
                            matrixMultiply(
                                m: m, n: n, k: k, .rowMajor(ab.baseAddress!, columns: k),
                                MatrixOperand.rowMajor(bb.baseAddress!, columns: k).transposed,
                                into: cb.baseAddress!, ldc: n, accumulate: false)
                        }
                    }
                }
                return c
            }
            let one = product(threads: 1), two = product(threads: 2)
            XCTAssertEqual(one, two, "\(m)×\(n)×\(k)")
            for (i, j) in [(0, 0), (m - 1, n - 1), (m / 2, n / 3)] {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * k + p]) * Double(b[j * k + p]) }
                XCTAssertEqual(Double(one[i * n + j]), s, accuracy: 1e-4, "\(m)×\(n)×\(k) [\(i), \(j)]")
            }
        }
    }

    /// Operands packed once (and viewed from an offset row or column) give exactly the strided
    /// multiply's result.
    func testPrepackedOperandsGiveTheStridedResult() {
        let m = 37, n = 70, k = 300
        let a = values(m * k, seed: 5), b = values(k * n, seed: 6)
        let nr = MatrixMultiplyBlocking.nr(Double.self)
        func run(_ body: (MatrixOperand<Double>, MatrixOperand<Double>, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
            var c = [Double](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { ab in
                b.withUnsafeBufferPointer { bb in
                    c.withUnsafeMutableBufferPointer { cb in
                        body(.rowMajor(ab.baseAddress!, columns: k), .rowMajor(bb.baseAddress!, columns: n), cb.baseAddress!)
                    }
                }
            }
            return c
        }
        let strided = run { a, b, c in matrixMultiply(m: m, n: n, k: k, a, b, into: c, ldc: n, accumulate: false) }
        let packed = run { a, b, c in
            let pa = MatrixMultiplyWorkspace<Double>.allocate(MatrixMultiplyBlocking.packedCountA(rows: m, depth: k))
            let pb = MatrixMultiplyWorkspace<Double>.allocate(MatrixMultiplyBlocking.packedCountB(depth: k, columns: n, Double.self))
            defer { pa.deallocate(); pb.deallocate() }
            let aP = packPanelsA(a, rows: m, depth: k, into: pa), bP = packPanelsB(b, depth: k, columns: n, into: pb)
            // Rows 8 ..< m and columns nr ..< n through offset views, the rest directly.
            matrixMultiply(m: m, n: nr, k: k, aP, bP, into: c, ldc: n, accumulate: false, parallel: false)
            matrixMultiply(m: 8, n: n - nr, k: k, aP, bP.droppingColumns(nr), into: c + nr, ldc: n, accumulate: false)
            matrixMultiply(
                m: m - 8, n: n - nr, k: k, aP.droppingRows(8), bP.droppingColumns(nr), into: c + 8 * n + nr, ldc: n,
                accumulate: false)
        }
        XCTAssertEqual(packed, strided)
    }

    // MARK: - Properties

    func testGradientOfMeanIsGradientOfSumOverTheNumberOfCountedTargets() throws {
        let p = Problem(n: 9, d: 4, v: 10, seed: 4, ignored: [1, 3, 8])
        let mean = try p.run(Double.self, bias: true, eps: 0.2, reduction: .mean, chunk: 3)
        let sum = try p.run(Double.self, bias: true, eps: 0.2, reduction: .sum, chunk: 3)
        XCTAssertEqual(mean.scalar!, sum.scalar! / 6, accuracy: 1e-13)
        for arg in [LossArgument.input, .weight, .bias] {
            for (a, b) in zip(mean.gradients[arg]!.scalars, sum.gradients[arg]!.scalars) {
                XCTAssertEqual(a, b / 6, accuracy: 1e-14, "\(arg)")
            }
        }
    }

    /// Per-row losses of `none` sum to `sum`; ignored rows are exactly 0.
    func testNoneGivesPerRowLossesWithZeroForIgnoredRows() throws {
        let p = Problem(n: 8, d: 3, v: 9, seed: 5, ignored: [4])
        let none = try p.run(Double.self, bias: true, eps: 0.1, reduction: .none, chunk: 4)
        let sum = try p.run(Double.self, bias: true, eps: 0.1, reduction: .sum, chunk: 4)
        XCTAssertEqual(none.value.shape, [8])
        XCTAssertEqual(none.value.scalars[4], 0)
        XCTAssertEqual(none.value.scalars.reduce(0, +), sum.scalar!, accuracy: 1e-12)
        XCTAssertEqual(none.gradients[.input]!.scalars, sum.gradients[.input]!.scalars)
    }

    /// Only the requested gradients are computed, and they equal those of the full call; the
    /// value-only call gives the same value.
    func testRequestedGradientsOnlyAndValueOnlyCall() throws {
        let p = Problem(n: 5, d: 4, v: 12, seed: 6, ignored: [])
        let full = try p.run(Double.self, bias: true, eps: 0.1, reduction: .mean, chunk: 5)
        let valueOnly = try p.run(Double.self, bias: true, eps: 0.1, reduction: .mean, chunk: 5, wrt: [])
        XCTAssertTrue(valueOnly.gradients.isEmpty)
        XCTAssertEqual(valueOnly.scalar, full.scalar)
        for arg in [LossArgument.input, .weight, .bias] {
            let one = try p.run(Double.self, bias: true, eps: 0.1, reduction: .mean, chunk: 5, wrt: [arg])
            XCTAssertEqual(Set(one.gradients.keys), [arg])
            XCTAssertEqual(one.gradients[arg], full.gradients[arg])
        }
        let noBias = try p.run(Double.self, bias: false, eps: 0.1, reduction: .mean, chunk: 5)
        XCTAssertNil(noBias.gradients[.bias], "no bias gradient without a bias")
    }

    /// Smoothing ε = 1 is cross-entropy against the uniform distribution: ℓ = lse − mean z, whose
    /// gradient with respect to the logits is softmax − 1/V (checked through the bias gradient).
    func testFullSmoothingIsCrossEntropyAgainstTheUniformDistribution() throws {
        let p = Problem(n: 4, d: 3, v: 6, seed: 7, ignored: [])
        let r = try p.run(Double.self, bias: true, eps: 1, reduction: .sum, chunk: 4)
        let z = p.logits(bias: true)
        var loss = 0.0
        var gb = [Double](repeating: 0, count: 6)
        for i in 0..<4 {
            let row = Array(z[(i * 6)..<(i * 6 + 6)])
            let m = row.max()!
            let lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            loss += lse - row.reduce(0, +) / 6
            for c in 0..<6 { gb[c] += Foundation.exp(row[c] - lse) - 1.0 / 6 }
        }
        XCTAssertEqual(r.scalar!, loss, accuracy: 1e-12)
        for c in 0..<6 { XCTAssertEqual(r.gradients[.bias]!.scalars[c], gb[c], accuracy: 1e-12) }
    }

    /// The automatic tiling keeps one logits tile near 2 MB for a language-model-sized problem,
    /// far below the N·V logits (64 MB here).
    func testAutomaticTileIsSmallComparedToTheLogits() {
        let g = LinearCrossEntropyGeometry(rows: 512, columns: 32000, scalarSize: 4, chunk: nil)
        XCTAssertEqual(g.rowBlock, 512)
        XCTAssertLessThanOrEqual(g.rowBlock * (g.chunk + 32) * 4, 3 << 20)
        XCTAssertGreaterThanOrEqual(g.chunk, 256)
        XCTAssertEqual(LinearCrossEntropyGeometry(rows: 3, columns: 11, scalarSize: 8, chunk: nil).chunk, 11)
        XCTAssertEqual(LinearCrossEntropyGeometry(rows: 3, columns: 11, scalarSize: 8, chunk: 100).chunk, 11)
    }

    // MARK: - Extremes

    /// Logits of ±1e4 (far beyond exp's range) give finite values and gradients equal to the
    /// materialized computation.
    func testLogitsOfTenThousandStayFiniteAndExact() throws {
        var p = Problem(n: 5, d: 2, v: 7, seed: 8, ignored: [])
        p.x = p.x.map { $0 * 1e2 }
        p.w = p.w.map { $0 * 1e2 }
        XCTAssertGreaterThan(p.logits(bias: false).map(abs).max()!, 5e3)
        for eps in [0, 0.3] {
            let r = try p.run(Float.self, bias: false, eps: Float(eps), reduction: .mean, chunk: 3)
            XCTAssertTrue(r.scalar!.isFinite)
            for g in r.gradients.values { XCTAssertTrue(g.scalars.allSatisfy(\.isFinite)) }
            try assertMatchesMaterialized(p, Double.self, bias: false, eps: eps, reduction: .mean, chunk: 3, rtol: 1e-11, "ε \(eps)")
        }
    }

    /// A bias of −inf masks a class: finite loss without smoothing, zero gradient for that class;
    /// with smoothing the loss is +inf (the smoothing term averages a −inf logit), as in PyTorch.
    func testMinusInfinityBiasMasksAClass() throws {
        let p = Problem(n: 4, d: 3, v: 5, seed: 9, ignored: [])
        var b = p.b
        let masked = (0..<5).first { c in !p.y.contains(c) }!
        b[masked] = -.infinity
        let bias = Tensor<Double>(b)
        let r = try linearCrossEntropy(input: p.input(Double.self), weight: p.weight(Double.self), target: Tensor(p.y), bias: bias, chunkSize: 2)
        XCTAssertTrue(r.scalar!.isFinite)
        XCTAssertEqual(r.gradients[.bias]!.scalars[masked], 0)
        XCTAssertTrue(r.gradients[.weight]!.scalars[(masked * 3)..<(masked * 3 + 3)].allSatisfy { $0 == 0 })
        for g in r.gradients.values { XCTAssertTrue(g.scalars.allSatisfy(\.isFinite)) }
        let smoothed = try linearCrossEntropy(input: p.input(Double.self), weight: p.weight(Double.self), target: Tensor(p.y), bias: bias, labelSmoothing: 0.1)
        XCTAssertEqual(smoothed.scalar, .infinity)
    }

    func testAllIgnoredTargetsGiveNaNMeanZeroSumAndZeroGradients() throws {
        let p = Problem(n: 3, d: 2, v: 4, seed: 10, ignored: [0, 1, 2])
        let mean = try p.run(Float.self, bias: true, eps: 0.1, reduction: .mean, chunk: 3)
        XCTAssertTrue(mean.scalar!.isNaN)  // 0 / 0, as F.cross_entropy
        for g in mean.gradients.values { XCTAssertTrue(g.scalars.allSatisfy { $0 == 0 }) }
        let sum = try p.run(Float.self, bias: true, eps: 0.1, reduction: .sum, chunk: 3)
        XCTAssertEqual(sum.scalar, 0)
    }

    func testEmptyBatchGivesNaNMeanZeroSumAndZeroGradientsOfTheRightShapes() throws {
        let x = try Tensor<Double>(shape: [0, 3], scalars: [])
        let w = try Tensor<Double>(shape: [4, 3], scalars: values(12, seed: 1))
        let y = try Tensor<Int>(shape: [0], scalars: [])
        XCTAssertTrue(try linearCrossEntropy(input: x, weight: w, target: y).scalar!.isNaN)
        let s = try linearCrossEntropy(input: x, weight: w, target: y, bias: Tensor([0, 0, 0, 0]), reduction: .sum)
        XCTAssertEqual(s.scalar, 0)
        XCTAssertEqual(s.gradients[.input]?.shape, [0, 3])
        XCTAssertEqual(s.gradients[.weight]?.scalars, [Double](repeating: 0, count: 12))
        XCTAssertEqual(s.gradients[.bias]?.scalars, [0, 0, 0, 0])
        XCTAssertEqual(try linearCrossEntropy(input: x, weight: w, target: y, reduction: .none).value.shape, [0])
    }

    /// D = 0: the logits are the bias alone.
    func testZeroFeaturesGivesTheCrossEntropyOfTheBias() throws {
        let x = try Tensor<Double>(shape: [2, 0], scalars: [])
        let w = try Tensor<Double>(shape: [3, 0], scalars: [])
        let b = Tensor<Double>([0.5, -1, 2])
        let r = try linearCrossEntropy(input: x, weight: w, target: Tensor([2, 0] as [Int]), bias: b, reduction: .sum)
        let lse = Foundation.log(Foundation.exp(0.5) + Foundation.exp(-1) + Foundation.exp(2))
        XCTAssertEqual(r.scalar!, (lse - 2) + (lse - 0.5), accuracy: 1e-14)
        XCTAssertEqual(r.gradients[.weight]?.shape, [3, 0])
        XCTAssertEqual(r.gradients[.bias]!.scalars[1], 2 * Foundation.exp(-1 - lse), accuracy: 1e-15)
    }

    /// One class: the loss is 0 and so are the gradients (softmax of one logit is 1).
    func testASingleClassHasZeroLossAndGradient() throws {
        let p = Problem(n: 3, d: 2, v: 1, seed: 11, ignored: [])
        let r = try p.run(Float.self, bias: true, eps: 0.5, reduction: .sum, chunk: nil)
        XCTAssertEqual(r.scalar, 0)
        for g in r.gradients.values { XCTAssertTrue(g.scalars.allSatisfy { $0 == 0 }) }
    }

    // MARK: - Invalid input

    func testInvalidInputsThrowTheMatchingLossError() {
        let x = try! Tensor<Float>(shape: [2, 3], scalars: [Float](repeating: 0.5, count: 6))
        let w = try! Tensor<Float>(shape: [4, 3], scalars: [Float](repeating: 0.25, count: 12))
        let y = Tensor<Int>([1, 3])
        func expect(_ error: LossError, _ call: () throws -> LossResult<Float>, line: UInt = #line) {
            XCTAssertThrowsError(try call(), line: line) { XCTAssertEqual($0 as? LossError, error, line: line) }
        }
        // A [D] input is one unbatched row (D = 3 here), with a 0-d target.
        expect(.invalidShape(argument: "input", shape: [1, 2, 3], reason: "expected rank 1...2, got rank 3")) {
            try linearCrossEntropy(input: try Tensor(shape: [1, 2, 3], scalars: [Float](repeating: 0, count: 6)), weight: w, target: y)
        }
        expect(.shapeMismatch(argument: "target", expected: [], actual: [2])) {
            try linearCrossEntropy(input: Tensor([Float](repeating: 0, count: 3)), weight: w, target: y)
        }
        expect(.shapeMismatch(argument: "class-weight", expected: [4], actual: [3])) {
            try linearCrossEntropy(input: x, weight: w, target: y, classWeight: Tensor([1, 1, 1] as [Float]))
        }
        expect(.shapeMismatch(argument: "target", expected: [2, 4], actual: [2, 3])) {
            try linearCrossEntropy(input: x, weight: w, target: x)
        }
        expect(.invalidOption(name: "ignore-index", value: "0", expected: "a negative value (the default -100): probability targets have no ignored class")) {
            try linearCrossEntropy(input: x, weight: w, target: try Tensor(shape: [2, 4], scalars: [Float](repeating: 0.25, count: 8)), ignoreIndex: 0)
        }
        expect(.invalidShape(argument: "weight", shape: [12], reason: "expected rank 2, got rank 1")) {
            try linearCrossEntropy(input: x, weight: Tensor([Float](repeating: 0, count: 12)), target: y)
        }
        expect(.shapeMismatch(argument: "weight", expected: [3, 3], actual: [3, 4])) {
            try linearCrossEntropy(input: x, weight: try Tensor(shape: [3, 4], scalars: [Float](repeating: 0, count: 12)), target: y)
        }
        expect(.invalidShape(argument: "weight", shape: [0, 3], reason: "the vocabulary (dimension 0) is empty")) {
            try linearCrossEntropy(input: x, weight: try Tensor(shape: [0, 3], scalars: []), target: y)
        }
        expect(.shapeMismatch(argument: "target", expected: [2], actual: [3])) {
            try linearCrossEntropy(input: x, weight: w, target: Tensor([0, 1, 2] as [Int]))
        }
        expect(.shapeMismatch(argument: "bias", expected: [4], actual: [3])) {
            try linearCrossEntropy(input: x, weight: w, target: y, bias: Tensor([0, 0, 0] as [Float]))
        }
        expect(.labelOutOfRange(argument: "target", label: 4, classCount: 4, index: 1)) {
            try linearCrossEntropy(input: x, weight: w, target: Tensor([0, 4] as [Int32]))
        }
        expect(.labelOutOfRange(argument: "target", label: -1, classCount: 4, index: 0)) {
            try linearCrossEntropy(input: x, weight: w, target: Tensor([-1, 0] as [Int]))
        }
        expect(.invalidOption(name: "label-smoothing", value: "1.5", expected: "a number in [0, 1]")) {
            try linearCrossEntropy(input: x, weight: w, target: y, labelSmoothing: 1.5)
        }
        expect(.invalidOption(name: "chunk-size", value: "0", expected: "a positive integer")) {
            try linearCrossEntropy(input: x, weight: w, target: y, chunkSize: 0)
        }
        expect(.invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum")) {
            try linearCrossEntropy(input: x, weight: w, target: y, reduction: .batchmean)
        }
    }

    /// Through the command-line path: a float target is read as probabilities [N, V], so a
    /// float target of the class-index shape is a shape error naming `target`.
    func testFloatTargetOfTheIndexShapeIsAShapeErrorInTheEvaluator() {
        let x = DynamicTensor.float32(try! Tensor(shape: [1, 2], scalars: [1, 2]))
        let w = DynamicTensor.float32(try! Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]))
        let y = DynamicTensor.float32(Tensor([1] as [Float]))
        XCTAssertThrowsError(try Evaluator.evaluate(id: "linear-cross-entropy", inputs: ["input": x, "weight": w, "target": y], options: [:])) {
            XCTAssertEqual($0 as? LossError, .shapeMismatch(argument: "target", expected: [1, 3], actual: [1]))
        }
    }

    /// Class weights, probability targets and an unbatched input against central finite
    /// differences in Double (the fixtures compare with PyTorch; this checks the gradients of
    /// every ∂ input including the probability target, with smoothing and a chunked vocabulary).
    func testOptionGradientsMatchFiniteDifferences() throws {
        var g = SplitMix64(state: 77)
        func random(_ shape: [Int], scale: Double = 1) -> Tensor<Double> {
            try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in g.uniform(-1, 1) * scale })
        }
        let x = random([3, 4]), w = random([7, 4]), b = random([7], scale: 0.5)
        let cw = try Tensor(shape: [7], scalars: (0..<7).map { 0.5 + Double($0) * 0.25 })
        var p = random([3, 7]).scalars.map { abs($0) + 0.05 }
        for r in 0..<3 { let s = p[(r * 7)..<(r * 7 + 7)].reduce(0, +); for c in 0..<7 { p[r * 7 + c] /= s } }
        let t = try Tensor(shape: [3, 7], scalars: p)
        let y = Tensor<Int>([2, 6, 0])
        typealias Call = (Tensor<Double>, Tensor<Double>, Tensor<Double>, Tensor<Double>) throws -> LossResult<Double>
        let calls: [(String, Call, [LossArgument])] = [
            ("class-weight/smoothing/mean", { x, w, b, _ in
                try linearCrossEntropy(input: x, weight: w, target: y, bias: b, classWeight: cw, labelSmoothing: 0.2, chunkSize: 3) },
             [.input, .weight, .bias]),
            ("probabilities/class-weight/smoothing/sum", { x, w, b, t in
                try linearCrossEntropy(input: x, weight: w, target: t, bias: b, classWeight: cw, labelSmoothing: 0.1,
                                       reduction: .sum, chunkSize: 2) },
             [.input, .weight, .bias, .target]),
            ("unbatched/probabilities", { x, w, b, t in
                try linearCrossEntropy(input: Tensor(uncheckedShape: [4], scalars: Array(x.scalars[0..<4])), weight: w,
                                       target: Tensor(uncheckedShape: [7], scalars: Array(t.scalars[0..<7])), bias: b) },
             [.weight, .bias]),
        ]
        for (name, call, arguments) in calls {
            let r = try call(x, w, b, t)
            var tensors: [LossArgument: Tensor<Double>] = [.input: x, .weight: w, .bias: b, .target: t]
            for argument in arguments {
                let analytic = try XCTUnwrap(r.gradients[argument], "\(name) \(argument)").scalars
                let base = tensors[argument]!
                for k in base.scalars.indices {
                    func value(_ delta: Double) throws -> Double {
                        var s = base.scalars; s[k] += delta
                        tensors[argument] = Tensor(uncheckedShape: base.shape, scalars: s)
                        defer { tensors[argument] = base }
                        return try call(tensors[.input]!, tensors[.weight]!, tensors[.bias]!, tensors[.target]!).value.scalars.reduce(0, +)
                    }
                    let h = 1e-6, numeric = (try value(h) - value(-h)) / (2 * h)
                    XCTAssertEqual(analytic[k], numeric, accuracy: 1e-7 * max(1, abs(numeric)), "\(name) \(argument)[\(k)]")
                }
            }
        }
    }
}

// MARK: - Test support

/// Deterministic values in [−1, 1).
private func values(_ count: Int, seed: Int) -> [Double] {
    var s = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0..<count).map { _ in
        s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(s >> 11) / Double(1 << 53) * 2 - 1
    }
}

/// One problem: hidden states, weight, bias and targets, with a materialized reference.
private struct Problem {
    let n: Int, d: Int, v: Int
    var x: [Double], w: [Double], b: [Double]
    var y: [Int]

    init(n: Int, d: Int, v: Int, seed: Int, ignored: [Int]) {
        self.n = n; self.d = d; self.v = v
        x = values(n * d, seed: seed)
        w = values(v * d, seed: seed + 100).map { $0 * 1.5 }
        b = values(v, seed: seed + 200)
        y = values(n, seed: seed + 300).map { Int(($0 + 1) / 2 * Double(v)) % v }
        for i in ignored { y[i] = -100 }
    }

    func input<T: LossScalar>(_: T.Type) -> Tensor<T> { try! Tensor(shape: [n, d], scalars: x.map { T($0) }) }
    func weight<T: LossScalar>(_: T.Type) -> Tensor<T> { try! Tensor(shape: [v, d], scalars: w.map { T($0) }) }

    func run<T: LossScalar>(
        _: T.Type, bias: Bool, eps: T, reduction: Reduction, chunk: Int?,
        wrt: Set<LossArgument> = [.input, .weight, .bias]
    ) throws -> LossResult<T> {
        try linearCrossEntropy(
            input: input(T.self), weight: weight(T.self), target: Tensor(y),
            bias: bias ? Tensor(b.map { T($0) }) : nil, labelSmoothing: eps, reduction: reduction,
            chunkSize: chunk, wrt: wrt)
    }

    /// The [n, v] logits in Double, from the inputs rounded to `T`.
    func logits(bias: Bool, roundedTo round: (Double) -> Double = { $0 }) -> [Double] {
        var z = [Double](repeating: 0, count: n * v)
        for i in 0..<n {
            for c in 0..<v {
                var s = bias ? round(b[c]) : 0
                for k in 0..<d { s += round(x[i * d + k]) * round(w[c * d + k]) }
                z[i * v + c] = s
            }
        }
        return z
    }

    /// Loss (reduced or per row) and gradients through the materialized logits: the textbook
    /// computation the chunked kernel must reproduce.
    func materialized(bias: Bool, eps: Double, reduction: Reduction, roundedTo round: (Double) -> Double)
        -> (value: [Double], dx: [Double], dw: [Double], db: [Double])
    {
        let z = logits(bias: bias, roundedTo: round)
        let counted = y.filter { $0 >= 0 }.count
        let scale = reduction == .mean ? 1 / Double(counted) : 1
        var losses = [Double](repeating: 0, count: n)
        var g = [Double](repeating: 0, count: n * v)
        for i in 0..<n where y[i] >= 0 {
            let row = Array(z[(i * v)..<(i * v + v)])
            let m = row.max()!
            let lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            losses[i] = (1 - eps) * (lse - row[y[i]]) + eps * (lse - row.reduce(0, +) / Double(v))
            for c in 0..<v {
                g[i * v + c] = (Foundation.exp(row[c] - lse) - eps / Double(v) - (c == y[i] ? 1 - eps : 0)) * scale
            }
        }
        var dx = [Double](repeating: 0, count: n * d), dw = [Double](repeating: 0, count: v * d)
        var db = [Double](repeating: 0, count: v)
        for i in 0..<n {
            for c in 0..<v {
                let gi = g[i * v + c]
                db[c] += gi
                for k in 0..<d {
                    dx[i * d + k] += gi * round(w[c * d + k])
                    dw[c * d + k] += gi * round(x[i * d + k])
                }
            }
        }
        let total = losses.reduce(0, +)
        let value: [Double]
        switch reduction {
        case .none: value = losses
        case .mean: value = [total / Double(counted)]
        default: value = [total]
        }
        return (value, dx, dw, db)
    }
}

private func assertMatchesMaterialized<T: LossScalar>(
    _ p: Problem, _: T.Type, bias: Bool, eps: Double, reduction: Reduction, chunk: Int?, rtol: Double,
    _ what: String, file: StaticString = #filePath, line: UInt = #line
) throws {
    let r = try p.run(T.self, bias: bias, eps: T(eps), reduction: reduction, chunk: chunk)
    let ref = p.materialized(bias: bias, eps: eps, reduction: reduction, roundedTo: { Double(T($0)) })
    func compare(_ got: [T]?, _ expected: [Double], _ name: String) {
        guard let got else { return XCTFail("\(what): no \(name)", file: file, line: line) }
        XCTAssertEqual(got.count, expected.count, "\(what) \(name)", file: file, line: line)
        let scale = expected.map(abs).max() ?? 0
        for (a, e) in zip(got, expected) where abs(Double(a) - e) > rtol * max(abs(e), scale, 1e-30) {
            return XCTFail("\(what) \(name): \(a) vs materialized \(e)", file: file, line: line)
        }
    }
    compare(r.value.scalars, ref.value, "value")
    compare(r.gradients[.input]?.scalars, ref.dx, "grad.input")
    compare(r.gradients[.weight]?.scalars, ref.dw, "grad.weight")
    if bias { compare(r.gradients[.bias]?.scalars, ref.db, "grad.bias") }
}
