import HTTP
import Postgres
import Scheduling
import Time

// The coordinator console's own reads (page `/coordinator`, kiosk/coordinator.js). Everything it changes goes through
// the existing routes (opening hours, rooms, availability, absences, appointments); these three answer what those
// cannot:
//
// - a reference read out over the phone → the appointment's id (then read through GET /appointments/{id}, audited),
//   so finding one appointment does not list everyone's;
// - the staff directory: coordinators plan and keep calendars for staff they cannot list (GET /api/v1/staff is an
//   admin's, with usernames and roles); this gives names, agency and services only;
// - proposals: the earliest free times of a (joint) appointment type *with* the staff who would attend and the room.
//   The public search answers times only; a coordinator must see who comes before booking, and then books exactly
//   that by sending the proposal's `staffIds` and `roomId` (the booking re-checks everything in its transaction).
//   The same search as available-times (AvailabilityRoutes.loadCalendar + SlotSearch), never cached: named staff
//   take part in every proposal, the other qualified staff of their services step aside;
// - a staff week: availability, absences and bookings of a chosen group side by side for the week view. Absences come
//   as times without their reason, bookings without the citizen; the read is audited because absences are personal.
//
// Access: coordinators and admins. A coordinator plans joint appointments with other agencies' staff, so these reads
// cross agencies — with times, names and references only; changing another agency's calendar stays refused
// (CalendarRoutes.calendarAccess).

private let tag = "coordinator"
/// The longest range of one proposal search, in days: the search runs uncached over the whole range.
private let maxProposalDays = 62
/// The most staff one week view shows.
private let maxWeekStaff = 20

enum CoordinatorRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/coordinator/staff", .coordinator,
             OpenAPIOperation("listPlannableStaff", summary: "Active staff who can take part in appointments: names, agency and services (audited)",
                              tag: tag, query: [.init("agencyId", "string", format: "uuid", "Only this agency's staff.")],
                              responses: [.init(200, "Staff", "PlannableStaffList")])) { ctx in
            var agency: String? = nil
            if let a = ctx.request.query["agencyId"] {
                var v = Validator()
                v.id(a, "agencyId")
                try v.check()
                agency = a.lowercased()
            }
            let json = try ctx.db.first(CoordinatorStaffDirectory(agencyID: agency))?.j ?? "[]"
            try ctx.audit(ctx.db, "staff.directory", "agency", agency, nil)
            return items(json)
        },
        .get("/api/v1/locations/{locationId}/proposals", .coordinator,
             OpenAPIOperation("listProposals",
                              summary: "The earliest free times of an appointment type with the staff who would attend and the room; "
                                + "book one by sending its staffIds and roomId",
                              tag: tag,
                              query: [.init("appointmentType", "string", format: "uuid", "The appointment type (required)."),
                                      .init("from", "string", format: "date", "First local date, YYYY-MM-DD (required)."),
                                      .init("to", "string", format: "date", "Last local date, at most \(maxProposalDays) days after from (required)."),
                                      .init("persons", "integer", "Number of visitors (default 1)."),
                                      .init("staffIds", "string", "Comma-separated staff who must take part (at most one per requirement)."),
                                      .init("extraSeats", "integer", "Seats in the room beyond visitors and staff, 0–10 (default 0): attendees who come in person, such as an interpreter."),
                                      .init("limit", "integer", "How many proposals, 1–50 (default 10)."),
                                      .init("perDay", "integer", "At most this many per local day, 1–96 (default 3), to spread them over the weeks.")],
                              responses: [.init(200, "Proposals", "ProposalList")])) { ctx in
            try proposals(ctx)
        },
        .get("/api/v1/locations/{locationId}/appointment-references/{reference}", .coordinator,
             OpenAPIOperation("findAppointmentByReference",
                              summary: "The id and status of the appointment a reference names at this location (read it with GET /appointments/{id})",
                              tag: tag, responses: [.init(200, "Found", "AppointmentReference")])) { ctx in
            let location = try ctx.id("locationId", "location")
            let reference = ctx.request.parameter("reference").uppercased()
            // The alphabet of references (migration 0008's CHECK): anything else cannot exist.
            guard reference.count == 6, reference.allSatisfy({ "23456789ABCDEFGHJKMNPQRSTUVWXYZ".contains($0) }) else {
                throw Problem.notFound("There is no appointment with reference \(reference) at this location.")
            }
            guard let row = try ctx.db.first(CoordinatorFindReference(locationID: location, reference: reference)) else {
                throw Problem.notFound("There is no appointment with reference \(reference) at this location.")
            }
            return raw(JSON.object([("id", .string(row.id)), ("status", .string(row.status))]).serialized)
        },
        .get("/api/v1/locations/{locationId}/staff-week", .coordinator,
             OpenAPIOperation("getStaffWeek",
                              summary: "Seven days of availability at this location, absences (times only) and live appointments of chosen staff (audited)",
                              tag: tag,
                              query: [.init("from", "string", format: "date", "First local date, YYYY-MM-DD (required; usually a Monday)."),
                                      .init("staffIds", "string", "Comma-separated staff ids, 1–\(maxWeekStaff), in the order to show them (required).")],
                              responses: [.init(200, "The week", "StaffWeek")])) { ctx in
            let location = try ctx.id("locationId", "location")
            let q = ctx.request.query
            var v = Validator()
            let from = AvailabilityRoutes.date(&v, q["from"], "from")
            let staff = ids(&v, q["staffIds"], "staffIds")
            v.require(!staff.isEmpty || q["staffIds"] == nil, "staffIds", "must name at least one staff member")
            if q["staffIds"] == nil { v.require(false, "staffIds", "is required") }
            v.require(staff.count <= maxWeekStaff, "staffIds", "must name at most \(maxWeekStaff) staff members")
            try v.check()
            guard let from else { throw Problem.internalError }
            guard let row = try ctx.db.first(CoordinatorStaffWeek(locationID: location, from: from.description, staffIDs: staff, now: ctx.now)) else {
                throw Problem.notFound("There is no location with id \(location).")
            }
            try ctx.audit(ctx.db, "staff.week.read", "location", location,
                          .object([("from", .string(from.description)), ("staffIds", .strings(staff))]))
            return raw(row.j)
        },
    ]

    /// Comma-separated ids from a query parameter, lower-cased; each invalid one is named (`name[i]`), repeats too.
    static func ids(_ v: inout Validator, _ text: String?, _ name: String) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        let list = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces.lowercased() }
        for (i, id) in list.enumerated() {
            v.require(isUUID(id), "\(name)[\(i)]", "is not a valid id")
            if let j = list.firstIndex(of: id), j < i { v.require(false, "\(name)[\(i)]", "repeats \(name)[\(j)]") }
        }
        return list
    }

    /// A whole-number query parameter within `range`, or the default; a complaint naming it otherwise.
    static func number(_ v: inout Validator, _ text: String?, _ name: String, _ range: ClosedRange<Int>, default def: Int) -> Int {
        guard let text else { return def }
        guard let n = Int(text), range.contains(n) else {
            v.require(false, name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return def
        }
        return n
    }

    static func proposals(_ ctx: RouteContext) throws -> Response {
        let location = try ctx.id("locationId", "location")
        let q = ctx.request.query
        var v = Validator()
        v.id(q["appointmentType"], "appointmentType")
        let from = AvailabilityRoutes.date(&v, q["from"], "from")
        let to = AvailabilityRoutes.date(&v, q["to"], "to")
        if let from, let to {
            v.require(to >= from, "to", "must not be before from")
            v.require(from.days(until: to) <= maxProposalDays, "to", "must be at most \(maxProposalDays) days after from")
        }
        let persons = number(&v, q["persons"], "persons", 1...20, default: 1)
        let limit = number(&v, q["limit"], "limit", 1...50, default: 10)
        let perDay = number(&v, q["perDay"], "perDay", 1...96, default: 3)
        let named = ids(&v, q["staffIds"], "staffIds")
        let extraSeats = number(&v, q["extraSeats"], "extraSeats", 0...10, default: 0)
        try v.check()
        guard let from, let to, let typeID = q["appointmentType"]?.lowercased() else { throw Problem.internalError }

        let db = try ctx.db
        let now = ctx.now
        guard let head = try db.first(AvailabilityHead(locationID: location, appointmentTypeID: typeID, now: now)) else {
            throw Problem.notFound("There is no location with id \(location).")
        }
        guard head.type_found, head.active else { throw Problem.notFound("There is no active appointment type with id \(typeID).") }
        v.require(persons <= head.max_persons, "persons", "must be at most \(head.max_persons) for this appointment type")
        v.require(named.count <= head.services.count, "staffIds",
                  "must name at most \(head.services.count) staff member(s): one for each requirement of this appointment type")
        try v.check()

        let empty = raw("{\"items\":[],\"from\":\"\(from)\",\"to\":\"\(to)\"}")
        guard var query = try AvailabilityRoutes.loadCalendar(db, location: location, typeID: typeID, head: head, persons: persons,
                                                              from: from, to: to, now: now)?.query else {
            // Closed on every day of the range; named staff are still checked, so a typo is not "no times".
            if !named.isEmpty {
                let known = Set(try db.all(CoordinatorNames(staffIDs: named, serviceIDs: [], roomIDs: [])).map(\.id))
                for (i, s) in named.enumerated() where !known.contains(s) { v.require(false, "staffIds[\(i)]", "is not a staff member") }
                try v.check()
            }
            return empty
        }
        if !named.isEmpty {
            let byID = Dictionary(query.staff.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            for (i, s) in named.enumerated() where byID[s] == nil {
                v.require(false, "staffIds[\(i)]", "is not an active staff member serving a requirement of this appointment type")
            }
            try v.check()
            // The services the named cover are theirs: other staff of those services step aside, so the matching
            // (which takes the first free qualified person in input order) gives every requirement it can to them.
            let covered = named.reduce(into: Set<String>()) { $0.formUnion(byID[$1]?.services ?? []) }
            query.staff = query.staff.filter { named.contains($0.id) || $0.services.isDisjoint(with: covered) }
        }
        query.staff.sort { ((named.firstIndex(of: $0.id) ?? Int.max), $0.id) < ((named.firstIndex(of: $1.id) ?? Int.max), $1.id) }
        if extraSeats > 0 {
            // As the booking counts seats when an attendee comes in person (AppointmentRoutes.place): only rooms that
            // hold the visitors, the staff and them.
            let seats = persons + head.services.count + extraSeats
            query.rooms = query.rooms.filter { $0.capacity >= seats }
        }
        query.notBefore = now
        let wanted = Set(named)
        let slots = SlotSearch.slots(query).filter { $0.start >= now && wanted.isSubset(of: $0.staffIds) }
        if slots.isEmpty { return empty }
        guard let text = try db.first(AvailabilityFormat(timeZone: head.tz, starts: slots.map { String($0.start.microseconds) },
                                                         ends: slots.map { String($0.end.microseconds) })),
              text.days.count == slots.count, text.starts.count == slots.count, text.ends.count == slots.count else {
            throw Problem.internalError
        }
        var chosen: [Int] = []
        var perDayCount: [String: Int] = [:]
        for i in slots.indices where chosen.count < limit {
            let n = perDayCount[text.days[i], default: 0]
            if n < perDay {
                chosen.append(i)
                perDayCount[text.days[i]] = n + 1
            }
        }
        let staffIDs = Array(Set(chosen.flatMap { slots[$0].staffIds }))
        let roomIDs = Array(Set(chosen.compactMap { slots[$0].roomId }))
        let names = try db.all(CoordinatorNames(staffIDs: staffIDs, serviceIDs: head.services, roomIDs: roomIDs))
        var staffNames: [String: CoordinatorNames.Row] = [:], serviceNames: [String: String] = [:], rooms: [String: CoordinatorNames.Row] = [:]
        for n in names {
            switch n.kind {
            case "staff": staffNames[n.id] = n
            case "service": serviceNames[n.id] = n.name
            default: rooms[n.id] = n
            }
        }
        let list = chosen.map { i -> JSON in
            let slot = slots[i]
            let participants = slot.staffIds.enumerated().map { position, staff -> JSON in
                let s = staffNames[staff]
                let service = position < head.services.count ? head.services[position] : ""
                return .object([("staffId", .string(staff)), ("displayName", .optional(s?.name)), ("agencyId", .optional(s?.agency_id)),
                                ("agencyName", .optional(s?.agency_name)), ("serviceId", .string(service)),
                                ("serviceName", .optional(serviceNames[service]))])
            }
            let room = slot.roomId.flatMap { rooms[$0] }
            return .object([("start", .string(text.starts[i])), ("end", .string(text.ends[i])), ("date", .string(text.days[i])),
                            ("participants", .array(participants)), ("roomId", .optional(slot.roomId)),
                            ("roomName", .optional(room?.name)), ("roomCapacity", room.map { .int($0.capacity) } ?? .null)])
        }
        return raw(JSON.object([("items", .array(list)), ("from", .string(from.description)), ("to", .string(to.description))]).serialized)
    }

    /// The OpenAPI schemas of these routes.
    static let schemas: [(String, JSON)] = {
        typealias O = OpenAPISpec
        func obj(_ p: [(String, JSON)], required: [String] = []) -> JSON { O.obj(p, required: required) }
        func arr(_ item: JSON) -> JSON { O.arr(item) }
        func nullable(_ schema: JSON) -> JSON { O.nullable(schema) }
        let str = O.str, id = O.id, time = O.time, date = O.date, int = O.int, bool = O.bool
        let interval = obj([("start", time), ("end", time)], required: ["start", "end"])
        return [
            ("PlannableStaff", obj([("id", id), ("displayName", str), ("role", str), ("agencyId", id), ("agencyName", str),
                                    ("serviceIds", arr(id))], required: ["id", "displayName", "agencyId", "agencyName", "serviceIds"])),
            ("PlannableStaffList", obj([("items", arr(OpenAPISpec.ref("PlannableStaff")))], required: ["items"])),
            ("Proposal", obj([("start", time), ("end", time), ("date", date),
                              ("participants", arr(obj([("staffId", id), ("displayName", nullable(str)), ("agencyId", nullable(id)),
                                                        ("agencyName", nullable(str)), ("serviceId", id), ("serviceName", nullable(str))],
                                                       required: ["staffId", "serviceId"]))),
                              ("roomId", nullable(id)), ("roomName", nullable(str)), ("roomCapacity", nullable(int))],
                             required: ["start", "end", "date", "participants", "roomId"])),
            ("AppointmentReference", obj([("id", id), ("status", str)], required: ["id", "status"])),
            ("ProposalList", obj([("items", arr(OpenAPISpec.ref("Proposal"))), ("from", date), ("to", date)], required: ["items"])),
            ("StaffWeek", obj([
                ("locationId", id), ("timeZone", str), ("from", date), ("to", date),
                ("staff", arr(obj([("staffId", id), ("displayName", str), ("agencyId", id), ("agencyName", str),
                                   ("available", arr(interval)),
                                   ("absences", arr(obj([("id", id), ("start", time), ("end", time)], required: ["id", "start", "end"]))),
                                   ("appointments", arr(obj([("id", id), ("reference", str), ("status", str), ("start", time), ("end", time),
                                                             ("typeName", str), ("roomName", nullable(str)), ("locationId", id),
                                                             ("locationName", str), ("joint", bool)],
                                                            required: ["id", "reference", "status", "start", "end"])))],
                                  required: ["staffId", "available", "absences", "appointments"])))],
                required: ["staff"])),
        ]
    }()
}
