import Foundation
import Glibc

/// A tiny blocking HTTP/1.1 client over a real TCP socket on loopback, so tests exercise libmicrohttpd exactly
/// as a browser or kiosk would (no in-process shortcut, no mock).
public struct HTTPResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON (dictionary or array), or nil.
    public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
    public var object: [String: Any] { json as? [String: Any] ?? [:] }
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

public enum HTTPClientError: Error { case connect(String), io(String), timeout }

public struct HTTPClient: Sendable {
    public let port: Int
    public var bearer: String?
    /// The client-side loopback address to connect from (nil: the kernel's choice, 127.0.0.1).
    public var sourceAddress: String?

    public init(port: Int, bearer: String? = nil) {
        self.port = port
        self.bearer = bearer
    }

    public func with(bearer: String?) -> HTTPClient {
        var c = HTTPClient(port: port, bearer: bearer)
        c.sourceAddress = sourceAddress
        return c
    }

    /// The same client connecting from another loopback address.
    public func from(_ address: String) -> HTTPClient {
        var c = self
        c.sourceAddress = address
        return c
    }

    /// Parses raw response bytes (status line, headers, body).
    public static func parseResponse(_ data: [UInt8]) throws -> HTTPResponse { try parse(data) }

    /// Writes all bytes to a socket from `connect`.
    public static func send(_ fd: Int32, _ bytes: [UInt8]) throws { try writeAll(fd, bytes) }

    /// Sends raw bytes on a fresh connection and reads until the server closes or `timeout` passes; returns the
    /// bytes and the seconds it took (for requests a normal client cannot form: duplicate headers, bad framing).
    public func raw(_ bytes: [UInt8], timeout: Double = 10) throws -> (data: [UInt8], seconds: Double) {
        let fd = try Self.connect(port: port, timeout: timeout, from: sourceAddress)
        defer { close(fd) }
        let started = Date()
        try Self.writeAll(fd, bytes)
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { data.append(contentsOf: buffer[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        return (data, Date().timeIntervalSince(started))
    }

    @discardableResult
    public func get(_ path: String, headers: [String: String] = [:]) throws -> HTTPResponse {
        try send("GET", path, headers: headers)
    }

    /// Keys are sorted, so one dictionary always gives the same bytes (a retry with an `Idempotency-Key` must send the
    /// same body; a dictionary's own order differs between two serialisations).
    @discardableResult
    public func post(_ path: String, json: Any? = nil, headers: [String: String] = [:]) throws -> HTTPResponse {
        try send("POST", path, body: json.map { try! JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed, .sortedKeys]) }.map(Array.init), headers: headers)
    }

    @discardableResult
    public func patch(_ path: String, json: Any, headers: [String: String] = [:]) throws -> HTTPResponse {
        try send("PATCH", path, body: Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])), headers: headers)
    }

    @discardableResult
    public func delete(_ path: String, headers: [String: String] = [:]) throws -> HTTPResponse {
        try send("DELETE", path, headers: headers)
    }

    public func send(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [String: String] = [:],
                     timeout: Double = 30) throws -> HTTPResponse {
        let fd = try Self.connect(port: port, timeout: timeout, from: sourceAddress)
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        var all = headers
        if let bearer, all["Authorization"] == nil { all["Authorization"] = "Bearer \(bearer)" }
        if let body {
            if all["Content-Type"] == nil { all["Content-Type"] = "application/json" }
            all["Content-Length"] = String(body.count)
        }
        for (k, v) in all { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        try Self.writeAll(fd, Array(head.utf8) + (body ?? []))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { throw HTTPClientError.timeout }
                // A server that refuses a large body may close before reading it all.
                if !data.isEmpty { break }
                throw HTTPClientError.io("read failed: \(errno)")
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return try Self.parse(data)
    }

    /// A connected TCP socket to 127.0.0.1:port with read/write timeouts. `from` binds the client side to another
    /// loopback address (e.g. 127.0.0.2), so a test can be a second client address on one machine.
    public static func connect(port: Int, timeout: Double, from source: String? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError.connect("socket failed") }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { close(fd); throw HTTPClientError.connect("bind to \(source) failed: \(errno)") }
        }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw HTTPClientError.connect("connect to 127.0.0.1:\(port) failed: \(errno)")
        }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                // The server may answer (413) and close before the whole body was sent.
                if errno == EPIPE || errno == ECONNRESET { return }
                throw HTTPClientError.io("write failed: \(errno)")
            }
            sent += n
        }
    }

    static func parse(_ data: [UInt8]) throws -> HTTPResponse {
        guard let split = find(data, Array("\r\n\r\n".utf8)) else { throw HTTPClientError.io("no header end in \(data.count) bytes") }
        let head = String(decoding: data[0..<split], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw HTTPClientError.io("bad status line") }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[key] = headers[key].map { $0 + ", " + value } ?? value
        }
        var body = Array(data[(split + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            guard let lineEnd = find(Array(data[i...]), [13, 10]) else { break }
            let sizeText = String(decoding: data[i..<(i + lineEnd)], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = i + lineEnd + 2
            out.append(contentsOf: data[start..<min(start + size, data.count)])
            i = start + size + 2
        }
        return out
    }

    static func find(_ data: [UInt8], _ needle: [UInt8]) -> Int? {
        guard data.count >= needle.count else { return nil }
        for i in 0...(data.count - needle.count) where data[i] == needle[0] && Array(data[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}

/// One Server-Sent Event as a client sees it.
public struct ServerSentEvent: Sendable {
    public let event: String
    public let id: String?
    public let data: String
    public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
}

/// A streaming client for `text/event-stream` over a real socket. Decodes the chunked framing incrementally, then
/// splits the payload into events at blank lines.
public final class SSEClient: @unchecked Sendable {
    private let fd: Int32
    private var raw: [UInt8] = []
    private var payload: [UInt8] = []
    private var headerDone = false
    private var chunked = false
    /// Bytes left in the current chunk; nil while reading a chunk-size line.
    private var chunkRemaining: Int?
    public private(set) var status = 0
    public private(set) var lastEventID: String?

    public init(port: Int, path: String, lastEventID: String? = nil, bearer: String? = nil) throws {
        fd = try HTTPClient.connect(port: port, timeout: 1)
        var head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        if let lastEventID { head += "Last-Event-ID: \(lastEventID)\r\n" }
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        head += "\r\n"
        try HTTPClient.writeAll(fd, Array(head.utf8))
    }

    deinit { Glibc.close(fd) }

    /// Closes the connection from the client side (like a browser tab closing).
    public func close() { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    /// The next event (comments and `retry:` skipped), or nil after `timeout` seconds or when the stream ends.
    public func next(timeout: Double = 10) -> ServerSentEvent? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let event = takeEvent() { return event }
            if Date() >= deadline { return nil }
            var chunk = [UInt8](repeating: 0, count: 16384)
            let n = read(fd, &chunk, chunk.count)
            if n > 0 {
                raw.append(contentsOf: chunk[0..<n])
                decode()
            } else if n == 0 {
                return takeEvent()
            } else if errno != EAGAIN && errno != EINTR {
                return nil
            }
        }
    }

    /// Waits for an event of the given type, skipping others.
    public func next(_ type: String, timeout: Double = 10) -> ServerSentEvent? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let e = next(timeout: deadline.timeIntervalSinceNow) else { return nil }
            if e.event == type { return e }
        }
        return nil
    }

    private func decode() {
        if !headerDone {
            guard let end = HTTPClient.find(raw, Array("\r\n\r\n".utf8)) else { return }
            let head = String(decoding: raw[0..<end], as: UTF8.self)
            status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            chunked = head.lowercased().contains("transfer-encoding: chunked")
            raw.removeFirst(end + 4)
            headerDone = true
        }
        guard chunked else {
            payload.append(contentsOf: raw)
            raw.removeAll()
            return
        }
        while true {
            if let remaining = chunkRemaining {
                if remaining == 0 {
                    guard raw.count >= 2 else { return }
                    raw.removeFirst(2)
                    chunkRemaining = nil
                    continue
                }
                guard !raw.isEmpty else { return }
                let take = min(remaining, raw.count)
                payload.append(contentsOf: raw[0..<take])
                raw.removeFirst(take)
                chunkRemaining = remaining - take
            } else {
                guard let lineEnd = HTTPClient.find(raw, [13, 10]) else { return }
                let size = Int(String(decoding: raw[0..<lineEnd], as: UTF8.self).split(separator: ";").first ?? "", radix: 16) ?? 0
                raw.removeFirst(lineEnd + 2)
                chunkRemaining = size
                if size == 0 { return }
            }
        }
    }

    private func takeEvent() -> ServerSentEvent? {
        while let end = HTTPClient.find(payload, [10, 10]) {
            let block = String(decoding: payload[0..<end], as: UTF8.self)
            payload.removeFirst(end + 2)
            var event = "message", data: [String] = [], id: String?, sawField = false
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)); sawField = true }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))); sawField = true }
                if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
            }
            if sawField {
                if let id { lastEventID = id }
                return ServerSentEvent(event: event, id: id, data: data.joined(separator: "\n"))
            }
        }
        return nil
    }
}
