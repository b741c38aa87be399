@testable import API
import Foundation
import HTTP
import Postgres
import TestSupport
import Time
import XCTest

/// `Idempotency-Key` on taking a number (issue 9), over real HTTP against a real database: a kiosk that retries
/// after a network glitch gets its first number again, never a second one.
final class IdempotencyTests: XCTestCase {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(SystemClock().now())

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock; $0.workerThreads = 24 }
        w = try World.make(t)
    }

    override func tearDown() { t.tearDown() }

    var path: String { "/api/v1/locations/\(w.locationID)/tickets" }
    /// The same bytes every time (a retry sends the body it sent before).
    func body(_ service: String, language: String = "nl") -> [UInt8] {
        Array("{\"serviceId\":\"\(service)\",\"language\":\"\(language)\"}".utf8)
    }
    func take(key: String?, body: [UInt8]? = nil, client: HTTPClient? = nil) throws -> HTTPResponse {
        try (client ?? t.client).send("POST", path, body: body ?? self.body(w.serviceA), headers: key.map { ["Idempotency-Key": $0] } ?? [:])
    }
    func count(_ sql: SQL) throws -> Int {
        let db = try t.connection()
        defer { db.close() }
        return try db.query(Query(sql)).first!.int("n")
    }
    func tickets() throws -> Int { try count("SELECT count(*)::int AS n FROM ticket") }
    func keys() throws -> Int { try count("SELECT count(*)::int AS n FROM idempotency_key") }

    func testSameKeyAndBodyTwiceGivesTheSameTicketAndOneRow() throws {
        let key = UUID().uuidString
        let first = try take(key: key)
        XCTAssertEqual(first.status, 201, first.text)
        XCTAssertNil(first.header("Idempotent-Replayed"))
        let again = try take(key: key)
        XCTAssertEqual(again.status, 201, again.text)
        XCTAssertEqual(again.header("Idempotent-Replayed"), "true")
        XCTAssertEqual(again.header("Content-Type"), "application/json")
        XCTAssertEqual(again.body, first.body, "the first answer, byte for byte")
        XCTAssertEqual(try tickets(), 1)
        XCTAssertEqual(try keys(), 1)
        // Without the header nothing is stored and every request is a new number, as before.
        let plain = try take(key: nil)
        XCTAssertEqual(plain.status, 201)
        XCTAssertNil(plain.header("Idempotent-Replayed"))
        XCTAssertNotEqual(plain.object["id"] as? String, first.object["id"] as? String)
        XCTAssertEqual(try tickets(), 2)
        XCTAssertEqual(try keys(), 1)
    }

    /// 20 requests with one key at once: the first claims the key and is held up (the test locks the ticket table)
    /// while the other 19 wait on the key's primary key; then all 20 answer with the one ticket.
    func testTwentyConcurrentRequestsWithOneKeyGiveOneTicketAndTwentyIdenticalAnswers() throws {
        let key = UUID().uuidString
        let blocker = try t.connection()
        defer { blocker.close() }
        try blocker.execute("BEGIN")
        try blocker.execute("LOCK TABLE ticket IN EXCLUSIVE MODE")
        let answers = LockedAnswers()
        let group = DispatchGroup()
        for _ in 0..<20 {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                do { answers.add(try take(key: key)) } catch { answers.fail("\(error)") }
            }
        }
        // Until all 20 wait on a lock (one on the ticket table, 19 on the key), within the app's 5 s lock_timeout.
        // Watched from another connection: inside a transaction pg_stat_activity stays the snapshot first read.
        let watcher = try t.connection()
        defer { watcher.close() }
        let start = Date()
        var waiting = 0
        while Date().timeIntervalSince(start) < 3.5 {
            waiting = try watcher.query(Query("""
                SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'
                """)).first!.int("n")
            if waiting == 20 { break }
            usleep(20_000)
        }
        try blocker.execute("COMMIT")
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(waiting, 20, "all 20 requests were in flight together")
        XCTAssertEqual(answers.errors, [])
        let all = answers.all
        XCTAssertEqual(all.count, 20)
        XCTAssertEqual(Set(all.map(\.status)), [201], all.map(\.text).joined(separator: "\n"))
        XCTAssertEqual(Set(all.map(\.body)).count, 1, "20 identical answers")
        XCTAssertEqual(all.filter { $0.header("Idempotent-Replayed") == "true" }.count, 19)
        XCTAssertEqual(try tickets(), 1)
    }

    /// The first request fails after claiming the key (its database session is ended while a retry waits on the
    /// key): everything it did rolls back, and the waiting retry claims the key and takes the number.
    func testARetryWaitingOnAFailedFirstAttemptRunsNormally() throws {
        let key = UUID().uuidString
        let blocker = try t.connection()
        defer { blocker.close() }
        let watcher = try t.connection()
        defer { watcher.close() }
        try blocker.execute("BEGIN")
        try blocker.execute("LOCK TABLE ticket IN EXCLUSIVE MODE")
        func waitingOn(_ event: String) throws -> [Int] {
            try watcher.query(Query("""
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = $1
                """, event)).map { try $0.int("pid") }
        }
        func until(_ condition: () throws -> Bool) throws {
            let start = Date()
            while try !condition(), Date().timeIntervalSince(start) < 3 { usleep(20_000) }
        }
        let answers = LockedAnswers()
        let group = DispatchGroup()
        func send() {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                do { answers.add(try take(key: key)) } catch { answers.fail("\(error)") }
            }
        }
        send()
        try until { try waitingOn("relation").count == 1 }
        let first = try waitingOn("relation")
        XCTAssertEqual(first.count, 1, "the first request claimed the key and waits on the ticket table")
        send()
        try until { try waitingOn("transactionid").count == 1 }
        XCTAssertEqual(try waitingOn("transactionid").count, 1, "the retry waits on the first request's claim")
        XCTAssertEqual(try watcher.query(Query("SELECT pg_terminate_backend($1::int)::text AS ok", first[0])).first?.string("ok"), "true")
        try until { try waitingOn("relation").count == 1 }
        try blocker.execute("COMMIT")
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        let all = answers.all.sorted { $0.status < $1.status }
        XCTAssertEqual(all.map(\.status).first, 201, all.map(\.text).joined(separator: "\n"))
        XCTAssertGreaterThanOrEqual(all.map(\.status).last ?? 0, 500, "the first request failed")
        XCTAssertNil(all.first?.header("Idempotent-Replayed"), "the retry ran, it did not replay")
        XCTAssertEqual(try tickets(), 1)
        XCTAssertEqual(try take(key: key).body, all.first?.body, "its answer is the one stored")
    }

    func testSameKeyWithAnotherBodyIs422() throws {
        let key = UUID().uuidString
        XCTAssertEqual(try take(key: key).status, 201)
        let other = try take(key: key, body: body(w.serviceA, language: "en"))
        XCTAssertEqual(other.status, 422, other.text)
        XCTAssertEqual(other.header("Content-Type"), "application/problem+json")
        XCTAssertTrue((other.object["detail"] as? String ?? "").contains("different request"), other.text)
        XCTAssertEqual((other.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "Idempotency-Key")
        // Another location (path) with the key is another request too.
        let elsewhere = try t.admin.post("/api/v1/locations", json: ["code": "elders", "name": "Elders"]).object["id"] as! String
        XCTAssertEqual(try t.client.send("POST", "/api/v1/locations/\(elsewhere)/tickets", body: body(w.serviceA),
                                         headers: ["Idempotency-Key": key]).status, 422)
        XCTAssertEqual(try tickets(), 1)
    }

    func testDifferentKeysGiveDifferentTickets() throws {
        let a = try take(key: UUID().uuidString)
        let b = try take(key: UUID().uuidString)
        XCTAssertEqual([a.status, b.status], [201, 201])
        XCTAssertNotEqual(a.object["id"] as? String, b.object["id"] as? String)
        XCTAssertEqual(a.object["number"] as? String, "U001")
        XCTAssertEqual(b.object["number"] as? String, "U002")
        XCTAssertEqual(try tickets(), 2)
        XCTAssertEqual(try keys(), 2)
    }

    /// Keys belong to who sent them: a staff member's key is not an anonymous caller's, nor a kiosk's.
    func testTheSameKeyFromSomeoneElseIsAnotherRequest() throws {
        let key = UUID().uuidString
        let anonymous = try take(key: key)
        let staff = try take(key: key, client: w.staffA)
        XCTAssertEqual([anonymous.status, staff.status], [201, 201], staff.text)
        XCTAssertNil(staff.header("Idempotent-Replayed"))
        XCTAssertNotEqual(anonymous.object["id"] as? String, staff.object["id"] as? String)
        XCTAssertEqual(try take(key: key, client: w.staffA).body, staff.body)
        XCTAssertEqual(try tickets(), 2)
    }

    func testAKeyOlderThan24HoursTakesANewNumber() throws {
        let key = UUID().uuidString
        let first = try take(key: key)
        clock.advance(seconds: 23 * 3600)
        XCTAssertEqual(try take(key: key).body, first.body, "still the same within 24 hours")
        clock.advance(seconds: 3600)
        let later = try take(key: key)
        XCTAssertEqual(later.status, 201, later.text)
        XCTAssertNil(later.header("Idempotent-Replayed"))
        XCTAssertNotEqual(later.object["id"] as? String, first.object["id"] as? String)
        XCTAssertEqual(try tickets(), 2)
        XCTAssertEqual(try keys(), 1, "the expired row was taken over")
        XCTAssertEqual(try take(key: key).body, later.body)
    }

    /// A refusal is not stored: once the location opens again, a retry with the same key takes a number.
    func testARefusedFirstAttemptIsNotStored() throws {
        XCTAssertEqual(try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "coco", "password": "long enough password",
                                                                 "displayName": "Coco", "role": "coordinator"]).status, 201)
        let coco = try World.login(t, "coco", password: "long enough password")
        XCTAssertEqual(try coco.post("/api/v1/locations/\(w.locationID)/closure", json: ["reason": "storm"]).status, 200)
        let key = UUID().uuidString
        XCTAssertEqual(try take(key: key).status, 409)
        XCTAssertEqual(try take(key: key).status, 409, "refused again, not replayed")
        XCTAssertEqual(try keys(), 0, "the claim rolled back with the refusal")
        XCTAssertEqual(try coco.delete("/api/v1/locations/\(w.locationID)/closure").status, 204)
        let retry = try take(key: key)
        XCTAssertEqual(retry.status, 201, retry.text)
        XCTAssertNil(retry.header("Idempotent-Replayed"))
        // A validation refusal is not stored either: the corrected request may use the same key.
        let other = UUID().uuidString
        XCTAssertEqual(try take(key: other, body: Array("{\"serviceId\":\"nope\"}".utf8)).status, 422)
        XCTAssertEqual(try take(key: other).status, 201)
        XCTAssertEqual(try tickets(), 2)
    }

    func testThePeriodicJobsPurgeExpiredKeys() throws {
        XCTAssertEqual(try take(key: UUID().uuidString).status, 201)
        t.app.runJobsOnce()
        XCTAssertEqual(try keys(), 1, "a live key stays")
        clock.advance(seconds: 12 * 3600)
        XCTAssertEqual(try take(key: UUID().uuidString).status, 201)
        clock.advance(seconds: 12 * 3600 + 60)
        t.app.runJobsOnce()
        XCTAssertEqual(try keys(), 1, "only the key older than 24 hours is gone")
    }

    func testTheKeyIsValidated() throws {
        for bad in ["", String(repeating: "k", count: 256), "sleutel-é", "tab\tkey"] {
            let r = try take(key: bad)
            XCTAssertEqual(r.status, 400, "\(bad.debugDescription): \(r.text)")
            XCTAssertEqual(r.header("Content-Type"), "application/problem+json")
            XCTAssertEqual((r.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "Idempotency-Key")
        }
        XCTAssertEqual(try tickets(), 0)
        XCTAssertEqual(try take(key: String(repeating: "k", count: 255)).status, 201)
        XCTAssertEqual(try take(key: "a b ~!").status, 201, "printable ASCII, spaces included")
    }

    func testTheOpenAPIDocumentDescribesTheHeader() throws {
        let doc = try t.client.get("/api/v1/openapi.json").object
        let paths = doc["paths"] as! [String: [String: Any]]
        let take = paths["/api/v1/locations/{locationId}/tickets"]!["post"] as! [String: Any]
        let header = (take["parameters"] as! [[String: Any]]).first { $0["name"] as? String == "Idempotency-Key" }
        XCTAssertEqual(header?["in"] as? String, "header")
        XCTAssertEqual(header?["required"] as? Bool, false)
        XCTAssertEqual((header?["schema"] as? [String: Any])?["maxLength"] as? Int, 255)
        let callNext = paths["/api/v1/desks/{deskId}/call-next"]!["post"] as! [String: Any]
        XCTAssertNil(callNext["parameters"].flatMap { ($0 as? [[String: Any]])?.first { $0["in"] as? String == "header" } },
                     "routes that did not opt in do not mention it")
    }

    /// Every route that opts in (taking a number now, appointments later) can honour the key: a POST holding its
    /// connection for the request.
    func testOptedInRoutesArePOSTsWithAConnectionPerRequest() {
        let keyed = Features.routes.map(\.route).filter { $0.idempotency != .none }
        XCTAssertTrue(keyed.contains { $0.path == "/api/v1/locations/{locationId}/tickets" })
        for route in keyed {
            XCTAssertEqual(route.method, "POST", route.path)
            XCTAssertEqual(route.database, .perRequest, route.path)
        }
    }

    /// The framework part, for any route that opts in: the handler's `ctx.transaction` steps become savepoints of the
    /// claim's transaction, a non-2xx answer rolls back everything it did, and only `.perRequest` routes may opt in.
    func testHandlerStepsCommitOrRollBackWithTheClaim() throws {
        let db = try t.connection()
        defer { db.close() }
        try db.execute("CREATE TABLE probe (n int NOT NULL)")
        let route = DeclaredRoute.post("/probe", .public, OpenAPIOperation("probe", summary: "x", tag: "x", responses: []),
                                       idempotency: .keyed(scope: "probe")) { ctx in
            try ctx.transaction { db in try db.execute("INSERT INTO probe VALUES (1)") }
            // A step that fails is undone alone, as its own transaction would be.
            _ = try? ctx.transaction { db -> Int in
                try db.execute("INSERT INTO probe VALUES (2)")
                throw Problem.conflict("step refused")
            }
            let refuse = ctx.request.body == Array("refuse".utf8)
            return .json(Array("{\"n\":1}".utf8), status: refuse ? 422 : 201)
        }
        func serve(_ key: String?, _ body: String) throws -> Response {
            try t.app.serve(route, constraints: [:], Request(method: "POST", path: "/probe", headers: key.map { ["Idempotency-Key": $0] } ?? [:],
                                                             body: Array(body.utf8)))
        }
        func rows() throws -> [Int] { try db.query(Query("SELECT n FROM probe ORDER BY n")).map { try $0.int("n") } }

        XCTAssertEqual(try serve("a", "refuse").status, 422)
        XCTAssertEqual(try rows(), [], "a refusal returned (not thrown) rolls back the handler's committed-looking steps")
        XCTAssertEqual(try serve("a", "ok").status, 201, "and the key is free for the corrected request")
        XCTAssertEqual(try rows(), [1], "the handler's step committed with the claim; the failed step did not")
        let replay = try serve("a", "ok")
        XCTAssertEqual(replay.header(Idempotency.replayedHeader), "true")
        XCTAssertEqual(replay.bodyBytes, Array("{\"n\":1}".utf8))
        XCTAssertEqual(try rows(), [1], "a replay does not run the handler")
        XCTAssertEqual(try serve(nil, "ok").status, 201)
        XCTAssertEqual(try rows(), [1, 1], "without the header the handler runs as before")

        let brief = DeclaredRoute(method: "POST", path: "/probe", access: .public, operation: route.operation, database: .brief,
                                  idempotency: .keyed(scope: "probe"), handler: route.handler)
        XCTAssertThrowsError(try t.app.serve(brief, constraints: [:], Request(method: "POST", path: "/probe"))) {
            guard case RouteDeclarationError.idempotencyNeedsConnection = $0 else { return XCTFail("\($0)") }
        }
    }
}

/// Answers collected from several threads.
final class LockedAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [HTTPResponse] = []
    private var failures: [String] = []
    func add(_ r: HTTPResponse) { lock.lock(); answers.append(r); lock.unlock() }
    func fail(_ s: String) { lock.lock(); failures.append(s); lock.unlock() }
    var all: [HTTPResponse] { lock.lock(); defer { lock.unlock() }; return answers }
    var errors: [String] { lock.lock(); defer { lock.unlock() }; return failures }
}

/// Statement samples for the generic `StatementTests`.
enum IdempotencyStatementSamples {
    static let samples: [any Statement] = {
        let now = Instant(microseconds: 0)
        let digest = PostgresValue.bytes([UInt8](repeating: 0, count: 32))
        return [
            IdempotencyClaim(scope: "x", key: "x", fingerprint: digest, now: now),
            IdempotencyReplay(scope: "x", key: "x", fingerprint: digest),
            IdempotencyStore(scope: "x", key: "x", status: 201, contentType: nil, body: .bytes([1])),
            PurgeIdempotencyKeys(now: now),
        ]
    }()
}
