@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// One value of every outbox statement type (for StatementTests).
enum OutboxStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            OutboxAppointment(appointmentID: id), OutboxNotifyOff(appointmentID: id),
            OutboxEnqueue(kind: "booked", appointmentID: id, recipient: "a@b.nl", language: "nl", subject: "s", body: "b", attachment: nil,
                          manageURL: nil, sendAfter: now, now: now),
            OutboxManageURL(appointmentID: id), OutboxSupersede(appointmentID: id, kinds: ["booked"]), OutboxDropStale(now: now), OutboxFailInterrupted(now: now, maxAttempts: 1),
            OutboxClaim(now: now, leaseUntil: now, limit: 1), OutboxSent(id: id, now: now),
            OutboxRetry(id: id, error: "x", retryAt: now, maxAttempts: 1), OutboxList(status: nil, limit: 1),
        ]
    }()
}

/// The outbox against a real database: messages are written in the appointment's own transaction (an address the
/// outbox refuses rolls the booking back), in the citizen's language, with the reminder 24 hours before and the
/// manage link kept for later messages; changes supersede unsent messages; holds wait; claims never overlap, leases
/// expire, failures back off and end as failed; the admin list shows state but no personal text. Sending over SMTP is
/// Tests/browser/test_mail.py (a real SMTP server and a real `loket serve`, killed mid-send).
final class OutboxTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)
    var type = ""

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp {
            $0.clock = clock
            $0.publicURL = "https://loket.example.nl"
        }
        w = try World.make(t)
        try sql("UPDATE location SET street_address = 'Coolsingel 40', postal_code = '3011 AD', city = 'Rotterdam' WHERE id = $1", w.locationID)
        let r = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": [["weekday": 2, "opens": "09:00", "closes": "12:00"]], "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(r.status, 200, r.text)
        let ty = try t.admin.post("/api/v1/appointment-types", json: ["code": "kort", "name": "kort", "durationMinutes": 30,
                                                                     "requirements": [["serviceId": w.serviceA]], "minNoticeMinutes": 0, "publicBooking": true])
        XCTAssertEqual(ty.status, 201, ty.text)
        type = ty.object["id"] as? String ?? ""
        let staff = try sql("INSERT INTO staff (agency_id, username, password_hash, display_name, role) VALUES ($1, 'a1', '$argon2id$test', 'a1', 'staff') RETURNING id::text AS id",
                            w.agencyA).first!.string("id")
        try sql("INSERT INTO staff_service (staff_id, service_id, agency_id) VALUES ($1, $2, $3)", staff, w.serviceA, w.agencyA)
        try sql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) VALUES ($1, $2, 2::smallint, '09:00'::time, '12:00'::time)",
                staff, w.locationID)
    }
    override func tearDown() { t.tearDown() }


    func book(_ start: String, citizen: [String: Any] = ["name": "Ayşe Yılmaz", "email": "ayse@example.nl", "language": "tr"],
              extra: [String: Any] = [:], as client: HTTPClient? = nil) throws -> HTTPResponse {
        var body: [String: Any] = ["locationId": w.locationID, "appointmentTypeId": type, "start": start, "citizen": citizen]
        body.merge(extra) { $1 }
        return try (client ?? t.client).post("/api/v1/appointments", json: body)
    }

    struct Message { let kind, status, recipient, language, subject, body: String; let attachment, manageURL: String?; let sendAfter: String }

    func messages(_ appointment: String) throws -> [Message] {
        try sql("""
            SELECT kind, status, recipient, language, subject, body, attachment, manage_url, rfc3339(send_after, 'UTC') AS send_after
            FROM outbox_message WHERE appointment_id = $1 ORDER BY created_at, kind = 'reminder', kind
            """, appointment).map {
            Message(kind: try $0.string("kind"), status: try $0.string("status"), recipient: try $0.string("recipient"),
                    language: try $0.string("language"), subject: try $0.string("subject"), body: try $0.string("body"),
                    attachment: try? $0.string("attachment"), manageURL: try? $0.string("manage_url"), sendAfter: try $0.string("send_after"))
        }
    }

    func claim(limit: Int = 10, lease: Int64 = 300) throws -> [OutboxClaim.Row] {
        let db = try t.connection()
        defer { db.close() }
        let now = clock.now()
        return try db.transaction { try $0.all(OutboxClaim(now: now, leaseUntil: now.adding(seconds: lease), limit: limit)) }
    }

    // MARK: Enqueueing

    func testABookingWritesTheConfirmationAndTheReminderInTheCitizensLanguage() throws {
        let r = try book("2026-03-10T10:00:00+01:00")
        XCTAssertEqual(r.status, 201, r.text)
        let id = r.object["id"] as? String ?? "", token = r.object["manageToken"] as? String ?? ""
        let reference = r.object["reference"] as? String ?? ""
        let m = try messages(id)
        XCTAssertEqual(m.map(\.kind), ["booked", "reminder"])
        XCTAssertEqual(m.map(\.status), ["pending", "pending"])
        XCTAssertEqual(m.map(\.recipient), ["ayse@example.nl", "ayse@example.nl"])
        XCTAssertEqual(m.map(\.language), ["tr", "tr"])
        XCTAssertEqual(m[0].sendAfter, "2026-03-02T10:00:00Z", "at once, by the app's clock")
        XCTAssertEqual(m[1].sendAfter, "2026-03-09T09:00:00Z", "24 hours before the start")
        let body = m[0].body
        XCTAssertEqual(m[0].subject, "Randevunuz alındı (\(reference))")
        XCTAssertTrue(body.hasPrefix("Merhaba Ayşe Yılmaz,"), body)
        XCTAssertTrue(body.contains("Randevu numarası: \(reference)"), body)
        XCTAssertTrue(body.contains("Ne zaman: 10 Mart 2026 Salı, saat 10:00"), "local time in Amsterdam: \(body)")
        XCTAssertTrue(body.contains("Nerede: Stadswinkel centrum, Coolsingel 40, 3011 AD Rotterdam"), body)
        XCTAssertTrue(body.contains("pasaportunuz"), "what to bring: \(body)")
        XCTAssertTrue(body.contains("https://loket.example.nl/mijn-afspraak/\(token)"), "the manage link: \(body)")
        XCTAssertEqual(m[0].manageURL, "https://loket.example.nl/mijn-afspraak/\(token)")
        XCTAssertEqual(m[1].manageURL, m[0].manageURL, "kept for the reminder")
        XCTAssertTrue(m[1].body.contains("https://loket.example.nl/mijn-afspraak/\(token)"))
        // The citizen's calendar file: PUBLISH, the appointment's UID, no personal data.
        let ics = m[0].attachment ?? ""
        XCTAssertTrue(ics.contains("METHOD:PUBLISH\r\n"), ics)
        XCTAssertTrue(ics.contains("UID:\(id)@loket.example.nl"), ics)
        XCTAssertTrue(ics.contains("DTSTART;TZID=Europe/Amsterdam:20260310T100000"), ics)
        XCTAssertFalse(ics.contains("ayse") || ics.contains("Ayşe"), "no citizen data in the calendar file")
    }

    /// A follow-up with a contact person (ContactPersonTests books one): every language tells the code in the
    /// confirmation, the reminder and the "moved" message, never in the cancellation, and nothing without a code.
    func testTheContactCodeIsToldInEveryLanguage() throws {
        var facts = MailTexts.Facts(reference: "ABC234", name: "Jan", weekday: 2, day: 10, month: 3, year: 2026, time: "10:00",
                                    locationName: "Stadswinkel", place: "Stadswinkel")
        XCTAssertFalse(MailTexts.render(.booked, language: "nl", facts, link: .none).body.contains("contactpersoon"))
        facts.contactCode = "K7M2QX"
        XCTAssertTrue(MailTexts.render(.booked, language: "nl", facts, link: .none).body
            .contains("Uw vaste contactpersoon heeft code K7M2QX. Noem deze code bij de kiosk."))
        for language in ["nl", "en", "ar", "tr", "pl", "uk"] {
            XCTAssertNotNil(MailTexts.files[language]?["contactCode"]?.stringValue, "\(language) has its own text")
            for kind in [OutboxKind.booked, .rescheduled, .reminder] {
                let body = MailTexts.render(kind, language: language, facts, link: .none).body
                XCTAssertTrue(body.contains("K7M2QX"), "\(language) \(kind): \(body)")
                XCTAssertFalse(body.contains("{code}") || body.contains("contactCode"), body)
            }
            XCTAssertFalse(MailTexts.render(.cancelled, language: language, facts, link: .none).body.contains("K7M2QX"))
        }
    }

    func testSummerTimeAndOtherLanguages() throws {
        // 2026-03-31 is a Tuesday after the change to summer time (29 March): 10:00 local is 08:00 UTC.
        let r = try book("2026-03-31T10:00:00+02:00", citizen: ["name": "Olena", "email": "olena@example.nl", "language": "uk"])
        XCTAssertEqual(r.status, 201, r.text)
        let m = try messages(r.object["id"] as? String ?? "")
        XCTAssertTrue(m[0].body.contains("Коли: вівторок, 31 березня 2026 о 10:00"), m[0].body)
        XCTAssertEqual(m[1].sendAfter, "2026-03-30T08:00:00Z")
        // A language Loket has no texts for: Dutch.
        let f = try book("2026-03-10T11:00:00+01:00", citizen: ["email": "x@example.nl", "language": "fr", "name": "Jean"])
        XCTAssertEqual(f.status, 201, f.text)
        let fm = try messages(f.object["id"] as? String ?? "")
        XCTAssertEqual(fm[0].language, "nl")
        XCTAssertTrue(fm[0].body.contains("Wanneer: dinsdag 10 maart 2026 om 11:00"), fm[0].body)
    }

    func testNoMailWithoutAnAddressOrWithNotifyFalse() throws {
        let a = try book("2026-03-10T09:00:00+01:00", citizen: ["name": "Jan", "phone": "0612345678"])
        XCTAssertEqual(a.status, 201, a.text)
        XCTAssertEqual(try messages(a.object["id"] as? String ?? "").count, 0)
        let b = try book("2026-03-10T10:00:00+01:00", citizen: ["name": "Jan", "email": "jan@example.nl"], extra: ["notify": false])
        XCTAssertEqual(b.status, 201, b.text)
        let id = b.object["id"] as? String ?? "", token = b.object["manageToken"] as? String ?? ""
        XCTAssertEqual(try messages(id).count, 0)
        // Later changes stay silent too.
        let moved = try t.client.patch("/api/v1/appointments/manage/\(token)", json: ["start": "2026-03-10T11:00:00+01:00"])
        XCTAssertEqual(moved.status, 200, moved.text)
        XCTAssertEqual(try t.client.post("/api/v1/appointments/manage/\(token)/cancel").status, 200)
        XCTAssertEqual(try messages(id).count, 0)
    }

    /// The message is part of the booking's transaction: when the outbox refuses the row, the booking is undone.
    func testAnAddressTheOutboxRefusesRollsTheBookingBack() throws {
        let r = try book("2026-03-10T10:00:00+01:00", citizen: ["name": "Jan", "email": "jan<x>@example.nl"])
        XCTAssertEqual(r.status, 422, r.text)
        XCTAssertTrue(r.text.contains("citizen.email"), r.text)
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment").first!.int("n"), 0, "no appointment without its message")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM outbox_message").first!.int("n"), 0)
        XCTAssertEqual(try book("2026-03-10T10:00:00+01:00").status, 201, "the slot is still free")
    }

    func testRescheduleAndCancelSupersedeUnsentMessages() throws {
        let r = try book("2026-03-10T10:00:00+01:00", citizen: ["name": "Jan", "email": "jan@example.nl", "language": "en"])
        let id = r.object["id"] as? String ?? "", token = r.object["manageToken"] as? String ?? ""
        // The confirmation goes out; then staff move the appointment (no token in the request: the link is the kept one).
        let claimed = try claim()
        XCTAssertEqual(claimed.map(\.kind), ["booked"], "the reminder is not due yet")
        let db = try t.connection()
        XCTAssertNotNil(try db.first(OutboxSent(id: claimed[0].id, now: clock.now())))
        db.close()
        clock.advance(seconds: 60)
        let moved = try w.staffA.patch("/api/v1/appointments/\(id)", json: ["start": "2026-03-10T11:30:00+01:00"])
        XCTAssertEqual(moved.status, 200, moved.text)
        var m = try messages(id)
        XCTAssertEqual(m.map(\.kind), ["booked", "reminder", "rescheduled", "reminder"])
        XCTAssertEqual(m.map(\.status), ["sent", "dropped", "pending", "pending"])
        XCTAssertEqual(m[0].body, "", "a sent message keeps no text")
        XCTAssertNil(m[0].manageURL)
        XCTAssertTrue(m[2].body.contains("When: Tuesday 10 March 2026 at 11:30"), m[2].body)
        XCTAssertTrue(m[2].body.contains("/mijn-afspraak/\(token)"), "the kept link: \(m[2].body)")
        XCTAssertTrue(m[2].attachment?.contains("SEQUENCE:1") ?? false)
        XCTAssertEqual(m[3].sendAfter, "2026-03-09T10:30:00Z", "the reminder follows the new start")
        // Cancelled: the reminder is dropped, the citizen hears of it with a CANCEL calendar file.
        clock.advance(seconds: 60)
        XCTAssertEqual(try t.client.post("/api/v1/appointments/manage/\(token)/cancel").status, 200)
        m = try messages(id)
        XCTAssertEqual(m.map(\.kind), ["booked", "reminder", "rescheduled", "reminder", "cancelled"])
        XCTAssertEqual(m.map(\.status), ["sent", "dropped", "dropped", "dropped", "pending"])
        XCTAssertEqual(m[4].subject, "Your appointment is cancelled (\(r.object["reference"] as? String ?? ""))")
        XCTAssertTrue(m[4].attachment?.contains("METHOD:CANCEL") ?? false)
        XCTAssertTrue(m[4].attachment?.contains("STATUS:CANCELLED") ?? false)
    }

    func testAConfirmationNotYetSentIsReplacedByOneWithTheNewTime() throws {
        let r = try book("2026-03-10T10:00:00+01:00", citizen: ["name": "Jan", "email": "jan@example.nl"])
        let token = r.object["manageToken"] as? String ?? ""
        XCTAssertEqual(try t.client.patch("/api/v1/appointments/manage/\(token)", json: ["start": "2026-03-10T09:00:00+01:00"]).status, 200)
        let m = try messages(r.object["id"] as? String ?? "")
        XCTAssertEqual(m.filter { $0.status == "pending" }.map(\.kind), ["booked", "reminder"])
        XCTAssertTrue(m.last { $0.kind == "booked" }!.body.contains("om 09:00"))
    }

    func testAHoldsMessagesWaitUntilConfirmedAndAnExpiredHoldGetsNone() throws {
        let held = try book("2026-03-10T10:00:00+01:00", extra: ["hold": true])
        XCTAssertEqual(held.status, 201, held.text)
        let expired = try book("2026-03-10T11:00:00+01:00", citizen: ["name": "P", "email": "p@example.nl"], extra: ["hold": true])
        XCTAssertEqual(try claim().count, 0, "nothing about a hold goes out")
        let token = held.object["manageToken"] as? String ?? ""
        XCTAssertEqual(try t.client.post("/api/v1/appointments/manage/\(token)/confirm").status, 200)
        XCTAssertEqual(try claim().map(\.kind), ["booked"])
        clock.advance(seconds: 3600)
        let db = try t.connection()
        defer { db.close() }
        XCTAssertEqual(try db.all(OutboxDropStale(now: clock.now())).count, 2, "the expired hold's confirmation and reminder")
        XCTAssertEqual(try messages(expired.object["id"] as? String ?? "").map(\.status), ["dropped", "dropped"])
    }

    // MARK: Claims

    func testClaimsNeverOverlapLeasesExpireAndFailuresBackOff() throws {
        for hour in ["09:00", "09:30", "10:00", "10:30"] {
            XCTAssertEqual(try book("2026-03-10T\(hour):00+01:00", citizen: ["name": "J", "email": "j@example.nl"]).status, 201)
        }
        // Two processes claiming at once get different messages (FOR UPDATE SKIP LOCKED).
        let a = try t.connection(), b = try t.connection()
        defer { a.close(); b.close() }
        let now = clock.now(), lease = now.adding(seconds: 60)
        try a.execute("BEGIN")
        let first = try a.all(OutboxClaim(now: now, leaseUntil: lease, limit: 2))
        try b.execute("BEGIN")
        let second = try b.all(OutboxClaim(now: now, leaseUntil: lease, limit: 10))
        try a.execute("COMMIT")
        try b.execute("COMMIT")
        XCTAssertEqual(first.count, 2)
        XCTAssertEqual(second.count, 2, "the two rows the first claim locked were skipped")
        XCTAssertTrue(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
        XCTAssertEqual(try claim().count, 0, "claimed rows are leased")
        // A process that died mid-send: its lease runs out and the message is claimed again (at least once).
        clock.advance(seconds: 61)
        let again = try claim(limit: 10)
        XCTAssertEqual(Set(again.map(\.id)), Set((first + second).map(\.id)))
        XCTAssertEqual(Set(again.map(\.attempts)), [2])
        // A refusal puts it back with backoff; after the last attempt it is failed and stays failed.
        let m = again[0]
        XCTAssertEqual(try a.first(OutboxRetry(id: m.id, error: "SMTP server refused (451): try later", retryAt: clock.now().adding(seconds: 120),
                                                maxAttempts: 3))?.status, "pending")
        XCTAssertFalse(try claim().contains { $0.id == m.id }, "not before its next try")
        clock.advance(seconds: 121)
        let third = try claim()
        XCTAssertEqual(third.first { $0.id == m.id }?.attempts, 3)
        XCTAssertEqual(try a.first(OutboxRetry(id: m.id, error: "SMTP server refused (554): no", retryAt: clock.now(), maxAttempts: 3))?.status, "failed")
        clock.advance(seconds: 3600)
        XCTAssertFalse(try claim().contains { $0.id == m.id })
        // Marking a message sent that is no longer being sent (e.g. failed meanwhile) changes nothing.
        XCTAssertNil(try a.first(OutboxSent(id: m.id, now: clock.now())))
        // Messages whose sender dies every time: the other three were claimed a third time just above (their leases had
        // run out); once that lease runs out too, they are failed instead of being claimed again without end.
        let others = again.filter { $0.id != m.id }.map(\.id).sorted()
        XCTAssertEqual(try a.all(OutboxFailInterrupted(now: clock.now(), maxAttempts: 3)).count, 0, "still leased")
        clock.advance(seconds: 301)
        XCTAssertEqual(try a.all(OutboxFailInterrupted(now: clock.now(), maxAttempts: 3)).map(\.id).sorted(), others)
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM outbox_message WHERE status = 'failed' AND attempts = 3").first!.int("n"), 4)
        XCTAssertEqual(try claim().count, 0)
    }

    // MARK: Admin list and readiness

    func testTheAdminListShowsStateButNoPersonalText() throws {
        XCTAssertEqual(try book("2026-03-10T10:00:00+01:00").status, 201)
        let r = try t.admin.get("/api/v1/outbox?status=pending")
        XCTAssertEqual(r.status, 200, r.text)
        let items = r.object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.compactMap { $0["kind"] as? String }.sorted(), ["booked", "reminder"])
        XCTAssertEqual(items.first?["attempts"] as? Int, 0)
        XCTAssertFalse(r.text.contains("ayse") || r.text.contains("Merhaba") || r.text.contains("afspraak/"), r.text)
        XCTAssertEqual((try t.admin.get("/api/v1/outbox?status=sent").object["items"] as? [Any])?.count, 0)
        XCTAssertEqual(try t.admin.get("/api/v1/outbox?status=nonsense").status, 422)
        XCTAssertEqual(try w.staffA.get("/api/v1/outbox").status, 403)
        XCTAssertEqual(try t.client.get("/api/v1/outbox").status, 401)
    }

    func testReadinessSaysMailIsNotConfiguredWithoutFailing() throws {
        let r = try t.client.get("/readyz")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.object["mail"] as? String, "not configured")
    }

    // MARK: The sender's round

    /// With a server that cannot be reached: the typed error kept as last_error, backoff by the app's clock, failed
    /// after the last attempt (delivery itself is Tests/browser/test_mail.py).
    func testAnUnreachableServerIsRetriedWithBackoffThenFailed() throws {
        let test = self
        XCTAssertEqual(try test.book("2026-03-10T10:00:00+01:00").status, 201)
        var c = test.t.app.configuration
        c.mail.smtpURL = "smtp://127.0.0.1:1"
        c.mail.retrySeconds = 60
        c.mail.maxAttempts = 2
        c.runJobs = false
        let sender = App(configuration: c, logger: TestPostgres.logger)
        defer { sender.stop() }
        XCTAssertEqual(try sender.sendMailOnce(), .init(sent: 0, retried: 1, failed: 0, dropped: 0), "the confirmation; the reminder is not due")
        let row = try test.sql("SELECT status, attempts, last_error, rfc3339(send_after, 'UTC') AS next FROM outbox_message WHERE kind = 'booked'").first!
        XCTAssertEqual(try row.string("status"), "pending")
        XCTAssertEqual(try row.int("attempts"), 1)
        let error = try row.string("last_error")
        XCTAssertTrue(error.hasPrefix("SMTP server unreachable"), error)
        XCTAssertEqual(try row.string("next"), "2026-03-02T10:01:00Z", "retry after LOKET_MAIL_RETRY_SECONDS by the app's clock")
        test.clock.advance(seconds: 59)
        XCTAssertEqual(try sender.sendMailOnce(), .init(), "not before its next try")
        test.clock.advance(seconds: 1)
        XCTAssertEqual(try sender.sendMailOnce(), .init(sent: 0, retried: 0, failed: 1, dropped: 0))
        XCTAssertEqual(try test.sql("SELECT status FROM outbox_message WHERE kind = 'booked'").first!.string("status"), "failed")
        test.clock.advance(seconds: 86_400)
        XCTAssertEqual(try sender.sendMailOnce(), .init(), "a failed message stays failed")
        // Without LOKET_SMTP_URL there is no round at all: messages wait.
        XCTAssertNil(try test.t.app.sendMailOnce())
    }
}
