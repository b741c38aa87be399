import API
import Foundation
import Glibc
import HTTP
import Locking
import TestSupport
import XCTest

/// Routing, problem+json errors and operational endpoints, over real HTTP on loopback.
final class HTTPTests: XCTestCase {
    nonisolated(unsafe) static var t: TestApp!

    override class func setUp() {
        t = try! TestApp()
    }

    override class func tearDown() {
        t.tearDown()
    }

    /// JSON string quoting (every answer's strings): plain text as is, with a fast path for strings that need no
    /// escape; quotes, backslashes and control characters escaped; each result parses back to the same string.
    func testJSONQuotingEscapesExactlyWhatJSONNeeds() throws {
        XCTAssertEqual(JSONText.quote("U001"), "\"U001\"")
        XCTAssertEqual(JSONText.quote(""), "\"\"")
        XCTAssertEqual(JSONText.quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"")
        for text in ["plain", "ا لعربية", "zoë\t", "\u{1F600}\"", "\\", "x\u{1F}y", "\r\n"] {
            let quoted = JSONText.quote(text)
            let back = try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: [.fragmentsAllowed]) as? String
            XCTAssertEqual(back, text, quoted)
        }
    }

    var t: TestApp { Self.t }

    func assertProblem(_ r: HTTPResponse, _ status: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, r.text, file: file, line: line)
        XCTAssertEqual(r.header("content-type"), "application/problem+json", file: file, line: line)
        XCTAssertEqual(r.object["status"] as? Int, status, file: file, line: line)
        XCTAssertFalse((r.object["title"] as? String ?? "").isEmpty, file: file, line: line)
        XCTAssertFalse((r.object["detail"] as? String ?? "").isEmpty, "problem needs a detail", file: file, line: line)
    }

    func testHealthReadyAndMetrics() throws {
        XCTAssertEqual(try t.client.get("/healthz").status, 200)
        XCTAssertEqual(try t.client.get("/readyz").object["status"] as? String, "ready")
        _ = try t.admin.get("/api/v1/agencies")
        let metrics = try t.client.get("/metrics").text
        XCTAssertTrue(metrics.contains("loket_http_requests_total{method=\"GET\",route=\"/api/v1/agencies\",status=\"200\"}"), metrics)
        XCTAssertTrue(metrics.contains("loket_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"}"))
        XCTAssertTrue(metrics.contains("loket_db_pool_connections{state=\"idle\"}"))
        XCTAssertTrue(metrics.contains("loket_db_errors_total"))
    }

    /// Numeric settings outside what the process can use are refused at start with a message naming the variable
    /// and the range: no crash converting to the C types (a connection limit or idle timeout above 2^32 − 1 used
    /// to trap), no millions of threads.
    func testOutOfRangeSettingsAreRefusedWithAMessage() throws {
        let cases = [("LOKET_MAX_CONNECTIONS", "99999999999", "1 to 1000000"),
                     ("LOKET_IDLE_TIMEOUT_SECONDS", "99999999999", "1 to 86400"),
                     ("LOKET_WORKERS", "100000000", "1 to 256"),
                     ("LOKET_HASHING_THREADS", "100000000", "1 to 64"),
                     ("LOKET_PORT", "70000", "0 to 65535"),
                     ("LOKET_TICKET_RATE_PER_MINUTE", "-1", "0 to 1000000")]
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        for (key, value, range) in cases {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestApp.loketBinary)
            process.arguments = ["serve"]
            var env = ProcessInfo.processInfo.environment
            env["LOKET_DATABASE_URL"] = url
            env["LOKET_PORT"] = "0"
            env["LOKET_KIOSK_DIR"] = TestApp.repositoryRoot + "/kiosk"
            env[key] = value
            process.environment = env
            let logPath = "/tmp/loket-settings-\(getpid())-\(key).log"
            FileManager.default.createFile(atPath: logPath, contents: nil)
            defer { unlink(logPath) }
            let log = FileHandle(forWritingAtPath: logPath)!
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let exited = waitUntil(seconds: 30) { !process.isRunning }
            if !exited { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            XCTAssertTrue(exited, "\(key)=\(value): loket kept running: \(output)")
            XCTAssertEqual(process.terminationReason, .exit, "\(key)=\(value): no crash: \(output)")
            XCTAssertNotEqual(process.terminationStatus, 0, "\(key)=\(value)")
            XCTAssertTrue(output.contains(key) && output.contains(range), "\(key)=\(value): \(output)")
        }
    }

    func testUnknownPathIs404Problem() throws {
        assertProblem(try t.client.get("/nothing/here"), 404)
        assertProblem(try t.admin.get("/api/v1/agencies/not-a-uuid"), 404)
        assertProblem(try t.admin.get("/api/v1/agencies/\(UUID().uuidString.lowercased())"), 404)
    }

    func testWrongMethodIs405WithAllow() throws {
        let r = try t.client.send("PUT", "/healthz")
        assertProblem(r, 405)
        XCTAssertEqual(r.header("allow"), "GET")
    }

    func testMalformedJSONIs400() throws {
        let r = try t.admin.send("POST", "/api/v1/agencies", body: Array("{not json".utf8))
        assertProblem(r, 400)
        let wrongType = try t.admin.post("/api/v1/agencies", json: ["code": 12, "name": "X"])
        assertProblem(wrongType, 400)
        XCTAssertTrue((wrongType.object["detail"] as? String ?? "").contains("code"), wrongType.text)
    }

    func testMissingTokenIs401AndWrongRoleIs403() throws {
        assertProblem(try t.client.post("/api/v1/agencies", json: ["code": "x", "name": "X"]), 401)
        assertProblem(try t.client.with(bearer: "nonsense").get("/api/v1/agencies"), 401)
        let agency = try t.admin.post("/api/v1/agencies", json: ["code": "role-check", "name": "Role check"]).object["id"] as! String
        XCTAssertEqual(try t.admin.post("/api/v1/staff", json: ["agencyId": agency, "username": "plain-staff", "password": "long enough password",
                                                                 "displayName": "Plain", "role": "staff"]).status, 201)
        let staff = try World.login(t, "plain-staff", password: "long enough password")
        assertProblem(try staff.post("/api/v1/agencies", json: ["code": "y", "name": "Y"]), 403)
        assertProblem(try staff.get("/api/v1/staff"), 403)
    }

    func testDuplicateIs409AndUnknownReferenceIs422() throws {
        XCTAssertEqual(try t.admin.post("/api/v1/agencies", json: ["code": "dup", "name": "Dup"]).status, 201)
        assertProblem(try t.admin.post("/api/v1/agencies", json: ["code": "dup", "name": "Dup again"]), 409)
        let r = try t.admin.post("/api/v1/services", json: ["agencyId": UUID().uuidString.lowercased(), "code": "orphan", "name": "Orphan",
                                                             "ticketPrefix": "O", "durationMinutes": 5])
        assertProblem(r, 422)
        XCTAssertEqual((r.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "agencyId", r.text)
    }

    func testBodyOver64KiBIs413() throws {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 70 * 1024)
        assertProblem(try t.admin.send("POST", "/api/v1/agencies", body: big), 413)
        // The server stays healthy afterwards.
        XCTAssertEqual(try t.client.get("/healthz").status, 200)
    }

    func testValidationIs422WithInvalidParams() throws {
        let r = try t.admin.post("/api/v1/locations", json: ["code": "Bad Code!", "name": ""])
        assertProblem(r, 422)
        let names = (r.object["invalidParams"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        XCTAssertEqual(Set(names), ["code", "name"])
        let tz = try t.admin.post("/api/v1/locations", json: ["code": "tz", "name": "TZ", "timeZone": "Mars/Olympus"])
        assertProblem(tz, 422)
        XCTAssertEqual((tz.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "timeZone", tz.text)
    }

    func testOpenAPIListsEveryRoute() throws {
        let doc = try t.client.get("/api/v1/openapi.json").object
        XCTAssertEqual(doc["openapi"] as? String, "3.0.3")
        let paths = doc["paths"] as? [String: [String: Any]] ?? [:]
        for route in t.app.makeRouter().allRoutes {
            let path = route.pattern.replacingOccurrences(of: "...}", with: "}")
            XCTAssertNotNil(paths[path]?[route.method.lowercased()], "OpenAPI misses \(route.method) \(route.pattern)")
        }
        var documented = 0
        for (_, ops) in paths { documented += ops.count }
        XCTAssertEqual(documented, t.app.makeRouter().allRoutes.count, "OpenAPI documents routes the router does not have")
    }

    func testInProcessRouterMatchesParameters() throws {
        var b = RouteBuilder()
        b.get("/a/{x}/b/{y}") { req in .text(req.parameter("x") + "," + req.parameter("y")) }
        b.get("/files/{path...}") { req in .text(req.parameter("path")) }
        b.post("/boom") { _ in throw NSError(domain: "x", code: 1) }
        let router = Router(routes: b.routes)
        XCTAssertEqual(String(decoding: router.respond(to: Request(method: "GET", path: "/a/1/b/2")).response.bodyBytes, as: UTF8.self), "1,2")
        XCTAssertEqual(String(decoding: router.respond(to: Request(method: "GET", path: "/files/i18n/nl.json")).response.bodyBytes, as: UTF8.self), "i18n/nl.json")
        XCTAssertEqual(router.respond(to: Request(method: "GET", path: "/a/1/b")).response.status, 404)
        let boom = router.respond(to: Request(method: "POST", path: "/boom")).response
        XCTAssertEqual(boom.status, 500)
        XCTAssertFalse(String(decoding: boom.bodyBytes, as: UTF8.self).contains("NSError"), "internal errors must not leak")
    }

    func testStaticAssetsAreGzippedWithCSPOnPages() throws {
        let page = try t.client.get("/kiosk/centrum", headers: ["Accept-Encoding": "gzip"])
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.header("content-encoding"), "gzip")
        XCTAssertTrue(page.header("content-security-policy")?.contains("default-src 'self'") ?? false)
        let plain = try t.client.get("/kiosk/centrum")
        XCTAssertNil(plain.header("content-encoding"))
        XCTAssertTrue(plain.text.contains("<html"))
        let again = try t.client.get("/kiosk/centrum", headers: ["If-None-Match": plain.header("etag") ?? ""])
        XCTAssertEqual(again.status, 304)
    }

    func testPublicScreensSetNoCookies() throws {
        for path in ["/kiosk/centrum", "/display/centrum", "/t/\(UUID().uuidString.lowercased())", "/assets/kiosk.js",
                     "/api/v1/kiosk/centrum"] {
            let r = try t.client.get(path)
            XCTAssertNil(r.header("set-cookie"), path)
        }
    }

    func testManyConcurrentRequestsAllAnswered() throws {
        let n = 200
        let ok = LockedValue(0)
        let t = self.t
        DispatchQueue.concurrentPerform(iterations: n) { i in
            if let r = try? (i % 2 == 0 ? t.client.get("/healthz") : t.admin.get("/api/v1/agencies")), r.status == 200 {
                ok.withValue { $0 += 1 }
            }
        }
        XCTAssertEqual(ok.get(), n)
    }
}
