/// An HTTP request as handlers see it: everything already read, the body complete (at most the server's limit).
public struct Request: Sendable {
    public var method: String
    /// The path without the query string, percent-decoded by libmicrohttpd.
    public var path: String
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    public var body: [UInt8]
    /// Values of `{name}` segments of the matched route.
    public var parameters: [String: String]
    /// The client's IP address as text, for rate limits (never logged).
    public var clientAddress: String

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                body: [UInt8] = [], parameters: [String: String] = [:], clientAddress: String = "127.0.0.1") {
        self.method = method
        self.path = path
        self.query = query
        var lower: [String: String] = [:]
        for (k, v) in headers { lower[k.lowercased()] = v }
        self.headers = lower
        self.body = body
        self.parameters = parameters
        self.clientAddress = clientAddress
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// A path parameter of the matched route; the router guarantees it exists for the route's own names.
    public func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// The value of a cookie, if the request carries it.
    public func cookie(_ name: String) -> String? {
        guard let header = headers["cookie"] else { return nil }
        for part in header.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].trimmingSpaces == name { return String(kv[1].trimmingSpaces) }
        }
        return nil
    }

    /// The bearer token of an `Authorization: Bearer …` header.
    public var bearerToken: String? {
        guard let value = headers["authorization"] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1].trimmingSpaces)
    }

    public var acceptsGzip: Bool {
        guard let value = headers["accept-encoding"] else { return false }
        return value.lowercased().contains("gzip")
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

/// An HTTP response. Bodies are bytes, or a live event stream that stays open.
public struct Response: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public enum Body: Sendable {
        case bytes([UInt8])
        case eventStream(EventStream)
    }

    public init(status: Int, headers: [(String, String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.init(status: status, headers: [("Content-Type", contentType)], body: .bytes(body))
    }

    public static func json(_ body: [UInt8], status: Int = 200) -> Response {
        Response(status: status, contentType: "application/json", body: body)
    }

    public static func text(_ body: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, contentType: contentType, body: Array(body.utf8))
    }

    public static let noContent = Response(status: 204)

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }

    public var bodyBytes: [UInt8] {
        if case .bytes(let b) = body { return b }
        return []
    }
}
