import Locking
/// A fixed set of threads that run handlers which may block (on PostgreSQL). libmicrohttpd's network threads
/// never block: they suspend the connection, hand the request here, and resume it when the answer is ready.
public final class WorkerPool: @unchecked Sendable {
    private let mutex = Mutex()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var stopping = false
    private var running = 0
    public let threadCount: Int

    public init(threads: Int, name: String = "loket-worker") {
        threadCount = max(1, threads)
        for i in 0..<threadCount {
            startThread(name: "\(name)-\(i)") { [self] in loop() }
        }
    }

    /// Queues work; it runs on the next free worker thread.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        mutex.withLock {
            jobs.append(job)
            mutex.signal()
        }
    }

    /// Jobs queued or running, for graceful shutdown and metrics.
    public var pending: Int { mutex.withLock { jobs.count - head + running } }

    /// Lets the threads finish the queued jobs and exit.
    public func shutdown() {
        mutex.withLock {
            stopping = true
            mutex.broadcast()
        }
    }

    private func loop() {
        while true {
            mutex.lock()
            while head == jobs.count && !stopping { _ = mutex.wait() }
            if head == jobs.count && stopping {
                mutex.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head > 1024 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            running += 1
            mutex.unlock()
            job()
            mutex.withLock { running -= 1 }
        }
    }
}
