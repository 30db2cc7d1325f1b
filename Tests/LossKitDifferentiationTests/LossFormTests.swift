#if canImport(_Differentiation)
import _Differentiation
import XCTest
import LossKitDifferentiation

/// The differentiable forms against the throwing core functions they wrap: the value and, for a
/// cotangent c, c times the core's fused gradient, bit for bit; one form of each family and of
/// each kind of `.none` layout.
final class LossFormTests: XCTestCase {
    var rng = Seeded(state: 11)

    /// `form`'s value and pullback of `c` equal the core's value and c·gradient.
    func check(
        _ what: String, at x: Tensor<Double>, cotangent c: Double = 2.5,
        form: @differentiable(reverse) (Tensor<Double>) -> Tensor<Double>,
        core: (Tensor<Double>) throws -> (Tensor<Double>, Tensor<Double>),
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let (value, pullback) = valueWithPullback(at: x, of: form)
        let (coreValue, coreGradient) = try core(x)
        XCTAssertEqual(value.scalars, coreValue.scalars, "\(what) value", file: file, line: line)
        XCTAssertEqual(pullback(Tensor(c)).scalars, coreGradient.scalars.map { $0 * c }, "\(what) gradient", file: file, line: line)
    }

    func testFormsEqualTheCoreFunctions() throws {
        let x = rng.tensor([4, 3]), y = rng.tensor([4, 3])
        let positive = try Tensor(shape: [4, 3], scalars: rng.tensor([4, 3]).scalars.map { $0 * $0 + 0.1 })
        try check("gaussian-nll variance", at: positive,
                  form: { v in Losses.gaussianNegativeLogLikelihood(input: x, target: y, variance: v) },
                  core: { v in let r = try gaussianNegativeLogLikelihood(input: x, target: y, variance: v, wrt: [.variance]); return (r.value, r.gradients[.variance]!) })
        let probabilities = try softmax(y, axis: 1)
        try check("bce-with-logits", at: x,
                  form: { x in Losses.binaryCrossEntropyWithLogits(input: x, target: probabilities) },
                  core: { x in let r = try binaryCrossEntropyWithLogits(input: x, target: probabilities, wrt: [.input]); return (r.value, r.gradients[.input]!) })
        let logP = try logSoftmax(x, axis: 1)
        try check("kl-div target", at: probabilities,
                  form: { t in Losses.klDivergence(input: logP, target: t) },
                  core: { t in let r = try klDivergence(input: logP, target: t, wrt: [.target]); return (r.value, r.gradients[.target]!) })
        try check("vae-kl", at: x,
                  form: { m in Losses.vaeKLDivergence(mean: m, logVariance: y) },
                  core: { m in let r = try vaeKLDivergence(mean: m, logVariance: y, wrt: [.mean]); return (r.value, r.gradients[.mean]!) })
        let masks = try Tensor(shape: [2, 2, 3], scalars: (0..<12).map { Int32($0 % 2) })
        let logits = rng.tensor([2, 2, 2, 3])
        try check("dice", at: logits,
                  form: { x in Losses.diceLoss(input: x, target: masks) },
                  core: { x in let r = try diceLoss(input: x, target: masks); return (r.value, r.gradients[.input]!) })
        let boxes = try Tensor(shape: [2, 4], scalars: [0, 0, 2, 2, 1, 1, 3, 4] as [Double])
        let other = try Tensor(shape: [2, 4], scalars: [0.5, 0.2, 2.5, 2.1, 1, 0.5, 2, 3] as [Double])
        try check("giou", at: boxes,
                  form: { b in Losses.generalizedBoxIoULoss(input: b, target: other, reduction: .sum) },
                  core: { b in let r = try generalizedBoxIoULoss(input: b, target: other, reduction: .sum, wrt: [.input]); return (r.value, r.gradients[.input]!) })
        let pairs = Tensor([1, 0, 1, 0] as [Double])
        try check("contrastive", at: x,
                  form: { a in Losses.contrastiveLoss(input1: a, input2: y, target: pairs) },
                  core: { a in let r = try contrastiveLoss(input1: a, input2: y, target: pairs, wrt: [.input1]); return (r.value, r.gradients[.input1]!) })
        try check("clip", at: x,
                  form: { a in Losses.clipLoss(input1: a, input2: y) },
                  core: { a in let r = try clipLoss(input1: a, input2: y, wrt: [.input1]); return (r.value, r.gradients[.input1]!) })
        let w = rng.tensor([5, 3]), bias = rng.tensor([5]), labels = Tensor([0, 4, 2, 1] as [Int])
        try check("linear-cross-entropy weight", at: w,
                  form: { w in Losses.linearCrossEntropy(input: x, weight: w, target: labels, bias: bias) },
                  core: { w in let r = try linearCrossEntropy(input: x, weight: w, target: labels, bias: bias, wrt: [.weight]); return (r.value, r.gradients[.weight]!) })
        try check("ppo-clip", at: x,
                  form: { x in Losses.ppoClipLoss(input: x, old: y, advantages: probabilities) },
                  core: { x in let r = try ppoClipLoss(input: x, old: y, advantages: probabilities); return (r.value, r.gradients[.input]!) })
    }

    func testAllArgumentDerivativesReturnEveryGradient() throws {
        let x = rng.tensor([3, 4]), y = rng.tensor([3, 4])
        let v = try Tensor(shape: [3, 4], scalars: rng.tensor([3, 4]).scalars.map { $0 * $0 + 0.2 })
        let (value, pullback) = valueWithPullback(at: x, y, v) { x, y, v in
            Losses.gaussianNegativeLogLikelihood(input: x, target: y, variance: v, full: true)
        }
        let core = try gaussianNegativeLogLikelihood(input: x, target: y, variance: v, full: true)
        XCTAssertEqual(value.scalars, core.value.scalars)
        let (gx, gy, gv) = pullback(Tensor(1))
        XCTAssertEqual(gx.scalars, core.gradients[.input]!.scalars)
        XCTAssertEqual(gy.scalars, core.gradients[.target]!.scalars)
        XCTAssertEqual(gv.scalars, core.gradients[.variance]!.scalars)
    }

    func testPerPositionAndPerSampleNoneCotangents() throws {
        // K-dimensional cross-entropy [N, C, L] → [N, L] and triplet [N, D] → [N] with .none.
        let x = rng.tensor([2, 3, 2]), labels = try Tensor(shape: [2, 2], scalars: [0, 2, 1, 1] as [Int32])
        let c = rng.tensor([2, 2])
        let g = gradient(at: x) { x in (Losses.crossEntropy(input: x, target: labels, reduction: .none) * c).sum() }
        let numeric = numericalGradient(x) { x in
            zip((try! crossEntropy(input: x, target: labels, reduction: .none, wrt: [])).value.scalars, c.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        }
        assertMatches(g, numeric, "cross-entropy [N, C, L] none")
        let a = rng.tensor([3, 4]), p = rng.tensor([3, 4]), n = rng.tensor([3, 4]), w = rng.tensor([3])
        let gt = gradient(at: a) { a in (Losses.tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 3, reduction: .none) * w).sum() }
        let nt = numericalGradient(a) { a in
            zip((try! tripletMarginLoss(anchor: a, positive: p, negative: n, margin: 3, reduction: .none, wrt: [])).value.scalars, w.scalars)
                .reduce(0) { $0 + $1.0 * $1.1 }
        }
        assertMatches(gt, nt, "triplet none")
    }
}
#endif
