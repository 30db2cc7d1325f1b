import XCTest
@testable import LossKit

/// What the fast paths must not change: results in ``TensorBuffer`` storage behave like any
/// tensor (value semantics, copy-on-write, `scalars`, equality), their memory is aligned and
/// reused only when freed, and splitting work over threads never changes a bit of a result.
/// (No timing here: speed is measured by `scripts/benchmark.py`.)
final class PerformanceInvariantsTests: XCTestCase {
    override func tearDown() {
        Parallelism.maximumThreads = 0
        ResultMemory.reuseLimit = 256 << 20
        super.tearDown()
    }

    /// A loss result whose gradient lives in a kernel-allocated buffer.
    private func gradient(count: Int = 1000) throws -> Tensor<Float> {
        let x = Tensor<Float>((0..<count).map { Float($0 % 7) - 3 })
        let y = Tensor<Float>((0..<count).map { Float($0 % 5) })
        return try meanSquaredError(input: x, target: y, reduction: .sum, wrt: [.input]).gradients[.input]!
    }

    private func isBufferBacked<T>(_ t: Tensor<T>) -> Bool {
        if case .buffer = t.storage { return true }
        return false
    }

    private func address<T>(_ t: Tensor<T>) -> UInt {
        t.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    // MARK: Storage

    func testKernelResultsUseBufferStorageAndReadLikeArrays() throws {
        let g = try gradient()
        XCTAssertTrue(isBufferBacked(g))
        // d/dx Σ (x − y)² = 2·(x − y), exact in Float for these small integers.
        let expected: [Float] = (0..<1000).map { (i: Int) -> Float in
            let x = Float(i % 7) - 3, y = Float(i % 5)
            return 2 * (x - y)
        }
        XCTAssertEqual(g.count, 1000)
        XCTAssertEqual(g.shape, [1000])
        XCTAssertEqual(g.scalars, expected)
        g.withUnsafeBufferPointer { XCTAssertEqual(Array($0), expected) }
        XCTAssertEqual(g, Tensor(expected))  // equality across storage kinds
        XCTAssertEqual(Tensor(expected), g)
        XCTAssertEqual(g.scalar, nil)
        XCTAssertTrue(g.description.hasPrefix("Tensor(shape: [1000], ["))
    }

    func testMutatingAUniquelyOwnedBufferWritesInPlace() throws {
        var g = try gradient()
        let before = address(g)
        g.withUnsafeMutableBufferPointer { $0[0] = 42 }
        XCTAssertEqual(address(g), before)
        XCTAssertEqual(g.scalars[0], 42)
    }

    func testMutatingASharedBufferCopiesFirst() throws {
        let original = try gradient()
        let saved = original.scalars
        var copy = original
        XCTAssertEqual(address(copy), address(original))  // shared until written
        copy.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = -1 } }
        XCTAssertNotEqual(address(copy), address(original))
        XCTAssertEqual(original.scalars, saved)
        XCTAssertEqual(copy.scalars, [Float](repeating: -1, count: 1000))
        // The copy is now the unique owner of its new buffer: further writes stay in place.
        let copied = address(copy)
        copy.withUnsafeMutableBufferPointer { $0[1] = 7 }
        XCTAssertEqual(address(copy), copied)
    }

    func testMutatingABorrowedTensorCopiesIntoAnAlignedBuffer() throws {
        let storage: [Float] = [1, 2, 3, 4, 5]
        try storage.withUnsafeBufferPointer { b in
            var t = try Tensor(unsafeBorrowing: b, shape: [5])
            t.withUnsafeMutableBufferPointer { $0[4] = 0 }
            XCTAssertTrue(isBufferBacked(t))
            XCTAssertEqual(address(t) % 64, 0)
            XCTAssertEqual(t.scalars, [1, 2, 3, 4, 0])
        }
        XCTAssertEqual(storage, [1, 2, 3, 4, 5])
    }

    func testArrayTensorsStillMutateInPlaceAndThrowingBodiesKeepTheStorage() throws {
        var t = Tensor<Double>([1, 2, 3])
        t.withUnsafeMutableBufferPointer { $0[0] = 5 }
        XCTAssertEqual(t.scalars, [5, 2, 3])
        struct Failure: Error {}
        var g = try gradient()
        let saved = g.scalars
        XCTAssertThrowsError(try g.withUnsafeMutableBufferPointer { (_: inout UnsafeMutableBufferPointer<Float>) throws -> Void in throw Failure() })
        XCTAssertEqual(g.scalars, saved)
        XCTAssertTrue(isBufferBacked(g))
    }

    func testEmptyResultsHaveNoElements() throws {
        let empty = Tensor<Float>([Float]())
        let r = try binaryCrossEntropyWithLogits(input: empty, target: empty, reduction: .none)
        XCTAssertEqual(r.value.shape, [0])
        XCTAssertEqual(r.value.scalars, [])
        XCTAssertEqual(r.gradients[.input]?.count, 0)
        XCTAssertEqual(r.gradients[.target]?.scalars, [])
    }

    // MARK: Allocation

    func testBuffersAreCacheLineAlignedAndLargeOnesHugePageAligned() {
        for count in [0, 1, 3, 17, 1000, (2 << 20) / 4 + 5] {
            let b = TensorBuffer<Float>(uninitializedCount: count)
            XCTAssertEqual(UInt(bitPattern: b.base) % 64, 0, "count \(count)")
            XCTAssertEqual(b.count, count)
        }
        let d = TensorBuffer<Double>(uninitializedCount: 3)
        XCTAssertEqual(UInt(bitPattern: d.base) % 64, 0)
        let large = TensorBuffer<Float>(uninitializedCount: ResultMemory.largeSize / 4)
        XCTAssertEqual(UInt(bitPattern: large.base) % UInt(ResultMemory.hugePageSize), 0)
        large.base[large.count - 1] = 1  // the whole range is writable
    }

    func testFreedLargeResultsAreReusedForTheSameSizeOnly() {
        ResultMemory.reuseLimit = 0
        XCTAssertEqual(ResultMemory.reservedBytes, 0)
        ResultMemory.reuseLimit = 256 << 20
        let count = ResultMemory.largeSize / 4 + 1000
        var first: TensorBuffer<Float>? = TensorBuffer(uninitializedCount: count)
        let firstBase = first!.base
        let firstBytes = first!.allocatedBytes
        first = nil
        XCTAssertEqual(ResultMemory.reservedBytes, firstBytes)
        let other = TensorBuffer<Float>(uninitializedCount: count + 1)  // another size: not reused
        XCTAssertNotEqual(other.base, firstBase)
        XCTAssertEqual(ResultMemory.reservedBytes, firstBytes)
        let again = TensorBuffer<Float>(uninitializedCount: count)
        XCTAssertEqual(again.base, firstBase)
        XCTAssertEqual(ResultMemory.reservedBytes, 0)
        _ = other
    }

    func testReuseStaysWithinItsLimitAndCanBeTurnedOff() {
        ResultMemory.reuseLimit = 0
        let count = ResultMemory.largeSize / 4
        var b: TensorBuffer<Float>? = TensorBuffer(uninitializedCount: count)
        b = nil
        XCTAssertEqual(ResultMemory.reservedBytes, 0)  // off: freed at once
        ResultMemory.reuseLimit = 3 * ResultMemory.largeSize
        var buffers: [TensorBuffer<Float>] = (0..<3).map { _ in TensorBuffer(uninitializedCount: count) }
        let one = buffers[0].allocatedBytes
        buffers.removeAll()
        XCTAssertEqual(ResultMemory.reservedBytes, 2 * one)  // a third would exceed the limit
        ResultMemory.reuseLimit = one
        XCTAssertEqual(ResultMemory.reservedBytes, one)  // lowering the limit drops the oldest
        ResultMemory.reuseLimit = 0
        XCTAssertEqual(ResultMemory.reservedBytes, 0)
        _ = b
    }

    func testReusedMemoryIsFullyOverwrittenByTheNextResult() throws {
        // A large gradient, freed into the pool, then a different loss of the same size takes
        // its memory: every element must be the new loss's, none left from the old one.
        let n = ResultMemory.largeSize / 4 + 8
        let x = Tensor<Float>((0..<n).map { Float($0 % 11) - 5 })
        let zeros = Tensor<Float>([Float](repeating: 0, count: n))
        do {
            let r = try meanSquaredError(input: x, target: zeros, reduction: .sum, wrt: [.input])
            XCTAssertEqual(r.gradients[.input]!.withUnsafeBufferPointer { $0[n - 1] }, 2 * (Float((n - 1) % 11) - 5))
        }
        XCTAssertGreaterThan(ResultMemory.reservedBytes, 0)
        let r = try meanAbsoluteError(input: x, target: zeros, reduction: .sum, wrt: [.input])
        // d/dx Σ |x| = sign(x) (0 at x = 0, as in PyTorch).
        var mismatches = 0
        r.gradients[.input]!.withUnsafeBufferPointer { g in
            for i in 0..<n {
                let v = Float(i % 11) - 5
                if g[i] != (v > 0 ? 1 : v < 0 ? -1 : 0) { mismatches += 1 }
            }
        }
        XCTAssertEqual(mismatches, 0)
    }

    // MARK: Threads

    func testChunksCoverEveryBlockOnceInOrder() {
        for blocks in [2, 3, 7, 8, 9, 64, 1000, 1025] {
            for threads in [2, 3, 4, 16] {
                let c = parallelChunks(blocks: blocks, threads: threads)
                XCTAssertLessThanOrEqual(c.count, blocks)
                var next = 0
                for i in 0..<c.count {
                    let r = c.range(i)
                    XCTAssertEqual(r.lowerBound, next, "blocks \(blocks), threads \(threads), chunk \(i)")
                    XCTAssertFalse(r.isEmpty)
                    next = r.upperBound
                }
                XCTAssertEqual(next, blocks)
            }
        }
    }

    /// Every output element and the reduced value, for 1, 2, 3 and 8 threads (more threads than
    /// processors, fewer, and the default), on sizes that leave partial blocks and chunks.
    func testElementwiseAndRowResultsAreBitwiseIdenticalForAnyThreadCount() throws {
        let n = 4 * Parallelism.grain + 5  // 5 blocks, the last one partial
        let x = Tensor<Float>((0..<n).map { Float.sin(Float($0) * 0.37) * 6 })
        let t = Tensor<Float>((0..<n).map { (i: Int) -> Float in i % 3 == 0 ? 1 : 0 })
        let (rows, classes) = (300, 500)  // 65 rows per block: 5 blocks
        let logits = try Tensor<Float>(shape: [rows, classes], scalars: (0..<rows * classes).map { Float.cos(Float($0) * 0.11) * 4 })
        let labels = Tensor<Int32>((0..<rows).map { Int32(($0 * 37) % classes) })

        func run() throws -> [(String, LossResult<Float>)] {
            [("bce", try binaryCrossEntropyWithLogits(input: x, target: t)),
             ("focal", try sigmoidFocalLoss(input: x, target: t, reduction: .sum)),
             ("mse none", try meanSquaredError(input: x, target: t, reduction: .none)),
             ("cross-entropy", try crossEntropy(input: logits, target: labels, labelSmoothing: 0.1)),
             ("kl-div", try klDivergence(input: logits, target: logits, logTarget: true, reduction: .batchmean))]
        }
        func bits(_ r: LossResult<Float>) -> [[UInt32]] {
            [r.value.scalars.map(\.bitPattern)]
                + r.gradients.sorted { "\($0.key)" < "\($1.key)" }.map { $0.value.scalars.map(\.bitPattern) }
        }
        Parallelism.maximumThreads = 1
        let reference = try run().map { ($0.0, bits($0.1)) }
        for threads in [2, 3, 8, 0] {
            Parallelism.maximumThreads = threads
            for ((name, expected), (_, result)) in zip(reference, try run()) {
                XCTAssertTrue(bits(result) == expected, "\(name) on \(threads) threads")
            }
        }
    }

    /// The result memory is first written by the threads that compute it, each in its own part:
    /// a many-block gradient on 2 threads equals the 1-thread one (no chunk skipped or doubled).
    func testLargeFreshGradientIsCompleteOnTwoThreads() throws {
        ResultMemory.reuseLimit = 0  // fresh memory every time
        let n = ResultMemory.largeSize / 4 + 12_345
        let x = Tensor<Float>((0..<n).map { Float($0 % 13) - 6 })
        let zeros = Tensor<Float>([Float](repeating: 0, count: n))
        Parallelism.maximumThreads = 2
        let g = try meanSquaredError(input: x, target: zeros, reduction: .sum, wrt: [.input]).gradients[.input]!
        var mismatches = 0
        g.withUnsafeBufferPointer { b in
            for i in 0..<n where b[i] != 2 * (Float(i % 13) - 6) { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0)
    }
}
