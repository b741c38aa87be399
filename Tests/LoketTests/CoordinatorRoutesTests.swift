@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// The coordinator console's reads over HTTP against a real database: proposals name who attends and which room and
/// book exactly that, named staff take part in every proposal, the staff week shows availability, absences (without
/// their reason) and bookings in Amsterdam time and is audited, and bad input names its field. The clock is fixed on
/// Monday 2026-03-02 11:00 in Amsterdam; the planned week is that of Monday 2026-03-09.
final class CoordinatorRoutesTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    var coordinator: HTTPClient!
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp {
            $0.clock = clock
            $0.server.connectionsPerAddress = 0
        }
        w = try World.make(t)
        let r = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "cora", "password": "correct horse battery",
                                                        "displayName": "Cora Coördinator", "role": "coordinator", "serviceIds": []])
        XCTAssertEqual(r.status, 201, r.text)
        coordinator = try World.login(t, "cora")
    }
    override func tearDown() { t.tearDown() }

    func available(_ staff: String, weekday: Int, _ starts: String, _ ends: String) throws {
        try sql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) VALUES ($1, $2, $3::smallint, $4::time, $5::time)",
                staff, w.locationID, weekday, starts, ends)
    }

    /// Opening hours Mon–Fri 09:00–17:00, one room of four seats, and a joint type (agency A + agency B, 60 minutes,
    /// 10 minutes buffer before, needs a room). Staff a1 and b1 are available on Tuesdays from 09:00 to 12:00.
    func jointSetup() throws -> (type: String, a1: String, b1: String, room: String) {
        let o = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": (1...5).map { ["weekday": $0, "opens": "09:00", "closes": "17:00"] }, "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(o.status, 200, o.text)
        let room = try t.admin.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": "Spreekkamer 1", "capacity": 4])
        XCTAssertEqual(room.status, 201, room.text)
        let type = try t.admin.post("/api/v1/appointment-types", json: [
            "code": "samen", "name": "Samen", "durationMinutes": 60, "needsRoom": true, "bufferBeforeMinutes": 10,
            "requirements": [["serviceId": w.serviceA], ["serviceId": w.serviceB]], "minNoticeMinutes": 0])
        XCTAssertEqual(type.status, 201, type.text)
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        let b1 = try staff("b1", w.agencyB, [w.serviceB])
        try available(a1, weekday: 2, "09:00", "12:00")
        try available(b1, weekday: 2, "09:00", "12:00")
        return (type.object["id"] as? String ?? "", a1, b1, room.object["id"] as? String ?? "")
    }

    func proposals(_ type: String, _ extra: String = "") throws -> [[String: Any]] {
        let r = try coordinator.get("/api/v1/locations/\(w.locationID)/proposals?appointmentType=\(type)&from=2026-03-02&to=2026-03-20\(extra)")
        XCTAssertEqual(r.status, 200, r.text)
        return r.object["items"] as? [[String: Any]] ?? []
    }

    func testProposalsNameWhoAttendsAndTheRoomAndBookExactlyThat() throws {
        let (type, a1, b1, room) = try jointSetup()
        let items = try proposals(type, "&perDay=2")
        // Tuesday 03-03 first (the 10-minute buffer makes 09:15 the first start), at most two per day, Amsterdam time.
        XCTAssertEqual(items.map { $0["start"] as? String }, ["2026-03-03T09:15:00+01:00", "2026-03-03T09:30:00+01:00",
                                                             "2026-03-10T09:15:00+01:00", "2026-03-10T09:30:00+01:00",
                                                             "2026-03-17T09:15:00+01:00", "2026-03-17T09:30:00+01:00"])
        let first = items[0]
        XCTAssertEqual(first["end"] as? String, "2026-03-03T10:15:00+01:00")
        XCTAssertEqual(first["roomId"] as? String, room)
        XCTAssertEqual(first["roomName"] as? String, "Spreekkamer 1")
        let people = first["participants"] as? [[String: Any]] ?? []
        XCTAssertEqual(people.map { $0["staffId"] as? String }, [a1, b1], "one per requirement, in the type's order")
        XCTAssertEqual(people.map { $0["displayName"] as? String }, ["a1", "b1"])
        XCTAssertEqual(people.map { $0["agencyName"] as? String }, ["UWV", "SVB"])
        XCTAssertEqual(people.map { $0["serviceName"] as? String }, ["WW", "AOW"])
        // The room seats 4: one visitor, two staff and one interpreter in person fit; two more do not.
        XCTAssertEqual(try proposals(type, "&extraSeats=1&limit=1").first?["roomId"] as? String, room)
        XCTAssertEqual(try proposals(type, "&extraSeats=2").count, 0)

        // Booking the proposal with its staff and room gives exactly that appointment.
        let staffIds = people.compactMap { $0["staffId"] as? String }
        let b = try coordinator.post("/api/v1/appointments", json: [
            "locationId": w.locationID, "appointmentTypeId": type, "start": "2026-03-10T09:15:00+01:00", "staffIds": staffIds,
            "roomId": room, "citizen": ["name": "Jan Jansen", "needs": ["interpreter"]], "hold": true])
        XCTAssertEqual(b.status, 201, b.text)
        XCTAssertEqual(Set((b.object["participants"] as? [[String: Any]] ?? []).compactMap { $0["staffId"] as? String }), Set(staffIds))
        XCTAssertEqual(b.object["roomId"] as? String, room)
        // The held time is no longer proposed; neither is anything overlapping it with its buffers.
        let after = try proposals(type, "&perDay=96&limit=50").compactMap { $0["start"] as? String }
        for gone in ["09:15", "09:30", "09:45", "10:00", "10:15"] { XCTAssertFalse(after.contains("2026-03-10T\(gone):00+01:00"), gone) }
        XCTAssertTrue(after.contains("2026-03-10T10:30:00+01:00"), "\(after)")
    }

    func testNamedStaffTakePartInEveryProposal() throws {
        let (type, a1, b1, _) = try jointSetup()
        let a2 = try staff("a2", w.agencyA, [w.serviceA])
        try available(a2, weekday: 2, "10:00", "12:00")
        let items = try proposals(type, "&staffIds=\(a2)&limit=5&perDay=5")
        XCTAssertFalse(items.isEmpty)
        for item in items {
            let ids = (item["participants"] as? [[String: Any]] ?? []).compactMap { $0["staffId"] as? String }
            XCTAssertEqual(ids, [a2, b1])
            XCTAssertGreaterThanOrEqual(item["start"] as? String ?? "", "2026-03-03T10:15")
        }
        XCTAssertFalse(items.contains { ($0["participants"] as? [[String: Any]] ?? []).contains { $0["staffId"] as? String == a1 } })
        // A named person who cannot take part, and a malformed one, are named as fields.
        let bad = try coordinator.get("/api/v1/locations/\(w.locationID)/proposals?appointmentType=\(type)&from=2026-03-02&to=2026-03-20&staffIds=\(w.staffAID),nope")
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertTrue(bad.text.contains("staffIds[1]"), bad.text)
        let far = try coordinator.get("/api/v1/locations/\(w.locationID)/proposals?appointmentType=\(type)&from=2026-03-02&to=2026-06-20")
        XCTAssertEqual(far.status, 422, far.text)
        XCTAssertTrue(far.text.contains("\"to\""), far.text)
        // Staff are not coordinators.
        XCTAssertEqual(try w.staffA.get("/api/v1/locations/\(w.locationID)/proposals?appointmentType=\(type)&from=2026-03-02&to=2026-03-20").status, 403)
    }

    func testTheStaffWeekShowsAvailabilityAbsencesAndBookingsInAmsterdamTimeAndIsAudited() throws {
        let (type, a1, b1, room) = try jointSetup()
        try available(a1, weekday: 4, "13:00", "17:00")
        let absence = try t.admin.post("/api/v1/staff/\(b1)/absences", json: ["start": "2026-03-12T08:00:00Z", "end": "2026-03-12T16:00:00Z", "reason": "sickness"])
        XCTAssertEqual(absence.status, 201, absence.text)
        let b = try coordinator.post("/api/v1/appointments", json: [
            "locationId": w.locationID, "appointmentTypeId": type, "start": "2026-03-10T10:00:00+01:00", "staffIds": [a1, b1],
            "roomId": room, "citizen": ["name": "Jan Jansen"]])
        XCTAssertEqual(b.status, 201, b.text)
        let reference = b.object["reference"] as? String ?? ""

        let r = try coordinator.get("/api/v1/locations/\(w.locationID)/staff-week?from=2026-03-09&staffIds=\(b1),\(a1)")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["timeZone"] as? String, "Europe/Amsterdam")
        let staff = r.object["staff"] as? [[String: Any]] ?? []
        XCTAssertEqual(staff.map { $0["staffId"] as? String }, [b1, a1], "in the asked order")
        let avA = (staff[1]["available"] as? [[String: Any]] ?? []).map { "\($0["start"] ?? "")–\($0["end"] ?? "")" }
        XCTAssertEqual(avA, ["2026-03-10T09:00:00+01:00–2026-03-10T12:00:00+01:00", "2026-03-12T13:00:00+01:00–2026-03-12T17:00:00+01:00"])
        let abs = staff[0]["absences"] as? [[String: Any]] ?? []
        XCTAssertEqual(abs.map { $0["start"] as? String }, ["2026-03-12T09:00:00+01:00"])
        XCTAssertNil(abs.first?["reason"], "the reason is not shown in the week view")
        XCTAssertFalse(r.text.contains("sickness") || r.text.contains("Jan Jansen"), r.text)
        for s in staff {
            let apps = s["appointments"] as? [[String: Any]] ?? []
            XCTAssertEqual(apps.map { $0["reference"] as? String }, [reference])
            XCTAssertEqual(apps.first?["start"] as? String, "2026-03-10T10:00:00+01:00")
            XCTAssertEqual(apps.first?["roomName"] as? String, "Spreekkamer 1")
            XCTAssertEqual(apps.first?["joint"] as? Bool, true)
        }
        let audited = try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'staff.week.read' AND subject_id = $1", w.locationID)
        XCTAssertEqual(try audited.first?.int("n"), 1)

        // The reference finds the appointment's id at this location only; staff may not ask.
        let found = try coordinator.get("/api/v1/locations/\(w.locationID)/appointment-references/\(reference.lowercased())")
        XCTAssertEqual(found.status, 200, found.text)
        XCTAssertEqual(found.object["id"] as? String, b.object["id"] as? String)
        XCTAssertFalse(found.text.contains("Jan"), found.text)
        let other = try World.make(t, code: "noord")
        XCTAssertEqual(try coordinator.get("/api/v1/locations/\(other.locationID)/appointment-references/\(reference)").status, 404)
        XCTAssertEqual(try coordinator.get("/api/v1/locations/\(w.locationID)/appointment-references/ABC").status, 404)
        XCTAssertEqual(try w.staffA.get("/api/v1/locations/\(w.locationID)/appointment-references/\(reference)").status, 403)

        // A cancelled appointment leaves the week.
        let id = b.object["id"] as? String ?? ""
        XCTAssertEqual(try coordinator.post("/api/v1/appointments/\(id)/cancel", json: [:]).status, 200)
        let again = try coordinator.get("/api/v1/locations/\(w.locationID)/staff-week?from=2026-03-09&staffIds=\(a1)")
        XCTAssertFalse(again.text.contains(reference), again.text)

        let bad = try coordinator.get("/api/v1/locations/\(w.locationID)/staff-week?from=2026-02-30&staffIds=\(a1),x")
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertTrue(bad.text.contains("\"from\"") && bad.text.contains("staffIds[1]"), bad.text)
        XCTAssertEqual(try w.staffA.get("/api/v1/locations/\(w.locationID)/staff-week?from=2026-03-09&staffIds=\(a1)").status, 403)
    }

    func testTheDirectoryListsPlannableStaffWithTheirAgency() throws {
        let r = try coordinator.get("/api/v1/coordinator/staff")
        XCTAssertEqual(r.status, 200, r.text)
        let items = r.object["items"] as? [[String: Any]] ?? []
        let anna = items.first { $0["id"] as? String == w.staffAID }
        XCTAssertEqual(anna?["agencyName"] as? String, "UWV")
        XCTAssertEqual(anna?["serviceIds"] as? [String], [w.serviceA, w.urgentA].sorted())
        XCTAssertNil(anna?["username"], "no logins in the directory")
        let onlyB = try coordinator.get("/api/v1/coordinator/staff?agencyId=\(w.agencyB)")
        XCTAssertEqual((onlyB.object["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }, [w.staffBID])
        XCTAssertEqual(try w.staffA.get("/api/v1/coordinator/staff").status, 403)
    }
}

enum CoordinatorStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        return [
            CoordinatorStaffDirectory(agencyID: nil),
            CoordinatorNames(staffIDs: [id], serviceIDs: [id], roomIDs: [id]),
            CoordinatorStaffWeek(locationID: id, from: "2026-03-09", staffIDs: [id], now: Instant(microseconds: 0)),
            CoordinatorFindReference(locationID: id, reference: "K7M2QX"),
        ]
    }()
}
