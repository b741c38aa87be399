import HTTP
import Postgres
import Time

// The public booking catalogue: what a booking form asks before it books, shaped so that Open Formulieren's
// appointment plugin contract (openforms/appointments/base.py) is a thin mapping onto Loket (docs/open-forms.md):
//
//   get_available_products(current_products, location_id) → GET /api/v1/booking/appointment-types
//   get_locations(products)                                → GET /api/v1/booking/locations
//   get_required_customer_fields(products)                 → GET /api/v1/booking/customer-fields
//   get_dates / get_times                                  → the existing available-days / available-times
//   create / details / delete                              → POST /api/v1/appointments, the manage-token routes
//
// Nothing here is Open Forms-specific: the same lists serve any public booking form. All routes are public and read
// only public facts (type names and limits, location addresses); staff, services and rooms are never named, only
// counted (see appointment_type_offered_at in Migrations/functions/70_booking.sql). A type is listed, and a location
// offered, only where it could be booked at all; whether a time is free is the slot search's answer.
//
// One type per appointment: Loket books a type for a number of persons, so a "product set" is always one type with
// an amount (amountLimit = the type's maxPersons). The combination filter says so honestly: with one type chosen
// only that type combines, with two different types none does (a plugin declares supports_multiple_products=False).

private let tag = "booking"

/// PUT /api/v1/locations/{id}/address: absent fields become empty (unknown).
struct LocationAddressBody: Decodable { let streetAddress: String?; let postalCode: String?; let city: String? }
/// More ids than any form chooses; bounds the work of one request.
private let maxIDs = 20

enum OpenFormsRoutes: RouteCollection {
    /// Backstops of migration 0008's checks: the handler validates first.
    static let constraints: [String: Problem] = [
        "location_street_address_check": AdminRoutes.invalid("streetAddress", "must be at most 200 characters"),
        "location_postal_code_check": AdminRoutes.invalid("postalCode", "must be a Dutch postal code like 1234 AB, or empty"),
        "location_city_check": AdminRoutes.invalid("city", "must be at most 100 characters"),
    ]

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/booking/appointment-types", .public,
             OpenAPIOperation("listBookableAppointmentTypes",
                              summary: "Appointment types citizens can book, optionally only those combinable with the ones chosen or offered at a location",
                              tag: tag,
                              query: [.init("combinableWith", "string",
                                            "Comma-separated ids of types already chosen: only types that can be booked with them in one appointment (one type per appointment: the chosen type itself, or none when two different types are chosen)."),
                                      .init("locationId", "string", format: "uuid", "Only types offered at this location.")],
                              responses: [.init(200, "Bookable appointment types", "BookableAppointmentTypeList")])) { ctx in
            var v = Validator()
            let chosen = idList(&v, ctx.request.query["combinableWith"], "combinableWith")
            let location = ctx.request.query["locationId"]
            v.id(location, "locationId", required: false)
            try v.check()
            let row = try ctx.db.first(BookingAppointmentTypes(now: ctx.now, currentTypeIDs: chosen, locationID: location?.lowercased()))
            return items(row?.j ?? "[]")
        },
        .get("/api/v1/booking/locations", .public,
             OpenAPIOperation("listBookingLocations", summary: "Locations where all the given appointment types can be booked, with their addresses",
                              tag: tag,
                              query: [.init("appointmentTypes", "string",
                                            "Comma-separated ids of public appointment types; without it, every location offering any public type.")],
                              responses: [.init(200, "Locations", "BookingLocationList")])) { ctx in
            var v = Validator()
            let types = idList(&v, ctx.request.query["appointmentTypes"], "appointmentTypes")
            try v.check()
            if !types.isEmpty { _ = try customerFieldRows(ctx.db, types) }
            return items(try ctx.db.first(BookingLocations(now: ctx.now, appointmentTypeIDs: types))?.j ?? "[]")
        },
        .get("/api/v1/booking/customer-fields", .public,
             OpenAPIOperation("getBookingCustomerFields",
                              summary: "What a booking of these appointment types asks of the citizen: each field required or optional, and groups of which one is required",
                              tag: tag,
                              query: [.init("appointmentTypes", "string", "Comma-separated ids of public appointment types (required).")],
                              responses: [.init(200, "Customer fields", "BookingCustomerFields")])) { ctx in
            var v = Validator()
            let types = idList(&v, ctx.request.query["appointmentTypes"], "appointmentTypes")
            v.require(ctx.request.query["appointmentTypes"] == nil || !types.isEmpty, "appointmentTypes", "must name at least one id")
            v.require(ctx.request.query["appointmentTypes"] != nil, "appointmentTypes", "is required")
            try v.check()
            return raw(customerFields(try customerFieldRows(ctx.db, types)).serialized)
        },
        // Where the location is, for booking forms and invitations: the catalogue shows it to everyone.
        .put("/api/v1/locations/{locationId}/address", .admin,
             OpenAPIOperation("setLocationAddress", summary: "Set the address booking forms and invitations show for a location",
                              tag: tag, body: "LocationAddress", responses: [.init(200, "Changed", "BookingLocation")])) { ctx in
            let id = try ctx.id("locationId", "location")
            let b = try ctx.decode(LocationAddressBody.self)
            var v = Validator()
            let street = (b.streetAddress ?? "").trimmingSpaces, city = (b.city ?? "").trimmingSpaces
            v.require(street.count <= 200, "streetAddress", "must be at most 200 characters")
            v.require(city.count <= 100, "city", "must be at most 100 characters")
            let postal = postalCode(b.postalCode ?? "")
            v.require(postal != nil, "postalCode", "must be a Dutch postal code like 1234 AB, or empty")
            try v.check()
            return try AdminRoutes.adminWrite(ctx, "location.address", "location", id: id) { db in
                try db.first(BookingLocationAddressSet(locationID: id, streetAddress: street, postalCode: postal ?? "", city: city))
            }
        },
    ]

    /// A Dutch postal code in its written form "1234 AB" (from "1234ab", "1234 ab", " 1234 AB "); "" stays empty
    /// (unknown); nil when it is not one.
    static func postalCode(_ text: String) -> String? {
        let compact = text.uppercased().filter { $0 != " " }
        if compact.isEmpty { return "" }
        let c = Array(compact.unicodeScalars)
        guard c.count == 6, ("1"..."9").contains(c[0]), c[1...3].allSatisfy({ ("0"..."9").contains($0) }),
              c[4...5].allSatisfy({ ("A"..."Z").contains($0) }) else { return nil }
        return String(compact.prefix(4)) + " " + String(compact.suffix(2))
    }

    /// Comma-separated ids (blanks ignored, duplicates kept once, lower case); each must be a UUID.
    static func idList(_ v: inout Validator, _ text: String?, _ name: String) -> [String] {
        guard let text else { return [] }
        var out: [String] = []
        for part in text.split(separator: ",") {
            let id = String(part).trimmingSpaces.lowercased()
            if id.isEmpty || out.contains(id) { continue }
            if !isUUID(id) {
                v.require(false, name, "\(id) is not a valid id")
                continue
            }
            out.append(id)
        }
        v.require(out.count <= maxIDs, name, "must name at most \(maxIDs) ids")
        return out
    }

    /// The customer fields of each type; 404 naming the first id that is not an active public type (which, for
    /// anonymous callers, does not exist).
    static func customerFieldRows(_ db: Connection, _ ids: [String]) throws -> [BookingCustomerFields.Row] {
        let rows = try db.all(BookingCustomerFields(appointmentTypeIDs: ids))
        if let missing = ids.first(where: { id in !rows.contains { $0.id == id } }) {
            throw Problem.notFound("There is no active appointment type open to public booking with id \(missing).")
        }
        return rows
    }

    /// The union of what the types ask: a field is asked when any type asks it and required when any type requires
    /// it. "At least one of e-mail or phone" becomes a required field when a type hides the other one, and a one-of
    /// group `["email", "phone"]` when both are asked and neither is required anyway.
    static func customerFields(_ rows: [BookingCustomerFields.Row]) -> JSON {
        let names = ["name", "email", "phone"]
        var asked = Set<String>(), required = Set<String>()
        var needsGroup = false
        for row in rows {
            let setting = ["name": row.name_field, "email": row.email_field, "phone": row.phone_field]
            for name in names {
                if setting[name] != "hidden" { asked.insert(name) }
                if setting[name] == "required" { required.insert(name) }
            }
            if row.contact_required {
                let contact = ["email", "phone"].filter { setting[$0] != "hidden" }
                if contact.count == 1 { required.insert(contact[0]) }
                else if !contact.contains(where: { setting[$0] == "required" }) { needsGroup = true }
            }
        }
        let oneOf: [JSON] = needsGroup && !required.contains("email") && !required.contains("phone") ? [.strings(["email", "phone"])] : []
        return .object([
            ("fields", .array(names.filter(asked.contains).map { name in
                .object([("name", .string(name)), ("required", .bool(required.contains(name)))])
            })),
            ("oneOf", .array(oneOf)),
        ])
    }
}

extension OpenAPISpec {
    /// The public booking catalogue (OpenFormsRoutes).
    static let bookingSchemas: [(String, JSON)] = [
        ("BookableAppointmentType", obj([
            ("id", id), ("code", str), ("name", str),
            ("amountLimit", s("integer", [("description", .string("The most persons one appointment of this type can be booked for (maxPersons)."))])),
            ("durationMinutes", int), ("extraMinutesPerPerson", int)],
            required: ["id", "code", "name", "amountLimit", "durationMinutes", "extraMinutesPerPerson"])),
        ("BookableAppointmentTypeList", list("BookableAppointmentType")),
        ("BookingLocation", obj([
            ("id", id), ("code", str), ("name", str),
            ("address", s("string", [("description", .string("Street and number; empty when not filled in."))])),
            ("postalCode", s("string", [("description", .string("Dutch postal code (1234 AB); empty when not filled in."))])),
            ("city", str), ("timeZone", str)],
            required: ["id", "code", "name", "address", "postalCode", "city", "timeZone"])),
        ("BookingLocationList", list("BookingLocation")),
        ("LocationAddress", obj([("streetAddress", str),
                                 ("postalCode", s("string", [("description", .string("Dutch postal code; 1234ab is written 1234 AB. Empty: unknown."))])),
                                 ("city", str)])),
        ("BookingCustomerFields", obj([
            ("fields", arr(obj([("name", enumeration(["name", "email", "phone"])), ("required", bool)], required: ["name", "required"]))),
            ("oneOf", s("array", [("items", arr(enumeration(["email", "phone"]))),
                                  ("description", .string("Groups of fields of which at least one must be given."))]))],
            required: ["fields", "oneOf"])),
    ]
}
