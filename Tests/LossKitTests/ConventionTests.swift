import XCTest
import Dispatch
@testable import LossKit

/// The API convention of Conventions.md, checked where it is a behaviour: `nil` for "no ignored
/// label" and "no α", `batchmean` only where it is defined, a thread-safe process setting.
final class ConventionTests: XCTestCase {
    private func logits(_ n: Int, _ c: Int, seed: UInt64) throws -> Tensor<Double> {
        var rng = SplitMix64(state: seed)
        return try Tensor(shape: [n, c], scalars: (0..<n * c).map { _ in rng.uniform(-3, 3) })
    }

    func testNilIgnoreIndexIgnoresNoLabelAndRejectsTheDefaultSentinel() throws {
        let x = try logits(4, 3, seed: 1)
        let valid = Tensor([0, 2, 1, 2] as [Int64])
        let withDefault = try crossEntropy(input: x, target: valid)
        let withNil = try crossEntropy(input: x, target: valid, ignoreIndex: nil)
        XCTAssertEqual(withNil.scalar, withDefault.scalar)
        XCTAssertEqual(withNil.gradients[.input]?.scalars, withDefault.gradients[.input]?.scalars)

        let withIgnored = Tensor([0, -100, 1, 2] as [Int64])
        XCTAssertNoThrow(try crossEntropy(input: x, target: withIgnored))
        assertThrows(.labelOutOfRange(argument: "target", label: -100, classCount: 3, index: 1)) {
            try crossEntropy(input: x, target: withIgnored, ignoreIndex: nil)
        }
        // The kernels' stand-in for nil (Int.min) is never mistaken for a label: it is rejected.
        let extreme = Tensor([0, Int64.min, 1, 2])
        assertThrows(.labelOutOfRange(argument: "target", label: Int(Int64.min), classCount: 3, index: 1)) {
            try negativeLogLikelihood(input: x, target: extreme, ignoreIndex: nil)
        }
        for (name, loss) in [
            ("nll", { (i: Int?) throws(LossError) in try negativeLogLikelihood(input: x, target: valid, ignoreIndex: i) }),
            ("focal", { (i: Int?) throws(LossError) in try focalLoss(input: x, target: valid, ignoreIndex: i) }),
            ("poly1", { (i: Int?) throws(LossError) in try poly1CrossEntropy(input: x, target: valid, ignoreIndex: i) }),
        ] as [(String, (Int?) throws(LossError) -> LossResult<Double>)] {
            let a = try loss(-100), b = try loss(nil)
            XCTAssertEqual(a.scalar, b.scalar, name)
            XCTAssertEqual(a.gradients[.input]?.scalars, b.gradients[.input]?.scalars, name)
        }
    }

    func testNilAlphaIsNoWeighting() throws {
        let x = try logits(5, 4, seed: 2)
        let y = Tensor([3, 0, 1, 1, 2] as [Int32])
        let none = try focalLoss(input: x, target: y, alpha: nil)
        let one = try focalLoss(input: x, target: y, alpha: .uniform(1))
        XCTAssertEqual(none.scalar, one.scalar)
        XCTAssertEqual(none.gradients[.input]?.scalars, one.gradients[.input]?.scalars)

        // Sigmoid focal with γ = 0 and no α is bce-with-logits, element by element.
        let z = try Tensor(shape: [20], scalars: x.scalars)
        let t = Tensor((0..<20).map { Double($0 % 3 == 0 ? 1 : 0) })
        let focal = try sigmoidFocalLoss(input: z, target: t, alpha: nil, gamma: 0, reduction: .none)
        let bce = try binaryCrossEntropyWithLogits(input: z, target: t, reduction: .none)
        assertClose(focal.value, bce.value, rtol: 1e-14, "sigmoid focal γ=0 vs bce-with-logits")
        // The reference's sentinel (a negative α) is not a Swift value.
        assertThrows(.invalidOption(name: "alpha", value: "-1.0", expected: "a number in [0, 1], or nil for no α weighting")) {
            try sigmoidFocalLoss(input: z, target: t, alpha: -1)
        }
    }

    func testBatchmeanIsRejectedWhereItIsNotDefined() throws {
        let x = try logits(4, 3, seed: 3), y = try logits(4, 3, seed: 4)
        let labels = Tensor([0, 1, 2, 0] as [Int])
        let rejected: [(String, () throws(LossError) -> LossResult<Double>)] = [
            ("mse", { () throws(LossError) in try meanSquaredError(input: x, target: y, reduction: .batchmean) }),
            ("huber", { () throws(LossError) in try huberLoss(input: x, target: y, reduction: .batchmean) }),
            ("cross-entropy", { () throws(LossError) in try crossEntropy(input: x, target: labels, reduction: .batchmean) }),
            ("gaussian-nll", { () throws(LossError) in
                try gaussianNegativeLogLikelihood(input: x, target: y, variance: Tensor(shape: [4, 3], repeating: 1), reduction: .batchmean) }),
            ("vae-kl", { () throws(LossError) in try vaeKLDivergence(mean: x, logVariance: y, reduction: .batchmean) }),
            ("triplet", { () throws(LossError) in try tripletMarginLoss(anchor: x, positive: y, negative: x, reduction: .batchmean) }),
        ]
        for (name, loss) in rejected {
            XCTAssertThrowsError(try loss(), name) { error in
                guard case .invalidOption(name: "reduction", value: "batchmean", _)? = error as? LossError else {
                    return XCTFail("\(name): \(error)")
                }
            }
        }
        let p = try softmax(x, axis: 1), q = try softmax(y, axis: 1)
        XCTAssertNoThrow(try klDivergence(input: p, target: q, reduction: .batchmean))
        XCTAssertNoThrow(try jensenShannonDivergence(input: p, target: q, reduction: .batchmean))
    }

    func testMaximumThreadsCanBeSetFromAnyThreadWhileKernelsRun() throws {
        let x = try logits(1024, 64, seed: 5)  // above the parallel grain
        let y = Tensor((0..<1024).map { Int32($0 % 64) })
        let saved = Parallelism.maximumThreads
        defer { Parallelism.maximumThreads = saved }
        let expected = try crossEntropy(input: x, target: y)
        let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: 16)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            if i % 2 == 0 {
                Parallelism.maximumThreads = i % 4 + 1
                out[i] = Double(Parallelism.maximumThreads)
            } else {
                out[i] = (try? crossEntropy(input: x, target: y).scalar) ?? .nan
            }
        }
        for i in stride(from: 1, to: 16, by: 2) { XCTAssertEqual(results[i], expected.scalar, "call \(i)") }
        for i in stride(from: 0, to: 16, by: 2) { XCTAssertTrue((1...4).contains(Int(results[i])), "setter \(i)") }
        Parallelism.maximumThreads = -3
        XCTAssertEqual(Parallelism.maximumThreads, 0)
    }
}
