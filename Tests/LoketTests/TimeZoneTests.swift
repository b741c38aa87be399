import API
import Foundation
import Postgres
import TestSupport
import XCTest

/// Times are shown in the location's zone and the calendar day is the location's: checked on both daylight saving
/// Sundays of 2026 in Europe/Amsterdam (29 March, 25 October).
final class TimeZoneTests: XCTestCase {
    nonisolated(unsafe) static var t: TestApp!
    nonisolated(unsafe) static var w: World!

    override class func setUp() {
        t = try! TestApp()
        w = try! World.make(t, desks: 1)
    }

    override class func tearDown() { t.tearDown() }

    func rfc3339(_ utc: String) throws -> String {
        try Self.t.connection().query(Query("SELECT rfc3339($1::timestamptz, 'Europe/Amsterdam') AS s", utc)).first!.string("s")
    }

    func testOffsetsAroundSpringForward() throws {
        XCTAssertEqual(try rfc3339("2026-03-29 00:59:59Z"), "2026-03-29T01:59:59+01:00")
        XCTAssertEqual(try rfc3339("2026-03-29 01:00:00Z"), "2026-03-29T03:00:00+02:00")
    }

    func testOffsetsAroundFallBack() throws {
        XCTAssertEqual(try rfc3339("2026-10-25 00:59:59Z"), "2026-10-25T02:59:59+02:00")
        XCTAssertEqual(try rfc3339("2026-10-25 01:00:00Z"), "2026-10-25T02:00:00+01:00")
        XCTAssertEqual(try Self.t.connection().query(Query("SELECT rfc3339('2026-07-01 12:00Z'::timestamptz, 'UTC') AS s")).first!.string("s"),
                       "2026-07-01T12:00:00Z")
    }

    /// Takes a number "at" an instant, through the same statement the API runs.
    func take(at utc: String) throws -> (number: String, day: String, created: String) {
        let db = try Self.t.connection()
        let row = try db.query(Query(Statements.tickets["take_number"], Self.w.locationID, Self.w.serviceB, String?.none, "nl", String?.none, utc, 100)).first!
        let id = try row.string("id")
        let day = try db.query(Query("SELECT service_day::text AS d FROM ticket WHERE id = $1", id)).first!.string("d")
        return (try row.string("number"), day, try row.string("created_at"))
    }

    func testNumbersRestartAtLocalMidnightOnBothDSTSundays() throws {
        // Saturday 28 March 23:59 local (+01:00) and Sunday 00:00 local: a new day, so S001 again.
        let sat = try take(at: "2026-03-28 22:59:00Z")
        let sat2 = try take(at: "2026-03-28 22:59:30Z")
        let sun = try take(at: "2026-03-28 23:00:00Z")
        XCTAssertEqual(sat.day, "2026-03-28")
        XCTAssertEqual(sat2.number, "S002")
        XCTAssertEqual(sun.day, "2026-03-29")
        XCTAssertEqual(sun.number, "S001", "local midnight, not UTC midnight")
        XCTAssertEqual(sun.created, "2026-03-29T00:00:00+01:00")
        // The same Sunday after the clocks went forward: still day 29, numbering continues.
        let afternoon = try take(at: "2026-03-29 12:00:00Z")
        XCTAssertEqual(afternoon.day, "2026-03-29")
        XCTAssertEqual(afternoon.number, "S002")
        XCTAssertEqual(afternoon.created, "2026-03-29T14:00:00+02:00")

        // Autumn: Saturday 24 October 23:59 local is 21:59Z (+02:00); Sunday 00:00 local is 22:00Z.
        XCTAssertEqual(try take(at: "2026-10-24 21:59:00Z").day, "2026-10-24")
        let autumn = try take(at: "2026-10-24 22:00:00Z")
        XCTAssertEqual(autumn.day, "2026-10-25")
        XCTAssertEqual(autumn.number, "S001")
        // The repeated hour 02:00–03:00 local belongs to the same day; the day has 25 hours.
        XCTAssertEqual(try take(at: "2026-10-25 00:30:00Z").created, "2026-10-25T02:30:00+02:00")
        XCTAssertEqual(try take(at: "2026-10-25 01:30:00Z").created, "2026-10-25T02:30:00+01:00")
        let lastMinute = try take(at: "2026-10-25 22:59:00Z")
        XCTAssertEqual(lastMinute.day, "2026-10-25")
        XCTAssertEqual(lastMinute.number, "S004")
        XCTAssertEqual(try take(at: "2026-10-25 23:00:00Z").number, "S001", "Monday starts at 001")
    }

    func testLocationInAnotherZoneUsesItsOwnDay() throws {
        let db = try Self.t.connection()
        let location = try Self.t.admin.post("/api/v1/locations", json: ["code": "curacao", "name": "Kantoor Willemstad", "timeZone": "America/Curacao"])
        XCTAssertEqual(location.status, 201)
        let id = location.object["id"] as! String
        XCTAssertEqual(try Self.t.admin.patch("/api/v1/services/\(Self.w.serviceB)", json: ["locationIds": [Self.w.locationID, id]]).status, 200)
        let row = try db.query(Query(Statements.tickets["take_number"], id, Self.w.serviceB, String?.none, "nl", String?.none, "2026-03-29 02:00:00Z", 100)).first!
        XCTAssertEqual(try row.string("created_at"), "2026-03-28T22:00:00-04:00")
    }
}
