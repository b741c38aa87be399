import API
import Foundation
import Postgres
import Queue
import TestSupport
import Time
import XCTest

/// The database calls and lists waiting tickets in exactly the Queue module's order (`QueueOrder.sorted` by
/// `QueueKey`): checked on many random tickets, and on the SQL text itself.
final class QueueOrderDatabaseTests: XCTestCase {
    /// A small seeded generator (SplitMix64), so a failing run can be repeated from the seed in its messages.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct Waiting { let id: String; let key: QueueKey }

    /// Random priorities, due times (many equal, appointments due later than arrival), numbers of several prefixes
    /// across 999 → 1000 (and from 001), and real handovers from another agency's service: the database's call-next
    /// sequence and its paged queue view both equal `QueueOrder.sorted` of the same tickets.
    func testDatabaseOrderEqualsQueueOrderOnRandomTickets() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SeededGenerator(state: seed)
        // The app's clock stands in the middle of the tickets' due times: some appointment tickets are not due yet.
        let base: Int64 = 1_790_000_000_000_000  // whole seconds, microseconds since the epoch
        let clock = ManualClock(Instant(microseconds: base + 6 * 60_000_000))
        let t = try TestApp { $0.runJobs = false; $0.clock = clock }
        defer { t.tearDown() }
        let w = try World.make(t)
        let db = try t.connection()

        // One staff member of agency A serving three services with prefixes U, N (urgent by nature) and A.
        let serviceX = try t.admin.post("/api/v1/services", json: ["agencyId": w.agencyA, "code": "toeslag", "name": "Toeslagen",
                                                                   "ticketPrefix": "A", "durationMinutes": 10, "urgent": false,
                                                                   "locationIds": [w.locationID], "lifeQuestion": "money"])
        XCTAssertEqual(serviceX.status, 201, serviceX.text)
        let sX = serviceX.object["id"] as! String
        let mine = [w.serviceA, w.urgentA, sX]
        XCTAssertEqual(try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "olga", "password": "long enough password",
                                                                 "displayName": "Olga", "role": "staff", "serviceIds": mine]).status, 201)
        let olga = try World.login(t, "olga", password: "long enough password")
        let olgaID = try XCTUnwrap(db.query(Query("SELECT id::text AS id FROM staff WHERE username = 'olga'")).first?.string("id"))

        // Numbers: a prefix's sequence is the day's counter, so each prefix counts up; U and N cross 999 → 1000.
        var nextSequence = ["A": 1, "N": 990, "U": 960, "S": 995]
        func drawNumber() -> String {
            let prefix = ["A", "N", "U", "S"].randomElement(using: &rng)!
            let sequence = nextSequence[prefix]!
            nextSequence[prefix] = sequence + 1
            return try! TicketNumber(prefix: prefix, sequence: sequence).text
        }
        var dueByNumber: [String: Int64] = [:]
        // Who each ticket is offered to first (a colleague "x" of olga's, or olga herself), and until when.
        var offers: [String: (to: String, until: Int64)] = [:]
        let colleague = w.staffAID
        func insert(service: String) throws {
            let priority = [TicketPriority.normal, .normal, .normal, .appointment, .urgent].randomElement(using: &rng)!
            // Few distinct minutes, so many tickets are due at the very same microsecond. Walk-ins arrived before now
            // (minute 6); appointment tickets are due around it, some not yet (an early arrival's start − lead).
            let arrived = base + Int64.random(in: 0..<6, using: &rng) * 60_000_000
            let due = priority == .appointment ? base + Int64.random(in: 0..<12, using: &rng) * 60_000_000 + 1 : arrived
            let number = drawNumber()
            dueByNumber[number] = due
            // Some tickets are offered first to olga or to a colleague, until a minute before or after now.
            var offer: (to: String, until: Int64)?
            if mine.contains(service) && Int.random(in: 0..<5, using: &rng) == 0 {
                offer = ([colleague, "OLGA"].randomElement(using: &rng)!, base + Int64.random(in: 4..<9, using: &rng) * 60_000_000)
                offers[number] = offer
            }
            try db.query(Query("""
                INSERT INTO ticket (location_id, service_day, number, service_id, priority, arrived_at, queued_at, due_at,
                                    offered_to, offered_until)
                VALUES ($1, (now() AT TIME ZONE 'Europe/Amsterdam')::date, $2, $3, $4, 'epoch'::timestamptz + $5::bigint * interval '1 microsecond',
                        'epoch'::timestamptz + $5::bigint * interval '1 microsecond', 'epoch'::timestamptz + $6::bigint * interval '1 microsecond',
                        CASE WHEN $7::text IS NULL THEN NULL
                             ELSE ARRAY[(CASE $7::text WHEN 'OLGA' THEN (SELECT id FROM staff WHERE username = 'olga') ELSE $7::uuid END)] END,
                        CASE WHEN $7::text IS NULL THEN NULL ELSE 'epoch'::timestamptz + $8::bigint * interval '1 microsecond' END)
                """, w.locationID, number, service, priority.rawValue, arrived, due, offer?.to, offer?.until ?? 0))
        }
        for _ in 0..<110 { try insert(service: mine.randomElement(using: &rng)!) }
        for _ in 0..<25 { try insert(service: w.serviceB) }

        // Agency B calls some of its visitors and hands them over to one of our services, sometimes marking them
        // urgent or normal: they join our line at their first due time, not at the back.
        for _ in 0..<12 {
            let called = try w.staffB.post("/api/v1/desks/\(w.desks[1])/call-next")
            XCTAssertEqual(called.status, 200, called.text)
            var body: [String: Any] = ["serviceId": mine.randomElement(using: &rng)!]
            if let urgent = [true, false, nil].randomElement(using: &rng)! { body["urgent"] = urgent }
            let handed = try w.staffB.post("/api/v1/tickets/\(called.object["id"] as! String)/handover", json: body)
            XCTAssertEqual(handed.status, 200, handed.text)
        }

        // The same tickets as the database holds them, in the Queue module's order.
        var entries: [String: QueueEntry] = [:]
        var waiting: [Waiting] = []
        for row in try db.query(Query("""
            SELECT id::text, number, priority, (extract(epoch FROM due_at) * 1000000)::bigint AS due FROM ticket
            WHERE location_id = $1 AND status = 'waiting' AND service_id = ANY ($2::uuid[])
            """, w.locationID, mine)) {
            let number = try row.string("number")
            let due = Int64(try row.int("due"))
            XCTAssertEqual(due, dueByNumber[number], "\(number) kept its due time (seed \(seed))")
            let key = QueueKey(priority: TicketPriority(rawValue: try row.string("priority"))!, dueAt: due, number: TicketNumber(parsing: number)!)
            waiting.append(Waiting(id: try row.string("id"), key: key))
            let offer = offers[number]
            entries[try row.string("id")] = QueueEntry(key: key, offeredTo: offer.map { [$0.to == "OLGA" ? olgaID : $0.to] } ?? [],
                                                       offeredUntil: offer?.until)
        }
        waiting.shuffle(using: &rng)
        let expected = QueueOrder.sorted(waiting, key: \.key)
        XCTAssertEqual(expected.count, 122, "110 of ours and 12 handed over (seed \(seed))")
        XCTAssertEqual(Set(expected.map(\.key)).count, expected.count, "keys are unique, so the order is total")

        // The queue view, page by page with a random page size.
        let limit = Int.random(in: 1...17, using: &rng)
        var paged: [String] = []
        var after: String?
        var pages = 0
        repeat {
            let path = "/api/v1/locations/\(w.locationID)/queue?limit=\(limit)" + (after.map { "&after=\($0)" } ?? "")
            let page = try olga.get(path)
            XCTAssertEqual(page.status, 200, page.text)
            XCTAssertEqual(page.object["total"] as? Int, expected.count)
            let items = page.object["items"] as! [[String: Any]]
            XCTAssertLessThanOrEqual(items.count, limit)
            paged += items.map { $0["id"] as! String }
            after = page.object["next"] as? String
            pages += 1
        } while after != nil && pages < 200
        XCTAssertEqual(paged.count, expected.count, "seed \(seed), limit \(limit)")
        XCTAssertEqual(paged, expected.map(\.id), "queue view order (seed \(seed), limit \(limit))")
        let firstPage = try olga.get("/api/v1/locations/\(w.locationID)/queue").object["items"] as! [[String: Any]]
        XCTAssertEqual(firstPage.map { $0["id"] as! String }, Array(expected.prefix(50).map(\.id)), "default page of 50")

        // Call-next takes them in the same order, passing over what olga may not call yet (QueueOrder.next): first at
        // minute 6 (some appointments not due, some tickets offered to the colleague), then at minute 12, when every
        // ticket is due and every offer has ended.
        var calls: [String] = []
        var simulated: [String] = []
        var left = waiting
        var calledAtSix = 0
        for minute: Int64 in [6, 12] {
            let now = base + minute * 60_000_000
            clock.set(Instant(microseconds: now))
            while let next = QueueOrder.next(left, for: olgaID, at: now, entry: { entries[$0.id]! }) {
                simulated.append(next.id)
                left.removeAll { $0.id == next.id }
            }
            while calls.count <= expected.count {
                let r = try olga.post("/api/v1/desks/\(w.desks[0])/call-next")
                if r.status == 204 { break }
                XCTAssertEqual(r.status, 200, r.text)
                let id = r.object["id"] as! String
                calls.append(id)
                XCTAssertEqual(try olga.post("/api/v1/tickets/\(id)/finish").status, 200)
            }
            XCTAssertEqual(calls, simulated, "call-next order until minute \(minute) (seed \(seed))")
            if minute == 6 { calledAtSix = calls.count }
        }
        XCTAssertEqual(Set(calls), Set(expected.map(\.id)), "everyone called in the end (seed \(seed))")
        XCTAssertLessThan(calledAtSix, expected.count, "some tickets could not be called yet at minute 6 (seed \(seed))")
    }

    /// Every ORDER BY and row comparison of the call order in the SQL, and its index, use exactly `QueueKey`'s
    /// columns (a prefix of them where only the first fields matter), so the order has one definition.
    func testSQLUsesExactlyTheQueueKeyColumns() throws {
        let pattern = try NSRegularExpression(pattern: #"(ORDER BY|\()\s*((?:\w+\.)?priority_rank(?:\s*,\s*(?:\w+\.)?\w+)*)"#)
        var found = 0
        for (name, sql) in Statements.tickets.statements.merging(Statements.checkIns.statements, uniquingKeysWith: { a, _ in a }) {
            let text = sql.text
            XCTAssertFalse(text.contains("length(number)") || text.contains("length(t.number)"), "\(name) orders by the old key")
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let list = String(text[Range(match.range(at: 2), in: text)!])
                let columns = list.split(separator: ",").map { part -> String in
                    let trimmed = part.trimmingCharacters(in: .whitespacesAndNewlines)
                    return String(trimmed.split(separator: ".").last!)
                }
                XCTAssertGreaterThanOrEqual(columns.count, 2, "\(name): \(list)")
                XCTAssertEqual(columns, Array(QueueKey.databaseColumns.prefix(columns.count)), "\(name): \(list)")
                found += 1
            }
        }
        XCTAssertGreaterThanOrEqual(found, 6, "take_number, ticket_public, call_next, queue_for_staff (page, cursor, result)")
        let migration = try String(contentsOfFile: TestApp.repositoryRoot + "/Migrations/sql/0003_queue_due_time.sql", encoding: .utf8)
        XCTAssertTrue(migration.contains("ticket_call_order ON ticket (location_id, \(QueueKey.databaseColumns.joined(separator: ", ")))"),
                      "the call-order index holds the key in order")
    }

    /// The ranks are the Queue module's (`TicketPriority.rank`); the database derives `priority_rank` from the
    /// priority in a generated column and take_number ranks a new ticket the same way. Both must say what Swift says.
    func testDatabaseRanksArePriorityRanks() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: TestPostgres.logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        // The generated column's expression, evaluated for every priority the Queue module knows.
        let expression = try XCTUnwrap(db.query(Query("""
            SELECT pg_get_expr(d.adbin, d.adrelid) AS e FROM pg_attrdef d
            JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
            WHERE d.adrelid = 'ticket'::regclass AND a.attname = 'priority_rank'
            """)).first?.string("e"))
        for priority in TicketPriority.allCases {
            let rank = try db.query(Query(SQL(unsafeUnchecked: "SELECT (\(expression.replacingOccurrences(of: "priority", with: "$1::text")))::int AS r"),
                                          priority.rawValue)).first?.int("r")
            XCTAssertEqual(rank, Int(priority.rank), "priority_rank of \(priority.rawValue)")
        }
        // take_number ranks the new ticket (for its position) with literal ranks: they must be the same numbers.
        let take = try XCTUnwrap(Statements.tickets.statements["take_number"]).text
        XCTAssertTrue(take.contains("WHEN open.priority = 'urgent' THEN \(TicketPriority.urgent.rank) ELSE \(TicketPriority.normal.rank) END"),
                      "take_number's ranks for a new ticket")
        let checkIn = try XCTUnwrap(Statements.checkIns.statements["check_in_take"]).text
        XCTAssertTrue(checkIn.contains("CASE t.priority WHEN 'urgent' THEN \(TicketPriority.urgent.rank) WHEN 'appointment' THEN "
                                       + "\(TicketPriority.appointment.rank) ELSE \(TicketPriority.normal.rank) END"),
                      "check_in_take's ranks for its position")
    }
}
