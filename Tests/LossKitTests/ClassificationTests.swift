import XCTest
@testable import LossKit
@testable import LossKitCLI

// Classification (Sources/LossKit/Classification.swift): cross-entropy, nll, focal, poly1, and the
// one-hot / label-smoothing building blocks. Reference values come from
// Fixtures/classification.json (PyTorch, written by scripts/fixtures/classification.py); the other
// tests pin limits, identities and errors. (Tests that run every softmax-label loss through one
// check, such as the thread-count and empty-input tests, include distillation.)

/// log Σ e^x of one row, in Double from the definition (the test's own reference).
private func logSumExpRow(_ r: [Double]) -> Double {
    let m = r.max()!
    return m + log(r.map { exp($0 - m) }.reduce(0, +))
}

/// softmax of one row, in Double from the definition.
private func softmaxRow(_ r: [Double]) -> [Double] { let l = logSumExpRow(r); return r.map { exp($0 - l) } }

private func tolerance<T: LossScalar>(_: T.Type) -> Double { T.self == Float.self ? 2e-6 : 1e-13 }

final class ClassificationTests: XCTestCase {
    // MARK: Reference values

    func testValuesAndGradientsMatchPyTorch() throws {
        XCTAssertGreaterThan(try replayFixtures("classification"), 120)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("classification"), 500)
    }

    /// The examples in the doc comments, each checked against its definition computed here in
    /// Double (no pinned literal: the expected values are derived from the formulas of LOSSES.md).
    func testDocumentationExamplesShowTheComputedOutputs() throws {
        let rows: [[Double]] = [[2, 1, 0], [0, 0, 3]], targets = [0, 2]
        let p = rows.map(softmaxRow)
        func onehot(_ y: Int, _ c: Int) -> [Double] { (0..<c).map { $0 == y ? 1 : 0 } }
        // cross-entropy, mean over N: mean(lse − x_y); ∂input = (softmax − onehot) / N.
        let x = tensor([2, 3], [2, 1, 0, 0, 0, 3] as [Float])
        let ce = try crossEntropy(input: x, target: Tensor<Int32>([0, 2]))
        let ceValues = zip(rows, targets).map { logSumExpRow($0) - $0[$1] }
        XCTAssertEqual(Double(ce.scalar!), ceValues.reduce(0, +) / 2, accuracy: 1e-7)
        let ceGrad = zip(p, targets).flatMap { pr, y in zip(pr, onehot(y, 3)).map { ($0 - $1) / 2 } }
        assertClose(ce.gradients[.input]!.scalars.map(Double.init), ceGrad, tolerance: 1e-6, "ce grad")

        // probability target t: Σ t (lse − x); ∂input = softmax − t; ∂target = lse − x.
        let px = tensor([1, 3], [2, 1, 0] as [Double]), pt = tensor([1, 3], [0.5, 0.5, 0] as [Double])
        let soft = try crossEntropy(input: px, target: pt)
        let lse0 = logSumExpRow(rows[0])
        XCTAssertEqual(soft.scalar!, zip(pt.scalars, rows[0]).map { $0 * (lse0 - $1) }.reduce(0, +), accuracy: 1e-15)
        assertClose(soft.gradients[.input]!.scalars, zip(p[0], pt.scalars).map { $0 - $1 }, tolerance: 1e-12, "prob grad")
        assertClose(soft.gradients[.target]!.scalars, rows[0].map { lse0 - $0 }, tolerance: 1e-12, "prob target grad")

        // nll: −mean x[n, y_n]; ∂input = −onehot / N.
        let lp: [Double] = [-0.1, -2.3, -1.2, -0.4]
        let nll = try negativeLogLikelihood(input: tensor([2, 2], lp), target: labels([0, 1]))
        XCTAssertEqual(nll.scalar!, -(lp[0] + lp[3]) / 2, accuracy: 1e-15)
        XCTAssertEqual(nll.gradients[.input]!.scalars, [-0.5, 0, 0, -0.5])

        // focal (γ = 2): mean −(1 − p_y)² log p_y; poly1 (ε = 1): mean CE + (1 − p_y).
        let xd = tensor([2, 3], [2, 1, 0, 0, 0, 3] as [Double])
        let py = zip(p, targets).map { $0[$1] }
        let focal = zip(py, ceValues).map { (1 - $0) * (1 - $0) * $1 }.reduce(0, +) / 2
        XCTAssertEqual(try focalLoss(input: xd, target: labels([0, 2])).scalar!, focal, accuracy: 1e-15)
        let poly = zip(py, ceValues).map { $1 + (1 - $0) }.reduce(0, +) / 2
        XCTAssertEqual(try poly1CrossEntropy(input: xd, target: labels([0, 2])).scalar!, poly, accuracy: 1e-15)

        // distillation (T = 2, α = ½): α T² KL(softmax(t/T) ‖ softmax(x/T)) + (1 − α) CE(x, y);
        // ∂input = α T (softmax(x/T) − softmax(t/T)) + (1 − α)(softmax(x) − onehot).
        let student: [Double] = [2, 1, 0], teacher: [Double] = [0, 1, 2], temperature = 2.0, alpha = 0.5
        let ps = softmaxRow(student.map { $0 / temperature }), pq = softmaxRow(teacher.map { $0 / temperature })
        let kl = zip(pq, ps).map { $0 * (log($0) - log($1)) }.reduce(0, +)
        let kd = try distillationLoss(
            input: tensor([1, 3], student), target: tensor([1, 3], teacher),
            labels: labels([0]), temperature: temperature, alpha: alpha)
        XCTAssertEqual(kd.scalar!, alpha * temperature * temperature * kl + (1 - alpha) * ceValues[0], accuracy: 1e-14)
        let kdGrad = (0..<3).map { k in
            alpha * temperature * (ps[k] - pq[k]) + (1 - alpha) * (p[0][k] - onehot(0, 3)[k])
        }
        assertClose(kd.gradients[.input]!.scalars, kdGrad, tolerance: 1e-12, "kd grad")

        let h: Tensor<Float> = try oneHot(labels: labels([2, 0]), classCount: 3)
        XCTAssertEqual(h.shape, [2, 3])
        XCTAssertEqual(h.scalars, (onehot(2, 3) + onehot(0, 3)).map(Float.init))
        // smoothing ε over C classes: (1 − ε) · onehot + ε / C.
        let s: Tensor<Double> = try smoothedTargets(labels: labels([1]), classCount: 4, smoothing: 0.2)
        assertClose(s.scalars, onehot(1, 4).map { 0.8 * $0 + 0.2 / 4 }, tolerance: 1e-15, "smoothed")
        let sp = try smoothedTargets(probabilities: tensor([1, 2], [1, 0] as [Float]), smoothing: 0.1)
        assertClose(sp.scalars, ([1, 0] as [Float]).map { 0.9 * $0 + 0.1 / 2 }, tolerance: 1e-7, "smoothed probabilities")
    }

    // MARK: Extreme inputs

    func testCrossEntropyIsFiniteForLogitsOfPlusMinus1e4() throws {
        func check<T: LossScalar>(_: T.Type) throws {
            let x = tensor([3, 4], [1e4, -1e4, 0, 5, -1e4, -1e4, 1e4, 1e4, 0, 0, 0, -1e4] as [T])
            let y = labels([1, 2, 0])
            for smoothing in [0, 0.1] as [T] {
                for weight in [nil, tensor([4], [1, 2, 0.5, 3] as [T])] {
                    let r = try crossEntropy(input: x, target: y, weight: weight, labelSmoothing: smoothing)
                    assertFinite(r, "\(T.self) ε=\(smoothing)")
                }
            }
            // Row 0 misses by 2e4: the loss is exactly that margin.
            let none = try crossEntropy(input: x, target: y, reduction: .none)
            XCTAssertEqual(Double(none.value.scalars[0]), 2e4, accuracy: 1e-3)
            XCTAssertEqual(Double(none.value.scalars[1]), Double(T.log(2)), accuracy: 1e-6)
        }
        try check(Float.self)
        try check(Double.self)
    }

    func testPlusInfiniteLogitTakesAllTheProbabilityWherePyTorchGivesNaN() throws {
        func check<T: LossScalar>(_: T.Type) throws {
            let x = tensor([2, 3], [0, .infinity, 1, 2, .infinity, -1] as [T])
            let r = try crossEntropy(input: x, target: labels([1, 0]), reduction: .none)
            XCTAssertEqual(r.value.scalars[0], 0)          // the +inf logit is the target
            XCTAssertEqual(r.value.scalars[1], .infinity)  // it is not
            // p − onehot with p = onehot(+inf position).
            XCTAssertEqual(r.gradients[.input]!.scalars, [0, 0, 0, -1, 1, 0])
            // Two +inf logits share the mass: loss log 2 on either.
            let two = try crossEntropy(input: tensor([1, 3], [.infinity, .infinity, 0] as [T]), target: labels([0]))
            XCTAssertEqual(Double(two.scalar!), log(2), accuracy: 1e-6)
            XCTAssertEqual(two.gradients[.input]!.scalars, [-0.5, 0.5, 0])
        }
        try check(Float.self)
        try check(Double.self)
    }

    func testMinusInfiniteLogitsGiveZeroProbabilityAndAllMinusInfiniteRowsGiveNaN() throws {
        let x = tensor([2, 3], [0, -.infinity, 1, -.infinity, -.infinity, -.infinity] as [Double])
        let r = try crossEntropy(input: x, target: labels([2, 0]), reduction: .none)
        XCTAssertEqual(r.value.scalars[0], log(1 + exp(-1)), accuracy: 1e-15)
        XCTAssertTrue(r.value.scalars[1].isNaN, "no class has any probability")
        let g = r.gradients[.input]!.scalars
        XCTAssertEqual(g[1], 0)
        XCTAssertTrue(g[0...2].allSatisfy(\.isFinite))
        // The target on a −inf logit: +inf loss, finite gradient p − onehot.
        let miss = try crossEntropy(input: tensor([1, 3], [0, -.infinity, 1] as [Float]), target: labels([1]))
        XCTAssertEqual(miss.scalar, .infinity)
        XCTAssertTrue(miss.gradients[.input]!.scalars.allSatisfy(\.isFinite))
    }

    func testDenormalLogitsGiveTheUniformLoss() throws {
        let tiny = Float.leastNonzeroMagnitude
        let r = try crossEntropy(input: tensor([1, 4], [tiny, 0, -tiny, tiny * 3]), target: labels([0]))
        XCTAssertEqual(r.scalar!, Float.log(4), accuracy: 1e-6)
        assertClose(r.gradients[.input]!.scalars, [-0.75, 0.25, 0.25, 0.25], tolerance: 1e-6, "uniform gradient")
    }

    func testNaNLogitPropagatesToItsRowOnly() throws {
        let x = tensor([2, 9], [0, 1, .nan, 2, 0, 0, 0, 0, 0] + [Float](repeating: 0, count: 9))
        let r = try crossEntropy(input: x, target: labels([0, 0]), reduction: .none)
        XCTAssertTrue(r.value.scalars[0].isNaN)
        XCTAssertEqual(r.value.scalars[1], Float.log(9), accuracy: 1e-6)
        XCTAssertTrue(r.gradients[.input]!.scalars[9...].allSatisfy(\.isFinite))
    }

    func testEmptyBatchIsNaNWithMeanAndZeroWithSum() throws {
        func check<T: LossScalar>(_: T.Type) throws {
            let x = tensor([0, 5], [] as [T])
            let y = try Tensor<Int>(shape: [0], scalars: [])
            for call in [
                { (r: Reduction) in try crossEntropy(input: x, target: y, reduction: r) },
                { (r: Reduction) in try crossEntropy(input: x, target: x, reduction: r) },
                { (r: Reduction) in try negativeLogLikelihood(input: x, target: y, reduction: r) },
                { (r: Reduction) in try focalLoss(input: x, target: y, reduction: r) },
                { (r: Reduction) in try poly1CrossEntropy(input: x, target: y, reduction: r) },
                { (r: Reduction) in try distillationLoss(input: x, target: x, reduction: r == .mean ? .batchmean : r) },
            ] {
                XCTAssertTrue(try call(.mean).scalar!.isNaN)
                let s = try call(.sum)
                XCTAssertEqual(s.scalar, 0)
                XCTAssertEqual(s.gradients[.input]?.shape, [0, 5])
                XCTAssertEqual(try call(.none).value.shape, [0])
            }
        }
        try check(Float.self)
        try check(Double.self)
    }

    func testAllIgnoredTargetsGiveNaNMeanZeroSumAndZeroGradient() throws {
        let x = tensor([3, 4], noise(12, seed: 1) as [Double])
        let y = labels([-100, -100, -100])
        let w = tensor([4], [1, 2, 3, 4] as [Double])
        let mean = try crossEntropy(input: x, target: y, weight: w, labelSmoothing: 0.2)
        XCTAssertTrue(mean.scalar!.isNaN)
        XCTAssertEqual(mean.gradients[.input]!.scalars, [Double](repeating: 0, count: 12))
        XCTAssertEqual(try crossEntropy(input: x, target: y, reduction: .sum).scalar, 0)
        XCTAssertTrue(try negativeLogLikelihood(input: x, target: y).scalar!.isNaN)
        XCTAssertTrue(try focalLoss(input: x, target: y).scalar!.isNaN)
        XCTAssertTrue(try poly1CrossEntropy(input: x, target: y).scalar!.isNaN)
        XCTAssertEqual(try focalLoss(input: x, target: y, reduction: .none).value.scalars, [0, 0, 0])
    }

    func testProbabilityTargetsRejectAClassIgnoreIndexAsPyTorchDoes() throws {
        // torch 2.15: F.cross_entropy(x, probs, ignore_index=0) raises "ignore_index is not
        // supported for floating point target"; a negative ignore_index is accepted unchanged.
        let x = tensor([2, 3], [2, 1, 0, 0.5, 2.5, 0.3] as [Double])
        let t = tensor([2, 3], [0.5, 0.5, 0, 0.2, 0.3, 0.5] as [Double])
        for index in [0, 2] {
            XCTAssertThrowsError(try crossEntropy(input: x, target: t, ignoreIndex: index)) { error in
                guard case LossError.invalidOption(let name, let value, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(name, "ignore-index"); XCTAssertEqual(value, String(index))
            }
        }
        XCTAssertEqual(try crossEntropy(input: x, target: t, ignoreIndex: -5).scalar,
                       try crossEntropy(input: x, target: t).scalar)
    }

    func testZeroProbabilityTargetOnMinusInfiniteLogitContributesZeroWherePyTorchGivesNaN() throws {
        func check<T: LossScalar>(_: T.Type) throws {
            let x = tensor([1, 3], [0, -.infinity, 1] as [T])
            let r = try crossEntropy(input: x, target: tensor([1, 3], [0.25, 0, 0.75] as [T]))
            let p0 = 1 / (1 + T.exp(1))
            XCTAssertEqual(Double(r.scalar!), Double(-(0.25 * T.log(p0) + 0.75 * T.log(1 - p0))), accuracy: 1e-6)
            XCTAssertTrue(r.gradients[.input]!.scalars.allSatisfy(\.isFinite))
            XCTAssertEqual(r.gradients[.target]!.scalars[1], .infinity)  // −log p with p = 0
            // A positive target there makes the loss +inf, as it should.
            let bad = try crossEntropy(input: x, target: tensor([1, 3], [0.25, 0.25, 0.5] as [T]))
            XCTAssertEqual(bad.scalar, .infinity)
        }
        try check(Float.self)
        try check(Double.self)
    }

    func testFocalGradientIsFiniteAtSaturationForGammaBelowOne() throws {
        func check<T: LossScalar>(_: T.Type) throws {
            // p_y = 1 − 2e−13 (rounds to 1 in Float), and exactly 1 (1 − p_y underflows to 0).
            let x = tensor([3, 3], [30, 0, 0, 1e4, 0, 0, 0, 0, 40] as [T])
            for gamma in [0.1, 0.5, 0.9, 2] as [T] {
                let r = try focalLoss(input: x, target: labels([0, 0, 2]), gamma: gamma, reduction: .none)
                assertFinite(r, "\(T.self) γ=\(gamma)")
                XCTAssertEqual(r.value.scalars[1], 0)
                XCTAssertEqual(r.gradients[.input]!.scalars[3...5].map { $0 == 0 }, [true, true, true])
            }
            // Row 0 in closed form: q = 1 − p = 2e^−30/(1 + 2e^−30), loss = q^γ·(−log p) ≈ q^(γ+1).
            let q = 2 * Double.exp(-30) / (1 + 2 * Double.exp(-30))
            let r = try focalLoss(input: x, target: labels([0, 0, 2]), gamma: 0.5, reduction: .none)
            XCTAssertEqual(Double(r.value.scalars[0]), q.squareRoot() * Double.log(onePlus: q), accuracy: 1e-6 * q.squareRoot() * q)
            // dℓ/dl = −q^γ(1 − γ·p·log p/q) → −q^γ(1 + γ): the target logit's gradient is dℓ/dl·q.
            let expected = -q.squareRoot() * (1 + 0.5 * (1 - q) * Double.log(onePlus: -q) / -q) * q
            XCTAssertEqual(Double(r.gradients[.input]!.scalars[0]), expected, accuracy: 1e-5 * abs(expected))
        }
        try check(Float.self)
        try check(Double.self)
    }

    // MARK: Identities

    func testFocalWithGammaZeroEqualsCrossEntropy() throws {
        func check<T: LossScalar>(_: T.Type) throws {
            for shape in [[4, 7], [2, 5, 3, 4], [6]] {
                let x = tensor(shape, noise(shape.reduce(1, *), seed: 7) as [T])
                let targetShape = shape.count == 1 ? [] : [shape[0]] + shape[2...]
                var y = noise(targetShape.reduce(1, *), seed: 8).map { (v: Double) in Int((v + 3) / 6 * Double(shape.count == 1 ? shape[0] : shape[1])) }
                y[0] = -100
                if targetShape.isEmpty { y = [2] }
                let target = tensor(targetShape, y)
                let ce = try crossEntropy(input: x, target: target)
                let focal = try focalLoss(input: x, target: target, gamma: 0)
                XCTAssertEqual(Double(focal.scalar!), Double(ce.scalar!), accuracy: tolerance(T.self))
                assertClose(focal.gradients[.input]!.scalars, ce.gradients[.input]!.scalars, tolerance: tolerance(T.self), "\(shape)")
            }
        }
        try check(Float.self)
        try check(Double.self)
    }

    func testPoly1WithEpsilonZeroEqualsCrossEntropy() throws {
        let x = tensor([5, 6], noise(30, seed: 3) as [Double])
        let y = labels([0, 5, -100, 3, 1])
        let ce = try crossEntropy(input: x, target: y, reduction: .sum)
        let poly = try poly1CrossEntropy(input: x, target: y, epsilon: 0, reduction: .sum)
        XCTAssertEqual(poly.scalar!, ce.scalar!, accuracy: 1e-13)
        assertClose(poly.gradients[.input]!.scalars, ce.gradients[.input]!.scalars, tolerance: 1e-14, "poly1 ε=0")
    }

    func testLabelSmoothingOfIndicesEqualsProbabilityTargetsFromSmoothedTargets() throws {
        func check<T: LossScalar>(_: T.Type) throws {
            let x = tensor([3, 5, 2], noise(30, seed: 11) as [T])
            let y = tensor([3, 2], [0, 4, 2, 2, 1, 3])
            let smoothed: Tensor<T> = try smoothedTargets(labels: y, classCount: 5, smoothing: 0.3, axis: 1)
            XCTAssertEqual(smoothed.shape, [3, 5, 2])
            let a = try crossEntropy(input: x, target: y, labelSmoothing: 0.3)
            let b = try crossEntropy(input: x, target: smoothed, wrt: [.input])
            XCTAssertEqual(Double(a.scalar!), Double(b.scalar!), accuracy: tolerance(T.self))
            assertClose(a.gradients[.input]!.scalars, b.gradients[.input]!.scalars, tolerance: tolerance(T.self), "smoothing")
            // And one-hot probability targets are plain cross-entropy.
            let onehot: Tensor<T> = try oneHot(labels: y, classCount: 5, axis: 1)
            let c = try crossEntropy(input: x, target: y, reduction: .none)
            let d = try crossEntropy(input: x, target: onehot, reduction: .none)
            assertClose(c.value.scalars, d.value.scalars, tolerance: tolerance(T.self), "one-hot value")
            assertClose(c.gradients[.input]!.scalars, d.gradients[.input]!.scalars, tolerance: tolerance(T.self), "one-hot grad")
        }
        try check(Float.self)
        try check(Double.self)
    }

    func testLabelSmoothingZeroChangesNothing() throws {
        let x = tensor([4, 9], noise(36, seed: 5) as [Float])
        let y = labels([8, 0, -100, 4]), w = tensor([9], noise(9, seed: 6, scale: 1).map { $0 + 1.5 } as [Float])
        let a = try crossEntropy(input: x, target: y, weight: w)
        let b = try crossEntropy(input: x, target: y, weight: w, labelSmoothing: 0)
        XCTAssertEqual(a.scalar, b.scalar)
        XCTAssertEqual(a.gradients[.input], b.gradients[.input])
    }

    func testNLLOfLogSoftmaxEqualsCrossEntropy() throws {
        let x = tensor([2, 4, 3], noise(24, seed: 9) as [Double])
        let y = tensor([2, 3], [0, 3, -100, 1, 2, 2])
        let w = tensor([4], [0.5, 1, 2, 1.5] as [Double])
        let ce = try crossEntropy(input: x, target: y, weight: w, reduction: .none)
        let nll = try negativeLogLikelihood(input: logSoftmax(x, axis: 1), target: y, weight: w, reduction: .none)
        assertClose(nll.value.scalars, ce.value.scalars, tolerance: 1e-14, "nll ∘ log_softmax")
    }

    func testCrossEntropyGradientRowsSumToZero() throws {
        // Σ_j ∂ℓ/∂x_j = A − B − u·Σw = 0 for every combination of weights and smoothing.
        let x = tensor([6, 13], noise(78, seed: 12) as [Double])
        let y = labels([12, 0, 5, -100, 7, 7])
        let w = tensor([13], noise(13, seed: 13, scale: 1).map { $0 + 1.2 } as [Double])
        let r = try crossEntropy(input: x, target: y, weight: w, labelSmoothing: 0.4, reduction: .sum)
        let g = r.gradients[.input]!.scalars
        for row in 0..<6 { XCTAssertEqual(g[row * 13 ..< (row + 1) * 13].reduce(0, +), 0, accuracy: 1e-14) }
    }

    func testGradientsNotRequestedAreNotReturned() throws {
        let x = tensor([2, 3], [1, 2, 3, 4, 5, 6] as [Float]), y = labels([0, 1])
        XCTAssertTrue(try crossEntropy(input: x, target: y, wrt: []).gradients.isEmpty)
        XCTAssertEqual(try crossEntropy(input: x, target: x, wrt: [.target]).gradients.keys.sorted { $0.rawValue < $1.rawValue }, [.target])
        XCTAssertTrue(try negativeLogLikelihood(input: x, target: y, wrt: []).gradients.isEmpty)
        XCTAssertTrue(try focalLoss(input: x, target: y, wrt: []).gradients.isEmpty)
        XCTAssertTrue(try poly1CrossEntropy(input: x, target: y, wrt: []).gradients.isEmpty)
        XCTAssertTrue(try distillationLoss(input: x, target: x, wrt: []).gradients.isEmpty)
    }

    // MARK: Large inputs: threads and vectorized paths

    /// Inputs above the parallel grain: the result does not depend on the thread count (blocks
    /// are fixed by the problem), and Float agrees with Double.
    func testLargeInputsAreDeterministicAcrossThreadCountsAndAgreeAcrossPrecisions() throws {
        let (n, c) = (130, 257)  // 33K elements > Parallelism.grain: blocks of 127 and 3 rows
        let xs: [Double] = noise(n * c, seed: 21, scale: 6)
        let ys = (0..<n).map { $0 % 7 == 0 ? -100 : ($0 * 31) % c }
        let w: [Double] = noise(c, seed: 22, scale: 0.5).map { $0 + 1 }
        func run<T: LossScalar>(_: T.Type, threads: Int) throws -> [LossResult<T>] {
            let saved = Parallelism.maximumThreads
            Parallelism.maximumThreads = threads
            defer { Parallelism.maximumThreads = saved }
            let x = tensor([n, c], xs.map { T($0) }), y = labels(ys), wt = tensor([c], w.map { T($0) })
            let teacher = tensor([n, c], xs.reversed().map { T($0) })
            return [
                try crossEntropy(input: x, target: y, weight: wt, labelSmoothing: 0.1),
                try crossEntropy(input: x, target: softmax(teacher, axis: 1), weight: wt, labelSmoothing: 0.1),
                try focalLoss(input: x, target: y, alpha: .perClass(wt), gamma: 1.5),
                try poly1CrossEntropy(input: x, target: y, weight: wt),
                try distillationLoss(input: x, target: teacher, labels: labels(ys.map { max($0, 0) }), temperature: 2, alpha: 0.3),
            ]
        }
        let one = try run(Float.self, threads: 1), two = try run(Float.self, threads: 2), double = try run(Double.self, threads: 2)
        for i in one.indices {
            XCTAssertEqual(one[i].scalar, two[i].scalar, "loss \(i)")
            XCTAssertEqual(one[i].gradients[.input], two[i].gradients[.input], "loss \(i)")
            XCTAssertEqual(Double(two[i].scalar!), double[i].scalar!, accuracy: 1e-5 * abs(double[i].scalar!), "loss \(i)")
            assertClose(two[i].gradients[.input]!.scalars.map(Double.init), double[i].gradients[.input]!.scalars, tolerance: 1e-6, "loss \(i)")
        }
    }

    /// The K-dimensional kernel (eight positions per vector) against the contiguous row kernel on
    /// the same data laid out as [N·H·W, C].
    func testSpatialInputsMatchTheSameRowsLaidOutContiguously() throws {
        func check<T: LossScalar>(_: T.Type) throws {
            let (n, c, h, w) = (3, 6, 5, 7)
            let xs: [T] = noise(n * c * h * w, seed: 31)
            var ys = (0..<(n * h * w)).map { ($0 * 5) % c }
            for i in stride(from: 0, to: ys.count, by: 9) { ys[i] = -100 }
            var rows = [T](repeating: 0, count: xs.count)
            for s in 0..<n { for k in 0..<c { for p in 0..<(h * w) { rows[(s * h * w + p) * c + k] = xs[(s * c + k) * h * w + p] } } }
            let weight = tensor([c], [1, 0.5, 2, 1.5, 0.25, 1] as [T])
            let spatial = tensor([n, c, h, w], xs), flat = tensor([n * h * w, c], rows)
            let ySpatial = tensor([n, h, w], ys), yFlat = labels(ys)
            let pairs: [(LossResult<T>, LossResult<T>)] = [
                (try crossEntropy(input: spatial, target: ySpatial, weight: weight, labelSmoothing: 0.2, reduction: .none),
                 try crossEntropy(input: flat, target: yFlat, weight: weight, labelSmoothing: 0.2, reduction: .none)),
                (try focalLoss(input: spatial, target: ySpatial, alpha: .perClass(weight), gamma: 0.7, reduction: .none),
                 try focalLoss(input: flat, target: yFlat, alpha: .perClass(weight), gamma: 0.7, reduction: .none)),
                (try poly1CrossEntropy(input: spatial, target: ySpatial, weight: weight, reduction: .none),
                 try poly1CrossEntropy(input: flat, target: yFlat, weight: weight, reduction: .none)),
            ]
            for (i, (a, b)) in pairs.enumerated() {
                assertClose(a.value.scalars, b.value.scalars, tolerance: tolerance(T.self), "loss \(i) value")
                let ga = a.gradients[.input]!.scalars, gb = b.gradients[.input]!.scalars
                var regrouped = [T](repeating: 0, count: ga.count)
                for s in 0..<n { for k in 0..<c { for p in 0..<(h * w) { regrouped[(s * h * w + p) * c + k] = ga[(s * c + k) * h * w + p] } } }
                assertClose(regrouped, gb, tolerance: tolerance(T.self), "loss \(i) gradient")
            }
        }
        try check(Float.self)
        try check(Double.self)
    }

    // MARK: One-hot and smoothing helpers

    func testOneHotPlacesTheClassAxisAndEncodesIgnoredLabelsAsZeros() throws {
        let y = tensor([2, 2], [1, 0, -1, 2])
        let last: Tensor<Double> = try oneHot(labels: y, classCount: 3, ignoreIndex: -1)
        XCTAssertEqual(last.shape, [2, 2, 3])
        XCTAssertEqual(last.scalars, [0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])
        let first: Tensor<Float> = try oneHot(labels: y, classCount: 3, ignoreIndex: -1, axis: 1)
        XCTAssertEqual(first.shape, [2, 3, 2])
        XCTAssertEqual(first.scalars, [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        let scalar: Tensor<Float> = try oneHot(labels: try Tensor<Int32>(shape: [], scalars: [2]), classCount: 4)
        XCTAssertEqual(scalar.shape, [4])
        XCTAssertEqual(scalar.scalars, [0, 0, 1, 0])
    }

    func testSmoothedTargetsSumToOnePerPosition() throws {
        let t: Tensor<Double> = try smoothedTargets(labels: labels([0, 3, 2]), classCount: 7, smoothing: 0.35)
        for row in 0..<3 { XCTAssertEqual(t.scalars[row * 7 ..< row * 7 + 7].reduce(0, +), 1, accuracy: 1e-15) }
        let p = try smoothedTargets(probabilities: tensor([5], [0.1, 0.2, 0.3, 0.4, 0] as [Double]), smoothing: 0.5, axis: 0)
        XCTAssertEqual(p.scalars.reduce(0, +), 1, accuracy: 1e-15)
        XCTAssertEqual(p.scalars[4], 0.1, accuracy: 1e-15)
    }

    // MARK: Errors


    private func assertThrowsInvalidOption<R>(
        _ name: String, _ body: @autoclosure () throws -> R, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            guard case .invalidOption(name, _, _)? = e as? LossError else {
                return XCTFail("expected invalidOption(\(name)), got \(e)", file: file, line: line)
            }
        }
    }

    func testLabelOutOfRangeThrowsNamingLabelAndIndex() {
        let x = tensor([3, 5], [Float](repeating: 0, count: 15))
        assertThrows(.labelOutOfRange(argument: "target", label: 7, classCount: 5, index: 2)) {
            try crossEntropy(input: x, target: labels([0, 1, 7]))
        }
        assertThrows(.labelOutOfRange(argument: "target", label: -1, classCount: 5, index: 0)) {
            try negativeLogLikelihood(input: x, target: labels([-1, 1, 2]))
        }
        assertThrows(.labelOutOfRange(argument: "target", label: 5, classCount: 5, index: 1)) {
            try focalLoss(input: x, target: labels([0, 5, 2]))
        }
        assertThrows(.labelOutOfRange(argument: "target", label: -100, classCount: 5, index: 0)) {
            try poly1CrossEntropy(input: x, target: labels([-100, 1, 2]), ignoreIndex: 3)
        }
        assertThrows(.labelOutOfRange(argument: "labels", label: 9, classCount: 5, index: 2)) {
            try distillationLoss(input: x, target: x, labels: labels([0, 1, 9]), alpha: 0.5)
        }
        assertThrows(.labelOutOfRange(argument: "labels", label: 3, classCount: 3, index: 0)) {
            try oneHot(labels: labels([3]), classCount: 3) as Tensor<Float>
        }
    }

    func testShapeMismatchesThrowNamingTheArgument() {
        let x = tensor([3, 5], [Double](repeating: 0, count: 15))
        assertThrows(.shapeMismatch(argument: "target", expected: [3], actual: [4])) {
            try crossEntropy(input: x, target: labels([0, 1, 2, 3]))
        }
        assertThrows(.shapeMismatch(argument: "target", expected: [3, 5], actual: [3, 4])) {
            try crossEntropy(input: x, target: tensor([3, 4], [Double](repeating: 0.25, count: 12)))
        }
        assertThrows(.shapeMismatch(argument: "weight", expected: [5], actual: [4])) {
            try crossEntropy(input: x, target: labels([0, 1, 2]), weight: tensor([4], [1, 1, 1, 1] as [Double]))
        }
        assertThrows(.shapeMismatch(argument: "weight", expected: [5], actual: [2])) {
            try negativeLogLikelihood(input: x, target: labels([0, 1, 2]), weight: tensor([2], [1, 1] as [Double]))
        }
        assertThrows(.shapeMismatch(argument: "alpha", expected: [5], actual: [3])) {
            try focalLoss(input: x, target: labels([0, 1, 2]), alpha: .perClass(tensor([3], [1, 1, 1] as [Double])))
        }
        assertThrows(.shapeMismatch(argument: "target", expected: [2, 4], actual: [2])) {
            try crossEntropy(input: tensor([2, 3, 4], [Double](repeating: 0, count: 24)), target: labels([0, 1]))
        }
        assertThrows(.shapeMismatch(argument: "target", expected: [3, 5], actual: [5, 3])) {
            try distillationLoss(input: x, target: tensor([5, 3], [Double](repeating: 0, count: 15)))
        }
        assertThrows(.shapeMismatch(argument: "labels", expected: [3], actual: [2])) {
            try distillationLoss(input: x, target: x, labels: labels([0, 1]), alpha: 0.5)
        }
    }

    func testInvalidInputShapesThrow() {
        assertThrows(.invalidShape(argument: "input", shape: [], reason: "expected [C] or [N, C, ...], got a 0-d tensor")) {
            try crossEntropy(input: Tensor<Float>(1), target: Tensor<Int>(shape: [], scalars: [0]))
        }
        assertThrows(.invalidShape(argument: "input", shape: [2, 0], reason: "the class dimension is empty")) {
            try negativeLogLikelihood(input: tensor([2, 0], [] as [Float]), target: labels([0, 0]))
        }
        assertThrows(.invalidShape(argument: "input", shape: [2, 3, 1], reason: "expected rank 2, got rank 3")) {
            try distillationLoss(input: tensor([2, 3, 1], [Float](repeating: 0, count: 6)), target: tensor([2, 3, 1], [Float](repeating: 0, count: 6)))
        }
    }

    func testInvalidOptionsThrowNamingTheOption() {
        let x = tensor([2, 3], [Float](repeating: 0, count: 6)), y = labels([0, 1])
        assertThrowsInvalidOption("label-smoothing", try crossEntropy(input: x, target: y, labelSmoothing: 1.5))
        assertThrowsInvalidOption("label-smoothing", try crossEntropy(input: x, target: x, labelSmoothing: -0.1))
        assertThrowsInvalidOption("reduction", try crossEntropy(input: x, target: y, reduction: .batchmean))
        assertThrowsInvalidOption("reduction", try negativeLogLikelihood(input: x, target: y, reduction: .batchmean))
        assertThrowsInvalidOption("gamma", try focalLoss(input: x, target: y, gamma: -1))
        assertThrowsInvalidOption("gamma", try focalLoss(input: x, target: y, gamma: .infinity))
        assertThrowsInvalidOption("epsilon", try poly1CrossEntropy(input: x, target: y, epsilon: .nan))
        assertThrowsInvalidOption("classCount", try oneHot(labels: y, classCount: 0) as Tensor<Float>)
        assertThrowsInvalidOption("smoothing", try smoothedTargets(labels: y, classCount: 3, smoothing: Float(2)))
        assertThrowsInvalidOption("axis", try oneHot(labels: y, classCount: 3, axis: 3) as Tensor<Float>)
    }

    // MARK: Command line

    func testCommandLineChoosesIndexOrProbabilityTargetsByDtype() throws {
        let x = DynamicTensor.float64(tensor([2, 3], [2, 1, 0, 0, 0, 3] as [Double]))
        let indices = try Evaluator.evaluate(id: "cross-entropy", inputs: ["input": x, "target": .int32(Tensor<Int32>([0, 2]))], options: [:])
        XCTAssertEqual(indices.gradients.map(\.name), ["input"])
        let soft = try Evaluator.evaluate(
            id: "cross-entropy", inputs: ["input": x, "target": .float64(tensor([2, 3], [1, 0, 0, 0, 0, 1] as [Double]))], options: [:])
        XCTAssertEqual(soft.gradients.map(\.name), ["input", "target"])
        XCTAssertEqual(indices.value.doubles[0], soft.value.doubles[0], accuracy: 1e-15)
    }

    func testCommandLineRejectsFocalAlphaGivenBothAsOptionAndInput() {
        let inputs: [String: DynamicTensor] = [
            "input": .float32(tensor([2, 3], [Float](repeating: 0, count: 6))),
            "target": .int64(Tensor<Int64>([0, 1])),
            "alpha": .float32(tensor([3], [1, 1, 1] as [Float])),
        ]
        XCTAssertThrowsError(try Evaluator.evaluate(id: "focal", inputs: inputs, options: ["alpha": "0.25"])) { e in
            guard case .missingArgument("alpha", _)? = e as? LossError else { return XCTFail("\(e)") }
        }
        XCTAssertNoThrow(try Evaluator.evaluate(id: "focal", inputs: inputs, options: [:]))
    }

    func testCommandLineReportsLabelOutOfRange() {
        let inputs: [String: DynamicTensor] = [
            "input": .float32(tensor([2, 3], [Float](repeating: 0, count: 6))), "target": .int64(Tensor<Int64>([0, 3])),
        ]
        for id in ["cross-entropy", "nll", "focal", "poly1"] {
            XCTAssertThrowsError(try Evaluator.evaluate(id: id, inputs: inputs, options: [:])) { e in
                XCTAssertEqual(e as? LossError, .labelOutOfRange(argument: "target", label: 3, classCount: 3, index: 1), id)
            }
        }
    }
}
