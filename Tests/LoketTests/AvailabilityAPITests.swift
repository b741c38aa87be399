@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Available times and days over HTTP against a real database: joint appointments need distinct qualified staff and
/// a room; absences, closures and public holidays remove times; buffers stay inside opening hours; every-other-week
/// availability; notice and horizon for the public but not for planners; both daylight-saving Sundays; access;
/// validation; and the public holidays endpoint. The clock is fixed on Monday 2026-03-02 11:00 in Amsterdam.
final class AvailabilityAPITests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock }
        w = try World.make(t)
    }
    override func tearDown() { t.tearDown() }



    func available(_ staff: String, weekday: Int, _ starts: String, _ ends: String, validFrom: String? = nil, everyOtherWeek: Bool = false) throws {
        try sql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends, valid_from, every_other_week) VALUES ($1, $2, $3::smallint, $4::time, $5::time, $6::date, $7::boolean)",
                staff, w.locationID, weekday, starts, ends, validFrom, everyOtherWeek)
    }

    func opening(_ weekly: [(Int, String, String)], closures: [String] = [], holidays: Bool = true) throws {
        let r = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": weekly.map { ["weekday": $0.0, "opens": $0.1, "closes": $0.2] },
            "closures": closures.map { ["date": $0, "reason": "Verbouwing"] }, "closedOnPublicHolidays": holidays] as [String: Any])))
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

    func times(_ client: HTTPClient, _ type: String, _ from: String, _ to: String, persons: Int? = nil,
               file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let r = try client.get("/api/v1/locations/\(w.locationID)/available-times?appointmentType=\(type)&from=\(from)&to=\(to)"
                               + (persons.map { "&persons=\($0)" } ?? ""))
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        let items = r.object["items"] as? [[String: Any]] ?? []
        for item in items { XCTAssertEqual(Set(item.keys), ["start", "end"], "times only: no staff, no rooms", file: file, line: line) }
        return items.compactMap { $0["start"] as? String }
    }

    func days(_ client: HTTPClient, _ type: String, _ from: String, _ to: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let r = try client.get("/api/v1/locations/\(w.locationID)/available-days?appointmentType=\(type)&from=\(from)&to=\(to)")
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        return r.object["items"] as? [String] ?? []
    }

    // MARK: Joint appointments

    func testJointTypeNeedsThreeDistinctQualifiedStaffAndARoom() throws {
        try opening([(2, "09:00", "12:00")])
        let joint = try makeType("samen", [w.serviceA, w.serviceA, w.serviceB], duration: 60, fields: ["needsRoom": true])
        let a1 = try staff("a1", w.agencyA, [w.serviceA]), b1 = try staff("b1", w.agencyB, [w.serviceB])
        try available(a1, weekday: 2, "09:00", "12:00")
        try available(b1, weekday: 2, "09:00", "12:00")
        let room = try t.admin.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": "Spreekkamer", "capacity": 4])
        XCTAssertEqual(room.status, 201, room.text)
        let day = "2026-03-10"
        XCTAssertEqual(try times(t.client, joint, day, day), [], "one staff member of service A cannot fill both A requirements")
        // A colleague of agency B serving only B does not help either.
        try available(try staff("b2", w.agencyB, [w.serviceB]), weekday: 2, "09:00", "12:00")
        XCTAssertEqual(try times(t.client, joint, day, day), [])
        let a2 = try staff("a2", w.agencyA, [w.serviceA])
        try available(a2, weekday: 2, "10:00", "12:00")
        XCTAssertEqual(try times(t.client, joint, day, day),
                       ["2026-03-10T10:00:00+01:00", "2026-03-10T10:15:00+01:00", "2026-03-10T10:30:00+01:00",
                        "2026-03-10T10:45:00+01:00", "2026-03-10T11:00:00+01:00"], "three distinct staff from 10:00, one hour long")
        let r = try t.client.get("/api/v1/locations/\(w.locationID)/available-times?appointmentType=\(joint)&from=\(day)&to=\(day)")
        XCTAssertEqual((r.object["items"] as? [[String: Any]])?.first?["end"] as? String, "2026-03-10T11:00:00+01:00")
        XCTAssertEqual(try days(t.client, joint, "2026-03-09", "2026-03-15"), [day])
        // Room capacity counts visitors plus staff: two visitors and three staff do not fit four seats.
        try sql("UPDATE appointment_type SET max_persons = 2 WHERE id = $1", joint)
        XCTAssertEqual(try times(t.client, joint, day, day, persons: 2), [], "5 people do not fit a room for 4")
        // Without a room, nothing.
        try sql("UPDATE room SET active = false")
        XCTAssertEqual(try times(t.client, joint, day, day), [], "the type needs a room")
    }

    // MARK: What removes times

    func testAbsenceClosureAndPublicHolidaysRemoveTimes() throws {
        try opening((1...5).map { ($0, "09:00", "10:00") }, closures: ["2027-04-28"])
        let simple = try makeType("kort", [w.serviceA])
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        for d in 1...5 { try available(a1, weekday: d, "09:00", "10:00") }
        // 2027-04-27 is King's Day (Tuesday), 2027-05-06 Ascension Day; 5 May (Liberation Day) is open by default.
        try sql("INSERT INTO staff_absence (staff_id, during, reason) VALUES ($1, tstzrange('2027-04-29 09:00+02', '2027-04-29 09:30+02'), 'leave')", a1)
        // Beyond the public horizon: the admin plans.
        XCTAssertEqual(try days(t.admin, simple, "2027-04-26", "2027-05-07"),
                       ["2027-04-26", "2027-04-29", "2027-04-30", "2027-05-03", "2027-05-04", "2027-05-05", "2027-05-07"])
        XCTAssertEqual(try times(t.admin, simple, "2027-04-26", "2027-04-26"),
                       ["2027-04-26T09:00:00+02:00", "2027-04-26T09:15:00+02:00", "2027-04-26T09:30:00+02:00"])
        XCTAssertEqual(try times(t.admin, simple, "2027-04-29", "2027-04-29"), ["2027-04-29T09:30:00+02:00"], "the absence until 09:30")
        // A location open on public holidays offers them (the closure stays).
        try opening((1...5).map { ($0, "09:00", "10:00") }, closures: ["2027-04-28"], holidays: false)
        XCTAssertEqual(try days(t.admin, simple, "2027-04-26", "2027-05-07"),
                       ["2027-04-26", "2027-04-27", "2027-04-29", "2027-04-30", "2027-05-03", "2027-05-04", "2027-05-05", "2027-05-06", "2027-05-07"])
    }

    func testBuffersStayInsideOpeningHoursAndAvailability() throws {
        try opening([(2, "09:00", "10:00")])
        let buffered = try makeType("buffer", [w.serviceA], duration: 30, fields: ["bufferBeforeMinutes": 15, "bufferAfterMinutes": 15])
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        try available(a1, weekday: 2, "08:00", "12:00")
        XCTAssertEqual(try times(t.client, buffered, "2026-03-10", "2026-03-10"), ["2026-03-10T09:15:00+01:00"],
                       "09:00 would need preparation before opening, 09:30 wrap-up after closing")
        let plain = try makeType("plain", [w.serviceA], duration: 30)
        XCTAssertEqual(try times(t.client, plain, "2026-03-10", "2026-03-10").count, 3)
    }

    func testEveryOtherWeekAvailability() throws {
        try opening([(2, "09:00", "10:00")])
        let simple = try makeType("kort", [w.serviceA])
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        // Anchored at the ISO week of Monday 2026-03-09: Tuesdays 10 and 24 March, not 17 and 31.
        try available(a1, weekday: 2, "09:00", "10:00", validFrom: "2026-03-09", everyOtherWeek: true)
        XCTAssertEqual(try days(t.client, simple, "2026-03-02", "2026-03-31"), ["2026-03-10", "2026-03-24"])
    }

    // MARK: Notice, horizon, past

    func testPublicNoticeAndHorizonButPlannersBeyond() throws {
        try opening((1...5).map { ($0, "09:00", "17:00") })
        let hour = try makeType("uur", [w.serviceA], duration: 60, fields: ["minNoticeMinutes": 120, "horizonDays": 10])
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        for d in 1...5 { try available(a1, weekday: d, "09:00", "17:00") }
        // Now is Monday 11:00 local: the public may book from 13:00 today up to and including 2026-03-12.
        XCTAssertEqual(try times(t.client, hour, "2026-03-02", "2026-03-02").first, "2026-03-02T13:00:00+01:00")
        XCTAssertEqual(try days(t.client, hour, "2026-03-01", "2026-03-31"),
                       ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"])
        let c = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyB, "username": "coord-b", "password": "long enough password",
                                                          "displayName": "Coordinator", "role": "coordinator"])
        XCTAssertEqual(c.status, 201, c.text)
        let coordinator = try World.login(t, "coord-b", password: "long enough password")
        XCTAssertEqual(try times(coordinator, hour, "2026-03-02", "2026-03-02").first, "2026-03-02T11:00:00+01:00", "no notice, but not in the past")
        XCTAssertEqual(try days(coordinator, hour, "2026-03-01", "2026-03-31").last, "2026-03-31", "planners go beyond the horizon")
        XCTAssertEqual(try days(coordinator, hour, "2026-02-20", "2026-03-01"), [], "never in the past")
        XCTAssertEqual(try days(w.staffA, hour, "2026-03-01", "2026-03-31").count, 22, "staff of the agency involved plan too")
        // When the clock moves, so does the window.
        clock.set(Instant(rfc3339: "2026-03-03T07:00:00Z")!)
        XCTAssertEqual(try days(t.client, hour, "2026-03-01", "2026-03-31").first, "2026-03-03")
        XCTAssertEqual(try days(t.client, hour, "2026-03-01", "2026-03-31").last, "2026-03-13")
    }

    // MARK: Daylight saving time

    func testDaylightSavingSundaysOfferEachRealInstantOnce() throws {
        try opening([(7, "00:00", "06:00")], holidays: false)  // 28 March 2027 is also Easter Sunday
        let quarter = try makeType("kwartier", [w.serviceA], duration: 15)
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        try available(a1, weekday: 7, "00:00", "06:00")
        for spring in ["2026-03-29", "2027-03-28"] {
            let starts = try times(t.admin, quarter, spring, spring)
            XCTAssertEqual(starts.count, 20, "5 real hours: \(starts)")
            XCTAssertFalse(starts.contains { $0.contains("T02:") }, "the missing hour is never offered: \(starts)")
            XCTAssertEqual(starts[7], "\(spring)T01:45:00+01:00")
            XCTAssertEqual(starts[8], "\(spring)T03:00:00+02:00")
            XCTAssertEqual(starts.last, "\(spring)T05:45:00+02:00")
            try assertQuarterSteps(starts)
        }
        for autumn in ["2026-10-25", "2027-10-31"] {
            let starts = try times(t.admin, quarter, autumn, autumn)
            XCTAssertEqual(starts.count, 28, "7 real hours: \(starts)")
            XCTAssertEqual(Set(starts).count, starts.count, "no duplicates")
            XCTAssertTrue(starts.contains("\(autumn)T02:00:00+02:00") && starts.contains("\(autumn)T02:00:00+01:00"), "\(starts)")
            XCTAssertEqual(starts.filter { $0.contains("T02:") }.count, 8, "the repeated hour twice, each real instant once")
            try assertQuarterSteps(starts)
            XCTAssertEqual(try days(t.admin, quarter, autumn, autumn), [autumn])
        }
    }

    /// Consecutive starts are exactly 15 real minutes apart: no gaps, no repeats.
    func assertQuarterSteps(_ starts: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let instants = starts.compactMap { Instant(rfc3339: $0) }
        XCTAssertEqual(instants.count, starts.count, file: file, line: line)
        for (a, b) in zip(instants, instants.dropFirst()) {
            XCTAssertEqual(b.microseconds - a.microseconds, 15 * 60 * 1_000_000, "\(a) → \(b)", file: file, line: line)
        }
    }

    // MARK: Access and validation

    func testAccessPublicOnlyForPublicBooking() throws {
        try opening([(2, "09:00", "12:00")])
        let staffOnly = try makeType("intern", [w.serviceA], fields: ["publicBooking": false])
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        try available(a1, weekday: 2, "09:00", "12:00")
        let path = "/api/v1/locations/\(w.locationID)/available-times?appointmentType=\(staffOnly)&from=2026-03-10&to=2026-03-10"
        XCTAssertEqual(try t.client.get(path).status, 404, "not bookable by the public: not there for anonymous callers")
        XCTAssertEqual(try w.staffB.get(path).status, 403, "staff of an agency not involved")
        XCTAssertEqual(try times(w.staffA, staffOnly, "2026-03-10", "2026-03-10").count, 11, "staff of the agency involved")
        XCTAssertEqual(try times(t.admin, staffOnly, "2026-03-10", "2026-03-10").count, 11)
        try sql("UPDATE appointment_type SET active = false WHERE id = $1", staffOnly)
        XCTAssertEqual(try w.staffA.get(path).status, 404, "inactive types offer nothing")
        let other = "/api/v1/locations/\(UUID().uuidString.lowercased())/available-days?appointmentType=\(staffOnly)&from=2026-03-10&to=2026-03-10"
        XCTAssertEqual(try t.admin.get(other).status, 404)
    }

    func testValidationNamesTheField() throws {
        try opening([(2, "09:00", "12:00")])
        let simple = try makeType("kort", [w.serviceA], fields: ["maxPersons": 3])
        let base = "/api/v1/locations/\(w.locationID)/available-times?"
        func invalid(_ query: String) throws -> Set<String> {
            let r = try t.client.get(base + query)
            XCTAssertEqual(r.status, 422, "\(query): \(r.text)")
            XCTAssertEqual(r.header("content-type"), "application/problem+json")
            return Set((r.object["invalidParams"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        }
        XCTAssertEqual(try invalid("from=2026-03-01&to=2026-03-02"), ["appointmentType"])
        XCTAssertEqual(try invalid("appointmentType=\(simple)&from=2026-02-30&to=2026-03-02"), ["from"])
        XCTAssertEqual(try invalid("appointmentType=\(simple)&from=2026-03-10"), ["to"])
        XCTAssertEqual(try invalid("appointmentType=\(simple)&from=2026-03-10&to=2026-03-09"), ["to"])
        XCTAssertEqual(try invalid("appointmentType=\(simple)&from=2026-03-01&to=2026-06-10"), ["to"], "101 days")
        XCTAssertEqual(try invalid("appointmentType=\(simple)&from=2026-03-01&to=2026-03-02&persons=0"), ["persons"])
        XCTAssertEqual(try invalid("appointmentType=\(simple)&from=2026-03-01&to=2026-03-02&persons=4"), ["persons"], "above maxPersons")
        XCTAssertEqual(try t.client.get(base + "appointmentType=\(simple)&from=2026-03-01&to=2026-06-09&persons=3").status, 200, "100 days")
    }

    // MARK: Cache and calendar versions

    /// Local times of a Tuesday in March 2026 (UTC+1), as the API writes them.
    func at(_ day: String, _ times: [String]) -> [String] { times.map { "\(day)T\($0):00+01:00" } }

    /// Answers are cached per day and calendar version: a change that bypasses the version (its trigger switched
    /// off) is not seen, which shows the cache answers; every kind of change that bumps it is seen in the next answer.
    func testEveryKindOfChangeShowsInTheVeryNextAnswer() throws {
        let day = "2026-03-10"
        try opening([(2, "09:00", "11:00")])
        let simple = try makeType("kort", [w.serviceA], duration: 60)
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        try available(a1, weekday: 2, "09:00", "11:00")
        let all = at(day, ["09:00", "09:15", "09:30", "09:45", "10:00"])
        XCTAssertEqual(try times(t.client, simple, day, day), all)
        XCTAssertEqual(try times(t.client, simple, "2026-03-09", "2026-03-11"), all, "an overlapping range reuses the day")

        // The cache answers: an absence written with the version trigger off is not seen (and a one-day request
        // after a three-day one does not recompute).
        try sql("ALTER TABLE staff_absence DISABLE TRIGGER calendar_version")
        try sql("INSERT INTO staff_absence (staff_id, during, reason) VALUES ($1, tstzrange('2026-03-10 09:00+01', '2026-03-10 10:00+01'), 'leave')", a1)
        try sql("ALTER TABLE staff_absence ENABLE TRIGGER calendar_version")
        XCTAssertEqual(try times(t.client, simple, day, day), all, "served from the cache")
        try sql("DELETE FROM staff_absence")

        // Absence added.
        try sql("INSERT INTO staff_absence (staff_id, during, reason) VALUES ($1, tstzrange('2026-03-10 09:00+01', '2026-03-10 09:30+01'), 'leave')", a1)
        XCTAssertEqual(try times(t.client, simple, day, day), at(day, ["09:30", "09:45", "10:00"]), "absence")
        try sql("DELETE FROM staff_absence")
        XCTAssertEqual(try times(t.client, simple, day, day), all, "absence removed")
        // Opening hours replaced (through the API).
        try opening([(2, "09:30", "11:00")])
        XCTAssertEqual(try times(t.client, simple, day, day), at(day, ["09:30", "09:45", "10:00"]), "opening hours")
        try opening([(2, "09:00", "11:00")])
        XCTAssertEqual(try times(t.client, simple, day, day), all)
        // Closure.
        try sql("INSERT INTO location_closure (location_id, service_day, reason) VALUES ($1, $2::date, 'Verbouwing')", w.locationID, day)
        XCTAssertEqual(try times(t.client, simple, day, day), [], "closure")
        try sql("DELETE FROM location_closure")
        XCTAssertEqual(try times(t.client, simple, day, day), all)
        // Availability replaced.
        try sql("DELETE FROM staff_availability WHERE staff_id = $1", a1)
        try available(a1, weekday: 2, "10:00", "11:00")
        XCTAssertEqual(try times(t.client, simple, day, day), at(day, ["10:00"]), "availability")
        try sql("UPDATE staff_availability SET starts = '09:00' WHERE staff_id = $1", a1)
        XCTAssertEqual(try times(t.client, simple, day, day), all)
        // Appointment type changed.
        try sql("UPDATE appointment_type SET duration_minutes = 90 WHERE id = $1", simple)
        XCTAssertEqual(try times(t.client, simple, day, day), at(day, ["09:00", "09:15", "09:30"]), "type's duration")
        try sql("UPDATE appointment_type SET duration_minutes = 60 WHERE id = $1", simple)
        // Staff member inactive; no longer serving the service.
        try sql("UPDATE staff SET active = false WHERE id = $1", a1)
        XCTAssertEqual(try times(t.client, simple, day, day), [], "inactive staff member")
        try sql("UPDATE staff SET active = true WHERE id = $1", a1)
        XCTAssertEqual(try times(t.client, simple, day, day), all)
        try sql("DELETE FROM staff_service WHERE staff_id = $1", a1)
        XCTAssertEqual(try times(t.client, simple, day, day), [], "staff service")
        try sql("INSERT INTO staff_service (staff_id, service_id, agency_id) VALUES ($1, $2, $3)", a1, w.serviceA, w.agencyA)
        XCTAssertEqual(try times(t.client, simple, day, day), all)
        // Holiday settings: Good Friday 2026-04-03 (a Friday).
        try opening([(2, "09:00", "11:00"), (5, "09:00", "11:00")])
        try available(a1, weekday: 5, "09:00", "11:00")
        XCTAssertEqual(try times(t.admin, simple, "2026-04-03", "2026-04-03").count, 5)
        try sql("UPDATE location SET good_friday_closed = true WHERE id = $1", w.locationID)
        XCTAssertEqual(try times(t.admin, simple, "2026-04-03", "2026-04-03"), [], "holiday settings")

        // Room deactivated.
        let withRoom = try makeType("kamer", [w.serviceA], duration: 60, fields: ["needsRoom": true])
        let room = try t.admin.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": "Spreekkamer", "capacity": 4])
        XCTAssertEqual(room.status, 201, room.text)
        XCTAssertEqual(try times(t.client, withRoom, day, day), all)
        try sql("UPDATE room SET active = false")
        XCTAssertEqual(try times(t.client, withRoom, day, day), [], "room deactivated")
    }

    /// Now-dependent bounds are applied after the cache: a later clock hides what has passed, without a change.
    func testNoticeAndPastAreAppliedAfterTheCache() throws {
        let day = "2026-03-02"  // the clock's Monday, 11:00 local
        try opening([(1, "09:00", "14:00")])
        let simple = try makeType("kort", [w.serviceA], duration: 60)
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        try available(a1, weekday: 1, "09:00", "14:00")
        XCTAssertEqual(try times(t.client, simple, day, day).first, "2026-03-02T11:00:00+01:00")
        clock.advance(seconds: 3600)
        XCTAssertEqual(try times(t.client, simple, day, day).first, "2026-03-02T12:00:00+01:00", "an hour later")
        XCTAssertEqual(try times(t.admin, simple, day, day).first, "2026-03-02T12:00:00+01:00", "never in the past, also for planners")
    }

    /// Two processes on one database, each with its own cache: a change made through one is seen by the other's
    /// very next answer, both ways.
    func testTwoProcessesNeverServeAStaleAnswer() throws {
        let day = "2027-03-09"  // a Tuesday, in the future of the real clock the other process runs on
        try opening([(2, "09:00", "11:00")])
        let simple = try makeType("kort", [w.serviceA], duration: 60)
        let a1 = try staff("a1", w.agencyA, [w.serviceA])
        try available(a1, weekday: 2, "09:00", "11:00")
        let other = try LoketProcess(databaseURL: t.databaseURL)
        defer { _ = other.terminate() }
        let otherAdmin = other.client.with(bearer: TestApp.adminToken)
        let all = ["09:00", "09:15", "09:30", "09:45", "10:00"].map { "\(day)T\($0):00+01:00" }
        XCTAssertEqual(try times(otherAdmin, simple, day, day), all)
        XCTAssertEqual(try times(t.admin, simple, day, day), all)
        // Through this process; the other answers next.
        try opening([(2, "10:00", "11:00")])
        XCTAssertEqual(try times(otherAdmin, simple, day, day), ["\(day)T10:00:00+01:00"])
        // Through the other process; this one answers next.
        let r = try otherAdmin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": [["weekday": 2, "opens": "09:00", "closes": "10:30"]], "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(try times(t.admin, simple, day, day), ["09:00", "09:15", "09:30"].map { "\(day)T\($0):00+01:00" })
        XCTAssertEqual(try times(otherAdmin, simple, day, day), ["09:00", "09:15", "09:30"].map { "\(day)T\($0):00+01:00" })
    }

    /// The cache is bounded by the slots it holds, and what was used last survives an eviction.
    func testCacheIsBoundedAndKeepsTheRecentlyUsed() {
        let cache = AvailabilityCache(maxSlots: 100)
        func key(_ day: Int) -> AvailabilityCache.Key { .init(location: "l", type: "t", persons: 1, day: day, version: 1) }
        let tenSlots = (0..<10).map { AvailabilityCache.Slot(start: Instant(microseconds: Int64($0)), json: "{}") }
        for day in 0..<10 { cache.put([(key(day), tenSlots)]) }
        XCTAssertEqual(cache.count, 10, "100 slots fit")
        XCTAssertNotNil(cache.get([key(0)])[0])  // day 0 is now the most recently used
        cache.put([(key(10), tenSlots)])
        XCTAssertLessThanOrEqual(cache.count, 6, "over the bound: the least recently used half goes")
        XCTAssertNotNil(cache.get([key(0)])[0], "recently used")
        XCTAssertNotNil(cache.get([key(10)])[0], "just added")
        XCTAssertNil(cache.get([key(1)])[0], "least recently used")
        for day in 0..<1000 { cache.put([(key(day), tenSlots)]) }
        XCTAssertLessThanOrEqual(cache.count, 10)
    }

    // MARK: Public holidays

    func testHolidays() throws {
        func list(_ query: String) throws -> [[String: Any]] {
            let r = try t.client.get("/api/v1/holidays?" + query)
            XCTAssertEqual(r.status, 200, r.text)
            return r.object["items"] as? [[String: Any]] ?? []
        }
        let y2026 = try list("year=2026")
        func date(_ items: [[String: Any]], _ key: String) -> String? { items.first { $0["key"] as? String == key }?["date"] as? String }
        XCTAssertEqual(date(y2026, "easter-monday"), "2026-04-06")
        XCTAssertEqual(date(y2026, "kings-day"), "2026-04-27")
        XCTAssertEqual(date(y2026, "ascension-day"), "2026-05-14")
        XCTAssertEqual(y2026.first { $0["key"] as? String == "kings-day" }?["name"] as? String, "Koningsdag")
        XCTAssertEqual(y2026.count, 11)
        XCTAssertEqual(y2026.first { $0["key"] as? String == "good-friday" }?["optional"] as? Bool, true)
        XCTAssertEqual(y2026.first { $0["key"] as? String == "christmas-day" }?["optional"] as? Bool, false)
        XCTAssertEqual(date(try list("year=2025"), "kings-day"), "2025-04-26", "27 April 2025 is a Sunday")
        let location = try list("year=2026&locationId=\(w.locationID)")
        XCTAssertEqual(location.count, 9, "by default a location is open on Good Friday and Liberation Day")
        XCTAssertNil(date(location, "liberation-day"))
        for bad in ["", "year=abc", "year=20260", "year=1200"] {
            XCTAssertEqual(try t.client.get("/api/v1/holidays?" + bad).status, 400, bad)
        }
        XCTAssertEqual(try t.client.get("/api/v1/holidays?year=2026&locationId=\(UUID().uuidString.lowercased())").status, 404)
    }
}

/// One value of every statement type of availability.sql, for the statement test (StatementTests).
enum AvailabilityStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        return [
            AvailabilityHead(locationID: id, appointmentTypeID: id, now: Instant(microseconds: 0)),
            AvailabilityGrid(locationID: id, from: "2026-01-01", to: "2026-01-02", holidayDates: [], holidayKeys: []),
            AvailabilityStaff(locationID: id, appointmentTypeID: id, from: "2026-01-01", to: "2026-01-02", now: Instant(microseconds: 0)),
            AvailabilityRooms(locationID: id, from: "2026-01-01", to: "2026-01-02", now: Instant(microseconds: 0)),
            AvailabilityFormat(timeZone: "Europe/Amsterdam", starts: [], ends: []),
            AvailabilityHolidaySettings(locationID: id),
        ]
    }()
}
