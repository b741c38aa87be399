@testable import API
import Credentials
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Invitation files and subscription feeds over real HTTP: who may download which file (the citizen's manage token,
/// staff of a participating agency, the staff member themselves, coordinators, admins), that each file names only its
/// recipient and nothing of the citizen, CANCEL after cancellation, and feeds: who may make, list and revoke them,
/// the 8-week window, and that a revoked or unknown URL is 404. Appointments are inserted with SQL (the booking API is
/// built elsewhere). The clock stands on Thursday 2026-10-01 12:00 in Amsterdam.
final class ICalendarAPITests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    var coordinator: HTTPClient!
    var typeID = ""
    var roomID = ""
    let clock = ManualClock(Instant(rfc3339: "2026-10-01T10:00:00Z")!)
    let manageToken = Credentials.randomToken()

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock }
        w = try World.make(t)
        let r = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "coord", "password": "long enough password",
                                                         "displayName": "Coördinator", "role": "coordinator"])
        XCTAssertEqual(r.status, 201, r.text)
        coordinator = try World.login(t, "coord", password: "long enough password")
        try sql("UPDATE staff SET email = 'anna@uwv.example' WHERE id = $1", w.staffAID)
        try sql("UPDATE staff SET email = 'bram@svb.example' WHERE id = $1", w.staffBID)
        try sql("UPDATE location SET street_address = 'Coolsingel 40', postal_code = '3011 AD', city = 'Rotterdam', email = 'loket@rotterdam.example' WHERE id = $1",
                w.locationID)
        typeID = try sql("INSERT INTO appointment_type (code, name, duration_minutes) VALUES ('schuld', 'Schuldhulpgesprek', 60) RETURNING id::text AS id")
            .first!.string("id")
        roomID = try sql("INSERT INTO room (location_id, name) VALUES ($1, 'Kamer 2') RETURNING id::text AS id", w.locationID).first!.string("id")
    }
    override func tearDown() { t.tearDown() }


    /// An appointment of staff member A (agency A) in room "Kamer 2", optionally joint with B; citizen data filled in.
    func appointment(_ start: String, _ end: String, joint: Bool = false, status: String = "booked", reference: String = "ABC234",
                     token: String = Credentials.randomToken(), onlyB: Bool = false) throws -> String {
        let id = try sql("""
            INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at,
                                     citizen_name, citizen_email, citizen_phone, manage_token_hash, created_at, updated_at, held_until)
            VALUES ($1, $2, $3, 2026, $4, $5::timestamptz, $6::timestamptz, 'Jan Jansen', 'jan.jansen@example.nl', '+31 6 1234 5678',
                    $7::bytea, $8::timestamptz, $8::timestamptz, CASE WHEN $4 = 'held' THEN $5::timestamptz END) RETURNING id::text AS id
            """, w.locationID, typeID, reference, status, start, end, PostgresValue.bytes(Credentials.tokenDigest(token)),
                         clock.now()).first!.string("id")
        var participants = onlyB ? [] : [(w.staffAID, w.serviceA, w.agencyA)]
        if joint || onlyB { participants.append((w.staffBID, w.serviceB, w.agencyB)) }
        for (i, p) in participants.enumerated() {
            try sql("""
                INSERT INTO appointment_reservation (appointment_id, appointment_status, position, staff_id, service_id, agency_id, during)
                VALUES ($1, $2, $3::smallint, $4, $5, $6, tstzrange($7::timestamptz, $8::timestamptz))
                """, id, status, i, p.0, p.1, p.2, start, end)
        }
        if onlyB { return id }
        try sql("""
            INSERT INTO appointment_reservation (appointment_id, appointment_status, room_id, during)
            VALUES ($1, $2, $3, tstzrange($4::timestamptz, $5::timestamptz))
            """, id, status, roomID, start, end)
        return id
    }

    func cancel(_ id: String) throws {
        try sql("UPDATE appointment SET status = 'cancelled', sequence = sequence + 1 WHERE id = $1", id)
    }

    /// The unfolded content lines of an iCalendar body.
    func lines(_ r: HTTPResponse) -> [String] {
        r.text.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n").filter { !$0.isEmpty }
    }

    func assertNoCitizenOrCaseData(_ r: HTTPResponse, file: StaticString = #filePath, line: UInt = #line) {
        let text = r.text.replacingOccurrences(of: "\r\n ", with: "")
        for secret in ["Jan Jansen", "jan.jansen", "1234 5678", "Schuldhulp", "WW", "AOW"] {
            XCTAssertFalse(text.contains(secret), "\(secret) must not be in a calendar file", file: file, line: line)
        }
    }

    // MARK: Invitations

    func testTheCitizensFileNeedsTheirTokenOrStaffOfAParticipatingAgency() throws {
        let id = try appointment("2026-10-05T08:00:00Z", "2026-10-05T09:00:00Z", token: manageToken)
        let path = "/api/v1/appointments/\(id)/invite.ics?for=citizen"

        let own = try t.client.get(path + "&token=" + manageToken)
        XCTAssertEqual(own.status, 200, own.text)
        XCTAssertEqual(own.header("content-type"), "text/calendar; charset=utf-8; method=PUBLISH")
        XCTAssertTrue(lines(own).contains("METHOD:PUBLISH"))
        XCTAssertFalse(lines(own).contains { $0.hasPrefix("ATTENDEE") }, "the citizen's file names nobody")
        XCTAssertFalse(own.text.contains("anna@uwv.example"), "staff addresses are not the citizen's business")
        assertNoCitizenOrCaseData(own)

        XCTAssertEqual(try t.client.get(path).status, 404, "anonymous without a token")
        XCTAssertEqual(try t.client.get(path + "&token=" + Credentials.randomToken()).status, 404, "a wrong token")
        XCTAssertEqual(try w.staffA.get(path).status, 200, "staff of the participating agency")
        XCTAssertEqual(try w.staffB.get(path).status, 404, "staff of another agency learn nothing, as on reads")
        XCTAssertEqual(try w.staffB.get(path.replacingOccurrences(of: "for=citizen", with: "for=\(w.staffBID)")).status, 404,
                       "nor through a staff member's file")
        XCTAssertEqual(try coordinator.get(path).status, 200)
        XCTAssertEqual(try t.admin.get(path).status, 200)
        // A token of another appointment does not open this one.
        let otherToken = Credentials.randomToken()
        let other = try appointment("2026-10-06T08:00:00Z", "2026-10-06T09:00:00Z", reference: "XYZ789", token: otherToken)
        XCTAssertEqual(try t.client.get(path + "&token=" + otherToken).status, 404, "the token of another appointment")
        XCTAssertEqual(try t.client.get("/api/v1/appointments/\(other)/invite.ics?for=citizen&token=" + otherToken).status, 200)

        // The token dies at the start.
        clock.set(Instant(rfc3339: "2026-10-06T08:00:00Z")!)
        XCTAssertEqual(try t.client.get("/api/v1/appointments/\(other)/invite.ics?for=citizen&token=" + otherToken).status, 404)
        let anna = try World.login(t, "anna-centrum")  // the earlier session has expired by the moved clock
        XCTAssertEqual(try anna.get("/api/v1/appointments/\(other)/invite.ics?for=citizen").status, 200, "staff still may")
    }

    func testAfterCancellationTheCitizensTokenIsDeadAndStaffGetACancel() throws {
        let id = try appointment("2026-10-05T08:00:00Z", "2026-10-05T09:00:00Z", joint: true, token: manageToken)
        let before = try w.staffA.get("/api/v1/appointments/\(id)/invite.ics?for=\(w.staffAID)")
        XCTAssertTrue(lines(before).contains("SEQUENCE:0"))
        try cancel(id)
        XCTAssertEqual(try t.client.get("/api/v1/appointments/\(id)/invite.ics?for=citizen&token=" + manageToken).status, 404)
        for (client, recipient) in [(w.staffA, w.staffAID), (w.staffB, w.staffBID), (coordinator!, "citizen")] {
            let r = try client.get("/api/v1/appointments/\(id)/invite.ics?for=\(recipient)")
            XCTAssertEqual(r.status, 200, r.text)
            XCTAssertEqual(r.header("content-type"), "text/calendar; charset=utf-8; method=CANCEL")
            let l = lines(r)
            for expected in ["METHOD:CANCEL", "STATUS:CANCELLED", "SEQUENCE:1", "UID:\(id)@127.0.0.1"] {
                XCTAssertTrue(l.contains(expected), "\(expected) in \(r.text)")
            }
        }
    }

    func testAStaffMembersFileIsTheirsAloneAndNamesOnlyThem() throws {
        let id = try appointment("2026-10-05T08:00:00Z", "2026-10-05T09:00:00Z", joint: true, token: manageToken)
        let mine = "/api/v1/appointments/\(id)/invite.ics?for=\(w.staffAID)"
        let r = try w.staffA.get(mine)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("content-type"), "text/calendar; charset=utf-8; method=REQUEST")
        let l = lines(r)
        XCTAssertTrue(l.contains("METHOD:REQUEST"))
        XCTAssertEqual(l.filter { $0.hasPrefix("ATTENDEE") }.count, 1)
        XCTAssertTrue(l.contains { $0.hasPrefix("ATTENDEE;CN=Anna;") && $0.hasSuffix(":mailto:anna@uwv.example") })
        XCTAssertTrue(l.contains("ORGANIZER;CN=Stadswinkel centrum:mailto:loket@rotterdam.example"))
        XCTAssertFalse(r.text.contains("bram@svb.example"), "never another participant's address")
        XCTAssertTrue(l.contains("DESCRIPTION:Referentie: ABC234\\nLocatie: Stadswinkel centrum\\, Coolsingel 40\\, 3011 AD Rotterdam\\nRuimte: Kamer 2\\nMet: UWV\\, SVB"),
                      r.text)
        XCTAssertTrue(l.contains("DTSTART;TZID=Europe/Amsterdam:20261005T100000"))
        assertNoCitizenOrCaseData(r)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.invite' AND subject_id = $1", id), 1,
                       "a staff download is audited")

        XCTAssertEqual(try w.staffB.get(mine).status, 403, "a colleague in the same appointment may not take A's file")
        XCTAssertEqual(try t.client.get(mine).status, 404, "anonymous")
        XCTAssertEqual(try t.client.get(mine + "&token=" + manageToken).status, 404, "the citizen's token opens only the citizen's file")
        XCTAssertEqual(try coordinator.get(mine).status, 200)
        XCTAssertEqual(try t.admin.get(mine).status, 200)
        let b = try w.staffB.get("/api/v1/appointments/\(id)/invite.ics?for=\(w.staffBID)")
        XCTAssertEqual(b.status, 200)
        XCTAssertTrue(lines(b).contains { $0.hasPrefix("ATTENDEE;CN=Bram;") && $0.hasSuffix(":mailto:bram@svb.example") })
        XCTAssertFalse(b.text.contains("anna@uwv.example"))
        XCTAssertEqual(lines(b).first { $0.hasPrefix("UID:") }, l.first { $0.hasPrefix("UID:") }, "one UID for every recipient")

        // Not a participant, bad recipient, unknown appointment.
        let solo = try appointment("2026-10-07T08:00:00Z", "2026-10-07T09:00:00Z", reference: "SXWR22")
        XCTAssertEqual(try t.admin.get("/api/v1/appointments/\(solo)/invite.ics?for=\(w.staffBID)").status, 404)
        XCTAssertEqual(try w.staffB.get("/api/v1/appointments/\(solo)/invite.ics?for=\(w.staffBID)").status, 404)
        XCTAssertEqual(try t.admin.get("/api/v1/appointments/\(id)/invite.ics").status, 400)
        XCTAssertEqual(try t.admin.get("/api/v1/appointments/\(id)/invite.ics?for=everyone").status, 400)
        XCTAssertEqual(try t.admin.get("/api/v1/appointments/\(UUID().uuidString)/invite.ics?for=citizen").status, 404)
        XCTAssertEqual(try t.admin.get("/api/v1/appointments/not-an-id/invite.ics?for=citizen").status, 404)
    }

    func testTheSecondPassThroughTheAutumnHourIsWrittenInUTC() throws {
        // 02:30 CEST → 03:00 CET, and 02:30 CET (the repeated hour) → 03:30 CET.
        let first = try appointment("2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z", reference: "DST222")
        let second = try appointment("2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z", reference: "DST333", onlyB: true)
        let a = lines(try t.admin.get("/api/v1/appointments/\(first)/invite.ics?for=\(w.staffAID)"))
        XCTAssertTrue(a.contains("DTSTART;TZID=Europe/Amsterdam:20261025T023000"))
        XCTAssertTrue(a.contains("DTEND;TZID=Europe/Amsterdam:20261025T030000"))
        let b = lines(try t.admin.get("/api/v1/appointments/\(second)/invite.ics?for=\(w.staffBID)"))
        XCTAssertTrue(b.contains("DTSTART:20261025T013000Z"), "a local 02:30 would be read as the first one")
        XCTAssertTrue(b.contains("DTEND;TZID=Europe/Amsterdam:20261025T033000"))
    }

    func testTheUIDHostComesFromThePublicURL() {
        XCTAssertEqual(ICalendarRoutes.host(ofBaseURL: "https://Loket.Example.nl"), "loket.example.nl")
        XCTAssertEqual(ICalendarRoutes.host(ofBaseURL: "https://loket.example.nl:8443/sub/path"), "loket.example.nl")
        XCTAssertEqual(ICalendarRoutes.host(ofBaseURL: "http://127.0.0.1:8080"), "127.0.0.1")
        XCTAssertEqual(ICalendarRoutes.host(ofBaseURL: "http://[::1]:8080"), "::1")
        XCTAssertEqual(ICalendarRoutes.host(ofBaseURL: "http://user@host.nl:1"), "host.nl")
        XCTAssertEqual(ICalendarRoutes.host(ofBaseURL: "http://evil\"host>;x"), "evilhostx")
        XCTAssertEqual(ICalendarRoutes.host(ofBaseURL: "http://"), "localhost")
    }

    // MARK: Feeds

    func createFeed(_ client: HTTPClient, _ body: [String: Any]) throws -> HTTPResponse { try client.post("/api/v1/calendar-feeds", json: body) }

    /// The path part of a feed URL.
    func path(_ url: String) -> String { String(url[url.range(of: "/ical/")!.lowerBound...]) }

    func testFeedsAreMadeListedAndRevokedByTheRightPeople() throws {
        let soon = try appointment("2026-10-05T08:00:00Z", "2026-10-05T09:00:00Z", joint: true)
        _ = try appointment("2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z", reference: "WEEK77")      // within 8 weeks
        _ = try appointment("2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", reference: "WEEK99")      // beyond
        _ = try appointment("2026-09-30T09:00:00Z", "2026-09-30T10:00:00Z", reference: "PAST22")      // over
        _ = try appointment("2026-10-06T09:00:00Z", "2026-10-06T10:00:00Z", status: "held", reference: "HEXD22")
        let gone = try appointment("2026-10-07T09:00:00Z", "2026-10-07T10:00:00Z", reference: "GXNE22")
        try cancel(gone)

        let made = try createFeed(w.staffA, ["staffId": w.staffAID])
        XCTAssertEqual(made.status, 201, made.text)
        let url = made.object["url"] as? String ?? ""
        XCTAssertTrue(url.hasPrefix("http://127.0.0.1:\(t.app.port)/ical/") && url.hasSuffix(".ics"), url)
        let feedID = made.object["id"] as? String ?? ""
        let token = String(path(url).dropFirst("/ical/".count).dropLast(4))
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM calendar_feed WHERE token_hash = $1::bytea",
                                 PostgresValue.bytes(Credentials.tokenDigest(token))), 1, "stored as its SHA-256")
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM calendar_feed f WHERE position($1 in f::text) > 0", token), 0,
                       "never stored as text")

        let feed = try t.client.get(path(url))
        XCTAssertEqual(feed.status, 200, feed.text)
        XCTAssertEqual(feed.header("content-type"), "text/calendar; charset=utf-8; method=PUBLISH")
        let l = lines(feed)
        XCTAssertTrue(l.contains("REFRESH-INTERVAL;VALUE=DURATION:PT1H"))
        XCTAssertTrue(l.contains("X-PUBLISHED-TTL:PT1H"))
        XCTAssertEqual(l.filter { $0.hasPrefix("UID:") }, ["UID:\(soon)@127.0.0.1", l.first { $0.hasPrefix("UID:") && !$0.contains(soon) } ?? "?"])
        let summaries = l.filter { $0.hasPrefix("SUMMARY:") }
        XCTAssertEqual(summaries.count, 2, l.joined(separator: "\n"))
        XCTAssertTrue(summaries[0].contains("ABC234") && summaries[1].contains("WEEK77"), "booked, coming 8 weeks, in start order")
        XCTAssertFalse(l.contains { $0.hasPrefix("ATTENDEE") })
        assertNoCitizenOrCaseData(feed)

        // Who may make which feed.
        XCTAssertEqual(try createFeed(w.staffA, ["staffId": w.staffBID]).status, 403, "not for a colleague")
        XCTAssertEqual(try createFeed(w.staffA, ["roomId": roomID]).status, 403, "rooms: coordinators and admins")
        XCTAssertEqual(try createFeed(w.staffA, ["staffId": w.staffAID, "roomId": roomID]).status, 422)
        XCTAssertEqual(try createFeed(w.staffA, [:]).status, 422)
        XCTAssertEqual(try createFeed(t.client, ["staffId": w.staffAID]).status, 401)
        XCTAssertEqual(try createFeed(coordinator, ["staffId": UUID().uuidString]).status, 404)
        let roomFeed = try createFeed(coordinator, ["roomId": roomID])
        XCTAssertEqual(roomFeed.status, 201, roomFeed.text)
        let roomLines = lines(try t.client.get(path(roomFeed.object["url"] as? String ?? "")))
        XCTAssertEqual(roomLines.filter { $0.hasPrefix("SUMMARY:") }.count, 2)
        XCTAssertTrue(roomLines.contains("X-WR-CALNAME:Loket: Kamer 2 (Stadswinkel centrum)"))
        let bFeed = try createFeed(t.admin, ["staffId": w.staffBID])
        XCTAssertEqual(bFeed.status, 201)
        XCTAssertEqual(lines(try t.client.get(path(bFeed.object["url"] as? String ?? ""))).filter { $0.hasPrefix("SUMMARY:") }.count, 1,
                       "B takes part in the joint one only")

        // Lists: staff see their own, never a URL.
        let listA = try w.staffA.get("/api/v1/calendar-feeds")
        XCTAssertEqual(listA.status, 200)
        let itemsA = listA.object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(itemsA.map { $0["id"] as? String }, [feedID])
        XCTAssertFalse(listA.text.contains(token))
        XCTAssertEqual(try w.staffA.get("/api/v1/calendar-feeds?staffId=\(w.staffBID)").status, 403)
        XCTAssertEqual(try w.staffA.get("/api/v1/calendar-feeds?roomId=\(roomID)").status, 403)
        XCTAssertEqual((try coordinator.get("/api/v1/calendar-feeds").object["items"] as? [Any])?.count, 3)
        XCTAssertEqual((try coordinator.get("/api/v1/calendar-feeds?roomId=\(roomID)").object["items"] as? [Any])?.count, 1)

        // Revoking: B cannot touch A's feed; A can; the URL is 404 at once; lists hide it unless asked.
        XCTAssertEqual(try w.staffB.delete("/api/v1/calendar-feeds/\(feedID)").status, 404)
        XCTAssertEqual(try t.client.get(path(url)).status, 200)
        XCTAssertEqual(try w.staffA.delete("/api/v1/calendar-feeds/\(feedID)").status, 204)
        XCTAssertEqual(try t.client.get(path(url)).status, 404)
        XCTAssertEqual(try w.staffA.delete("/api/v1/calendar-feeds/\(feedID)").status, 204, "revoking again changes nothing")
        XCTAssertEqual((try w.staffA.get("/api/v1/calendar-feeds").object["items"] as? [Any])?.count, 0)
        let revoked = try w.staffA.get("/api/v1/calendar-feeds?includeRevoked=true").object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(revoked.first?["revokedAt"] as? String, "2026-10-01T10:00:00Z")
        XCTAssertEqual(try coordinator.delete("/api/v1/calendar-feeds/\(roomFeed.object["id"] as? String ?? "")").status, 204)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action IN ('calendarFeed.create', 'calendarFeed.revoke')"), 6,
                       "three feeds made, three revoke requests (one feed twice)")

        // Unknown and malformed URLs.
        XCTAssertEqual(try t.client.get("/ical/\(Credentials.randomToken()).ics").status, 404)
        XCTAssertEqual(try t.client.get("/ical/\(token)").status, 404)
        XCTAssertEqual(try t.client.get("/ical/.ics").status, 404)

        // A deactivated staff member's feed stops.
        let again = try createFeed(w.staffB, ["staffId": w.staffBID])
        XCTAssertEqual(try t.client.get(path(again.object["url"] as? String ?? "")).status, 200)
        try sql("UPDATE staff SET active = false WHERE id = $1", w.staffBID)
        XCTAssertEqual(try t.client.get(path(again.object["url"] as? String ?? "")).status, 404)
    }

    func count(_ text: String, _ params: any PostgresEncodable...) throws -> Int {
        let db = try t.connection()
        defer { db.close() }
        return try db.query(Query(SQL(unsafeUnchecked: text), parameters: params)).first!.int("n")
    }
}

/// One value of every statement type of icalendar.sql, for the statement test (StatementTests).
enum ICalendarStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            InviteGet(appointmentID: id, recipientStaffID: id, tokenHash: .bytes([1]), now: now),
            FeedInsert(tokenHash: .bytes([1]), staffID: id, roomID: nil, createdBy: nil, now: now),
            FeedList(staffID: nil, roomID: nil, includeRevoked: false),
            FeedRevoke(feedID: id, onlyStaffID: nil, now: now),
            FeedGet(tokenHash: .bytes([1])),
            FeedEvents(staffID: id, roomID: nil, now: now, until: now),
        ]
    }()
}
