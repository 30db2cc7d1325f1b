import Dispatch
import XCTest
@testable import LossKit
@testable import LossKitCLI

/// Many callers at once: every catalog loss, called from 8 threads at the same time, many times,
/// gives bitwise the result of the same call made alone. The library has process-wide state (the
/// reuse pool of large result buffers, the thread setting read by the parallel kernels), and large
/// calls run their own parallel chunks inside each caller's thread; none of it may leak between
/// concurrent calls. Run under ThreadSanitizer with
/// `swift test --sanitize=thread --disable-swift-testing --filter ConcurrencyTests`.
final class ConcurrencyTests: XCTestCase {
    /// One call: a catalog id with its inputs and options, evaluated through the CLI's path.
    struct Call: @unchecked Sendable {
        let name: String
        let id: String
        let inputs: [String: DynamicTensor]
        let options: [String: String]
        let grad: [String]?
    }

    /// The value's and every gradient's bit patterns, in a fixed order.
    static func bits(_ out: EvaluationOutput) -> [[UInt64]] {
        [bits(out.value)] + out.gradients.sorted { $0.name < $1.name }.map { bits($0.tensor) }
    }

    static func bits(_ t: DynamicTensor) -> [UInt64] {
        switch t {
        case .float32(let x): x.scalars.map { UInt64($0.bitPattern) }
        case .float64(let x): x.scalars.map(\.bitPattern)
        case .int32(let x): x.scalars.map { UInt64(bitPattern: Int64($0)) }
        case .int64(let x): x.scalars.map { UInt64(bitPattern: $0) }
        case .bool(let x): x.scalars.map { $0 ? 1 : 0 }
        }
    }

    /// The first fixture case of every (catalog id, dtype): every loss in both precisions, kept to
    /// one call each so that 8 × rounds passes stay a few seconds in a debug build.
    func fixtureCalls() throws -> [Call] {
        var seen = Set<String>()
        return try CatalogTests.families.flatMap { try Fixtures.load($0).cases }.compactMap { c in
            guard seen.insert("\(c.loss) \(c.dtype)").inserted else { return nil }
            return Call(name: c.name, id: c.loss, inputs: c.inputs, options: c.options, grad: c.grad)
        }
    }

    /// Calls large enough to run the kernels' own parallel chunks and to take and return buffers of
    /// the large-result reuse pool, so concurrent callers contend for both.
    func largeCalls() throws -> [Call] {
        var g = SplitMix64(state: 0x5EED_0008)
        func floats(_ shape: [Int], _ low: Double = -3, _ high: Double = 3) throws -> DynamicTensor {
            let n = shape.reduce(1, *)
            return .float32(try Tensor(shape: shape, scalars: (0..<n).map { _ in Float(g.uniform(low, high)) }))
        }
        func labels(_ n: Int, classes: Int) -> DynamicTensor {
            .int64(Tensor((0..<n).map { _ in Int64(g.next() % UInt64(classes)) }))
        }
        let n = 4 * Parallelism.grain + 777  // 5 parallel blocks, the last one partial
        let pooled = ResultMemory.largeSize / 4 + 777  // a result of the reuse pool's size
        let (rows, classes) = (520, 300)
        return [
            Call(name: "large bce-with-logits", id: "bce-with-logits",
                 inputs: ["input": try floats([n]), "target": try floats([n], 0, 1)], options: [:], grad: nil),
            Call(name: "pool-sized mse none", id: "mse",
                 inputs: ["input": .float32(try Tensor(shape: [pooled], repeating: 0.75)),
                          "target": .float32(try Tensor(shape: [pooled], repeating: -0.5))],
                 options: ["reduction": "none"], grad: nil),
            Call(name: "large sigmoid-focal", id: "sigmoid-focal",
                 inputs: ["input": try floats([n]), "target": try floats([n], 0, 1)], options: [:], grad: nil),
            Call(name: "large cross-entropy", id: "cross-entropy",
                 inputs: ["input": try floats([rows, classes]), "target": labels(rows, classes: classes)],
                 options: ["label-smoothing": "0.1"], grad: nil),
            Call(name: "large kl-div", id: "kl-div",
                 inputs: ["input": try floats([rows, classes]), "target": try floats([rows, classes])],
                 options: ["log-target": "true", "reduction": "batchmean"], grad: nil),
            Call(name: "large triplet", id: "triplet",
                 inputs: ["anchor": try floats([rows, 128]), "positive": try floats([rows, 128]),
                          "negative": try floats([rows, 128])], options: [:], grad: nil),
        ]
    }

    func testEveryLossGivesTheSameBitsWhenCalledFromEightThreadsAtOnce() throws {
        let calls = try fixtureCalls() + largeCalls()
        // Fixtures may name a loss by its alias (mae = l1): compare the catalog ids they resolve to.
        let called = Set(calls.compactMap { Catalog.entry(named: $0.id)?.id })
        XCTAssertEqual(called, Set(Catalog.entries.map { $0.id }), "every catalog id is called")
        let expected = try calls.map { c in
            Self.bits(try Evaluator.evaluate(id: c.id, inputs: c.inputs, options: c.options, gradients: c.grad))
        }
        let threads = 8, rounds = 1
        // Each thread walks the calls from its own offset, so different losses run side by side.
        let mismatches = Mismatches()
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for round in 0..<rounds {
                for k in 0..<calls.count {
                    let i = (k + t * calls.count / threads + round) % calls.count
                    let c = calls[i]
                    do {
                        let out = try Evaluator.evaluate(id: c.id, inputs: c.inputs, options: c.options, gradients: c.grad)
                        if Self.bits(out) != expected[i] { mismatches.add("\(c.name) on thread \(t), round \(round)") }
                    } catch {
                        mismatches.add("\(c.name) on thread \(t), round \(round): threw \(error)")
                    }
                }
            }
        }
        let found = mismatches.list
        XCTAssertTrue(found.isEmpty, "\(found.count) of \(threads * rounds * calls.count) concurrent calls differ from the "
            + "sequential result, e.g. " + found.prefix(5).joined(separator: "; "))
    }
}

/// A thread-safe list of failures (XCTest assertions are not made from worker threads).
private final class Mismatches: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var list: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
