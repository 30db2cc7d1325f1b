import XCTest
@testable import LossKit
@testable import LossKitCLI

/// BinaryClassification (Sources/LossKit/BinaryClassification.swift): bce, bce-with-logits,
/// sigmoid-focal, soft-margin, multilabel-soft-margin. Reference values come from
/// Fixtures/binary_classification.json (scripts/fixtures/binary_classification.py, PyTorch /
/// torchvision); the tests below pin limits, identities and errors.
final class BinaryClassificationTests: XCTestCase {
    // MARK: - Reference fixtures

    func testValuesAndGradientsMatchPyTorchAndTorchvision() throws {
        XCTAssertGreaterThan(try replayFixtures("binary_classification"), 85)
    }

    func testGradientsMatchFiniteDifferences() throws {
        XCTAssertGreaterThan(try checkFiniteDifferences("binary_classification"), 1000)
    }

    // MARK: - bce

    func testBCEAtProbabilitiesZeroAndOneIsFiniteWithClampedTargetGradient() throws {
        try bceAtZeroAndOne(Float.self)
        try bceAtZeroAndOne(Double.self)
    }

    private func bceAtZeroAndOne<T: LossScalar>(_: T.Type) throws {
        let p: Tensor<T> = tensor([0, 1, 0, 1]), t: Tensor<T> = tensor([0, 1, 1, 0])
        let r = try binaryCrossEntropy(input: p, target: t, reduction: .none)
        // Each log is clamped at −100: a confident wrong answer costs exactly 100.
        XCTAssertEqual(r.value.doubles, [0, 0, 100, 100])
        // PyTorch: (p − t) / max((1 − p)·p, 1e-12), computed in the dtype.
        let g = r.gradients[.input]!.doubles
        XCTAssertEqual(g[0], 0)
        XCTAssertEqual(g[1], 0)
        XCTAssertEqual(g[2], -1e12, accuracy: 1e6)
        XCTAssertEqual(g[3], 1e12, accuracy: 1e6)
        // The derivative of the clamped value: max(log(1 − p), −100) − max(log p, −100).
        XCTAssertEqual(r.gradients[.target]!.doubles, [100, -100, 100, -100])
    }

    func testBCEWeightBroadcastEqualsTheExpandedWeight() throws {
        try assertBroadcastWeightsMatchExpanded { input, target, weight in
            let p = input.map { 1 / (1 + Double.exp(-$0)) }
            return try binaryCrossEntropy(input: p, target: target.map { ($0 + 1) / 3 }, weight: weight, reduction: .sum)
        }
    }

    // MARK: - bce-with-logits

    func testBCEWithLogitsIsFiniteAtInfiniteLogitsWhereTheLimitIs() throws {
        try bceWithLogitsAtInfinity(Float.self)
        try bceWithLogitsAtInfinity(Double.self)
    }

    private func bceWithLogitsAtInfinity<T: LossScalar>(_: T.Type) throws {
        let inf = Double.infinity
        let x: Tensor<T> = tensor([inf, -inf, inf, -inf, 1e4, -1e4, 1e4, -1e4, inf])
        let t: Tensor<T> = tensor([1, 0, 0, 1, 1, 0, 0, 1, 0.25])
        let r = try binaryCrossEntropyWithLogits(input: x, target: t, reduction: .none)
        // Limits: a certain right answer costs 0, a certain wrong one +inf; at ±1e4 the loss is
        // |x| to working precision (softplus(1e4) = 1e4 + log1p(e^-1e4)).
        XCTAssertEqual(r.value.doubles, [0, 0, inf, inf, 0, 0, 1e4, 1e4, inf])
        // ∂/∂x = σ(x) − t: exactly 1 − t at +inf, −t at −inf.
        XCTAssertEqual(r.gradients[.input]!.doubles, [0, 0, 1, -1, 0, 0, 1, -1, 0.75])
        // ∂/∂t = −x: the exact (infinite) slope at ±inf.
        XCTAssertEqual(r.gradients[.target]!.doubles, [-inf, inf, -inf, inf, -1e4, 1e4, -1e4, 1e4, -inf])
    }

    func testBCEWithLogitsPosWeightAndZeroWeightAtInfiniteLogits() throws {
        try bceWithLogitsWeightsAtInfinity(Float.self)
        try bceWithLogitsWeightsAtInfinity(Double.self)
    }

    private func bceWithLogitsWeightsAtInfinity<T: LossScalar>(_: T.Type) throws {
        let inf = Double.infinity
        let x: Tensor<T> = tensor([inf, -inf, -inf, -inf, inf, 2], shape: [1, 6])
        let t: Tensor<T> = tensor([1, 0, 1, 0.5, 0, 1], shape: [1, 6])
        let pw: Tensor<T> = tensor([3, 3, 3, 0.5, 2, 2])
        let w: Tensor<T> = tensor([1, 1, 1, 1, 0, 0])
        let r = try binaryCrossEntropyWithLogits(input: x, target: t, weight: w, posWeight: pw, reduction: .none)
        // x = −inf with t > 0 costs +inf; a zero weight removes even an infinite term.
        XCTAssertEqual(r.value.doubles, [0, 0, inf, inf, 0, 0])
        // ∂/∂x = (1 − t) − (1 + (pw − 1)t)·σ(−x): 0, 0, then −pw·t at −inf, then weighted out.
        XCTAssertEqual(r.gradients[.input]!.doubles, [0, 0, -3, -0.25, 0, 0])
        for g in r.gradients[.target]!.doubles { XCTAssertFalse(g.isNaN) }
    }

    func testBCEWithLogitsPosWeightOneEqualsNoPosWeightAndScalesPositives() throws {
        let x = try Tensor(shape: [4, 3], scalars: (0..<12).map { Double($0) * 0.7 - 4 })
        let t = try Tensor(shape: [4, 3], scalars: (0..<12).map { Double($0 % 3) / 2 })
        let plain = try binaryCrossEntropyWithLogits(input: x, target: t, reduction: .none)
        let ones = try binaryCrossEntropyWithLogits(input: x, target: t, posWeight: Tensor([1, 1, 1]), reduction: .none)
        assertClose(.float64(ones.value), .float64(plain.value), rtol: 1e-14, atolScale: 0, "value")
        assertClose(.float64(ones.gradients[.input]!), .float64(plain.gradients[.input]!), rtol: 1e-14, atolScale: 1e-15, "grad")
        // With hard positive targets (t = 1), pos_weight multiplies the loss: pw·softplus(−x).
        let ones1 = try Tensor(shape: [4, 3], repeating: 1.0)
        let a = try binaryCrossEntropyWithLogits(input: x, target: ones1, reduction: .none)
        let b = try binaryCrossEntropyWithLogits(input: x, target: ones1, posWeight: Tensor([2.5]), reduction: .none)
        for (u, v) in zip(a.value.scalars, b.value.scalars) { XCTAssertEqual(v, 2.5 * u, accuracy: 1e-14 * max(1, v)) }
    }

    func testBCEWithLogitsBroadcastWeightsEqualTheExpandedWeights() throws {
        try assertBroadcastWeightsMatchExpanded { x, t, w in
            try binaryCrossEntropyWithLogits(input: x, target: t, weight: w, reduction: .mean)
        }
        try assertBroadcastWeightsMatchExpanded { x, t, w in
            try binaryCrossEntropyWithLogits(input: x, target: t, posWeight: w, reduction: .none)
        }
    }

    func testBCEWithLogitsEqualsBCEOfTheSigmoid() throws {
        let x = try Tensor(shape: [2, 5], scalars: [-3, -1.5, -0.2, 0, 0.4, 1, 2.5, 3, -0.7, 1.2] as [Double])
        let t = try Tensor(shape: [2, 5], scalars: [0, 0.2, 1, 0.5, 0.9, 1, 0, 0.3, 0.6, 1] as [Double])
        let p = x.map { 1 / (1 + Double.exp(-$0)) }
        let a = try binaryCrossEntropyWithLogits(input: x, target: t)
        let b = try binaryCrossEntropy(input: p, target: t)
        XCTAssertEqual(a.scalar!, b.scalar!, accuracy: 1e-14)
        // Chain rule: ∂/∂x = ∂/∂p · p(1 − p).
        let chain = zip(b.gradients[.input]!.scalars, p.scalars).map { $0 * $1 * (1 - $1) }
        for (u, v) in zip(a.gradients[.input]!.scalars, chain) { XCTAssertEqual(u, v, accuracy: 1e-14) }
    }

    // MARK: - sigmoid-focal

    func testSigmoidFocalIsFiniteAtSaturationForEveryGamma() throws {
        try focalAtSaturation(Float.self)
        try focalAtSaturation(Double.self)
    }

    private func focalAtSaturation<T: LossScalar>(_: T.Type) throws {
        let inf = Double.infinity
        let x: Tensor<T> = tensor([inf, -inf, 1e4, -1e4, 1e4, -1e4, inf, -inf, 200, -200])
        let t: Tensor<T> = tensor([1, 0, 1, 0, 0, 1, 0.3, 0.3, 1, 0])
        for gamma in [0, 0.25, 0.5, 1, 2, 3.7] {
            for alpha in [0.25, nil] as [Double?] {
                let r = try sigmoidFocalLoss(input: x, target: t, alpha: alpha.map { T($0) }, gamma: T(gamma), reduction: .none)
                let v = r.value.doubles, gx = r.gradients[.input]!.doubles
                let at = { (t: Double) in alpha.map { $0 * t + (1 - $0) * (1 - t) } ?? 1 }
                let what = "\(T.self) γ=\(gamma) α=\(alpha.map(String.init(describing:)) ?? "nil")"
                // Certain and right: 0 loss and 0 gradient (torchvision: NaN at ±inf, NaN
                // gradients for γ < 1 where its 1 − p_t rounds to 0). At ±200 the exact values
                // are below e^-200 (0 in Float, tiny in Double).
                for i in [0, 1, 2, 3, 8, 9] {
                    XCTAssertEqual(v[i], 0, accuracy: 1e-80, "\(what) [\(i)]")
                    XCTAssertEqual(gx[i], 0, accuracy: 1e-80, "\(what) [\(i)]")
                }
                // Certain and wrong at ±1e4: CE = 1e4, 1 − p_t = 1, ∂/∂x = α_t·(p − t).
                XCTAssertEqual(v[4], at(0) * 1e4, accuracy: 1e-2, what)
                XCTAssertEqual(v[5], at(1) * 1e4, accuracy: 1e-2, what)
                XCTAssertEqual(gx[4], at(0), accuracy: 1e-6, what)
                XCTAssertEqual(gx[5], -at(1), accuracy: 1e-6, what)
                // A soft target at ±inf: the loss is infinite (the true value), never NaN.
                XCTAssertEqual(v[6], inf, what)
                XCTAssertEqual(v[7], inf, what)
                for g in gx { XCTAssertFalse(g.isNaN, "\(what) \(gx)") }
                // ∂ℓ/∂t is finite except where the loss is linear in t with an infinite slope:
                // soft targets at ±inf, and for γ = 0 (no modulating factor) every infinite logit.
                for (i, g) in r.gradients[.target]!.doubles.enumerated() where ![6, 7].contains(i) {
                    if gamma == 0 && [0, 1].contains(i) {
                        XCTAssertEqual(g, i == 0 ? -inf : inf, what)
                    } else {
                        XCTAssertTrue(g.isFinite, "\(what) target[\(i)] = \(g)")
                    }
                }
            }
        }
    }

    func testSigmoidFocalSoftTargetAtLargeLogitMatchesClosedForm() throws {
        // x = 1e4, t = 0.3: CE = (1 − t)·x, 1 − p_t = 1 − t, so ℓ = α_t·0.7e4·0.7^γ and
        // ∂ℓ/∂x = α_t·0.7^γ·(1 − t) (the γ term carries p(1 − p) = 0).
        let r = try sigmoidFocalLoss(input: Tensor<Double>([1e4]), target: Tensor([0.3]), alpha: 0.25, gamma: 1.5)
        let alphaT = 0.25 * 0.3 + 0.75 * 0.7
        XCTAssertEqual(r.scalar ?? r.value.scalars[0], alphaT * 7000 * Double.pow(0.7, 1.5), accuracy: 1e-9)
        XCTAssertEqual(r.gradients[.input]!.scalars[0], alphaT * Double.pow(0.7, 1.5) * 0.7, accuracy: 1e-12)
    }

    func testSigmoidFocalWithGammaZeroAndNoAlphaIsBCEWithLogits() throws {
        try focalGammaZero(Float.self, tolerance: 1e-6)
        try focalGammaZero(Double.self, tolerance: 1e-14)
    }

    private func focalGammaZero<T: LossScalar>(_: T.Type, tolerance: Double) throws {
        let x: Tensor<T> = tensor([-30, -4, -1.5, -0.3, 0, 0.2, 0.9, 2, 5, 31, 1e4, -1e4], shape: [3, 4])
        let soft: Tensor<T> = tensor([0, 1, 1, 0, 0.5, 1, 0, 0.2, 1, 0, 1, 0], shape: [3, 4])
        let hard: Tensor<T> = tensor([0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0], shape: [3, 4])
        for t in [soft, hard] {
            let f = try sigmoidFocalLoss(input: x, target: t, alpha: nil, gamma: 0, reduction: .none)
            let b = try binaryCrossEntropyWithLogits(input: x, target: t, reduction: .none)
            for (name, u, v) in [("value", f.value, b.value), ("input", f.gradients[.input]!, b.gradients[.input]!),
                                 ("target", f.gradients[.target]!, b.gradients[.target]!)] {
                for (a, e) in zip(u.doubles, v.doubles) { XCTAssertEqual(a, e, accuracy: tolerance * max(1, abs(e)), "\(T.self) \(name)") }
            }
        }
    }

    func testSigmoidFocalHardLabelPathAgreesWithTheGeneralPath() throws {
        // The same hard-labelled elements, once in 8-lane groups of hard labels only (the
        // signed-logit path) and once in groups that also hold a soft label (the general path).
        let xs: [Double] = [-1e4, -700, -100, -30, -3, -0.5, 0, 0.7, 4, 25, 90, 700, 1e4, .infinity, -.infinity, 2]
        let ts: [Double] = [0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1]
        for gamma in [0.0, 0.5, 1, 2, 2.5] {
            for alpha in [0.25, nil] as [Double?] {
                let hard = try sigmoidFocalLoss(input: Tensor(xs), target: Tensor(ts), alpha: alpha, gamma: gamma)
                var mixedX: [Double] = [], mixedT: [Double] = []
                for (x, t) in zip(xs, ts) { mixedX += [x, 0.3]; mixedT += [t, 0.5] }  // a soft label in every group
                let mixed = try sigmoidFocalLoss(input: Tensor(mixedX), target: Tensor(mixedT), alpha: alpha, gamma: gamma)
                for i in xs.indices {
                    for (a, b, what) in [(hard.value.scalars[i], mixed.value.scalars[2 * i], "value"),
                                         (hard.gradients[.input]!.scalars[i], mixed.gradients[.input]!.scalars[2 * i], "input"),
                                         (hard.gradients[.target]!.scalars[i], mixed.gradients[.target]!.scalars[2 * i], "target")] {
                        if a.isNaN || b.isNaN || a.isInfinite || b.isInfinite {
                            XCTAssertTrue(a == b || (a.isNaN && b.isNaN), "γ=\(gamma) α=\(alpha.map(String.init(describing:)) ?? "nil") x=\(xs[i]) \(what): \(a) vs \(b)")
                        } else {
                            XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(a)), "γ=\(gamma) α=\(alpha.map(String.init(describing:)) ?? "nil") x=\(xs[i]) \(what)")
                        }
                    }
                }
            }
        }
    }

    func testSigmoidFocalMeanGradientIsSumGradientOverCount() throws {
        let x = try Tensor(shape: [3, 3], scalars: [-2, -0.5, 0.1, 0.8, 1.7, -3, 2.2, 0.3, -1] as [Float])
        let t = try Tensor(shape: [3, 3], scalars: [1, 0, 0.4, 1, 0, 1, 0, 0.9, 0] as [Float])
        let m = try sigmoidFocalLoss(input: x, target: t, reduction: .mean)
        let s = try sigmoidFocalLoss(input: x, target: t, reduction: .sum)
        XCTAssertEqual(m.scalar!, s.scalar! / 9, accuracy: 1e-7)
        for arg in [LossArgument.input, .target] {
            for (a, b) in zip(m.gradients[arg]!.scalars, s.gradients[arg]!.scalars) { XCTAssertEqual(a, b / 9, accuracy: 1e-7) }
        }
    }

    func testSigmoidFocalComputesOnlyTheRequestedGradients() throws {
        let x = Tensor<Double>([0.3, -1.2]), t = Tensor<Double>([1, 0])
        let r = try sigmoidFocalLoss(input: x, target: t, wrt: [.input])
        XCTAssertNotNil(r.gradients[.input])
        XCTAssertNil(r.gradients[.target])
        XCTAssertTrue(try sigmoidFocalLoss(input: x, target: t, wrt: []).gradients.isEmpty)
    }

    // MARK: - soft-margin and multilabel-soft-margin

    func testSoftMarginIsFiniteWhereTheReferenceOverflows() throws {
        // −t·x = 100: PyTorch's log1p(exp(100)) is inf in float32; the value is 100 + log1p(e^-100).
        let r = try softMarginLoss(input: Tensor<Float>([100, -1e4]), target: Tensor([-1, 1]), reduction: .none)
        XCTAssertEqual(r.value.scalars, [100, 1e4])
        XCTAssertEqual(r.gradients[.input]!.scalars, [1, -1])
    }

    func testSoftMarginEqualsBCEWithLogitsOfTheZeroOneTarget() throws {
        let x = try Tensor(shape: [2, 5], scalars: [-3, -1.5, -0.2, 0, 0.4, 1, 2.5, 3, -0.7, 1.2] as [Double])
        let t = try Tensor(shape: [2, 5], scalars: [1, -1, 1, 1, -1, -1, 1, -1, -1, 1] as [Double])
        let a = try softMarginLoss(input: x, target: t)
        let b = try binaryCrossEntropyWithLogits(input: x, target: t.map { ($0 + 1) / 2 })
        XCTAssertEqual(a.scalar!, b.scalar!, accuracy: 1e-15)
        for (u, v) in zip(a.gradients[.input]!.scalars, b.gradients[.input]!.scalars) { XCTAssertEqual(u, v, accuracy: 1e-15) }
    }

    func testMultilabelSoftMarginIsTheClassMeanOfBCEWithLogits() throws {
        let x = try Tensor(shape: [3, 11], scalars: (0..<33).map { Double($0 % 7) * 0.9 - 2.5 })
        let t = try Tensor(shape: [3, 11], scalars: (0..<33).map { Double(($0 * 5) % 3 == 0 ? 1 : 0) })
        let a = try multilabelSoftMarginLoss(input: x, target: t, reduction: .none)
        let b = try binaryCrossEntropyWithLogits(input: x, target: t, reduction: .none)
        XCTAssertEqual(a.value.shape, [3])
        for n in 0..<3 {
            let rowMean = b.value.scalars[(n * 11)..<(n * 11 + 11)].reduce(0, +) / 11
            XCTAssertEqual(a.value.scalars[n], rowMean, accuracy: 1e-14)
        }
        for (u, v) in zip(a.gradients[.input]!.scalars, b.gradients[.input]!.scalars) { XCTAssertEqual(u, v / 11, accuracy: 1e-15) }
    }

    func testMultilabelSoftMarginAtInfiniteLogitsIsFinite() throws {
        let inf = Float.infinity
        let r = try multilabelSoftMarginLoss(
            input: try Tensor(shape: [1, 4], scalars: [inf, -inf, 1e4, -1e4]),
            target: try Tensor(shape: [1, 4], scalars: [1, 0, 1, 0]))
        XCTAssertEqual(r.scalar, 0)
        XCTAssertEqual(r.gradients[.input]!.scalars, [0, 0, 0, 0])
    }

    // MARK: - Empty inputs

    func testEmptyBatchesGiveNaNMeanAndZeroSum() throws {
        let e1 = try Tensor<Double>(shape: [0], scalars: [])
        let e2 = try Tensor<Double>(shape: [0, 4], scalars: [])
        let calls: [(String, (Reduction) throws -> LossResult<Double>)] = [
            ("bce", { try binaryCrossEntropy(input: e1, target: e1, reduction: $0) }),
            ("bce-with-logits", { try binaryCrossEntropyWithLogits(input: e2, target: e2, weight: Tensor([1, 2, 3, 4]), reduction: $0) }),
            ("sigmoid-focal", { try sigmoidFocalLoss(input: e1, target: e1, reduction: $0) }),
            ("soft-margin", { try softMarginLoss(input: e1, target: e1, reduction: $0) }),
            ("multilabel-soft-margin", { try multilabelSoftMarginLoss(input: e2, target: e2, reduction: $0) }),
        ]
        try assertEmptyBatchReductions(calls)
    }

    // MARK: - Invalid inputs

    func testBCEInputOrTargetOutsideUnitIntervalThrowsNamingTheIndex() {
        let ok = Tensor<Double>([0.5, 0.5, 0.5])
        assertThrows(.valueOutOfRange(argument: "input", value: 1.5, index: 2, expected: "a value in [0, 1]")) {
            try binaryCrossEntropy(input: Tensor([0.5, 0.1, 1.5]), target: ok)
        }
        assertThrows(.valueOutOfRange(argument: "target", value: -0.25, index: 1, expected: "a value in [0, 1]")) {
            try binaryCrossEntropy(input: ok, target: Tensor([0, -0.25, 1]))
        }
        XCTAssertThrowsError(try binaryCrossEntropy(input: Tensor<Double>([0.5, .nan, 0.5]), target: ok)) { e in
            guard case .valueOutOfRange("input", let v, 1, _)? = e as? LossError else { return XCTFail("\(e)") }
            XCTAssertTrue(v.isNaN)
        }
        // Far from the start (past the 8-lane scan).
        var p = [Float](repeating: 0.5, count: 100); p[77] = -1
        assertThrows(.valueOutOfRange(argument: "input", value: -1, index: 77, expected: "a value in [0, 1]")) {
            try binaryCrossEntropy(input: Tensor(p), target: Tensor([Float](repeating: 0, count: 100)))
        }
    }

    func testSigmoidFocalTargetOutsideUnitIntervalThrows() {
        assertThrows(.valueOutOfRange(argument: "target", value: 2, index: 0, expected: "a value in [0, 1]")) {
            try sigmoidFocalLoss(input: Tensor<Double>([0.5]), target: Tensor([2]))
        }
    }

    func testShapeMismatchThrowsNamingTarget() {
        let x = Tensor<Double>([1, 2, 3]), y = Tensor<Double>([1, 2])
        let expected = LossError.shapeMismatch(argument: "target", expected: [3], actual: [2])
        assertThrows(expected) { try binaryCrossEntropyWithLogits(input: x, target: y) }
        assertThrows(expected) { try sigmoidFocalLoss(input: x, target: y) }
        assertThrows(expected) { try softMarginLoss(input: x, target: y) }
    }

    func testWeightsThatDoNotBroadcastThrowNamingTheArgument() throws {
        let x = try Tensor<Double>(shape: [2, 3], repeating: 0.5)
        assertThrows(.invalidShape(argument: "weight", shape: [2], reason: "does not broadcast to the input's shape [2, 3]")) {
            try binaryCrossEntropyWithLogits(input: x, target: x, weight: Tensor([1, 2]))
        }
        assertThrows(.invalidShape(argument: "pos_weight", shape: [4, 2, 3], reason: "does not broadcast to the input's shape [2, 3]")) {
            try binaryCrossEntropyWithLogits(input: x, target: x, posWeight: try Tensor(shape: [4, 2, 3], repeating: 1))
        }
        assertThrows(.invalidShape(argument: "weight", shape: [3, 1], reason: "does not broadcast to the input's shape [2, 3]")) {
            try binaryCrossEntropy(input: x, target: x, weight: try Tensor(shape: [3, 1], repeating: 1))
        }
        assertThrows(.shapeMismatch(argument: "weight", expected: [3], actual: [2])) {
            try multilabelSoftMarginLoss(input: x, target: x, weight: Tensor([1, 2]))
        }
    }

    func testInvalidOptionsThrowNamingTheOption() throws {
        let x = Tensor<Double>([0.5, -0.5]), t = Tensor<Double>([1, 0])
        assertThrows(.invalidOption(name: "alpha", value: "1.5", expected: "a number in [0, 1], or nil for no α weighting")) {
            try sigmoidFocalLoss(input: x, target: t, alpha: 1.5)
        }
        assertThrows(.invalidOption(name: "gamma", value: "-1.0", expected: "a finite number ≥ 0")) {
            try sigmoidFocalLoss(input: x, target: t, gamma: -1)
        }
        assertThrows(.invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum")) {
            try binaryCrossEntropyWithLogits(input: x, target: t, reduction: .batchmean)
        }
    }

    func testCLIRejectsInvalidCallsWithLossErrors() throws {
        let x = DynamicTensor.float32(try Tensor(shape: [2, 2], scalars: [0.2, 0.4, 0.6, 0.8]))
        XCTAssertThrowsError(try Evaluator.evaluate(id: "sigmoid-focal", inputs: ["input": x, "target": x], options: ["gamma": "-2"])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "gamma", value: "-2.0", expected: "a finite number ≥ 0"))
        }
        // The default reduction of sigmoid-focal is none.
        let out = try Evaluator.evaluate(id: "sigmoid-focal", inputs: ["input": x, "target": x], options: [:])
        XCTAssertEqual(out.value.shape, [2, 2])
    }
}

// MARK: - Helpers

/// `operand` broadcast to `shape` and written out in full (the reference for the broadcast reader).
private func expand(_ operand: Tensor<Double>, to shape: [Int]) -> Tensor<Double> {
    let aligned = [Int](repeating: 1, count: shape.count - operand.rank) + operand.shape
    var strides = [Int](repeating: 0, count: shape.count)
    var s = 1
    for d in shape.indices.reversed() { strides[d] = aligned[d] == 1 ? 0 : s; s *= aligned[d] }
    let count = shape.reduce(1, *)
    let src = operand.scalars
    let values = (0..<count).map { i -> Double in
        var rest = i, offset = 0
        for d in shape.indices.reversed() { offset += (rest % shape[d]) * strides[d]; rest /= shape[d] }
        return src[offset]
    }
    return try! Tensor(shape: shape, scalars: values)
}

/// Every kind of broadcast weight (scalar, periodic, general, dense) gives exactly the result of
/// the same weight written out in full, on an input large enough to be split into blocks that
/// start in the middle of the weight's pattern.
private func assertBroadcastWeightsMatchExpanded(
    file: StaticString = #filePath, line: UInt = #line,
    _ loss: (Tensor<Double>, Tensor<Double>, Tensor<Double>) throws -> LossResult<Double>
) throws {
    let shape = [3, 7, 40, 41]
    let count = shape.reduce(1, *)
    XCTAssertGreaterThan(count, Parallelism.grain, file: file, line: line)
    let x = try Tensor(shape: shape, scalars: (0..<count).map { Double(($0 * 37) % 101) / 12 - 4 })
    let t = try Tensor(shape: shape, scalars: (0..<count).map { Double(($0 * 13) % 3) / 2 })
    for wshape in [[], [1], [41], [40, 41], [7, 1, 41], [3, 1, 1, 1], [3, 7, 1, 1], [1, 7, 40, 1], [3, 1, 40, 1], shape] {
        let n = wshape.reduce(1, *)
        let w = try Tensor(shape: wshape, scalars: (0..<n).map { 0.25 + Double(($0 * 7) % 17) / 8 })
        let a = try loss(x, t, w), b = try loss(x, t, expand(w, to: shape))
        XCTAssertEqual(a.value, b.value, "weight \(wshape)", file: file, line: line)
        XCTAssertEqual(a.gradients[.input], b.gradients[.input], "weight \(wshape)", file: file, line: line)
        XCTAssertEqual(a.gradients[.target], b.gradients[.target], "weight \(wshape)", file: file, line: line)
    }
}
