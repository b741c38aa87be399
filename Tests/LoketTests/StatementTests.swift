@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Typed statements of every feature: every type names an existing statement, every statement has a type, the
/// stored properties match the statement's `$n` parameters, and all of them PREPARE on a migrated database.
final class StatementTests: XCTestCase {
    /// One value of every admin statement type (the values only matter for their count and bindability).
    static let adminSamples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            AgencyInsert(code: "x", name: "x", ticketPrefix: nil), AgencyList(includeInactive: false), AgencyGet(id: id),
            AgencyUpdate(id: id), LocationInsert(code: "x", name: "x", timeZone: "UTC"), LocationList(includeInactive: true),
            LocationGet(id: id), LocationUpdate(id: id), DeskInsert(locationID: id, name: "x"), DeskList(locationID: id, includeInactive: false),
            DeskGet(id: id), DeskUpdate(id: id),
            ServiceInsert(agencyID: id, code: "x", name: "x", ownTicketPrefix: nil, durationMinutes: 5, urgent: false, locationIDs: [],
                          lifeQuestion: nil, translations: nil, sensitive: false),
            ServiceSetLocations(id: id, locationIDs: []), ServiceUpdate(id: id), ServiceGet(id: id), ServiceList(includeInactive: false, agencyID: nil),
            StaffInsert(agencyID: id, username: "x", passwordHash: "x", displayName: "x", role: "staff", serviceIDs: []),
            StaffSetServices(id: id, serviceIDs: []), StaffUpdate(id: id), StaffEndSessions(staffID: id), StaffGet(id: id),
            StaffList(includeInactive: false, agencyID: nil),
            AuditInsert(staffID: nil, agencyID: nil, action: "x", subjectType: "x", subjectID: nil, detail: nil),
            CloseLocationDay(locationID: id, reason: nil, closedBy: nil, now: now), ReopenLocationDay(locationID: id, now: now),
            KioskInsert(locationID: id, name: "x", tokenHash: .bytes([1])), KioskDeviceValid(tokenHash: .bytes([1]), locationID: id),
        ]
    }()

    /// One value of every statement type of every feature (each feature's test file keeps its own list).
    static var allSamples: [any Statement] {
        adminSamples + SessionAndKioskStatementTests.samples + QueueStatementTests.samples + CalendarStatementSamples.samples
            + AvailabilityStatementSamples.samples
            + IdempotencyStatementSamples.samples
            + AppointmentReadStatementSamples.samples
            + OpenFormsStatementSamples.samples + AppointmentStatementSamples.samples + ICalendarStatementSamples.samples
            + OutboxStatementSamples.samples + SpeechStatementSamples.samples + HelperStatementSamples.samples + CheckInStatementSamples.samples
            + ContactStatementSamples.samples + AccessStatementSamples.samples
            + FloorStatementSamples.samples + ReportStatementSamples.samples
            + CoordinatorStatementSamples.samples
    }

    func testEveryStatementHasATypeAndEveryTypeAStatement() throws {
        XCTAssertEqual(Set(Statements.typed.map(\.file)), Set(Statements.all.map(\.file)), "every SQL file has its statement types")
        for (file, library, types) in Statements.typed {
            let names = types.map { $0.sqlName }
            XCTAssertEqual(Set(names).count, names.count, "two types for one statement of \(file).sql")
            XCTAssertEqual(Set(names), Set(library.statements.keys), "\(file).sql and its `all` list must name the same statements")
            for type in types {
                XCTAssertEqual(type.libraryName, file, "\(type)")
                XCTAssertNoThrow(try type.sql(), "\(type) names \(type.sqlName), which \(file).sql does not define")
            }
        }
        XCTAssertEqual(Set(Self.allSamples.map { "\(type(of: $0))" }), Set(Statements.typed.flatMap(\.types).map { "\($0)" }),
                       "the samples cover every type")
    }

    func testStoredPropertiesMatchTheParametersAndEverythingPrepares() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: TestPostgres.logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        for (i, sample) in Self.allSamples.enumerated() {
            let name = "\(type(of: sample))"
            XCTAssertEqual(sample.unbindableProperties, [], "\(name) has properties that cannot be bound")
            let sql = try type(of: sample).sql()
            XCTAssertNoThrow(try db.execute(SQL(unsafeUnchecked: "PREPARE typed_\(i) AS \(sql.text)")), name)
            let count = try db.query(Query("SELECT cardinality(parameter_types)::int AS n FROM pg_prepared_statements WHERE name = $1",
                                           "typed_\(i)")).first?.int("n")
            XCTAssertEqual(count, sample.bindings.count, "\(name): stored properties must be the $n parameters, in order")
        }
    }

    /// "Now" comes from the app's clock: no statement reads the database's own clock, so tests can set the time.
    func testNoStatementReadsTheDatabaseClock() {
        for (file, name, sql) in Statements.all {
            let text = sql.text.lowercased()
            for clock in ["now()", "current_timestamp", "current_date", "clock_timestamp", "localtimestamp", "transaction_timestamp"] {
                XCTAssertFalse(text.contains(clock), "\(file).\(name) reads the database clock (\(clock))")
            }
        }
    }

    struct Ghost: AdminStatement {
        static let sqlName = "no_such_statement"
    }

    func testMissingStatementThrowsATypedErrorInsteadOfTrapping() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        XCTAssertThrowsError(try db.run(Ghost())) { error in
            guard case StatementError.missing(let library, let name) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(library, "admin")
            XCTAssertEqual(name, "no_such_statement")
        }
        // And the route framework turns it into a generic 500, like any unexpected error.
        XCTAssertNil(ErrorMapping.problem(for: StatementError.missing(library: "admin", name: "x")))
        // The old subscript of unconverted code no longer traps either: PostgreSQL refuses the stand-in SQL.
        XCTAssertThrowsError(try db.query(Query(Statements.admin["no_such_statement"]))) { error in
            XCTAssertEqual((error as? PostgresError)?.sqlState, "42703")
            XCTAssertTrue("\(error)".contains("missing_sql_statement_no_such_statement"), "\(error)")
            XCTAssertNil(ErrorMapping.problem(for: error), "a 500, logged")
        }
    }

    struct Sample: Decodable, Sendable {
        let s: String
        let n: Int
        let b: Bool
        let o: String?
        let arr: [String]
        let d: Double
    }

    func testRowsDecodeIntoStructsByColumnName() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let row = try db.query(Query("SELECT 'a' AS s, 2 AS n, true AS b, NULL::text AS o, ARRAY['x', 'y \"z\"'] AS arr, 1.5::float8 AS d")).first!
        let sample = try RowDecoder.decode(Sample.self, from: row)
        XCTAssertEqual(sample.s, "a")
        XCTAssertEqual(sample.n, 2)
        XCTAssertTrue(sample.b)
        XCTAssertNil(sample.o)
        XCTAssertEqual(sample.arr, ["x", "y \"z\""])
        XCTAssertEqual(sample.d, 1.5)
        let missing = try db.query(Query("SELECT 'a' AS s")).first!
        XCTAssertThrowsError(try RowDecoder.decode(Sample.self, from: missing), "a missing column is an error, not a default")
    }

    struct OptionalSample: Decodable, Sendable {
        let i: Int?, j: Int?, d: Double?, b: Bool?, c: Bool?, s: String?, t: String?, absent: String?
    }
    struct BadOptionalInt: Decodable, Sendable { let i: Int? }

    /// Optional columns decode in one lookup each (RowDecoder's own decodeIfPresent): values, NULLs and a missing
    /// column come out as with the protocol's defaults, and a value of the wrong kind is still an error.
    func testOptionalColumnsDecodeValuesNullsAndMissingColumns() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let row = try db.query(Query("""
            SELECT 3 AS i, NULL::int AS j, 2.5::float8 AS d, false AS b, NULL::bool AS c, 'x' AS s, NULL::text AS t
            """)).first!
        let o = try RowDecoder.decode(OptionalSample.self, from: row)
        XCTAssertEqual(o.i, 3)
        XCTAssertNil(o.j)
        XCTAssertEqual(o.d, 2.5)
        XCTAssertEqual(o.b, false)
        XCTAssertNil(o.c)
        XCTAssertEqual(o.s, "x")
        XCTAssertNil(o.t)
        XCTAssertNil(o.absent)
        let bad = try db.query(Query("SELECT 'x' AS i")).first!
        XCTAssertThrowsError(try RowDecoder.decode(BadOptionalInt.self, from: bad), "text is not an integer")
    }

    func testBindingsFollowDeclarationOrder() throws {
        let b = ServiceUpdate(id: "i", name: "n", ownTicketPrefix: nil, active: false, useAgencyPrefix: true).bindings
        XCTAssertEqual(b, [.text("i"), .text("n"), .null, .null, .null, .null, .null, .text("f"), .text("t"), .null])
    }
}
