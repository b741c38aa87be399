@testable import API
import Foundation
import Postgres
import Scheduling
import TestSupport
import Time
import XCTest

extension HTTPClient {
    @discardableResult
    fileprivate func putJSON(_ path: String, json: Any) throws -> HTTPResponse {
        try send("PUT", path, body: Array(try JSONSerialization.data(withJSONObject: json)))
    }
}

extension HTTPResponse {
    /// The names of a validation problem's invalid fields.
    var invalidNames: Set<String> {
        Set((object["invalidParams"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
    }
    func reason(_ name: String) -> String? {
        (object["invalidParams"] as? [[String: Any]] ?? []).first { $0["name"] as? String == name }?["reason"] as? String
    }
}

/// Calendars over HTTP against a real database: opening hours and closures, rooms, staff availability and absences,
/// appointment types — access, validation naming every field, replacement semantics, audit, and the database's own
/// guarantees. The app's clock is fixed on Monday 2026-03-02 11:00 in Amsterdam.
final class CalendarAPITests: XCTestCase {
    var t: TestApp!
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock }
    }
    override func tearDown() { t.tearDown() }

    /// The world plus a coordinator of agency A and one of agency B.
    func world() throws -> (w: World, coordA: HTTPClient, coordB: HTTPClient, coordAID: String) {
        let w = try World.make(t)
        var ids: [String] = []
        for (agency, name) in [(w.agencyA, "coord-a"), (w.agencyB, "coord-b")] {
            let r = try t.admin.post("/api/v1/staff", json: ["agencyId": agency, "username": name, "password": "long enough password",
                                                             "displayName": name, "role": "coordinator"])
            XCTAssertEqual(r.status, 201, r.text)
            ids.append(r.object["id"] as? String ?? "")
        }
        return (w, try World.login(t, "coord-a", password: "long enough password"), try World.login(t, "coord-b", password: "long enough password"), ids[0])
    }

    func count(_ sql: String, _ params: any PostgresEncodable...) throws -> Int {
        let db = try t.connection()
        defer { db.close() }
        return try db.query(Query(SQL(unsafeUnchecked: sql), parameters: params)).first!.int("n")
    }

    static let weekdays: [[String: Any]] = (1...5).map { ["weekday": $0, "opens": "09:00", "closes": "17:00"] }

    // MARK: Opening hours

    func testOpeningHoursAreReplacedAsAWholeAndPublicToRead() throws {
        let (w, coord, _, _) = try world()
        let path = "/api/v1/locations/\(w.locationID)/opening-hours"
        let empty = try t.client.get(path)
        XCTAssertEqual(empty.status, 200, "citizens may see opening hours")
        XCTAssertEqual((empty.object["weekly"] as? [Any])?.count, 0)
        XCTAssertEqual(empty.object["closedOnPublicHolidays"] as? Bool, true, "closed on public holidays by default")
        XCTAssertEqual(empty.object["goodFridayClosed"] as? Bool, false)

        let first = try coord.putJSON(path, json: ["weekly": Self.weekdays, "closures": [["date": "2026-03-10", "reason": "Verbouwing"]],
                                               "closedOnPublicHolidays": true, "goodFridayClosed": true])
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual((first.object["weekly"] as? [Any])?.count, 5)
        XCTAssertEqual(first.object["goodFridayClosed"] as? Bool, true)
        // A lunch break: two intervals on Monday; a new timetable from 1 April on Wednesdays.
        let second = try coord.putJSON(path, json: [
            "weekly": [["weekday": 1, "opens": "09:00", "closes": "12:30"], ["weekday": 1, "opens": "13:30", "closes": "17:00"],
                       ["weekday": 3, "opens": "09:00", "closes": "17:00", "validUntil": "2026-03-31"],
                       ["weekday": 3, "opens": "10:00", "closes": "20:00", "validFrom": "2026-04-01"]],
            "closures": [["date": "2026-03-02", "reason": "Storing"]], "closedOnPublicHolidays": false])
        XCTAssertEqual(second.status, 200, second.text)
        let read = try t.client.get(path)
        let weekly = read.object["weekly"] as? [[String: Any]] ?? []
        XCTAssertEqual(weekly.count, 4, "only the second set remains: \(read.text)")
        XCTAssertEqual(weekly.map { $0["opens"] as? String }, ["09:00", "13:30", "09:00", "10:00"])
        XCTAssertEqual(weekly[3]["validFrom"] as? String, "2026-04-01")
        XCTAssertEqual(weekly[2]["validUntil"] as? String, "2026-03-31")
        XCTAssertTrue(weekly[0]["validFrom"] is NSNull)
        XCTAssertEqual((read.object["closures"] as? [[String: Any]])?.map { $0["date"] as? String }, ["2026-03-02"])
        XCTAssertEqual(read.object["closedOnPublicHolidays"] as? Bool, false)
        XCTAssertEqual(read.object["goodFridayClosed"] as? Bool, true, "an omitted optional setting stays as it was")
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'opening-hours.replace' AND subject_id = $1", w.locationID), 2)

        // The closure is the queue's "closed" as well: no numbers today.
        let take = try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA])
        XCTAssertEqual(take.status, 409, take.text)
    }

    func testPastClosuresAreKeptAndCannotBeWritten() throws {
        let (w, coord, _, _) = try world()
        let db = try t.connection()
        defer { db.close() }
        try db.query(Query("INSERT INTO location_closure (location_id, service_day, reason) VALUES ($1, '2026-02-01', 'storm')", w.locationID))
        let path = "/api/v1/locations/\(w.locationID)/opening-hours"
        let past = try coord.putJSON(path, json: ["weekly": [], "closures": [["date": "2026-03-01", "reason": "x"]], "closedOnPublicHolidays": true])
        XCTAssertEqual(past.status, 422)
        XCTAssertEqual(past.invalidNames, ["closures[0].date"])
        XCTAssertEqual(try coord.putJSON(path, json: ["weekly": [], "closures": [], "closedOnPublicHolidays": true]).status, 200)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM location_closure WHERE service_day = '2026-02-01'"), 1, "history stays")
    }

    /// The queue's "closed for the rest of today" survives a replacement of the opening hours made from an older read:
    /// who closed and why stay; naming today in the body only sets its reason. Later closures are still replaced.
    func testReplacingOpeningHoursKeepsTodaysEmergencyClosure() throws {
        let (w, coord, _, coordID) = try world()
        let path = "/api/v1/locations/\(w.locationID)/opening-hours"
        XCTAssertEqual(try coord.putJSON(path, json: ["weekly": Self.weekdays, "closures": [["date": "2026-03-10", "reason": "Verbouwing"]],
                                                      "closedOnPublicHolidays": true]).status, 200)
        let close = try coord.post("/api/v1/locations/\(w.locationID)/closure", json: ["reason": "Stroomstoring"])
        XCTAssertEqual(close.status, 200, close.text)
        // Made a minute later from the read before the closure: today is not in the body.
        clock.set(clock.now().adding(minutes: 1))
        let replaced = try coord.putJSON(path, json: ["weekly": Self.weekdays, "closures": [], "closedOnPublicHolidays": true])
        XCTAssertEqual(replaced.status, 200, replaced.text)
        let closures = { (r: HTTPResponse) in (r.object["closures"] as? [[String: Any]] ?? []).map { "\($0["date"] ?? "") \($0["reason"] ?? "")" } }
        XCTAssertEqual(closures(replaced), ["2026-03-02 Stroomstoring"], "today's closure stays, the later one is replaced")
        let kept = "SELECT count(*)::int AS n FROM location_closure WHERE location_id = $1 AND service_day = '2026-03-02' AND closed_by = $2 AND reason = $3"
        XCTAssertEqual(try count(kept, w.locationID, coordID, "Stroomstoring"), 1, "closed_by and reason kept")
        XCTAssertEqual(try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA]).status, 409,
                       "still closed for the rest of today")
        // Naming today sets its reason and keeps who closed it.
        let named = try coord.putJSON(path, json: ["weekly": Self.weekdays, "closures": [["date": "2026-03-02", "reason": "Stroomstoring, morgen open"]],
                                                   "closedOnPublicHolidays": true])
        XCTAssertEqual(closures(named), ["2026-03-02 Stroomstoring, morgen open"], named.text)
        XCTAssertEqual(try count(kept, w.locationID, coordID, "Stroomstoring, morgen open"), 1)
    }

    func testOpeningHoursValidationNamesEveryFieldAndChangesNothing() throws {
        let (w, coord, _, _) = try world()
        let path = "/api/v1/locations/\(w.locationID)/opening-hours"
        XCTAssertEqual(try coord.putJSON(path, json: ["weekly": Self.weekdays, "closures": [], "closedOnPublicHolidays": true]).status, 200)
        let before = try t.client.get(path).text
        let bad = try coord.putJSON(path, json: [
            "weekly": [["weekday": 2, "opens": "09:00", "closes": "12:00"],
                       ["weekday": 2, "opens": "14:00", "closes": "13:00"],
                       ["weekday": 8, "opens": "09:00", "closes": "10:00"],
                       ["weekday": 2, "opens": "11:00", "closes": "13:00"],
                       ["weekday": 4, "opens": "25:00", "closes": "26:10"],
                       ["weekday": 5, "opens": "09:00", "closes": "17:00", "validFrom": "2026-02-30"],
                       ["weekday": 6, "opens": "09:00", "closes": "17:00", "validFrom": "2026-05-01", "validUntil": "2026-04-01"],
                       ["weekday": 7, "opens": "9:00", "closes": "17:60"],
                       ["opens": "09:00", "closes": "10:00"]],
            "closures": [["date": "2026-04-01", "reason": "a"], ["date": "2026-04-01", "reason": "b"], ["date": "2026-13-01", "reason": "c"],
                         ["date": "2026-04-02", "reason": ""]],
            "closedOnPublicHolidays": true])
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertEqual(bad.header("content-type"), "application/problem+json")
        XCTAssertEqual(bad.invalidNames, ["weekly[1].closes", "weekly[2].weekday", "weekly[3]", "weekly[4].opens", "weekly[4].closes",
                                          "weekly[5].validFrom", "weekly[6].validUntil", "weekly[7].opens", "weekly[7].closes",
                                          "weekly[8].weekday", "closures[1].date", "closures[2].date", "closures[3].reason"], bad.text)
        XCTAssertEqual(bad.reason("weekly[1].closes"), "must be after opens")
        XCTAssertEqual(bad.reason("weekly[3]"), "overlaps weekly[0]")
        XCTAssertEqual(bad.reason("closures[1].date"), "repeats closures[0]")
        XCTAssertEqual(bad.reason("weekly[5].validFrom"), "must be a date YYYY-MM-DD that exists")
        XCTAssertEqual(try t.client.get(path).text, before, "nothing half-saved")

        let missing = try coord.putJSON(path, json: ["weekly": Self.weekdays])
        XCTAssertEqual(missing.invalidNames, ["closures", "closedOnPublicHolidays"])
        XCTAssertEqual(try coord.putJSON(path, json: ["weekly": "monday"]).status, 400, "wrong JSON types are a 400")
    }

    func testOpeningHoursAccess() throws {
        let (w, coord, _, _) = try world()
        let path = "/api/v1/locations/\(w.locationID)/opening-hours"
        let body: [String: Any] = ["weekly": Self.weekdays, "closures": [], "closedOnPublicHolidays": true]
        XCTAssertEqual(try t.client.putJSON(path, json: body).status, 401)
        XCTAssertEqual(try w.staffA.putJSON(path, json: body).status, 403)
        let unknown = "/api/v1/locations/\(UUID().uuidString.lowercased())/opening-hours"
        XCTAssertEqual(try coord.putJSON(unknown, json: body).status, 404)
        XCTAssertEqual(try t.client.get(unknown).status, 404)
        XCTAssertEqual(try t.admin.putJSON(path, json: body).status, 200, "admins too")
    }

    // MARK: Rooms

    func testRooms() throws {
        let (w, coord, _, _) = try world()
        let path = "/api/v1/locations/\(w.locationID)/rooms"
        let room = try coord.post(path, json: ["name": "Spreekkamer 1", "capacity": 4])
        XCTAssertEqual(room.status, 201, room.text)
        XCTAssertEqual(room.object["capacity"] as? Int, 4)
        XCTAssertNotNil((room.object["createdAt"] as? String)?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+01:00$"#, options: .regularExpression),
                        "RFC 3339 with the location's offset: \(room.text)")
        let id = room.object["id"] as? String ?? ""
        XCTAssertEqual(try coord.post(path, json: ["name": "Spreekkamer 1"]).status, 409, "names are unique per location")
        let bad = try coord.post(path, json: ["name": " ", "capacity": 0])
        XCTAssertEqual(bad.invalidNames, ["name", "capacity"])
        XCTAssertEqual(try coord.post("/api/v1/locations/\(UUID().uuidString.lowercased())/rooms", json: ["name": "X"]).status, 404)
        XCTAssertEqual(try w.staffA.post(path, json: ["name": "X"]).status, 403)
        XCTAssertEqual(try w.staffA.get(path).status, 403)
        XCTAssertEqual(try t.client.get(path).status, 401)
        XCTAssertEqual(try coord.patch("/api/v1/rooms/\(id)", json: ["name": "Stilteruimte", "capacity": 2]).object["name"] as? String, "Stilteruimte")
        XCTAssertEqual(try coord.patch("/api/v1/rooms/\(id)", json: ["capacity": 101]).invalidNames, ["capacity"])
        XCTAssertEqual(try coord.patch("/api/v1/rooms/\(UUID().uuidString.lowercased())", json: ["name": "Y"]).status, 404)
        XCTAssertEqual(try coord.delete("/api/v1/rooms/\(id)").object["active"] as? Bool, false, "delete deactivates")
        XCTAssertEqual((try coord.get(path).object["items"] as? [Any])?.count, 0)
        XCTAssertEqual((try coord.get(path + "?includeInactive=true").object["items"] as? [Any])?.count, 1)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'room.%'"), 3)
    }

    /// Calendar rows are stamped with the app's clock, not the database's: created_at follows a ManualClock (set in
    /// March while the machine's clock is elsewhere). Closures planned with the opening hours likewise.
    func testCalendarRowsAreCreatedAtTheAppClock() throws {
        let (w, coord, _, _) = try world()
        let at = Instant(rfc3339: "2026-03-02T10:05:30.123456Z")!  // within the session's idle time
        clock.set(at)
        let room = try coord.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": "Spreekkamer 2"])
        XCTAssertEqual(room.status, 201, room.text)
        XCTAssertEqual(room.object["createdAt"] as? String, "2026-03-02T11:05:30+01:00", room.text)
        let absence = try coord.post("/api/v1/staff/\(w.staffAID)/absences",
                                     json: ["start": "2026-03-09T09:00:00+01:00", "end": "2026-03-10T09:00:00+01:00", "reason": "leave"])
        XCTAssertEqual(absence.status, 201, absence.text)
        let type = try coord.post("/api/v1/appointment-types", json: ["code": "clock-check", "name": "Klok", "durationMinutes": 30,
                                                                      "requirements": [["serviceId": w.serviceA]]])
        XCTAssertEqual(type.status, 201, type.text)
        XCTAssertEqual(try coord.putJSON("/api/v1/locations/\(w.locationID)/opening-hours",
                                         json: ["weekly": [], "closures": [["date": "2026-03-20", "reason": "Studiedag"]],
                                                "closedOnPublicHolidays": true]).status, 200)
        for (table, column) in [("room", "created_at"), ("staff_absence", "created_at"), ("appointment_type", "created_at"),
                                ("location_closure", "closed_at")] {
            XCTAssertEqual(try count("SELECT count(*)::int AS n FROM \(table) WHERE \(column) = $1::timestamptz", at), 1, table)
            XCTAssertEqual(try count("SELECT count(*)::int AS n FROM \(table) WHERE \(column) <> $1::timestamptz", at), 0, table)
        }
    }

    // MARK: Staff availability

    func testAvailabilityAccess() throws {
        let (w, coordA, coordB, _) = try world()
        let body: [String: Any] = ["intervals": [["locationId": w.locationID, "weekday": 1, "start": "09:00", "end": "17:00"]]]
        let own = "/api/v1/staff/\(w.staffAID)/availability"
        XCTAssertEqual(try t.client.putJSON(own, json: body).status, 401)
        XCTAssertEqual(try t.client.get(own).status, 401)
        XCTAssertEqual(try w.staffA.putJSON(own, json: body).status, 200, "staff set their own availability")
        XCTAssertEqual((try w.staffA.get(own).object["intervals"] as? [Any])?.count, 1)
        XCTAssertEqual(try w.staffB.get(own).status, 403, "staff of another agency")
        XCTAssertEqual(try w.staffB.putJSON(own, json: body).status, 403)
        XCTAssertEqual(try coordB.get(own).status, 403, "coordinator of another agency")
        XCTAssertEqual(try coordB.putJSON(own, json: body).status, 403)
        XCTAssertEqual(try coordA.putJSON(own, json: body).status, 200, "coordinator of the staff member's agency")
        XCTAssertEqual(try coordA.get(own).status, 200)
        XCTAssertEqual(try t.admin.get(own).status, 200)
        let colleague = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "carla", "password": "long enough password",
                                                                  "displayName": "Carla", "role": "staff"])
        XCTAssertEqual(try w.staffA.get("/api/v1/staff/\(colleague.object["id"] as? String ?? "")/availability").status, 403,
                       "a plain staff member does not manage colleagues' calendars")
        let unknown = "/api/v1/staff/\(UUID().uuidString.lowercased())/availability"
        XCTAssertEqual(try coordA.get(unknown).status, 404)
        XCTAssertEqual(try coordA.putJSON(unknown, json: body).status, 404)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'availability.replace' AND subject_id = $1", w.staffAID), 2)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'availability.read' AND subject_id = $1", w.staffAID), 2,
                       "reads by the coordinator and the admin, not the staff member's own")
    }

    func testAvailabilityValidationReplacementAndEveryOtherWeek() throws {
        let (w, coord, _, _) = try world()
        let other = try t.admin.post("/api/v1/locations", json: ["code": "noord", "name": "Noord"]).object["id"] as? String ?? ""
        let path = "/api/v1/staff/\(w.staffAID)/availability"
        let first = try coord.putJSON(path, json: ["intervals": [["locationId": w.locationID, "weekday": 1, "start": "09:00", "end": "17:00"],
                                                             ["locationId": w.locationID, "weekday": 2, "start": "09:00", "end": "12:00"]]])
        XCTAssertEqual(first.status, 200, first.text)
        // Alternating Fridays: week of 2026-03-02 at the centre, the week after at Noord; same hours, no overlap.
        let second = try coord.putJSON(path, json: ["intervals": [
            ["locationId": w.locationID, "weekday": 5, "start": "09:00", "end": "17:00", "validFrom": "2026-03-02", "everyOtherWeek": true],
            ["locationId": other, "weekday": 5, "start": "09:00", "end": "17:00", "validFrom": "2026-03-09", "everyOtherWeek": true]]])
        XCTAssertEqual(second.status, 200, second.text)
        let read = try coord.get(path).object["intervals"] as? [[String: Any]] ?? []
        XCTAssertEqual(read.count, 2, "only the second set remains")
        XCTAssertEqual(read.map { $0["everyOtherWeek"] as? Bool }, [true, true])
        XCTAssertEqual(Set(read.map { $0["locationId"] as? String ?? "" }), [w.locationID, other])
        let before = try coord.get(path).text

        let bad = try coord.putJSON(path, json: ["intervals": [
            ["locationId": w.locationID, "weekday": 1, "start": "09:00", "end": "12:00"],
            ["locationId": other, "weekday": 1, "start": "11:00", "end": "13:00"],
            ["locationId": w.locationID, "weekday": 0, "start": "09:00", "end": "08:00"],
            ["locationId": UUID().uuidString.lowercased(), "weekday": 2, "start": "09:00", "end": "10:00"],
            ["locationId": "nope", "weekday": 3, "start": "24:00", "end": "10:00"],
            ["locationId": w.locationID, "weekday": 4, "start": "09:00", "end": "10:00", "everyOtherWeek": true],
            ["locationId": w.locationID, "weekday": 5, "start": "09:00", "end": "12:00", "validFrom": "2026-03-02", "everyOtherWeek": true],
            ["locationId": w.locationID, "weekday": 5, "start": "10:00", "end": "11:00", "validFrom": "2026-03-16", "everyOtherWeek": true],
            ["locationId": w.locationID, "weekday": 5, "start": "13:00", "end": "14:00", "validFrom": "2026-03-09", "everyOtherWeek": true],
            ["locationId": w.locationID, "weekday": 5, "start": "13:30", "end": "15:00"],
        ]])
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertEqual(bad.invalidNames, ["intervals[1]", "intervals[2].weekday", "intervals[2].end", "intervals[3].locationId",
                                          "intervals[4].locationId", "intervals[4].start", "intervals[5].validFrom", "intervals[7]", "intervals[9]"],
                       bad.text)
        XCTAssertEqual(bad.reason("intervals[1]"), "overlaps intervals[0]", "one person cannot be at two locations at once")
        XCTAssertEqual(bad.reason("intervals[7]"), "overlaps intervals[6]", "2026-03-16 is two weeks after 2026-03-02: the same weeks")
        XCTAssertEqual(bad.reason("intervals[9]"), "overlaps intervals[8]", "an every-week interval overlaps alternate weeks")
        XCTAssertEqual(try coord.get(path).text, before, "a PUT with bad intervals changes nothing")
        XCTAssertEqual(try coord.putJSON(path, json: ["intervals": []]).status, 200)
        XCTAssertEqual((try coord.get(path).object["intervals"] as? [Any])?.count, 0)
    }

    /// Concurrent replacements of one staff member's availability: the last one wins whole, never a mix of sets.
    func testConcurrentReplacementsNeverMixSets() throws {
        let w = try World.make(t)
        let path = "/api/v1/staff/\(w.staffAID)/availability"
        let client = w.staffA
        let location = w.locationID
        let statuses = LockedStatuses()
        DispatchQueue.concurrentPerform(iterations: 7) { i in
            // Disjoint sets (one weekday each, two intervals): without serialisation both could end up stored.
            let body: [String: Any] = ["intervals": [["locationId": location, "weekday": i + 1, "start": "09:00", "end": "12:00"],
                                                     ["locationId": location, "weekday": i + 1, "start": "13:00", "end": "17:00"]]]
            statuses.append((try? client.putJSON(path, json: body).status) ?? 0)
        }
        XCTAssertEqual(statuses.all, Array(repeating: 200, count: 7))
        let intervals = try client.get(path).object["intervals"] as? [[String: Any]] ?? []
        XCTAssertEqual(intervals.count, 2)
        XCTAssertEqual(Set(intervals.map { $0["weekday"] as? Int ?? 0 }).count, 1, "one PUT's set, whole")
    }

    // MARK: Absences

    func testAbsencesAccessValidationAndAudit() throws {
        let (w, coordA, coordB, coordAID) = try world()
        let path = "/api/v1/staff/\(w.staffAID)/absences"
        let own = try w.staffA.post(path, json: ["start": "2026-03-09T00:00:00+01:00", "end": "2026-03-14T00:00:00+01:00", "reason": "leave"])
        XCTAssertEqual(own.status, 201, own.text)
        XCTAssertEqual(own.object["start"] as? String, "2026-03-09T00:00:00+01:00")
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'absence.%'"), 0, "one's own: not audited")
        XCTAssertEqual((try w.staffA.get(path).object["items"] as? [Any])?.count, 1)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'absence.%'"), 0)

        let sick = try coordA.post(path, json: ["start": "2026-03-02T08:00:00Z", "end": "2026-03-03T17:00:00+01:00", "reason": "sickness"])
        XCTAssertEqual(sick.status, 201, sick.text)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'absence.create' AND subject_id = $1 AND staff_id = $2",
                                 w.staffAID, coordAID), 1)
        let list = try coordA.get(path)
        XCTAssertEqual((list.object["items"] as? [Any])?.count, 2)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'absence.list' AND subject_id = $1 AND staff_id = $2",
                                 w.staffAID, coordAID), 1)
        XCTAssertFalse(try count("SELECT count(*)::int AS n FROM audit_log WHERE detail::text LIKE '%sickness%'") > 0, "no values in the audit log")

        let overlap = try coordA.post(path, json: ["start": "2026-03-13T12:00:00+01:00", "end": "2026-03-16T00:00:00+01:00", "reason": "training"])
        XCTAssertEqual(overlap.status, 409, overlap.text)
        let bad = try coordA.post(path, json: ["start": "2026-02-30T09:00:00+01:00", "end": "yesterday", "reason": "holiday"])
        XCTAssertEqual(bad.invalidNames, ["start", "end", "reason"], bad.text)
        let backwards = try coordA.post(path, json: ["start": "2026-04-02T09:00:00+02:00", "end": "2026-04-02T09:00:00+02:00", "reason": "other"])
        XCTAssertEqual(backwards.invalidNames, ["end"])

        XCTAssertEqual(try t.client.get(path).status, 401)
        XCTAssertEqual(try w.staffB.get(path).status, 403)
        XCTAssertEqual(try coordB.get(path).status, 403)
        XCTAssertEqual(try coordB.post(path, json: ["start": "2026-05-01T09:00:00+02:00", "end": "2026-05-01T10:00:00+02:00", "reason": "other"]).status, 403)
        XCTAssertEqual(try coordA.get("/api/v1/staff/\(UUID().uuidString.lowercased())/absences").status, 404)

        let sickID = sick.object["id"] as? String ?? ""
        XCTAssertEqual(try w.staffB.delete("/api/v1/absences/\(sickID)").status, 403)
        XCTAssertEqual(try coordB.delete("/api/v1/absences/\(sickID)").status, 403)
        XCTAssertEqual(try coordA.delete("/api/v1/absences/\(sickID)").status, 204)
        XCTAssertEqual(try coordA.delete("/api/v1/absences/\(sickID)").status, 404)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'absence.delete' AND subject_id = $1", w.staffAID), 1)
        XCTAssertEqual(try w.staffA.delete("/api/v1/absences/\(own.object["id"] as? String ?? "")").status, 204)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'absence.delete'"), 1, "one's own delete: not audited")
        XCTAssertEqual((try t.admin.get(path).object["items"] as? [Any])?.count, 0)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'absence.list' AND staff_id IS NULL"), 1, "admin reads audited")
    }

    // MARK: Appointment types

    func testAppointmentTypes() throws {
        let (w, coord, _, _) = try world()
        let joint: [String: Any] = ["code": "samen", "name": "Samen aan tafel", "durationMinutes": 60, "needsRoom": true,
                                    "requirements": [["serviceId": w.serviceA], ["serviceId": w.serviceA], ["serviceId": w.serviceB]],
                                    "bufferBeforeMinutes": 10, "bufferAfterMinutes": 5, "maxPersons": 3, "extraMinutesPerPerson": 10,
                                    "publicBooking": true]
        let created = try coord.post("/api/v1/appointment-types", json: joint)
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual((created.object["requirements"] as? [[String: Any]])?.map { $0["serviceId"] as? String },
                       [w.serviceA, w.serviceA, w.serviceB], "a service may repeat: two staff of one service")
        XCTAssertEqual(created.object["minNoticeMinutes"] as? Int, 60, "default")
        XCTAssertEqual(created.object["horizonDays"] as? Int, 90, "default")
        let id = created.object["id"] as? String ?? ""
        XCTAssertEqual(try coord.post("/api/v1/appointment-types", json: joint).status, 409, "codes are unique")

        XCTAssertEqual(try t.admin.delete("/api/v1/services/\(w.serviceB)").status, 200)
        let bad = try coord.post("/api/v1/appointment-types", json: [
            "code": "Bad Code", "name": "", "durationMinutes": 2, "bufferBeforeMinutes": -1, "bufferAfterMinutes": 121, "minNoticeMinutes": 50000,
            "horizonDays": 0, "maxPersons": 21, "extraMinutesPerPerson": 500,
            "requirements": [["serviceId": w.serviceA], ["serviceId": UUID().uuidString.lowercased()], ["serviceId": w.serviceB], ["serviceId": "x"]]])
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertEqual(bad.invalidNames, ["code", "name", "durationMinutes", "bufferBeforeMinutes", "bufferAfterMinutes", "minNoticeMinutes",
                                          "horizonDays", "maxPersons", "extraMinutesPerPerson", "requirements[1].serviceId",
                                          "requirements[2].serviceId", "requirements[3].serviceId"], bad.text)
        XCTAssertEqual(bad.reason("requirements[2].serviceId"), "is not an active service")
        XCTAssertEqual(try coord.post("/api/v1/appointment-types", json: ["code": "leeg", "name": "Leeg", "durationMinutes": 10, "requirements": []])
                        .invalidNames, ["requirements"])

        let hidden = try coord.post("/api/v1/appointment-types", json: ["code": "intern", "name": "Intern", "durationMinutes": 15,
                                                                         "requirements": [["serviceId": w.serviceA]]])
        XCTAssertEqual(hidden.object["publicBooking"] as? Bool, false)
        let publicList = try t.client.get("/api/v1/appointment-types?public=true")
        XCTAssertEqual(publicList.status, 200)
        let items = publicList.object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.map { $0["code"] as? String }, ["samen"], "only active types open to citizens")
        XCTAssertEqual(Set(items.first?.keys.map { $0 } ?? []),
                       ["id", "code", "name", "durationMinutes", "maxPersons", "extraMinutesPerPerson", "minNoticeMinutes", "horizonDays"],
                       "nothing internal (services, buffers, rooms)")
        XCTAssertEqual(try t.client.get("/api/v1/appointment-types").status, 401)
        XCTAssertEqual(try w.staffA.get("/api/v1/appointment-types").status, 403)
        XCTAssertEqual((try coord.get("/api/v1/appointment-types").object["items"] as? [Any])?.count, 2)
        XCTAssertEqual(try w.staffA.post("/api/v1/appointment-types", json: joint).status, 403)

        let patched = try coord.patch("/api/v1/appointment-types/\(id)", json: ["durationMinutes": 45, "requirements": [["serviceId": w.serviceA]]])
        XCTAssertEqual(patched.status, 200, patched.text)
        XCTAssertEqual(patched.object["durationMinutes"] as? Int, 45)
        XCTAssertEqual((patched.object["requirements"] as? [Any])?.count, 1, "requirements replaced as a whole")
        XCTAssertEqual(try coord.patch("/api/v1/appointment-types/\(id)", json: ["code": "other", "maxPersons": 0]).invalidNames, ["code", "maxPersons"])
        XCTAssertEqual(try coord.patch("/api/v1/appointment-types/\(id)", json: ["requirements": [["serviceId": w.serviceB]]]).invalidNames,
                       ["requirements[0].serviceId"])
        XCTAssertEqual((try coord.get("/api/v1/appointment-types/\(id)").object["requirements"] as? [Any])?.count, 1, "the failed change left it")
        XCTAssertEqual(try coord.delete("/api/v1/appointment-types/\(id)").object["active"] as? Bool, false)
        XCTAssertEqual((try t.client.get("/api/v1/appointment-types?public=true").object["items"] as? [Any])?.count, 0)
        XCTAssertEqual(try coord.get("/api/v1/appointment-types/\(UUID().uuidString.lowercased())").status, 404)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'appointment-type.%'"), 4)
    }

    // MARK: Database guarantees

    func testTheDatabaseRefusesOverlapsAndNonsense() throws {
        let w = try World.make(t)
        let db = try t.connection()
        defer { db.close() }
        func refused(_ sql: String, _ params: any PostgresEncodable..., state: String, constraint: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try db.query(Query(SQL(unsafeUnchecked: sql), parameters: params)), file: file, line: line) { error in
                XCTAssertEqual((error as? PostgresError)?.sqlState, state, "\(error)", file: file, line: line)
                XCTAssertEqual((error as? PostgresError)?.constraint, constraint, file: file, line: line)
            }
        }
        let hours = "INSERT INTO opening_hours (location_id, weekday, opens, closes, valid_from, valid_until) VALUES ($1, $2::smallint, $3::time, $4::time, $5::date, $6::date)"
        try db.query(Query(SQL(unsafeUnchecked: hours), w.locationID, 1, "09:00", "12:00", Optional<String>.none, "2026-06-30"))
        try db.query(Query(SQL(unsafeUnchecked: hours), w.locationID, 1, "12:00", "17:00", Optional<String>.none, Optional<String>.none))
        try db.query(Query(SQL(unsafeUnchecked: hours), w.locationID, 1, "08:00", "12:00", "2026-07-01", Optional<String>.none))
        refused(hours, w.locationID, 1, "11:00", "13:00", Optional<String>.none, Optional<String>.none, state: "23P01", constraint: "opening_hours_no_overlap")
        refused(hours, w.locationID, 1, "08:30", "09:30", "2026-06-30", "2026-07-01", state: "23P01", constraint: "opening_hours_no_overlap")
        refused(hours, w.locationID, 8, "09:00", "10:00", Optional<String>.none, Optional<String>.none, state: "23514", constraint: "opening_hours_weekday")
        refused(hours, w.locationID, 2, "10:00", "09:00", Optional<String>.none, Optional<String>.none, state: "23514", constraint: "opening_hours_order")
        refused(hours, w.locationID, 2, "09:00", "10:00", "2026-05-01", "2026-04-30", state: "23514", constraint: "opening_hours_validity")

        let avail = """
            INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends, valid_from, every_other_week)
            VALUES ($1, $2, 5, $3::time, $4::time, $5::date, $6::boolean)
            """
        try db.query(Query(SQL(unsafeUnchecked: avail), w.staffAID, w.locationID, "09:00", "17:00", "2026-03-02", true))
        try db.query(Query(SQL(unsafeUnchecked: avail), w.staffAID, w.locationID, "09:00", "17:00", "2026-03-12", true))  // a Thursday of the next week
        refused(avail, w.staffAID, w.locationID, "12:00", "13:00", "2026-03-18", true, state: "23P01", constraint: "staff_availability_no_overlap")
        refused(avail, w.staffAID, w.locationID, "12:00", "13:00", Optional<String>.none, false, state: "23P01", constraint: "staff_availability_no_overlap")
        refused(avail, w.staffAID, w.locationID, "12:00", "13:00", Optional<String>.none, true, state: "23514", constraint: "staff_availability_anchor")
        try db.query(Query(SQL(unsafeUnchecked: avail), w.staffBID, w.locationID, "09:00", "17:00", Optional<String>.none, false))

        let absence = "INSERT INTO staff_absence (staff_id, during, reason) VALUES ($1, tstzrange($2::timestamptz, $3::timestamptz), $4)"
        try db.query(Query(SQL(unsafeUnchecked: absence), w.staffAID, "2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z", "leave"))
        try db.query(Query(SQL(unsafeUnchecked: absence), w.staffAID, "2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z", "sickness"))  // [) touches
        refused(absence, w.staffAID, "2026-03-03T08:00:00Z", "2026-03-03T10:00:00Z", "training", state: "23P01", constraint: "staff_absence_no_overlap")
        refused(absence, w.staffAID, "2026-04-03T08:00:00Z", "2026-04-03T08:00:00Z", "other", state: "23514", constraint: "staff_absence_bounded")
        refused(absence, w.staffAID, "2026-04-03T08:00:00Z", "2026-04-03T09:00:00Z", "holiday", state: "23514", constraint: "staff_absence_reason")

        try db.query(Query("INSERT INTO room (location_id, name) VALUES ($1, 'A')", w.locationID))
        refused("INSERT INTO room (location_id, name) VALUES ($1, 'A')", w.locationID, state: "23505", constraint: "room_name_unique")
        refused("INSERT INTO room (location_id, name, capacity) VALUES ($1, 'B', 0)", w.locationID, state: "23514", constraint: "room_capacity_check")
        refused("INSERT INTO appointment_type (code, name, duration_minutes) VALUES ('x', 'X', 500)", state: "23514", constraint: "appointment_type_duration_check")
        refused("INSERT INTO appointment_type (code, name, duration_minutes, max_persons) VALUES ('x', 'X', 30, 0)", state: "23514",
                constraint: "appointment_type_max_persons_check")

        // The slot search's question: which rules apply on a date (every other week anchored on validFrom's ISO week).
        let applies = "SELECT weekly_rule_applies(5::smallint, '2026-03-04', NULL, true, $1::date) AS a"
        func on(_ d: String) throws -> Bool { try db.query(Query(SQL(unsafeUnchecked: applies), d)).first!.bool("a") }
        XCTAssertTrue(try on("2026-03-06"), "Friday of the anchor week (validFrom is that Wednesday)")
        XCTAssertFalse(try on("2026-03-13"))
        XCTAssertTrue(try on("2026-03-20"))
        XCTAssertFalse(try on("2026-02-27"), "never before validFrom")
        XCTAssertFalse(try on("2026-03-19"), "other weekday")
    }

    /// Swift's week parity (the API's overlap check) is SQL `week_parity` (the exclusion constraint's index) on every
    /// day from 1880 to 2040, before week 0 (1900-01-01) too.
    func testWeekParityInSwiftIsTheDatabases() throws {
        let db = try t.connection()
        defer { db.close() }
        let rows = try db.query(Query("""
            SELECT d::date::text AS d, lower(week_parity(true, d::date)) AS p, lower(week_parity(false, d::date)) AS every
            FROM generate_series(date '1880-01-01', date '2040-12-31', interval '1 day') AS d ORDER BY d
            """))
        XCTAssertEqual(rows.count, 58_805)
        var mismatches: [String] = []
        for row in rows {
            let text = try row.string("d")
            guard let date = LocalDate(iso: text) else { XCTFail(text); continue }
            XCTAssertEqual(try row.int("every"), 0)
            if date.isoWeekParity != (try row.int("p")) { mismatches.append(text) }
        }
        XCTAssertEqual(mismatches.prefix(5), [], "\(mismatches.count) dates differ")
        // The API's overlap check uses it: alternating weeks do not overlap, equal parities do.
        let (w, coord, _, _) = try world()
        let path = "/api/v1/staff/\(w.staffAID)/availability"
        func interval(_ from: String) -> [String: Any] {
            ["locationId": w.locationID, "weekday": 5, "start": "09:00", "end": "17:00", "validFrom": from, "everyOtherWeek": true]
        }
        XCTAssertEqual(try coord.putJSON(path, json: ["intervals": [interval("1899-12-29"), interval("1900-01-01")]]).status, 422,
                       "validFrom before 1900 is refused as a typo")
        XCTAssertEqual(try coord.putJSON(path, json: ["intervals": [interval("2026-03-02"), interval("2026-03-09")]]).status, 200)
        XCTAssertEqual(try coord.putJSON(path, json: ["intervals": [interval("2026-03-02"), interval("2026-03-16")]]).invalidNames,
                       ["intervals[1]"])
    }

    func testDemoDataHasCalendars() throws {
        let db = try t.connection()
        defer { db.close() }
        XCTAssertTrue(try DemoData.load(db))
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM opening_hours WHERE weekday BETWEEN 1 AND 5 AND opens = '09:00' AND closes = '17:00'"), 5)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM room"), 2)
        XCTAssertGreaterThan(try count("SELECT count(DISTINCT staff_id)::int AS n FROM staff_availability"), 3)
        XCTAssertEqual(try count("""
            SELECT count(*)::int AS n FROM appointment_type t WHERE t.needs_room
              AND (SELECT array_agg(a.code ORDER BY a.code) FROM appointment_type_requirement r JOIN service s ON s.id = r.service_id
                   JOIN agency a ON a.id = s.agency_id WHERE r.appointment_type_id = t.id) = ARRAY['gemeente', 'svb', 'uwv']
            """), 1, "a joint type with gemeente, UWV and SVB and a room")
        let publicList = try t.client.get("/api/v1/appointment-types?public=true")
        XCTAssertEqual((publicList.object["items"] as? [Any])?.count, 3)
    }
}

final class LockedStatuses: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []
    func append(_ v: Int) { lock.lock(); values.append(v); lock.unlock() }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return values }
}

/// One value of every statement type of calendars.sql, for the statement test (StatementTests).
enum CalendarStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            CalendarLocationLock(locationID: id, now: now), OpeningHoursGet(locationID: id, now: now),
            OpeningHoursClear(locationID: id, today: "2026-01-01"),
            OpeningHoursInsert(locationID: id, weekdays: [], opens: [], closes: [], validFrom: [], validUntil: []),
            ClosuresInsert(locationID: id, dates: [], reasons: [], plannedBy: nil, now: now),
            LocationHolidaySettings(locationID: id, closedOnPublicHolidays: true, goodFridayClosed: nil, liberationDayClosed: nil),
            RoomInsert(locationID: id, name: "x", capacity: 1, now: now), RoomList(locationID: id, includeInactive: false), RoomUpdate(id: id),
            StaffOwner(staffID: id), StaffCalendarLock(staffID: id), LocationsExisting(ids: []), AvailabilityGet(staffID: id), AvailabilityClear(staffID: id),
            AvailabilityInsert(staffID: id, locations: [], weekdays: [], starts: [], ends: [], validFrom: [], validUntil: [], everyOtherWeek: []),
            AbsenceInsert(staffID: id, start: now, end: now, reason: "leave", enteredBy: nil, now: now), AbsenceList(staffID: id),
            AbsenceOwner(absenceID: id), AbsenceDelete(absenceID: id), ServicesActive(ids: []),
            AppointmentTypeInsert(code: "x", name: "x", durationMinutes: 5, needsRoom: false, bufferBeforeMinutes: 0, bufferAfterMinutes: 0,
                                  minNoticeMinutes: 0, horizonDays: 1, maxPersons: 1, extraMinutesPerPerson: 0, publicBooking: false, now: now),
            AppointmentTypeUpdate(id: id), AppointmentTypeRequirementsClear(appointmentTypeID: id),
            AppointmentTypeRequirementsInsert(appointmentTypeID: id, serviceIDs: []), AppointmentTypeGet(id: id),
            AppointmentTypeList(includeInactive: true), AppointmentTypePublicList(),
        ]
    }()
}
