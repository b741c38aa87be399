import Glibc

/// A value behind a pthread mutex. The few mutable things shared between libmicrohttpd's threads, the worker
/// threads and the event relay live in these, which is what makes the surrounding types honestly `Sendable`.
public final class LockedValue<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex = Mutex()

    public init(_ value: Value) { self.value = value }

    public func get() -> Value { mutex.withLock { value } }
    public func set(_ v: Value) { mutex.withLock { value = v } }

    @discardableResult
    public func withValue<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try mutex.withLock { try body(&value) }
    }
}

/// A plain pthread mutex with a condition variable.
public final class Mutex: @unchecked Sendable {
    private let m: UnsafeMutablePointer<pthread_mutex_t>
    private let c: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        m = .allocate(capacity: 1)
        c = .allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(c, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(c)
        pthread_mutex_destroy(m)
        c.deallocate()
        m.deallocate()
    }

    public func lock() { pthread_mutex_lock(m) }
    public func unlock() { pthread_mutex_unlock(m) }

    @inline(__always)
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(m)
        defer { pthread_mutex_unlock(m) }
        return try body()
    }

    /// Waits on the condition (the mutex must be held); returns false on timeout.
    public func wait(timeoutSeconds: Double? = nil) -> Bool {
        guard let timeoutSeconds else {
            pthread_cond_wait(c, m)
            return true
        }
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let ns = Int(ts.tv_nsec) + Int((timeoutSeconds - timeoutSeconds.rounded(.down)) * 1e9)
        ts.tv_sec += Int(timeoutSeconds) + ns / 1_000_000_000
        ts.tv_nsec = ns % 1_000_000_000
        return pthread_cond_timedwait(c, m, &ts) == 0
    }

    public func signal() { pthread_cond_signal(c) }
    public func broadcast() { pthread_cond_broadcast(c) }
}

/// Monotonic time in nanoseconds, for durations.
public func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Starts a detached pthread running `body`. Loket uses a few long-lived threads, not a task runtime: libpq and
/// libmicrohttpd are blocking C libraries, and measured here threads were the fastest fit for them.
public func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
    final class Box: @unchecked Sendable { let body: @Sendable () -> Void; init(_ b: @escaping @Sendable () -> Void) { body = b } }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { arg in
        let box = Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    precondition(rc == 0, "pthread_create failed for \(name): \(rc)")
    pthread_detach(thread)
}
