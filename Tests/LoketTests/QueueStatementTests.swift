@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Typed statements of the walk-in queue (tickets.sql, events.sql), checked like the administration's in
/// StatementTests: one type per statement, parameter counts that match, everything PREPAREs on a migrated database.
final class QueueStatementTests: XCTestCase {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            TakeNumber(locationID: id, serviceID: id, priority: nil, language: "nl", createdBy: nil, now: now),
            TicketPublic(ticketID: id, now: now),
            CallNext(deskID: id, staffID: id, now: now, sources: ["waiting"], target: "called"),
            DeskCurrent(deskID: id, staffID: id),
            TicketAct(ticketID: id, staffID: id, action: "recall", sources: ["called"], target: "called", outcome: nil,
                      eventKind: "ticket.recalled", now: now),
            TicketHolder(ticketID: id),
            TicketHandover(ticketID: id, staffID: id, serviceID: id, note: nil, urgent: nil, sources: ["serving"], target: "waiting", now: now),
            QueueForStaff(locationID: id, staffID: id, agencyID: id, now: now, afterRank: -1, afterDueAt: now, afterPrefix: "",
                          afterSequence: 0, limit: 51),
            LocationExists(locationID: id),
            CloseStaleTickets(now: now, sources: ["waiting"], targets: ["noShow"]),
            EventsAfter(tx: "0", id: 0), EventsHead(),
            EventsReplay(locationID: id, fromTx: "0", fromID: 0, toTx: "1", toID: 1),
            WaitingTotals(locationIDs: [id]), RecentCalls(locationID: id, now: now), PurgeEvents(now: now),
        ]
    }()

    func testEveryQueueStatementHasATypeAndEveryTypeAStatement() throws {
        for (file, library, types) in [("tickets", Statements.tickets, TicketStatements.all), ("events", Statements.events, EventStatements.all)] {
            let names = types.map { $0.sqlName }
            XCTAssertEqual(Set(names).count, names.count, "two types for one statement of \(file).sql")
            XCTAssertEqual(Set(names), Set(library.statements.keys), "\(file).sql and its `all` must list the same statements")
            for type in types {
                XCTAssertNoThrow(try type.sql(), "\(type) names \(type.sqlName), which \(file).sql does not define")
                XCTAssertEqual(type.libraryName, file)
            }
        }
        XCTAssertEqual(Set(Self.samples.map { "\(type(of: $0))" }),
                       Set((TicketStatements.all + EventStatements.all).map { "\($0)" }), "the samples cover every type")
    }

    func testStoredPropertiesMatchTheParametersAndEverythingPrepares() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: TestPostgres.logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        for (i, sample) in Self.samples.enumerated() {
            let name = "\(type(of: sample))"
            XCTAssertEqual(sample.unbindableProperties, [], "\(name) has properties that cannot be bound")
            let sql = try type(of: sample).sql()
            XCTAssertNoThrow(try db.execute(SQL(unsafeUnchecked: "PREPARE queue_typed_\(i) AS \(sql.text)")), name)
            let count = try db.query(Query("SELECT cardinality(parameter_types)::int AS n FROM pg_prepared_statements WHERE name = $1",
                                           "queue_typed_\(i)")).first?.int("n")
            XCTAssertEqual(count, sample.bindings.count, "\(name): stored properties must be the $n parameters, in order")
        }
    }

    /// "Now" comes from the app's clock: no queue or event statement reads the database's own clock.
    func testNoQueueStatementReadsTheDatabaseClock() {
        for library in [Statements.tickets, Statements.events] {
            for (name, sql) in library.statements {
                let text = sql.text.lowercased()
                XCTAssertFalse(text.contains("now()") || text.contains("current_timestamp") || text.contains("clock_timestamp"),
                               "\(name) reads the database clock")
            }
        }
    }

    /// The statements run and their rows decode: an empty database answers through every row type.
    func testRowsDecodeOnAnEmptyDatabase() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: TestPostgres.logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 1_800_000_000_000_000)
        let taken = try XCTUnwrap(db.first(TakeNumber(locationID: id, serviceID: id, priority: nil, language: "nl", createdBy: nil, now: now)))
        XCTAssertEqual(taken.locationFound, 0)
        XCTAssertNil(taken.id)
        let call = try XCTUnwrap(db.first(CallNext(deskID: id, staffID: id, now: now, sources: ["waiting"], target: "called")))
        XCTAssertEqual(call.deskFound, 0)
        let page = try db.all(QueueForStaff(locationID: id, staffID: id, agencyID: id, now: now, afterRank: -1,
                                            afterDueAt: Instant(microseconds: 0), afterPrefix: "", afterSequence: 0, limit: 2))
        XCTAssertEqual(page.map(\.total), [0])
        XCTAssertEqual(try db.first(EventsHead())?.txText, "0")
        XCTAssertEqual(try db.first(CloseStaleTickets(now: now, sources: ["waiting"], targets: ["noShow"]))?.n, 0)
    }
}
