@testable import API
import Credentials
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Reading appointments over HTTP against a real database, behind the agency wall: the staff list, one appointment,
/// and the citizen's manage link — for anonymous callers, the token holder, staff of a participating agency, staff of
/// another agency, a coordinator and admins — and the audit rows every personal read leaves.
///
/// Appointments are inserted with SQL (the booking API is built separately), at one location with three agencies
/// (UWV = A, SVB = B, gemeente = C) and a room. The app's clock is fixed on Monday 2026-03-02 11:00 in Amsterdam.
final class AppointmentReadTests: XCTestCase {
    var t: TestApp!
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock }
    }
    override func tearDown() { t.tearDown() }

    /// The people and appointments of a test.
    struct Scene {
        let w: World
        let staffC: HTTPClient
        let staffCID: String
        let coordinator: HTTPClient
        let coordinatorID: String
        let adminMember: HTTPClient
        let adminMemberID: String
        /// Single-agency A (UWV), booked, Tuesday 10:00.
        let singleA: String
        /// Single-agency B (SVB), booked, Tuesday 11:00.
        let singleB: String
        /// Joint A + B + C with the room, booked, Wednesday 10:00.
        let joint: String
        /// A, held for 10 more minutes, Thursday 10:00.
        let heldA: String
        /// A, cancelled, Thursday 12:00.
        let cancelledA: String
        /// Joint B + C with the room (A does not take part), booked, Friday 10:00.
        let jointBC: String
        /// Manage tokens by appointment id.
        let tokens: [String: String]
        /// Citizens' names and phone numbers by appointment id.
        let names: [String: String]
        let phones: [String: String]
    }

    func scene() throws -> Scene {
        let w = try World.make(t)
        let admin = t.admin
        func create(_ path: String, _ body: [String: Any]) throws -> String {
            let r = try admin.post(path, json: body)
            XCTAssertEqual(r.status, 201, "\(path): \(r.text)")
            return r.object["id"] as? String ?? ""
        }
        let agencyC = try create("/api/v1/agencies", ["code": "gemeente", "name": "Gemeente"])
        let serviceC = try create("/api/v1/services", ["agencyId": agencyC, "code": "schulden", "name": "Schuldhulp", "ticketPrefix": "G",
                                                        "durationMinutes": 10, "urgent": false, "locationIds": [w.locationID], "lifeQuestion": "money"])
        let staffCID = try create("/api/v1/staff", ["agencyId": agencyC, "username": "carla", "password": "correct horse battery",
                                                    "displayName": "Carla", "role": "staff", "serviceIds": [serviceC]])
        let coordinatorID = try create("/api/v1/staff", ["agencyId": w.agencyA, "username": "coco", "password": "correct horse battery",
                                                         "displayName": "Coco", "role": "coordinator"])
        let adminMemberID = try create("/api/v1/staff", ["agencyId": w.agencyB, "username": "adam", "password": "correct horse battery",
                                                         "displayName": "Adam", "role": "admin"])
        let db = try t.connection()
        defer { db.close() }
        try db.query(Query("UPDATE location SET street_address = 'Stadhuisplein 1', postal_code = '1011 AB', city = 'Amsterdam' WHERE id = $1",
                           w.locationID))
        let room = try db.query(Query("INSERT INTO room (location_id, name) VALUES ($1, 'Spreekkamer 2') RETURNING id::text AS id", w.locationID))
            .first!.string("id")
        func type(_ code: String, _ name: String, _ services: [String], room: Bool) throws -> String {
            let id = try db.query(Query("""
                INSERT INTO appointment_type (code, name, duration_minutes, needs_room, public_booking)
                VALUES ($1, $2, 30, $3, true) RETURNING id::text AS id
                """, code, name, room)).first!.string("id")
            for (i, s) in services.enumerated() {
                try db.query(Query("INSERT INTO appointment_type_requirement (appointment_type_id, position, service_id) VALUES ($1, $2, $3)",
                                   id, i, s))
            }
            return id
        }
        let typeA = try type("ww-gesprek", "WW-gesprek", [w.serviceA], room: false)
        let typeB = try type("aow-gesprek", "AOW-gesprek", [w.serviceB], room: false)
        let typeJoint = try type("samen", "Samen aan tafel", [w.serviceA, w.serviceB, serviceC], room: true)
        let typeBC = try type("samen-bc", "SVB en gemeente", [w.serviceB, serviceC], room: true)

        var tokens: [String: String] = [:]
        var names: [String: String] = [:]
        var phones: [String: String] = [:]
        var count = 0
        func appointment(_ type: String, _ status: String, _ start: String, _ name: String, heldUntil: String? = nil,
                         participants: [(staff: String, service: String, agency: String)], room: String? = nil) throws -> String {
            count += 1
            let token = Credentials.randomToken()
            let id = try db.query(Query("""
                INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at,
                                         held_until, citizen_name, citizen_email, citizen_phone, needs, manage_token_hash,
                                         created_at, updated_at)
                VALUES ($1, $2, $3, 2026, $4, $5::timestamptz, $5::timestamptz + interval '30 minutes', $6::timestamptz, $7, $8,
                        $9, '{interpreter}', $10, $11::timestamptz, $11::timestamptz)
                RETURNING id::text AS id
                """, w.locationID, type, "KM7P2" + String(Array("23456789")[count]), status, start, heldUntil, name,
                     name.lowercased().replacingOccurrences(of: " ", with: ".") + "@example.nl", "+31 6 1234 56\(count)",
                     PostgresValue.bytes(Credentials.tokenDigest(token)), clock.now())).first!.string("id")
            for (i, p) in participants.enumerated() {
                try db.query(Query("""
                    INSERT INTO appointment_reservation (appointment_id, appointment_status, position, staff_id, service_id, agency_id, during)
                    SELECT id, status, $2, $3, $4, $5, tstzrange(starts_at, ends_at) FROM appointment WHERE id = $1
                    """, id, i, p.staff, p.service, p.agency))
            }
            if let room {
                try db.query(Query("""
                    INSERT INTO appointment_reservation (appointment_id, appointment_status, room_id, during)
                    SELECT id, status, $2, tstzrange(starts_at, ends_at) FROM appointment WHERE id = $1
                    """, id, room))
            }
            tokens[id] = token
            names[id] = name
            phones[id] = "+31 6 1234 56\(count)"
            return id
        }
        let a = (staff: w.staffAID, service: w.serviceA, agency: w.agencyA)
        let b = (staff: w.staffBID, service: w.serviceB, agency: w.agencyB)
        let c = (staff: staffCID, service: serviceC, agency: agencyC)
        let singleA = try appointment(typeA, "booked", "2026-03-03T10:00:00+01:00", "Jan Jansen", participants: [a])
        let singleB = try appointment(typeB, "booked", "2026-03-03T11:00:00+01:00", "Bea Bakker", participants: [b])
        let joint = try appointment(typeJoint, "booked", "2026-03-04T10:00:00+01:00", "Joost Samen", participants: [a, b, c], room: room)
        let heldA = try appointment(typeA, "held", "2026-03-05T10:00:00+01:00", "Henk Houden", heldUntil: "2026-03-02T11:10:00+01:00",
                                    participants: [a])
        let cancelledA = try appointment(typeA, "cancelled", "2026-03-05T12:00:00+01:00", "Cor Afgezegd", participants: [a])
        let jointBC = try appointment(typeBC, "booked", "2026-03-06T10:00:00+01:00", "Bert Tweede", participants: [b, c], room: room)
        return Scene(w: w, staffC: try World.login(t, "carla"), staffCID: staffCID, coordinator: try World.login(t, "coco"),
                     coordinatorID: coordinatorID, adminMember: try World.login(t, "adam"), adminMemberID: adminMemberID,
                     singleA: singleA, singleB: singleB, joint: joint, heldA: heldA, cancelledA: cancelledA, jointBC: jointBC,
                     tokens: tokens, names: names, phones: phones)
    }

    static let week = "from=2026-03-02T00:00:00%2B01:00&to=2026-03-09T00:00:00%2B01:00"

    func ids(_ r: HTTPResponse) -> [String] {
        (r.object["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    /// The audit rows of an action, newest last: who and what.
    func audits(_ action: String) throws -> [(staff: String?, subject: String?, detail: [String: Any])] {
        let db = try t.connection()
        defer { db.close() }
        return try db.query(Query("""
            SELECT staff_id::text AS staff, subject_id AS subject, detail::text AS detail FROM audit_log WHERE action = $1 ORDER BY id
            """, action)).map { row in
            let detail = (try? JSONSerialization.jsonObject(with: Data(try row.string("detail").utf8))) as? [String: Any] ?? [:]
            return (try row.isNull("staff") ? nil : try row.string("staff"), try row.isNull("subject") ? nil : try row.string("subject"), detail)
        }
    }

    /// Asserts that none of the citizens' names, e-mail addresses or phone numbers of `ids` appear in the answer.
    /// With `idsToo`, their ids must not appear either (a list; a 404 names the id that was asked for).
    func assertNoPersonalData(of ids: [String], in r: HTTPResponse, _ s: Scene, idsToo: Bool = true,
                              file: StaticString = #filePath, line: UInt = #line) {
        for id in ids {
            let name = s.names[id] ?? "?"
            XCTAssertFalse(r.text.contains(name), "\(name) leaked: \(r.text)", file: file, line: line)
            XCTAssertFalse(r.text.contains(name.lowercased().replacingOccurrences(of: " ", with: ".") + "@"), "e-mail leaked", file: file, line: line)
            XCTAssertFalse(r.text.contains(s.phones[id] ?? "?"), "phone leaked", file: file, line: line)
            if idsToo { XCTAssertFalse(r.text.contains(id), "an appointment behind the wall is listed", file: file, line: line) }
        }
    }

    // MARK: Anonymous

    func testWithoutLoginListsAndReadsAre401() throws {
        let s = try scene()
        XCTAssertEqual(try t.client.get("/api/v1/appointments?\(Self.week)").status, 401)
        XCTAssertEqual(try t.client.get("/api/v1/appointments/\(s.singleA)").status, 401)
        XCTAssertEqual(try t.client.get("/api/v1/appointments/\(s.singleA)").text.contains("Jan"), false)
        XCTAssertEqual(try t.client.with(bearer: "not-a-session").get("/api/v1/appointments/\(s.singleA)").status, 401)
        XCTAssertEqual(try audits("appointment.read").count + audits("appointment.list").count, 0)
    }

    // MARK: Staff of a participating agency

    func testStaffListTheirAgencysAppointmentsWithPersonalFieldsAndTheReadIsAudited() throws {
        let s = try scene()
        let r = try s.w.staffA.get("/api/v1/appointments?\(Self.week)")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("cache-control"), "no-store")
        XCTAssertEqual(ids(r), [s.singleA, s.joint, s.heldA, s.cancelledA], "UWV's own and the joint one it takes part in, by start")
        XCTAssertTrue(r.object["next"] is NSNull)
        let items = r.object["items"] as? [[String: Any]] ?? []
        for item in items {
            let citizen = item["citizen"] as? [String: Any]
            XCTAssertEqual(citizen?["name"] as? String, s.names[item["id"] as? String ?? ""], "personal fields for a participating agency")
            XCTAssertNotNil(citizen?["email"] as? String)
            XCTAssertEqual(citizen?["phone"] as? String, s.phones[item["id"] as? String ?? ""])
            XCTAssertEqual(citizen?["needs"] as? [String], ["interpreter"])
        }
        let joint = items.first { $0["id"] as? String == s.joint } ?? [:]
        XCTAssertEqual(joint["joint"] as? Bool, true)
        XCTAssertEqual(joint["roomName"] as? String, "Spreekkamer 2")
        XCTAssertEqual((joint["participants"] as? [[String: Any]])?.map { $0["staffId"] as? String },
                       [s.w.staffAID, s.w.staffBID, s.staffCID], "in requirement order")
        XCTAssertEqual(items.first?["start"] as? String, "2026-03-03T10:00:00+01:00", "in the location's zone")
        assertNoPersonalData(of: [s.singleB, s.jointBC], in: r, s)
        XCTAssertFalse(r.text.contains(s.singleB) || r.text.contains(s.jointBC))

        let list = try audits("appointment.list")
        XCTAssertEqual(list.count, 1)
        XCTAssertEqual(list.first?.staff, s.w.staffAID)
        XCTAssertEqual(list.first?.detail["count"] as? Int, 4)
        XCTAssertEqual(list.first?.detail["appointmentIds"] as? [String], [s.singleA, s.joint, s.heldA, s.cancelledA])

        // Gemeente's staff member takes part in both joint appointments only.
        let c = try s.staffC.get("/api/v1/appointments?\(Self.week)")
        XCTAssertEqual(ids(c), [s.joint, s.jointBC])
        assertNoPersonalData(of: [s.singleA, s.singleB, s.heldA, s.cancelledA], in: c, s)
        XCTAssertEqual(try audits("appointment.list").last?.staff, s.staffCID)
    }

    func testStaffReadOneOfTheirAgencyWithPersonalFieldsAndTheReadIsAudited() throws {
        let s = try scene()
        for (client, staff, id) in [(s.w.staffA, s.w.staffAID, s.singleA), (s.w.staffA, s.w.staffAID, s.joint),
                                    (s.w.staffB, s.w.staffBID, s.joint), (s.staffC, s.staffCID, s.joint)] {
            let r = try client.get("/api/v1/appointments/\(id)")
            XCTAssertEqual(r.status, 200, r.text)
            XCTAssertEqual(r.header("cache-control"), "no-store")
            XCTAssertEqual(r.object["id"] as? String, id)
            XCTAssertEqual((r.object["citizen"] as? [String: Any])?["name"] as? String, s.names[id])
            XCTAssertEqual((r.object["reference"] as? String)?.count, 6)
            let audit = try audits("appointment.read").last
            XCTAssertEqual(audit?.staff, staff)
            XCTAssertEqual(audit?.subject, id)
        }
        XCTAssertEqual(try audits("appointment.read").count, 4)
        // Upper-case ids are the same appointment.
        XCTAssertEqual(try s.w.staffA.get("/api/v1/appointments/\(s.singleA.uppercased())").status, 200)
    }

    // MARK: Staff of another agency

    func testStaffOfAnotherAgencyGet404AndNoAuditRow() throws {
        let s = try scene()
        for (client, id) in [(s.w.staffB, s.singleA), (s.w.staffB, s.heldA), (s.w.staffB, s.cancelledA),
                             (s.w.staffA, s.singleB), (s.w.staffA, s.jointBC), (s.staffC, s.singleA)] {
            let r = try client.get("/api/v1/appointments/\(id)")
            XCTAssertEqual(r.status, 404, r.text)
            XCTAssertEqual(r.header("content-type"), "application/problem+json")
            assertNoPersonalData(of: [id], in: r, s, idsToo: false)
        }
        let unknown = try s.w.staffA.get("/api/v1/appointments/\(UUID().uuidString.lowercased())")
        XCTAssertEqual(unknown.status, 404, "the same answer as for one behind the wall")
        XCTAssertEqual(try s.w.staffA.get("/api/v1/appointments/not-an-id").status, 404)
        XCTAssertEqual(try audits("appointment.read").count, 0, "nothing personal was shown")
    }

    /// A filter naming another agency's staff member narrows the caller's own list; it never shows that agency's
    /// appointments.
    func testStaffIdOfAnotherAgencyShowsOnlyJointAppointmentsWeTakePartIn() throws {
        let s = try scene()
        let r = try s.w.staffA.get("/api/v1/appointments?\(Self.week)&staffId=\(s.w.staffBID)")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(ids(r), [s.joint])
        assertNoPersonalData(of: [s.singleB, s.jointBC], in: r, s)
        // The location filter neither.
        let here = try s.w.staffA.get("/api/v1/appointments?\(Self.week)&locationId=\(s.w.locationID)")
        XCTAssertEqual(ids(here), [s.singleA, s.joint, s.heldA, s.cancelledA])
        let own = try s.w.staffB.get("/api/v1/appointments?\(Self.week)&staffId=\(s.w.staffAID)")
        XCTAssertEqual(ids(own), [s.joint])
        assertNoPersonalData(of: [s.singleA, s.heldA, s.cancelledA], in: own, s)
    }

    // MARK: Coordinators and admins

    func testCoordinatorAndAdminsSeeEveryAppointmentWithPersonalFieldsAudited() throws {
        let s = try scene()
        let all = [s.singleA, s.singleB, s.joint, s.heldA, s.cancelledA, s.jointBC]
        for (client, staff) in [(s.coordinator, Optional(s.coordinatorID)), (s.adminMember, Optional(s.adminMemberID)), (t.admin, nil)] {
            let r = try client.get("/api/v1/appointments?\(Self.week)&locationId=\(s.w.locationID)")
            XCTAssertEqual(r.status, 200, r.text)
            XCTAssertEqual(ids(r), all)
            let names = (r.object["items"] as? [[String: Any]] ?? []).map { ($0["citizen"] as? [String: Any])?["name"] as? String }
            XCTAssertEqual(names, all.map { s.names[$0] })
            let audit = try audits("appointment.list").last
            XCTAssertEqual(audit?.staff, staff, "the bootstrap token is audited without a staff member")
            XCTAssertEqual(audit?.detail["appointmentIds"] as? [String], all)

            let one = try client.get("/api/v1/appointments/\(s.singleB)")
            XCTAssertEqual(one.status, 200, one.text)
            XCTAssertEqual((one.object["citizen"] as? [String: Any])?["name"] as? String, "Bea Bakker")
            XCTAssertEqual(try audits("appointment.read").last?.subject, s.singleB)
            XCTAssertEqual(try audits("appointment.read").last?.staff, staff)
        }
    }

    // MARK: List parameters

    func testStatusFilterRangeAndEmptyListsWriteNoAudit() throws {
        let s = try scene()
        let c = s.coordinator
        XCTAssertEqual(ids(try c.get("/api/v1/appointments?\(Self.week)&status=cancelled")), [s.cancelledA])
        XCTAssertEqual(ids(try c.get("/api/v1/appointments?\(Self.week)&status=held,booked")),
                       [s.singleA, s.singleB, s.joint, s.heldA, s.jointBC])
        // [from, to): an appointment starting exactly at `to` belongs to the next range; one starting at `from` to this.
        XCTAssertEqual(ids(try c.get("/api/v1/appointments?from=2026-03-03T10:00:00%2B01:00&to=2026-03-04T10:00:00%2B01:00")),
                       [s.singleA, s.singleB])
        // An offset's + sent unencoded arrives as a space; it is read as the + it was. Z works too.
        XCTAssertEqual(ids(try c.get("/api/v1/appointments?from=2026-03-03T10:00:00+01:00&to=2026-03-03T09:00:01Z")), [s.singleA])
        let before = try audits("appointment.list").count
        let empty = try c.get("/api/v1/appointments?\(Self.week)&locationId=\(UUID().uuidString)")
        XCTAssertEqual(empty.status, 200)
        XCTAssertEqual(ids(empty), [])
        XCTAssertEqual(try s.w.staffA.get("/api/v1/appointments?\(Self.week)&status=noShow").status, 200)
        XCTAssertEqual(try audits("appointment.list").count, before, "an empty answer shows nothing personal")
    }

    func testInvalidParametersAre422NamingEachAndNothingIsRead() throws {
        let s = try scene()
        func invalid(_ query: String, _ names: Set<String>, file: StaticString = #filePath, line: UInt = #line) throws {
            let r = try s.w.staffA.get("/api/v1/appointments?" + query)
            XCTAssertEqual(r.status, 422, r.text, file: file, line: line)
            let got = Set((r.object["invalidParams"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
            XCTAssertEqual(got, names, r.text, file: file, line: line)
        }
        try invalid("", ["from", "to"])
        try invalid("from=2026-03-02&to=2026-03-03", ["from", "to"])
        try invalid("from=2026-03-02T10:00:00&to=yesterday", ["from", "to"])
        try invalid("from=2026-03-03T00:00:00Z&to=2026-03-03T00:00:00Z", ["to"])
        try invalid("from=2026-03-04T00:00:00Z&to=2026-03-03T00:00:00Z", ["to"])
        try invalid("from=2026-03-01T00:00:00Z&to=2026-06-02T00:00:00Z", ["to"])  // 93 days
        try invalid("\(Self.week)&locationId=centrum&staffId=anna", ["locationId", "staffId"])
        try invalid("\(Self.week)&status=booked,gone", ["status"])
        try invalid("\(Self.week)&status=", ["status"])
        try invalid("\(Self.week)&limit=0", ["limit"])
        try invalid("\(Self.week)&limit=1001", ["limit"])
        try invalid("\(Self.week)&limit=ten", ["limit"])
        try invalid("\(Self.week)&after=abc", ["after"])
        try invalid("\(Self.week)&after=12.\(s.singleA)x", ["after"])
        XCTAssertEqual(try s.w.staffA.get("/api/v1/appointments?from=2026-03-01T00:00:00Z&to=2026-06-01T00:00:00Z").status, 200, "92 days")
        XCTAssertEqual(try s.w.staffA.get("/api/v1/appointments?\(Self.week)&limit=1000").status, 200)
    }

    func testPagesFollowTheCursorWithoutGapsOrRepeats() throws {
        let s = try scene()
        // Two appointments at the same start: the id breaks the tie, so neither is skipped nor repeated.
        let db = try t.connection()
        defer { db.close() }
        try db.query(Query("""
            INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at, created_at, updated_at)
            SELECT location_id, appointment_type_id, 'TW2NNN', 2026, 'booked', starts_at, ends_at, created_at, updated_at
            FROM appointment WHERE id = $1
            """, s.singleB))
        var seen: [String] = []
        var path = "/api/v1/appointments?\(Self.week)&limit=2"
        var pages = 0
        while true {
            let r = try s.coordinator.get(path)
            XCTAssertEqual(r.status, 200, r.text)
            let page = ids(r)
            XCTAssertLessThanOrEqual(page.count, 2)
            seen += page
            pages += 1
            guard let next = r.object["next"] as? String else { break }
            path = "/api/v1/appointments?\(Self.week)&limit=2&after=\(next)"
            if pages > 10 { return XCTFail("the cursor does not advance") }
        }
        XCTAssertEqual(pages, 4)
        XCTAssertEqual(seen.count, 7)
        XCTAssertEqual(Set(seen).count, 7, "no repeats")
        let all = ids(try s.coordinator.get("/api/v1/appointments?\(Self.week)"))
        XCTAssertEqual(seen, all, "the pages are the whole list in its order")
        XCTAssertEqual(try audits("appointment.list").count, 5, "one audit row per page shown")
    }

    // MARK: The citizen's manage link

    func testManageTokenShowsTheAppointmentWithLocationAndTypeUntilItsStart() throws {
        let s = try scene()
        let token = try XCTUnwrap(s.tokens[s.singleA])
        let r = try t.client.get("/api/v1/appointments/manage/\(token)")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("cache-control"), "no-store")
        XCTAssertEqual(r.object["id"] as? String, s.singleA)
        let citizen = r.object["citizen"] as? [String: Any]
        XCTAssertEqual(citizen?["name"] as? String, "Jan Jansen")
        XCTAssertEqual(citizen?["email"] as? String, "jan.jansen@example.nl")
        XCTAssertEqual(r.object["locationName"] as? String, "Stadswinkel centrum")
        XCTAssertEqual(r.object["locationAddress"] as? [String: String],
                       ["streetAddress": "Stadhuisplein 1", "postalCode": "1011 AB", "city": "Amsterdam"])
        XCTAssertEqual(r.object["appointmentTypeName"] as? String, "WW-gesprek")
        XCTAssertEqual(r.object["start"] as? String, "2026-03-03T10:00:00+01:00")
        // Another staff member's session along with it changes nothing: the token decides.
        XCTAssertEqual(try s.w.staffB.get("/api/v1/appointments/manage/\(token)").object["id"] as? String, s.singleA)
        // The joint one shows its own citizen, never another appointment's.
        let joint = try t.client.get("/api/v1/appointments/manage/\(try XCTUnwrap(s.tokens[s.joint]))")
        XCTAssertEqual((joint.object["citizen"] as? [String: Any])?["name"] as? String, "Joost Samen")
        XCTAssertEqual(joint.object["appointmentTypeName"] as? String, "Samen aan tafel")

        // One microsecond before the start it still works; at the start the token dies.
        clock.set(Instant(rfc3339: "2026-03-03T08:59:59.999999Z")!)
        XCTAssertEqual(try t.client.get("/api/v1/appointments/manage/\(token)").status, 200)
        clock.set(Instant(rfc3339: "2026-03-03T09:00:00Z")!)
        let over = try t.client.get("/api/v1/appointments/manage/\(token)")
        XCTAssertEqual(over.status, 404, over.text)
        XCTAssertFalse(over.text.contains("Jan"))
        XCTAssertEqual(try t.client.get("/api/v1/appointments/manage/\(try XCTUnwrap(s.tokens[s.joint]))").status, 200, "a later one still lives")
        XCTAssertEqual(try audits("appointment.read").count, 0, "the citizen reading their own appointment is not a staff read")
    }

    func testManageTokenOfACancelledExpiredOrUnknownAppointmentIs404() throws {
        let s = try scene()
        let cancelled = try t.client.get("/api/v1/appointments/manage/\(try XCTUnwrap(s.tokens[s.cancelledA]))")
        XCTAssertEqual(cancelled.status, 404, cancelled.text)
        XCTAssertFalse(cancelled.text.contains("Cor"))
        for token in [Credentials.randomToken(), "x", String(repeating: "a", count: 300), "%00"] {
            XCTAssertEqual(try t.client.get("/api/v1/appointments/manage/\(token)").status, token == "%00" ? 400 : 404, token)
        }
        // A hold lives until its time runs out.
        let held = try XCTUnwrap(s.tokens[s.heldA])
        let r = try t.client.get("/api/v1/appointments/manage/\(held)")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["status"] as? String, "held")
        XCTAssertEqual(r.object["heldUntil"] as? String, "2026-03-02T11:10:00+01:00")
        clock.set(Instant(rfc3339: "2026-03-02T10:10:00Z")!)
        XCTAssertEqual(try t.client.get("/api/v1/appointments/manage/\(held)").status, 404, "the hold expired")
        // Cancelling (as the booking API will) kills the token at once.
        let db = try t.connection()
        defer { db.close() }
        let token = try XCTUnwrap(s.tokens[s.singleB])
        XCTAssertEqual(try t.client.get("/api/v1/appointments/manage/\(token)").status, 200)
        try db.query(Query("UPDATE appointment SET status = 'cancelled', held_until = NULL WHERE id = $1", s.singleB))
        XCTAssertEqual(try t.client.get("/api/v1/appointments/manage/\(token)").status, 404)
        // The token is stored only as its SHA-256.
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM appointment WHERE manage_token_hash = convert_to($1, 'UTF8')", token))
            .first!.int("n"), 0)
    }

    /// The statuses a manage link works in are the state machine's cancellable ones.
    func testManageableStatusesComeFromTheStateMachine() {
        XCTAssertEqual(Set(AppointmentReadRoutes.manageableStatuses), ["held", "booked"])
    }

    /// A form-encoded `+` arrives as a space: the offset still reads as `+01:00`; a space elsewhere is still wrong.
    func testQueryInstantsReadAFormEncodedPlus() {
        var v = Validator()
        XCTAssertEqual(AppointmentReadRoutes.queryInstant(&v, "2026-03-03T10:00:00 01:00", "from"), Instant(rfc3339: "2026-03-03T09:00:00Z"))
        XCTAssertEqual(AppointmentReadRoutes.queryInstant(&v, "2026-03-03 10:00:00Z", "from"), Instant(rfc3339: "2026-03-03T10:00:00Z"))
        XCTAssertTrue(v.problems.isEmpty)
        XCTAssertNil(AppointmentReadRoutes.queryInstant(&v, "2026-03-03T10:00:00 ", "from"))
        XCTAssertEqual(v.problems.map(\.name), ["from"])
    }

    func testOpenAPIDescribesTheReads() throws {
        let s = try scene()
        let doc = try t.client.get("/api/v1/openapi.json").object
        let paths = doc["paths"] as? [String: [String: Any]] ?? [:]
        XCTAssertNotNil(paths["/api/v1/appointments"]?["get"])
        XCTAssertNotNil(paths["/api/v1/appointments/{appointmentId}"]?["get"])
        let manage = paths["/api/v1/appointments/manage/{token}"]?["get"] as? [String: Any]
        XCTAssertNotNil(manage)
        XCTAssertNil(manage?["security"], "public")
        let schemas = (doc["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        func keys(_ schema: Any?) -> Set<String> { Set(((schema as? [String: Any])?["properties"] as? [String: Any] ?? [:]).keys) }
        // The schema says what appointment_json writes: the same keys, also inside citizen.
        let read = try s.coordinator.get("/api/v1/appointments/\(s.joint)").object
        XCTAssertEqual(keys(schemas["Appointment"]), Set(read.keys))
        let citizenSchema = ((schemas["Appointment"] as? [String: Any])?["properties"] as? [String: Any])?["citizen"]
        XCTAssertEqual(keys(citizenSchema), Set((read["citizen"] as? [String: Any] ?? [:]).keys))
        let managed = try t.client.get("/api/v1/appointments/manage/\(try XCTUnwrap(s.tokens[s.joint]))").object
        let extra = ((schemas["CitizenAppointment"] as? [String: Any])?["allOf"] as? [Any])?.last
        XCTAssertEqual(keys(schemas["Appointment"]).union(keys(extra)), Set(managed.keys))
    }
}

/// One value of every statement type of appointment_reads.sql, for the statement test (StatementTests).
enum AppointmentReadStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            AppointmentReadList(all: false, agencyID: id, locationID: nil, from: now, to: now, staffID: nil, statuses: nil,
                                afterStart: nil, afterID: nil, limit: 1),
            AppointmentReadOne(id: id, all: false, agencyID: id),
            AppointmentReadManage(tokenHash: .bytes([1]), now: now, statuses: []),
        ]
    }()
}
