import Credentials
import Glibc
import HTTP
import Locking

/// Where login password checks run: a few threads of their own with a short, bounded queue.
///
/// One Argon2id check costs ~0.1 s of a core and 64 MiB. On the database workers, a flood of logins with made-up
/// usernames (≈30 checks/s) took every worker and raised take-a-number from 5 ms to 1.85 s. Here at most `threads`
/// checks run at once whatever arrives; when the queue is full too, a login is refused at once with 503, before any
/// database work, instead of waiting in line.
final class PasswordChecks: Sendable {
    /// Threads that hash: half the cores (1 on 2 cores), so the other half stays for everything else.
    static var defaultThreads: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) / 2) }

    let threads: Int
    /// Checks that may wait for a thread; beyond this (plus `threads` running) a login gets 503.
    let queueLength: Int
    private let pool: WorkerPool
    private let admitted = LockedValue(0)

    init(threads: Int, queueLength: Int) {
        self.threads = max(1, threads)
        self.queueLength = max(0, queueLength)
        pool = WorkerPool(threads: self.threads, maxQueued: self.threads + self.queueLength, name: "loket-hash")
    }

    /// Places for checks: the running ones plus the queue. The login pool needs a few threads more than this, so
    /// logins refused cheaply (429, 503) never wait behind logins that wait for a check.
    var capacity: Int { threads + queueLength }

    /// Runs `body` holding a place for one check, or returns nil at once when every place is taken (the login then
    /// answers 503). The place is taken before the attempt is counted against the account, so a login turned away
    /// here costs the user no attempt.
    func withPlace<T>(_ body: (Place) throws -> T) rethrows -> T? {
        let ok = admitted.withValue { n -> Bool in
            guard n < capacity else { return false }
            n += 1
            return true
        }
        guard ok else { return nil }
        defer { admitted.withValue { $0 -= 1 } }
        return try body(Place(pool: pool))
    }

    func shutdown() { pool.shutdown() }

    /// A reserved place: `verify` hands the check to a hashing thread and waits for its answer.
    struct Place {
        fileprivate let pool: WorkerPool

        /// Constant-time Argon2id verification on a hashing thread. The caller's place guarantees queue room, so
        /// the submit can only fail when the server is stopping (then the password counts as wrong).
        func verify(_ password: String, hash: String) -> Bool {
            let result = Completion()
            guard pool.submit({ result.finish(Credentials.verifyPassword(password, hash: hash)) }) else { return false }
            return result.wait()
        }
    }
}

/// One check's answer, handed from the hashing thread to the waiting login thread.
private final class Completion: @unchecked Sendable {
    private let mutex = Mutex()
    private var value: Bool?

    func finish(_ v: Bool) {
        mutex.withLock {
            value = v
            mutex.signal()
        }
    }

    func wait() -> Bool {
        mutex.withLock {
            while value == nil { _ = mutex.wait() }
            return value!
        }
    }
}
