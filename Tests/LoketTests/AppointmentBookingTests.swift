@testable import API
import Credentials
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Booking, holds, confirm, reschedule and cancel over HTTP against a real database: the booking re-checks every rule
/// of the search in its transaction, the exclusion constraints decide races (100 concurrent bookings and
/// reschedules), expired holds free their slot with no job running, the search's cache follows every change, and
/// the agency wall and the state machine refuse what they must. The clock is fixed on Monday 2026-03-02 11:00 in
/// Amsterdam; bookings are made for Tuesday 2026-03-10 unless said otherwise.
final class AppointmentBookingTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)
    let day = "2026-03-10"

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp {
            $0.clock = clock
            $0.server.connectionsPerAddress = 0
            $0.workerThreads = 8
        }
        w = try World.make(t)
    }
    override func tearDown() { t.tearDown() }



    func available(_ staff: String, weekday: Int = 2, _ starts: String, _ ends: String) throws {
        try sql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) VALUES ($1, $2, $3::smallint, $4::time, $5::time)",
                staff, w.locationID, weekday, starts, ends)
    }

    func opening(_ weekly: [(Int, String, String)]) throws {
        let r = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": weekly.map { ["weekday": $0.0, "opens": $0.1, "closes": $0.2] }, "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(r.status, 200, r.text)
    }

    func makeType(_ code: String, _ services: [String], duration: Int = 30, fields: [String: Any] = [:]) throws -> String {
        var body: [String: Any] = ["code": code, "name": code, "durationMinutes": duration, "requirements": services.map { ["serviceId": $0] },
                                   "minNoticeMinutes": 0, "publicBooking": true]
        body.merge(fields) { $1 }
        let r = try t.admin.post("/api/v1/appointment-types", json: body)
        XCTAssertEqual(r.status, 201, r.text)
        return r.object["id"] as? String ?? ""
    }

    func room(_ name: String, capacity: Int = 4) throws -> String {
        let r = try t.admin.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": name, "capacity": capacity])
        XCTAssertEqual(r.status, 201, r.text)
        return r.object["id"] as? String ?? ""
    }

    func times(_ type: String, _ date: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let d = date ?? day
        let r = try t.client.get("/api/v1/locations/\(w.locationID)/available-times?appointmentType=\(type)&from=\(d)&to=\(d)")
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        return (r.object["items"] as? [[String: Any]] ?? []).compactMap { $0["start"] as? String }
    }

    /// "10:00" on the test day → RFC 3339 in Amsterdam (winter time).
    func at(_ hhmm: String, _ date: String? = nil) -> String { "\(date ?? day)T\(hhmm):00+01:00" }

    func book(_ client: HTTPClient, _ type: String, _ start: String, citizen: [String: Any] = ["name": "Jan Jansen", "email": "jan@example.nl"],
              extra: [String: Any] = [:]) throws -> HTTPResponse {
        var body: [String: Any] = ["locationId": w.locationID, "appointmentTypeId": type, "start": start, "citizen": citizen]
        body.merge(extra) { $1 }
        return try client.post("/api/v1/appointments", json: body)
    }

    /// Live reservations of one staff member or room that overlap: must always be zero.
    func overlaps() throws -> Int {
        try sql("""
            SELECT count(*)::int AS n FROM appointment_reservation r1 JOIN appointment_reservation r2
              ON r1.ctid < r2.ctid AND r1.during && r2.during AND (r1.staff_id = r2.staff_id OR r1.room_id = r2.room_id)
            WHERE r1.appointment_status IN ('held', 'booked', 'checkedIn') AND r2.appointment_status IN ('held', 'booked', 'checkedIn')
            """).first.map { try $0.int("n") } ?? -1
    }

    /// Runs `body` on `count` threads released together, and returns their answers' statuses.
    func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Int) -> [Int] {
        let results = StatusBox(count)
        let gate = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            Thread.detachNewThread {
                gate.wait()
                results.set(i, body(i))
                group.leave()
            }
        }
        for _ in 0..<count { gate.signal() }
        group.wait()
        return results.all
    }

    /// A simple type (service A, 30 minutes) with one staff member of agency A available Tuesdays 09:00–12:00.
    func simpleSetup(fields: [String: Any] = [:]) throws -> (type: String, staff: String) {
        try opening([(2, "09:00", "12:00")])
        let type = try makeType("kort", [w.serviceA], fields: fields)
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        try available(a1, "09:00", "12:00")
        return (type, a1)
    }

    // MARK: Booking

    func testPublicBookingAnswersTheAppointmentWithItsOwnLinkAndTheSearchFollows() throws {
        let (type, a1) = try simpleSetup()
        XCTAssertTrue(try times(type).contains(at("10:00")))
        let r = try book(t.client, type, at("10:00"), extra: ["persons": 1])
        XCTAssertEqual(r.status, 201, r.text)
        let o = r.object
        XCTAssertEqual(o["status"] as? String, "booked")
        XCTAssertEqual(o["start"] as? String, at("10:00"))
        XCTAssertEqual(o["end"] as? String, at("10:30"))
        XCTAssertEqual((o["participants"] as? [[String: Any]])?.map { $0["staffId"] as? String }, [a1])
        XCTAssertEqual((o["citizen"] as? [String: Any])?["email"] as? String, "jan@example.nl")
        let reference = o["reference"] as? String ?? ""
        XCTAssertNotNil(reference.range(of: "^[2-9A-HJKMNP-Z]{6}$", options: .regularExpression), reference)
        let token = o["manageToken"] as? String ?? ""
        XCTAssertEqual(token.count, 43)
        let id = o["id"] as? String ?? ""
        // Stored hashed, never in clear.
        let stored = try sql("SELECT encode(manage_token_hash, 'hex') AS h, booked_by IS NULL AS public FROM appointment WHERE id = $1", id).first!
        XCTAssertEqual(try stored.string("h"), Credentials.tokenDigest(token).map { String(format: "%02x", $0) }.joined())
        XCTAssertEqual(try stored.bool("public"), true)
        // The search stops offering what overlaps the booking (the cache was invalidated by the version bump).
        let offered = try times(type)
        for gone in ["09:45", "10:00", "10:15"] { XCTAssertFalse(offered.contains(at(gone)), gone) }
        XCTAssertTrue(offered.contains(at("09:30")) && offered.contains(at("10:30")))
        // Staff bookings are audited and get no manage link.
        let s = try book(w.staffA, type, at("11:00"))
        XCTAssertEqual(s.status, 201, s.text)
        XCTAssertNil(s.object["manageToken"])
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.book' AND subject_id = $1",
                               s.object["id"] as? String ?? "").first.map { try $0.int("n") }, 1)
        // Cancel by the citizen's link frees the slot and raises SEQUENCE.
        let c = try t.client.post("/api/v1/appointments/manage/\(token)/cancel", json: ["reason": "Ziek"])
        XCTAssertEqual(c.status, 200, c.text)
        XCTAssertEqual(c.object["status"] as? String, "cancelled")
        XCTAssertEqual(c.object["sequence"] as? Int, 1)
        XCTAssertTrue(try times(type).contains(at("10:00")), "offered again after cancel")
        XCTAssertEqual(try t.client.post("/api/v1/appointments/manage/\(token)/cancel").status, 404, "the link is dead after cancel")
        XCTAssertEqual(try overlaps(), 0)
    }

    func testTheLeastBookedQualifiedStaffMemberIsChosen() throws {
        try opening([(2, "09:00", "12:00")])
        let type = try makeType("kort", [w.serviceA])
        let a1 = try staff("a1", w.agencyA, [w.serviceA]), a2 = try staff("a2", w.agencyA, [w.serviceA])
        try available(a1, "09:00", "12:00")
        try available(a2, "09:00", "12:00")
        var chosen: [String] = []
        for start in ["09:00", "10:00", "11:00", "11:30"] {
            let r = try book(t.client, type, at(start))
            XCTAssertEqual(r.status, 201, r.text)
            chosen.append((r.object["participants"] as? [[String: Any]])?.first?["staffId"] as? String ?? "")
        }
        XCTAssertNotEqual(chosen[0], chosen[1], "the second booking goes to the one with nothing booked yet")
        XCTAssertNotEqual(chosen[2], chosen[3])
        XCTAssertEqual(Set(chosen), [a1, a2])
    }

    func testTheBookingChecksEveryRuleAgain() throws {
        let (type, a1) = try simpleSetup()
        // Offered by the search, then an absence arrives before the booking: 409 with the nearest free starts.
        XCTAssertTrue(try times(type).contains(at("10:00")))
        try sql("INSERT INTO staff_absence (staff_id, during, reason) VALUES ($1, tstzrange('2026-03-10 09:30+01', '2026-03-10 10:30+01'), 'sickness')", a1)
        let r = try book(t.client, type, at("10:00"))
        XCTAssertEqual(r.status, 409, r.text)
        XCTAssertEqual((r.object["alternatives"] as? [[String: Any]])?.compactMap { $0["start"] as? String },
                       [at("09:00"), at("10:30"), at("10:45")], "the three nearest free starts")
        XCTAssertEqual((r.object["alternatives"] as? [[String: Any]])?.first?["end"] as? String, at("09:30"))
        // Outside opening hours.
        XCTAssertEqual(try book(t.client, type, at("12:00")).status, 409)
        XCTAssertEqual(try book(t.admin, type, at("08:30")).status, 409, "staff are bound by opening hours too")
        // Public notice and horizon; staff skip them but never book the past.
        try sql("UPDATE appointment_type SET min_notice_minutes = 120, horizon_days = 30 WHERE id = $1", type)
        try opening([(1, "09:00", "17:00"), (2, "09:00", "12:00")])
        try available(a1, weekday: 1, "09:00", "17:00")
        let today = "2026-03-02"
        let notice = try book(t.client, type, at("12:30", today))
        XCTAssertEqual(notice.status, 409, notice.text)
        XCTAssertTrue((notice.object["detail"] as? String ?? "").contains("120 minutes"), notice.text)
        XCTAssertTrue((notice.object["alternatives"] as? [[String: Any]] ?? []).allSatisfy { ($0["start"] as? String ?? "") >= at("13:00", today) },
                      "alternatives respect the notice: \(notice.text)")
        XCTAssertEqual(try book(t.client, type, at("13:00", today)).status, 201)
        XCTAssertEqual(try book(t.client, type, at("10:00", "2026-04-14")).status, 409, "beyond the 30-day horizon")
        XCTAssertEqual(try book(w.staffA, type, at("11:30", today)).status, 201, "staff plan within the notice")
        XCTAssertEqual(try book(w.staffA, type, at("10:30", today)).status, 409, "…but not in the past")
        // Invalid requests are 422.
        func invalid(_ r: HTTPResponse, _ field: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(r.status, 422, r.text, file: file, line: line)
            XCTAssertTrue((r.object["invalidParams"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == field }, r.text, file: file, line: line)
        }
        invalid(try book(t.client, type, at("10:05")), "start")
        // An impossible offset is refused as one, naming the field (+99:99 used to be read as four days and 40 minutes
        // off and refused as "not on the quarter hour").
        for start in ["2026-03-10T10:00:00+99:99", "2026-03-10T10:00:00+19:00", "2026-03-10T10:00:00+01:75"] {
            let r = try book(t.client, type, start)
            invalid(r, "start")
            XCTAssertTrue(((r.object["invalidParams"] as? [[String: Any]])?.first?["reason"] as? String ?? "").contains("between -18:00 and +18:00"),
                          r.text)
        }
        invalid(try book(t.client, type, at("10:00"), extra: ["persons": 2]), "persons")
        invalid(try book(t.client, UUID().uuidString.lowercased(), at("10:00")), "appointmentTypeId")
        invalid(try book(t.client, type, at("10:00"), extra: ["locationId": UUID().uuidString.lowercased()]), "locationId")
        invalid(try book(t.client, type, at("10:00"), extra: ["staffIds": [a1]]), "staffIds")
        invalid(try book(t.client, type, at("10:00"), citizen: ["name": "Jan"]), "citizen.email")
        invalid(try book(t.client, type, at("10:00"), citizen: ["email": "jan@example.nl"]), "citizen.name")
        invalid(try book(t.client, type, at("10:00"), citizen: ["name": "Jan", "email": "geen adres"]), "citizen.email")
        invalid(try book(t.client, type, at("10:00"), citizen: ["name": "Jan", "phone": "06-1234", "needs": ["bsn"]]), "citizen.needs")
        try sql("UPDATE appointment_type SET name_field = 'hidden', phone_field = 'required', contact_required = false WHERE id = $1", type)
        invalid(try book(t.client, type, at("09:00"), citizen: ["name": "Jan", "phone": "0612345678"]), "citizen.name")
        invalid(try book(t.client, type, at("09:00"), citizen: [:]), "citizen.phone")
        XCTAssertEqual(try book(t.client, type, at("09:00"), citizen: ["phone": "+31 6 12345678"]).status, 201)
        // A type not open to the public does not exist for anonymous callers; staff may book it.
        try sql("UPDATE appointment_type SET public_booking = false WHERE id = $1", type)
        invalid(try book(t.client, type, at("10:30")), "appointmentTypeId")
        XCTAssertEqual(try book(w.staffB, type, at("10:30"), citizen: [:]).status, 201)
        XCTAssertEqual(try overlaps(), 0)
    }

    func testStaffNameTheParticipantsAndTheRoomOfAJointAppointment() throws {
        try opening([(2, "09:00", "12:00")])
        let joint = try makeType("samen", [w.serviceA, w.serviceB], duration: 60, fields: ["needsRoom": true])
        let a1 = try staff("a1", w.agencyA, [w.serviceA]), b1 = try staff("b1", w.agencyB, [w.serviceB])
        let b2 = try staff("b2", w.agencyB, [w.serviceB])
        for s in [a1, b1, b2] { try available(s, "09:00", "12:00") }
        let small = try room("Klein", capacity: 3), big = try room("Groot", capacity: 8)
        // Named in any order: the matching decides which requirement each fills; the room as asked.
        let r = try book(w.staffB, joint, at("10:00"), extra: ["staffIds": [b2, a1], "roomId": big])
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual((r.object["participants"] as? [[String: Any]])?.map { $0["staffId"] as? String }, [a1, b2])
        XCTAssertEqual((r.object["participants"] as? [[String: Any]])?.map { $0["agencyId"] as? String }, [w.agencyA, w.agencyB])
        XCTAssertEqual(r.object["roomId"] as? String, big)
        XCTAssertEqual(r.object["joint"] as? Bool, true)
        // Both agencies' staff may change it; a1 is busy now, so naming a1 again at an overlapping time is 409.
        XCTAssertEqual(try book(t.admin, joint, at("10:30"), extra: ["staffIds": [a1, b1]]).status, 409)
        let free = try book(t.admin, joint, at("11:00"), extra: ["staffIds": [a1, b1]])
        XCTAssertEqual(free.status, 201, free.text)
        XCTAssertEqual(free.object["roomId"] as? String, small, "without roomId the smallest room that fits")
        // Named staff who cannot take part, or a room for a type without one, are invalid requests.
        XCTAssertEqual(try book(t.admin, joint, at("09:00"), extra: ["staffIds": [b1, b2]]).status, 409, "nobody for requirement A")
        XCTAssertEqual(try book(t.admin, joint, at("09:00"), extra: ["staffIds": [a1]]).status, 422, "one per requirement")
        let urgentOnly = try staff("u1", w.agencyA, [w.urgentA])
        try available(urgentOnly, "09:00", "12:00")
        XCTAssertEqual(try book(t.admin, joint, at("09:00"), extra: ["staffIds": [a1, urgentOnly]]).status, 422, "serves neither requirement")
        let single = try makeType("kort", [w.serviceA])
        XCTAssertEqual(try book(t.admin, single, at("09:00"), extra: ["roomId": big]).status, 422)
        XCTAssertEqual(try w.staffB.post("/api/v1/appointments/\(r.object["id"] as? String ?? "")/cancel").status, 200,
                       "staff of a participating agency")
        XCTAssertEqual(try overlaps(), 0)
    }

    // MARK: Races

    /// The race the search cannot see: another transaction holds the slot uncommitted while the booking checks. The
    /// booking's insert waits for it, and when it commits the exclusion constraint answers: 409 with alternatives.
    func testALostRaceIsDecidedByTheDatabaseAndAnsweredWithAlternatives() throws {
        let (type, a1) = try simpleSetup()
        let other = try t.connection()
        defer { other.close() }
        try other.execute("BEGIN")
        let id = UUID().uuidString.lowercased()
        try other.query(Query(SQL(unsafeUnchecked: """
            INSERT INTO appointment (id, location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at, created_at, updated_at)
            VALUES ($1::uuid, $2, $3, 'RACE22', 2026, 'booked', '2026-03-10 10:00+01', '2026-03-10 10:30+01', '2026-03-02 10:00Z', '2026-03-02 10:00Z')
            """), parameters: [id, w.locationID, type]))
        try other.query(Query(SQL(unsafeUnchecked: """
            INSERT INTO appointment_reservation (appointment_id, appointment_status, position, staff_id, service_id, agency_id, during)
            VALUES ($1::uuid, 'booked', 0, $2, $3, $4, tstzrange('2026-03-10 10:00+01', '2026-03-10 10:30+01'))
            """), parameters: [id, a1, w.serviceA, w.agencyA]))
        let client = t.client, body: [String: Any] = ["locationId": w.locationID, "appointmentTypeId": type, "start": at("10:00"),
                                                      "citizen": ["name": "Jan", "email": "jan@example.nl"]]
        let answer = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        let json = try JSONSerialization.data(withJSONObject: body)
        Thread.detachNewThread {
            answer.value = try? client.send("POST", "/api/v1/appointments", body: Array(json))
            done.signal()
        }
        // Wait until the booking is blocked on the uncommitted reservation, then let the other transaction win.
        var waiting = 0
        for _ in 0..<100 where waiting == 0 {
            waiting = try sql("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()").first.map { try $0.int("n") } ?? 0
            if waiting == 0 { usleep(50_000) }
        }
        XCTAssertEqual(waiting, 1, "the booking passed the search and waits at the insert")
        try other.execute("COMMIT")
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
        let r = try XCTUnwrap(answer.value)
        XCTAssertEqual(r.status, 409, r.text)
        XCTAssertEqual(r.object["detail"] as? String, "That time was just taken.")
        XCTAssertEqual((r.object["alternatives"] as? [[String: Any]])?.compactMap { $0["start"] as? String },
                       [at("09:15"), at("09:30"), at("10:30")])
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment").first.map { try $0.int("n") }, 1, "the loser left nothing")
    }

    func testHundredConcurrentBookingsOfOneSlotAndOfOverlappingJointSlots() throws {
        try opening([(2, "09:00", "17:00")])
        let single = try makeType("kort", [w.serviceA])
        let joint = try makeType("samen", [w.serviceA, w.serviceB], duration: 60, fields: ["needsRoom": true])
        let a = try (1...3).map { try staff("a\($0)", w.agencyA, [w.serviceA]) }
        let b = try (1...2).map { try staff("b\($0)", w.agencyB, [w.serviceB]) }
        for s in a + b { try available(s, "09:00", "17:00") }
        _ = try room("Kamer 1")
        _ = try room("Kamer 2")
        _ = try room("Kamer 3", capacity: 2)  // too small for 1 visitor + 2 staff
        // One slot, three qualified staff: exactly three bookings.
        let client = t.client, location = w.locationID
        @Sendable func body(_ type: String, _ start: String) -> [String: Any] {
            ["locationId": location, "appointmentTypeId": type, "start": start, "citizen": ["name": "Jan", "email": "jan@example.nl"]]
        }
        let start = at("09:00")
        let statuses = concurrently(100) { _ in (try? client.post("/api/v1/appointments", json: body(single, start)).status) ?? -1 }
        XCTAssertEqual(statuses.filter { $0 == 201 }.count, 3, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 409 }.count, 97, "\(statuses)")
        // Overlapping joint slots 14:00–15:45 (each an hour): two B staff and two rooms big enough, so at most two.
        let starts = ["14:00", "14:15", "14:30", "14:45"].map { at($0) }
        let joints = concurrently(100) { i in (try? client.post("/api/v1/appointments", json: body(joint, starts[i % 4])).status) ?? -1 }
        XCTAssertEqual(joints.filter { $0 == 201 }.count, 2, "\(joints)")
        XCTAssertEqual(joints.filter { $0 == 409 }.count, 98, "\(joints)")
        XCTAssertEqual(try overlaps(), 0, "no staff member or room in two live appointments at once")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment WHERE status = 'booked'").first.map { try $0.int("n") }, 5)
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment_reservation").first.map { try $0.int("n") }, 3 + 2 * 3,
                       "all or nothing: each joint booking has two participants and a room, losers left nothing")
    }

    func testHundredConcurrentReschedulesIntoOneSlot() throws {
        try opening([(2, "08:00", "18:00")])
        let type = try makeType("kwartier", [w.serviceA], duration: 15)
        let a = try (1...3).map { try staff("a\($0)", w.agencyA, [w.serviceA]) }
        for s in a { try available(s, "08:00", "18:00") }
        // 100 appointments spread over the day, none at 13:00.
        var ids: [String] = []
        var slot = 0
        while ids.count < 100 {
            let minutes = 8 * 60 + (slot % 40) * 15
            let start = at(String(format: "%02d:%02d", minutes / 60, minutes % 60))
            let staffID = a[slot / 40]
            slot += 1
            if start == at("13:00") { continue }
            let r = try book(t.admin, type, start, extra: ["staffIds": [staffID]])
            XCTAssertEqual(r.status, 201, r.text)
            ids.append(r.object["id"] as? String ?? "")
        }
        let admin = t.admin, target = at("13:00"), booked = ids
        let statuses = concurrently(100) { i in (try? admin.patch("/api/v1/appointments/\(booked[i])", json: ["start": target]).status) ?? -1 }
        XCTAssertEqual(statuses.filter { $0 == 200 }.count, 3, "three staff free at 13:00: \(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 409 }.count, 97, "\(statuses)")
        XCTAssertEqual(try overlaps(), 0)
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment WHERE starts_at = $1::timestamptz AND sequence = 1", target).first.map { try $0.int("n") }, 3)
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment WHERE status = 'booked'").first.map { try $0.int("n") }, 100,
                       "a failed reschedule keeps the old time (never cancel-and-rebook)")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment_reservation").first.map { try $0.int("n") }, 100)
    }

    // MARK: Holds

    func testAnExpiredHoldFreesItsSlotWithoutAnyJobAndAConfirmedHoldStays() throws {
        let (type, _) = try simpleSetup()
        let h = try book(t.client, type, at("10:00"), extra: ["hold": true])
        XCTAssertEqual(h.status, 201, h.text)
        XCTAssertEqual(h.object["status"] as? String, "held")
        XCTAssertEqual(h.object["heldUntil"] as? String, "2026-03-02T11:10:00+01:00", "ten minutes by default")
        let token = h.object["manageToken"] as? String ?? ""
        XCTAssertFalse(try times(type).contains(at("10:00")), "an unexpired hold counts as busy")
        XCTAssertEqual(try book(t.client, type, at("10:00")).status, 409)
        // Ten minutes later nothing ran, but the hold blocks no one.
        clock.advance(seconds: 601)
        XCTAssertTrue(try times(type).contains(at("10:00")), "the cached day that counted the hold expired with it")
        // Every use of the link agrees with GET: the hold is over, the link is dead (cancelling it by the link used to
        // work while GET said 404).
        XCTAssertEqual(try t.client.get("/api/v1/appointments/manage/\(token)").status, 404)
        let late = try t.client.post("/api/v1/appointments/manage/\(token)/confirm")
        XCTAssertEqual(late.status, 404, late.text)
        XCTAssertTrue((late.object["detail"] as? String ?? "").contains("expired"), late.text)
        let lateCancel = try t.client.post("/api/v1/appointments/manage/\(token)/cancel", json: ["reason": "te laat"])
        XCTAssertEqual(lateCancel.status, 404, lateCancel.text)
        XCTAssertEqual(try t.client.patch("/api/v1/appointments/manage/\(token)", json: ["start": at("11:30")]).status, 404)
        XCTAssertEqual(try sql("SELECT status FROM appointment WHERE id = $1", h.object["id"] as? String ?? "").first!.string("status"), "held",
                       "the link changed nothing")
        let next = try book(t.client, type, at("10:00"))
        XCTAssertEqual(next.status, 201, next.text)
        let old = try sql("SELECT status, cancel_reason FROM appointment WHERE id = $1", h.object["id"] as? String ?? "").first!
        XCTAssertEqual(try old.string("status"), "cancelled")
        XCTAssertEqual(try old.string("cancel_reason"), "hold expired")
        // A confirmed hold stays.
        let h2 = try book(t.client, type, at("11:00"), extra: ["hold": true])
        XCTAssertEqual(h2.status, 201, h2.text)
        let confirmed = try t.client.post("/api/v1/appointments/manage/\(h2.object["manageToken"] as? String ?? "")/confirm")
        XCTAssertEqual(confirmed.status, 200, confirmed.text)
        XCTAssertEqual(confirmed.object["status"] as? String, "booked")
        XCTAssertTrue(confirmed.object["heldUntil"] is NSNull)
        clock.advance(seconds: 3600)
        XCTAssertFalse(try times(type).contains(at("11:00")))
        XCTAssertEqual(try book(t.client, type, at("11:00")).status, 409)
        // Confirming twice is an illegal move.
        let again = try t.admin.post("/api/v1/appointments/\(h2.object["id"] as? String ?? "")/confirm")
        XCTAssertEqual(again.status, 409, again.text)
        XCTAssertEqual(again.object["detail"] as? String, "An appointment that is booked cannot be confirmed.")
        XCTAssertEqual(try overlaps(), 0)
    }

    /// A staff member's booking answer carries the citizen's data: when an `Idempotency-Key` retry shows it again,
    /// that is a read of personal data and is audited (`appointment.read`, `replay: true`); the public's own replay is not.
    func testAReplayedStaffBookingIsAuditedAsARead() throws {
        let (type, _) = try simpleSetup()
        let body = Array(try JSONSerialization.data(withJSONObject: [
            "locationId": w.locationID, "appointmentTypeId": type, "start": at("10:00"),
            "citizen": ["name": "Jan Jansen", "email": "jan@example.nl"]] as [String: Any], options: [.sortedKeys]))
        let key = ["Idempotency-Key": UUID().uuidString]
        let first = try w.staffA.send("POST", "/api/v1/appointments", body: body, headers: key)
        XCTAssertEqual(first.status, 201, first.text)
        let id = first.object["id"] as? String ?? ""
        func audits(_ action: String) throws -> Int {
            try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND subject_id = $2 AND staff_id = $3 AND coalesce(detail->>'replay', '') = $4",
                    action, id, w.staffAID, action == "appointment.read" ? "true" : "").first!.int("n")
        }
        XCTAssertEqual(try audits("appointment.book"), 1)
        XCTAssertEqual(try audits("appointment.read"), 0)
        let again = try w.staffA.send("POST", "/api/v1/appointments", body: body, headers: key)
        XCTAssertEqual(again.status, 201, again.text)
        XCTAssertEqual(again.header("Idempotent-Replayed"), "true")
        XCTAssertEqual((again.object["citizen"] as? [String: Any])?["email"] as? String, "jan@example.nl", "the citizen's data shown again")
        XCTAssertEqual(try audits("appointment.book"), 1, "booked once")
        XCTAssertEqual(try audits("appointment.read"), 1, "…and the replay that showed it again is audited")
        // The public's replay returns only what the citizen sent: nothing to audit.
        let publicBody = Array(try JSONSerialization.data(withJSONObject: [
            "locationId": w.locationID, "appointmentTypeId": type, "start": at("11:00"),
            "citizen": ["name": "Piet", "email": "piet@example.nl"]] as [String: Any], options: [.sortedKeys]))
        let publicKey = ["Idempotency-Key": UUID().uuidString]
        XCTAssertEqual(try t.client.send("POST", "/api/v1/appointments", body: publicBody, headers: publicKey).status, 201)
        XCTAssertEqual(try t.client.send("POST", "/api/v1/appointments", body: publicBody, headers: publicKey).header("Idempotent-Replayed"), "true")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.read'").first!.int("n"), 1)
    }

    // MARK: Slot hoarding

    /// With the limits on (the TestApp turns them off for everything else): anonymous bookings and manage-link changes
    /// count per address per minute (429 + Retry-After), and one address holds at most 3 unexpired holds; staff and
    /// other addresses are not affected, and a confirmed or expired hold stops counting.
    func testAnonymousBookingsAndHoldsAreLimitedPerAddress() throws {
        t.tearDown()
        let clock = self.clock
        t = try TestApp { $0.clock = clock; $0.bookingRatePerMinute = 10; $0.holdsPerAddress = 3; $0.bookingLimitExempt = ["127.0.0.11"] }
        w = try World.make(t)
        let (type, _) = try simpleSetup()
        // Per minute: the window is a real minute, so a request run can straddle one change of minute at most —
        // 10 requests from a fresh address all pass, and within the next 11 one is refused.
        let flood = t.client.from("127.0.0.7")
        for i in 0..<10 { XCTAssertEqual(try flood.post("/api/v1/appointments", json: [String: Any]()).status, 422, "request \(i)") }
        var refused: HTTPResponse? = nil
        for _ in 0..<11 where refused == nil {
            let r = try flood.post("/api/v1/appointments", json: [String: Any]())
            if r.status == 429 { refused = r } else { XCTAssertEqual(r.status, 422, r.text) }
        }
        let limited = try XCTUnwrap(refused, "the 21st request of one address within two minutes must be refused")
        XCTAssertEqual(limited.header("content-type"), "application/problem+json")
        XCTAssertNotNil(Int(limited.header("retry-after") ?? ""), limited.text)
        XCTAssertEqual(try flood.post("/api/v1/appointments/manage/\(String(repeating: "a", count: 43))/cancel").status, 429,
                       "the manage link's changes count too")
        XCTAssertEqual(try t.client.from("127.0.0.8").post("/api/v1/appointments", json: [String: Any]()).status, 422, "another address is not limited")
        XCTAssertEqual(try w.staffA.from("127.0.0.7").post("/api/v1/appointments", json: [String: Any]()).status, 422, "staff are not limited")

        // Holds: three at a time per address.
        let hoarder = t.client.from("127.0.0.9")
        var tokens: [String] = []
        for start in ["09:00", "09:30", "10:00"] {
            let h = try book(hoarder, type, at(start), extra: ["hold": true])
            XCTAssertEqual(h.status, 201, h.text)
            tokens.append(h.object["manageToken"] as? String ?? "")
        }
        let fourth = try book(hoarder, type, at("10:30"), extra: ["hold": true])
        XCTAssertEqual(fourth.status, 429, fourth.text)
        XCTAssertEqual(Int(fourth.header("retry-after") ?? ""), 600, "until the first hold expires")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment WHERE status = 'held'").first.map { try $0.int("n") }, 3)
        XCTAssertEqual(try book(hoarder, type, at("10:30")).status, 201, "a booking without hold is not capped")
        XCTAssertEqual(try book(w.staffA.from("127.0.0.9"), type, at("11:30"), extra: ["hold": true]).status, 201, "staff holds are not capped")
        // A confirmed hold no longer counts.
        XCTAssertEqual(try hoarder.post("/api/v1/appointments/manage/\(tokens[0])/confirm").status, 200)
        XCTAssertEqual(try book(hoarder, type, at("11:00"), extra: ["hold": true]).status, 201)
        XCTAssertEqual(try book(hoarder, type, at("09:00", "2026-03-17"), extra: ["hold": true]).status, 429)
        // Expired holds no longer count.
        clock.advance(seconds: 601)
        let after = try book(hoarder, type, at("09:00", "2026-03-17"), extra: ["hold": true])
        XCTAssertEqual(after.status, 201, after.text)
        // Six holds of six free slots sent at once from one address: the cap is claimed before the transaction, so
        // exactly three pass, never more.
        let racer = t.client.from("127.0.0.10")
        let starts = ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30"].map { at($0, "2026-03-24") }
        let w = self.w!
        let statuses = concurrently(starts.count) { i in
            let body: [String: Any] = ["locationId": w.locationID, "appointmentTypeId": type, "start": starts[i], "hold": true,
                                       "citizen": ["name": "Jan Jansen", "email": "jan@example.nl"]]
            return (try? racer.post("/api/v1/appointments", json: body).status) ?? -1
        }
        XCTAssertEqual(statuses.filter { $0 == 201 }.count, 3, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 429 }.count, 3, "\(statuses)")
        // The API document tells clients about the 429 and its Retry-After.
        let doc = try t.client.get("/api/v1/openapi.json").object
        let paths = doc["paths"] as? [String: Any] ?? [:]
        for (path, method) in [("/api/v1/appointments", "post"), ("/api/v1/appointments/manage/{token}/cancel", "post"),
                               ("/api/v1/appointments/manage/{token}", "patch"), ("/api/v1/appointments/manage/{token}/confirm", "post")] {
            let tooMany = (((paths[path] as? [String: Any])?[method] as? [String: Any])?["responses"] as? [String: Any])?["429"] as? [String: Any]
            XCTAssertTrue((tooMany?["description"] as? String ?? "").contains("LOKET_BOOKING_RATE_PER_MINUTE"), "\(method) \(path)")
            XCTAssertNotNil((tooMany?["headers"] as? [String: Any])?["Retry-After"], "\(method) \(path)")
            XCTAssertNotNil((tooMany?["content"] as? [String: Any])?["application/problem+json"], "\(method) \(path)")
        }
        // A form server (Open Forms) books for everyone from one address: listed as exempt, neither limit applies.
        let forms = t.client.from("127.0.0.11")
        for i in 0..<12 { XCTAssertEqual(try forms.post("/api/v1/appointments", json: [String: Any]()).status, 422, "request \(i)") }
        for start in ["09:00", "09:30", "10:00", "10:30"] {
            let h = try book(forms, type, at(start, "2026-03-31"), extra: ["hold": true])
            XCTAssertEqual(h.status, 201, h.text)
        }
        XCTAssertEqual(try overlaps(), 0)
    }

    // MARK: Who may do what; moves

    func testAgencyWallManageLinkAndIllegalMoves() throws {
        let (type, _) = try simpleSetup()
        let r = try book(t.client, type, at("10:00"))
        XCTAssertEqual(r.status, 201, r.text)
        let id = r.object["id"] as? String ?? "", token = r.object["manageToken"] as? String ?? ""
        // Another agency's staff may not touch it, and learn nothing: 404 as on reads and as for an id that does not
        // exist (a 403 would confirm the id); the public may not use the staff routes.
        let unknown = UUID().uuidString.lowercased()
        for (method, suffix, body) in [("POST", "/cancel", "{}"), ("PATCH", "", "{\"start\":\"\(at("11:00"))\"}"), ("POST", "/confirm", "{}")] {
            let other = try w.staffB.send(method, "/api/v1/appointments/\(id)\(suffix)", body: Array(body.utf8))
            XCTAssertEqual(other.status, 404, "\(method) \(suffix): \(other.text)")
            XCTAssertEqual(other.object["detail"] as? String, "There is no appointment with id \(id).")
            XCTAssertEqual(try w.staffB.send(method, "/api/v1/appointments/\(unknown)\(suffix)", body: Array(body.utf8)).status, 404)
            XCTAssertEqual(try w.staffB.get("/api/v1/appointments/\(id)").status, 404, "reads say the same")
        }
        XCTAssertEqual(try sql("SELECT status FROM appointment WHERE id = $1", id).first!.string("status"), "booked")
        XCTAssertEqual(try t.client.post("/api/v1/appointments/\(id)/cancel").status, 401)
        // The citizen moves it with the link (no staff choice), raising SEQUENCE; the old time is free again.
        XCTAssertEqual(try t.client.patch("/api/v1/appointments/manage/\(token)", json: ["start": at("11:00"), "staffIds": []]).status, 422)
        let moved = try t.client.patch("/api/v1/appointments/manage/\(token)", json: ["start": at("11:00")])
        XCTAssertEqual(moved.status, 200, moved.text)
        XCTAssertEqual(moved.object["start"] as? String, at("11:00"))
        XCTAssertEqual(moved.object["sequence"] as? Int, 1)
        XCTAssertTrue(try times(type).contains(at("10:00")))
        XCTAssertFalse(try times(type).contains(at("11:00")))
        // A move by a quarter overlaps its own old time: allowed (its own reservations never stand in its way).
        let nudged = try w.staffA.patch("/api/v1/appointments/\(id)", json: ["start": at("11:15")])
        XCTAssertEqual(nudged.status, 200, nudged.text)
        XCTAssertEqual(nudged.object["sequence"] as? Int, 2)
        XCTAssertEqual(try t.client.patch("/api/v1/appointments/manage/\(token)", json: ["start": at("13:00")]).status, 409, "closed then")
        // Staff of the agency cancel it; then every move is refused by the state machine.
        let c = try w.staffA.post("/api/v1/appointments/\(id)/cancel", json: ["reason": "Dubbel geboekt"])
        XCTAssertEqual(c.status, 200, c.text)
        XCTAssertEqual(c.object["sequence"] as? Int, 3)
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.cancel' AND subject_id = $1", id).first.map { try $0.int("n") }, 1)
        let twice = try w.staffA.post("/api/v1/appointments/\(id)/cancel")
        XCTAssertEqual(twice.status, 409)
        XCTAssertEqual(twice.object["detail"] as? String, "An appointment that was cancelled cannot be cancelled.")
        XCTAssertEqual(try t.admin.patch("/api/v1/appointments/\(id)", json: ["start": at("09:00")]).object["detail"] as? String,
                       "An appointment that was cancelled cannot be rescheduled.")
        XCTAssertEqual(try t.admin.post("/api/v1/appointments/\(id)/confirm").status, 409)
        XCTAssertEqual(try t.client.patch("/api/v1/appointments/manage/\(token)", json: ["start": at("09:00")]).status, 404, "dead link")
        XCTAssertEqual(try t.admin.post("/api/v1/appointments/\(UUID().uuidString.lowercased())/cancel").status, 404)
        XCTAssertEqual(try t.client.post("/api/v1/appointments/manage/not-a-token/cancel").status, 404)
        // The link dies at the start.
        let r2 = try book(t.client, type, at("09:00"))
        XCTAssertEqual(r2.status, 201, r2.text)
        clock.set(Instant(rfc3339: at("09:00"))!)
        XCTAssertEqual(try t.client.post("/api/v1/appointments/manage/\(r2.object["manageToken"] as? String ?? "")/cancel").status, 404)
    }
}

/// One answer written by another thread.
final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: HTTPResponse?
    var value: HTTPResponse? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

/// Statuses written by many threads.
final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int]
    init(_ count: Int) { values = [Int](repeating: 0, count: count) }
    func set(_ i: Int, _ v: Int) { lock.lock(); values[i] = v; lock.unlock() }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return values }
}

/// One value of every statement type of appointments.sql, for the statement test (StatementTests).
enum AppointmentStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            AppointmentBookingContext(locationID: id, appointmentTypeID: id, start: now, now: now),
            AppointmentStaffLoad(locationID: id, day: "2026-01-01", now: now),
            AppointmentExpireHolds(staffIDs: [id], roomID: nil, from: now, to: now, now: now, sources: ["held"], target: "cancelled"),
            AppointmentInsert(locationID: id, appointmentTypeID: id, reference: "ABCDEF", referenceYear: 2026, status: "booked", start: now,
                              end: now, persons: 1, heldUntil: nil, name: nil, email: nil, phone: nil, language: nil, needs: [],
                              needsNote: nil, manageTokenHash: .null, bookedBy: nil, now: now),
            AppointmentReserve(appointmentID: id, staffIDs: [id], serviceIDs: [id], roomID: nil, from: now, to: now),
            AppointmentLock(id: id, tokenHash: .null),
            AppointmentConfirm(id: id, sources: ["held"], target: "booked", now: now),
            AppointmentCancel(id: id, sources: ["booked"], target: "cancelled", reason: nil, now: now),
            AppointmentMove(id: id, sources: ["booked"], target: "booked", start: now, end: now, now: now),
            AppointmentReservationsClear(id: id),
            AppointmentBumpCalendar(locationID: id),
            AppointmentAnswer(id: id, personal: false),
        ]
    }()
}
