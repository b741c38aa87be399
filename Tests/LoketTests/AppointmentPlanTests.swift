@testable import API
import Postgres
import TestSupport
import XCTest

/// Plans of the booking transaction's statements as loket runs them: prepared once per connection, so after five
/// executions PostgreSQL may settle on a generic plan that knows no parameter value. Found with deploy/bench-booking.
final class AppointmentPlanTests: XCTestCase {
    /// `appointment_expire_holds` runs on every booking and reschedule. Its generic plan must reach the reservations
    /// through the exclusion constraints' (partial) indexes on (resource, during): otherwise it scans every reservation
    /// ever made (or is planned afresh on every call), and bookings slow down as the table grows.
    func testExpiringHoldsUsesTheReservationIndexesEvenWithAGenericPlan() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: TestPostgres.logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        // Sequential scans off: on empty tables they would always win; this asks which indexes the plan *can* use.
        try db.execute("SET plan_cache_mode = force_generic_plan")
        try db.execute("SET enable_seqscan = off")
        try db.execute(SQL(unsafeUnchecked: "PREPARE expire_holds AS \(try AppointmentExpireHolds.sql().text)"))
        let rows = try db.execute(SQL(unsafeUnchecked: """
            EXPLAIN EXECUTE expire_holds('{00000000-0000-0000-0000-000000000001}', '00000000-0000-0000-0000-000000000002',
                                         '2026-03-10 09:00+00', '2026-03-10 10:10+00', '2026-03-01 00:00+00', '{held}', 'cancelled')
            """))
        let plan = try rows.map { try $0.string("QUERY PLAN") }.joined(separator: "\n")
        XCTAssertTrue(plan.contains("appointment_reservation_staff_free"), "staff reservations through their index:\n\(plan)")
        XCTAssertTrue(plan.contains("appointment_reservation_room_free"), "room reservations through their index:\n\(plan)")
        XCTAssertFalse(plan.contains("Seq Scan on appointment_reservation"), plan)
    }
}
