import RealModule
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Family D, box regression (box-iou, giou, diou, ciou). The reference values come from
/// scripts/fixtures/detection.py (torchvision 0.29); the tests here pin the edge cases,
/// properties and errors of LOSSES.md.
final class DetectionTests: XCTestCase {
    static let ids = ["box-iou", "giou", "diou", "ciou"]

    // MARK: Reference and finite differences

    func testValuesAndGradientsMatchTorchvision() throws {
        XCTAssertGreaterThan(try replayFixtures("detection"), 70)
    }

    func testGradientsMatchFiniteDifferences() throws {
        // CIoU's gradient holds α constant (torchvision's no_grad), so it is not the derivative of
        // its value: the shared check leaves it out, and it is checked below with α frozen.
        var checked = try checkFiniteDifferences("detection", excluding: ["ciou"])
        for c in try Fixtures.load("detection").cases where c.dtype == "float64" && c.loss == "ciou" {
            guard case .float64(let p)? = c.inputs["input"], case .float64(let q)? = c.inputs["target"] else { continue }
            let eps = Double(c.options["eps"] ?? "1e-7")!
            let reduction = Reduction(rawValue: c.options["reduction"] ?? "none")!
            let r = try completeBoxIoULoss(input: p, target: q, eps: eps, reduction: reduction)
            // Central differences of DIoU + α₀·v with α₀ frozen at the point (the reference's no_grad).
            let alpha0 = try Self.ciouAlpha(p, q, eps: eps)
            let scale = reduction == .mean ? 1 / Double(max(1, p.count / 4)) : 1
            checked += try assertGradientsMatchCentralDifferences(p, q, r, c.name) { a, b in
                let diou = try distanceBoxIoULoss(input: a, target: b, reduction: .none, wrt: []).value.scalars
                let v = Self.aspectTerm(a, b)
                return scale * zip(diou, zip(alpha0, v)).map { $0 + $1.0 * $1.1 }.reduce(0, +)
            }
        }
        XCTAssertGreaterThan(checked, 300)
    }

    func testEveryBoxLossIdResolves() {
        XCTAssertEqual(Catalog.detection.map { $0.id }, Self.ids)
        for id in Self.ids { XCTAssertNotNil(Catalog.entry(named: id), id) }
    }

    func testDefaultReductionIsNoneLikeTorchvision() throws {
        let (p, t) = Self.sampleBoxes(Double.self, count: 3, seed: 1)
        for id in Self.ids {
            let out = try Evaluator.evaluate(id: id, inputs: ["input": .float64(p), "target": .float64(t)], options: [:])
            XCTAssertEqual(out.value.shape, [3], id)
        }
    }

    // MARK: Worked examples (exact arithmetic)

    func testIoULossOfTwoUnitOverlapsIsOneMinusOneSeventh() throws {
        // I = 1, U = 4 + 4 − 1 = 7; ∂ℓ/∂x₁ = I/(U + eps)²·h = 2/49 (the input's area shrinks).
        let a = try Tensor(shape: [1, 4], scalars: [0, 0, 2, 2] as [Double])
        let b = try Tensor(shape: [1, 4], scalars: [1, 1, 3, 3] as [Double])
        let r = try boxIoULoss(input: a, target: b)
        XCTAssertEqual(r.value.scalars[0], 1 - 1 / (7 + 1e-7), accuracy: 1e-15)
        let g = try XCTUnwrap(r.gradients[.input]).scalars
        // x₁: area term −2/49; x₂: area term +2/49, intersection term −(1/7 + 1/49)·1 (x₂ < x̂₂).
        XCTAssertEqual(g[0], -2 / 49, accuracy: 1e-8)
        XCTAssertEqual(g[2], 2 / 49 - 8 / 49, accuracy: 1e-8)
    }

    func testGIoUAndDIoUOfDisjointUnitBoxes() throws {
        // C = 3, U = 2: giou = 1 + 1/3; ρ² = 4, c² = 9 + 1: diou = 1 + 0.4.
        let a = try Tensor(shape: [1, 4], scalars: [0, 0, 1, 1] as [Double])
        let b = try Tensor(shape: [1, 4], scalars: [2, 0, 3, 1] as [Double])
        XCTAssertEqual(try generalizedBoxIoULoss(input: a, target: b).value.scalars[0], 1 + (3 - 2) / (3 + 1e-7), accuracy: 1e-15)
        XCTAssertEqual(try distanceBoxIoULoss(input: a, target: b).value.scalars[0], 1 + 4 / (10 + 1e-7), accuracy: 1e-15)
    }

    func testCIoUAddsAlphaTimesAspectTerm() throws {
        let a = try Tensor(shape: [1, 4], scalars: [0, 0, 2, 1] as [Double])
        let b = try Tensor(shape: [1, 4], scalars: [0, 0, 1, 1] as [Double])
        let iou = 1 / (2 + 1e-7)
        let v = 4 / (Double.pi * Double.pi) * pow(atan(1.0) - atan(2.0), 2)
        let alpha = v / (1 - iou + v + 1e-7)
        let diou = 1 - iou + 0.25 / (5 + 1e-7)
        XCTAssertEqual(try completeBoxIoULoss(input: a, target: b).value.scalars[0], diou + alpha * v, accuracy: 1e-14)
    }

    // MARK: Properties

    func testIdenticalBoxesGiveZeroUpToEpsForEveryLoss() throws {
        try forEachLossAndDtype { id, T in try identicalBoxesGiveZero(id, T) }
    }

    func testLossesAreSymmetricAndGradientsSwap() throws {
        // torchvision: "This loss is symmetric, so the boxes1 and boxes2 arguments are interchangeable."
        let (p, t) = Self.sampleBoxes(Double.self, count: 7, seed: 3)
        for id in Self.ids {
            let ab = try Evaluator.evaluate(id: id, inputs: ["input": .float64(p), "target": .float64(t)], options: [:])
            let ba = try Evaluator.evaluate(id: id, inputs: ["input": .float64(t), "target": .float64(p)], options: [:])
            let tolerance = 1e-12
            if id == "ciou" {
                // α and v are symmetric, the IoU and DIoU terms too
                for (x, y) in zip(ab.value.doubles, ba.value.doubles) { XCTAssertEqual(x, y, accuracy: tolerance, id) }
            } else {
                XCTAssertEqual(ab.value.doubles, ba.value.doubles, id)
            }
            let gab = Dictionary(uniqueKeysWithValues: ab.gradients.map { ($0.name, $0.tensor.doubles) })
            let gba = Dictionary(uniqueKeysWithValues: ba.gradients.map { ($0.name, $0.tensor.doubles) })
            for (x, y) in zip(gab["input"]!, gba["target"]!) { XCTAssertEqual(x, y, accuracy: tolerance, id) }
        }
    }

    func testLossesAreScaleInvariantAwayFromEps() throws {
        let (p, t) = Self.sampleBoxes(Double.self, count: 5, seed: 4)
        let k = 37.5
        let ps = try Tensor(shape: p.shape, scalars: p.scalars.map { $0 * k })
        let ts = try Tensor(shape: t.shape, scalars: t.scalars.map { $0 * k })
        for id in Self.ids {
            let a = try Evaluator.evaluate(id: id, inputs: ["input": .float64(p), "target": .float64(t)], options: ["eps": "0"])
            let b = try Evaluator.evaluate(id: id, inputs: ["input": .float64(ps), "target": .float64(ts)], options: ["eps": "0"])
            // ciou keeps torchvision's fixed 1e-7 inside the IoU and c²
            let tolerance = id == "ciou" ? 1e-7 : 1e-13
            for (x, y) in zip(a.value.doubles, b.value.doubles) { XCTAssertEqual(x, y, accuracy: tolerance, id) }
        }
    }

    func testGIoUEqualsIoULossWhenTheUnionIsTheEnclosingBox() throws {
        // One box inside the other: C = U, the penalty vanishes.
        let outer = try Tensor(shape: [2, 4], scalars: [0, 0, 4, 4, 1, 1, 5, 2] as [Double])
        let inner = try Tensor(shape: [2, 4], scalars: [1, 1, 2, 3, 2, 1.25, 3, 1.5] as [Double])
        let g = try generalizedBoxIoULoss(input: inner, target: outer).value.scalars
        let i = try boxIoULoss(input: inner, target: outer).value.scalars
        for (x, y) in zip(g, i) { XCTAssertEqual(x, y, accuracy: 1e-12) }
    }

    func testDIoUEqualsIoULossForConcentricBoxesAndCIoUEqualsDIoUForEqualAspectRatios() throws {
        let a = try Tensor(shape: [2, 4], scalars: [0, 0, 4, 2, -1, -1, 1, 1] as [Double])
        let b = try Tensor(shape: [2, 4], scalars: [1, -1, 3, 3, -2, -2, 2, 2] as [Double])  // same centers
        let d = try distanceBoxIoULoss(input: a, target: b).value.scalars
        let i = try boxIoULoss(input: a, target: b).value.scalars
        for (x, y) in zip(d, i) { XCTAssertEqual(x, y, accuracy: 1e-15) }
        // second pair: squares (aspect 1 both): v = 0
        let c = try completeBoxIoULoss(input: a, target: b).value.scalars
        XCTAssertEqual(c[1], d[1], accuracy: 1e-15)
    }

    func testSumOfNoneEqualsSumAndMeanGradientIsSumGradientOverN() throws {
        let (p, t) = Self.sampleBoxes(Double.self, count: 9, seed: 5)
        for id in Self.ids {
            let inputs: [String: DynamicTensor] = ["input": .float64(p), "target": .float64(t)]
            let none = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "none"])
            let sum = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "sum"])
            let mean = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "mean"])
            XCTAssertEqual(none.value.doubles.reduce(0, +), sum.value.doubles[0], accuracy: 1e-12, id)
            XCTAssertEqual(mean.value.doubles[0] * 9, sum.value.doubles[0], accuracy: 1e-12, id)
            for (gs, gm) in zip(sum.gradients, mean.gradients) {
                for (x, y) in zip(gs.tensor.doubles, gm.tensor.doubles) { XCTAssertEqual(x / 9, y, accuracy: 1e-15, id) }
            }
        }
    }

    func testLargeBatchSplitOverThreadsMatchesRowByRow() throws {
        // 20000 boxes: several parallel blocks; each box's loss and gradient must not depend on the split.
        let (p, t) = Self.sampleBoxes(Float.self, count: 20_000, seed: 6)
        for id in Self.ids {
            let all = try Evaluator.evaluate(id: id, inputs: ["input": .float32(p), "target": .float32(t)], options: [:])
            let gAll = all.gradients.first { $0.name == "input" }!.tensor.doubles
            for n in [0, 8191, 19_999] {
                let one = try Evaluator.evaluate(
                    id: id,
                    inputs: ["input": .float32(Tensor(shape: [1, 4], scalars: Array(p.scalars[4 * n ..< 4 * n + 4]))),
                             "target": .float32(Tensor(shape: [1, 4], scalars: Array(t.scalars[4 * n ..< 4 * n + 4])))],
                    options: [:])
                XCTAssertEqual(one.value.doubles[0], all.value.doubles[n], id)
                XCTAssertEqual(one.gradients.first { $0.name == "input" }!.tensor.doubles, Array(gAll[4 * n ..< 4 * n + 4]), id)
            }
        }
    }

    // MARK: Edge cases

    func testEmptyBatchGivesZeroMeanLikeTorchvision() throws {
        try forEachLossAndDtype { id, T in try emptyBatch(id, T) }
    }

    func testExtremeCoordinatesGiveFiniteValuesAndGradients() throws {
        try forEachLossAndDtype { id, T in try finiteAtExtremes(id, T) }
    }

    func testDisjointBoxesHaveNoIoUGradientButAPenaltyGradient() throws {
        let a = try Tensor(shape: [1, 4], scalars: [0, 0, 1, 1] as [Float])
        let b = try Tensor(shape: [1, 4], scalars: [3, 2, 4, 5] as [Float])
        XCTAssertEqual(try boxIoULoss(input: a, target: b).gradients[.input]?.scalars, [0, 0, 0, 0])
        for f in Self.functions(Float.self).dropFirst() {
            let g = try XCTUnwrap(f(a, b, 1e-7, .none, [.input]).gradients[.input]).scalars
            XCTAssertTrue(g.contains { $0 != 0 } && g.allSatisfy(\.isFinite), "\(g)")
        }
    }

    func testCIoUGradientIsFiniteForAZeroHeightBoxWhereTorchvisionGivesNaN() throws {
        // atan(w/h) at h = 0: the value is atan(±inf) = ±π/2 as in the reference; the gradient is
        // the limit from boxes of positive height, checked against h = 1e-9 (boxes apart, so the
        // intersection stays 0 on both sides).
        func grad(_ h: Double) throws -> [Double] {
            let a = try Tensor(shape: [1, 4], scalars: [0, 5, 2, 5 + h])
            let b = try Tensor(shape: [1, 4], scalars: [0.5, 0, 1.5, 2] as [Double])
            return try XCTUnwrap(completeBoxIoULoss(input: a, target: b).gradients[.input]).scalars
        }
        let atZero = try grad(0), near = try grad(1e-9)
        XCTAssertTrue(atZero.allSatisfy(\.isFinite), "\(atZero)")
        for (x, y) in zip(atZero, near) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }

    func testCIoUOfAPointBoxIsNaNLikeTheReference() throws {
        // zero width and zero height: no aspect ratio (atan(0/0)); torchvision gives NaN too.
        let a = try Tensor(shape: [1, 4], scalars: [1, 1, 1, 1] as [Double])
        let b = try Tensor(shape: [1, 4], scalars: [0, 0, 2, 2] as [Double])
        XCTAssertTrue(try completeBoxIoULoss(input: a, target: b).value.scalars[0].isNaN)
        // the three other losses are finite there
        XCTAssertEqual(try generalizedBoxIoULoss(input: a, target: b).value.scalars[0], 1 + 0, accuracy: 1e-6)
    }

    func testCIoUEpsEntersAlphaOnly() throws {
        // eps = 1 changes α but not the DIoU part (torchvision passes no eps to _diou_iou_loss).
        let a = try Tensor(shape: [1, 4], scalars: [0, 0, 2, 1] as [Double])
        let b = try Tensor(shape: [1, 4], scalars: [0, 0, 1, 1] as [Double])
        let diou = try distanceBoxIoULoss(input: a, target: b).value.scalars[0]
        let iou = 1 / (2 + 1e-7)
        let v = 4 / (Double.pi * Double.pi) * pow(atan(1.0) - atan(2.0), 2)
        let c = try completeBoxIoULoss(input: a, target: b, eps: 1).value.scalars[0]
        XCTAssertEqual(c, diou + v / (1 - iou + v + 1) * v, accuracy: 1e-14)
    }

    func testTiedCornersSplitTheGradientHalfAndHalf() throws {
        // identical boxes in box-iou: every corner is a tie of max/min, each box gets half of the
        // intersection's gradient, and input and target gradients are equal.
        let a = try Tensor(shape: [1, 4], scalars: [0, 0, 2, 3] as [Double])
        let r = try boxIoULoss(input: a, target: a, eps: 0.5)
        let gi = try XCTUnwrap(r.gradients[.input]).scalars, gt = try XCTUnwrap(r.gradients[.target]).scalars
        XCTAssertEqual(gi, gt)
        // ℓ = 1 − I/(U + ε) with I = U = 6: ∂ℓ/∂x₂ = ½·3·(−1/6.5 − 6/6.5²) + 3·6/6.5²
        let throughIntersection: Double = 0.5 * 3 * (-1 / 6.5 - 6 / 42.25)
        let throughArea: Double = 3 * 6 / 42.25
        XCTAssertEqual(gi[2], throughIntersection + throughArea, accuracy: 1e-14)
    }

    func testValueOnlyAndSingleArgumentGradients() throws {
        let (p, t) = Self.sampleBoxes(Double.self, count: 3, seed: 8)
        for f in Self.functions(Double.self) {
            XCTAssertTrue(try f(p, t, 1e-7, .mean, []).gradients.isEmpty)
            XCTAssertEqual(Set(try f(p, t, 1e-7, .mean, [.target]).gradients.keys), [.target])
            let full = try f(p, t, 1e-7, .sum, [.input, .target])
            XCTAssertEqual(try f(p, t, 1e-7, .sum, [.target]).gradients[.target], full.gradients[.target])
        }
    }

    // MARK: Errors

    func testInputThatIsNotBoxesIsRejected() {
        let bad = try! Tensor(shape: [2, 3], scalars: [Float](repeating: 0, count: 6))
        for id in Self.ids {
            XCTAssertThrowsError(try Evaluator.evaluate(id: id, inputs: ["input": .float32(bad), "target": .float32(bad)], options: [:])) { e in
                XCTAssertEqual(e as? LossError, .invalidShape(argument: "input", shape: [2, 3], reason: "expected boxes [N, 4] of (x1, y1, x2, y2)"), id)
            }
        }
        XCTAssertThrowsError(try boxIoULoss(input: Tensor<Float>(1), target: Tensor<Float>(1))) { e in
            XCTAssertEqual(e as? LossError, .invalidShape(argument: "input", shape: [], reason: "expected boxes [N, 4] of (x1, y1, x2, y2)"))
        }
    }

    func testTargetOfAnotherShapeIsRejected() {
        let (p, _) = Self.sampleBoxes(Float.self, count: 3, seed: 9)
        let (t, _) = Self.sampleBoxes(Float.self, count: 2, seed: 9)
        for id in Self.ids {
            XCTAssertThrowsError(try Evaluator.evaluate(id: id, inputs: ["input": .float32(p), "target": .float32(t)], options: [:])) { e in
                XCTAssertEqual(e as? LossError, .shapeMismatch(argument: "target", expected: [3, 4], actual: [2, 4]), id)
            }
        }
    }

    func testNegativeOrNonFiniteEpsIsRejected() {
        let (p, t) = Self.sampleBoxes(Double.self, count: 2, seed: 10)
        for id in Self.ids {
            for eps in ["-1e-07", "nan", "inf"] {
                XCTAssertThrowsError(try Evaluator.evaluate(id: id, inputs: ["input": .float64(p), "target": .float64(t)], options: ["eps": eps])) { e in
                    guard case .invalidOption(name: "eps", value: _, expected: "a finite number ≥ 0")? = e as? LossError else {
                        return XCTFail("\(id) eps=\(eps): \(e)")
                    }
                }
            }
        }
    }

    func testBatchmeanIsRejected() {
        let (p, t) = Self.sampleBoxes(Float.self, count: 2, seed: 11)
        for id in Self.ids {
            XCTAssertThrowsError(try Evaluator.evaluate(id: id, inputs: ["input": .float32(p), "target": .float32(t)], options: ["reduction": "batchmean"])) { e in
                XCTAssertEqual(e as? LossError, .invalidOption(name: "reduction", value: "batchmean", expected: "one of none, mean, sum"), id)
            }
        }
    }

    // MARK: Helpers

    /// CIoU's α per box pair, as torchvision forms it (IoU with eps 1e-7).
    static func ciouAlpha(_ p: Tensor<Double>, _ q: Tensor<Double>, eps: Double) throws -> [Double] {
        let iou = try boxIoULoss(input: p, target: q, wrt: []).value.scalars.map { 1 - $0 }
        return zip(iou, aspectTerm(p, q)).map { iou, v in v / (1 - iou + v + eps) }
    }

    /// CIoU's v = (4/π²)(atan(ŵ/ĥ) − atan(w/h))² per box pair.
    static func aspectTerm(_ p: Tensor<Double>, _ q: Tensor<Double>) -> [Double] {
        let a = p.scalars, b = q.scalars
        return stride(from: 0, to: a.count, by: 4).map { o in
            let d = atan((b[o + 2] - b[o]) / (b[o + 3] - b[o + 1])) - atan((a[o + 2] - a[o]) / (a[o + 3] - a[o + 1]))
            return 4 / (Double.pi * Double.pi) * d * d
        }
    }

    /// Compares the gradients of `result` with central differences of `f` for every coordinate of
    /// both box sets, skipping kinks (one-sided differences that disagree) and non-finite points.
    /// Returns the number of coordinates compared.
    private func assertGradientsMatchCentralDifferences(
        _ p: Tensor<Double>, _ q: Tensor<Double>, _ result: LossResult<Double>, _ name: String,
        _ f: (Tensor<Double>, Tensor<Double>) throws -> Double
    ) throws -> Int {
        var checked = 0
        for (argument, x) in [(LossArgument.input, p), (.target, q)] {
            let g = try XCTUnwrap(result.gradients[argument]).scalars
            for i in 0..<x.count {
                let h = 1e-6 * max(1, abs(x.scalars[i]))
                func at(_ d: Double) throws -> Double {
                    var s = x.scalars
                    s[i] += d
                    let moved = try Tensor(shape: x.shape, scalars: s)
                    return argument == .input ? try f(moved, q) : try f(p, moved)
                }
                let up = try at(h), down = try at(-h), mid = try at(0)
                guard up.isFinite, down.isFinite, mid.isFinite else { continue }
                let right = (up - mid) / h, left = (mid - down) / h
                if abs(right - left) > 1e-3 * max(1, abs(right), abs(left)) { continue }
                let fd = (up - down) / (2 * h)
                XCTAssertEqual(g[i], fd, accuracy: 1e-5 * max(1, abs(fd)), "\(name) grad.\(argument.rawValue)[\(i)]")
                checked += 1
            }
        }
        return checked
    }

    typealias BoxLoss<T: LossScalar> = (Tensor<T>, Tensor<T>, T, Reduction, Set<LossArgument>) throws -> LossResult<T>

    /// box-iou, giou, diou, ciou as plain functions.
    static func functions<T: LossScalar>(_: T.Type) -> [BoxLoss<T>] {
        let iou: BoxLoss<T> = { try boxIoULoss(input: $0, target: $1, eps: $2, reduction: $3, wrt: $4) }
        let giou: BoxLoss<T> = { try generalizedBoxIoULoss(input: $0, target: $1, eps: $2, reduction: $3, wrt: $4) }
        let diou: BoxLoss<T> = { try distanceBoxIoULoss(input: $0, target: $1, eps: $2, reduction: $3, wrt: $4) }
        let ciou: BoxLoss<T> = { try completeBoxIoULoss(input: $0, target: $1, eps: $2, reduction: $3, wrt: $4) }
        return [iou, giou, diou, ciou]
    }

    /// `count` valid pairs of boxes, overlapping or not.
    static func sampleBoxes<T: LossScalar>(_: T.Type, count: Int, seed: UInt64) -> (Tensor<T>, Tensor<T>) {
        var rng = SplitMix64(state: seed)
        func boxes() -> Tensor<T> {
            var s: [T] = []
            for _ in 0..<count {
                let x = rng.uniform(0, 4), y = rng.uniform(0, 4), w = rng.uniform(0.2, 3), h = rng.uniform(0.2, 3)
                s += [T(x), T(y), T(x + w), T(y + h)]
            }
            return try! Tensor(shape: [count, 4], scalars: s)
        }
        return (boxes(), boxes())
    }

    private func forEachLossAndDtype(_ body: (String, any LossScalar.Type) throws -> Void) rethrows {
        for id in Self.ids {
            for T in [Float.self, Double.self] as [any LossScalar.Type] { try body(id, T) }
        }
    }

    private func identicalBoxesGiveZero<T: LossScalar>(_ id: String, _: T.Type) throws {
        let (p, _) = Self.sampleBoxes(T.self, count: 4, seed: 2)
        let out = try Evaluator.evaluate(id: id, inputs: ["input": DynamicTensor(p), "target": DynamicTensor(p)], options: [:])
        // 1 − A/(A + 1e-7) with areas ≥ 0.04
        for v in out.value.doubles { XCTAssertEqual(v, 0, accuracy: T.self == Float.self ? 1e-6 : 1e-5, id) }
        for g in out.gradients { XCTAssertTrue(g.tensor.doubles.allSatisfy { abs($0) < 1e-5 }, "\(id) \(g.name) \(g.tensor.doubles)") }
    }

    private func emptyBatch<T: LossScalar>(_ id: String, _: T.Type) throws {
        let empty = DynamicTensor(try Tensor<T>(shape: [0, 4], scalars: []))
        let inputs = ["input": empty, "target": empty]
        XCTAssertEqual(try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "mean"]).value.doubles, [0], id)
        let s = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": "sum"])
        XCTAssertEqual(s.value.doubles, [0], id)
        for g in s.gradients { XCTAssertEqual(g.tensor.shape, [0, 4], id) }
        XCTAssertEqual(try Evaluator.evaluate(id: id, inputs: inputs, options: [:]).value.shape, [0], id)
    }

    private func finiteAtExtremes<T: LossScalar>(_ id: String, _: T.Type) throws {
        // ±1e4 coordinates: huge boxes, far-apart boxes, tiny boxes far from the origin.
        let p: [Double] = [-1e4, -1e4, 1e4, 1e4, -1e4, -1e4, -9999, -9999, 9999, 0, 1e4, 1, 0, 0, 1, 1]
        let t: [Double] = [-5e3, -1e4, 1e4, 5e3, 9999, 9999, 1e4, 1e4, 9999.5, 0.5, 10000.5, 1.5, 0, 0, 1e4, 1e4]
        let inputs = ["input": DynamicTensor(try Tensor(shape: [4, 4], scalars: p.map { T($0) })),
                      "target": DynamicTensor(try Tensor(shape: [4, 4], scalars: t.map { T($0) }))]
        for reduction in ["none", "mean", "sum"] {
            let out = try Evaluator.evaluate(id: id, inputs: inputs, options: ["reduction": reduction])
            XCTAssertTrue(out.value.doubles.allSatisfy(\.isFinite), "\(id) \(T.self) \(reduction): \(out.value.doubles)")
            for g in out.gradients {
                XCTAssertTrue(g.tensor.doubles.allSatisfy(\.isFinite), "\(id) \(T.self) grad.\(g.name): \(g.tensor.doubles)")
            }
        }
    }
}
