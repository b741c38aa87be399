@testable import API
import Foundation
import Postgres
import Scheduling
import TestSupport
import Time
import XCTest

/// Regressions found by the outside review of appointments (issue 9), each over HTTP against a real database: bad
/// input is a 4xx, never a 500. The clock is fixed on Monday 2026-03-02 11:00 in Amsterdam; bookings are made for
/// Tuesday 2026-03-10.
final class AppointmentReviewTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock }
        w = try World.make(t)
    }
    override func tearDown() { t.tearDown() }


    /// A public 30-minute type of service A with one staff member of agency A, Tuesdays 09:00–12:00.
    func bookableType() throws -> String {
        let opening = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": [["weekday": 2, "opens": "09:00", "closes": "12:00"]], "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(opening.status, 200, opening.text)
        let r = try t.admin.post("/api/v1/appointment-types", json: [
            "code": "kort", "name": "kort", "durationMinutes": 30, "requirements": [["serviceId": w.serviceA]], "minNoticeMinutes": 0,
            "publicBooking": true] as [String: Any])
        XCTAssertEqual(r.status, 201, r.text)
        try sql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) VALUES ($1, $2, 2, '09:00', '12:00')",
                w.staffAID, w.locationID)
        return r.object["id"] as? String ?? ""
    }

    func book(_ client: HTTPClient, _ type: String, _ start: String) throws -> HTTPResponse {
        try client.post("/api/v1/appointments", json: [
            "locationId": w.locationID, "appointmentTypeId": type, "start": start,
            "citizen": ["name": "Jan Jansen", "email": "jan@example.nl"]] as [String: Any])
    }

    func assertInvalid(_ r: HTTPResponse, _ field: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 422, r.text, file: file, line: line)
        XCTAssertTrue((r.object["invalidParams"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == field }, r.text,
                      file: file, line: line)
    }

    /// A start in year 0001, 1899 or 9999 (a typo, or a fuzzer) was a 500: the day to load is no calendar date from
    /// 1900 on, or the fortnight of alternatives runs past year 9999. Now 422 naming `start`, for booking (public and
    /// staff) and for reschedule (by id and by the manage link).
    func testAStartInAFarOffYearIsAnInvalidRequest() throws {
        let type = try bookableType()
        let far = ["0001-01-01T00:00:00+00:00", "1899-12-31T10:00:00+01:00", "9999-12-31T23:45:00+01:00", "3000-01-06T10:00:00+01:00"]
        for start in far {
            assertInvalid(try book(t.client, type, start), "start")
            assertInvalid(try book(w.staffA, type, start), "start")
        }
        let booked = try book(t.client, type, "2026-03-10T10:00:00+01:00")
        XCTAssertEqual(booked.status, 201, booked.text)
        let id = booked.object["id"] as? String ?? "", token = booked.object["manageToken"] as? String ?? ""
        for start in far {
            assertInvalid(try w.staffA.send("PATCH", "/api/v1/appointments/\(id)", body: Array(#"{"start":"\#(start)"}"#.utf8)), "start")
            assertInvalid(try t.client.send("PATCH", "/api/v1/appointments/manage/\(token)", body: Array(#"{"start":"\#(start)"}"#.utf8)), "start")
        }
        // Still bookable at the edges of sense, and still where it was.
        XCTAssertEqual(try book(w.staffA, type, "2026-03-10T11:00:00+01:00").status, 201)
        XCTAssertEqual(try w.staffA.get("/api/v1/appointments/\(id)").object["start"] as? String, "2026-03-10T10:00:00+01:00")
    }

    /// Statuses come from Scheduling's AppointmentStateMachine, never from the SQL text of a statement: the load
    /// count, the citizen's invitation link and the feeds wrote their own lists ('held', 'booked', 'checkedIn').
    func testNoAppointmentStatementWritesAStatusOfItsOwn() throws {
        let libraries = ["appointments": Statements.appointments, "appointment_reads": Statements.appointmentReads,
                         "icalendar": Statements.icalendar]
        let literals = AppointmentStatus.allCases.map { "'\($0.rawValue)'" }
        // One exception: the exclusion constraints' own predicate, written out where a statement must match their
        // partial indexes (a generic plan cannot prove `= ANY($n)` implies it). It must be exactly the statuses
        // that reserve resources, so this ties it to the state machine too.
        let live = "appointment_status IN (" + AppointmentStatus.allCases.filter(\.reservesResources).map { "'\($0.rawValue)'" }
            .joined(separator: ", ") + ")"
        for (file, library) in libraries {
            for (name, sql) in library.statements {
                let code = sql.text.split(separator: "\n").map { $0.split(separator: "--", maxSplits: 1).first ?? "" }.joined(separator: "\n")
                    .replacingOccurrences(of: live, with: "appointment_status IN (<reserving statuses>)")
                for literal in literals where code.contains(literal) {
                    XCTFail("\(file).sql \(name) writes the status \(literal) itself")
                }
            }
        }
    }

    /// The citizen's invitation by manage token follows the link: once a hold has run out the link is dead
    /// (`GET /appointments/manage/{token}` is 404), and so is its calendar file.
    func testTheInvitationOfAnExpiredHoldIsNotServedByItsToken() throws {
        let type = try bookableType()
        let held = try t.client.post("/api/v1/appointments", json: [
            "locationId": w.locationID, "appointmentTypeId": type, "start": "2026-03-10T10:00:00+01:00", "hold": true,
            "citizen": ["name": "Jan Jansen", "email": "jan@example.nl"]] as [String: Any])
        XCTAssertEqual(held.status, 201, held.text)
        let id = held.object["id"] as? String ?? "", token = held.object["manageToken"] as? String ?? ""
        XCTAssertEqual(try t.client.get("/api/v1/appointments/\(id)/invite.ics?for=citizen&token=\(token)").status, 200)
        clock.set(clock.now().adding(minutes: 11))
        XCTAssertEqual(try t.client.get("/api/v1/appointments/manage/\(token)").status, 404)
        XCTAssertEqual(try t.client.get("/api/v1/appointments/\(id)/invite.ics?for=citizen&token=\(token)").status, 404)
    }

    /// A citizen's name or e-mail address with a control character (a bell, a line break) was stored as sent.
    func testControlCharactersInTheCitizensNameOrEmailAreRefused() throws {
        let type = try bookableType()
        for (citizen, field) in [(["name": "Jan\u{07}", "email": "jan@example.nl"], "citizen.name"),
                                 (["name": "Jan\nJansen", "email": "jan@example.nl"], "citizen.name"),
                                 (["name": "Jan", "email": "ja\u{07}n@example.nl"], "citizen.email")] {
            assertInvalid(try t.client.post("/api/v1/appointments", json: [
                "locationId": w.locationID, "appointmentTypeId": type, "start": "2026-03-10T10:00:00+01:00",
                "citizen": citizen] as [String: Any]), field)
        }
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment").first.map { try $0.int("n") }, 0)
        XCTAssertEqual(try book(t.client, type, "2026-03-10T10:00:00+01:00").status, 201)
    }

    /// A list cursor whose start cannot be a time (`-9223372036854775808.<id>`) reached PostgreSQL and was a 500.
    func testAListCursorOutsideTheCalendarIsAnInvalidRequest() throws {
        let range = "from=2026-03-01T00:00:00%2B01:00&to=2026-03-31T00:00:00%2B01:00"
        for after in ["-9223372036854775808", "9223372036854775807", "253402300800000000"] {
            let r = try w.staffA.get("/api/v1/appointments?\(range)&after=\(after).00000000-0000-0000-0000-000000000000")
            assertInvalid(r, "after")
        }
        let ok = try w.staffA.get("/api/v1/appointments?\(range)&after=1772445600000000.00000000-0000-0000-0000-000000000000")
        XCTAssertEqual(ok.status, 200, ok.text)
    }
}

/// The Idempotency-Key table kept a public booking's answer as it was sent: the citizen's manage token (which the
/// appointment stores only as SHA-256) and their details, readable by anyone with a copy of the table for 24 hours.
/// Now the key is stored as its SHA-256 and the answer sealed with a secret derived from the key: the replay still
/// gives the same token, the table holds neither.
final class IdempotentAnswerAtRestTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock }
        w = try World.make(t)
    }
    override func tearDown() { t.tearDown() }

    func testTheStoredAnswerHoldsNoManageTokenNoCitizenAndNoKey() throws {
        let opening = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": [["weekday": 2, "opens": "09:00", "closes": "12:00"]], "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(opening.status, 200, opening.text)
        let type = try t.admin.post("/api/v1/appointment-types", json: [
            "code": "kort", "name": "kort", "durationMinutes": 30, "requirements": [["serviceId": w.serviceA]], "minNoticeMinutes": 0,
            "publicBooking": true] as [String: Any]).object["id"] as? String ?? ""
        let db = try t.connection()
        defer { db.close() }
        try db.query(Query("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) VALUES ($1, $2, 2, '09:00', '12:00')",
                           w.staffAID, w.locationID))
        let key = "open-forms-" + UUID().uuidString
        let body: [String: Any] = ["locationId": w.locationID, "appointmentTypeId": type, "start": "2026-03-10T10:00:00+01:00",
                                   "citizen": ["name": "Fatima Geheim", "email": "fatima.geheim@example.nl", "phone": "0612345678"]]
        let first = try t.client.post("/api/v1/appointments", json: body, headers: ["Idempotency-Key": key])
        XCTAssertEqual(first.status, 201, first.text)
        let token = first.object["manageToken"] as? String ?? ""
        XCTAssertEqual(token.count, 43)
        let again = try t.client.post("/api/v1/appointments", json: body, headers: ["Idempotency-Key": key])
        XCTAssertEqual(again.status, 201, again.text)
        XCTAssertEqual(again.header("Idempotent-Replayed"), "true")
        XCTAssertEqual(again.object["manageToken"] as? String, token, "the retry still gets the first answer's token")
        XCTAssertEqual(again.object["id"] as? String, first.object["id"] as? String)

        let rows = Array(try db.query(Query("SELECT key, encode(response_body, 'escape') AS body FROM idempotency_key")))
        XCTAssertEqual(rows.count, 1)
        let storedKey = try rows.first?.string("key") ?? ""
        let stored = try rows.first?.string("body") ?? ""
        XCTAssertFalse(storedKey.contains(key), "the key itself is not stored")
        XCTAssertFalse(stored.isEmpty)
        for secret in [token, "Fatima Geheim", "fatima.geheim@example.nl", "0612345678"] {
            XCTAssertFalse(stored.contains(secret), "the stored answer holds \(secret)")
        }
        // With another key the same body is a new request (here: the slot is taken), never the stored answer.
        XCTAssertEqual(try t.client.post("/api/v1/appointments", json: body, headers: ["Idempotency-Key": key + "x"]).status, 409)
    }
}

/// The search's busy hooks (staff_busy, room_busy in Migrations/functions/50_availability.sql) write their live
/// statuses in SQL, as the exclusion constraints do: they must stay the state machine's `reservesResources`, or the
/// search offers what the booking then refuses (or hides what is free).
final class AppointmentBusyHooksTests: XCTestCase {
    func testTheBusyHooksCountExactlyTheStatusesThatReserveTime() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: TestPostgres.logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let live = Set(AppointmentStatus.allCases.filter(\.reservesResources).map(\.rawValue))
        let known = Set(AppointmentStatus.allCases.map(\.rawValue))
        for name in ["staff_busy", "room_busy"] {
            let d = try XCTUnwrap(db.query(Query("SELECT pg_get_functiondef(p.oid) AS d FROM pg_proc p WHERE p.proname = $1", name))
                .first?.string("d"), name)
            let regex = try NSRegularExpression(pattern: "'([A-Za-z]+)'")
            let quoted = Set(regex.matches(in: d, range: NSRange(d.startIndex..., in: d))
                .map { String(d[Range($0.range(at: 1), in: d)!]) }).intersection(known)
            XCTAssertEqual(quoted, live, name)
        }
    }
}
