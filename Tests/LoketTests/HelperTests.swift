@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Helpers acting on someone's behalf, over HTTP against a real database: a coordinator creates them, they book with
/// the person's consent (stored and audited), they see and change only what they arranged (another helper's
/// appointments are 404 everywhere), every staff route refuses them, a public route treats them as the public, and
/// attendees (helpers, interpreters) show as kinds to participating staff and need a seat in the room when they come
/// in person. The clock is fixed on Monday 2026-03-02 11:00 in Amsterdam; bookings are for Tuesday 2026-03-10.
final class HelperTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)
    let day = "2026-03-10"
    var library = ""
    var coordinator: HTTPClient!

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock }
        w = try World.make(t)
        let lib = try t.admin.post("/api/v1/agencies", json: ["code": "bieb", "name": "Bibliotheek"])
        XCTAssertEqual(lib.status, 201, lib.text)
        library = lib.object["id"] as? String ?? ""
        let coco = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "coco", "password": "correct horse battery",
                                                            "displayName": "Coco", "role": "coordinator"])
        XCTAssertEqual(coco.status, 201, coco.text)
        coordinator = try World.login(t, "coco")
    }
    override func tearDown() { t.tearDown() }


    func count(_ text: String, _ params: any PostgresEncodable...) throws -> Int {
        let db = try t.connection()
        defer { db.close() }
        return try db.query(Query(SQL(unsafeUnchecked: text), parameters: params)).first?.int("n") ?? -1
    }

    /// A helper account made by the coordinator, logged in.
    func helper(_ username: String, _ name: String) throws -> (client: HTTPClient, id: String) {
        let r = try coordinator.post("/api/v1/staff", json: ["agencyId": library, "username": username, "password": "correct horse battery",
                                                             "displayName": name, "role": "helper"])
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.object["role"] as? String, "helper")
        return (try World.login(t, username), r.object["id"] as? String ?? "")
    }

    func staff(_ name: String, _ agency: String, _ services: [String]) throws -> String {
        let id = try sql("INSERT INTO staff (agency_id, username, password_hash, display_name, role) VALUES ($1, $2, '$argon2id$test', $2, 'staff') RETURNING id::text AS id",
                         agency, name).first!.string("id")
        for s in services { try sql("INSERT INTO staff_service (staff_id, service_id, agency_id) VALUES ($1, $2, $3)", id, s, agency) }
        try sql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) VALUES ($1, $2, 2::smallint, '09:00'::time, '12:00'::time)",
                id, w.locationID)
        return id
    }

    func makeType(_ code: String, _ services: [String], fields: [String: Any] = [:]) throws -> String {
        var body: [String: Any] = ["code": code, "name": code, "durationMinutes": 30, "requirements": services.map { ["serviceId": $0] },
                                   "minNoticeMinutes": 0, "publicBooking": true]
        body.merge(fields) { $1 }
        let r = try t.admin.post("/api/v1/appointment-types", json: body)
        XCTAssertEqual(r.status, 201, r.text)
        return r.object["id"] as? String ?? ""
    }

    func room(_ name: String, capacity: Int) throws -> String {
        let r = try t.admin.post("/api/v1/locations/\(w.locationID)/rooms", json: ["name": name, "capacity": capacity])
        XCTAssertEqual(r.status, 201, r.text)
        return r.object["id"] as? String ?? ""
    }

    /// Tuesdays 09:00–12:00 open; a 30-minute public type of agency A with one staff member.
    func simpleSetup() throws -> String {
        let r = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": [["weekday": 2, "opens": "09:00", "closes": "12:00"]], "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(r.status, 200, r.text)
        _ = try staff("a1", w.agencyA, [w.serviceA])
        return try makeType("kort", [w.serviceA])
    }

    func at(_ hhmm: String) -> String { "\(day)T\(hhmm):00+01:00" }

    let consent: [String: Any] = ["method": "phone", "givenAt": "2026-03-02T10:30:00+01:00", "scope": "Afspraak WW maken en verzetten"]

    func book(_ client: HTTPClient, _ type: String, _ start: String, consent: [String: Any]? = nil, extra: [String: Any] = [:]) throws -> HTTPResponse {
        var body: [String: Any] = ["locationId": w.locationID, "appointmentTypeId": type, "start": start,
                                   "citizen": ["name": "Fatima El Amrani", "phone": "06 1234 5678"]]
        if let consent { body["consent"] = consent }
        body.merge(extra) { $1 }
        return try client.post("/api/v1/appointments", json: body)
    }

    func invalidNames(_ r: HTTPResponse) -> [String] {
        (r.object["invalidParams"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    func list(_ client: HTTPClient, _ query: String = "") throws -> [String] {
        let r = try client.get("/api/v1/appointments?from=2026-03-09T00:00:00Z&to=2026-03-12T00:00:00Z" + query)
        XCTAssertEqual(r.status, 200, r.text)
        return (r.object["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    // MARK: Creating helpers, booking with consent

    func testCoordinatorCreatesHelpersWhoBookWithConsentStoredAndAudited() throws {
        let type = try simpleSetup()
        // Coordinators create helpers and nothing else; a helper serves no services.
        let notHelper = try coordinator.post("/api/v1/staff", json: ["agencyId": library, "username": "sam", "password": "correct horse battery",
                                                                    "displayName": "Sam", "role": "staff"])
        XCTAssertEqual(notHelper.status, 403, notHelper.text)
        let withServices = try coordinator.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "hulp", "password": "correct horse battery",
                                                                       "displayName": "Hulp", "role": "helper", "serviceIds": [w.serviceA]])
        XCTAssertEqual(withServices.status, 422)
        XCTAssertEqual(invalidNames(withServices), ["serviceIds"])
        XCTAssertEqual(try w.staffA.post("/api/v1/staff", json: ["agencyId": library, "username": "hx", "password": "correct horse battery",
                                                                 "displayName": "Hx", "role": "helper"]).status, 403, "staff create no accounts")
        let (hanna, hannaID) = try helper("hanna", "Hanna de Vries")
        let me = try hanna.get("/api/v1/sessions/current")
        XCTAssertEqual(me.status, 200, me.text)
        XCTAssertEqual((me.object["staff"] as? [String: Any])?["role"] as? String, "helper")

        // Without consent, with a bad one, or with staff choices: refused, nothing booked.
        let none = try book(hanna, type, at("10:00"))
        XCTAssertEqual(none.status, 422, none.text)
        XCTAssertEqual(invalidNames(none), ["consent"])
        let bad = try book(hanna, type, at("10:00"), consent: ["method": "telepathy", "givenAt": "2026-03-03T10:00:00+01:00", "scope": " "])
        XCTAssertEqual(bad.status, 422)
        XCTAssertEqual(Set(invalidNames(bad)), ["consent.method", "consent.givenAt", "consent.scope"], "future givenAt, empty scope")
        XCTAssertEqual(try book(hanna, type, at("10:00"), consent: ["method": "written", "givenAt": "2026-03-02T10:00:00Z",
                                                                   "scope": String(repeating: "x", count: 201)]).status, 422)
        XCTAssertEqual(invalidNames(try book(hanna, type, at("10:00"), consent: consent, extra: ["staffIds": [w.staffAID]])), ["staffIds"],
                       "a helper books as the public: Loket chooses the staff")
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM appointment"), 0)
        // Only helpers record consent.
        XCTAssertEqual(invalidNames(try book(w.staffA, type, at("10:00"), consent: consent)), ["consent"])
        XCTAssertEqual(invalidNames(try book(t.client, type, at("10:00"), consent: consent)), ["consent"])

        let r = try book(hanna, type, at("10:00"), consent: consent)
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertNil(r.object["manageToken"], "the helper manages it through their account")
        let id = r.object["id"] as? String ?? ""
        let representative = r.object["representative"] as? [String: Any]
        XCTAssertEqual(representative?["organisationId"] as? String, library)
        XCTAssertEqual(representative?["name"] as? String, "Hanna de Vries")
        XCTAssertEqual((representative?["consent"] as? [String: Any])?["method"] as? String, "phone")
        XCTAssertEqual((representative?["consent"] as? [String: Any])?["scope"] as? String, "Afspraak WW maken en verzetten")
        XCTAssertEqual((representative?["consent"] as? [String: Any])?["givenAt"] as? String, "2026-03-02T10:30:00+01:00")

        // Stored: who, how, when, for what, and when it was recorded (the app's clock).
        let row = try sql("""
            SELECT helper_id::text AS helper, action, method, scope, epoch_us(given_at)::text AS given, epoch_us(recorded_at)::text AS recorded
            FROM appointment_consent WHERE appointment_id = $1
            """, id)
        XCTAssertEqual(row.count, 1)
        XCTAssertEqual(try row.first?.string("helper"), hannaID)
        XCTAssertEqual(try row.first?.string("action"), "book")
        XCTAssertEqual(try row.first?.string("method"), "phone")
        XCTAssertEqual(try row.first?.string("given"), String(Instant(rfc3339: "2026-03-02T10:30:00+01:00")!.microseconds))
        XCTAssertEqual(try row.first?.string("recorded"), String(clock.now().microseconds))
        XCTAssertEqual(try sql("SELECT booked_by::text AS b FROM appointment WHERE id = $1", id).first?.string("b"), hannaID)
        // Audited as the helper's, with how consent was given but never its words.
        let audit = try sql("SELECT staff_id::text AS s, agency_id::text AS a, detail::text AS d FROM audit_log WHERE action = 'appointment.book' AND subject_id = $1", id)
        XCTAssertEqual(audit.count, 1)
        XCTAssertEqual(try audit.first?.string("s"), hannaID)
        XCTAssertEqual(try audit.first?.string("a"), library)
        let detail = try audit.first?.string("d") ?? ""
        XCTAssertTrue(detail.contains("\"method\": \"phone\""), detail)
        XCTAssertFalse(detail.contains("WW maken"), "the audit log keeps no scope text: \(detail)")

        // Participating staff see that a representative is involved and on what basis.
        let seen = try w.staffA.get("/api/v1/appointments/\(id)")
        XCTAssertEqual(seen.status, 200, seen.text)
        XCTAssertEqual((seen.object["representative"] as? [String: Any])?["name"] as? String, "Hanna de Vries")
        XCTAssertEqual((seen.object["attendees"] as? [Any])?.count, 0)
        // A retry with the same Idempotency-Key books once and records the consent once.
        let keyed = { try hanna.post("/api/v1/appointments", json: ["locationId": self.w.locationID, "appointmentTypeId": type,
                                                                    "start": self.at("11:00"), "citizen": ["name": "Piet", "phone": "0201234567"], "consent": self.consent],
                                     headers: ["Idempotency-Key": "helper-retry-1"]) }
        let first = try keyed(), second = try keyed()
        XCTAssertEqual(first.status, 201, first.text)
        XCTAssertEqual(second.object["id"] as? String, first.object["id"] as? String, second.text)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM appointment_consent WHERE action = 'book'"), 2)
        // A type closed to the public is closed to helpers.
        let internalType = try makeType("intern", [w.serviceA], fields: ["publicBooking": false])
        XCTAssertEqual(invalidNames(try book(hanna, internalType, at("11:00"), consent: consent)), ["appointmentTypeId"])
        // A deactivated helper is logged out: the coordinator ends their access.
        XCTAssertEqual(try coordinator.delete("/api/v1/staff/\(w.staffAID)").status, 403, "coordinators deactivate helpers only")
        XCTAssertEqual(try coordinator.delete("/api/v1/staff/\(hannaID)").status, 200)
        XCTAssertEqual(try hanna.get("/api/v1/sessions/current").status, 401)
    }

    // MARK: Scope

    func testAHelperNeverSeesOrChangesAnotherHelpersBookings() throws {
        let type = try simpleSetup()
        let (hanna, hannaID) = try helper("hanna", "Hanna")
        let (henk, henkID) = try helper("henk", "Henk")
        let mine = try book(hanna, type, at("09:00"), consent: consent).object["id"] as? String ?? ""
        let theirs = try book(henk, type, at("09:30"), consent: consent).object["id"] as? String ?? ""
        let publicOne = try book(t.client, type, at("10:00")).object["id"] as? String ?? ""
        let staffOne = try book(w.staffA, type, at("10:30")).object["id"] as? String ?? ""
        XCTAssertFalse([mine, theirs, publicOne, staffOne].contains(""))

        // Lists: each helper only their own, whatever the filters; staff still see all of their agency's.
        XCTAssertEqual(try list(hanna), [mine])
        XCTAssertEqual(try list(henk), [theirs])
        XCTAssertEqual(try list(hanna, "&locationId=\(w.locationID)&status=booked"), [mine])
        XCTAssertEqual(try list(w.staffA), [mine, theirs, publicOne, staffOne])
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.list' AND staff_id = $1::uuid", hannaID), 2)

        // One, confirm, reschedule, cancel, attendees: another helper's (or anyone else's) appointment is not there.
        for other in [theirs, publicOne, staffOne] {
            XCTAssertEqual(try hanna.get("/api/v1/appointments/\(other)").status, 404)
            XCTAssertEqual(try hanna.patch("/api/v1/appointments/\(other)", json: ["start": at("11:30")]).status, 404)
            XCTAssertEqual(try hanna.post("/api/v1/appointments/\(other)/cancel").status, 404)
            XCTAssertEqual(try hanna.post("/api/v1/appointments/\(other)/confirm").status, 404)
            XCTAssertEqual(try hanna.post("/api/v1/appointments/\(other)/attendees",
                                          json: ["kind": "interpreter", "language": "ar", "mode": "phone"]).status, 404)
        }
        XCTAssertEqual(try sql("SELECT status, sequence FROM appointment WHERE id = $1", theirs).first.map { try $0.int("sequence") }, 0,
                       "nothing changed")
        XCTAssertEqual(try sql("SELECT helper_arranged($1::uuid, $2::uuid) AS a", theirs, henkID).first?.bool("a"), true)
        XCTAssertEqual(try sql("SELECT helper_arranged($1::uuid, $2::uuid) AS a", theirs, hannaID).first?.bool("a"), false)

        // Their own: read (audited), reschedule under the public rules (with a consent of its own), cancel.
        XCTAssertEqual((try hanna.get("/api/v1/appointments/\(mine)").object["citizen"] as? [String: Any])?["name"] as? String, "Fatima El Amrani")
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.read' AND staff_id = $1::uuid AND subject_id = $2",
                                 hannaID, mine), 1)
        XCTAssertEqual(invalidNames(try hanna.patch("/api/v1/appointments/\(mine)", json: ["start": at("11:00"), "staffIds": [w.staffAID]])), ["staffIds"])
        let moved = try hanna.patch("/api/v1/appointments/\(mine)", json: ["start": at("11:00"), "consent": ["method": "inPerson",
                                                                             "givenAt": "2026-03-02T11:00:00+01:00", "scope": "verzetten naar 11 uur"]])
        XCTAssertEqual(moved.status, 200, moved.text)
        XCTAssertEqual(moved.object["start"] as? String, at("11:00"))
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM appointment_consent WHERE appointment_id = $1 AND action = 'reschedule' AND method = 'inPerson'", mine), 1)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.reschedule' AND staff_id = $1::uuid", hannaID), 1)
        let cancelled = try hanna.post("/api/v1/appointments/\(mine)/cancel", json: ["reason": "Zij is ziek"])
        XCTAssertEqual(cancelled.status, 200, cancelled.text)
        XCTAssertEqual(cancelled.object["status"] as? String, "cancelled")
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.cancel' AND staff_id = $1::uuid", hannaID), 1)
        XCTAssertEqual(try hanna.post("/api/v1/appointments/\(mine)/cancel").status, 409, "the state machine still decides")

        // Once it has started, only the desk changes it.
        let early = try book(hanna, type, at("09:30"), consent: consent)
        XCTAssertEqual(early.status, 409, "taken by Henk's booking")
        let later = try book(hanna, type, at("11:30"), consent: consent).object["id"] as? String ?? ""
        clock.set(Instant(rfc3339: at("11:30"))!)
        let again = try World.login(t, "hanna")  // a week on, the old session has expired
        XCTAssertEqual(try again.post("/api/v1/appointments/\(later)/cancel").status, 409)
        XCTAssertEqual(try again.get("/api/v1/appointments/\(later)").status, 200, "still theirs to see")
    }

    // MARK: Every staff route refuses a helper

    func testEveryRouteButTheHelpersOwnRefusesAHelper() throws {
        let (hanna, _) = try helper("hanna", "Hanna")
        // The routes meant for helpers, on purpose: a new one must be added here consciously.
        let forHelpers: Set<String> = [
            "GET /api/v1/sessions/current", "DELETE /api/v1/sessions/current",
            // Log out everywhere: a helper's own sessions only (anyone else's is an admin's).
            "DELETE /api/v1/staff/{staffId}/sessions",
            "GET /api/v1/appointments", "GET /api/v1/appointments/{appointmentId}",
            "POST /api/v1/appointments/{appointmentId}/confirm", "PATCH /api/v1/appointments/{appointmentId}",
            "POST /api/v1/appointments/{appointmentId}/cancel", "POST /api/v1/appointments/{appointmentId}/check-in",
            "POST /api/v1/appointments/{appointmentId}/attendees", "DELETE /api/v1/appointments/{appointmentId}/attendees/{attendeeId}",
        ]
        var checked = 0
        for (route, _) in Features.routes {
            let name = "\(route.method) \(route.path)"
            if route.access == .public { continue }
            if route.access == .helper {
                XCTAssertTrue(forHelpers.contains(name), "\(name) admits helpers but is not meant for them")
                continue
            }
            let p = route.path.split(separator: "/").map { $0.hasPrefix("{") ? UUID().uuidString.lowercased() : String($0) }
                .reduce("") { $0 + "/" + $1 }
            let r = try hanna.send(route.method, p, body: Array("{}".utf8), headers: ["Content-Type": "application/json"])
            XCTAssertEqual(r.status, 403, "\(name) as a helper: \(r.text)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, 40)
        XCTAssertEqual(Set(Features.routes.filter { $0.route.access == .helper }.map { "\($0.route.method) \($0.route.path)" }), forHelpers)
        // On public routes a helper is the public: no urgent numbers, no internal types in the search.
        let urgent = try hanna.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.urgentA, "priority": "urgent"])
        XCTAssertEqual(urgent.status, 403, urgent.text)
        XCTAssertEqual(try w.staffA.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.urgentA, "priority": "urgent"]).status, 201)
        let internalType = try makeType("intern", [w.serviceA], fields: ["publicBooking": false])
        XCTAssertEqual(try hanna.get("/api/v1/locations/\(w.locationID)/available-times?appointmentType=\(internalType)&from=\(day)&to=\(day)").status, 404)
        XCTAssertEqual(try hanna.get("/api/v1/appointment-types").status, 401, "the internal list needs a coordinator")
        // And the helper can still log out.
        XCTAssertEqual(try hanna.delete("/api/v1/sessions/current").status, 204)
    }

    // MARK: Attendees

    func testAttendeesShowAsKindsAndInPersonOnesNeedASeat() throws {
        let r = try t.admin.send("PUT", "/api/v1/locations/\(w.locationID)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": [["weekday": 2, "opens": "09:00", "closes": "12:00"]], "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(r.status, 200, r.text)
        _ = try staff("a1", w.agencyA, [w.serviceA])
        _ = try staff("b1", w.agencyB, [w.serviceB])
        let joint = try makeType("samen", [w.serviceA, w.serviceB], fields: ["needsRoom": true])
        let small = try room("Klein", capacity: 3)
        let big = try room("Groot", capacity: 5)
        let (hanna, hannaID) = try helper("hanna", "Hanna")
        let (henk, henkID) = try helper("henk", "Henk")
        let booked = try book(hanna, joint, at("10:00"), consent: consent)
        XCTAssertEqual(booked.status, 201, booked.text)
        let id = booked.object["id"] as? String ?? ""
        XCTAssertEqual(booked.object["roomId"] as? String, small, "citizen + 2 staff fit the small room")
        let path = "/api/v1/appointments/\(id)/attendees"

        // Validation: an interpreter needs a language; a helper brings only themselves; accounts must be helpers.
        XCTAssertEqual(invalidNames(try hanna.post(path, json: ["kind": "interpreter", "mode": "phone"])), ["language"])
        XCTAssertEqual(invalidNames(try hanna.post(path, json: ["kind": "driver", "mode": "bus"])), ["kind", "mode"])
        XCTAssertEqual(invalidNames(try hanna.post(path, json: ["kind": "helper", "staffId": henkID, "mode": "phone"])), ["staffId"])
        XCTAssertEqual(invalidNames(try w.staffA.post(path, json: ["kind": "helper", "staffId": w.staffBID, "mode": "phone"])), ["staffId"],
                       "staff are not helpers")
        // The small room is full: an interpreter in person does not fit, by phone they do.
        let noSeat = try hanna.post(path, json: ["kind": "interpreter", "language": "ar", "mode": "inPerson"])
        XCTAssertEqual(noSeat.status, 409, noSeat.text)
        let byPhone = try hanna.post(path, json: ["kind": "interpreter", "language": "ar", "mode": "phone", "name": "Tolk Youssef"])
        XCTAssertEqual(byPhone.status, 201, byPhone.text)
        // Staff move it to the big room: now two attendees can come in person (1 + 2 + 2 = 5), a third cannot.
        let moved = try w.staffA.patch("/api/v1/appointments/\(id)", json: ["start": at("10:00"), "roomId": big])
        XCTAssertEqual(moved.status, 200, moved.text)
        XCTAssertEqual(try hanna.post(path, json: ["kind": "helper", "staffId": hannaID, "mode": "inPerson"]).status, 201)
        XCTAssertEqual(try hanna.post(path, json: ["kind": "helper", "staffId": hannaID, "mode": "phone"]).status, 409, "once")
        XCTAssertEqual(try w.staffB.post(path, json: ["kind": "interpreter", "language": "tr", "mode": "inPerson"]).status, 201)
        let full = try w.staffA.post(path, json: ["kind": "helper", "name": "Buurvrouw", "mode": "inPerson"])
        XCTAssertEqual(full.status, 409, full.text)
        // A reschedule keeps their seats: the small room no longer holds everyone.
        XCTAssertEqual(invalidNames(try w.staffA.patch("/api/v1/appointments/\(id)", json: ["start": at("10:30"), "roomId": small])), ["roomId"])
        let later = try hanna.patch("/api/v1/appointments/\(id)", json: ["start": at("10:30")])
        XCTAssertEqual(later.status, 200, later.text)
        XCTAssertEqual(later.object["roomId"] as? String, big)

        // Participating staff of both agencies see who comes along as kinds, modes and languages.
        let seen = try w.staffB.get("/api/v1/appointments/\(id)")
        XCTAssertEqual(seen.status, 200, seen.text)
        let attendees = seen.object["attendees"] as? [[String: Any]] ?? []
        XCTAssertEqual(attendees.map { $0["kind"] as? String }, ["interpreter", "helper", "interpreter"])
        XCTAssertEqual(attendees.map { $0["mode"] as? String }, ["phone", "inPerson", "inPerson"])
        XCTAssertEqual(attendees.map { $0["language"] as? String }, ["ar", nil, "tr"])
        XCTAssertEqual(attendees.map { $0["name"] as? String }, ["Tolk Youssef", "Hanna", nil])
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.attendee.add' AND subject_id = $1", id), 3)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM appointment_attendee WHERE appointment_id = $1 AND mode = 'inPerson'", id), 2)

        // Removing: another helper cannot; the arranging helper and staff can; twice is 404.
        let interpreter = attendees.first?["id"] as? String ?? ""
        XCTAssertEqual(try henk.delete("\(path)/\(interpreter)").status, 404)
        let removed = try hanna.delete("\(path)/\(interpreter)")
        XCTAssertEqual(removed.status, 200, removed.text)
        XCTAssertEqual((removed.object["attendees"] as? [[String: Any]])?.count, 2)
        XCTAssertEqual(try w.staffA.delete("\(path)/\(interpreter)").status, 404)
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM audit_log WHERE action = 'appointment.attendee.remove' AND staff_id = $1::uuid", hannaID), 1)
        // Cancelled: no one joins any more.
        XCTAssertEqual(try hanna.post("/api/v1/appointments/\(id)/cancel").status, 200)
        XCTAssertEqual(try w.staffA.post(path, json: ["kind": "interpreter", "language": "pl", "mode": "phone"]).status, 409)
    }

    /// Twenty staff members add an in-person interpreter at once to an appointment whose room has one seat left:
    /// the appointment's row lock serialises the seat checks, so exactly one gets it.
    func testTheLastSeatGoesToExactlyOneOfManyConcurrentAdds() throws {
        let type = try simpleSetup()
        let small = try room("Klein", capacity: 3)  // citizen + staff member + one more
        let r = try t.admin.patch("/api/v1/appointment-types/\(type)", json: ["needsRoom": true])
        XCTAssertEqual(r.status, 200, r.text)
        let booked = try book(w.staffA, type, at("10:00"))
        XCTAssertEqual(booked.object["roomId"] as? String, small, booked.text)
        let path = "/api/v1/appointments/\(booked.object["id"] as? String ?? "")/attendees"
        let client = w.staffA
        let results = StatusBox(20)
        let gate = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for i in 0..<20 {
            group.enter()
            Thread.detachNewThread {
                gate.wait()
                results.set(i, (try? client.post(path, json: ["kind": "interpreter", "language": "ar", "mode": "inPerson"]).status) ?? -1)
                group.leave()
            }
        }
        for _ in 0..<20 { gate.signal() }
        group.wait()
        XCTAssertEqual(results.all.filter { $0 == 201 }.count, 1, "\(results.all)")
        XCTAssertEqual(results.all.filter { $0 == 409 }.count, 19, "\(results.all)")
        XCTAssertEqual(try count("SELECT count(*)::int AS n FROM appointment_attendee WHERE mode = 'inPerson'"), 1)
    }
}

/// One value of every statement type of helpers.sql, for the statement test (StatementTests).
enum HelperStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            HelperConsentInsert(appointmentID: id, helperID: id, action: "book", method: "phone", givenAt: now, scope: "x", now: now),
            HelperArranged(appointmentID: id, helperID: id),
            HelperAppointmentList(helperID: id, locationID: nil, from: now, to: now, staffID: nil, statuses: nil, afterStart: nil, afterID: nil, limit: 1),
            HelperAppointmentOne(id: id, helperID: id),
            AttendeeSeats(appointmentID: id),
            AttendeeInsert(appointmentID: id, kind: "interpreter", helperID: nil, language: "ar", mode: "phone", name: nil, addedBy: nil, now: now),
            AttendeeDelete(appointmentID: id, attendeeID: id),
        ]
    }()
}
