@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// The public booking catalogue over HTTP against a real database, and the whole sequence an Open Formulieren
/// appointment plugin walks (docs/open-forms.md). The clock is fixed on Monday 2026-03-02 11:00 in Amsterdam.
///
/// Two locations: "centrum" (the World's) where staff of agency A serve service A, and "west" where staff of
/// agency B serve service B.
final class OpenFormsTests: XCTestCase, UsesTestApp {
    var t: TestApp!
    var w: World!
    var west = ""
    let clock = ManualClock(Instant(rfc3339: "2026-03-02T10:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock }
        w = try World.make(t)
        let r = try t.admin.post("/api/v1/locations", json: ["code": "west", "name": "Stadswinkel west", "timeZone": "Europe/Amsterdam"])
        XCTAssertEqual(r.status, 201, r.text)
        west = r.object["id"] as? String ?? ""
        for (location, street, postal) in [(w.locationID, "Stadhuisplein 1", "1011ab"), (west, "Westerstraat 10", "1015 MD")] {
            let a = try t.admin.send("PUT", "/api/v1/locations/\(location)/address", body: Array(try JSONSerialization.data(withJSONObject: [
                "streetAddress": street, "postalCode": postal, "city": "Amsterdam"])))
            XCTAssertEqual(a.status, 200, a.text)
        }
        for location in [w.locationID, west] { try opening(location, (1...5).map { ($0, "09:00", "17:00") }) }
    }
    override func tearDown() { t.tearDown() }


    /// A staff member (who never logs in) of `agency` serving `services`, available at `location` on weekdays.
    @discardableResult
    func staff(_ name: String, _ agency: String, _ services: [String], at location: String, from: String = "09:00", to: String = "17:00") throws -> String {
        let id = try sql("INSERT INTO staff (agency_id, username, password_hash, display_name, role) VALUES ($1, $2, '$argon2id$test', $2, 'staff') RETURNING id::text AS id",
                         agency, name).first!.string("id")
        for s in services { try sql("INSERT INTO staff_service (staff_id, service_id, agency_id) VALUES ($1, $2, $3)", id, s, agency) }
        for d in 1...5 {
            try sql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) VALUES ($1, $2, $3::smallint, $4::time, $5::time)",
                    id, location, d, from, to)
        }
        return id
    }

    func opening(_ location: String, _ weekly: [(Int, String, String)]) throws {
        let r = try t.admin.send("PUT", "/api/v1/locations/\(location)/opening-hours", body: Array(try JSONSerialization.data(withJSONObject: [
            "weekly": weekly.map { ["weekday": $0.0, "opens": $0.1, "closes": $0.2] }, "closures": [], "closedOnPublicHolidays": true] as [String: Any])))
        XCTAssertEqual(r.status, 200, r.text)
    }

    func makeType(_ code: String, _ name: String, _ services: [String], duration: Int = 30, fields: [String: Any] = [:]) throws -> String {
        var body: [String: Any] = ["code": code, "name": name, "durationMinutes": duration, "requirements": services.map { ["serviceId": $0] },
                                   "minNoticeMinutes": 0, "publicBooking": true]
        body.merge(fields) { $1 }
        let r = try t.admin.post("/api/v1/appointment-types", json: body)
        XCTAssertEqual(r.status, 201, r.text)
        return r.object["id"] as? String ?? ""
    }

    func list(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        let r = try t.client.get(path)
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        return r.object["items"] as? [[String: Any]] ?? []
    }

    func products(_ query: String = "", file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        try list("/api/v1/booking/appointment-types" + query, file: file, line: line).compactMap { $0["code"] as? String }
    }

    func locations(_ query: String = "", file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        try list("/api/v1/booking/locations" + query, file: file, line: line).compactMap { $0["code"] as? String }
    }

    /// The usual world: "paspoort" (service A, up to 4 persons) at centrum, "aow" (service B) at west, "intern" not
    /// public, "duo" needing two staff of service A (only one exists, so it is offered nowhere).
    func catalogue() throws -> (paspoort: String, aow: String, intern: String, duo: String) {
        let paspoort = try makeType("paspoort", "Paspoort aanvragen", [w.serviceA], fields: ["maxPersons": 4, "extraMinutesPerPerson": 10])
        let aow = try makeType("aow", "AOW-vragen", [w.serviceB])
        let intern = try makeType("intern", "Intern overleg", [w.serviceA], fields: ["publicBooking": false])
        let duo = try makeType("duo", "Gesprek met twee", [w.serviceA, w.serviceA])
        try staff("a1", w.agencyA, [w.serviceA], at: w.locationID)
        try staff("b1", w.agencyB, [w.serviceB], at: west)
        return (paspoort, aow, intern, duo)
    }

    // MARK: Products

    func testProductsAreOfferedPublicTypesWithAmountLimitFilteredByLocationAndCombination() throws {
        let c = try catalogue()
        let all = try list("/api/v1/booking/appointment-types")
        XCTAssertEqual(all.compactMap { $0["code"] as? String }, ["aow", "paspoort"], "by name; not the internal type, not one no location can staff")
        let paspoort = all.first { $0["code"] as? String == "paspoort" } ?? [:]
        XCTAssertEqual(paspoort["id"] as? String, c.paspoort)
        XCTAssertEqual(paspoort["name"] as? String, "Paspoort aanvragen")
        XCTAssertEqual(paspoort["amountLimit"] as? Int, 4)
        XCTAssertEqual(paspoort["durationMinutes"] as? Int, 30)
        XCTAssertEqual(paspoort["extraMinutesPerPerson"] as? Int, 10)
        XCTAssertEqual(Set(paspoort.keys), ["id", "code", "name", "amountLimit", "durationMinutes", "extraMinutesPerPerson"],
                       "public facts only: no services, buffers or rooms")

        // get_available_products(location_id=…)
        XCTAssertEqual(try products("?locationId=\(w.locationID)"), ["paspoort"])
        XCTAssertEqual(try products("?locationId=\(west)"), ["aow"])
        XCTAssertEqual(try products("?locationId=\(UUID().uuidString)"), [], "an unknown location offers nothing")

        // get_available_products(current_products=…): one type per appointment.
        XCTAssertEqual(try products("?combinableWith=\(c.paspoort)"), ["paspoort"], "the chosen type itself, for more persons")
        XCTAssertEqual(try products("?combinableWith=\(c.paspoort),\(c.paspoort.uppercased())"), ["paspoort"], "a repeated id is one type")
        XCTAssertEqual(try products("?combinableWith=\(c.paspoort),\(c.aow)"), [], "two different types never share an appointment")
        XCTAssertEqual(try products("?combinableWith=\(c.intern)"), [], "nothing combines with a type the public cannot book")
        XCTAssertEqual(try products("?combinableWith=\(c.paspoort)&locationId=\(west)"), [], "both filters apply")

        let bad = try t.client.get("/api/v1/booking/appointment-types?combinableWith=\(c.paspoort),nope&locationId=west")
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertEqual(Set(((bad.object["invalidParams"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }),
                       ["combinableWith", "locationId"])

        // The second staff member of service A makes "duo" bookable at centrum; deactivating a type removes it.
        try staff("a2", w.agencyA, [w.serviceA], at: w.locationID)
        XCTAssertEqual(try products(), ["aow", "duo", "paspoort"])
        XCTAssertEqual(try t.admin.delete("/api/v1/appointment-types/\(c.aow)").status, 200)
        XCTAssertEqual(try products(), ["duo", "paspoort"])
    }

    // MARK: Locations

    func testLocationsForAProductSetCarryTheirAddress() throws {
        let c = try catalogue()
        let centrum = try list("/api/v1/booking/locations?appointmentTypes=\(c.paspoort)")
        XCTAssertEqual(centrum.count, 1)
        let l = centrum.first ?? [:]
        XCTAssertEqual(l["id"] as? String, w.locationID)
        XCTAssertEqual(l["name"] as? String, "Stadswinkel centrum")
        XCTAssertEqual(l["address"] as? String, "Stadhuisplein 1")
        XCTAssertEqual(l["postalCode"] as? String, "1011 AB")
        XCTAssertEqual(l["city"] as? String, "Amsterdam")
        XCTAssertEqual(l["timeZone"] as? String, "Europe/Amsterdam")
        XCTAssertEqual(try locations("?appointmentTypes=\(c.aow)"), ["west"])
        XCTAssertEqual(try locations("?appointmentTypes=\(c.paspoort),\(c.aow)"), [], "no location offers both")
        XCTAssertEqual(try locations(), ["centrum", "west"], "without types: every location offering any public type, by name")

        for bad in [c.intern, UUID().uuidString] {
            XCTAssertEqual(try t.client.get("/api/v1/booking/locations?appointmentTypes=\(c.paspoort),\(bad)").status, 404,
                           "an internal or unknown type does not exist for the public")
        }
        XCTAssertEqual(try t.client.get("/api/v1/booking/locations?appointmentTypes=x").status, 422)

        // Where a type can be booked follows the calendars: staff serving it with availability, opening hours that
        // still apply, a room when needed, an active location.
        try staff("a-west", w.agencyA, [w.serviceA], at: west)
        XCTAssertEqual(try locations("?appointmentTypes=\(c.paspoort)"), ["centrum", "west"])
        try sql("UPDATE staff_availability SET valid_until = '2026-03-01' WHERE location_id = $1", west)
        XCTAssertEqual(try locations("?appointmentTypes=\(c.paspoort)"), ["centrum"], "availability that ended yesterday (local) does not count")
        XCTAssertEqual(try locations("?appointmentTypes=\(c.aow)"), [])
        try sql("UPDATE staff_availability SET valid_until = NULL WHERE location_id = $1", west)
        try sql("UPDATE opening_hours SET valid_until = '2026-03-01' WHERE location_id = $1", west)
        XCTAssertEqual(try locations("?appointmentTypes=\(c.aow)"), [], "a location whose opening hours ended")
        try sql("UPDATE opening_hours SET valid_until = NULL WHERE location_id = $1", west)
        XCTAssertEqual(try locations("?appointmentTypes=\(c.aow)"), ["west"])
        try sql("UPDATE appointment_type SET needs_room = true WHERE id = $1", c.aow)
        XCTAssertEqual(try locations("?appointmentTypes=\(c.aow)"), [], "the type needs a room and west has none")
        let room = try t.admin.post("/api/v1/locations/\(west)/rooms", json: ["name": "Spreekkamer", "capacity": 4])
        XCTAssertEqual(room.status, 201, room.text)
        XCTAssertEqual(try locations("?appointmentTypes=\(c.aow)"), ["west"])
        XCTAssertEqual(try t.admin.delete("/api/v1/locations/\(west)").status, 200)
        XCTAssertEqual(try locations("?appointmentTypes=\(c.aow)"), [], "an inactive location")
        XCTAssertEqual(try locations(), ["centrum"])
    }

    func putAddress(_ client: HTTPClient, _ location: String, _ body: [String: Any]) throws -> HTTPResponse {
        try client.send("PUT", "/api/v1/locations/\(location)/address", body: Array(try JSONSerialization.data(withJSONObject: body)))
    }

    func testAnAdministratorSetsTheAddressWithAWrittenPostalCode() throws {
        let r = try putAddress(t.admin, west, ["streetAddress": "  Westerstraat 12 ", "postalCode": " 1015md", "city": "Amsterdam"])
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.object["address"] as? String, "Westerstraat 12")
        XCTAssertEqual(r.object["postalCode"] as? String, "1015 MD", "written the Dutch way")
        let audit = try sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'location.address' AND subject_id = $1", west)
        XCTAssertEqual(try audit.first?.int("n"), 2, "changes by admins are audited (this one and setUp's)")

        let bad = try putAddress(t.admin, west, ["streetAddress": String(repeating: "x", count: 201), "postalCode": "0123 AB",
                                                 "city": String(repeating: "y", count: 101)])
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertEqual(Set(((bad.object["invalidParams"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }),
                       ["streetAddress", "postalCode", "city"])
        for code in ["1015 M", "10155 MD", "ABCD EF", "1015-MD"] {
            XCTAssertEqual(try putAddress(t.admin, west, ["postalCode": code]).status, 422, code)
        }
        XCTAssertEqual(try putAddress(t.admin, UUID().uuidString, ["city": "Utrecht"]).status, 404)
        XCTAssertEqual(try putAddress(w.staffA, west, ["city": "Utrecht"]).status, 403, "staff do not move locations")
        XCTAssertEqual(try putAddress(t.client, west, ["city": "Utrecht"]).status, 401)
        // Absent fields are unknown: cleared.
        let cleared = try putAddress(t.admin, west, ["city": "Amsterdam"])
        XCTAssertEqual(cleared.status, 200, cleared.text)
        XCTAssertEqual(cleared.object["address"] as? String, "")
        XCTAssertEqual(cleared.object["postalCode"] as? String, "")
    }

    // MARK: Customer fields

    func fields(_ types: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (fields: [String: Bool], order: [String], oneOf: [[String]]) {
        let r = try t.client.get("/api/v1/booking/customer-fields?appointmentTypes=" + types.joined(separator: ","))
        XCTAssertEqual(r.status, 200, r.text, file: file, line: line)
        let list = r.object["fields"] as? [[String: Any]] ?? []
        var out: [String: Bool] = [:]
        for f in list { out[f["name"] as? String ?? "?"] = f["required"] as? Bool }
        return (out, list.compactMap { $0["name"] as? String }, r.object["oneOf"] as? [[String]] ?? [])
    }

    func testRequiredCustomerFieldsWithOneOfGroupsAndTheUnionOfSeveralTypes() throws {
        let c = try catalogue()
        // The defaults of migration 0008: name required, e-mail and phone optional, at least one of them.
        let standard = try fields([c.paspoort])
        XCTAssertEqual(standard.order, ["name", "email", "phone"])
        XCTAssertEqual(standard.fields, ["name": true, "email": false, "phone": false])
        XCTAssertEqual(standard.oneOf, [["email", "phone"]])

        // Phone hidden: "one of" leaves only e-mail, which is then simply required.
        try sql("UPDATE appointment_type SET phone_field = 'hidden' WHERE id = $1", c.aow)
        let emailOnly = try fields([c.aow])
        XCTAssertEqual(emailOnly.fields, ["name": true, "email": true])
        XCTAssertEqual(emailOnly.oneOf, [])

        // Minimal: no name, no contact needed, only an optional phone number.
        try sql("UPDATE appointment_type SET name_field = 'hidden', email_field = 'hidden', phone_field = 'optional', contact_required = false WHERE id = $1", c.aow)
        let minimal = try fields([c.aow])
        XCTAssertEqual(minimal.fields, ["phone": false])
        XCTAssertEqual(minimal.oneOf, [])

        // Several types: the union of what they ask (a required field stays required; the group stays).
        let union = try fields([c.aow, c.paspoort])
        XCTAssertEqual(union.fields, ["name": true, "email": false, "phone": false])
        XCTAssertEqual(union.oneOf, [["email", "phone"]])
        try sql("UPDATE appointment_type SET phone_field = 'required' WHERE id = $1", c.aow)
        let phoneRequired = try fields([c.aow, c.paspoort])
        XCTAssertEqual(phoneRequired.fields, ["name": true, "email": false, "phone": true])
        XCTAssertEqual(phoneRequired.oneOf, [], "a required phone already satisfies the group")

        XCTAssertEqual(try t.client.get("/api/v1/booking/customer-fields").status, 422, "the types are required")
        XCTAssertEqual(try t.client.get("/api/v1/booking/customer-fields?appointmentTypes=\(c.intern)").status, 404)
        XCTAssertEqual(try t.client.get("/api/v1/booking/customer-fields?appointmentTypes=\(c.paspoort),zz").status, 422)
    }

    // MARK: Dates and times

    func days(_ type: String, _ location: String, _ from: String, _ to: String, persons: Int) throws -> [String] {
        let r = try t.client.get("/api/v1/locations/\(location)/available-days?appointmentType=\(type)&from=\(from)&to=\(to)&persons=\(persons)")
        XCTAssertEqual(r.status, 200, r.text)
        return r.object["items"] as? [String] ?? []
    }

    func times(_ type: String, _ location: String, _ day: String, persons: Int) throws -> [[String: String]] {
        let r = try t.client.get("/api/v1/locations/\(location)/available-times?appointmentType=\(type)&from=\(day)&to=\(day)&persons=\(persons)")
        XCTAssertEqual(r.status, 200, r.text)
        return (r.object["items"] as? [[String: String]]) ?? []
    }

    /// get_dates/get_times for a product set [type × amount]: appointmentType = the type, persons = the amount. The
    /// public gets the type's notice and horizon; the times are instants with the location's offset.
    func testDatesAndTimesForAProductSetApplyPersonsNoticeAndHorizon() throws {
        let c = try catalogue()
        try sql("UPDATE appointment_type SET min_notice_minutes = 120, horizon_days = 7 WHERE id = $1", c.paspoort)
        // Today (Monday 11:00) counts only from 13:00; the horizon ends with Monday 9 March; weekends are closed.
        XCTAssertEqual(try days(c.paspoort, w.locationID, "2026-03-02", "2026-03-16", persons: 1),
                       ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-09"])
        let today = try times(c.paspoort, w.locationID, "2026-03-02", persons: 1)
        XCTAssertEqual(today.first?["start"], "2026-03-02T13:00:00+01:00", "two hours' notice from 11:00")
        XCTAssertEqual(today.first?["end"], "2026-03-02T13:30:00+01:00")
        // Three persons: 30 minutes + 2 × 10 extra; the last start still ends by 17:00.
        let three = try times(c.paspoort, w.locationID, "2026-03-03", persons: 3)
        XCTAssertEqual(three.first?["start"], "2026-03-03T09:00:00+01:00")
        XCTAssertEqual(three.first?["end"], "2026-03-03T09:50:00+01:00")
        XCTAssertEqual(three.last?["start"], "2026-03-03T16:00:00+01:00")
        XCTAssertEqual(three.last?["end"], "2026-03-03T16:50:00+01:00")
        // An amount above amountLimit is refused, naming the field.
        let five = try t.client.get("/api/v1/locations/\(w.locationID)/available-times?appointmentType=\(c.paspoort)&from=2026-03-03&to=2026-03-03&persons=5")
        XCTAssertEqual(five.status, 422, five.text)
        XCTAssertTrue(five.text.contains("persons"))
        // After the spring change the offset is +02:00 (the same wall clock, another instant).
        try sql("UPDATE appointment_type SET horizon_days = 60 WHERE id = $1", c.paspoort)
        XCTAssertEqual(try times(c.paspoort, w.locationID, "2026-03-30", persons: 1).first?["start"], "2026-03-30T09:00:00+02:00")
        // The internal type does not exist for the public.
        XCTAssertEqual(try t.client.get("/api/v1/locations/\(w.locationID)/available-days?appointmentType=\(c.intern)&from=2026-03-03&to=2026-03-03").status, 404)
    }

    // MARK: The whole plugin sequence

    /// What the plugin does, step by step, with only public requests: products → locations → dates → times →
    /// required fields → create → details → delete → details 404.
    func testAnOpenFormsPluginWalksTheWholeSequence() throws {
        let c = try catalogue()
        let client = t.client   // no credentials: the plugin is public
        // get_available_products(): the citizen chooses "Paspoort aanvragen" × 2.
        let products = try list("/api/v1/booking/appointment-types")
        guard let product = products.first(where: { $0["name"] as? String == "Paspoort aanvragen" }),
              let productID = product["id"] as? String else { return XCTFail("no product") }
        XCTAssertEqual(productID, c.paspoort)
        let amount = 2
        XCTAssertLessThanOrEqual(amount, product["amountLimit"] as? Int ?? 0)
        XCTAssertEqual(try self.products("?combinableWith=\(productID)"), ["paspoort"], "nothing else to add to the set")
        // get_locations([product])
        let locs = try list("/api/v1/booking/locations?appointmentTypes=\(productID)")
        guard let location = locs.first, let locationID = location["id"] as? String else { return XCTFail("no location") }
        XCTAssertEqual(locs.count, 1)
        XCTAssertEqual(location["postalCode"] as? String, "1011 AB")
        // get_dates(products, location, start_at=today, end_at=today + 14)
        let dates = try days(productID, locationID, "2026-03-02", "2026-03-16", persons: amount)
        XCTAssertEqual(dates.first, "2026-03-02")
        let day = dates[1]
        // get_times(products, location, day)
        let slots = try times(productID, locationID, day, persons: amount)
        guard let slot = slots.first(where: { $0["start"]?.contains("T10:00:00") == true }), let start = slot["start"] else {
            return XCTFail("no 10:00 on \(day): \(slots)")
        }
        XCTAssertEqual(start, "2026-03-03T10:00:00+01:00")
        XCTAssertEqual(slot["end"], "2026-03-03T10:40:00+01:00", "30 minutes + 10 for the second person")
        // get_required_customer_fields(products)
        let required = try fields([productID])
        XCTAssertEqual(required.fields["name"], true)
        XCTAssertEqual(required.oneOf, [["email", "phone"]])

        // create_appointment(products, location, start_at, client, remarks): the server computes the duration.
        let body: [String: Any] = ["locationId": locationID, "appointmentTypeId": productID, "start": start, "persons": amount,
                                   "citizen": ["name": "J. Jansen", "email": "j.jansen@example.nl"]]
        let created = try client.post("/api/v1/appointments", json: body, headers: ["Idempotency-Key": "submission-3f6c-appointment"])
        XCTAssertEqual(created.status, 201, created.text)
        guard let token = created.object["manageToken"] as? String, !token.isEmpty else { return XCTFail("no manageToken: \(created.text)") }
        XCTAssertEqual(created.object["start"] as? String, start)
        XCTAssertEqual(created.object["end"] as? String, "2026-03-03T10:40:00+01:00")
        XCTAssertEqual(created.object["persons"] as? Int, amount)
        XCTAssertEqual(created.object["status"] as? String, "booked")
        XCTAssertFalse(try times(productID, locationID, day, persons: amount).contains { $0["start"] == start }, "the slot is taken")

        // get_appointment_details(identifier = the manage token)
        let details = try client.get("/api/v1/appointments/manage/\(token)")
        XCTAssertEqual(details.status, 200, details.text)
        XCTAssertEqual(details.object["id"] as? String, created.object["id"] as? String)
        XCTAssertEqual(details.object["appointmentTypeId"] as? String, productID)
        XCTAssertEqual(details.object["locationId"] as? String, locationID)
        XCTAssertEqual(details.object["start"] as? String, start)
        XCTAssertEqual(details.object["end"] as? String, "2026-03-03T10:40:00+01:00")
        XCTAssertEqual((details.object["citizen"] as? [String: Any])?["name"] as? String, "J. Jansen", "the token holder sees their own data")
        // AppointmentDetails.products / .location come from the catalogue by id (docs/open-forms.md).
        XCTAssertEqual(try list("/api/v1/booking/appointment-types").first { $0["id"] as? String == productID }?["name"] as? String,
                       "Paspoort aanvragen")
        XCTAssertEqual(try list("/api/v1/booking/locations").first { $0["id"] as? String == locationID }?["address"] as? String,
                       "Stadhuisplein 1")

        // delete_appointment(identifier)
        let cancelled = try client.post("/api/v1/appointments/manage/\(token)/cancel", json: [String: Any]())
        XCTAssertTrue([200, 204].contains(cancelled.status), cancelled.text)
        XCTAssertTrue(try times(productID, locationID, day, persons: amount).contains { $0["start"] == start }, "the slot is free again")
        // get_appointment_details after delete: gone.
        XCTAssertEqual(try client.get("/api/v1/appointments/manage/\(token)").status, 404)
        let again = try client.post("/api/v1/appointments/manage/\(token)/cancel", json: [String: Any]())
        XCTAssertTrue([404, 409].contains(again.status), "a second delete fails (AppointmentDeleteFailed): \(again.status) \(again.text)")
    }

    /// Open Forms may retry create_appointment after a timeout: the same Idempotency-Key and body give the first
    /// answer, never a second appointment. Needs the book branch and the Idempotency-Key support (idem), merged.
    func testCreateRetriedWithTheSameIdempotencyKeyBooksOnce() throws {
        let c = try catalogue()
        let body: [String: Any] = ["locationId": w.locationID, "appointmentTypeId": c.paspoort, "start": "2026-03-03T11:00:00+01:00",
                                   "persons": 1, "citizen": ["name": "P. de Vries", "phone": "+31 6 12345678"]]
        let key = ["Idempotency-Key": "submission-9a1e-appointment"]
        let first = try t.client.post("/api/v1/appointments", json: body, headers: key)
        XCTAssertEqual(first.status, 201, first.text)
        let retry = try t.client.post("/api/v1/appointments", json: body, headers: key)
        XCTAssertEqual(retry.status, 201, retry.text)
        XCTAssertEqual(retry.object["id"] as? String, first.object["id"] as? String, "the first answer, not a second booking")
        let count = try sql("SELECT count(*)::int AS n FROM appointment WHERE appointment_type_id = $1 AND status <> 'cancelled'", c.paspoort)
        XCTAssertEqual(try count.first?.int("n"), 1)
    }
}

enum OpenFormsStatementSamples {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            BookingAppointmentTypes(now: now, currentTypeIDs: [id], locationID: nil),
            BookingLocations(now: now, appointmentTypeIDs: []),
            BookingCustomerFields(appointmentTypeIDs: [id]),
            BookingLocationAddressSet(locationID: id, streetAddress: "", postalCode: "", city: ""),
        ]
    }()
}
