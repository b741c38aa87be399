@testable import API
import Foundation
import EmbeddedPostgres
import Postgres
import TestSupport
import XCTest

/// Event order when transaction ids gain a digit (9,999 → 10,000 and 99,999 → 100,000). Events are positioned by
/// their writing transaction's id (`xid8`); compared as text, 99999 sorts after 100000. In production that repeated
/// live numbers, replayed `Last-Event-ID: 0-0` out of order and made a restarted process start relaying from an old
/// position.
final class EventHubXidBoundaryTests: XCTestCase {
    /// Takes numbers whose transactions straddle each boundary and checks the live stream, a replay from the start
    /// and the head a restarted process begins at.
    func testEventsStayInOrderWhenTransactionIdsGainADigit() throws {
        // A cluster of this test's own: its transaction counter starts below 10,000 (a fresh initdb is at ~750) and
        // only ever goes up, so the shared test server (long past 100,000) cannot be used.
        let folder = "/tmp/loket-xid-test-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        let cluster = EmbeddedCluster(dataDirectory: folder, logger: TestPostgres.logger, port: Int.random(in: 20_000...60_000))
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let url = try cluster.start()
        let burner = try Connection(conninfo: url)
        defer { burner.close() }
        // Transaction ids are used up by many tiny committed transactions (≈ 1.5 s for 100,000 here); nothing needs
        // them durable.
        try burner.execute("SET synchronous_commit = off")
        try burner.execute("""
            CREATE PROCEDURE test_use_up_xids_until(next_xid bigint) LANGUAGE plpgsql AS $$
            BEGIN
                WHILE pg_snapshot_xmax(pg_current_snapshot())::text::bigint < next_xid LOOP
                    PERFORM pg_current_xact_id();
                    COMMIT;
                END LOOP;
            END $$
            """)

        var app = try TestApp(databaseURL: url) { $0.runJobs = false }
        defer { app.stop() }  // whichever process is running at the end
        let w = try World.make(app, desks: 1)
        let path = "/api/v1/locations/\(w.locationID)/events"
        let live = try SSEClient(port: app.app.port, path: path)
        XCTAssertNotNil(live.next("queue.changed"), "connected")

        var taken: [String] = []
        for boundary in [10_000, 100_000] {
            let before = try nextXid(burner)
            XCTAssertLessThan(before, boundary - 20, "the counter is still below the boundary")
            try burner.query(Query("CALL test_use_up_xids_until($1)", boundary - 5))
            // An older transaction still running holds every later event back (readers stop at pg_snapshot_xmin), so
            // the relay then gets the events on both sides of the boundary in one batch, as under load.
            let older = try Connection(conninfo: url)
            defer { older.close() }
            try older.execute("BEGIN")
            try older.query(Query("SELECT pg_current_xact_id()"))
            var numbers: [String] = []
            for _ in 0..<10 { numbers.append(try w.take(app, w.serviceA)["number"] as! String) }
            try older.execute("COMMIT")
            taken += numbers

            let sides = try burner.query(Query("""
                SELECT count(*) FILTER (WHERE e.tx < $1::xid8)::int AS below, count(*) FILTER (WHERE e.tx >= $1::xid8)::int AS above
                FROM event e JOIN ticket t ON t.number = e.payload->>'number'
                WHERE e.type = 'ticket.created' AND t.number = ANY ($2::text[])
                """, String(boundary), numbers)).first!
            XCTAssertGreaterThan(try sides.int("below"), 0, "events below \(boundary)")
            XCTAssertGreaterThan(try sides.int("above"), 0, "events from \(boundary) on")

            let received = try createdEvents(live, count: numbers.count)
            XCTAssertEqual(received.map(\.number), numbers, "live events around \(boundary): each once, in order")
            assertIncreasing(received.map(\.cursor), "live ids around \(boundary)")
            // Nothing repeated after the batch either.
            XCTAssertNil(nextCreated(live, timeout: 1.5), "no event is relayed twice")
        }

        // A display that was away since the beginning gets everything again, in order.
        let replay = try SSEClient(port: app.app.port, path: path, lastEventID: "0-0")
        let replayed = try createdEvents(replay, count: taken.count)
        XCTAssertEqual(replayed.map(\.number), taken, "replay from Last-Event-ID 0-0 in the order the numbers were taken")
        assertIncreasing(replayed.map(\.cursor), "replayed ids")
        replay.close()
        live.close()

        // After a restart, relaying starts at the true newest event: a display that connects then gets only new events.
        app.stop()
        app = try TestApp(databaseURL: url) { $0.runJobs = false }
        let newest = try burner.query(Query("""
            SELECT e.tx::text AS tx_text, e.id FROM event e ORDER BY e.tx DESC, e.id DESC LIMIT 1
            """)).first!
        let expectedHead = try EventCursor(txText: newest.string("tx_text"), id: newest.int("id"))
        XCTAssertGreaterThanOrEqual(expectedHead.tx, 100_000)
        XCTAssertEqual(try EventHub.head(burner), expectedHead, "the head is the numerically newest event")
        let fresh = try SSEClient(port: app.app.port, path: path)
        XCTAssertNotNil(fresh.next("queue.changed"), "connected")
        let next = try w.take(app, w.serviceA)["number"] as! String
        XCTAssertEqual(nextCreated(fresh, timeout: 10)?.number, next, "the first live event after a restart is the new one")
        XCTAssertNil(nextCreated(fresh, timeout: 1.5), "and no old event follows as live")
    }

    private struct Created {
        let number: String
        let cursor: EventCursor
    }

    private func nextXid(_ db: Connection) throws -> Int {
        try db.query(Query("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS n")).first!.int("n")
    }

    private func nextCreated(_ stream: SSEClient, timeout: Double) -> Created? {
        guard let e = stream.next("ticket.created", timeout: timeout), let number = e.json["number"] as? String,
              let id = e.id, let cursor = EventCursor(id) else { return nil }
        return Created(number: number, cursor: cursor)
    }

    private func createdEvents(_ stream: SSEClient, count: Int) throws -> [Created] {
        var out: [Created] = []
        while out.count < count, let e = nextCreated(stream, timeout: 10) { out.append(e) }
        return out
    }

    private func assertIncreasing(_ cursors: [EventCursor], _ what: String, line: UInt = #line) {
        for (a, b) in zip(cursors, cursors.dropFirst()) {
            XCTAssertLessThan(a, b, "\(what): \(a) before \(b)", line: line)
        }
    }
}
