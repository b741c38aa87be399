@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Typed statements of the walk-in queue (tickets.sql, events.sql): their samples for StatementTests, and that their
/// rows decode and their times follow the app clock.
final class QueueStatementTests: XCTestCase {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            TakeNumber(locationID: id, serviceID: id, priority: nil, language: "nl", createdBy: nil, now: now),
            WaitInputs(serviceID: id, now: now),
            TicketPublic(ticketID: id, now: now),
            CallNext(deskID: id, staffID: id, now: now, sources: ["waiting"], target: "called"),
            DeskCurrent(deskID: id, staffID: id),
            TicketAct(ticketID: id, staffID: id, action: "recall", sources: ["called"], target: "called", outcome: nil,
                      eventKind: "ticket.recalled", now: now),
            TicketHolder(ticketID: id), TicketExists(ticketID: id),
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

    /// TakeNumber writes its bindings out (the hot path skips reflection): they must stay the stored properties in
    /// declaration order, which is what the `$n` of take_number follow, with every value distinct so a swap shows.
    func testTakeNumberBindingsAreItsPropertiesInOrder() {
        let s = TakeNumber(locationID: "loc", serviceID: "svc", priority: "urgent", language: "en", createdBy: "staff",
                           now: Instant(microseconds: 1_800_000_000_000_000), countAtMost: 7)
        let reflected = Mirror(reflecting: s).children.map { ($0.value as? any PostgresEncodable)?.postgresValue ?? .null }
        XCTAssertEqual(reflected.count, 7)
        XCTAssertEqual(s.bindings, reflected)
        let anonymous = TakeNumber(locationID: "loc", serviceID: nil, priority: nil, language: "nl", createdBy: nil,
                                   now: Instant(microseconds: 0))
        XCTAssertEqual(anonymous.bindings[1], .null)
        XCTAssertEqual(anonymous.bindings[4], .null)
        XCTAssertEqual(anonymous.bindings[6], TakeNumber.positionLimit.postgresValue)
    }

    /// take_number settles on PostgreSQL's generic plan like any prepared statement, instead of being planned again
    /// on every take: written-out sub-queries whose generic estimates are far above their custom ones (the
    /// 30-minute range over service_record) once made PostgreSQL keep custom plans forever, which cost more than the
    /// statement's work (found by the HTTP benchmark, not by pgbench, which forces generic plans).
    func testTakeNumberReachesTheGenericPlan() throws {
        let t = try TestApp { $0.runJobs = false }
        defer { t.tearDown() }
        let w = try World.make(t, desks: 1)
        let first = try w.take(t, w.serviceA)
        let db = try t.connection()
        defer { db.close() }
        // A history the size of a working installation: 5,000 finished services over the last 60 days.
        try db.query(Query("""
            INSERT INTO service_record (ticket_id, service_id, desk_id, staff_id, called_at, started_at, ended_at, result)
            SELECT $1, $2, $3, $4, e - interval '10 minutes', e - interval '9 minutes', e, 'done'
            FROM (SELECT now() - i * interval '17 minutes' AS e FROM generate_series(1, 5000) AS i) AS h
            """, first["id"] as! String, w.serviceA, w.desks[0], w.staffAID))
        try db.execute(SQL(unsafeUnchecked: "ANALYZE"))
        for _ in 0..<8 {
            let row = try XCTUnwrap(db.first(TakeNumber(locationID: w.locationID, serviceID: w.serviceA, priority: nil,
                                                        language: "nl", createdBy: nil, now: t.app.configuration.clock.now())))
            XCTAssertNotNil(row.id)
        }
        let plans = try XCTUnwrap(db.query(Query("""
            SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements
            WHERE statement LIKE '%INSERT INTO ticket_counter%'
            """)).first)
        let custom = try plans.int("custom")
        XCTAssertGreaterThan(try plans.int("generic"), 0, "custom plans only: planned on every take (\(custom) custom)")
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

    /// Today's calls and the purge of old events go by the app's clock, like the tickets themselves: a display of a
    /// day the clock says is over shows none of its calls, and events leave three days after their (app) time.
    func testRecentCallsAndEventPurgeFollowTheAppClock() throws {
        let clock = ManualClock(Instant(rfc3339: "2026-03-29T10:00:00Z")!)
        let t = try TestApp { $0.clock = clock; $0.runJobs = false }
        defer { t.tearDown() }
        let w = try World.make(t, desks: 1)
        let number = try w.take(t, w.serviceA)["number"] as! String
        let called = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        XCTAssertEqual(called.status, 200)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(called.object["id"] as! String)/recall").status, 200)
        let calls = try t.client.get("/api/v1/locations/\(w.locationID)/calls")
        XCTAssertEqual(calls.status, 200)
        // A number, as documented: a JSON round trip of the payload once turned 1 into true.
        XCTAssertTrue(calls.text.contains("\"recallCount\":1"), calls.text)
        let today = (calls.object["calls"] as? [[String: Any]])?.compactMap { $0["number"] as? String }
        XCTAssertEqual(today, [number], "the call of the clock's today")
        XCTAssertEqual((calls.object["calls"] as? [[String: Any]])?.first?["calledAt"] as? String, "2026-03-29T12:00:00+02:00")

        clock.advance(seconds: 86_400)
        let tomorrow = try t.client.get("/api/v1/locations/\(w.locationID)/calls")
        XCTAssertEqual((tomorrow.object["calls"] as? [[String: Any]])?.count, 0, "yesterday's calls are not today's")

        let db = try t.connection()
        defer { db.close() }
        let count = { try db.query(Query("SELECT count(*)::int AS n FROM event WHERE location_id = $1", w.locationID)).first!.int("n") }
        XCTAssertEqual(try count(), 3, "ticket.created, ticket.called and ticket.recalled")
        // Day end closes the called ticket of the day before (one more event, at the clock's time); nothing is purged.
        t.app.runJobsOnce()
        XCTAssertEqual(try count(), 4, "one day old: kept, plus day end's ticket.finished")
        clock.advance(seconds: 3 * 86_400 + 1)
        t.app.runJobsOnce()
        XCTAssertEqual(try count(), 0, "older than three days by the app's clock: purged")
    }
}
