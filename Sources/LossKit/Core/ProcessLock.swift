#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutual-exclusion lock for LossKit's few process-wide values (``Parallelism/maximumThreads``,
/// the tensor buffer pool). Where neither Glibc nor Darwin is available the lock does nothing,
/// and the users of this lock say what they do instead.
@usableFromInline
final class ProcessLock: @unchecked Sendable {
    #if canImport(Glibc) || canImport(Darwin)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Whether the lock really excludes other threads on this platform.
    static var isAvailable: Bool { true }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
    #else
    init() {}
    static var isAvailable: Bool { false }
    func withLock<R>(_ body: () throws -> R) rethrows -> R { try body() }
    #endif
}
