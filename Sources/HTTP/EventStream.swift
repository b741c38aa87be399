import CMicroHTTPD
import Locking

/// One open Server-Sent Events response. Costs no thread while idle: when it has nothing to send, libmicrohttpd's
/// connection is suspended; `send` appends bytes and resumes it.
///
/// Lifecycle: created by a handler and returned as the response body; attached to its connection by the server;
/// detached when libmicrohttpd reports the request completed (client gone, or server stopping). After detaching,
/// nothing touches the connection again — resuming a completed connection would be a use-after-free in C.
public final class EventStream: @unchecked Sendable {
    private let mutex = Mutex()
    private var buffer: [UInt8] = []
    private var connection: OpaquePointer?
    private var suspended = false
    private var finished = false
    private var detached = false
    private var onClose: [@Sendable () -> Void] = []
    /// Bytes above which a client that does not read is dropped rather than letting memory grow.
    private let maxBuffered = 1 << 20

    public init() {}

    /// Queues raw SSE bytes. Returns false once the stream is closed, so publishers can forget it.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        mutex.withLock {
            guard !finished, !detached else { return false }
            if buffer.count + bytes.count > maxBuffered {
                finished = true
            } else {
                buffer.append(contentsOf: bytes)
            }
            wakeLocked()
            return true
        }
    }

    /// Sends one event. `id` is what a reconnecting client returns as `Last-Event-ID`.
    @discardableResult
    public func send(event: String?, id: String?, data: String) -> Bool {
        var s = ""
        if let id { s += "id: \(id)\n" }
        if let event { s += "event: \(event)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { s += "data: \(line)\n" }
        s += "\n"
        return send(Array(s.utf8))
    }

    /// A comment line (keeps proxies from timing out and makes dead clients visible: the write fails), and a `ping`
    /// event without an id, which a page's watchdog can see (comments are invisible to JavaScript).
    @discardableResult
    public func sendHeartbeat() -> Bool { send(Array(": heartbeat\n\nevent: ping\ndata: {}\n\n".utf8)) }

    /// Ends the stream after the queued bytes are sent.
    public func finish() {
        mutex.withLock {
            finished = true
            wakeLocked()
        }
    }

    public var isClosed: Bool { mutex.withLock { finished || detached } }

    /// Runs when the client goes away or the stream is finished.
    public func onClose(_ body: @escaping @Sendable () -> Void) {
        let runNow: Bool = mutex.withLock {
            if detached { return true }
            onClose.append(body)
            return false
        }
        if runNow { body() }
    }

    func attach(_ connection: OpaquePointer) {
        mutex.withLock { self.connection = connection }
    }

    func detach() {
        let callbacks: [@Sendable () -> Void] = mutex.withLock {
            detached = true
            connection = nil
            let c = onClose
            onClose = []
            return c
        }
        callbacks.forEach { $0() }
    }

    private func wakeLocked() {
        if suspended, let connection, !detached {
            suspended = false
            MHD_resume_connection(connection)
        }
    }

    /// Called by libmicrohttpd on its thread when it can send. Returns bytes written, 0 after suspending, or the
    /// end-of-stream marker.
    func read(into out: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        mutex.withLock {
            if !buffer.isEmpty {
                let n = min(max, buffer.count)
                buffer.withUnsafeBufferPointer { src in
                    UnsafeMutableRawPointer(out).copyMemory(from: src.baseAddress!, byteCount: n)
                }
                buffer.removeFirst(n)
                return n
            }
            if finished || detached { return Int(loket_mhd_end_of_stream()) }
            if let connection {
                suspended = true
                MHD_suspend_connection(connection)
            }
            return 0
        }
    }
}
