import API
import Foundation
import Postgres
import TestSupport
import XCTest

/// What must hold under concurrency and crashes, proven against real processes and a real database.
final class ConcurrencyTests: XCTestCase {

    /// 50 desks call next at once until 2,000 tickets are gone: each ticket called exactly once, none lost, and
    /// every urgent one claimed before any normal one.
    func testFiftyDesksDrainTwoThousandTicketsExactlyOnce() throws {
        let t = try TestApp { $0.workerThreads = 16 }
        defer { t.tearDown() }
        let w = try World.make(t, desks: 50)
        let db = try t.connection()
        // 2,000 tickets through the API: 1,800 normal and 200 urgent (interleaved).
        let created = LockedResults()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<250 {
                let service = (worker * 250 + i) % 10 == 7 ? w.urgentA : w.serviceA
                if let r = try? t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": service]), r.status == 201 {
                    created.add([r.object["id"] as! String, r.object["priority"] as! String])
                } else {
                    created.fail("take failed")
                }
            }
        }
        XCTAssertEqual(created.errors.count, 0)
        XCTAssertEqual(created.all.count, 2000)
        let numbers = try db.query(Query("SELECT count(DISTINCT number)::int AS n FROM ticket")).first!.int("n")
        XCTAssertEqual(numbers, 2000, "no number repeats under concurrent taking")

        // Five staff members, ten desks each, fifty threads.
        var staff: [HTTPClient] = [w.staffA]
        for i in 1..<5 {
            let username = "desk-staff-\(i)"
            XCTAssertEqual(try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": username, "password": "long enough password",
                                                                     "displayName": "Staff \(i)", "role": "staff", "serviceIds": [w.serviceA, w.urgentA]]).status, 201)
            staff.append(try World.login(t, username, password: "long enough password"))
        }
        let calls = LockedResults()
        DispatchQueue.concurrentPerform(iterations: 50) { d in
            let client = staff[d % 5]
            let desk = w.desks[d]
            while true {
                guard let r = try? client.post("/api/v1/desks/\(desk)/call-next") else { calls.fail("io"); return }
                if r.status == 204 { return }
                guard r.status == 200, let id = r.object["id"] as? String else { calls.fail("\(r.status) \(r.text)"); return }
                calls.add([id, r.object["priority"] as! String])
                guard let f = try? client.post("/api/v1/tickets/\(id)/finish"), f.status == 200 else { calls.fail("finish"); return }
            }
        }
        XCTAssertEqual(calls.errors, [])
        let ids = calls.all.map { $0[0] }
        XCTAssertEqual(ids.count, 2000, "every ticket called")
        XCTAssertEqual(Set(ids).count, 2000, "no ticket called twice")
        XCTAssertEqual(Set(ids), Set(created.all.map { $0[0] }), "none lost")
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM ticket WHERE status = 'done'")).first!.int("n"), 2000)
        // Claim order is the order of the claiming transactions' ids (a row lock assigns one): every urgent claim
        // must precede every normal claim.
        let order = try db.query(Query("""
            SELECT (SELECT max(e.tx::text::bigint) FROM event e JOIN ticket t ON t.number = e.payload->>'number'
                    WHERE e.type = 'ticket.called' AND t.priority = 'urgent') AS last_urgent,
                   (SELECT min(e.tx::text::bigint) FROM event e JOIN ticket t ON t.number = e.payload->>'number'
                    WHERE e.type = 'ticket.called' AND t.priority = 'normal') AS first_normal
            """)).first!
        XCTAssertLessThan(try order.int("last_urgent"), try order.int("first_normal"), "all urgent tickets were called before any normal one")
    }

    /// SIGKILL while tickets are being taken: after a restart every ticket that got a 201 exists with its number,
    /// and numbers never repeat.
    func testKilledServerLosesNoAnsweredTicketAndNeverRepeatsANumber() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        var server = try LoketProcess(databaseURL: url)
        let w = try World.prepare(databaseURL: url)
        let answered = LockedResults()
        let stop = LockedValueBox(false)
        let port = server.port
        let group = DispatchGroup()
        for _ in 0..<8 {
            group.enter()
            Thread.detachNewThread {
                let client = HTTPClient(port: port)
                while !stop.value {
                    guard let r = try? client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA]) else { continue }
                    if r.status == 201 { answered.add([r.object["id"] as! String, r.object["number"] as! String]) }
                }
                group.leave()
            }
        }
        XCTAssertTrue(waitUntil(seconds: 20) { answered.all.count >= 300 })
        server.kill()
        stop.value = true
        group.wait()
        server = try LoketProcess(databaseURL: url)
        defer { server.terminate() }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        for pair in answered.all {
            let row = try db.query(Query("SELECT number FROM ticket WHERE id = $1", pair[0])).first
            XCTAssertEqual(try row?.string("number"), pair[1], "a ticket answered with 201 survives the crash")
        }
        for _ in 0..<20 {
            XCTAssertEqual(try server.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA]).status, 201)
        }
        let dup = try db.query(Query("SELECT count(*)::int - count(DISTINCT number)::int AS d FROM ticket")).first!.int("d")
        XCTAssertEqual(dup, 0, "no number repeats after the restart")
    }

    /// Two `loket serve` processes on one database: a call made through one appears on the other's event stream.
    func testTwoProcessesShareEventsThroughPostgres() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let w = try World.prepare(databaseURL: url)
        let a = try LoketProcess(databaseURL: url)
        defer { a.terminate() }
        let b = try LoketProcess(databaseURL: url)
        defer { b.terminate() }
        let stream = try SSEClient(port: b.port, path: "/api/v1/locations/\(w.locationID)/events")
        XCTAssertNotNil(stream.next("queue.changed"))
        let taken = try a.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA]).object
        let token = try a.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery"]).object["token"] as! String
        XCTAssertEqual(try a.client.with(bearer: token).post("/api/v1/desks/\(w.desks[0])/call-next").status, 200)
        let called = stream.next("ticket.called", timeout: 5)
        XCTAssertEqual(called?.json["number"] as? String, taken["number"] as? String)
        XCTAssertEqual(called?.json["deskName"] as? String, "Balie 1")
    }

    /// SIGTERM stops gracefully: open event streams are ended cleanly and the process exits with status 0.
    func testGracefulStopOnSIGTERM() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let server = try LoketProcess(databaseURL: url)
        let w = try World.prepare(databaseURL: url)
        let stream = try SSEClient(port: server.port, path: "/api/v1/locations/\(w.locationID)/events")
        XCTAssertNotNil(stream.next("queue.changed"))
        XCTAssertEqual(server.terminate(), 0)
        XCTAssertNil(stream.next(timeout: 2), "the stream ended")
        XCTAssertTrue((try String(contentsOfFile: server.logPath, encoding: .utf8)).contains("stopped"))
    }
}

final class LockedValueBox: @unchecked Sendable {
    private let lock = NSLock()
    private var v: Bool
    init(_ v: Bool) { self.v = v }
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}

/// Stopping while requests are still running or arriving must never crash (libmicrohttpd aborts if it is stopped
/// with a suspended connection) and must answer every request.
final class GracefulStopTests: XCTestCase {

    func testRequestStillRunningAfterTheDrainTimeGets503AndStopCompletes() throws {
        let t = try TestApp { $0.server.drainSeconds = 1 }
        defer { TestPostgres.dropDatabase(t.databaseURL) }
        let w = try World.make(t, desks: 1)
        _ = try w.take(t, w.serviceA)
        // Hold the numbering row lock so the next take-a-number blocks in the database (lock_timeout is 5 s).
        let blocker = try t.connection()
        try blocker.execute("BEGIN")
        try blocker.query(Query("SELECT * FROM ticket_counter FOR UPDATE"))
        let result = LockedResults()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let r = try? t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA])
            result.add([String(r?.status ?? -1)])
            done.signal()
        }
        usleep(300_000)
        let started = Date()
        t.app.stop()
        XCTAssertLessThan(Date().timeIntervalSince(started), 4, "stop does not wait for the stuck request")
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(result.all.first, ["503"], "the stuck request was answered, not dropped")
        try blocker.execute("ROLLBACK")
    }

    func testRequestOnAKeptAliveConnectionDuringStopGets503() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let w = try World.prepare(databaseURL: url)
        let server = try LoketProcess(databaseURL: url)
        let stream = try SSEClient(port: server.port, path: "/api/v1/locations/\(w.locationID)/events")
        XCTAssertNotNil(stream.next("queue.changed"))
        let keptAlive = try KeepAliveConnection(port: server.port)
        XCTAssertEqual(try keptAlive.get("/healthz"), 200)
        kill(server.process.processIdentifier, SIGTERM)
        usleep(200_000)
        // A display reconnecting on a kept-alive socket while the server drains: refused, not left suspended.
        let status = try? keptAlive.get("/api/v1/locations/\(w.locationID)/events")
        XCTAssertTrue(status == nil || status == 503, "got \(String(describing: status))")
        server.process.waitUntilExit()
        XCTAssertEqual(server.process.terminationStatus, 0, "stopped cleanly, no abort")
    }

    func testUnknownMethodsDoNotPolluteMetrics() throws {
        let t = try TestApp()
        defer { t.tearDown() }
        _ = try t.client.send("ZZ1\"x", "/healthz")
        let metrics = try t.client.get("/metrics").text
        XCTAssertFalse(metrics.contains("ZZ1"), "client-chosen method names are not labels")
        XCTAssertTrue(metrics.contains("method=\"other\""))
    }

    func testTrustedProxyForwardedAddressesAreLimitedSeparately() throws {
        let t = try TestApp(ticketRatePerMinute: 2) { $0.trustedProxies = ["127.0.0.1"] }
        defer { t.tearDown() }
        let w = try World.make(t, desks: 1)
        func take(_ forwardedFor: String) throws -> Int {
            try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA],
                              headers: ["X-Forwarded-For": forwardedFor]).status
        }
        XCTAssertEqual([try take("203.0.113.7"), try take("203.0.113.7"), try take("203.0.113.7")], [201, 201, 429])
        XCTAssertEqual(try take("198.51.100.4"), 201, "another phone behind the same proxy has its own limit")
        XCTAssertEqual([try take("2001:db8:1:2::a"), try take("2001:db8:1:2:ffff::b"), try take("2001:db8:1:2::c")], [201, 201, 429],
                       "addresses of one IPv6 /64 share a limit")
    }
}

/// One HTTP/1.1 connection reused for several requests (what browsers do), for tests of behaviour between requests.
final class KeepAliveConnection {
    private let fd: Int32
    init(port: Int) throws { fd = try HTTPClient.connect(port: port, timeout: 10) }
    deinit { close(fd) }

    /// Sends a GET and returns the status; reads the headers and a Content-Length body, or nothing for streams.
    func get(_ path: String) throws -> Int {
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        _ = request.withCString { write(fd, $0, strlen($0)) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { throw NSError(domain: "closed", code: 0) }
            data += buffer[0..<n]
            let text = String(decoding: data, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = String(text[..<end.lowerBound])
                let status = Int(head.split(separator: " ")[1]) ?? 0
                if let lengthLine = head.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") }),
                   let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) {
                    var body = data.count - (text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound.samePosition(in: text.utf8)!))
                    while body < length {
                        let m = read(fd, &buffer, buffer.count)
                        if m <= 0 { break }
                        body += m
                    }
                }
                return status
            }
        }
    }
}
