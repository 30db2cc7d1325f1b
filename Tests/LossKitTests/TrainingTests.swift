import Foundation
import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Family J (training practice): gradient clipping, learning-rate schedules and the composition
/// of losses. The reference values come from scripts/fixtures/training.py (PyTorch's
/// `clip_grad_norm_` / `clip_grad_value_`, optax's schedules in float64, and autograd of weighted
/// sums of PyTorch losses), stored in Fixtures/training.json.
final class TrainingTests: XCTestCase {
    // MARK: Gradient clipping against PyTorch

    func testClipGradientNormMatchesPyTorchIncludingNonfiniteNorms() throws {
        let cases = try TrainingFixtures.section("clip_norm")
        XCTAssertGreaterThanOrEqual(cases.count, 30)
        for c in cases {
            if c["dtype"] as? String == "float32" { try replayClipNorm(c, Float.self) } else { try replayClipNorm(c, Double.self) }
        }
    }

    func testClipGradientValueMatchesPyTorch() throws {
        let cases = try TrainingFixtures.section("clip_value")
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        for c in cases {
            if c["dtype"] as? String == "float32" { try replayClipValue(c, Float.self) } else { try replayClipValue(c, Double.self) }
        }
    }

    // MARK: Gradient clipping: properties, extremes, errors

    func testClippedGradientsHaveTheMaxNormUpToTheEpsilon() throws {
        var g = try [Tensor(shape: [2, 2], scalars: [3, -1, 2, 0.5] as [Double]), Tensor([-4, 6] as [Double])]
        let before = g
        let total = try clipGradientNorm(&g, maxNorm: 2)
        let expected = (9 + 1 + 4 + 0.25 + 16 + 36.0).squareRoot()
        XCTAssertEqual(total, expected, accuracy: 1e-14)
        let after = g.flatMap(\.scalars).map { $0 * $0 }.reduce(0, +).squareRoot()
        XCTAssertEqual(after, 2 * expected / (expected + 1e-6), accuracy: 1e-14)
        // Every tensor is scaled by the same coefficient.
        for (b, a) in zip(before.flatMap(\.scalars), g.flatMap(\.scalars)) {
            XCTAssertEqual(a, b * 2 / (expected + 1e-6), accuracy: 1e-15)
        }
    }

    func testGradientsBelowTheMaxNormAreLeftBitwiseUnchanged() throws {
        var g = [Tensor([0.1, -0.2, 0.3] as [Float])]
        let before = g
        let total = try clipGradientNorm(&g, maxNorm: 1)
        XCTAssertEqual(g, before)
        XCTAssertEqual(total, (0.01 + 0.04 + 0.09 as Float).squareRoot(), accuracy: 1e-7)
    }

    func testNormOfFloatGradientsWhoseSquaresOverflowIsFiniteWherePyTorchGivesInf() throws {
        // PyTorch sums squares in float32: (1e20)² overflows, the norm is inf and the gradients
        // are scaled by 0. The true norm is √2·1e20.
        var g = [Tensor([1e20, -1e20] as [Float]), Tensor([0, 1] as [Float])]
        let total = try clipGradientNorm(&g, maxNorm: 1)
        XCTAssertEqual(Double(total), 2.0.squareRoot() * 1e20, accuracy: 1e14)
        let after = g.flatMap(\.scalars).map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        XCTAssertEqual(after, 1, accuracy: 1e-6)
        XCTAssertEqual(g[1].scalars[1], 0, accuracy: 1e-19)  // 1/(√2·1e20), a tiny but finite share
        // And tiny gradients, whose squares underflow in float32 (PyTorch: norm 0).
        var tiny = [Tensor([3e-30, 4e-30] as [Float])]
        XCTAssertEqual(Double(try clipGradientNorm(&tiny, maxNorm: 1)), 5e-30, accuracy: 1e-36)
        // p = 3 and p = 1 with huge Double elements.
        var huge = [Tensor([1e300, 1e300] as [Double])]
        XCTAssertEqual(try clipGradientNorm(&huge, maxNorm: .infinity, normType: 3), pow(2, 1.0 / 3) * 1e300, accuracy: 1e286)
        XCTAssertEqual(try clipGradientNorm(&huge, maxNorm: .infinity, normType: 1), 2e300, accuracy: 1e286)
        XCTAssertEqual(huge[0].scalars, [1e300, 1e300], "maxNorm = +inf never clips")
    }

    func testEmptyListAndEmptyTensorsHaveNormZero() throws {
        var none: [Tensor<Double>] = []
        XCTAssertEqual(try clipGradientNorm(&none, maxNorm: 1), 0)
        for p in [2.0, 1, 0, .infinity, 3] {
            var g = [try Tensor<Double>(shape: [0, 4], scalars: [])]
            XCTAssertEqual(try clipGradientNorm(&g, maxNorm: 1, normType: p), 0, "p = \(p)")
            XCTAssertEqual(g[0].shape, [0, 4])
        }
    }

    func testClippingCopiesBorrowedAndSharedStorageInsteadOfWritingThrough() throws {
        let caller: [Double] = [6, 8]
        try caller.withUnsafeBufferPointer { b in
            var g = [try Tensor(unsafeBorrowing: b, shape: [2])]
            let kept = g[0]
            XCTAssertEqual(try clipGradientNorm(&g, maxNorm: 5), 10)
            XCTAssertEqual(g[0].scalars[0], 6 * 5 / (10 + 1e-6), accuracy: 1e-15)
            XCTAssertEqual(kept.scalars, [6, 8])
        }
        XCTAssertEqual(caller, [6, 8])
        var shared = [Tensor([3, -3] as [Float])]
        let copy = shared
        try clipGradientValue(&shared, clipValue: 1)
        XCTAssertEqual(shared[0].scalars, [1, -1])
        XCTAssertEqual(copy[0].scalars, [3, -3])
    }

    func testClippingRejectsInvalidBoundsAndNormTypes() {
        var g = [Tensor([1, 2] as [Double])]
        XCTAssertThrowsError(try clipGradientNorm(&g, maxNorm: -1)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "maxNorm", value: "-1.0", expected: ">= 0"))
        }
        XCTAssertThrowsError(try clipGradientNorm(&g, maxNorm: .nan)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "maxNorm", value: "nan", expected: ">= 0"))
        }
        for p in [-1.0, -.infinity, .nan] {
            XCTAssertThrowsError(try clipGradientNorm(&g, maxNorm: 1, normType: p)) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "normType", value: "\(p)", expected: ">= 0 or inf"))
            }
        }
        XCTAssertThrowsError(try clipGradientValue(&g, clipValue: -0.5)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "clipValue", value: "-0.5", expected: ">= 0"))
        }
        XCTAssertThrowsError(try clipGradientValue(&g, clipValue: .nan)) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "clipValue", value: "nan", expected: ">= 0"))
        }
        XCTAssertEqual(g[0].scalars, [1, 2], "nothing changes when an argument is rejected")
    }

    func testNonfiniteNormWithErrorIfNonfiniteThrowsAndLeavesGradientsUnchanged() throws {
        var g = [Tensor([1, .infinity] as [Float]), Tensor([2] as [Float])]
        XCTAssertThrowsError(try clipGradientNorm(&g, maxNorm: 1, errorIfNonfinite: true)) { e in
            guard case .valueOutOfRange(argument: "gradients", value: let v, index: nil, expected: _)? = e as? LossError else {
                return XCTFail("\(e)")
            }
            XCTAssertEqual(v, .infinity)
        }
        XCTAssertEqual(g[0].scalars, [1, .infinity])
        XCTAssertEqual(g[1].scalars, [2])
    }

    // MARK: Learning-rate schedules

    func testSchedulesMatchOptaxAtEveryStepIncludingWarmupBoundaryEndAndBeyond() throws {
        let cases = try TrainingFixtures.section("schedules")
        XCTAssertGreaterThanOrEqual(cases.count, 15)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let schedule = try TrainingFixtures.schedule(c)
            let steps = try XCTUnwrap(c["steps"] as? [Int])
            let values = try XCTUnwrap(c["values"] as? [Any]).map(Fixtures.number)
            XCTAssertEqual(steps.first, 0, name)
            for (s, v) in zip(steps, values) {
                XCTAssertEqual(schedule(step: s), v, accuracy: 1e-12 * max(abs(v), 1e-300), "\(name) step \(s)")
            }
        }
    }

    func testWarmupStartsAtTheInitialValueAndReachesThePeakAtTheBoundary() throws {
        let s = try LearningRateSchedule.warmupLinearDecay(initialValue: 0.1, peakValue: 1, warmupSteps: 4, decaySteps: 8, endValue: 0.2)
        XCTAssertEqual(s(step: 0), 0.1, accuracy: 1e-15)  // (0.1 − 1)·1 + 1, optax's arithmetic
        XCTAssertEqual(s(step: 2), 0.55, accuracy: 1e-15)
        XCTAssertEqual(s(step: 4), 1)
        XCTAssertEqual(s(step: 6), 0.6, accuracy: 1e-15)
        XCTAssertEqual(s(step: 8), 0.2, accuracy: 1e-15)
        XCTAssertEqual(s(step: 1_000_000), 0.2, accuracy: 1e-15)
        XCTAssertEqual(s(step: -3), s(step: 0), "negative steps give the value of step 0")
    }

    func testCosineDecayIsHalfwayAtItsMidpointAndHoldsTheEndValue() throws {
        let s = try LearningRateSchedule.warmupCosineDecay(peakValue: 2, warmupSteps: 10, decaySteps: 30, endValue: 0.5)
        XCTAssertEqual(s(step: 10), 2)
        XCTAssertEqual(s(step: 20), 1.25, accuracy: 1e-15)  // cos(π/2) = 0: (peak + end)/2
        XCTAssertEqual(s(step: 30), 0.5, accuracy: 1e-15)
        XCTAssertEqual(s(step: 31), s(step: 30))
        let plain = try LearningRateSchedule.cosineDecay(initialValue: 1, decaySteps: 4, alpha: 0.25)
        XCTAssertEqual(plain(step: 0), 1)
        XCTAssertEqual(plain(step: 4), 0.25, accuracy: 1e-15)
    }

    func testZeroWarmupStepsMeansThePeakFromStepZero() throws {
        // optax.warmup_constant_schedule(init, peak, 0) is the constant init value (its linear
        // piece is disabled); here no warm-up means the peak from the start.
        let s = try LearningRateSchedule.warmupConstant(initialValue: 0.3, peakValue: 0.7, warmupSteps: 0)
        XCTAssertEqual((0..<4).map { s(step: $0) }, [0.7, 0.7, 0.7, 0.7])
    }

    func testInvalidSchedulesAreRejectedByName() {
        func expect(_ name: String, _ body: () throws -> LearningRateSchedule) {
            XCTAssertThrowsError(try body()) { e in
                guard case .invalidOption(name: name, value: _, expected: _)? = e as? LossError else {
                    return XCTFail("\(name): \(e)")
                }
            }
        }
        expect("warmupSteps") { try .warmupConstant(peakValue: 1, warmupSteps: -1) }
        expect("decaySteps") { try .warmupCosineDecay(peakValue: 1, warmupSteps: 5, decaySteps: 5) }
        expect("decaySteps") { try .warmupLinearDecay(peakValue: 1, warmupSteps: 5, decaySteps: 3) }
        expect("peakValue") { try .warmupConstant(peakValue: .nan, warmupSteps: 1) }
        expect("initialValue") { try .linear(initialValue: .infinity, endValue: 0, steps: 3) }
        expect("endValue") { try .warmupCosineDecay(peakValue: 1, warmupSteps: 0, decaySteps: 3, endValue: .nan) }
        expect("exponent") { try .warmupCosineDecay(peakValue: 1, warmupSteps: 0, decaySteps: 3, exponent: 0) }
        expect("alpha") { try .cosineDecay(initialValue: 1, decaySteps: 3, alpha: .nan) }
    }

    // MARK: Composition of losses

    func testCompositionRecipesMatchAutogradOfTheWeightedSumOfPyTorchLosses() throws {
        let cases = try TrainingFixtures.section("composition")
        XCTAssertEqual(cases.count, 8)
        for c in cases {
            if c["dtype"] as? String == "float32" { try replayComposition(c, Float.self) } else { try replayComposition(c, Double.self) }
        }
    }

    func testCombineOfOneTermWithWeightOneIsThatTerm() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1, 2, 3, -1, 0, 1] as [Double])
        let ce = try crossEntropy(input: x, target: Tensor([2, 0] as [Int]))
        let r = try combine([(weight: 1, result: ce)])
        XCTAssertEqual(r.value, ce.value)
        XCTAssertEqual(r.gradients[.input], ce.gradients[.input])
        let empty = try combine([(weight: Double, result: LossResult<Double>)]())
        XCTAssertEqual(empty.scalar, 0)
        XCTAssertTrue(empty.gradients.isEmpty)
    }

    func testCombinedGradientIsTheWeightedSumPerArgumentAndTermsWithoutAGradientAddNothing() throws {
        let x = Tensor([0.5, -1, 2] as [Double]), y = Tensor([0, 0, 1] as [Double])
        let mse = try meanSquaredError(input: x, target: y)            // gradients for input and target
        let l1 = try meanAbsoluteError(input: x, target: y, wrt: [.input])  // input only
        let r = try combine([(weight: 2, result: mse), (weight: -0.5, result: l1)])
        XCTAssertEqual(r.scalar!, 2 * mse.scalar! - 0.5 * l1.scalar!, accuracy: 1e-15)
        for i in 0..<3 {
            XCTAssertEqual(r.gradients[.input]!.scalars[i],
                           2 * mse.gradients[.input]!.scalars[i] - 0.5 * l1.gradients[.input]!.scalars[i], accuracy: 1e-15)
            XCTAssertEqual(r.gradients[.target]!.scalars[i], 2 * mse.gradients[.target]!.scalars[i], accuracy: 1e-15)
        }
    }

    func testUnreducedValuesOfEqualShapeAddElementwise() throws {
        let x = Tensor([0.5, -1, 2] as [Float]), y = Tensor([0, 0, 1] as [Float])
        let a = try meanSquaredError(input: x, target: y, reduction: .none)
        let b = try meanAbsoluteError(input: x, target: y, reduction: .none)
        let r = try combine([(weight: Float(1), result: a), (weight: Float(3), result: b)])
        XCTAssertEqual(r.value.shape, [3])
        XCTAssertEqual(r.value.scalars, zip(a.value.scalars, b.value.scalars).map { $0 + 3 * $1 })
    }

    func testCompositionRejectsMismatchedShapesUnmappedGradientsAndNonfiniteWeightsAndStaysUnchanged() throws {
        let logits = try Tensor(shape: [2, 3], scalars: [1, 2, 3, -1, 0, 1] as [Double])
        let ce = try crossEntropy(input: logits, target: Tensor([2, 0] as [Int]))
        let other = try crossEntropy(input: Tensor(shape: [1, 4], scalars: [0, 1, 2, 3] as [Double]), target: Tensor([1] as [Int]))
        XCTAssertThrowsError(try combine([(weight: 1, result: ce), (weight: 1, result: other)])) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "input", expected: [2, 3], actual: [1, 4]))
        }
        let unreduced = try crossEntropy(input: logits, target: Tensor([2, 0] as [Int]), reduction: .none)
        XCTAssertThrowsError(try combine([(weight: 1, result: ce), (weight: 1, result: unreduced)])) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "value", expected: [], actual: [2]))
        }
        XCTAssertThrowsError(try combine([(weight: .nan, result: ce)])) { e in
            XCTAssertEqual(e as? LossError, .invalidOption(name: "weight", value: "nan", expected: "a finite number"))
        }
        var total = LossComposition<Double, String>()
        try total.add(ce, weight: 0.5, inputs: [.input: "logits"])
        XCTAssertThrowsError(try total.add(ce, inputs: [.target: "logits"])) { e in
            guard case .missingArgument(name: "input", reason: _)? = e as? LossError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try total.add(other, inputs: [.input: "logits"])) { e in
            XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "logits", expected: [2, 3], actual: [1, 4]))
        }
        XCTAssertEqual(total.termCount, 1)
        XCTAssertEqual(total.value.scalar!, 0.5 * ce.scalar!, accuracy: 1e-15)
        XCTAssertEqual(total.gradients["logits"]!.scalars, ce.gradients[.input]!.scalars.map { 0.5 * $0 })
    }

    func testDocumentationExamplesHoldAsWritten() throws {
        var grads = [Tensor([3, 0] as [Double]), Tensor([4] as [Double])]
        XCTAssertEqual(try clipGradientNorm(&grads, maxNorm: 1), 5)
        XCTAssertEqual(grads[0].scalars, [0.599999880000024, 0])
        XCTAssertEqual(grads[1].scalars, [0.799999840000032])
        var values = [Tensor([-3, 0.5, 2] as [Float])]
        try clipGradientValue(&values, clipValue: 1)
        XCTAssertEqual(values[0].scalars, [-1, 0.5, 1])
        let lr = try LearningRateSchedule.warmupCosineDecay(peakValue: 1, warmupSteps: 2, decaySteps: 6, endValue: 0.1)
        let expected = [0.0, 0.5, 1.0, 0.8681980515339464, 0.55, 0.23180194846605365, 0.1, 0.1]
        for (s, v) in expected.enumerated() { XCTAssertEqual(lr(step: s), v, accuracy: 1e-15) }
        let logits = try Tensor(shape: [1, 3], scalars: [2, 1, 0] as [Double])
        let teacher = try Tensor(shape: [1, 3], scalars: [0, 1, 2] as [Double])
        let ce = try crossEntropy(input: logits, target: Tensor([0] as [Int]))
        let kd = try distillationLoss(input: logits, target: teacher, temperature: 2)
        let r = try combine([(weight: 1, result: ce), (weight: 0.5, result: kd)])
        XCTAssertEqual(r.scalar!, 1.0479193001039933, accuracy: 1e-15)
        let g = r.gradients[.input]!.scalars
        for (a, b) in zip(g, [-0.014602376395371763, 0.2447284710547976, -0.23012609465942602]) { XCTAssertEqual(a, b, accuracy: 1e-15) }
    }

    // MARK: Replay helpers

    private func replayClipNorm<T: LossScalar>(_ c: [String: Any], _: T.Type) throws {
        let name = c["name"] as? String ?? "?"
        var grads: [Tensor<T>] = try TrainingFixtures.tensors(c["grads"])
        let before = grads
        let maxNorm = T(try Fixtures.number(c["max_norm"] as Any))
        let p = T(try Fixtures.number(c["norm_type"] as Any))
        let strict = try XCTUnwrap(c["error_if_nonfinite"] as? Bool)
        if try XCTUnwrap(c["error"] as? Bool) {
            XCTAssertThrowsError(try clipGradientNorm(&grads, maxNorm: maxNorm, normType: p, errorIfNonfinite: strict), name)
            XCTAssertEqual(grads.map(\.scalars).description, before.map(\.scalars).description, name)
            return
        }
        let total = try clipGradientNorm(&grads, maxNorm: maxNorm, normType: p, errorIfNonfinite: strict)
        let tol = referenceTolerance(dtype: T.dtypeName, override: nil)
        let expected = try Fixtures.number(c["total_norm"] as Any)
        assertClose(DynamicTensor(Tensor(total)), DynamicTensor(Tensor(T(expected))), rtol: tol.rtol, atolScale: tol.atolScale, "\(name) total norm")
        let clipped: [Tensor<T>] = try TrainingFixtures.tensors(c["clipped"])
        XCTAssertEqual(grads.count, clipped.count, name)
        for (i, (g, e)) in zip(grads, clipped).enumerated() {
            assertClose(DynamicTensor(g), DynamicTensor(e), rtol: tol.rtol, atolScale: tol.atolScale, "\(name) gradient \(i)")
        }
    }

    private func replayClipValue<T: LossScalar>(_ c: [String: Any], _: T.Type) throws {
        let name = c["name"] as? String ?? "?"
        var grads: [Tensor<T>] = try TrainingFixtures.tensors(c["grads"])
        try clipGradientValue(&grads, clipValue: T(try Fixtures.number(c["clip_value"] as Any)))
        let clipped: [Tensor<T>] = try TrainingFixtures.tensors(c["clipped"])
        for (i, (g, e)) in zip(grads, clipped).enumerated() {
            // Clamping is exact: the results are bitwise those of PyTorch (NaN matches NaN).
            assertClose(DynamicTensor(g), DynamicTensor(e), rtol: 0, atolScale: 0, "\(name) gradient \(i)")
        }
    }

    private func replayComposition<T: LossScalar>(_ c: [String: Any], _: T.Type) throws {
        let name = c["name"] as? String ?? "?"
        let inputs = try XCTUnwrap(c["inputs"] as? [String: Any]).mapValues(Fixtures.decodeTensor)
        let options = try XCTUnwrap(c["options"] as? [String: Any])
        let weights = try XCTUnwrap(options["weights"] as? [Any]).map { T(try Fixtures.number($0)) }
        func float(_ key: String) throws -> Tensor<T> { try XCTUnwrap(inputs[key]).converted(to: T.self) }
        let labels = try Tensor(shape: try XCTUnwrap(inputs["labels"]).shape, scalars: try XCTUnwrap(inputs["labels"]).doubles.map(Int.init))
        let logits = try float("logits")
        var total = LossComposition<T, String>()
        try total.add(crossEntropy(input: logits, target: labels, labelSmoothing: T(options["label_smoothing"] as? Double ?? 0)),
                      weight: weights[0], inputs: [.input: "logits"])
        switch c["recipe"] as? String {
        case "ce+distillation":
            let kd = try distillationLoss(input: logits, target: float("teacher"), temperature: T(try Fixtures.number(options["temperature"] as Any)))
            try total.add(kd, weight: weights[1], inputs: [.input: "logits"])
        case "ce+kl-div":
            let kl = try klDivergence(input: logits, target: float("teacher"), fromLogits: true, wrt: [.input])
            try total.add(kl, weight: weights[1], inputs: [.input: "logits"])
        case "ce+attention-target":
            let at = try attentionTargetLoss(input: float("attention"), target: float("trigger"), logLoss: options["log"] as? Bool ?? false)
            try total.add(at, weight: weights[1], inputs: [.input: "attention"])
        default:
            return XCTFail("\(name): unknown recipe \(String(describing: c["recipe"]))")
        }
        let tol = referenceTolerance(dtype: T.dtypeName, override: nil)
        let value = T(try Fixtures.number(c["value"] as Any))
        assertClose(DynamicTensor(total.value), DynamicTensor(Tensor(value)), rtol: tol.rtol, atolScale: tol.atolScale, "\(name) value")
        let grads = try XCTUnwrap(c["grads"] as? [String: Any]).mapValues(Fixtures.decodeTensor)
        XCTAssertEqual(Set(grads.keys), Set(total.gradients.keys), name)
        for (key, expected) in grads {
            guard let g = total.gradients[key] else { continue }
            assertClose(DynamicTensor(g), expected, rtol: tol.rtol, atolScale: tol.atolScale, "\(name) grad.\(key)")
        }
    }
}

/// Reading Fixtures/training.json (its own format; see scripts/fixtures/training.py).
enum TrainingFixtures {
    static func section(_ key: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: Fixtures.directory.appendingPathComponent("training.json"))
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try XCTUnwrap(doc[key] as? [[String: Any]], "no section \(key) in training.json")
    }

    static func tensors<T: LossScalar>(_ any: Any?) throws -> [Tensor<T>] {
        try XCTUnwrap(any as? [Any]).map { try Fixtures.decodeTensor($0).converted(to: T.self) }
    }

    static func schedule(_ c: [String: Any]) throws -> LearningRateSchedule {
        func number(_ key: String) throws -> Double { try Fixtures.number(try XCTUnwrap(c[key], key)) }
        func integer(_ key: String) throws -> Int { try XCTUnwrap(c[key] as? Int, key) }
        switch c["kind"] as? String {
        case "warmup-constant":
            return try .warmupConstant(initialValue: number("initial"), peakValue: number("peak"), warmupSteps: integer("warmup"))
        case "linear":
            return try .linear(initialValue: number("initial"), endValue: number("end"), steps: integer("steps_count"))
        case "warmup-linear-decay":
            return try .warmupLinearDecay(
                initialValue: number("initial"), peakValue: number("peak"), warmupSteps: integer("warmup"),
                decaySteps: integer("decay_steps"), endValue: number("end"))
        case "warmup-cosine-decay":
            return try .warmupCosineDecay(
                initialValue: number("initial"), peakValue: number("peak"), warmupSteps: integer("warmup"),
                decaySteps: integer("decay_steps"), endValue: number("end"), exponent: number("exponent"))
        case "cosine-decay":
            return try .cosineDecay(
                initialValue: number("initial"), decaySteps: integer("decay_steps"), alpha: number("alpha"),
                exponent: number("exponent"))
        default:
            throw FixtureError("unknown schedule kind \(String(describing: c["kind"]))")
        }
    }
}
