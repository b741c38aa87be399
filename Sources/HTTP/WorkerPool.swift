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
    /// Jobs that may wait for a free thread; beyond this, `submit` refuses (the server answers 503).
    public let maxQueued: Int

    public init(threads: Int, maxQueued: Int = 2048, name: String = "loket-worker") {
        threadCount = max(1, threads)
        self.maxQueued = maxQueued
        for i in 0..<threadCount {
            startThread(name: "\(name)-\(i)") { [self] in loop() }
        }
    }

    /// Queues work; it runs on the next free worker thread. Returns false (and drops the job) when the queue is full
    /// or the pool is shutting down.
    @discardableResult
    public func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        mutex.withLock {
            guard !stopping, jobs.count - head < maxQueued else { return false }
            jobs.append(job)
            mutex.signal()
            return true
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
