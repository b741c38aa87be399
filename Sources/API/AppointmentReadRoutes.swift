import Credentials
import HTTP
import Postgres
import Scheduling
import Time

// Reading appointments: the staff lists, one appointment, and the citizen's own manage link.
//
// The agency wall (what issue 9 asks: "staff see their own agency's appointments and the joint ones they take part
// in; another agency's personal fields are never shown"): a staff member sees an appointment when their agency takes
// part in it — one of its reservations carries their agency, alone or in a joint appointment — and then with the
// citizen's fields, because their agency serves that citizen. Appointments their agency does not take part in do not
// exist for them: not in lists (a `staffId` or `locationId` filter narrows the list, never widens it past the wall)
// and 404 when asked by id. We chose "not at all" over "without personal fields": an appointment of other agencies
// still says when, which type and which agencies, and a staff member needs none of that to do their work.
// Coordinators and admins see every appointment with the citizen's fields (roles are not per location yet).
// The wall is in the SQL (appointment_reads.sql), not in this file.
//
// Every answer to staff that holds a citizen's data is audited in the same transaction as the read
// ("appointment.read", "appointment.list" with the ids), so no such answer leaves without its audit row.
//
// The manage link (`/appointments/manage/{token}`) is public: the token is the citizen's key, stored as SHA-256
// only. It works while the appointment can still be cancelled and its start lies ahead (by the app's clock); after
// that, or once cancelled, it is 404 like an unknown token, so a guessed or old link tells nothing.

private let tag = "appointments"
/// The longest span one list may ask, in days: bounds the work of one request.
private let maxRangeDays: Int64 = 92
/// Items per page when the client does not say, and the most it may ask for.
private let pageDefault = 200
private let pageMax = 1000

enum AppointmentReadRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/appointments", .helper,
             OpenAPIOperation("listAppointments",
                              summary: "Appointments starting in [from, to), ordered by start: staff see those their agency takes part in "
                                + "(with the citizen's fields), coordinators and admins all, helpers those they arranged; every answer with "
                                + "personal data is audited",
                              tag: tag, query: listParameters, responses: [.init(200, "Appointments", "AppointmentList")])) { ctx in
            try list(ctx)
        },
        .get("/api/v1/appointments/{appointmentId}", .helper,
             OpenAPIOperation("getAppointment",
                              summary: "One appointment with the citizen's fields: for staff of a participating agency, coordinators "
                                + "and admins, and the helper who arranged it (audited); 404 for everyone else",
                              tag: tag, responses: [.init(200, "Appointment", "Appointment")])) { ctx in
            let id = try ctx.id("appointmentId", "appointment")
            let actor = try ctx.actor
            return try ctx.transaction { db in
                // A helper: only what they arranged (HelperScope); another helper's appointment does not exist for them.
                let found: String? = if actor.role == .helper {
                    try db.first(HelperAppointmentOne(id: id, helperID: actor.staffID ?? ""))?.j
                } else {
                    try db.first(AppointmentReadOne(id: id, all: actor.seesEveryAgency, agencyID: actor.agencyID))?.j
                }
                guard let row = found.map(JSONRow.init(j:)) else {
                    throw Problem.notFound("There is no appointment with id \(id).")
                }
                try ctx.audit(db, "appointment.read", "appointment", id, .object([("fields", .strings(["citizen"]))]))
                return personal(row.j)
            }
        },
        .get("/api/v1/appointments/manage/{token}", .public,
             OpenAPIOperation("getManagedAppointment",
                              summary: "The citizen's own appointment by the manage token of the confirmation, with location and type; "
                                + "404 once it is cancelled or its start has passed",
                              tag: tag, responses: [.init(200, "Appointment", "CitizenAppointment")])) { ctx in
            let token = ctx.request.parameter("token")
            let gone = Problem.notFound("There is no appointment for this link, or it can no longer be managed.")
            // Tokens are 43 characters; anything far off is not one, and costs no database work.
            guard (16...128).contains(token.utf8.count) else { throw gone }
            guard let row = try ctx.db.first(AppointmentReadManage(tokenHash: .bytes(Credentials.tokenDigest(token)), now: ctx.now,
                                                                   statuses: manageableStatuses)) else {
                throw gone
            }
            return personal(row.j)
        },
    ]

    /// The statuses in which a citizen may still manage an appointment with the link: those that can be cancelled.
    static let manageableStatuses: [String] = AppointmentStatus.allCases
        .filter { AppointmentStateMachine.allows(.cancel, from: $0) }.map(\.rawValue)

    static let listParameters: [OpenAPIOperation.QueryParameter] = [
        .init("from", "string", format: "date-time", "Earliest start, RFC 3339 with offset (required)."),
        .init("to", "string", format: "date-time", "Starts before this instant, RFC 3339 with offset, at most \(maxRangeDays) days after from (required)."),
        .init("locationId", "string", format: "uuid", "Only this location."),
        .init("staffId", "string", format: "uuid", "Only appointments this staff member takes part in (still behind the agency wall)."),
        .init("status", "string", "Only these statuses, comma-separated: " + AppointmentStatus.allCases.map(\.rawValue).joined(separator: ", ") + "."),
        .init("limit", "integer", "Items per page, 1–\(pageMax) (default \(pageDefault))."),
        .init("after", "string", "The `next` value of the previous page."),
    ]

    static func list(_ ctx: RouteContext) throws -> Response {
        let q = ctx.request.query
        var v = Validator()
        let from = queryInstant(&v, q["from"], "from")
        let to = queryInstant(&v, q["to"], "to")
        if let from, let to {
            v.require(from < to, "to", "must be after from")
            v.require(to.microseconds - from.microseconds <= maxRangeDays * 86_400_000_000, "to", "must be at most \(maxRangeDays) days after from")
        }
        v.id(q["locationId"], "locationId", required: false)
        v.id(q["staffId"], "staffId", required: false)
        var statuses: [String]? = nil
        if let text = q["status"] {
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            let ok = !names.isEmpty && names.allSatisfy { AppointmentStatus(rawValue: $0) != nil }
            v.require(ok, "status", "must be one or more of " + AppointmentStatus.allCases.map(\.rawValue).joined(separator: ", ") + ", comma-separated")
            statuses = names
        }
        let limit = q["limit"].map { Int($0) ?? 0 } ?? pageDefault
        v.require((1...pageMax).contains(limit), "limit", "must be a whole number from 1 to \(pageMax)")
        let cursor = q["after"].map(ListCursor.init)
        v.require(cursor.map { $0 != nil } ?? true, "after", "must be the next value of a previous page")
        try v.check()
        guard let from, let to else { throw Problem.internalError }
        let actor = try ctx.actor
        return try ctx.transaction { db in
            let rows = actor.role == .helper
                // A helper: only what they arranged, whatever the filters (HelperScope).
                ? try db.all(HelperAppointmentList(
                    helperID: actor.staffID ?? "", locationID: q["locationId"]?.lowercased(), from: from, to: to,
                    staffID: q["staffId"]?.lowercased(), statuses: statuses, afterStart: cursor??.start, afterID: cursor??.id, limit: limit + 1))
                : try db.all(AppointmentReadList(
                    all: actor.seesEveryAgency, agencyID: actor.agencyID, locationID: q["locationId"]?.lowercased(), from: from, to: to,
                    staffID: q["staffId"]?.lowercased(), statuses: statuses, afterStart: cursor??.start, afterID: cursor??.id, limit: limit + 1))
            let page = rows.prefix(limit)
            if !page.isEmpty {
                try ctx.audit(db, "appointment.list", "appointment", nil,
                              .object([("count", .int(page.count)), ("appointmentIds", .strings(page.map(\.id)))]))
            }
            var next = "null"
            if rows.count > limit, let last = page.last, let micros = Int64(last.start_us) {
                next = JSON.string(ListCursor(start: Instant(microseconds: micros), id: last.id).description).serialized
            }
            return personal("{\"items\":[" + page.map(\.j).joined(separator: ",") + "],\"next\":" + next + "}")
        }
    }

    /// An RFC 3339 instant from the query. A `+` of an offset sent unencoded arrives as a space (form encoding):
    /// read it as the `+` it was.
    static func queryInstant(_ v: inout Validator, _ text: String?, _ name: String) -> Instant? {
        guard var text else { v.require(false, name, "is required"); return nil }
        if text.count > 19, let space = text.lastIndex(of: " "), text.distance(from: text.startIndex, to: space) >= 19 {
            text.replaceSubrange(space...space, with: "+")
        }
        return CalendarRoutes.instant(&v, text, name)
    }

    /// An answer holding a citizen's data: never stored by a cache on the way.
    static func personal(_ json: String) -> Response {
        Response(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: .bytes(Array(json.utf8)))
    }

    /// Where the next page starts: after this start and id (the list's order). Written `<epoch µs>.<id>`.
    struct ListCursor: CustomStringConvertible {
        let start: Instant
        let id: String

        init(start: Instant, id: String) {
            self.start = start
            self.id = id
        }

        init?(_ text: String) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            // Only a start a page can have ended on (years 0001–9999): anything else cannot be bound as a time and
            // was a 500.
            guard parts.count == 2, let micros = Int64(parts[0]), isUUID(String(parts[1])),
                  (-62_135_596_800_000_000..<253_402_300_800_000_000).contains(micros) else { return nil }
            start = Instant(microseconds: micros)
            id = parts[1].lowercased()
        }

        var description: String { "\(start.microseconds).\(id)" }
    }

    // MARK: OpenAPI

    /// The one schema of an appointment (appointment_json in Migrations/functions/60_appointments.sql), the list, and
    /// what the citizen's manage link adds.
    static let schemas: [(String, JSON)] = {
        typealias O = OpenAPISpec
        func described(_ schema: JSON, _ text: String) -> JSON {
            guard case .object(let f) = schema else { return schema }
            return .object(f + [("description", .string(text))])
        }
        let needs = O.enumeration(["interpreter", "wheelchair", "hearingLoop", "extraTime", "companion"])
        let citizen = O.obj([("name", O.nullable(O.str)), ("email", O.nullable(O.str)), ("phone", O.nullable(O.str)),
                             ("language", O.str), ("needs", O.arr(needs)), ("needsNote", O.nullable(O.str))],
                            required: ["name", "email", "phone", "language", "needs", "needsNote"])
        let appointment = O.obj([
            ("id", O.id), ("locationId", O.id), ("appointmentTypeId", O.id),
            ("reference", described(O.s("string", [("pattern", .string("^[2-9A-HJKMNP-Z]{6}$"))]),
                                    "Six characters to read out and type: no 0/O, 1/I/L; unique per location and year.")),
            ("status", O.enumeration(AppointmentStatus.allCases.map(\.rawValue))),
            ("start", described(O.time, "RFC 3339 with the location's offset.")), ("end", O.time),
            ("persons", O.int), ("heldUntil", described(O.nullable(O.time), "Only while held: the hold ends then.")),
            ("participants", described(O.arr(O.obj([("staffId", O.id), ("serviceId", O.id), ("agencyId", O.id)],
                                                   required: ["staffId", "serviceId", "agencyId"])),
                                       "One staff member per requirement of the type, in the type's order.")),
            ("roomId", O.nullable(O.id)), ("roomName", O.nullable(O.str)),
            ("joint", described(O.bool, "More than one agency takes part.")),
            ("sequence", described(O.int, "iCalendar SEQUENCE: raised on every reschedule and on cancel.")),
            ("contactCode", described(O.nullable(O.str),
                                      "Booked with the citizen's contact person (contactCode): their active code, with the citizen's fields only; else null.")),
            ("citizen", described(O.nullable(citizen),
                                  "The citizen's fields: for staff of a participating agency, coordinators, admins and the manage link; else null.")),
            ("representative", described(O.nullable(O.obj([
                ("organisationId", O.id), ("name", O.nullable(O.str)),
                ("consent", O.nullable(O.obj([("method", O.enumeration(HelperScope.consentMethods)), ("givenAt", O.time), ("scope", O.str)],
                                             required: ["method", "givenAt", "scope"])))],
                required: ["organisationId", "name", "consent"])),
                "A helper arranged it on the citizen's behalf: their organisation; their name and the consent they recorded only with the citizen's fields.")),
            ("attendees", described(O.arr(O.obj([
                ("id", O.id), ("kind", O.enumeration(HelperRoutes.kinds)), ("mode", O.enumeration(HelperRoutes.modes)),
                ("language", O.nullable(O.str)), ("staffId", O.nullable(O.id)), ("name", O.nullable(O.str))],
                required: ["id", "kind", "mode", "language", "staffId", "name"])),
                "Who comes along (helpers, interpreters); staffId and name only with the citizen's fields.")),
        ], required: ["id", "locationId", "appointmentTypeId", "reference", "status", "start", "end", "persons", "heldUntil",
                      "participants", "roomId", "roomName", "joint", "sequence", "contactCode", "citizen", "representative", "attendees"])
        let extra = O.obj([("locationName", O.str),
                           ("locationAddress", O.obj([("streetAddress", O.str), ("postalCode", O.str), ("city", O.str)],
                                                     required: ["streetAddress", "postalCode", "city"])),
                           ("appointmentTypeName", O.str)],
                          required: ["locationName", "locationAddress", "appointmentTypeName"])
        return [
            ("Appointment", appointment),
            ("AppointmentList", O.obj([("items", O.arr(O.ref("Appointment"))),
                                       ("next", described(O.nullable(O.str), "The cursor for `?after=` of the following page; null on the last page."))],
                                      required: ["items", "next"])),
            ("CitizenAppointment", .object([("allOf", .array([O.ref("Appointment"), extra]))])),
        ]
    }()
}
