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
    /// Idle keep-alive connections are closed after this; SSE streams stay alive through heartbeats.
    public var connectionTimeoutSeconds = 60
    public var connectionLimit = 20_000
    /// Memory per connection for headers and write buffers; 16 KiB keeps 10,000 idle event streams cheap.
    public var connectionMemoryLimit = 16 * 1024
    /// How long a graceful stop waits for in-flight requests.
    public var drainSeconds = 10.0

    public init() {}
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
        daemon = withUnsafePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                loket_mhd_start(flags, sa, accessHandler, me, completedHandler, me,
                                UInt32(configuration.networkThreads), UInt32(configuration.connectionLimit),
                                configuration.connectionMemoryLimit, UInt32(configuration.connectionTimeoutSeconds))
            }
        }
        guard let daemon else { throw ServerError.startFailed(host: host, port: configuration.port) }
        port = Int(loket_mhd_bound_port(daemon))
        running.set(true)
        startThread(name: "loket-heartbeat") { [weak self] in
            // Every 15 s a comment on each event stream: keeps proxies from closing idle streams, and a write to
            // a client that went away fails, so libmicrohttpd reaps the connection.
            while true {
                sleep(15)
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
            let state = RequestState(method: String(cString: method), path: String(cString: url))
            state.start = monotonicNanoseconds()
            MHD_get_connection_values(connection, MHD_ValueKind.HEADER_KIND, collectHeader, Unmanaged.passUnretained(state).toOpaque())
            MHD_get_connection_values(connection, MHD_ValueKind.GET_ARGUMENT_KIND, collectQuery, Unmanaged.passUnretained(state).toOpaque())
            if let length = state.headers["content-length"].flatMap(Int.init), length > configuration.maxBodyBytes {
                state.tooLarge = true
            }
            context.pointee = Unmanaged.passRetained(state).toOpaque()
            inFlight.withValue { $0 += 1 }
            return MHD_Result.YES
        }
        let state = Unmanaged<RequestState>.fromOpaque(context.pointee!).takeUnretainedValue()
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
        inFlight.withValue { $0 -= 1 }
        let seconds = Double(monotonicNanoseconds() - state.start) / 1e9
        metrics.record(method: state.method, route: state.routeName, status: state.status, seconds: seconds)
        // One line per request: the route pattern, never the concrete path (ids) or anything personal.
        let method = HTTPMetrics.knownMethods.contains(state.method) ? state.method : "other"
        logger.info("\(method) \(state.routeName) \(state.status) \(formatMilliseconds(seconds))")
    }
}

private func formatMilliseconds(_ seconds: Double) -> String {
    let ms = (seconds * 100_000).rounded() / 100
    return "\(ms)ms"
}

/// Per-request state carried through libmicrohttpd's `con_cls` across callbacks.
final class RequestState: @unchecked Sendable {
    let method: String
    let path: String
    var headers: [String: String] = [:]
    var query: [String: String] = [:]
    var body: [UInt8] = []
    var tooLarge = false
    var response: Response?
    var stream: EventStream?
    var routeName = "unmatched"
    /// Answered with 503 by a stopping server; the worker must not touch the connection any more.
    var abandoned = false
    var status = 0
    var start: UInt64 = 0

    init(method: String, path: String) {
        self.method = method
        self.path = path
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

private let collectHeader: MHD_KeyValueIterator = { cls, _, key, value in
    let state = Unmanaged<RequestState>.fromOpaque(cls!).takeUnretainedValue()
    if let key { state.headers[String(cString: key).lowercased()] = value.map { String(cString: $0) } ?? "" }
    return MHD_Result.YES
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
