@testable import API
import Credentials
import Foundation
import HTTP
import Postgres
import TestSupport
import Time
import XCTest

/// Roles, walls, audit and sessions (issue 11): the coordinator scope, the audit log's guards, retention and search,
/// audited reads of personal data, idle expiry and logging out everywhere. The matrix is `AuthorizationMatrixTests`.
final class AccessTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    let clock = ManualClock(Instant(rfc3339: "2026-03-30T08:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock; $0.runJobs = false; $0.trustedProxies = ["127.0.0.1"]; $0.sessionIdleMinutes = 30 }
    }
    override func tearDown() { t.tearDown() }

    func count(_ text: String, _ params: any PostgresEncodable...) throws -> Int {
        let db = try t.connection()
        defer { db.close() }
        return try db.query(Query(SQL(unsafeUnchecked: text), parameters: params)).first!.int("n")
    }

    func expectFailure(_ db: Connection, _ text: String, sqlState: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try db.execute(SQL(unsafeUnchecked: text))
            XCTFail("\(text) succeeded", file: file, line: line)
        } catch let error as PostgresError {
            if let sqlState { XCTAssertEqual(error.sqlState, sqlState, "\(text): \(error)", file: file, line: line) }
        } catch {
            XCTFail("\(text): \(error)", file: file, line: line)
        }
    }

    /// Three entries by the database's own clock: 400, 100 and 10 days old.
    func oldAndNewEntries(_ db: Connection) throws {
        try db.execute("""
            INSERT INTO audit_log (at, action, subject_type, subject_id) VALUES
              (now() - interval '400 days', 'old', 'test', 'a'), (now() - interval '100 days', 'middle', 'test', 'b'),
              (now() - interval '10 days', 'new', 'test', 'c')
            """)
    }

    func actions(_ db: Connection) throws -> [String] {
        try db.query(Query("SELECT action FROM audit_log WHERE subject_type = 'test' ORDER BY at")).map { try $0.string("action") }
    }

    // MARK: Audit append-only

    /// The role the application connects with in the default (the tables' owner; here a superuser): the trigger
    /// refuses UPDATE, DELETE and TRUNCATE, and even the purge flag set by hand deletes nothing within the retention.
    func testTheOwnerCannotChangeOrEmptyTheAuditLog() throws {
        let db = try t.connection()
        defer { db.close() }
        try oldAndNewEntries(db)
        expectFailure(db, "UPDATE audit_log SET action = 'forged' WHERE subject_type = 'test'")
        expectFailure(db, "DELETE FROM audit_log WHERE subject_type = 'test'")
        expectFailure(db, "DELETE FROM audit_log WHERE action = 'old'", sqlState: nil)
        expectFailure(db, "TRUNCATE audit_log")
        try db.execute("BEGIN")
        try db.execute("SET LOCAL loket.audit_purge = 'on'")
        expectFailure(db, "DELETE FROM audit_log WHERE action = 'new'")
        try db.execute("ROLLBACK")
        XCTAssertEqual(try actions(db), ["old", "middle", "new"])
    }

    /// Retention: the purge deletes what is older than the setting and nothing newer; the setting never goes below 30
    /// days, and the API sets it (admins only, audited).
    func testThePurgeDeletesOnlyEntriesOlderThanTheRetention() throws {
        let db = try t.connection()
        defer { db.close() }
        try oldAndNewEntries(db)
        XCTAssertEqual(try t.admin.get("/api/v1/audit/retention").object["days"] as? Int, 365)
        XCTAssertEqual(try db.query(Query("SELECT audit_purge(now()) AS n")).first!.int("n"), 1)
        XCTAssertEqual(try actions(db), ["middle", "new"])
        // A "now" far in the future deletes no more: the guard trusts only the database's clock.
        XCTAssertEqual(try db.query(Query("SELECT audit_purge(now() + interval '10 years') AS n")).first!.int("n"), 0)
        XCTAssertEqual(try t.admin.send("PUT", "/api/v1/audit/retention", body: Array(#"{"days": 7}"#.utf8)).status, 422)
        let set = try t.admin.send("PUT", "/api/v1/audit/retention", body: Array(#"{"days": 60}"#.utf8))
        XCTAssertEqual(set.status, 200, set.text)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'audit.retention'"), 1)
        // The job purges through the same function, as of the app's clock (here set to the real time, which the
        // guard compares with: an app clock in the past purges less, never more).
        clock.set(SystemClock().now())
        t.app.runJobsOnce()
        XCTAssertEqual(try actions(db), ["new"])
        // Written past the API (as anyone with the application's login could): still never below 30 days.
        try db.execute("UPDATE setting SET value = '1' WHERE key = 'audit_retention_days'")
        XCTAssertEqual(try db.query(Query("SELECT audit_purge(now()) AS n")).first!.int("n"), 0)
        XCTAssertEqual(try actions(db), ["new"])
    }

    /// A deployment with an owner and an application role: the application role has no UPDATE, DELETE or TRUNCATE on
    /// audit_log at all (permission denied, 42501), writes and reads it, and purges only through the owner's function.
    func testAnApplicationRoleCannotChangeTheAuditLogButCanPurgeOldEntries() throws {
        let db = try t.connection()
        defer { db.close() }
        try oldAndNewEntries(db)
        let role = "loket_app_" + String(UUID().uuidString.lowercased().prefix(8))
        try db.execute(SQL(unsafeUnchecked: "CREATE ROLE \(role) NOLOGIN"))
        defer {
            _ = try? db.execute("RESET ROLE")
            _ = try? db.execute(SQL(unsafeUnchecked: "DROP OWNED BY \(role)"))
            _ = try? db.execute(SQL(unsafeUnchecked: "DROP ROLE \(role)"))
        }
        try db.execute(SQL(unsafeUnchecked: "SELECT loket_grant_app_role('\(role)')"))
        try db.execute(SQL(unsafeUnchecked: "SET ROLE \(role)"))
        try db.execute("INSERT INTO audit_log (action, subject_type) VALUES ('app', 'test-app')")
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM audit_log")).first!.int("n"), 4)
        expectFailure(db, "UPDATE audit_log SET action = 'forged'", sqlState: "42501")
        expectFailure(db, "DELETE FROM audit_log WHERE action = 'old'", sqlState: "42501")
        expectFailure(db, "TRUNCATE audit_log", sqlState: "42501")
        // The application's own tables stay writable for it.
        try db.execute("UPDATE setting SET value = value WHERE key = 'audit_retention_days'")
        XCTAssertEqual(try db.query(Query("SELECT audit_purge(now()) AS n")).first!.int("n"), 1)
        try db.execute("RESET ROLE")
        XCTAssertEqual(try actions(db), ["middle", "new"])
    }

    // MARK: Audit search

    func testAuditSearchFiltersPagesAndIsItselfAudited() throws {
        let w = try World.make(t)
        let db = try t.connection()
        defer { db.close() }
        let ticket = UUID().uuidString.lowercased()
        try db.query(Query("""
            INSERT INTO audit_log (at, staff_id, agency_id, action, subject_type, subject_id, detail) VALUES
              ('2026-03-01T10:00:00Z', $1, $2, 'ticket.read', 'ticket', $3, '{}'),
              ('2026-03-02T10:00:00Z', $1, $2, 'ticket.note.read', 'ticket', NULL, jsonb_build_object('ticketIds', jsonb_build_array($3::text))),
              ('2026-03-03T10:00:00Z', $4, $5, 'staff.read', 'staff', $1, '{}'),
              ('2026-03-04T10:00:00Z', $4, $5, 'ticket.read', 'ticket', 'another', '{}')
            """, parameters: [w.staffAID, w.agencyA, ticket, w.staffBID, w.agencyB]))
        func search(_ query: String) throws -> [[String: Any]] {
            let r = try t.admin.get("/api/v1/audit?" + query)
            XCTAssertEqual(r.status, 200, r.text)
            return r.object["items"] as? [[String: Any]] ?? []
        }
        func actions(_ items: [[String: Any]]) -> [String] { items.map { $0["action"] as? String ?? "" } }
        XCTAssertEqual(actions(try search("person=\(ticket)")), ["ticket.note.read", "ticket.read"], "by object and by detail, newest first")
        XCTAssertEqual(actions(try search("actor=anna-centrum&objectType=ticket")), ["ticket.note.read", "ticket.read"])
        XCTAssertEqual(actions(try search("person=\(w.staffAID)&to=2026-03-10")), ["staff.read"], "about the staff member")
        XCTAssertEqual(actions(try search("objectId=another")), ["ticket.read"])
        XCTAssertEqual(actions(try search("from=2026-03-02&to=2026-03-03&objectType=ticket")), ["ticket.note.read"])
        let first = try t.admin.get("/api/v1/audit?from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z&limit=3")
        XCTAssertEqual((first.object["items"] as? [Any])?.count, 3)
        let next = try XCTUnwrap(first.object["next"] as? String)
        let second = try t.admin.get("/api/v1/audit?from=2026-03-01T00:00:00Z&to=2026-03-05T00:00:00Z&limit=3&cursor=\(next)")
        XCTAssertEqual(actions(second.object["items"] as? [[String: Any]] ?? []), ["ticket.read"])
        XCTAssertTrue(second.object["next"] is NSNull)
        let entry = try search("objectId=another").first ?? [:]
        XCTAssertEqual((entry["actor"] as? [String: Any])?["username"] as? String, "bram-centrum")
        let bad = try t.admin.get("/api/v1/audit?from=yesterday&cursor=x&limit=0")
        XCTAssertEqual(bad.status, 422)
        XCTAssertEqual(Set(((bad.object["invalidParams"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }), ["from", "cursor", "limit"])
        XCTAssertEqual(try w.staffA.get("/api/v1/audit").status, 403)
        // Every successful search is recorded, with its filters.
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'audit.search'"), 8)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'audit.search' AND detail->>'person' = $1", ticket), 1)
    }

    // MARK: Coordinator scope

    func testAdminsSetACoordinatorsScopeAndTheFrameworkEnforcesIt() throws {
        let w = try World.make(t)
        let other = try t.admin.post("/api/v1/locations", json: ["code": "noord", "name": "Noord"]).object["id"] as! String
        let coordinatorID = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "coco", "password": "long enough password",
                                                                      "displayName": "Coco", "role": "coordinator"]).object["id"] as! String
        let coco = try World.login(t, "coco", password: "long enough password")
        let roomHere = try coco.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": "Kamer 1"]).object["id"] as! String
        let roomThere = try coco.post("/api/v1/locations/\(other)/rooms", json: ["name": "Kamer 2"]).object["id"] as! String
        XCTAssertEqual(try coco.get("/api/v1/sessions/current").object["staff"].flatMap { ($0 as? [String: Any])?["scope"] as? [String: Any] }?["allLocations"] as? Bool,
                       true, "without a scope a coordinator is loket-wide, as before")

        // Invalid scopes are refused, naming the field.
        XCTAssertEqual(try t.admin.patch("/api/v1/staff/\(coordinatorID)", json: ["scope": ["locationIds": ["x"]]]).status, 422)
        let unknown = try t.admin.patch("/api/v1/staff/\(coordinatorID)", json: ["scope": ["locationIds": [UUID().uuidString.lowercased()]]])
        XCTAssertEqual(unknown.status, 422, unknown.text)
        XCTAssertTrue(unknown.text.contains("scope.locationIds"))
        XCTAssertEqual(try w.staffA.patch("/api/v1/staff/\(coordinatorID)", json: ["scope": ["locationIds": [w.locationID]]]).status, 403)

        let set = try t.admin.patch("/api/v1/staff/\(coordinatorID)", json: ["scope": ["locationIds": [w.locationID]]])
        XCTAssertEqual(set.status, 200, set.text)
        let scope = set.object["scope"] as? [String: Any]
        XCTAssertEqual(scope?["allLocations"] as? Bool, false)
        XCTAssertEqual(scope?["locationIds"] as? [String], [w.locationID])
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'staff.update' AND subject_id = $1 AND detail->'fields' ? 'scope'", coordinatorID), 1)

        // In effect at once (the scope is read with the session), refused before the body is looked at.
        XCTAssertEqual(try coco.post("/api/v1/locations/\(other)/rooms", json: ["name": "Kamer 3"]).status, 403)
        XCTAssertEqual(try coco.post("/api/v1/locations/\(other)/rooms", json: [:]).status, 403, "refused before validation")
        XCTAssertEqual(try coco.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": "Kamer 3"]).status, 201)
        XCTAssertEqual(try coco.patch("/api/v1/rooms/\(roomThere)", json: ["name": "Kamer 9"]).status, 403, "a room names its location")
        XCTAssertEqual(try coco.patch("/api/v1/rooms/\(roomHere)", json: ["name": "Kamer 9"]).status, 200)
        XCTAssertEqual(try coco.post("/api/v1/locations/\(other)/closure", json: [:]).status, 403)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM location_closure"), 0)
        XCTAssertEqual(try coco.get("/api/v1/locations/\(UUID().uuidString.lowercased())/rooms").status, 403, "unknown locations are outside too")
        // Reports name no location unless asked: a coordinator of some locations must name one of theirs.
        let period = "from=2026-11-01&to=2026-11-30"
        XCTAssertEqual(try coco.get("/api/v1/reports/visits?\(period)").status, 422, "all locations is wider than the scope")
        XCTAssertEqual(try coco.get("/api/v1/reports/visits?\(period)&locationId=\(other)").status, 403)
        XCTAssertEqual(try coco.get("/api/v1/reports/visits?\(period)&locationId=\(w.locationID)").status, 200)

        // Own agency only: helpers of another agency are out of reach; of one's own, not.
        let helperB = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyB, "username": "hulp-b", "password": "long enough password",
                                                                "displayName": "Hulp B", "role": "helper"]).object["id"] as! String
        XCTAssertEqual(try t.admin.patch("/api/v1/staff/\(coordinatorID)", json: ["scope": ["ownAgencyOnly": true]]).status, 200)
        XCTAssertEqual(try coco.delete("/api/v1/staff/\(helperB)").status, 403)
        XCTAssertEqual(try coco.post("/api/v1/staff", json: ["agencyId": w.agencyB, "role": "helper"]).status, 403, "a body naming another agency")
        XCTAssertEqual(try coco.post("/api/v1/staff", json: ["agencyId": w.agencyA, "role": "helper"]).status, 422, "own agency: on to validation")
        XCTAssertEqual(try coco.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": "Kamer 4"]).status, 201, "the location scope stays")
        let here = "\(period)&locationId=\(w.locationID)"
        XCTAssertEqual(try coco.get("/api/v1/reports/handovers?\(here)").status, 422, "own agency only: the report names the agency")
        XCTAssertEqual(try coco.get("/api/v1/reports/handovers?\(here)&agencyId=\(w.agencyB)").status, 403)
        XCTAssertEqual(try coco.get("/api/v1/reports/handovers?\(here)&agencyId=\(w.agencyA)").status, 200)

        // Back to loket-wide.
        XCTAssertEqual(try t.admin.patch("/api/v1/staff/\(coordinatorID)", json: ["scope": ["allLocations": true, "ownAgencyOnly": false]]).status, 200)
        XCTAssertEqual(try coco.delete("/api/v1/staff/\(helperB)").status, 200)
        XCTAssertEqual(try coco.post("/api/v1/locations/\(other)/rooms", json: ["name": "Kamer 5"]).status, 201)

        // The OpenAPI document says what the scope is checked against.
        let doc = try t.client.get("/api/v1/openapi.json").object
        let op = ((doc["paths"] as? [String: Any])?["/api/v1/rooms/{roomId}"] as? [String: Any])?["patch"] as? [String: Any]
        XCTAssertEqual((op?["x-scope"] as? [String: Any])?["locations"] as? [String], ["roomId", "locationId (query or body)"])
    }

    // MARK: Personal data reads are audited

    /// Every route that hands personal fields to staff writes an audit entry. The list: staff records, another staff
    /// member's absences and availability, the ticket at a desk (called or read again), handover notes in the
    /// queue, appointments (list and one; AppointmentReadTests checks those with their personal fields), and the
    /// audit search itself.
    static let personalReads = [
        "GET /api/v1/staff", "GET /api/v1/staff/{staffId}", "GET /api/v1/staff/{staffId}/absences", "GET /api/v1/staff/{staffId}/availability",
        "POST /api/v1/desks/{deskId}/call-next", "GET /api/v1/desks/{deskId}/current", "GET /api/v1/locations/{locationId}/queue",
        "GET /api/v1/audit",
    ]

    func testEveryRouteThatReturnsPersonalFieldsToStaffWritesAnAuditEntry() throws {
        let w = try World.make(t)
        XCTAssertEqual(try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "coco", "password": "long enough password",
                                                                 "displayName": "Coco", "role": "coordinator"]).status, 201)
        let coco = try World.login(t, "coco", password: "long enough password")
        let ticket = try w.take(t, w.serviceA)["id"] as! String
        // A handover note for agency A, so the queue shows a note.
        _ = try w.take(t, w.serviceB)
        var written: [String: Int] = [:]
        func check(_ key: String, _ action: String, _ call: () throws -> HTTPResponse) throws {
            let before = try count("SELECT count(*)::int AS n FROM audit_log WHERE action = $1", action)
            let r = try call()
            XCTAssertTrue((200..<300).contains(r.status), "\(key): \(r.status) \(r.text)")
            let after = try count("SELECT count(*)::int AS n FROM audit_log WHERE action = $1", action)
            written[key] = after - before
        }
        try check("GET /api/v1/staff", "staff.list") { try t.admin.get("/api/v1/staff") }
        try check("GET /api/v1/staff/{staffId}", "staff.read") { try t.admin.get("/api/v1/staff/\(w.staffAID)") }
        try check("GET /api/v1/staff/{staffId}/absences", "absence.list") { try coco.get("/api/v1/staff/\(w.staffAID)/absences") }
        try check("GET /api/v1/staff/{staffId}/availability", "availability.read") { try coco.get("/api/v1/staff/\(w.staffAID)/availability") }
        try check("POST /api/v1/desks/{deskId}/call-next", "ticket.call") { try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next") }
        try check("GET /api/v1/desks/{deskId}/current", "ticket.read") { try w.staffA.get("/api/v1/desks/\(w.desks[0])/current") }
        // Hand the called ticket over to agency B with a note: B's queue then shows the note.
        let handover = try w.staffA.post("/api/v1/tickets/\(ticket)/handover", json: ["serviceId": w.serviceB, "note": "Heeft brief mee"])
        XCTAssertEqual(handover.status, 200, handover.text)
        try check("GET /api/v1/locations/{locationId}/queue", "ticket.note.read") { try w.staffB.get("/api/v1/locations/\(w.locationID)/queue") }
        try check("GET /api/v1/audit", "audit.search") { try t.admin.get("/api/v1/audit") }
        for key in Self.personalReads { XCTAssertEqual(written[key], 1, "\(key) writes one audit entry") }
        // The same reads of one's own calendar are not someone else's personal data: no entry.
        try check("own absences", "absence.list") { try w.staffA.get("/api/v1/staff/\(w.staffAID)/absences") }
        XCTAssertEqual(written["own absences"], 0)
        // Every listed route exists.
        let declared = Set(Features.routes.map { "\($0.route.method) \($0.route.path)" })
        XCTAssertEqual(Set(Self.personalReads).subtracting(declared), [])
    }

    // MARK: Sessions

    func session(_ staffID: String, at: Instant) throws -> String {
        let token = Credentials.randomToken()
        try sql("INSERT INTO session (token_hash, staff_id, created_at, last_seen_at, expires_at) VALUES (decode($1, 'hex'), $2, $3::timestamptz, $3::timestamptz, $3::timestamptz + interval '12 hours')",
                hexString(Credentials.tokenDigest(token)), staffID, at)
        return token
    }

    func lastSeen(_ token: String) throws -> String {
        try sql("SELECT to_char(last_seen_at AT TIME ZONE 'UTC', 'HH24:MI:SS') AS t FROM session WHERE token_hash = decode($1, 'hex')",
                hexString(Credentials.tokenDigest(token))).first!.string("t")
    }

    func testIdleSessionsEndAndUseRefreshesThemAtMostOnceAMinute() throws {
        let w = try World.make(t)
        let token = try session(w.staffAID, at: clock.now())
        let anna = t.client.with(bearer: token)
        XCTAssertEqual(try anna.get("/api/v1/sessions/current").status, 200)
        XCTAssertEqual(try lastSeen(token), "08:00:00")
        clock.advance(seconds: 30)
        XCTAssertEqual(try anna.get("/api/v1/sessions/current").status, 200)
        XCTAssertEqual(try lastSeen(token), "08:00:00", "no write within the minute")
        clock.advance(seconds: 20 * 60)
        XCTAssertEqual(try anna.get("/api/v1/sessions/current").status, 200)
        XCTAssertEqual(try lastSeen(token), "08:20:30", "used: refreshed")
        clock.advance(seconds: 29 * 60)
        XCTAssertEqual(try anna.get("/api/v1/sessions/current").status, 200, "29 minutes idle: still valid")
        clock.advance(seconds: 31 * 60)
        let expired = try anna.get("/api/v1/sessions/current")
        XCTAssertEqual(expired.status, 401, "31 minutes idle: ended")
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM session WHERE token_hash = decode($1, 'hex')", hexString(Credentials.tokenDigest(token))), 1,
                       "the row stays until the purge; only its use ends")
        // The absolute expiry still holds for a session used all the time.
        let busy = try session(w.staffAID, at: clock.now())
        for _ in 0..<25 {
            clock.advance(seconds: 29 * 60)
            if try t.client.with(bearer: busy).get("/api/v1/sessions/current").status != 200 { break }
        }
        XCTAssertEqual(try t.client.with(bearer: busy).get("/api/v1/sessions/current").status, 401, "12 hours after login it ends however busy")
    }

    func testLogOutEverywhereEndsEverySessionOfThePersonAndIsAudited() throws {
        let w = try World.make(t)
        let second = t.client.with(bearer: try session(w.staffAID, at: clock.now()))
        XCTAssertEqual(try second.get("/api/v1/sessions/current").status, 200)
        XCTAssertEqual(try w.staffB.delete("/api/v1/staff/\(w.staffAID)/sessions").status, 403, "not someone else's")
        XCTAssertEqual(try w.staffA.get("/api/v1/sessions/current").status, 200)
        let r = try t.admin.delete("/api/v1/staff/\(w.staffAID)/sessions")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["revoked"] as? Int, 2)
        XCTAssertEqual(try w.staffA.get("/api/v1/sessions/current").status, 401)
        XCTAssertEqual(try second.get("/api/v1/sessions/current").status, 401)
        XCTAssertEqual(try w.staffB.get("/api/v1/sessions/current").status, 200, "others stay logged in")
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'session.revoke-all' AND subject_id = $1 AND (detail->>'sessions')::int = 2",
                                 w.staffAID), 1)
        // One's own: every session, the one asking included.
        let own = try w.staffB.delete("/api/v1/staff/\(w.staffBID)/sessions")
        XCTAssertEqual(own.object["revoked"] as? Int, 1)
        XCTAssertEqual(try w.staffB.get("/api/v1/sessions/current").status, 401)
        XCTAssertEqual(try t.admin.delete("/api/v1/staff/\(UUID().uuidString.lowercased())/sessions").status, 404)
    }

    /// A cookie request that changes something needs the session's CSRF token (also for logging out everywhere), and
    /// the cookie is Secure when a trusted TLS proxy says the client came over HTTPS.
    func testCookieSessionsNeedTheCSRFTokenAndAreSecureBehindATrustedTLSProxy() throws {
        let w = try World.make(t)
        let plain = try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery", "cookie": true])
        XCTAssertFalse((plain.header("set-cookie") ?? "").contains("Secure"))
        let login = try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery", "cookie": true],
                                      headers: ["X-Forwarded-Proto": "https"])
        let setCookie = login.header("set-cookie") ?? ""
        XCTAssertTrue(setCookie.contains("; Secure"), setCookie)
        XCTAssertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
        let cookie = String(setCookie.split(separator: ";")[0])
        let csrf = login.object["csrfToken"] as! String
        let path = "/api/v1/staff/\(w.staffAID)/sessions"
        XCTAssertEqual(try t.client.delete(path, headers: ["Cookie": cookie]).status, 403)
        XCTAssertEqual(try t.client.delete(path, headers: ["Cookie": cookie, "X-CSRF-Token": "forged"]).status, 403)
        XCTAssertEqual(try t.client.get("/api/v1/sessions/current", headers: ["Cookie": cookie]).status, 200, "still logged in after the refusals")
        let ok = try t.client.delete(path, headers: ["Cookie": cookie, "X-CSRF-Token": csrf])
        XCTAssertEqual(ok.status, 200)
        XCTAssertTrue((ok.header("set-cookie") ?? "").contains("Max-Age=0"), "the page's own cookie is cleared too")
    }
}

enum AccessStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        return [
            ScopeSubjects(roomID: id, deskID: nil, staffID: id, appointmentTypeID: nil),
            StaffSetScope(id: id, allLocations: false, ownAgencyOnly: nil, locationIDs: [id]),
            StaffRevokeSessions(staffID: id),
            AuditSearch(actor: "anna", objectType: "ticket", objectID: nil, person: id, from: "2026-03-01", to: nil, before: "10", limit: 51),
            AuditRetentionGet(),
            AuditPurge(now: Instant(microseconds: 0)),
        ]
    }()
}
