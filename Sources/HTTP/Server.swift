import CMicroHTTPD
import Glibc
import Logging
import Locking

/// Errors starting the HTTP server.
public enum ServerError: Error, CustomStringConvertible {
    case invalidAddress(String)
    case startFailed(host: String, port: Int)
    case invalidPort(Int)

    public var description: String {
        switch self {
        case .invalidAddress(let a): return "LOKET_LISTEN is not an IP address: \(a)"
        case .startFailed(let h, let p): return "Could not listen on \(h):\(p). Is another program using the port?"
        case .invalidPort(let p): return "LOKET_PORT must be between 0 and 65535, not \(p)."
        }
    }
}

/// Server settings. Defaults were chosen by measurement on 2 cores (see README, "Threading model").
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// libmicrohttpd network threads (epoll, one per core): they only parse and write, never block.
    public var networkThreads = 2
    /// Request bodies above this are refused with 413 before they are read into memory.
    public var maxBodyBytes = 64 * 1024
    /// Idle keep-alive connections are closed after this. Event streams are not idle: they are suspended between
    /// writes (suspended connections never time out) and the heartbeat writes every `heartbeatSeconds`.
    public var connectionTimeoutSeconds = 30
    /// A new connection must complete its first request line and headers within this much inactivity. Lines
    /// libmicrohttpd cannot parse and will not answer (bytes without a line end, a line starting with NUL, a TLS
    /// handshake sent to plain HTTP) are closed after this rather than after the idle timeout.
    public var firstRequestTimeoutSeconds = 10
    /// Total connections; nil → derived from the open-file limit (raised to its hard limit at start), leaving
    /// `reservedFileDescriptors` for database connections, files and libmicrohttpd's own descriptors.
    public var connectionLimit: Int? = nil
    public var reservedFileDescriptors = 256
    /// Connections one client address may hold open at once (0 = no limit), so one client cannot exhaust the
    /// process's descriptors. Behind a reverse proxy every connection comes from the proxy: raise this or set 0
    /// there and let the proxy limit per client (nginx `limit_conn`).
    public var connectionsPerAddress = 64
    /// Memory per connection for headers and write buffers; 16 KiB keeps 10,000 idle event streams cheap.
    /// It must stay well above `maxRequestTargetBytes + maxHeaderBytes`, so Loket's own 414/431 checks (problem+json)
    /// run before libmicrohttpd's buffer is full (which it answers itself, as text/html).
    public var connectionMemoryLimit = 16 * 1024
    /// Longest request target (path and query) accepted; longer → 414.
    public var maxRequestTargetBytes = 4 * 1024
    /// Largest header block accepted (names, values and separators); larger → 431.
    public var maxHeaderBytes = 8 * 1024
    /// Seconds between heartbeats on event streams (must stay below any proxy's read timeout).
    public var heartbeatSeconds = 15
    /// How long a graceful stop waits for in-flight requests.
    public var drainSeconds = 10.0

    public init() {}
}

/// The process's limit on open files (descriptors): every connection costs one.
public enum OpenFileLimit {
    /// Raises the soft limit to the hard limit (Debian's default soft limit of 1,024 would otherwise cap
    /// connections far below what the machine can hold) and returns the new soft limit.
    @discardableResult
    public static func raiseToHard() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: min(limit.rlim_cur, rlim_t(Int32.max)))
    }
}

/// The HTTP server on libmicrohttpd.
///
/// Threading model: libmicrohttpd runs an epoll thread pool (`networkThreads`). A request whose route runs
/// `.worker` is suspended on its network thread and handed to the `WorkerPool`, whose threads may block on
/// PostgreSQL; the worker stores the answer and resumes the connection. Event streams are suspended while idle,
/// so they cost memory but no thread. This design was measured ~2.5× faster than blocking libpq calls inside
/// libmicrohttpd's own threads (stack notes, README).
public final class HTTPServer: @unchecked Sendable {
    public let router: Router
    public let workers: WorkerPool
    public let metrics: HTTPMetrics
    private let configuration: ServerConfiguration
    private let logger: Logger
    private var daemon: OpaquePointer?
    private var listenSocket: Int32 = -1
    private let inFlight = LockedValue(0)
    private let streams = LockedValue<[ObjectIdentifier: EventStream]>([:])
    private let running = LockedValue(false)
    /// Set when a graceful stop begins: new requests get 503 and `Connection: close`.
    private let stopping = LockedValue(false)
    /// Requests suspended while a worker handles them. Resuming happens under this lock, so a stop can answer
    /// the ones still running with 503 and be sure no worker resumes them after libmicrohttpd has stopped.
    private let suspended = LockedValue<[ObjectIdentifier: (state: RequestState, connection: ConnectionBox)]>([:])
    public private(set) var port: Int = 0
    /// The total connection limit in force (configured or derived from the open-file limit).
    public private(set) var effectiveConnectionLimit = 0

    public init(router: Router, workers: WorkerPool, metrics: HTTPMetrics, configuration: ServerConfiguration, logger: Logger) {
        self.router = router
        self.workers = workers
        self.metrics = metrics
        self.configuration = configuration
        self.logger = logger
    }

    /// Binds and starts serving. With port 0 the kernel picks a free port; read it from `port`.
    public func start() throws {
        guard (0...65535).contains(configuration.port) else { throw ServerError.invalidPort(configuration.port) }
        var flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_ERROR_LOG.rawValue
        var storage = sockaddr_storage()
        let host = configuration.host
        let ok: Bool = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                v4.pointee.sin_family = sa_family_t(AF_INET)
                v4.pointee.sin_port = in_port_t(UInt16(configuration.port).bigEndian)
                return inet_pton(AF_INET, host, &v4.pointee.sin_addr) == 1
            }
        }
        if !ok {
            let ok6: Bool = withUnsafeMutablePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    v6.pointee.sin6_family = sa_family_t(AF_INET6)
                    v6.pointee.sin6_port = in_port_t(UInt16(configuration.port).bigEndian)
                    return inet_pton(AF_INET6, host, &v6.pointee.sin6_addr) == 1
                }
            }
            guard ok6 else { throw ServerError.invalidAddress(host) }
            flags |= MHD_USE_IPv6.rawValue
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        let files = OpenFileLimit.raiseToHard()
        let limit = configuration.connectionLimit ?? max(64, min(1_000_000, files - configuration.reservedFileDescriptors))
        effectiveConnectionLimit = limit
        daemon = withUnsafePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                loket_mhd_start(flags, sa, accessHandler, me, completedHandler, me,
                                UInt32(clamping: configuration.networkThreads), UInt32(clamping: limit),
                                configuration.connectionMemoryLimit, UInt32(clamping: max(1, configuration.connectionTimeoutSeconds)),
                                UInt32(clamping: configuration.connectionsPerAddress), uriLogHandler, me,
                                UInt32(clamping: max(1, configuration.firstRequestTimeoutSeconds)))
            }
        }
        guard let daemon else { throw ServerError.startFailed(host: host, port: configuration.port) }
        port = Int(loket_mhd_bound_port(daemon))
        logger.info("HTTP: at most \(limit) connections (open-file limit \(files)), \(configuration.connectionsPerAddress) per client address, idle timeout \(configuration.connectionTimeoutSeconds) s")
        running.set(true)
        let heartbeatSeconds = UInt32(clamping: max(1, configuration.heartbeatSeconds))
        startThread(name: "loket-heartbeat") { [weak self] in
            // Every `heartbeatSeconds` (15) a comment on each event stream: keeps proxies from closing idle
            // streams, and a write to a client that went away fails, so libmicrohttpd reaps the connection.
            while true {
                sleep(heartbeatSeconds)
                guard let self, self.running.get() else { return }
                self.heartbeat()
            }
        }
    }

    /// Graceful stop: stop accepting, end event streams, let in-flight requests finish (up to `drainSeconds`),
    /// then close every connection.
    public func stop() {
        guard let daemon else { return }
        running.set(false)
        stopping.set(true)
        listenSocket = MHD_quiesce_daemon(daemon)
        for stream in streams.get().values { stream.finish() }
        waitForInFlight(seconds: configuration.drainSeconds)
        // Requests still running after the drain time are answered 503 now. libmicrohttpd refuses to stop (it
        // aborts the process) while any connection is suspended, so every one of them is resumed first.
        suspended.withValue { pending in
            for (state, box) in pending.values {
                state.abandoned = true
                state.response = Problem.unavailable("The service is restarting. Please try again in a moment.").response
                MHD_resume_connection(box.connection)
            }
            pending.removeAll()
        }
        waitForInFlight(seconds: 2)
        MHD_stop_daemon(daemon)
        self.daemon = nil
        if listenSocket >= 0 { close(listenSocket) }
        logger.info("HTTP server stopped")
    }

    private func waitForInFlight(seconds: Double) {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        while inFlight.get() > 0 && monotonicNanoseconds() < deadline {
            usleep(10_000)
        }
    }

    private func heartbeat() {
        for stream in streams.get().values { stream.sendHeartbeat() }
    }

    // MARK: - libmicrohttpd callbacks

    fileprivate func access(_ connection: OpaquePointer, _ url: UnsafePointer<CChar>, _ method: UnsafePointer<CChar>,
                            _ uploadData: UnsafePointer<CChar>?, _ uploadSize: UnsafeMutablePointer<Int>,
                            _ context: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        if context.pointee == nil {
            // The URI log callback normally created the state; this is only a fallback.
            context.pointee = Unmanaged.passRetained(RequestState(rawTarget: nil)).toOpaque()
        }
        let state = Unmanaged<RequestState>.fromOpaque(context.pointee!).takeUnretainedValue()
        if !state.started {
            state.started = true
            state.method = String(cString: method)
            state.path = String(cString: url)
            MHD_get_connection_values(connection, MHD_ValueKind.HEADER_KIND, collectHeader, Unmanaged.passUnretained(state).toOpaque())
            MHD_get_connection_values(connection, MHD_ValueKind.GET_ARGUMENT_KIND, collectQuery, Unmanaged.passUnretained(state).toOpaque())
            inFlight.withValue { $0 += 1 }
            state.counted = true
            // From here on the connection speaks HTTP: it gets the (longer) keep-alive idle timeout.
            loket_mhd_use_timeout(connection, UInt32(clamping: max(1, configuration.connectionTimeoutSeconds)))
            // Problems with the request's framing or size are answered now, before libmicrohttpd reads a body
            // (and before it sends `100 Continue`), with `Connection: close`: the rest of the stream cannot be
            // trusted to start at a request boundary.
            if let problem = framingProblem(state) {
                state.routeName = problem.status == 413 ? "too-large" : "bad-request"
                var response = problem.response
                response.headers.append(("Connection", "close"))
                return queue(response, on: connection, state: state)
            }
            return MHD_Result.YES
        }
        if uploadSize.pointee > 0 {
            if !state.tooLarge {
                if state.body.count + uploadSize.pointee > configuration.maxBodyBytes {
                    state.tooLarge = true
                    state.body = []
                } else {
                    uploadData!.withMemoryRebound(to: UInt8.self, capacity: uploadSize.pointee) { p in
                        state.body.append(contentsOf: UnsafeBufferPointer(start: p, count: uploadSize.pointee))
                    }
                }
            }
            uploadSize.pointee = 0
            return MHD_Result.YES
        }
        if let response = state.response {
            return queue(response, on: connection, state: state)
        }
        if state.tooLarge {
            let problem = Problem(status: 413, title: "Content too large",
                                  detail: "The request body is larger than \(configuration.maxBodyBytes / 1024) KiB.")
            state.routeName = "too-large"
            return queue(problem.response, on: connection, state: state)
        }
        var addressBuffer = [CChar](repeating: 0, count: 64)
        loket_mhd_client_address(connection, &addressBuffer, 64)
        var request = Request(method: state.method, path: state.path, query: state.query, headers: [:],
                              body: state.body, clientAddress: String(decoding: addressBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        request.headers = state.headers
        if stopping.get() {
            state.routeName = "stopping"
            var r = Problem.unavailable("The service is restarting. Please try again in a moment.", retryAfterSeconds: 2).response
            r.headers.append(("Connection", "close"))
            return queue(r, on: connection, state: state)
        }
        switch router.match(&request) {
        case .failure(let problem):
            state.routeName = problem.status == 404 ? "unmatched" : "method-not-allowed"
            return queue(problem.response, on: connection, state: state)
        case .success(let route):
            state.routeName = route.pattern
            if route.execution == .inline {
                return queue(self.router.run(route, request), on: connection, state: state)
            }
            let box = ConnectionBox(connection)
            let key = ObjectIdentifier(state)
            let request = request
            // Suspend before the work is queued, under the lock workers resume under: a resume that came before
            // the suspend would be lost and the request would hang.
            suspended.withValue { pending in
                pending[key] = (state, box)
                MHD_suspend_connection(connection)
            }
            // A route with a pool of its own (login) never takes a database worker.
            let accepted = (route.execution.separatePool ?? workers).submit {
                let abandoned = self.suspended.withValue { _ in state.abandoned }
                let response = abandoned ? nil : self.router.run(route, request)
                self.suspended.withValue { pending in
                    guard !state.abandoned, let response else { return }
                    state.response = response
                    pending.removeValue(forKey: key)
                    MHD_resume_connection(box.connection)
                }
            }
            if !accepted {
                // Every worker is busy and the queue is full (the database is stuck, say): answer at once rather
                // than letting requests pile up without bound.
                suspended.withValue { pending in
                    state.routeName = "overloaded"
                    state.response = Problem.unavailable("The service is too busy right now. Please try again in a moment.",
                                                         retryAfterSeconds: 1).response
                    pending.removeValue(forKey: key)
                    MHD_resume_connection(connection)
                }
            }
            return MHD_Result.YES
        }
    }

    /// Checks made on the first call, before routing: lengths, NUL in the raw target, and ambiguous framing
    /// (request smuggling needs two parties to disagree about where a body ends; Loket refuses to guess).
    private func framingProblem(_ state: RequestState) -> Problem? {
        let target = state.rawTarget ?? state.path
        if target.utf8.count > configuration.maxRequestTargetBytes {
            return Problem(status: 414, title: "URI too long",
                           detail: "The path and query may be at most \(configuration.maxRequestTargetBytes) bytes.")
        }
        if target.contains("%00") {
            return .badRequest("The path or query contains an encoded NUL character (%00).")
        }
        if state.headerBytes > configuration.maxHeaderBytes {
            return Problem(status: 431, title: "Request header fields too large",
                           detail: "The request headers may be at most \(configuration.maxHeaderBytes / 1024) KiB together.")
        }
        if let name = state.duplicateHeader {
            return .badRequest("The header \(name) appears more than once with different values.")
        }
        let contentLength = state.headers["content-length"]
        if let te = state.headers["transfer-encoding"] {
            if contentLength != nil {
                return .badRequest("Send either Content-Length or Transfer-Encoding, not both.")
            }
            if Substring(te).trimmingSpaces.lowercased() != "chunked" {
                return Problem(status: 501, title: "Not implemented",
                               detail: "Transfer-Encoding '\(te)' is not supported; send the body plain or only chunked.")
            }
        }
        if let contentLength {
            guard !contentLength.isEmpty, contentLength.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                return .badRequest("Content-Length must be a number of bytes.")
            }
            if contentLength.count > 12 || Int(contentLength)! > configuration.maxBodyBytes {
                return Problem(status: 413, title: "Content too large",
                               detail: "The request body is larger than \(configuration.maxBodyBytes / 1024) KiB.")
            }
        }
        return nil
    }

    private func queue(_ response: Response, on connection: OpaquePointer, state: RequestState) -> MHD_Result {
        state.status = response.status
        let mhdResponse: OpaquePointer?
        switch response.body {
        case .bytes(let bytes):
            mhdResponse = bytes.withUnsafeBytes { raw in
                MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress),
                                                MHD_ResponseMemoryMode.RESPMEM_MUST_COPY)
            }
        case .eventStream(let stream):
            stream.attach(connection)
            state.stream = stream
            let id = ObjectIdentifier(stream)
            streams.withValue { $0[id] = stream }
            stream.onClose { [weak self] in _ = self?.streams.withValue { $0.removeValue(forKey: id) } }
            // A stream answered while a stop is under way ends at once, or it would stay suspended.
            if stopping.get() { stream.finish() }
            mhdResponse = MHD_create_response_from_callback(UInt64.max, 4096, streamReader,
                                                            Unmanaged.passRetained(stream).toOpaque(), streamFree)
        }
        guard let mhdResponse else { return MHD_Result.NO }
        for (name, value) in response.headers {
            MHD_add_response_header(mhdResponse, name, value)
        }
        let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
        MHD_destroy_response(mhdResponse)
        return result
    }

    fileprivate func completed(_ context: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
        guard let context, let raw = context.pointee else { return }
        let state = Unmanaged<RequestState>.fromOpaque(raw).takeRetainedValue()
        context.pointee = nil
        state.stream?.detach()
        // A request libmicrohttpd refused itself (after the URI log callback) never reached the access handler.
        guard state.counted else { return }
        inFlight.withValue { $0 -= 1 }
        let seconds = Double(monotonicNanoseconds() - state.start) / 1e9
        metrics.record(method: state.method, route: state.routeName, status: state.status, seconds: seconds)
        // One line per request: the route pattern, never the concrete path (ids) or anything personal. At debug
        // level, except server errors and slow requests: a line written on every request was ≈ 5 % of the CPU of
        // take-a-number under load (README, "Take a number over many counters"); /metrics counts every request.
        let method = HTTPMetrics.knownMethods.contains(state.method) ? state.method : "other"
        let level: Logger.Level = state.status >= 500 || seconds >= 1 ? .info : .debug
        logger.log(level: level, "\(method) \(state.routeName) \(state.status) \(formatMilliseconds(seconds))")
    }
}

private func formatMilliseconds(_ seconds: Double) -> String {
    let ms = (seconds * 100_000).rounded() / 100
    return "\(ms)ms"
}

/// Per-request state carried through libmicrohttpd's `con_cls` across callbacks. Created by the URI log callback
/// (which sees the raw target), filled on the access handler's first call.
final class RequestState: @unchecked Sendable {
    /// The request target as sent (before percent-decoding), nil if the URI log callback did not run.
    let rawTarget: String?
    var method = ""
    var path = ""
    var started = false
    /// Counted in `inFlight` (the access handler ran).
    var counted = false
    var headers: [String: String] = [:]
    /// Bytes of all header lines, for the 431 limit.
    var headerBytes = 0
    /// A framing header (Content-Length, Transfer-Encoding, Host) sent twice with different values.
    var duplicateHeader: String?
    var query: [String: String] = [:]
    var body: [UInt8] = []
    var tooLarge = false
    var response: Response?
    var stream: EventStream?
    var routeName = "unmatched"
    /// Answered with 503 by a stopping server; the worker must not touch the connection any more.
    var abandoned = false
    var status = 0
    var start: UInt64 = monotonicNanoseconds()

    init(rawTarget: String?) {
        self.rawTarget = rawTarget
    }
}

/// A connection pointer that crosses to a worker thread; libmicrohttpd allows resume from any thread.
struct ConnectionBox: @unchecked Sendable {
    let connection: OpaquePointer
    init(_ c: OpaquePointer) { connection = c }
}

private let accessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadSize, context in
    let server = Unmanaged<HTTPServer>.fromOpaque(cls!).takeUnretainedValue()
    return server.access(connection!, url!, method!, uploadData, uploadSize!, context!)
}

private let completedHandler: MHD_RequestCompletedCallback = { cls, _, context, _ in
    let server = Unmanaged<HTTPServer>.fromOpaque(cls!).takeUnretainedValue()
    server.completed(context)
}

/// Headers that decide where a request ends and whom it is for: a second copy with another value means two
/// parties (a proxy and Loket) could read the request differently.
private let framingHeaders: Set<String> = ["content-length", "transfer-encoding", "host"]

private let collectHeader: MHD_KeyValueIterator = { cls, _, key, value in
    let state = Unmanaged<RequestState>.fromOpaque(cls!).takeUnretainedValue()
    guard let key else { return MHD_Result.YES }
    let name = String(cString: key).lowercased()
    let text = value.map { String(cString: $0) } ?? ""
    state.headerBytes += name.utf8.count + text.utf8.count + 4
    if let previous = state.headers[name] {
        if framingHeaders.contains(name) {
            // Identical Content-Length copies are harmless (RFC 9110 §8.6) and keep the first; anything else is
            // ambiguous.
            if name != "content-length" || previous != text { state.duplicateHeader = state.duplicateHeader ?? name }
        } else {
            // Other repeated headers are one list (RFC 9110 §5.3).
            state.headers[name] = previous + (name == "cookie" ? "; " : ", ") + text
        }
    } else {
        state.headers[name] = text
    }
    return MHD_Result.YES
}

private let uriLogHandler: LoketURILogCallback = { _, uri, _ in
    let state = RequestState(rawTarget: uri.map { String(cString: $0) })
    return Unmanaged.passRetained(state).toOpaque()
}

private let collectQuery: MHD_KeyValueIterator = { cls, _, key, value in
    let state = Unmanaged<RequestState>.fromOpaque(cls!).takeUnretainedValue()
    if let key { state.query[String(cString: key)] = value.map { String(cString: $0) } ?? "" }
    return MHD_Result.YES
}

private let streamReader: MHD_ContentReaderCallback = { cls, _, buffer, max in
    let stream = Unmanaged<EventStream>.fromOpaque(cls!).takeUnretainedValue()
    return stream.read(into: buffer!, max: max)
}

private let streamFree: MHD_ContentReaderFreeCallback = { cls in
    let stream = Unmanaged<EventStream>.fromOpaque(cls!).takeRetainedValue()
    stream.detach()
}
