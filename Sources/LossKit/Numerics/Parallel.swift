import RealModule
import Dispatch

/// How LossKit splits large inputs over threads.
///
/// Work is cut into blocks whose size depends only on the problem, never on the number of
/// threads, and per-block partial sums are added in block order. Results are therefore
/// bitwise identical whatever `maximumThreads` is.
public enum Parallelism {
    /// The number of elements below which a kernel runs on the calling thread only.
    public static let grain = 1 << 15
    nonisolated(unsafe) private static var _maximumThreads = 0
    private static let lock = ProcessLock()

    /// The most threads a kernel uses; 0 (the default) means one per active processor.
    /// Negative values are stored as 0. Safe to read and set from any thread; a kernel reads it
    /// once when it starts, and results never depend on it.
    public static var maximumThreads: Int {
        get { lock.withLock { _maximumThreads } }
        set { lock.withLock { _maximumThreads = max(0, newValue) } }
    }

    @usableFromInline
    static var threadCount: Int {
        let n = maximumThreads
        if n > 0 { return n }
        return activeProcessorCount
    }

    /// Chunks of blocks per thread when Dispatch schedules them (see ``ParallelChunks``).
    @usableFromInline
    static var chunksPerThread: Int { 4 }

    @usableFromInline
    static let activeProcessorCount: Int = {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }()
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` on consecutive blocks of `0..<count` and returns the sum of its results, added in
/// block order. `blockSize` is in units of `count` (e.g. rows); pick it so a block is about
/// ``Parallelism/grain`` elements. Blocks run concurrently when there is more than one.
@inlinable
func blockedSum<T: LossScalar>(count: Int, blockSize: Int, _ body: (Range<Int>) -> T) -> T {
    blockedSum(count: count, blockSize: blockSize, context: ()) { _, range in body(range) }
}

/// ``blockedSum(count:blockSize:_:)`` with the data `body` works on passed to it as `context`.
///
/// For hot loops: a `body` closure literal that captures only constants (a kernel closure that
/// captures nothing) can be specialized by the optimizer with those constants inlined, also in
/// the copy the threads run; a closure that captures pointers cannot (see
/// ``elementwiseLoss(count:_:_:_:pads:scale:outputs:kernel:)``).
///
/// Threads take contiguous runs of blocks (``parallelChunks(blocks:threads:)``), not every
/// other block: a thread then streams through memory of its own, and in particular takes the
/// first-touch page faults of its own part of a fresh output (with 2 MiB pages, two threads
/// writing alternate 128 KiB blocks would fault the same page and wait for each other).
@inlinable
func blockedSum<T: LossScalar, Context>(
    count: Int, blockSize: Int, context: Context, _ body: (Context, Range<Int>) -> T
) -> T {
    let size = max(1, blockSize)
    let blocks = (count + size - 1) / size
    if blocks <= 1 { return count == 0 ? 0 : body(context, 0..<count) }
    var partial = [T](repeating: 0, count: blocks)
    let threads = min(blocks, Parallelism.threadCount)
    partial.withUnsafeMutableBufferPointer { p in
        let out = p.baseAddress!
        @inline(__always) func run(_ blockRange: Range<Int>) {
            for b in blockRange { out[b] = body(context, b * size ..< min(count, (b + 1) * size)) }
        }
        if threads <= 1 {
            run(0..<blocks)
        } else {
            let chunks = parallelChunks(blocks: blocks, threads: threads)
            if chunks.dynamic {
                // Dispatch hands the chunks to its threads as they become free.
                concurrentPerform(iterations: chunks.count) { c in run(chunks.range(c)) }
            } else {
                concurrentPerform(iterations: threads) { t in
                    var c = t
                    while c < chunks.count { run(chunks.range(c)); c += threads }
                }
            }
        }
    }
    var total: T = 0
    for v in partial { total += v }
    return total
}

/// How ``blockedSum(count:blockSize:_:)`` splits `blocks` blocks over `threads` threads:
/// `count` contiguous chunks of blocks. When the threads are all the processors (the default),
/// Dispatch's own pool can run them, so there are a few chunks per thread and a thread that
/// finishes early (another process took its core for a while) takes the next chunk; otherwise
/// one chunk per thread, since `concurrentPerform` would use every processor. The split never
/// changes the result: every block's sum lands in its own slot.
@usableFromInline
struct ParallelChunks {
    @usableFromInline let blocks: Int
    @usableFromInline let count: Int
    @usableFromInline let dynamic: Bool

    @inlinable
    init(blocks: Int, count: Int, dynamic: Bool) { self.blocks = blocks; self.count = count; self.dynamic = dynamic }

    /// The blocks of chunk `c`.
    @inlinable
    func range(_ c: Int) -> Range<Int> { (blocks * c / count) ..< (blocks * (c + 1) / count) }
}

@inlinable
func parallelChunks(blocks: Int, threads: Int) -> ParallelChunks {
    let dynamic = threads >= Parallelism.activeProcessorCount
    let perThread = dynamic ? Parallelism.chunksPerThread : 1
    return ParallelChunks(blocks: blocks, count: min(blocks, threads * perThread), dynamic: dynamic)
}

/// The block size (in rows) that makes a block about ``Parallelism/grain`` elements.
@inlinable
func rowsPerBlock(rowLength: Int) -> Int { max(1, Parallelism.grain / max(1, rowLength)) }

/// Runs `body(thread, range)` on contiguous ranges of `0..<count` split over at most `limit`
/// threads when the work (`count × workPerItem` element operations) is large enough. Items must
/// be independent, so the split never changes a result; `thread` indexes per-thread scratch.
@inlinable
func forEachRange(_ count: Int, workPerItem: Int, limit: Int, _ body: (_ thread: Int, _ range: Range<Int>) -> Void) {
    let threads = min(limit, Parallelism.threadCount, count, max(1, count * workPerItem / Parallelism.grain))
    if threads <= 1 {
        if count > 0 { body(0, 0..<count) }
        return
    }
    concurrentPerform(iterations: threads) { t in
        body(t, t * count / threads ..< (t + 1) * count / threads)
    }
}

/// `DispatchQueue.concurrentPerform` for LossKit's kernels: runs `body(0..<iterations)`
/// concurrently and returns when all are done.
///
/// The kernels' bodies write disjoint parts of their outputs through raw pointers, which the
/// type system cannot see; that is the invariant that makes passing them to the threads safe.
@inlinable
func concurrentPerform(iterations: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: iterations) { body($0) }
    }
}

extension Parallelism {
    /// Runs `body` on contiguous ranges of `0..<count`, split over up to ``maximumThreads``
    /// threads when the work (`count × workPerItem` element operations) passes the grain, as the
    /// loss kernels do. The items must be independent (each writes only its own outputs), so the
    /// split never changes a result. For LossKit's companion modules (the differentiable tensor
    /// operations).
    @inlinable
    public static func forEachRange(_ count: Int, workPerItem: Int, _ body: (Range<Int>) -> Void) {
        LossKit.forEachRange(count, workPerItem: workPerItem, limit: .max) { _, range in body(range) }
    }
}
