#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The owned storage of the tensors LossKit's kernels produce: one aligned allocation that a
/// kernel writes through a plain pointer.
///
/// Why not an `Array`: an array's memory is reachable only inside a closure
/// (`init(unsafeUninitializedCapacity:)`), so a kernel with several outputs ends up nested in
/// one closure per output; a buffer hands out its base address directly. Its memory is also
/// placed for speed:
///
/// - aligned to 64 bytes (a cache line, a whole AVX-512 vector);
/// - from 2 MiB on, its whole 2 MiB pages are advised as transparent huge pages
///   (`madvise(MADV_HUGEPAGE)`, Linux only), so memory that is fresh when a kernel first writes
///   it takes one page fault per 2 MiB instead of one per 4 KiB: on the benchmark machine (THP
///   in `madvise` mode, the common default) first-touching 128 MiB took 6 ms instead of 44 ms;
/// - from 4 MiB on the allocation is 2 MiB-aligned, so all of it is huge pages, and when freed
///   it goes to ``ResultMemory``'s reuse pool instead of back to the system. glibc's `malloc`
///   recycles a freed block of up to 32 MiB itself, but only while the free memory at the top of
///   its heap stays under its trim threshold (twice the largest block it has recycled): an
///   autodiff step holds a dozen 16 MiB results at once and frees them together, so glibc
///   returned them and every step started on fresh pages (`op elementwise 4M autodiff` 26.9 ms
///   with the pool from 32 MiB, 18.1 ms from 4 MiB; softmax 4096×1000 13.3 → 8.5 ms; the loss
///   rows unchanged within noise). Smaller blocks are left to `malloc`; aligning them to 2 MiB
///   would only pad each with up to 2 MiB of heap.
///
/// The alignment is made by hand (a plain `malloc` of the size plus the alignment, rounded up
/// inside), not by `posix_memalign`: glibc cannot reuse a freed `memalign` block for the next
/// request of the same size (it asks for size + alignment), so the heap grew by a whole
/// gradient on every call, each time on fresh pages.
///
/// The buffer owns `count` elements, deinitialized (for non-trivial types) and freed in
/// `deinit`. Whoever creates it with ``init(uninitializedCount:)`` must initialize every element
/// before anything reads them (memory from the reuse pool holds an earlier result). It is never
/// mutated after it has been shared: ``Tensor`` copies it first unless its reference is unique
/// (copy-on-write), which makes the `Sendable` promise hold.
@usableFromInline
final class TensorBuffer<Scalar>: @unchecked Sendable {
    /// The first element; never nil, also when `count` is 0.
    @usableFromInline let base: UnsafeMutablePointer<Scalar>
    /// The number of elements.
    @usableFromInline let count: Int
    /// What was allocated: `base` rounded down by less than the alignment, and its size.
    let allocation: UnsafeMutableRawPointer
    let allocatedBytes: Int

    /// Allocates room for `count` elements, uninitialized.
    @usableFromInline
    init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count")
        let (bytes, overflow) = max(1, count).multipliedReportingOverflow(by: max(1, MemoryLayout<Scalar>.stride))
        let large = bytes >= ResultMemory.largeSize
        let alignment = max(MemoryLayout<Scalar>.alignment, large ? ResultMemory.hugePageSize : 64)
        let (padded, tooLarge) = bytes.addingReportingOverflow(alignment)
        precondition(!overflow && !tooLarge, "allocation size overflows")
        let reused = large ? ResultMemory.take(byteCount: padded) : nil
        allocation = reused ?? UnsafeMutableRawPointer.allocate(byteCount: padded, alignment: 16)
        allocatedBytes = padded
        let start = allocation.alignedUp(toMultipleOf: alignment)
        if reused == nil && bytes >= ResultMemory.hugePageSize { ResultMemory.adviseHugePages(start, byteCount: bytes) }
        base = start.bindMemory(to: Scalar.self, capacity: max(1, count))
        self.count = count
    }

    /// A new buffer holding a copy of `source`.
    @usableFromInline
    convenience init(copying source: UnsafeBufferPointer<Scalar>) {
        self.init(uninitializedCount: source.count)
        if let from = source.baseAddress { base.initialize(from: from, count: source.count) }
    }

    deinit {
        base.deinitialize(count: count)  // a no-op for trivial scalars
        if allocatedBytes < ResultMemory.largeSize || !ResultMemory.keep(allocation, byteCount: allocatedBytes) {
            allocation.deallocate()
        }
    }

    /// The elements.
    @inlinable
    var buffer: UnsafeMutableBufferPointer<Scalar> { UnsafeMutableBufferPointer(start: base, count: count) }
}

/// How LossKit recycles the memory of large results.
///
/// A result of 4 MiB or more (a cross-entropy gradient over a large vocabulary, the activations
/// of an autodiff step) may be memory fresh from the system, which must be zeroed and mapped
/// by the kernel page by page when it is first written: for a 128 MiB gradient that was more
/// time than computing it. So when such a result is freed, LossKit keeps its memory, up to
/// ``reuseLimit`` bytes in all, and the next result of exactly the same size takes it over
/// (the usual case in a training loop). Smaller results are recycled by `malloc` itself.
public enum ResultMemory {
    /// The most bytes of freed large results kept for reuse (oldest dropped first); 0 turns the
    /// reuse off and returns what is kept. Default: 256 MiB.
    public static var reuseLimit: Int {
        get { withLock { limit } }
        set {
            let dropped: [UnsafeMutableRawPointer] = withLock {
                limit = max(0, newValue)
                return evict(toFit: 0)
            }
            for p in dropped { p.deallocate() }
        }
    }

    /// The bytes currently kept for reuse.
    public static var reservedBytes: Int { withLock { total } }

    /// The huge page size (x86-64 and arm64 Linux with 4 KiB base pages).
    static var hugePageSize: Int { 2 << 20 }
    /// Allocations from this size on are 2 MiB-aligned and reused.
    static var largeSize: Int { 4 << 20 }

    nonisolated(unsafe) private static var limit = 256 << 20
    nonisolated(unsafe) private static var pool: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []
    nonisolated(unsafe) private static var total = 0

    /// Takes a kept allocation of exactly `byteCount` bytes (the most recently kept), if any.
    static func take(byteCount: Int) -> UnsafeMutableRawPointer? {
        withLock {
            guard let i = pool.lastIndex(where: { $0.bytes == byteCount }) else { return nil }
            total -= byteCount
            return pool.remove(at: i).pointer
        }
    }

    /// Keeps a freed allocation for reuse, dropping the oldest kept ones to stay within the
    /// limit; false (and nothing kept) when it alone exceeds the limit.
    static func keep(_ pointer: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
        guard reuseSupported else { return false }
        var kept = false
        let dropped: [UnsafeMutableRawPointer] = withLock {
            guard byteCount <= limit else { return [] }
            let dropped = evict(toFit: byteCount)
            pool.append((byteCount, pointer))
            total += byteCount
            kept = true
            return dropped
        }
        for p in dropped { p.deallocate() }
        return kept
    }

    /// Removes the oldest kept allocations until `byteCount` more fit; returns them (call with the lock held).
    private static func evict(toFit byteCount: Int) -> [UnsafeMutableRawPointer] {
        var dropped: [UnsafeMutableRawPointer] = []
        while !pool.isEmpty && total + byteCount > limit {
            let b = pool.removeFirst()
            total -= b.bytes
            dropped.append(b.pointer)
        }
        return dropped
    }

    /// Without a real lock (no Glibc or Darwin) there is no reuse: keep() never keeps, so the
    /// pool stays empty.
    private static var reuseSupported: Bool { ProcessLock.isAvailable }
    private static let lock = ProcessLock()
    private static func withLock<R>(_ body: () -> R) -> R { lock.withLock(body) }

    /// Advises the whole 2 MiB pages of `[start, start + byteCount)` as transparent huge pages.
    /// Only a hint: where THP is off or unsupported nothing changes.
    static func adviseHugePages(_ start: UnsafeMutableRawPointer, byteCount: Int) {
        #if canImport(Glibc)
        let address = UInt(bitPattern: start)
        let mask = UInt(hugePageSize - 1)
        let first = (address + mask) & ~mask
        let end = (address + UInt(byteCount)) & ~mask
        if end > first { _ = madvise(UnsafeMutableRawPointer(bitPattern: first), Int(end - first), MADV_HUGEPAGE) }
        #endif
    }
}
