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

    /// The most threads a kernel uses; 0 (the default) means one per active processor.
    public static var maximumThreads: Int {
        get { _maximumThreads }
        set { _maximumThreads = max(0, newValue) }
    }

    @usableFromInline
    static var threadCount: Int {
        let n = _maximumThreads
        if n > 0 { return n }
        return activeProcessorCount
    }

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
    let size = max(1, blockSize)
    let blocks = (count + size - 1) / size
    if blocks <= 1 { return count == 0 ? 0 : body(0..<count) }
    var partial = [T](repeating: 0, count: blocks)
    let threads = min(blocks, Parallelism.threadCount)
    partial.withUnsafeMutableBufferPointer { p in
        let out = p.baseAddress!
        if threads <= 1 {
            for b in 0..<blocks { out[b] = body(b * size ..< min(count, (b + 1) * size)) }
        } else {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                var b = t
                while b < blocks {
                    out[b] = body(b * size ..< min(count, (b + 1) * size))
                    b += threads
                }
            }
        }
    }
    var total: T = 0
    for v in partial { total += v }
    return total
}

/// The block size (in rows) that makes a block about ``Parallelism/grain`` elements.
@inlinable
func rowsPerBlock(rowLength: Int) -> Int { max(1, Parallelism.grain / max(1, rowLength)) }
