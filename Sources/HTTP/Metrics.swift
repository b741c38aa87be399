import Locking
/// Request counters and a latency histogram in Prometheus' text format, plus gauges other layers register
/// (pool in use/idle, database errors, open event streams).
public final class HTTPMetrics: @unchecked Sendable {
    /// Upper bounds of the latency buckets in seconds.
    public static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct Key: Hashable { let method: String; let route: String; let status: Int }
    private struct Histogram { var counts = [UInt64](repeating: 0, count: HTTPMetrics.buckets.count); var sum = 0.0; var count: UInt64 = 0 }

    private let mutex = Mutex()
    private var requests: [Key: UInt64] = [:]
    private var latency: [String: Histogram] = [:]
    private var gauges: [(name: String, help: String, type: String, read: @Sendable () -> [(labels: String, value: Double)])] = []

    public init() {}

    /// Methods counted by name; anything else a client sends is counted as "other", so labels stay bounded.
    static let knownMethods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    func record(method rawMethod: String, route: String, status: Int, seconds: Double) {
        let method = HTTPMetrics.knownMethods.contains(rawMethod) ? rawMethod : "other"
        mutex.withLock {
            requests[Key(method: method, route: route, status: status), default: 0] += 1
            var h = latency[route] ?? Histogram()
            for (i, bound) in HTTPMetrics.buckets.enumerated() where seconds <= bound { h.counts[i] += 1 }
            h.sum += seconds
            h.count += 1
            latency[route] = h
        }
    }

    /// Adds a metric read at scrape time. `type` is `gauge` or `counter`.
    public func register(name: String, help: String, type: String = "gauge",
                         _ read: @escaping @Sendable () -> [(labels: String, value: Double)]) {
        mutex.withLock { gauges.append((name, help, type, read)) }
    }

    /// The Prometheus exposition text.
    public func render() -> String {
        let (requests, latency, gauges) = mutex.withLock { (self.requests, self.latency, self.gauges) }
        var out = "# HELP loket_http_requests_total HTTP requests by route pattern and status.\n"
        out += "# TYPE loket_http_requests_total counter\n"
        for (k, v) in requests.sorted(by: { ($0.key.route, $0.key.status) < ($1.key.route, $1.key.status) }) {
            out += "loket_http_requests_total{method=\"\(escape(k.method))\",route=\"\(escape(k.route))\",status=\"\(k.status)\"} \(v)\n"
        }
        out += "# HELP loket_http_request_duration_seconds Time from request start to response completed.\n"
        out += "# TYPE loket_http_request_duration_seconds histogram\n"
        for (route, h) in latency.sorted(by: { $0.key < $1.key }) {
            let r = escape(route)
            for (i, bound) in HTTPMetrics.buckets.enumerated() {
                out += "loket_http_request_duration_seconds_bucket{route=\"\(r)\",le=\"\(bound)\"} \(h.counts[i])\n"
            }
            out += "loket_http_request_duration_seconds_bucket{route=\"\(r)\",le=\"+Inf\"} \(h.count)\n"
            out += "loket_http_request_duration_seconds_sum{route=\"\(r)\"} \(h.sum)\n"
            out += "loket_http_request_duration_seconds_count{route=\"\(r)\"} \(h.count)\n"
        }
        for g in gauges {
            out += "# HELP \(g.name) \(g.help)\n# TYPE \(g.name) \(g.type)\n"
            for sample in g.read() {
                let labels = sample.labels.isEmpty ? "" : "{\(sample.labels)}"
                out += "\(g.name)\(labels) \(sample.value)\n"
            }
        }
        return out
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

/// Who may read `/metrics`: route names, request counts and pool sizes help an attacker time and aim an attack,
/// so only local scrapers (a Prometheus agent on the same machine) or holders of the metrics token get them.
public struct MetricsAccess: Sendable {
    /// `LOKET_METRICS_TOKEN`; nil → loopback clients only.
    public var token: String?

    public init(token: String?) { self.token = token }

    /// Nil when the request may read metrics, or the problem to answer (401 with a token configured, else 403).
    public func problem(for request: Request) -> Problem? {
        if let token, let sent = request.bearerToken {
            return Self.constantTimeEqual(Array(sent.utf8), Array(token.utf8))
                ? nil : .unauthorized("The metrics token is wrong.")
        }
        // A proxy on the same machine connects from loopback too: a request it forwarded is not local.
        let forwarded = request.header("x-forwarded-for") != nil || request.header("forwarded") != nil
            || request.header("x-real-ip") != nil
        if Self.isLoopback(request.clientAddress) && !forwarded { return nil }
        if token != nil { return .unauthorized("Metrics need the metrics bearer token (LOKET_METRICS_TOKEN) from outside this machine.") }
        return .forbidden("Metrics are served only to clients on this machine; set LOKET_METRICS_TOKEN to scrape them from elsewhere.")
    }

    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }

    /// Compares without an early exit, so the time taken does not tell how much of a guessed token was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
