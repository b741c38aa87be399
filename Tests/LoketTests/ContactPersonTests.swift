@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// One contact person and warm referral over HTTP at fixed clock times (a `ManualClock`): Tuesday 2026-03-10, 10:00
/// in Amsterdam (09:00Z). Anna (agency A) becomes a visitor's contact person; Carla is Anna's colleague serving the
/// same service; Bram (agency B) and Bea, his colleague, serve agency B's service.
final class ContactPersonTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-10T09:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp {
            $0.clock = clock
            $0.runJobs = false
        }
        w = try World.make(t, desks: 3)
    }
    override func tearDown() { t.tearDown() }


    func set(_ utc: String, day: String = "2026-03-10") { clock.set(Instant(rfc3339: "\(day)T\(utc):00Z")!) }

    func colleague(_ name: String, agency: String, services: [String]) throws -> (id: String, client: HTTPClient) {
        let r = try t.admin.post("/api/v1/staff", json: ["agencyId": agency, "username": name, "password": "correct horse battery",
                                                         "displayName": name, "role": "staff", "serviceIds": services])
        XCTAssertEqual(r.status, 201, r.text)
        return (r.object["id"] as! String, try World.login(t, name))
    }

    /// Calls next at `desk`; the number called, or nil when call-next answers 204.
    func call(_ staff: HTTPClient, desk: Int, file: StaticString = #filePath, line: UInt = #line) throws -> (number: String, id: String)? {
        let r = try staff.post("/api/v1/desks/\(w.desks[desk])/call-next")
        if r.status == 204 { return nil }
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        return (r.object["number"] as? String ?? "", r.object["id"] as? String ?? "")
    }

    func finish(_ staff: HTTPClient, _ ticket: String, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try staff.post("/api/v1/tickets/\(ticket)/finish").status, 200, file: file, line: line)
    }

    func withCode(_ code: String, location: String? = nil) throws -> HTTPResponse {
        try t.client.post("/api/v1/locations/\(location ?? w.locationID)/contact-tickets", json: ["code": code, "language": "nl"])
    }

    func ticketCount() throws -> Int { try sql("SELECT count(*)::int AS n FROM ticket").first!.int("n") }

    /// Anna serves a walk-in and becomes their contact person; the visit ends. Returns the code.
    func annaBecomesContactPerson(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try w.take(t, w.serviceA)
        guard let first = try call(w.staffA, desk: 0) else { XCTFail("nobody to call", file: file, line: line); return "" }
        let r = try w.staffA.post("/api/v1/tickets/\(first.id)/contact-person", json: ["note": "Schulden, loopt bij de gemeente"])
        XCTAssertEqual(r.status, 201, r.text, file: file, line: line)
        let code = r.object["code"] as? String ?? ""
        XCTAssertEqual(code.count, 6, file: file, line: line)
        XCTAssertTrue(code.allSatisfy(Set("23456789ABCDEFGHJKMNPQRSTUVWXYZ").contains), code, file: file, line: line)
        // Asking again for the same visit gives the same code.
        let again = try w.staffA.post("/api/v1/tickets/\(first.id)/contact-person")
        XCTAssertEqual(again.status, 200, again.text, file: file, line: line)
        XCTAssertEqual(again.object["code"] as? String, code, file: file, line: line)
        try finish(w.staffA, first.id, file: file, line: line)
        return code
    }

    func queueItem(_ staff: HTTPClient, _ number: String) throws -> [String: Any]? {
        let r = try staff.get("/api/v1/locations/\(w.locationID)/queue")
        XCTAssertEqual(r.status, 200, r.text)
        return (r.object["items"] as? [[String: Any]] ?? []).first { $0["number"] as? String == number }
    }

    // MARK: Tests

    /// The code is issued to the staff member holding the visit; a ticket drawn with it is offered to Anna (on duty:
    /// she served a visitor today) for 20 minutes: Carla's call-next passes over it until then, and calls it after.
    func testKioskTicketWithCodeIsOfferedFirstToTheContactPersonThenToColleaguesAfterTheWait() throws {
        let carla = try colleague("carla", agency: w.agencyA, services: [w.serviceA])
        // Only the holder of the visit can become its contact person.
        try w.take(t, w.serviceA)
        let held = try call(carla.client, desk: 1)!
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(held.id)/contact-person").status, 409)
        try finish(carla.client, held.id)

        let code = try annaBecomesContactPerson()
        let audited = try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'contactPerson.start' AND staff_id = $1", w.staffAID)
        XCTAssertEqual(try audited.first?.int("n"), 1)

        set("09:05")
        let r = try withCode(" \(code.lowercased().prefix(3))-\(code.suffix(3)) ")  // case, spaces and dashes ignored
        XCTAssertEqual(r.status, 201, r.text)
        let number = r.object["number"] as! String
        XCTAssertTrue(number.hasPrefix("U"), "Anna's first service: \(number)")
        XCTAssertEqual(r.object["serviceId"] as? String, w.serviceA)
        XCTAssertNil(r.object["staffId"], "the public answer names no staff member")
        XCTAssertEqual(r.object["contactCode"] as? String, code, "the ticket repeats the code (as typed, cleaned), for the visitor to keep")

        // The desk pages say who it is meant for.
        XCTAssertEqual(try queueItem(w.staffA, number)?["forPerson"] as? String, "me")
        XCTAssertEqual(try queueItem(w.staffA, number)?["offeredToMe"] as? Bool, true)
        XCTAssertEqual(try queueItem(carla.client, number)?["forPerson"] as? String, "colleague")
        XCTAssertEqual(try queueItem(carla.client, number)?["offeredToOthers"] as? Bool, true)

        XCTAssertNil(try call(carla.client, desk: 1), "offered to Anna first")
        set("09:24")
        XCTAssertNil(try call(carla.client, desk: 1), "still within the 20 minutes")
        set("09:25")
        let called = try call(carla.client, desk: 1)
        XCTAssertEqual(called?.number, number, "after the wait any qualified colleague calls it")
    }

    /// Anna herself calls it first, ahead of the wait.
    func testTheContactPersonCallsTheirVisitorAtOnce() throws {
        let code = try annaBecomesContactPerson()
        set("09:10")
        let number = try withCode(code).object["number"] as? String
        set("09:11")
        XCTAssertEqual(try call(w.staffA, desk: 0)?.number, number)
    }

    /// The next day Anna has not sat at a desk yet: not on duty, so nobody waits for her and Carla calls at once.
    func testContactPersonNotOnDutyMeansAnyoneQualifiedAtOnce() throws {
        let code = try annaBecomesContactPerson()
        set("08:00", day: "2026-03-11")
        let carla = try colleague("carla", agency: w.agencyA, services: [w.serviceA])
        let r = try withCode(code)
        XCTAssertEqual(r.status, 201, r.text)
        let offer = try sql("SELECT offered_to IS NULL AS none FROM ticket WHERE id = $1", r.object["id"] as! String)
        XCTAssertEqual(try offer.first?.bool("none"), true)
        XCTAssertEqual(try call(carla.client, desk: 1)?.number, r.object["number"] as? String)
    }

    /// Logged out counts as not on duty too, even after serving today.
    func testContactPersonLoggedOutIsNotOnDuty() throws {
        let code = try annaBecomesContactPerson()
        try sql("DELETE FROM session WHERE staff_id = $1", w.staffAID)
        let carla = try colleague("carla", agency: w.agencyA, services: [w.serviceA])
        set("09:10")
        let r = try withCode(code)
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(try call(carla.client, desk: 1)?.number, r.object["number"] as? String)
    }

    /// Handover to a named colleague: Bram (on duty) is offered it first; the note is for agency B only and its read
    /// is audited; Bea (agency B, same service) waits the 20 minutes.
    func testHandoverToNamedColleagueOffersItToThemAndTheNoteStaysWithTheirAgency() throws {
        let bea = try colleague("bea", agency: w.agencyB, services: [w.serviceB])
        // Bram is on duty: he served someone today.
        try w.take(t, w.serviceB)
        try finish(w.staffB, try call(w.staffB, desk: 1)!.id)

        set("09:02")
        try w.take(t, w.serviceA)
        let visit = try call(w.staffA, desk: 0)!
        // Yourself, or nobody known: refused, nothing changes.
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(visit.id)/handover", json: ["toStaffId": w.staffAID]).status, 422)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(visit.id)/handover",
                                         json: ["toStaffId": "00000000-0000-0000-0000-000000000001"]).status, 422)
        let r = try w.staffA.post("/api/v1/tickets/\(visit.id)/handover", json: ["toStaffId": w.staffBID, "note": "Wil AOW-aanvraag bespreken"])
        XCTAssertEqual(r.status, 200, r.text)
        let hop = try sql("SELECT to_staff_id::text AS s, to_agency_id::text AS a FROM ticket_handover WHERE ticket_id = $1", visit.id)
        XCTAssertEqual(try hop.first?.string("s"), w.staffBID)
        XCTAssertEqual(try hop.first?.string("a"), w.agencyB)
        let audit = try sql("SELECT detail->>'toStaffId' AS s FROM audit_log WHERE action = 'ticket.handover' AND subject_id = $1", visit.id)
        XCTAssertEqual(try audit.first?.string("s"), w.staffBID)

        let mine = try queueItem(w.staffB, visit.number)
        XCTAssertEqual(mine?["handoverNote"] as? String, "Wil AOW-aanvraag bespreken")
        XCTAssertEqual(mine?["forPerson"] as? String, "me")
        XCTAssertEqual(try queueItem(bea.client, visit.number)?["handoverNote"] as? String, "Wil AOW-aanvraag bespreken", "Bram's agency")
        XCTAssertNil(try queueItem(w.staffA, visit.number), "agency A no longer sees the ticket, nor the note")
        let notes = try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'ticket.note.read' AND staff_id = $1", w.staffBID)
        XCTAssertEqual(try notes.first?.int("n"), 1)
        // No other agency reads it: the note is stored for agency B only.
        let hidden = try sql("SELECT count(*)::int AS n FROM ticket_handover WHERE ticket_id = $1 AND to_agency_id <> $2", visit.id, w.agencyB)
        XCTAssertEqual(try hidden.first?.int("n"), 0)

        XCTAssertNil(try call(bea.client, desk: 2), "offered to Bram first")
        XCTAssertEqual(try call(w.staffB, desk: 1)?.number, visit.number)
    }

    /// Handed over by name to a colleague who is not on duty: any qualified staff member at once.
    func testHandoverToNamedColleagueNotOnDutyGoesToAnyoneAtOnce() throws {
        let bea = try colleague("bea", agency: w.agencyB, services: [w.serviceB])
        try w.take(t, w.serviceA)
        let visit = try call(w.staffA, desk: 0)!
        let r = try w.staffA.post("/api/v1/tickets/\(visit.id)/handover", json: ["toStaffId": w.staffBID])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(try call(bea.client, desk: 2)?.number, visit.number)
    }

    /// Malformed, unknown, another location's and ended codes: plain problems and no ticket.
    func testWrongAndEndedCodesCreateNothing() throws {
        let code = try annaBecomesContactPerson()
        let before = try ticketCount()
        XCTAssertEqual(try withCode("12").status, 422)
        let unknown = try withCode(code == "ZZZZZZ" ? "YYYYYY" : "ZZZZZZ")
        XCTAssertEqual(unknown.status, 404, unknown.text)
        XCTAssertEqual(unknown.object["type"] as? String, "urn:loket:problem:contact-unknown")
        let other = try World.make(t, desks: 1, code: "noord")
        XCTAssertEqual(try withCode(code, location: other.locationID).status, 404, "a code belongs to its location")
        // Ending: only Anna (or a coordinator of her agency); then the code stops working.
        let first = try sql("SELECT ticket_id::text AS t FROM contact_person WHERE code = $1", code).first!.string("t")
        XCTAssertEqual(try w.staffB.delete("/api/v1/tickets/\(first)/contact-person").status, 404)
        XCTAssertEqual(try w.staffA.delete("/api/v1/tickets/\(first)/contact-person").status, 204)
        let ended = try withCode(code)
        XCTAssertEqual(ended.status, 404, ended.text)
        XCTAssertEqual(try ticketCount(), before, "no ticket for a wrong or ended code")
    }

    /// The retention purge empties a contact person's note only once the relation has ended and the agency's
    /// period has passed; an active relation keeps its note however old.
    func testTheNoteIsPurgedOnlyAfterTheRelationEndedAndTheRetentionPassed() throws {
        let code = try annaBecomesContactPerson()
        let note = { try self.sql("SELECT note FROM contact_person WHERE code = $1", code).first!.optionalString("note") }
        let db = try t.connection()
        defer { db.close() }
        set("09:00", day: "2026-06-10")
        _ = try RetentionPurge.run(db, now: clock.now(), steps: [ContactNotePurge()])
        XCTAssertNotNil(try note(), "an active relation keeps its note")
        // Back to the day itself (the staff sessions are valid then) to end the relation at 10:00Z.
        set("10:00")
        let first = try sql("SELECT ticket_id::text AS t FROM contact_person WHERE code = $1", code).first!.string("t")
        XCTAssertEqual(try w.staffA.delete("/api/v1/tickets/\(first)/contact-person").status, 204)
        set("10:00", day: "2026-04-08")
        XCTAssertEqual(try RetentionPurge.run(db, now: clock.now(), steps: [ContactNotePurge()]).map(\.purged), [0], "29 days after the end")
        XCTAssertNotNil(try note())
        set("10:01", day: "2026-04-09")
        XCTAssertEqual(try RetentionPurge.run(db, now: clock.now(), steps: [ContactNotePurge()]).map(\.purged), [1], "30 days after the end")
        XCTAssertNil(try note())
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM contact_person WHERE code = $1", code).first!.int("n"), 1, "the relation stays")
    }

    // MARK: Follow-up in one step (migration 0015)

    /// Anna books the follow-up with her own contact code: she takes part although Carla has less booked (the code is
    /// preferred; without a code Carla gets the next one), the appointment answers the code, and the confirmation tells it. A code of nobody taking part, an
    /// unknown code or a public booking with a code are 422 naming `contactCode`; an ended relation is no longer told.
    func testAFollowUpBookedWithTheContactCodeIsWithTheContactPersonAndTellsTheCode() throws {
        let code = try annaBecomesContactPerson()
        let carla = try colleague("carla", agency: w.agencyA, services: [w.serviceA])
        let hours = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": [["weekday": 2, "opens": "09:00", "closes": "12:00"]], "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(hours.status, 200, hours.text)
        for staff in [w.staffAID, carla.id] {
            try sql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) VALUES ($1, $2, 2::smallint, '09:00'::time, '12:00'::time)",
                    staff, w.locationID)
        }
        let ty = try t.admin.post("/api/v1/appointment-types", json: ["code": "vervolg", "name": "vervolg", "durationMinutes": 30,
                                                                     "requirements": [["serviceId": w.serviceA]], "minNoticeMinutes": 0, "publicBooking": true])
        XCTAssertEqual(ty.status, 201, ty.text)
        let type = ty.object["id"] as? String ?? ""
        func book(_ client: HTTPClient, _ hhmm: String, _ extra: [String: Any]) throws -> HTTPResponse {
            var body: [String: Any] = ["locationId": w.locationID, "appointmentTypeId": type, "start": "2026-03-17T\(hhmm):00+01:00",
                                       "citizen": ["name": "Jan Jansen", "email": "jan@example.nl", "language": "nl"]]
            body.merge(extra) { $1 }
            return try client.post("/api/v1/appointments", json: body)
        }
        func participants(_ r: HTTPResponse) -> [String] {
            (r.object["participants"] as? [[String: Any]] ?? []).compactMap { $0["staffId"] as? String }
        }
        func invalid(_ r: HTTPResponse, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(r.status, 422, r.text, file: file, line: line)
            XCTAssertTrue((r.object["invalidParams"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == "contactCode" }, r.text,
                          file: file, line: line)
        }
        // Anna has more booked than Carla: without the code the least booked (Carla) would be chosen.
        let busy = try book(w.staffA, "11:00", ["staffIds": [w.staffAID]])
        XCTAssertEqual(busy.status, 201, busy.text)
        XCTAssertTrue(busy.object.keys.contains("contactCode"), "the key is always there")
        XCTAssertTrue(busy.object["contactCode"] is NSNull, busy.text)
        let r = try book(w.staffA, "10:00", ["contactCode": code.lowercased()])
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(participants(r), [w.staffAID], "the contact person takes part")
        XCTAssertEqual(r.object["contactCode"] as? String, code)
        let plain = try book(w.staffA, "09:00", [:])
        XCTAssertEqual(participants(plain), [carla.id], "least booked without a code")
        XCTAssertTrue(plain.object["contactCode"] is NSNull, plain.text)
        let id = r.object["id"] as? String ?? ""
        XCTAssertEqual(try t.admin.get("/api/v1/appointments/\(id)").object["contactCode"] as? String, code)
        let mail = try sql("SELECT body FROM outbox_message WHERE appointment_id = $1 ORDER BY kind", id).map { try $0.string("body") }
        XCTAssertEqual(mail.count, 2, "confirmation and reminder")
        for body in mail { XCTAssertTrue(body.contains("Uw vaste contactpersoon heeft code \(code). Noem deze code bij de kiosk."), body) }
        let plainMail = try sql("SELECT body FROM outbox_message WHERE appointment_id = $1", plain.object["id"] as? String ?? "")
        XCTAssertFalse(try plainMail.first?.string("body").contains("contactpersoon") ?? true, "no line without a contact person")

        invalid(try book(w.staffA, "10:30", ["contactCode": code, "staffIds": [carla.id]]))  // the contact person does not take part
        invalid(try book(w.staffA, "10:30", ["contactCode": "ZZZZZZ"]))
        invalid(try book(t.client, "10:30", ["contactCode": code]))
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment").first!.int("n"), 3, "nothing booked by a refused request")

        // Ending the relation: the code stops being told.
        let visit = try sql("SELECT ticket_id::text AS t FROM contact_person WHERE code = $1", code).first!.string("t")
        XCTAssertEqual(try w.staffA.delete("/api/v1/tickets/\(visit)/contact-person").status, 204)
        XCTAssertTrue(try t.admin.get("/api/v1/appointments/\(id)").object["contactCode"] is NSNull)
    }

    // MARK: Desk page pieces: notes, colleagues, follow-up with me

    func notes(_ staff: HTTPClient, _ ticket: String) throws -> HTTPResponse { try staff.get("/api/v1/tickets/\(ticket)/notes") }
    func noteReads(_ staffID: String, _ ticket: String) throws -> Int {
        try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'ticket.note.read' AND staff_id = $1 AND subject_id = $2",
                staffID, ticket).first!.int("n")
    }

    /// The contact relation's note is agency A's (Anna's), a handover note is the receiving agency's: each agency reads
    /// only its own over `GET /tickets/{id}/notes`, every read that shows a note is audited, and another agency gets
    /// the same 404 as a ticket without notes (it does not learn that one exists).
    func testNotesAreReadOnlyByTheAgencyTheyAreForAndEachReadIsAudited() throws {
        let bea = try colleague("bea", agency: w.agencyB, services: [w.serviceB])
        let code = try annaBecomesContactPerson()
        set("09:10")
        let visit = try withCode(code).object["id"] as! String

        let own = try notes(w.staffA, visit)
        XCTAssertEqual(own.status, 200, own.text)
        let items = own.object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.map { $0["kind"] as? String }, ["contactPerson"])
        XCTAssertEqual(items.first?["note"] as? String, "Schulden, loopt bij de gemeente")
        XCTAssertEqual(items.first?["writtenBy"] as? String, "Anna")
        XCTAssertEqual(try noteReads(w.staffAID, visit), 1)
        XCTAssertEqual(try notes(w.staffA, visit).status, 200)
        XCTAssertEqual(try noteReads(w.staffAID, visit), 2, "each read is audited")

        let other = try notes(w.staffB, visit)
        XCTAssertEqual(other.status, 404, other.text)
        XCTAssertFalse(other.text.contains("Schulden"), other.text)
        XCTAssertEqual(try noteReads(w.staffBID, visit), 0, "nothing shown, nothing audited")
        XCTAssertEqual(try notes(w.staffB, "00000000-0000-0000-0000-000000000001").status, 404)
        XCTAssertEqual(try t.client.get("/api/v1/tickets/\(visit)/notes").status, 401, "staff only")

        // Anna hands the visitor over to Bram with a note for agency B.
        set("09:11")
        XCTAssertEqual(try call(w.staffA, desk: 0)?.id, visit)
        let hand = try w.staffA.post("/api/v1/tickets/\(visit)/handover", json: ["toStaffId": w.staffBID, "note": "Wil AOW-aanvraag bespreken"])
        XCTAssertEqual(hand.status, 200, hand.text)
        for reader in [w.staffB, bea.client] {
            let b = try notes(reader, visit)
            XCTAssertEqual(b.status, 200, b.text)
            let got = b.object["items"] as? [[String: Any]] ?? []
            XCTAssertEqual(got.map { $0["kind"] as? String }, ["handover"], "agency B reads its handover note, not agency A's note")
            XCTAssertEqual(got.first?["note"] as? String, "Wil AOW-aanvraag bespreken")
        }
        XCTAssertEqual(try noteReads(w.staffBID, visit), 1)
        XCTAssertEqual(try noteReads(bea.id, visit), 1)
        let a = try notes(w.staffA, visit).object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(a.map { $0["note"] as? String }, ["Schulden, loopt bij de gemeente"], "agency A never reads agency B's note")
    }

    /// The handover picker: colleagues serving the service here, on duty today first, never the asker nor helpers.
    func testColleaguesForANamedHandoverOnDutyFirst() throws {
        let carla = try colleague("carla", agency: w.agencyA, services: [w.serviceA])
        let aaron = try colleague("aaron", agency: w.agencyA, services: [w.serviceA])
        _ = try annaBecomesContactPerson()  // Anna served a visitor today: on duty
        let r = try w.staffB.get("/api/v1/locations/\(w.locationID)/colleagues?serviceId=\(w.serviceA)")
        XCTAssertEqual(r.status, 200, r.text)
        let items = r.object["items"] as? [[String: Any]] ?? []
        XCTAssertEqual(items.map { $0["id"] as? String }, [w.staffAID, aaron.id, carla.id], "on duty first, then by name")
        XCTAssertEqual(items.map { $0["onDuty"] as? Bool }, [true, false, false])
        XCTAssertEqual(items.first?["agencyId"] as? String, w.agencyA)
        XCTAssertEqual(Set(items.first?["serviceIds"] as? [String] ?? []), [w.serviceA, w.urgentA])
        let mine = try w.staffA.get("/api/v1/locations/\(w.locationID)/colleagues").object["items"] as? [[String: Any]] ?? []
        XCTAssertFalse(mine.contains { $0["id"] as? String == w.staffAID }, "not yourself")
        XCTAssertTrue(mine.contains { $0["id"] as? String == w.staffBID }, "any service without serviceId")
        XCTAssertEqual(try w.staffA.get("/api/v1/locations/\(w.locationID)/colleagues?serviceId=x").status, 422)
        XCTAssertEqual(try t.client.get("/api/v1/locations/\(w.locationID)/colleagues").status, 401)
    }

    /// "A follow-up with me": the types Anna takes alone (not a joint type, not agency B's), her own free times only
    /// (a time where only Carla is free is not offered), and booking one with her code places her and keeps the link.
    func testFollowUpWithMeOffersMyOwnFreeTimesAndBooksWithMe() throws {
        let code = try annaBecomesContactPerson()
        let carla = try colleague("carla", agency: w.agencyA, services: [w.serviceA])
        let hours = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": [["weekday": 2, "opens": "09:00", "closes": "12:00"]], "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(hours.status, 200, hours.text)
        for staff in [w.staffAID, carla.id, w.staffBID] {
            try sql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) VALUES ($1, $2, 2::smallint, '09:00'::time, '12:00'::time)",
                    staff, w.locationID)
        }
        func type(_ code: String, _ services: [String]) throws -> String {
            let r = try t.admin.post("/api/v1/appointment-types", json: ["code": code, "name": code, "durationMinutes": 30, "minNoticeMinutes": 0,
                                                                        "requirements": services.map { ["serviceId": $0] }])
            XCTAssertEqual(r.status, 201, r.text)
            return r.object["id"] as? String ?? ""
        }
        let vervolg = try type("vervolg", [w.serviceA])
        _ = try type("samen", [w.serviceA, w.serviceB])
        _ = try type("belasting", [w.serviceB])
        let listed = try w.staffA.get("/api/v1/locations/\(w.locationID)/follow-up-types")
        XCTAssertEqual(listed.status, 200, listed.text)
        XCTAssertEqual((listed.object["items"] as? [[String: Any]] ?? []).map { $0["id"] as? String }, [vervolg])
        XCTAssertEqual((listed.object["items"] as? [[String: Any]])?.first?["nameField"] as? String, "required")

        // Anna is booked at 10:00 today (it is 10:00 in Amsterdam now); Carla is free then.
        let busy = try w.staffA.post("/api/v1/appointments", json: ["locationId": w.locationID, "appointmentTypeId": vervolg,
                                                                    "start": "2026-03-10T10:00:00+01:00", "staffIds": [w.staffAID],
                                                                    "citizen": ["name": "Piet"]])
        XCTAssertEqual(busy.status, 201, busy.text)
        let all = try w.staffA.get("/api/v1/locations/\(w.locationID)/available-times?appointmentType=\(vervolg)&from=2026-03-10&to=2026-03-10")
        XCTAssertTrue((all.object["items"] as? [[String: Any]] ?? []).contains { $0["start"] as? String == "2026-03-10T10:00:00+01:00" },
                      "Carla is free at 10:00: " + all.text)
        let times = try w.staffA.get("/api/v1/locations/\(w.locationID)/follow-up-times?appointmentType=\(vervolg)")
        XCTAssertEqual(times.status, 200, times.text)
        let starts = (times.object["items"] as? [[String: Any]] ?? []).compactMap { $0["start"] as? String }
        XCTAssertEqual(starts.count, ContactRoutes.followUpTimesMax)
        XCTAssertEqual(starts.first, "2026-03-10T10:30:00+01:00", "Anna's own first free time, not Carla's 10:00")
        XCTAssertEqual(starts, starts.sorted())
        XCTAssertEqual((try w.staffB.get("/api/v1/locations/\(w.locationID)/follow-up-times?appointmentType=\(vervolg)").object["items"] as? [Any])?.count,
                       0, "Bram does not serve it")

        let r = try w.staffA.post("/api/v1/appointments", json: ["locationId": w.locationID, "appointmentTypeId": vervolg, "start": starts[0],
                                                                 "contactCode": code, "citizen": ["name": "Jan Jansen", "language": "nl"]])
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual((r.object["participants"] as? [[String: Any]] ?? []).compactMap { $0["staffId"] as? String }, [w.staffAID])
        let link = try sql("SELECT c.staff_id::text AS s FROM appointment a JOIN contact_person c ON c.id = a.contact_person_id WHERE a.id = $1",
                           r.object["id"] as? String ?? "")
        XCTAssertEqual(try link.first?.string("s"), w.staffAID)
        let after = try w.staffA.get("/api/v1/locations/\(w.locationID)/follow-up-times?appointmentType=\(vervolg)")
        XCTAssertFalse((after.object["items"] as? [[String: Any]] ?? []).contains { $0["start"] as? String == starts[0] }, "now taken")
    }
}

enum ContactStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            ContactPersonStart(ticketID: id, staffID: id, code: "K7M2QX", note: nil, now: now),
            ContactPersonEnd(ticketID: id, staffID: id, agencyWide: false, now: now),
            ContactTicketTake(locationID: id, code: "K7M2QX", language: "nl", now: now, offeredUntil: now),
            ContactPersonForBooking(locationID: id, code: "K7M2QX"),
            AppointmentContactPersonSet(appointmentID: id, contactPersonID: id),
            TicketNotesForAgency(ticketID: id, agencyID: id),
            ColleaguesAtLocation(locationID: id, serviceID: nil, staffID: id, now: now),
            FollowUpTypes(locationID: id, staffID: id),
        ]
    }()
}
