@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// One value of every statement type of floor.sql and devices.sql, for StatementTests.
enum FloorStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        return [FloorSnapshot(locationID: id, now: Instant(microseconds: 0)), KioskList(locationID: id, includeInactive: false),
                KioskRevoke(id: id)]
    }()
}

/// The coordinator's floor snapshot and the kiosk list/revoke routes of the administration page, over HTTP against a
/// real database, at a fixed clock time: Tuesday 2026-03-10, 10:00 in Amsterdam (09:00Z).
final class FloorAndDeviceTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-10T09:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        // The kiosk test needs the per-address ticket limit (a registered kiosk is exempt); the floor tests take more.
        t = try TestApp(ticketRatePerMinute: name.contains("Kiosk") ? 2 : 0) {
            $0.clock = clock
            $0.runJobs = false
        }
        w = try World.make(t)
    }
    override func tearDown() { t.tearDown() }

    func coordinator() throws -> HTTPClient {
        let r = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "cora", "password": "correct horse battery",
                                                         "displayName": "Cora", "role": "coordinator", "serviceIds": []])
        XCTAssertEqual(r.status, 201, r.text)
        return try World.login(t, "cora")
    }

    /// A booked appointment of Anna (service A) at `start` (UTC, today), written straight into the database.
    @discardableResult
    func appointment(_ reference: String, start: String, room: String? = nil) throws -> String {
        let type = try t.admin.post("/api/v1/appointment-types", json: ["code": "g-\(reference.lowercased())", "name": "Gesprek \(reference)",
                                                                        "durationMinutes": 30, "requirements": [["serviceId": w.serviceA]],
                                                                        "minNoticeMinutes": 0])
        XCTAssertEqual(type.status, 201, type.text)
        let startsAt = Instant(rfc3339: "2026-03-10T\(start):00Z")!
        let endsAt = Instant(microseconds: startsAt.microseconds + 30 * 60_000_000)
        let id = try sql("""
            INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at,
                                     citizen_name, citizen_language, created_at, updated_at)
            VALUES ($1, $2, $3, 2026, 'booked', $4, $5, 'Jan Jansen', 'nl', $4, $4) RETURNING id::text AS id
            """, w.locationID, type.object["id"] as! String, reference, startsAt, endsAt).first!.string("id")
        try sql("""
            INSERT INTO appointment_reservation (appointment_id, appointment_status, position, staff_id, service_id, agency_id, during)
            VALUES ($1, 'booked', 0, $2, $3, $4, tstzrange($5, $6))
            """, id, w.staffAID, w.serviceA, w.agencyA, startsAt, endsAt)
        if let room {
            try sql("INSERT INTO appointment_reservation (appointment_id, appointment_status, room_id, during) VALUES ($1, 'booked', $2, tstzrange($3, $4))",
                    id, room, startsAt, endsAt)
        }
        return id
    }

    func floor(_ client: HTTPClient) throws -> [String: Any] {
        let r = try client.get("/api/v1/locations/\(w.locationID)/floor")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("cache-control"), "no-store")
        return r.object
    }

    func desk(_ floor: [String: Any], _ id: String) -> [String: Any]? {
        (floor["desks"] as? [[String: Any]])?.first { $0["id"] as? String == id }
    }
    func service(_ floor: [String: Any], _ id: String) -> [String: Any]? {
        (floor["services"] as? [[String: Any]])?.first { $0["id"] as? String == id }
    }

    func testFloorShowsDesksWaitingPerServiceUrgentTicketsAndTodaysAppointments() throws {
        let cora = try coordinator()
        let room = try t.admin.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": "Kamer 2", "capacity": 4]).object["id"] as! String
        let early = try appointment("K7M2QX", start: "08:30", room: room)   // 09:30 local, not here yet: overdue at 10:00
        let later = try appointment("P4R8ST", start: "13:00")              // 14:00 local: expected
        try appointment("Z9Z9Z9", start: "23:30")                          // 00:30 tomorrow local: not today

        // Empty floor: desks free, nobody waiting.
        var f = try floor(cora)
        XCTAssertEqual(f["waiting"] as? Int, 0)
        XCTAssertEqual(f["day"] as? String, "2026-03-10")
        XCTAssertEqual(f["now"] as? String, "2026-03-10T10:00:00+01:00")
        XCTAssertTrue(desk(f, w.desks[0])?["current"] is NSNull)
        XCTAssertEqual(service(f, w.serviceA)?["waiting"] as? Int, 0)
        XCTAssertTrue(service(f, w.serviceA)?["longestWaitSeconds"] is NSNull)

        // Three waiting: two of service A (one taken 5 minutes earlier), one urgent.
        let first = try w.take(t, w.serviceA)["number"] as! String
        clock.advance(seconds: 300)
        let second = try w.take(t, w.serviceA)["number"] as! String
        let urgent = try w.take(t, w.urgentA)["number"] as! String
        clock.advance(seconds: 60)
        f = try floor(cora)
        XCTAssertEqual(f["waiting"] as? Int, 3)
        XCTAssertEqual(f["urgentWaiting"] as? Int, 1)
        XCTAssertEqual(service(f, w.serviceA)?["waiting"] as? Int, 2)
        XCTAssertEqual(service(f, w.serviceA)?["longestWaitSeconds"] as? Int, 360, "the first of them has waited 6 minutes")
        XCTAssertEqual(service(f, w.urgentA)?["urgentWaiting"] as? Int, 1)
        let urgentList = f["urgent"] as? [[String: Any]] ?? []
        XCTAssertEqual(urgentList.map { $0["number"] as? String }, [urgent])
        XCTAssertEqual(urgentList.first?["waitSeconds"] as? Int, 60)

        // Anna calls: the urgent ticket first; the desk shows it with her name, the line shrinks.
        let called = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        XCTAssertEqual(called.status, 200, called.text)
        XCTAssertEqual(called.object["number"] as? String, urgent)
        f = try floor(cora)
        let d0 = desk(f, w.desks[0])?["current"] as? [String: Any]
        XCTAssertEqual(d0?["number"] as? String, urgent)
        XCTAssertEqual(d0?["status"] as? String, "called")
        XCTAssertEqual(d0?["priority"] as? String, "urgent")
        XCTAssertEqual(d0?["staffName"] as? String, "Anna")
        XCTAssertEqual(f["waiting"] as? Int, 2)
        XCTAssertEqual((f["urgent"] as? [Any])?.count, 0)

        // She finishes: the desk is free, and remembers who served there last.
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(called.object["id"] as! String)/finish").status, 200)
        f = try floor(cora)
        XCTAssertTrue(desk(f, w.desks[0])?["current"] is NSNull)
        XCTAssertEqual((desk(f, w.desks[0])?["last"] as? [String: Any])?["staffName"] as? String, "Anna")
        XCTAssertTrue(desk(f, w.desks[1])?["last"] is NSNull)

        // Today's appointments in order, the one of tomorrow (local) left out; arrival states follow check-in.
        var appts = f["appointments"] as? [[String: Any]] ?? []
        XCTAssertEqual(appts.map { $0["id"] as? String }, [early, later])
        XCTAssertEqual(appts.map { $0["arrival"] as? String }, ["overdue", "expected"])
        XCTAssertEqual(appts.first?["roomName"] as? String, "Kamer 2")
        XCTAssertEqual(((appts.first?["participants"] as? [[String: Any]])?.first)?["staffName"] as? String, "Anna")
        XCTAssertFalse(try cora.get("/api/v1/locations/\(w.locationID)/floor").text.contains("Jan Jansen"), "no citizen data on the floor")
        let checkIn = try t.client.post("/api/v1/locations/\(w.locationID)/check-ins", json: ["reference": "P4R8ST"])
        XCTAssertEqual(checkIn.status, 201, checkIn.text)
        appts = try floor(cora)["appointments"] as? [[String: Any]] ?? []
        XCTAssertEqual(appts.last?["arrival"] as? String, "arrived")
        XCTAssertEqual(appts.last?["ticketNumber"] as? String, checkIn.object["number"] as? String)
        _ = (first, second)
    }

    func testFloorIsForCoordinatorsAndNamesAMissingLocation() throws {
        XCTAssertEqual(try w.staffA.get("/api/v1/locations/\(w.locationID)/floor").status, 403, "staff are not coordinators")
        XCTAssertEqual(try t.client.get("/api/v1/locations/\(w.locationID)/floor").status, 401)
        XCTAssertEqual(try t.admin.get("/api/v1/locations/\(w.locationID)/floor").status, 200, "admins may do what coordinators may")
        let missing = try coordinator().get("/api/v1/locations/00000000-0000-0000-0000-000000000001/floor")
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue(missing.text.contains("no location"), missing.text)
    }

    /// A registered kiosk is listed (never with its token); revoking it is audited and its token stops counting as a
    /// kiosk at once: the next ticket with it is refused instead of passing the per-address limit.
    func testKioskListRevokeAndAudit() throws {
        let reg = try t.admin.post("/api/v1/locations/\(w.locationID)/kiosks", json: ["name": "Hal links"])
        XCTAssertEqual(reg.status, 201, reg.text)
        let token = try XCTUnwrap(reg.object["deviceToken"] as? String)
        let kiosk = reg.object["id"] as! String

        let list = try t.admin.get("/api/v1/locations/\(w.locationID)/kiosks")
        XCTAssertEqual(list.status, 200, list.text)
        let items = list.object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.map { $0["name"] as? String }, ["Hal links"])
        XCTAssertEqual(items.first?["active"] as? Bool, true)
        XCTAssertFalse(list.text.contains(token), "the token is shown once, at registration")
        XCTAssertEqual(try w.staffA.get("/api/v1/locations/\(w.locationID)/kiosks").status, 403)
        XCTAssertEqual(try coordinator().delete("/api/v1/kiosks/\(kiosk)").status, 403, "revoking is an admin's")

        // The kiosk takes more numbers than one address may (2 a minute).
        for _ in 0..<3 {
            let r = try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA], headers: ["Loket-Device": token])
            XCTAssertEqual(r.status, 201, r.text)
        }
        let revoked = try t.admin.delete("/api/v1/kiosks/\(kiosk)")
        XCTAssertEqual(revoked.status, 200, revoked.text)
        XCTAssertEqual(revoked.object["active"] as? Bool, false)
        let refused = try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA], headers: ["Loket-Device": token])
        XCTAssertEqual(refused.status, 403, refused.text)

        XCTAssertEqual((try t.admin.get("/api/v1/locations/\(w.locationID)/kiosks").object["items"] as? [Any])?.count, 0)
        XCTAssertEqual((try t.admin.get("/api/v1/locations/\(w.locationID)/kiosks?includeInactive=true").object["items"] as? [Any])?.count, 1)
        let audited = try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'kiosk.revoke' AND subject_id = $1", kiosk).first!.int("n")
        XCTAssertEqual(audited, 1)
        XCTAssertEqual(try t.admin.delete("/api/v1/kiosks/00000000-0000-0000-0000-000000000001").status, 404)
        XCTAssertEqual(try t.admin.get("/api/v1/locations/00000000-0000-0000-0000-000000000001/kiosks").status, 404)
    }

    /// A taken desk name or code is a 409 that names its field, so the administration page shows it next to it.
    func testTakenNamesAndCodesNameTheirField() throws {
        let desk = try t.admin.post("/api/v1/locations/\(w.locationID)/desks", json: ["name": "Balie 1"])
        XCTAssertEqual(desk.status, 409, desk.text)
        XCTAssertEqual((desk.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "name")
        XCTAssertTrue(desk.text.contains("desk with this name"), desk.text)
        let agency = try t.admin.post("/api/v1/agencies", json: ["code": "uwv-centrum", "name": "UWV"])
        XCTAssertEqual(agency.status, 409, agency.text)
        XCTAssertEqual((agency.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "code")
        let location = try t.admin.post("/api/v1/locations", json: ["code": "centrum", "name": "Elders"])
        XCTAssertEqual(location.status, 409, location.text)
        XCTAssertEqual((location.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "code")
        let service = try t.admin.post("/api/v1/services", json: ["agencyId": w.agencyA, "code": "ww-centrum", "name": "WW", "ticketPrefix": "U", "durationMinutes": 10])
        XCTAssertEqual(service.status, 409, service.text)
        XCTAssertEqual((service.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "code")
    }
}
