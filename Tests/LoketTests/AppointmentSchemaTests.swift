import API
import Foundation
import Postgres
import Scheduling
import TestSupport
import XCTest

/// The appointment tables say what Scheduling's state machine says: the statuses the CHECK accepts, and the statuses
/// whose reservations the exclusion constraints guard (`AppointmentStatus.reservesResources`).
final class AppointmentSchemaTests: XCTestCase {
    func testDatabaseStatusesAreTheStateMachines() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: TestPostgres.logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        func definition(_ name: String) throws -> String {
            try XCTUnwrap(db.query(Query("SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = $1", name))
                .first?.string("d"), name)
        }
        func quoted(_ definition: String) -> Set<String> {
            let regex = try! NSRegularExpression(pattern: "'([A-Za-z]+)'")
            let range = NSRange(definition.startIndex..., in: definition)
            return Set(regex.matches(in: definition, range: range).map { String(definition[Range($0.range(at: 1), in: definition)!]) })
        }
        XCTAssertEqual(quoted(try definition("appointment_status_check")), Set(AppointmentStatus.allCases.map(\.rawValue)))
        let live = Set(AppointmentStatus.allCases.filter(\.reservesResources).map(\.rawValue))
        for name in ["appointment_reservation_staff_free", "appointment_reservation_room_free"] {
            let d = try definition(name)
            XCTAssertTrue(d.hasPrefix("EXCLUDE USING gist"), d)
            XCTAssertEqual(quoted(d), live, name)
        }
    }
}
