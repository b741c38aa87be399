#if canImport(Glibc)
import Glibc
#endif

/// Where "now" comes from. The application reads the time from one clock and passes it to every statement that
/// needs it (`$n::timestamptz`), so tests of day end, holds, reminders and appointments can set the time.
public protocol Clock: Sendable {
    func now() -> Instant
}

/// The real time (CLOCK_REALTIME).
public struct SystemClock: Clock {
    public init() {}
    public func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Instant(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }
}

/// A clock that stands still until it is moved (tests).
public final class ManualClock: Clock, @unchecked Sendable {
    private var current: Instant
    private var lock = pthread_mutex_t()

    public init(_ start: Instant) {
        current = start
        pthread_mutex_init(&lock, nil)
    }

    public func now() -> Instant {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return current
    }

    public func set(_ instant: Instant) {
        pthread_mutex_lock(&lock)
        current = instant
        pthread_mutex_unlock(&lock)
    }

    public func advance(seconds: Int64) {
        pthread_mutex_lock(&lock)
        current = current.adding(seconds: seconds)
        pthread_mutex_unlock(&lock)
    }
}
