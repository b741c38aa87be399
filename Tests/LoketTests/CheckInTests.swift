@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Check-in over HTTP at fixed clock times (a `ManualClock`): Tuesday 2026-03-10, 10:00 in Amsterdam (09:00Z); the
/// appointments start at 10:30 (09:30Z) unless said otherwise. Appointments are written straight into the database
/// (booking has its own tests); everything about the queue goes through the API.
final class CheckInTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-10T09:00:00Z")!)
    var type = ""

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp {
            $0.clock = clock
            $0.runJobs = false
        }
        w = try World.make(t)
        let r = try t.admin.post("/api/v1/appointment-types", json: ["code": "gesprek", "name": "Gesprek", "durationMinutes": 30,
                                                                      "requirements": [["serviceId": w.serviceA]], "minNoticeMinutes": 0])
        XCTAssertEqual(r.status, 201, r.text)
        type = r.object["id"] as? String ?? ""
    }
    override func tearDown() { t.tearDown() }


    func at(_ utc: String) -> Instant { Instant(rfc3339: "2026-03-10T\(utc):00Z")! }
    func set(_ utc: String) { clock.set(at(utc)) }

    /// A booked appointment with these participants (staff id, service, agency) and room, starting at `start` (UTC).
    @discardableResult
    func appointment(_ reference: String, start: String = "09:30", date: String = "2026-03-10", status: String = "booked",
                     participants: [(String, String, String)]? = nil, room: String? = nil, location: String? = nil) throws -> String {
        let startsAt = Instant(rfc3339: "\(date)T\(start):00Z")!
        let endsAt = Instant(microseconds: startsAt.microseconds + 30 * 60_000_000)
        let id = try sql("""
            INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at,
                                     citizen_name, citizen_language, created_at, updated_at, cancel_reason)
            VALUES ($1, $2, $3, 2026, $4, $5, $6, 'Jan Jansen', 'ar', $5, $5, NULL) RETURNING id::text AS id
            """, location ?? w.locationID, type, reference, status, startsAt, endsAt).first!.string("id")
        for (i, p) in (participants ?? [(w.staffAID, w.serviceA, w.agencyA)]).enumerated() {
            try sql("""
                INSERT INTO appointment_reservation (appointment_id, appointment_status, position, staff_id, service_id, agency_id, during)
                VALUES ($1, $2, $3::smallint, $4, $5, $6, tstzrange($7, $8))
                """, id, status, i, p.0, p.1, p.2, startsAt, endsAt)
        }
        if let room {
            try sql("""
                INSERT INTO appointment_reservation (appointment_id, appointment_status, room_id, during)
                VALUES ($1, $2, $3, tstzrange($4, $5))
                """, id, status, room, startsAt, endsAt)
        }
        return id
    }

    func checkIn(_ reference: String, location: String? = nil, language: String? = nil) throws -> HTTPResponse {
        var body: [String: Any] = ["reference": reference]
        if let language { body["language"] = language }
        return try t.client.post("/api/v1/locations/\(location ?? w.locationID)/check-ins", json: body)
    }

    func take(_ service: String) throws -> String { try w.take(t, service)["number"] as! String }

    /// Calls next at `desk`, finishes the visit, and returns the number called (nil: 204).
    func callAndFinish(_ staff: HTTPClient, desk: String, file: StaticString = #filePath, line: UInt = #line) throws -> String? {
        let r = try staff.post("/api/v1/desks/\(desk)/call-next")
        if r.status == 204 { return nil }
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        XCTAssertEqual(try staff.post("/api/v1/tickets/\(r.object["id"] as! String)/finish").status, 200, file: file, line: line)
        return r.object["number"] as? String
    }

    func appointmentStatus(_ id: String) throws -> String { try sql("SELECT status FROM appointment WHERE id = $1", id).first!.string("status") }
    func ticketCount() throws -> Int { try sql("SELECT count(*)::int AS n FROM ticket").first!.int("n") }

    func room(_ name: String) throws -> String {
        let r = try t.admin.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": name, "capacity": 4])
        XCTAssertEqual(r.status, 201, r.text)
        return r.object["id"] as? String ?? ""
    }

    func colleague(_ name: String, agency: String, services: [String]) throws -> (id: String, client: HTTPClient) {
        let r = try t.admin.post("/api/v1/staff", json: ["agencyId": agency, "username": name, "password": "correct horse battery",
                                                         "displayName": name, "role": "staff", "serviceIds": services])
        XCTAssertEqual(r.status, 201, r.text)
        return (r.object["id"] as! String, try World.login(t, name))
    }

    // MARK: Tests

    /// Urgent first; an appointment ticket from 2 minutes before its start ahead of walk-ins; walk-ins by arrival. The
    /// visitor who came 30 minutes early is not called before 10:28, and walk-ins who came after them go first.
    func testUrgentThenDueAppointmentThenWalkInsAndEarlyArrivalWaitsForItsTime() throws {
        let appt = try appointment("K7M2QX")
        let w1 = try take(w.serviceA)
        let r = try checkIn("k7m2qx", language: "nl")  // 30 minutes early; case does not matter
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.object["priority"] as? String, "appointment")
        XCTAssertEqual(r.object["dueAt"] as? String, "2026-03-10T10:28:00+01:00", "due at start − 2 min, not at arrival")
        XCTAssertEqual(r.object["late"] as? Bool, false)
        XCTAssertEqual(r.object["appointmentId"] as? String, appt)
        XCTAssertEqual(r.object["language"] as? String, "nl")
        let mine = r.object["number"] as! String
        XCTAssertTrue(mine.hasPrefix("U"), "the first participant's service letter: \(mine)")
        XCTAssertEqual(try appointmentStatus(appt), "checkedIn")
        set("09:05"); let w2 = try take(w.serviceA)
        set("09:10"); let urgent = try take(w.urgentA)
        set("09:20")
        var calls: [String?] = []
        for _ in 0..<4 { calls.append(try callAndFinish(w.staffA, desk: w.desks[0])) }
        XCTAssertEqual(calls, [urgent, w1, w2, nil], "the early appointment is not called before it is due")
        // The queue view shows it in its place, saying it is not due yet.
        let view = try w.staffA.get("/api/v1/locations/\(w.locationID)/queue").object["items"] as! [[String: Any]]
        XCTAssertEqual(view.map { $0["number"] as? String }, [mine])
        XCTAssertEqual(view.first?["notYetDue"] as? Bool, true)
        XCTAssertEqual(view.first?["offeredToMe"] as? Bool, true)
        set("09:25"); let w3 = try take(w.serviceA)
        set("09:26"); let w4 = try take(w.serviceA)
        set("09:27")
        XCTAssertEqual(try callAndFinish(w.staffA, desk: w.desks[0]), w3, "at 10:27 the appointment is not due yet")
        set("09:28")
        XCTAssertEqual(try callAndFinish(w.staffA, desk: w.desks[0]), mine, "due at 10:28: ahead of the walk-in who came earlier")
        XCTAssertEqual(try appointmentStatus(appt), "done", "finishing the visit finishes the appointment")
        XCTAssertEqual(try callAndFinish(w.staffA, desk: w.desks[0]), w4)
    }

    /// Past the 15-minute grace the visitor is a walk-in by arrival, and staff see the ticket was late.
    func testLateArrivalPastGraceIsAWalkInFlaggedLate() throws {
        let appt = try appointment("K7M2QX")
        set("09:45")
        let onTime = try checkIn("K7M2QX")  // exactly at the end of the grace: still on time
        XCTAssertEqual(onTime.status, 201, onTime.text)
        XCTAssertEqual(onTime.object["priority"] as? String, "appointment")
        try sql("DELETE FROM event"); try sql("DELETE FROM ticket"); try sql("UPDATE appointment SET status = 'booked' WHERE id = $1", appt)
        set("09:40"); let walkIn = try take(w.serviceA)
        set("09:46")
        let r = try checkIn("K7M2QX")
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.object["priority"] as? String, "normal")
        XCTAssertEqual(r.object["late"] as? Bool, true)
        XCTAssertEqual(r.object["dueAt"] as? String, "2026-03-10T10:46:00+01:00", "due at arrival")
        let late = r.object["number"] as! String
        set("09:47"); let after = try take(w.serviceA)
        let view = try w.staffA.get("/api/v1/locations/\(w.locationID)/queue").object["items"] as! [[String: Any]]
        XCTAssertEqual(view.map { $0["number"] as? String }, [walkIn, late, after])
        XCTAssertEqual(view.map { $0["late"] as? Bool }, [false, true, false])
        XCTAssertEqual(try callAndFinish(w.staffA, desk: w.desks[0]), walkIn)
        let called = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        XCTAssertEqual(called.object["number"] as? String, late)
        XCTAssertEqual(called.object["late"] as? Bool, true, "the desk sees it was late")
        XCTAssertEqual(called.object["appointmentId"] as? String, appt)
    }

    /// Wrong, cancelled, another location's and another day's references: a plain problem naming the case, nothing
    /// created and nothing moved.
    func testWrongReferencesCreateNothing() throws {
        let cancelled = try appointment("CANCE2", status: "cancelled")
        let tomorrow = try appointment("TMRW22", date: "2026-03-11")
        let other = try t.admin.post("/api/v1/locations", json: ["code": "noord", "name": "Noord", "timeZone": "Europe/Amsterdam"])
        XCTAssertEqual(other.status, 201, other.text)
        let elsewhere = try appointment("E3SE22", location: other.object["id"] as? String)
        let cases: [(String, Int, String)] = [
            ("ZZZZZZ", 404, "unknown"), ("CANCE2", 404, "cancelled"), ("TMRW22", 404, "not-today"), ("E3SE22", 404, "unknown"),
        ]
        for (reference, status, kind) in cases {
            let r = try checkIn(reference)
            XCTAssertEqual(r.status, status, "\(reference): \(r.text)")
            XCTAssertEqual(r.header("content-type"), "application/problem+json")
            XCTAssertEqual(r.object["type"] as? String, "urn:loket:problem:check-in-\(kind)", reference)
            XCTAssertFalse((r.object["detail"] as? String ?? "").isEmpty)
        }
        for bad in ["O0I1L2", "ABC", "", String(repeating: "A", count: 600)] {
            let r = try checkIn(bad)
            XCTAssertEqual(r.status, 422, "\(bad): \(r.text)")
        }
        XCTAssertEqual(try ticketCount(), 0, "nothing created")
        XCTAssertEqual(try appointmentStatus(cancelled), "cancelled")
        XCTAssertEqual(try appointmentStatus(tomorrow), "booked")
        XCTAssertEqual(try appointmentStatus(elsewhere), "booked")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM event").first!.int("n"), 0, "no event either")
    }

    /// A second check-in (a second scan, the QR code's URL, staff at the desk) gives the same ticket, never a second.
    func testSecondCheckInGivesTheSameTicket() throws {
        let appt = try appointment("K7M2QX")
        let first = try checkIn("K7M2QX")
        XCTAssertEqual(first.status, 201, first.text)
        let id = first.object["id"] as! String
        for text in ["K7M2QX", "https://loket.example.nl/afspraak/K7M2QX", "https://loket.example.nl/a?reference=k7m2qx&x=1", " k7m-2qx "] {
            let again = try checkIn(text)
            XCTAssertEqual(again.status, 200, "\(text): \(again.text)")
            XCTAssertEqual(again.object["id"] as? String, id, text)
            XCTAssertEqual(again.object["number"] as? String, first.object["number"] as? String)
        }
        let desk = try w.staffA.post("/api/v1/appointments/\(appt)/check-in")
        XCTAssertEqual(desk.status, 200, desk.text)
        XCTAssertEqual(desk.object["id"] as? String, id)
        XCTAssertEqual(try ticketCount(), 1)
        // Ten kiosks at once: still one ticket.
        try sql("DELETE FROM event"); try sql("DELETE FROM ticket"); try sql("UPDATE appointment SET status = 'booked' WHERE id = $1", appt)
        let port = t.app.port, location = w.locationID
        let statuses = Locked<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 10) { _ in
            let r = try? HTTPClient(port: port).post("/api/v1/locations/\(location)/check-ins", json: ["reference": "K7M2QX"])
            statuses.withLock { $0.append(r?.status ?? 0) }
        }
        XCTAssertEqual(statuses.withLock { $0.sorted() }, [200, 200, 200, 200, 200, 200, 200, 200, 200, 201])
        XCTAssertEqual(try ticketCount(), 1)
    }

    /// Public check-ins count against the per-address limit like taking a number; an Idempotency-Key replays.
    func testPublicCheckInIsRateLimitedAndIdempotent() throws {
        let clock = self.clock
        let limited = try TestApp(ticketRatePerMinute: 2) { $0.clock = clock; $0.runJobs = false }
        defer { limited.tearDown() }
        let location = try limited.admin.post("/api/v1/locations", json: ["code": "klein", "name": "Klein", "timeZone": "Europe/Amsterdam"])
        let path = "/api/v1/locations/\(location.object["id"] as! String)/check-ins"
        let statuses = try (0..<3).map { _ in try limited.client.post(path, json: ["reference": "ZZZZZZ"]).status }
        XCTAssertEqual(statuses, [404, 404, 429])

        try appointment("K7M2QX")
        let key = ["Idempotency-Key": "check-in-\(UUID().uuidString)"]
        let first = try t.client.post("/api/v1/locations/\(w.locationID)/check-ins", json: ["reference": "K7M2QX"], headers: key)
        XCTAssertEqual(first.status, 201, first.text)
        let again = try t.client.post("/api/v1/locations/\(w.locationID)/check-ins", json: ["reference": "K7M2QX"], headers: key)
        XCTAssertEqual(again.status, 201, "the first answer again")
        XCTAssertEqual(again.header("Idempotent-Replayed"), "true")
        XCTAssertEqual(again.object["id"] as? String, first.object["id"] as? String)
        XCTAssertEqual(try ticketCount(), 1)
    }

    /// A helper checks in the appointment they arranged (issue 10: helpers "book, reschedule, cancel and check in"),
    /// with the person's consent recorded as action checkIn and audited as on their behalf; what they did not arrange
    /// does not exist for them (404), and consent is a helper's record only.
    func testAHelperChecksInTheAppointmentTheyArrangedRecordingConsent() throws {
        let appt = try appointment("K7M2QX"), unarranged = try appointment("H4P9RT", start: "10:30")
        func helper(_ name: String) throws -> (id: String, client: HTTPClient) {
            let r = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyB, "username": name, "password": "correct horse battery",
                                                            "displayName": name, "role": "helper"])
            XCTAssertEqual(r.status, 201, r.text)
            return (r.object["id"] as? String ?? "", try World.login(t, name))
        }
        let hanna = try helper("hanna"), piet = try helper("piet")
        // Hanna arranged it: the consent row of its booking names her (helper_arranged's one rule).
        try sql("""
            INSERT INTO appointment_consent (appointment_id, helper_id, action, method, given_at, scope, recorded_at)
            VALUES ($1, $2, 'book', 'inPerson', $3, 'afspraak maken', $3)
            """, appt, hanna.id, at("08:00"))
        let consent: [String: Any] = ["method": "inPerson", "givenAt": "2026-03-10T09:55:00+01:00", "scope": "inchecken bij de balie"]
        XCTAssertEqual(try piet.client.post("/api/v1/appointments/\(appt)/check-in", json: ["consent": consent]).status, 404,
                       "another helper's appointment does not exist for them")
        XCTAssertEqual(try hanna.client.post("/api/v1/appointments/\(unarranged)/check-in").status, 404, "nor one they did not arrange")
        XCTAssertEqual(try w.staffA.post("/api/v1/appointments/\(appt)/check-in", json: ["consent": consent]).status, 422,
                       "consent is recorded only by a helper")
        XCTAssertEqual(try ticketCount(), 0)
        let r = try hanna.client.post("/api/v1/appointments/\(appt)/check-in", json: ["consent": consent])
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.object["appointmentId"] as? String, appt)
        XCTAssertEqual(try appointmentStatus(appt), "checkedIn")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment_consent WHERE appointment_id = $1 AND helper_id = $2 AND action = 'checkIn' AND scope = 'inchecken bij de balie'",
                               appt, hanna.id).first!.int("n"), 1)
        XCTAssertEqual(try sql("""
            SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.checkIn' AND subject_id = $1 AND staff_id = $2
              AND detail->>'onBehalf' = 'true' AND detail->'consent'->>'method' = 'inPerson' AND NOT detail->'consent' ? 'scope'
            """, appt, hanna.id).first!.int("n"), 1, "audited as on someone's behalf, without the consent's words")
        // A second tap: the same ticket, nothing recorded twice.
        let again = try hanna.client.post("/api/v1/appointments/\(appt)/check-in")
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(again.object["id"] as? String, r.object["id"] as? String)
        XCTAssertEqual(try ticketCount(), 1)
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment_consent WHERE action = 'checkIn'").first!.int("n"), 1)
    }

    /// Staff check a visitor in at the desk: agencies taking part only; the visit's no-show is the appointment's.
    func testDeskCheckInAndNoShow() throws {
        let appt = try appointment("K7M2QX")
        let other = try w.staffB.post("/api/v1/appointments/\(appt)/check-in")
        XCTAssertEqual(other.status, 404, "another agency's staff learn nothing, as on reads: \(other.text)")
        XCTAssertEqual(try t.client.post("/api/v1/appointments/\(appt)/check-in").status, 401)
        set("09:29")
        let r = try w.staffA.post("/api/v1/appointments/\(appt)/check-in")
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.object["language"] as? String, "ar", "the citizen's language from the booking")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.checkIn' AND subject_id = $1", appt).first!.int("n"), 1)
        let called = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        XCTAssertEqual(called.status, 200, called.text)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(called.object["id"] as! String)/no-show").status, 200)
        XCTAssertEqual(try appointmentStatus(appt), "noShow")
        XCTAssertEqual(try t.admin.post("/api/v1/appointments/\(appt)/check-in").status, 403, "the bootstrap token is no staff member")
    }

    /// Offered first to its own staff member: a qualified colleague gets walk-ins meanwhile and the appointment only
    /// after the offer ends (the later of start and arrival + 15 minutes).
    func testOfferedFirstToOwnStaffUntilOfferedUntil() throws {
        let carla = try colleague("carla", agency: w.agencyA, services: [w.serviceA])
        try appointment("K7M2QX")
        set("09:29")
        let r = try checkIn("K7M2QX")
        XCTAssertEqual(r.status, 201, r.text)
        let mine = r.object["number"] as! String
        let walkIn = try take(w.serviceA)
        set("09:31")
        let view = try carla.client.get("/api/v1/locations/\(w.locationID)/queue").object["items"] as! [[String: Any]]
        XCTAssertEqual(view.map { $0["number"] as? String }, [mine, walkIn], "carla sees it in its place")
        XCTAssertEqual(view.first?["offeredToOthers"] as? Bool, true)
        XCTAssertEqual(try callAndFinish(carla.client, desk: w.desks[1]), walkIn, "carla gets the walk-in, not anna's visitor")
        set("09:44")
        XCTAssertNil(try callAndFinish(carla.client, desk: w.desks[1]), "still offered to anna at 10:44")
        set("09:45")
        XCTAssertEqual(try callAndFinish(carla.client, desk: w.desks[1]), mine, "from 10:45 any qualified colleague")
    }

    /// A joint appointment: every participant's desk page hears "visitor arrived, room 2" on the staff stream (the
    /// public stream and other staff never do); one call by any participant, even of another agency, sends the visitor
    /// to the room, and the public call names the room instead of a desk.
    func testJointArrivalNoticeAndRoomCall() throws {
        let kamer = try room("Kamer 2")
        let carla = try colleague("carla", agency: w.agencyA, services: [w.serviceA])
        let appt = try appointment("K7M2QX", participants: [(w.staffAID, w.serviceA, w.agencyA), (w.staffBID, w.serviceB, w.agencyB)],
                                   room: kamer)
        let path = "/api/v1/locations/\(w.locationID)"
        let anna = try SSEClient(port: t.app.port, path: "\(path)/staff-events", bearer: w.staffA.bearer)
        let bram = try SSEClient(port: t.app.port, path: "\(path)/staff-events", bearer: w.staffB.bearer)
        let other = try SSEClient(port: t.app.port, path: "\(path)/staff-events", bearer: carla.client.bearer)
        let display = try SSEClient(port: t.app.port, path: "\(path)/events")
        XCTAssertNotNil(anna.next("queue.changed")); XCTAssertNotNil(bram.next("queue.changed"))
        XCTAssertNotNil(other.next("queue.changed")); XCTAssertNotNil(display.next("queue.changed"))
        XCTAssertEqual(try t.client.get("\(path)/staff-events").status, 401)

        set("09:27")
        let r = try checkIn("K7M2QX")
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.object["roomName"] as? String, "Kamer 2")
        let number = r.object["number"] as! String
        for (name, stream) in [("anna", anna), ("bram", bram)] {
            let e = stream.next("appointment.arrived")
            XCTAssertEqual(e?.json["number"] as? String, number, name)
            XCTAssertEqual(e?.json["roomName"] as? String, "Kamer 2", name)
            XCTAssertEqual(e?.json["appointmentId"] as? String, appt, name)
            XCTAssertNil(e?.json["citizenName"], name)
        }
        set("09:28")
        let called = try w.staffB.post("/api/v1/desks/\(w.desks[1])/call-next")
        XCTAssertEqual(called.status, 200, "bram does not serve service A, but the visitor is his too: \(called.text)")
        XCTAssertEqual(called.object["number"] as? String, number)
        XCTAssertEqual(called.object["roomName"] as? String, "Kamer 2")
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").status, 204, "one call: anna has nobody left")
        // The public stream and an uninvolved colleague: the created and called events, never the arrival notice.
        for (name, stream) in [("display", display), ("carla", other)] {
            var seen: [ServerSentEvent] = []
            while let e = stream.next(timeout: 5) {
                seen.append(e)
                if e.event == "ticket.called" { break }
            }
            XCTAssertFalse(seen.contains { $0.event == "appointment.arrived" }, name)
            XCTAssertFalse(seen.contains { $0.data.contains(appt) }, name)
            let call = seen.last
            XCTAssertEqual(call?.event, "ticket.called", name)
            XCTAssertEqual(call?.json["deskName"] as? String, "Kamer 2", "\(name): the room instead of a desk")
            XCTAssertEqual(call?.json["number"] as? String, number)
        }
        let calls = try t.client.get("\(path)/calls").object["calls"] as? [[String: Any]]
        XCTAssertEqual(calls?.first?["deskName"] as? String, "Kamer 2")
        let phone = try t.client.get("/api/v1/tickets/\(r.object["id"] as! String)")
        XCTAssertEqual(phone.object["deskName"] as? String, "Kamer 2", "the phone status page says the room too")
        anna.close(); bram.close(); other.close(); display.close()
    }
}

/// A value behind a lock, for results gathered from several threads.
final class Locked<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ v: T) { value = v }
    func withLock<R>(_ body: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&value) }
}

enum CheckInStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            CheckInFind(locationID: id, reference: "K7M2QX", appointmentID: nil, now: now),
            CheckInTake(locationID: id, appointmentID: id, serviceID: id, priority: "appointment", dueAt: now, late: false,
                        offeredTo: [id], offeredUntil: now, roomID: nil, language: "nl", createdBy: nil, now: now,
                        sources: ["booked"], target: "checkedIn"),
            CheckInExisting(appointmentID: id),
        ]
    }()
}
