@testable import API
import Foundation
import Migrations
import Postgres
import TestSupport
import Time
import XCTest

/// Reports from the anonymous visit records, and the retention purge that must leave them unchanged. A day of history
/// over HTTP at fixed clock times (Tuesday 2026-03-10 in Amsterdam, UTC+1): walk-ins finished with outcome categories,
/// a handover from agency A (UWV) to B (SVB) with a note, a no-show, an urgent visitor, and appointments inserted in SQL
/// (one no-show without a ticket, one hold that expired).
final class ReportTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-10T09:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp {
            $0.clock = clock
            $0.runJobs = false
        }
        w = try World.make(t, desks: 2)
    }
    override func tearDown() { t.tearDown() }

    func at(_ time: String, day: String = "2026-03-10") { clock.set(Instant(rfc3339: "\(day)T\(time)Z")!) }

    func call(_ staff: HTTPClient, desk: Int) throws -> String {
        let r = try staff.post("/api/v1/desks/\(w.desks[desk])/call-next")
        XCTAssertEqual(r.status, 200, r.text)
        return r.object["id"] as? String ?? ""
    }

    func coordinator() throws -> HTTPClient {
        let r = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "cora", "password": "correct horse battery",
                                                         "displayName": "Cora", "role": "coordinator", "serviceIds": [String]()])
        XCTAssertEqual(r.status, 201, r.text)
        return try World.login(t, "cora")
    }

    /// Builds the day's history; returns the appointment type.
    func buildHistory() throws {
        // 09:00 three walk-ins for A (one urgent), one for B.
        at("09:00:00")
        try w.take(t, w.serviceA)
        try w.take(t, w.urgentA)
        try w.take(t, w.serviceA)
        try w.take(t, w.serviceB)
        // 09:05 the urgent one first: served 10 minutes, outcome recorded.
        at("09:05:00")
        let urgent = try call(w.staffA, desk: 0)
        at("09:15:00")
        var r = try w.staffA.post("/api/v1/tickets/\(urgent)/finish",
                                  json: ["outcome": "Jan de Vries, BSN besproken", "outcomeCategories": ["topic-benefits", "layer-national", "help-filled-in"]])
        XCTAssertEqual(r.status, 200, r.text)
        // 09:20 the next is handed over to B with a note, and served there.
        at("09:20:00")
        let handed = try call(w.staffA, desk: 0)
        r = try w.staffA.post("/api/v1/tickets/\(handed)/handover", json: ["serviceId": w.serviceB, "note": "Mevrouw Jansen, AOW-gat"])
        XCTAssertEqual(r.status, 200, r.text)
        at("09:30:00")
        let b1 = try call(w.staffB, desk: 1)
        at("09:40:00")
        XCTAssertEqual(try w.staffB.post("/api/v1/tickets/\(b1)/finish", json: ["outcomeCategories": ["help-referred"]]).status, 200)
        // The third walk-in for A does not come.
        at("09:45:00")
        let gone = try call(w.staffA, desk: 0)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(gone)/no-show").status, 200)
        let b2 = try call(w.staffB, desk: 1)
        at("09:50:00")
        XCTAssertEqual(try w.staffB.post("/api/v1/tickets/\(b2)/finish").status, 200)

        // Appointments: one booked for 11:00 with B, marked no-show (no ticket); one hold that expired (not a visit).
        let type = try sql("INSERT INTO appointment_type (code, name, duration_minutes) VALUES ('aow-gesprek', 'AOW-gesprek', 30) RETURNING id::text AS id")
            .first!.string("id")
        try sql("INSERT INTO appointment_type_requirement (appointment_type_id, position, service_id) VALUES ($1, 0, $2)", type, w.serviceB)
        let booked = try sql("""
            INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at,
                                     citizen_name, citizen_email, citizen_phone, needs, needs_note, created_at, updated_at)
            VALUES ($1, $2, 'K7M2QX', 2026, 'booked', '2026-03-10T11:00:00Z', '2026-03-10T11:30:00Z',
                    'Piet Puk', 'piet@example.nl', '0612345678', '{interpreter}', 'Tolk Arabisch', '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z')
            RETURNING id::text AS id
            """, w.locationID, type).first!.string("id")
        try sql("UPDATE appointment SET status = 'noShow' WHERE id = $1", booked)
        let held = try sql("""
            INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at,
                                     held_until, created_at, updated_at)
            VALUES ($1, $2, 'K7M2QY', 2026, 'held', '2026-03-10T12:00:00Z', '2026-03-10T12:30:00Z', '2026-03-01T10:10:00Z',
                    '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z')
            RETURNING id::text AS id
            """, w.locationID, type).first!.string("id")
        try sql("UPDATE appointment SET status = 'cancelled', held_until = NULL, cancel_reason = 'hold expired' WHERE id = $1", held)
    }

    func b2Text(_ s: String) -> String { s }

    /// Every report in every format, as text, for comparing before and after the purge.
    func allReports(_ client: HTTPClient) throws -> [String] {
        var out: [String] = []
        for report in ["visits", "handovers", "outcomes"] {
            for query in ["", "&locationId=\(w.locationID)", "&agencyId=\(w.agencyB)", "&serviceId=\(w.serviceA)"] {
                for format in ["json", "csv", "svg"] {
                    let r = try client.get("/api/v1/reports/\(report)?from=2026-03-01&to=2026-03-31\(query)&format=\(format)")
                    XCTAssertEqual(r.status, 200, "\(report) \(format): \(r.text)")
                    out.append(r.text)
                }
            }
        }
        return out
    }

    func testVisitRecordsAreAnonymousAndComplete() throws {
        try buildHistory()
        let rows = try sql("""
            SELECT s.code AS service, v.day::text AS day, v.hour, v.kind, v.urgent, v.waiting_seconds, v.service_seconds, v.outcome,
                   array_to_string(v.outcome_categories, ' ') AS categories, v.handovers
            FROM visit_record v JOIN service s ON s.id = v.service_id ORDER BY v.id
            """)
        func row(_ r: Row) throws -> String {
            "\(try r.string("service")) \(try r.string("day")) \(try r.int("hour")) \(try r.string("kind")) \(try r.bool("urgent")) "
                + "\(try r.optionalString("waiting_seconds") ?? "-") \(try r.optionalString("service_seconds") ?? "-") \(try r.string("outcome")) "
                + "[\(try r.string("categories"))] \(try r.int("handovers"))"
        }
        // Arrival 10:00 local; waiting to the first call (a handover does not restart it); service from the last call.
        // B calls its own S001 before the handed-over U001 (same due time, then by letter).
        XCTAssertEqual(try rows.map(row), [
            "nood-centrum 2026-03-10 10 walkIn true 300 600 done [topic-benefits layer-national help-filled-in] 0",
            "aow-centrum 2026-03-10 10 walkIn false 1800 600 done [help-referred] 0",
            "ww-centrum 2026-03-10 10 walkIn false 2700 - noShow [] 0",
            "aow-centrum 2026-03-10 10 walkIn false 1200 300 done [] 1",
            "aow-centrum 2026-03-10 12 appointment false - - noShow [] 0",
        ])
        let handovers = try sql("SELECT day::text || ' ' || hour AS h FROM visit_handover WHERE from_agency_id = $1 AND to_agency_id = $2",
                                w.agencyA, w.agencyB)
        XCTAssertEqual(try handovers.map { try $0.string("h") }, ["2026-03-10 10"], "one handover, at 09:20Z = 10:20 local")
        // No column of the anonymous tables can point at a ticket, appointment, staff member or exact time.
        let columns = try sql("""
            SELECT string_agg(column_name, ',' ORDER BY table_name, column_name) AS c FROM information_schema.columns
            WHERE table_name IN ('visit_record', 'visit_handover') AND (column_name LIKE '%ticket%' OR column_name LIKE '%appointment%'
                OR column_name LIKE '%staff%' OR column_name LIKE '%desk%' OR data_type LIKE 'timestamp%')
            """)
        XCTAssertNil(try columns.first!.optionalString("c"))
    }

    /// Migration 0017 fills the visit records from the history before it; the same history gives the same records as
    /// the triggers (outcome categories did not exist then; a handover's hour comes from its row's database clock).
    func testMigrationBackfillMatchesTheTriggers() throws {
        try buildHistory()
        func snapshot() throws -> [String] {
            try sql("""
                SELECT concat_ws(' ', location_id, agency_id, service_id, day, hour, kind, urgent, waiting_seconds, service_seconds,
                                 outcome, handovers) AS r FROM visit_record
                UNION ALL
                SELECT concat_ws(' ', location_id, day, from_agency_id, from_service_id, to_agency_id, to_service_id, urgent) FROM visit_handover
                ORDER BY 1
                """).map { try $0.string("r") }
        }
        let fromTriggers = try snapshot()
        XCTAssertEqual(fromTriggers.count, 6)
        let migration = try XCTUnwrap(BundledMigrations.all.first { $0.version == 17 }).sql
        let start = try XCTUnwrap(migration.range(of: "-- History from before this migration")).lowerBound
        let end = try XCTUnwrap(migration.range(of: "-- The triggers live in")).lowerBound
        try sql("TRUNCATE visit_record, visit_handover")
        let db = try t.connection()
        defer { db.close() }
        _ = try db.execute(SQL(unsafeUnchecked: String(migration[start..<end])))
        XCTAssertEqual(try snapshot(), fromTriggers)
    }

    func testReportsAnswerWhatHappened() throws {
        try buildHistory()
        let coordinator = try coordinator()
        let r = try coordinator.get("/api/v1/reports/visits?from=2026-03-10&to=2026-03-10")
        XCTAssertEqual(r.status, 200, r.text)
        let totals = r.object["totals"] as? [String: Any] ?? [:]
        XCTAssertEqual(totals["visits"] as? Int, 5)
        XCTAssertEqual(totals["served"] as? Int, 3)
        XCTAssertEqual(totals["walkIns"] as? Int, 3)
        XCTAssertEqual(totals["appointments"] as? Int, 0)
        XCTAssertEqual(totals["noShows"] as? Int, 2)
        XCTAssertEqual(totals["urgent"] as? Int, 1)
        XCTAssertEqual(totals["urgentShare"] as? Double, 0.333)
        // Waiting 300, 1200, 1800, 2700: p50 interpolates to 1500, p90 to 1800 + 0.7 × 900 = 2430. Service 600, 600, 300: p50 600.
        XCTAssertEqual(totals["waitingP50Seconds"] as? Int, 1500)
        XCTAssertEqual(totals["waitingP90Seconds"] as? Int, 2430)
        XCTAssertEqual(totals["serviceP50Seconds"] as? Int, 600)
        XCTAssertEqual((r.object["days"] as? [[String: Any]])?.map { $0["date"] as? String }, ["2026-03-10"])

        let byAgency = try coordinator.get("/api/v1/reports/visits?from=2026-03-10&to=2026-03-10&agencyId=\(w.agencyB)")
        XCTAssertEqual((byAgency.object["totals"] as? [String: Any])?["visits"] as? Int, 3)

        XCTAssertEqual(b2Text(try coordinator.get("/api/v1/reports/visits?from=2026-03-10&to=2026-03-10&format=csv").text),
                       "datum,bezoeken,geholpen,inloop,afspraak,niet_gekomen,geannuleerd,spoed,wachttijd_p50_sec,wachttijd_p90_sec,behandeltijd_p50_sec\r\n"
                       + "2026-03-10,5,3,3,0,2,0,1,1500,2430,600\r\ntotaal,5,3,3,0,2,0,1,1500,2430,600\r\n")

        let h = try coordinator.get("/api/v1/reports/handovers?from=2026-03-01&to=2026-03-31")
        let items = h.object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.map { "\($0["fromAgency"]!) → \($0["toAgency"]!) \($0["count"]!)" }, ["UWV → SVB 1"])

        let o = try coordinator.get("/api/v1/reports/outcomes?from=2026-03-01&to=2026-03-31")
        XCTAssertEqual(o.object["served"] as? Int, 3)
        XCTAssertEqual(o.object["unrecorded"] as? Int, 1)
        let counts = Dictionary(uniqueKeysWithValues: (o.object["items"] as? [[String: Any]] ?? []).map { ($0["code"] as! String, $0["count"] as! Int) })
        XCTAssertEqual(counts["topic-benefits"], 1)
        XCTAssertEqual(counts["help-referred"], 1)
        XCTAssertEqual(counts["help-explained"], 0)

        // CSV by Accept header, with a file name; SVG with its title and description.
        let csv = try coordinator.get("/api/v1/reports/handovers?from=2026-03-01&to=2026-03-31", headers: ["Accept": "text/csv"])
        XCTAssertEqual(csv.header("content-type"), "text/csv; charset=utf-8")
        XCTAssertEqual(csv.header("content-disposition"), "attachment; filename=\"doorverwijzingen-2026-03-01-2026-03-31.csv\"")
        XCTAssertEqual(csv.text, "van_organisatie,naar_organisatie,aantal\r\nUWV,SVB,1\r\n")
        let svg = try coordinator.get("/api/v1/reports/visits?from=2026-03-01&to=2026-03-31&format=svg")
        XCTAssertEqual(svg.header("content-type"), "image/svg+xml; charset=utf-8")
        XCTAssertTrue(svg.text.contains("<title id=\"visits-title\">Bezoekers per dag, 2026-03-01 tot en met 2026-03-31</title>"), svg.text)
        XCTAssertTrue(svg.text.contains("<desc id=\"visits-desc\">"))

        // No personal data anywhere in any report.
        for text in try allReports(coordinator) {
            for secret in ["Jan de Vries", "Jansen", "Piet", "piet@example.nl", "0612345678", "Tolk", "K7M2QX", "anna", "bram"] {
                XCTAssertFalse(text.contains(secret), "a report contains \(secret)")
            }
        }
    }

    func testPurgeRemovesPersonalDataAndKeepsEveryReport() throws {
        try buildHistory()
        let before = try allReports(t.admin)
        func personal() throws -> String {
            try sql("""
                SELECT (SELECT count(*) FROM ticket WHERE outcome IS NOT NULL)::text || ' ' ||
                       (SELECT count(*) FROM ticket_handover WHERE note IS NOT NULL)::text || ' ' ||
                       (SELECT count(*) FROM appointment WHERE citizen_name IS NOT NULL OR citizen_email IS NOT NULL
                            OR citizen_phone IS NOT NULL OR needs_note IS NOT NULL OR needs <> '{}')::text AS c
                """).first!.string("c")
        }
        XCTAssertEqual(try personal(), "1 1 1")

        // Still the same local day (23:30 in Amsterdam): nothing is due.
        at("22:30:00")
        let db = try t.connection()
        defer { db.close() }
        XCTAssertEqual(try RetentionPurge.run(db, now: clock.now()).map(\.purged), [0, 0, 0, 0])
        XCTAssertEqual(try personal(), "1 1 1")

        // The next local day: walk-in tickets and their handover notes; the appointment keeps its data for 30 days.
        at("23:30:00")
        XCTAssertEqual(try RetentionPurge.run(db, now: clock.now()).map(\.purged), [4, 0, 0, 0])
        XCTAssertEqual(try personal(), "0 0 1")
        XCTAssertEqual(try allReports(t.admin), before)

        // Past the agency's period (SVB: 10 days), through the job inside `serve`.
        try sql("UPDATE agency SET appointment_retention_days = 10 WHERE id = $1", w.agencyB)
        at("11:00:00", day: "2026-03-20")
        t.app.runJobsOnce()
        XCTAssertEqual(try personal(), "0 0 1", "the appointment took part in no reservation: the default 30 days apply")
        at("11:31:00", day: "2026-04-09")
        t.app.runJobsOnce()
        XCTAssertEqual(try personal(), "0 0 0")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment WHERE purged_at IS NULL AND status <> 'held'").first!.int("n"), 1,
                       "the expired hold ended 2026-03-10 12:30Z, within its 30 days until 12:30Z")
        XCTAssertEqual(try allReports(t.admin), before)
        // Running again purges nothing more.
        XCTAssertEqual(try RetentionPurge.run(db, now: clock.now()).map(\.purged), [0, 0, 0, 0])
    }

    func testOnlyCoordinatorsAndAdminsAndValidInput() throws {
        XCTAssertEqual(try w.staffA.get("/api/v1/reports/visits?from=2026-03-01&to=2026-03-31").status, 403)
        XCTAssertEqual(try t.client.get("/api/v1/reports/visits?from=2026-03-01&to=2026-03-31").status, 401)
        let coordinator = try coordinator()
        var r = try coordinator.get("/api/v1/reports/visits?to=2026-03-31")
        XCTAssertEqual(r.status, 422)
        XCTAssertTrue(r.text.contains("\"from\""), r.text)
        r = try coordinator.get("/api/v1/reports/visits?from=2026-03-01&to=2027-03-31&locationId=nope&format=xls")
        XCTAssertEqual(r.status, 422)
        for field in ["\"to\"", "\"locationId\"", "\"format\""] { XCTAssertTrue(r.text.contains(field), r.text) }
        // Staff see the categories they may record; a finish with an unknown one or two of one dimension is refused.
        let list = try w.staffA.get("/api/v1/outcome-categories")
        XCTAssertEqual(list.status, 200)
        XCTAssertEqual((list.object["items"] as? [[String: Any]])?.count, 17)
        try w.take(t, w.serviceA)
        let id = try call(w.staffA, desk: 0)
        for bad in [["topic-nope"], ["topic-taxes", "topic-digid"]] {
            let f = try w.staffA.post("/api/v1/tickets/\(id)/finish", json: ["outcomeCategories": bad])
            XCTAssertEqual(f.status, 422, f.text)
        }
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM visit_record").first!.int("n"), 0, "a refused finish counts nothing")
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/finish", json: ["outcomeCategories": ["topic-taxes", "help-explained"]]).status, 200)
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM visit_record").first!.int("n"), 1)
    }

    /// An agency's retention period is set through the administration API within the bounds the database's CHECK
    /// allows (`AdminRoutes.appointmentRetentionDays` ↔ `agency_appointment_retention_days_check`).
    func testAgencyRetentionDaysAreSetWithinTheDatabasesBounds() throws {
        let agency = try t.admin.post("/api/v1/agencies", json: ["code": "bewaar", "name": "Bewaar"]).object["id"] as! String
        XCTAssertEqual(try t.admin.get("/api/v1/agencies/\(agency)").object["appointmentRetentionDays"] as? Int, 30, "the default")
        let range = AdminRoutes.appointmentRetentionDays
        for days in [range.lowerBound, range.upperBound] {
            let r = try t.admin.patch("/api/v1/agencies/\(agency)", json: ["appointmentRetentionDays": days])
            XCTAssertEqual(r.status, 200, r.text)
            XCTAssertEqual(r.object["appointmentRetentionDays"] as? Int, days)
        }
        for days in [range.lowerBound - 1, range.upperBound + 1] {
            let r = try t.admin.patch("/api/v1/agencies/\(agency)", json: ["appointmentRetentionDays": days])
            XCTAssertEqual(r.status, 422, r.text)
            XCTAssertTrue(r.text.contains("appointmentRetentionDays"))
            XCTAssertThrowsError(try sql("UPDATE agency SET appointment_retention_days = $1 WHERE id = $2", days, agency),
                                 "the database refuses \(days) days as the API does")
        }
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'agency.update' AND subject_id = $1", agency).first!.int("n"), 2)
    }
}

enum ReportStatementSamples {
    static let samples: [any Statement] = {
        let f = ReportFilter(from: "2026-03-01", to: "2026-03-31", locationID: nil, agencyID: nil, serviceID: nil)
        let now = Instant(microseconds: 0)
        return [ReportVisits(f), ReportHandovers(f), ReportOutcomes(f), ReportFilterChoices(), OutcomeCategories(), ReportSession(),
                PurgeWalkInTickets(now: now, batch: 10), PurgeAppointments(now: now, batch: 10), PurgeContactNotes(now: now, batch: 10)]
    }()
}

/// The chart's periods: days up to a month, 7-day steps from `from` up to a quarter, calendar months beyond.
final class ReportChartRowsTests: XCTestCase {
    func row(_ day: String, walkIns: Int) -> ReportVisits.Row {
        ReportVisits.Row(day: day, is_total: false, visits: walkIns, served: walkIns, walk_ins: walkIns, appointments: 0, no_shows: 0,
                         cancelled: 0, urgent: 0, waiting_p50: nil, waiting_p90: nil, service_p50: nil)
    }
    func filter(_ from: String, _ to: String) -> ReportFilter {
        ReportFilter(from: from, to: to, locationID: nil, agencyID: nil, serviceID: nil)
    }

    func testPeriodsFollowTheLengthOfTheRange() {
        let days = [row("2026-03-02", walkIns: 1), row("2026-03-08", walkIns: 2), row("2026-03-09", walkIns: 4), row("2026-04-01", walkIns: 8)]
        let short = ReportRoutes.chartRows(Array(days.prefix(3)), filter("2026-03-02", "2026-03-31"))
        XCTAssertEqual(short.unit, "day")
        XCTAssertEqual(short.rows.map(\.label), ["2026-03-02", "2026-03-08", "2026-03-09"])
        let weeks = ReportRoutes.chartRows(days, filter("2026-03-02", "2026-04-30"))
        XCTAssertEqual(weeks.unit, "week")
        XCTAssertEqual(weeks.rows.map { "\($0.label) \($0.walkIns)" }, ["vanaf 2026-03-02 3", "vanaf 2026-03-09 4", "vanaf 2026-03-30 8"])
        let months = ReportRoutes.chartRows(days, filter("2026-01-01", "2026-06-30"))
        XCTAssertEqual(months.unit, "month")
        XCTAssertEqual(months.rows.map { "\($0.label) \($0.walkIns)" }, ["2026-03 7", "2026-04 8"])
    }
}
