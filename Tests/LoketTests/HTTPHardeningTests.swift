import API
import Foundation
import Glibc
import HTTP
import TestSupport
import XCTest

/// Defects found by black-box testing, each over real sockets against a real server: connection exhaustion by one
/// client, NUL characters cutting text short, ambiguous or oversized requests, and anonymous metrics.
final class HTTPHardeningTests: XCTestCase {
    nonisolated(unsafe) static var t: TestApp!

    override class func setUp() {
        t = try! TestApp { $0.metricsToken = "metrics-token-for-tests" }
    }

    override class func tearDown() {
        t.tearDown()
    }

    var t: TestApp { Self.t }

    func assertProblem(_ r: HTTPResponse, _ status: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, r.text, file: file, line: line)
        XCTAssertEqual(r.header("content-type"), "application/problem+json", r.text, file: file, line: line)
        XCTAssertEqual(r.object["status"] as? Int, status, r.text, file: file, line: line)
        XCTAssertFalse((r.object["detail"] as? String ?? "").isEmpty, "problem needs a detail", file: file, line: line)
    }

    /// Sends raw bytes; expects one answer that arrives quickly (well before any client timeout) and a closed connection.
    func rawAnswer(_ text: String, body: [UInt8] = [], file: StaticString = #filePath, line: UInt = #line) throws -> HTTPResponse {
        let (data, seconds) = try t.client.raw(Array(text.utf8) + body, timeout: 8)
        XCTAssertLessThan(seconds, 2.5, "the answer must come at once, not after a timeout", file: file, line: line)
        return try HTTPClient.parseResponse(data)
    }

    // MARK: 1. Connections per client address, idle timeout

    func testOneAddressCannotTakeAllConnections() throws {
        let limited = try TestApp(databaseURL: nil) { $0.server.connectionsPerAddress = 8 }
        defer { limited.tearDown() }
        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        for _ in 0..<8 { held.append(try HTTPClient.connect(port: limited.app.port, timeout: 5, from: "127.0.0.3")) }
        // Give libmicrohttpd time to accept the eight before the extra ones arrive.
        usleep(300_000)
        var refused = 0
        let started = Date()
        for _ in 0..<6 {
            let fd = try HTTPClient.connect(port: limited.app.port, timeout: 5, from: "127.0.0.3")
            defer { close(fd) }
            let request = Array("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = read(fd, &buffer, buffer.count)
            // Closed (EOF or reset) without an answer: the ninth connection and later from one address.
            if n == 0 || (n < 0 && errno == ECONNRESET) { refused += 1 }
        }
        XCTAssertEqual(refused, 6, "connections above the per-address limit must be closed")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "refusals must be quick, not timeouts")
        // Another client is answered promptly while the first holds its eight.
        let other = Date()
        XCTAssertEqual(try limited.client.from("127.0.0.4").get("/healthz").status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(other), 2)
        // The eight held connections still work.
        try HTTPClient.send(held[0], Array("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = read(held[0], &buffer, buffer.count)
        XCTAssertTrue(n > 0 && String(decoding: buffer[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        XCTAssertGreaterThan(limited.app.configuration.server.connectionsPerAddress, 0)
    }

    func testIdleKeepAliveClosesButIdleEventStreamSurvives() throws {
        let short = try TestApp(databaseURL: nil) {
            $0.server.connectionTimeoutSeconds = 3
            $0.server.firstRequestTimeoutSeconds = 1
            $0.server.heartbeatSeconds = 4
        }
        defer { short.tearDown() }
        let w = try World.make(short, desks: 1)
        let stream = try SSEClient(port: short.app.port, path: "/api/v1/locations/\(w.locationID)/events")

        let fd = try HTTPClient.connect(port: short.app.port, timeout: 15)
        defer { close(fd) }
        try HTTPClient.send(fd, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        var buffer = [UInt8](repeating: 0, count: 4096)
        XCTAssertGreaterThan(read(fd, &buffer, buffer.count), 0, "keep-alive answer")
        let idleSince = Date()
        let n = read(fd, &buffer, buffer.count)
        let idle = Date().timeIntervalSince(idleSince)
        XCTAssertTrue(n == 0 || (n < 0 && errno == ECONNRESET), "an idle keep-alive connection is closed by the server")
        XCTAssertGreaterThan(idle, 2, "after a request the connection gets the idle timeout, not the first-request one")
        XCTAssertLessThan(idle, 10)

        // A line libmicrohttpd cannot parse (it starts with NUL) is never answered; it is closed after the short
        // first-request timeout instead of being held for the idle timeout.
        let garbage = HTTPClient(port: short.app.port)
        let (_, seconds) = try garbage.raw([0, 1, 2, 3, 13, 10, 13, 10], timeout: 10)
        XCTAssertLessThan(seconds, 2.9, "unparseable input must not hold a connection for long")

        // The event stream has been idle (apart from heartbeats) for several idle timeouts and still delivers.
        for _ in 0..<2 { XCTAssertNotNil(stream.next("ping", timeout: 6), "the stream must survive its heartbeats") }
        XCTAssertEqual(stream.status, 200)
    }

    // MARK: 2. NUL characters

    func testNulInJSONIsRefusedAndNothingStored() throws {
        let nulName = try t.admin.send("POST", "/api/v1/agencies",
                                       body: Array(#"{"code":"nul-agency","name":"a\u0000SECRET"}"#.utf8))
        assertProblem(nulName, 422)
        XCTAssertEqual((nulName.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "name", nulName.text)
        let nested = try t.admin.send("POST", "/api/v1/agencies",
                                      body: Array(#"{"code":"nul-agency","name":"ok","citizen":{"tags":["x"],"name":"b\u0000"}}"#.utf8))
        assertProblem(nested, 422)
        XCTAssertEqual((nested.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "citizen.name", nested.text)
        let inArray = try t.admin.send("POST", "/api/v1/agencies",
                                       body: Array(#"{"code":"nul-agency","name":"ok","items":["x","\u0000"]}"#.utf8))
        assertProblem(inArray, 422)
        XCTAssertEqual((inArray.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "items[1]", inArray.text)
        let inKey = try t.admin.send("POST", "/api/v1/agencies",
                                     body: Array(#"{"code":"nul-agency","na\u0000me":"ok"}"#.utf8))
        assertProblem(inKey, 422)
        let rawByte = try t.admin.send("POST", "/api/v1/agencies",
                                       body: Array(#"{"code":"nul-agency","name":"a"#.utf8) + [0] + Array(#"b"}"#.utf8))
        // A raw NUL byte inside a string is the same character as an escaped one: 422 naming the field (README).
        assertProblem(rawByte, 422)
        XCTAssertEqual((rawByte.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "name", rawByte.text)

        let list = try t.admin.get("/api/v1/agencies").text
        XCTAssertFalse(list.contains("nul-agency"), "nothing may be stored: \(list)")
        XCTAssertFalse(list.contains("SECRET"))

        // An escaped backslash followed by "u0000" is six ordinary characters, not a NUL.
        let literal = try t.admin.send("POST", "/api/v1/agencies", body: Array(#"{"code":"nul-literal","name":"a\\u0000b"}"#.utf8))
        XCTAssertEqual(literal.status, 201, literal.text)
        XCTAssertEqual(literal.object["name"] as? String, #"a\u0000b"#)
    }

    func testNulInPathOrQueryIsRefused() throws {
        let id = try t.admin.post("/api/v1/agencies", json: ["code": "nul-path", "name": "Path"]).object["id"] as! String
        // libmicrohttpd decodes %00 into a NUL that would cut the path to the bare id: the lookup must not succeed.
        let path = try t.admin.get("/api/v1/agencies/\(id)%00anything")
        assertProblem(path, 400)
        XCTAssertEqual(path.header("content-type"), "application/problem+json")
        let query = try t.admin.get("/api/v1/agencies?code=a%00b")
        assertProblem(query, 400)
        XCTAssertEqual(query.header("content-type"), "application/problem+json")
        XCTAssertEqual(try t.admin.get("/api/v1/agencies/\(id)").status, 200)
    }

    // MARK: 3. Framing and limits before routing

    func testConflictingContentLengthIs400() throws {
        let r = try rawAnswer("POST /api/v1/agencies HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestApp.adminToken)\r\n"
                              + "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 41\r\n\r\n",
                              body: Array(#"{}{"code":"smuggled","name":"Smuggled"}"#.utf8))
        assertProblem(r, 400)
        XCTAssertFalse(try t.admin.get("/api/v1/agencies").text.contains("smuggled"))
        let both = try rawAnswer("POST /api/v1/agencies HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n")
        assertProblem(both, 400)
        // Two identical copies say the same thing (RFC 9110 §8.6): the request goes on to the handler.
        let same = try t.client.raw(Array(("POST /api/v1/agencies HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(TestApp.adminToken)\r\n"
                                           + "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\n"
                                           + "Connection: close\r\n\r\n{}").utf8), timeout: 8)
        XCTAssertEqual(try HTTPClient.parseResponse(same.data).status, 422)
        let hosts = try rawAnswer("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
        assertProblem(hosts, 400)
    }

    func testUnsupportedTransferEncodingIsAnsweredAtOnce() throws {
        let r = try rawAnswer("POST /api/v1/agencies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
        // Any transfer coding but plain chunked is not implemented (README): 501, not a generic 400.
        assertProblem(r, 501)
    }

    func testGarbageRequestLineIsAnsweredAtOnce() throws {
        for garbage in ["GARBAGE\r\n\r\n", "\u{16}\u{03}\u{01} hello\r\n\r\n", "GET\r\n\r\n", "GET / FOO/1.1\r\n\r\n"] {
            let (data, seconds) = try t.client.raw(Array(garbage.utf8), timeout: 8)
            XCTAssertLessThan(seconds, 2.5, "garbage \(garbage.debugDescription) must be refused at once")
            if !data.isEmpty { XCTAssertEqual(try HTTPClient.parseResponse(data).status, 400) }
        }
    }

    func testExpectContinueWithTooLargeBodyGets413NotContinue() throws {
        let (data, seconds) = try t.client.raw(Array(("POST /api/v1/agencies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                                       + "Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n").utf8), timeout: 8)
        XCTAssertLessThan(seconds, 2.5)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 413"), text)
        let r = try HTTPClient.parseResponse(data)
        assertProblem(r, 413)
    }

    func testLongTargetAndHugeHeadersAreProblems() throws {
        let long = try t.client.get("/healthz?pad=" + String(repeating: "a", count: 6000))
        assertProblem(long, 414)
        let headers = try t.client.get("/healthz", headers: ["X-Pad-1": String(repeating: "b", count: 4500),
                                                            "X-Pad-2": String(repeating: "c", count: 4500)])
        assertProblem(headers, 431)
        // Within the limits, the same request is fine.
        XCTAssertEqual(try t.client.get("/healthz?pad=" + String(repeating: "a", count: 1000)).status, 200)
    }

    // MARK: 4. Metrics

    func testMetricsOnlyForLoopbackOrToken() throws {
        XCTAssertEqual(try t.client.get("/metrics").status, 200, "a local scraper needs no token")
        // A request forwarded by a proxy on this machine comes from loopback but is not local.
        let forwarded = ["X-Forwarded-For": "203.0.113.7"]
        assertProblem(try t.client.get("/metrics", headers: forwarded), 401)
        assertProblem(try t.client.with(bearer: "wrong-token").get("/metrics", headers: forwarded), 401)
        let scraped = try t.client.with(bearer: "metrics-token-for-tests").get("/metrics", headers: forwarded)
        XCTAssertEqual(scraped.status, 200)
        XCTAssertTrue(scraped.text.contains("loket_http_requests_total"))
        // Another client address on loopback is still this machine.
        XCTAssertEqual(try t.client.from("127.0.0.5").get("/metrics").status, 200)
    }

    func testMetricsWithoutTokenConfiguredAre403FromOutside() throws {
        let plain = try TestApp(databaseURL: nil)
        defer { plain.tearDown() }
        assertProblem(try plain.client.get("/metrics", headers: ["X-Forwarded-For": "203.0.113.7"]), 403)
        assertProblem(try plain.client.get("/metrics", headers: ["Forwarded": "for=203.0.113.7"]), 403)
        XCTAssertEqual(try plain.client.get("/metrics").status, 200)
    }
}
