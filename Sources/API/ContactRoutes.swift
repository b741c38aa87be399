import HTTP
import Postgres
import Queue
import Scheduling
import Time

// One contact person and warm referral (issue 10). A staff member holding a visit becomes the visitor's contact
// person and gets a short contact code (the reference alphabet, six characters) to print or tell; the visitor keeps
// it. At the kiosk, "I have a contact code" draws a walk-in ticket for the contact person's first service here,
// offered first to them (ticket.offered_to/offered_until, the check-in's mechanism, read by call-next) for
// `contactWaitMinutes` (default 20) when they are on duty today — logged in and at a desk of this location today,
// see staff_on_duty() in Migrations/functions/85_contact_person.sql — and to every qualified colleague at once
// otherwise. Handover to a named colleague (QueueRoutes.handover, `toStaffId`) uses the same offer.
//
// The code links to a staff member, never to the citizen's name: the public answer carries the ticket only, and a
// wrong or ended code is a plain 404 (`urn:loket:problem:contact-unknown`) with nothing created. Issuing, ending and
// the optional note (for the contact person's agency only) are audited.
//
// For the desk page: the notes of a visit meant for the reader's agency (`GET /tickets/{id}/notes`, audited; another
// agency finds none: 404), the colleagues to hand over to by name (on duty first), and "a follow-up with me": the
// types a staff member takes alone and their own earliest free times (the search's calendar with only them in it),
// booked with the staff booking and `contactCode` (AppointmentRoutes).

struct ContactPersonBody: Decodable { let note: String? }
struct ContactTicketBody: Decodable { let code: String?; let language: String? }

private let tag = "queue"

enum ContactRoutes: RouteCollection {
    static let constraints: [String: Problem] = [
        "contact_person_note_check": .unprocessable("The note is too long.", invalidParams: [.init(name: "note", reason: "must be at most 2000 characters")]),
    ]

    static let routes: [DeclaredRoute] = [
        .post("/api/v1/tickets/{ticketId}/contact-person", .staffMember,
              OpenAPIOperation("becomeContactPerson",
                               summary: "I will be this visitor's contact person: a contact code to print or tell (200 with the same code when already issued)",
                               tag: tag, body: "ContactPersonStart",
                               responses: [.init(201, "Code issued", "ContactCode"), .init(200, "Code already issued", "ContactCode")])) { ctx in
            try start(ctx)
        },
        .delete("/api/v1/tickets/{ticketId}/contact-person", .staffMember,
                OpenAPIOperation("endContactPerson", summary: "End the contact relation of this visit: its code stops working", tag: tag,
                                 responses: [.init(204, "Ended")])) { ctx in
            try end(ctx)
        },
        .post("/api/v1/locations/{locationId}/contact-tickets", .public,
              OpenAPIOperation("takeNumberWithContactCode",
                               summary: "Take a number with a contact code: offered first to the contact person while on duty today",
                               tag: tag, body: "ContactTicket", responses: [.init(201, "Ticket taken", "ContactTicketTaken")]),
              idempotency: .keyed(scope: "ticket")) { ctx in
            try take(ctx)
        },
        .get("/api/v1/tickets/{ticketId}/notes", .staffMember,
             OpenAPIOperation("getTicketNotes",
                              summary: "The notes about this visit meant for my agency (handover notes, the contact person's note); audited",
                              tag: tag, responses: [.init(200, "Notes", "TicketNotes")])) { ctx in
            try notes(ctx)
        },
        .get("/api/v1/locations/{locationId}/colleagues", .staffMember,
             OpenAPIOperation("listColleagues",
                              summary: "Colleagues who serve a service here (on duty today first): whom a visitor can be handed over to by name",
                              tag: tag, query: [.init("serviceId", "string", format: "uuid", "Only colleagues who serve this service.")],
                              responses: [.init(200, "Colleagues", "ColleagueList")])) { ctx in
            try colleagues(ctx)
        },
        .get("/api/v1/locations/{locationId}/follow-up-types", .staffMember,
             OpenAPIOperation("listFollowUpTypes",
                              summary: "Appointment types I can take alone at this location (a follow-up with me), with the customer fields they ask",
                              tag: tag, responses: [.init(200, "Appointment types", "FollowUpTypeList")])) { ctx in
            guard let me = try ctx.actor.staffID else { throw Problem.forbidden("Only a staff member with an account books a follow-up with themselves.") }
            let location = try ctx.id("locationId", "location")
            return items(try ctx.db.first(FollowUpTypes(locationID: location, staffID: me))?.j ?? "[]")
        },
        .get("/api/v1/locations/{locationId}/follow-up-times", .staffMember,
             OpenAPIOperation("listFollowUpTimes",
                              summary: "My own earliest free start times for an appointment type (the next \(followUpDays) days, at most \(followUpTimesMax))",
                              tag: tag, query: [.init("appointmentType", "string", format: "uuid", "The appointment type (required).")],
                              responses: [.init(200, "Available times", "AvailableTimeList")])) { ctx in
            try followUpTimes(ctx)
        },
    ]

    /// How far ahead "a follow-up with me" looks, and how many times it offers.
    static let followUpDays = 28
    static let followUpTimesMax = 12

    /// The OpenAPI schemas of the requests and answer.
    static var schemas: [(String, JSON)] {
        typealias O = OpenAPISpec
        return [
            ("ContactPersonStart", O.obj([("note", O.s("string", [("maxLength", .int(2000)), ("description", .string(
                "Optional, for your own agency only (never shown to the visitor or other agencies)."))]))])),
            ("ContactCode", O.obj([("id", O.id), ("code", O.str), ("ticketId", O.id), ("createdAt", O.time)],
                                  required: ["id", "code", "ticketId", "createdAt"])),
            ("ContactTicket", O.obj([("code", O.s("string", [("maxLength", .int(500)), ("description", .string(
                "The contact code (6 characters, no 0/O/1/I/L; case, spaces and dashes ignored)."))])),
                                     ("language", O.s("string", [("pattern", .string("^[a-z]{2,3}$"))]))], required: ["code"])),
            ("ContactTicketTaken", .object([("allOf", .array([O.ref("NewTicket"), O.obj([("contactCode", O.s("string", [("description", .string(
                "The code as the kiosk prints it on the ticket (never the contact person's name)."))]))], required: ["contactCode"])]))])),
            ("TicketNote", O.obj([("kind", O.enumeration(["handover", "contactPerson"])), ("note", O.str), ("writtenAt", O.time),
                                  ("writtenBy", O.str)], required: ["kind", "note", "writtenAt", "writtenBy"])),
            ("TicketNotes", O.list("TicketNote")),
            ("Colleague", O.obj([("id", O.id), ("displayName", O.str), ("agencyId", O.id), ("agencyName", O.str), ("onDuty", O.bool),
                                 ("serviceIds", O.arr(O.id))], required: ["id", "displayName", "agencyId", "agencyName", "onDuty", "serviceIds"])),
            ("ColleagueList", O.list("Colleague")),
            ("FollowUpType", O.obj([("id", O.id), ("name", O.str), ("durationMinutes", O.int), ("maxPersons", O.int),
                                    ("nameField", O.enumeration(["required", "optional", "hidden"])),
                                    ("emailField", O.enumeration(["required", "optional", "hidden"])),
                                    ("phoneField", O.enumeration(["required", "optional", "hidden"])), ("contactRequired", O.bool)],
                                   required: ["id", "name", "durationMinutes", "maxPersons", "nameField", "emailField", "phoneField", "contactRequired"])),
            ("FollowUpTypeList", O.list("FollowUpType")),
        ]
    }

    static let unknown = Problem(status: 404, title: "Contact code not found",
                                 detail: "No contact person with this code at this location. Check the code, or take a number.",
                                 type: "urn:loket:problem:contact-unknown")

    /// Six characters from the reference alphabet: the same drawing as appointment references.
    static func newCode() -> String { AppointmentRoutes.newReference() }

    static func start(_ ctx: RouteContext) throws -> Response {
        let id = try ctx.id("ticketId", "ticket")
        let body = ctx.request.body.isEmpty ? ContactPersonBody(note: nil) : try ctx.decode(ContactPersonBody.self)
        var v = Validator()
        v.require((body.note ?? "").unicodeScalars.count <= 2000, "note", "must be at most 2000 characters")
        try v.check()
        let actor = try ctx.actor
        return try ctx.transaction { db in
            var row: ContactPersonStart.Row?
            // A drawn code already active at this location (rare): draw again.
            for _ in 0..<10 {
                row = try db.first(ContactPersonStart(ticketID: id, staffID: actor.staffID, code: newCode(), note: body.note, now: ctx.now))
                if row?.held == 0 || row?.code != nil { break }
            }
            guard let row else { throw Problem.internalError }
            guard row.held == 1 else {
                guard try db.first(TicketExists(ticketID: id)) != nil else { throw Problem.notFound("There is no ticket with id \(id).") }
                throw Problem.conflict("Only the staff member who holds this visit at their desk can become its contact person.")
            }
            guard let contactID = row.id, let code = row.code, let createdAt = row.createdAt else { throw Problem.internalError }
            if row.created {
                try ctx.audit(db, "contactPerson.start", "ticket", id,
                              .object([("contactPersonId", .string(contactID)), ("withNote", .bool(!(body.note ?? "").trimmingSpaces.isEmpty))]))
            }
            return .json(.object([("id", .string(contactID)), ("code", .string(code)), ("ticketId", .string(id)),
                                  ("createdAt", .string(createdAt))]), status: row.created ? 201 : 200)
        }
    }

    static func end(_ ctx: RouteContext) throws -> Response {
        let id = try ctx.id("ticketId", "ticket")
        let actor = try ctx.actor
        return try ctx.transaction { db in
            let ended = try db.all(ContactPersonEnd(ticketID: id, staffID: actor.staffID, agencyWide: actor.role >= .coordinator, now: ctx.now))
            guard !ended.isEmpty else {
                throw Problem.notFound("This visit has no active contact person that you can end.")
            }
            try ctx.audit(db, "contactPerson.end", "ticket", id, .object([("contactPersonIds", .strings(ended.map(\.id)))]))
            return .noContent
        }
    }

    static func take(_ ctx: RouteContext) throws -> Response {
        let location = try ctx.id("locationId", "location")
        let body = try ctx.decode(ContactTicketBody.self)
        var v = Validator()
        let code = body.code.flatMap(CheckInRoutes.reference(from:))
        v.require(code != nil, "code", "must be the 6-character contact code (letters and digits without 0, O, 1, I, L)")
        v.require(body.language.map(CheckInRoutes.isLanguage) ?? true, "language", "must be a language code such as nl, en or ar")
        try v.check()
        if ctx.principal == nil { try ctx.app.rateLimiter.check(ctx.request, db: ctx.db) }
        let now = ctx.now
        guard let code, let row = try ctx.db.first(ContactTicketTake(
            locationID: location, code: code, language: body.language ?? "nl", now: now,
            offeredUntil: now.adding(minutes: Int64(ctx.app.configuration.contactWaitMinutes)))) else {
            throw Problem.internalError
        }
        guard row.locationFound == 1 else { throw Problem.notFound("There is no location with id \(location).") }
        guard row.isOpen else {
            throw Problem(status: 409, title: "Location closed",
                          detail: "Deze locatie is vandaag gesloten. / This location is closed today.")
        }
        guard row.contactFound == 1 else { throw unknown }
        guard row.serviceFound == 1, let id = row.id, let number = row.number else {
            throw Problem(status: 409, title: "Cannot queue this code", detail: "This contact code cannot be used here today. Ask at the desk.",
                          type: "urn:loket:problem:contact-failed")
        }
        ctx.app.events.didWrite()
        let ahead = row.ahead ?? 0
        return .json(.object([
            ("id", .string(id)), ("number", .string(number)),
            ("serviceId", .optional(row.serviceID)), ("locationId", .optional(row.locationID)),
            ("priority", .optional(row.priority)), ("status", .optional(row.status)),
            ("position", .int(ahead + 1)), ("positionAtLeast", .bool(ahead >= TakeNumber.positionLimit)),
            ("estimatedWaitMinutes", .null), ("createdAt", .optional(row.createdAt)), ("language", .optional(row.language)),
            // For the printed ticket: the visitor keeps their code with them (the code, never the contact person's name).
            ("contactCode", .string(code)),
        ]), status: 201)
    }

    /// The notes about a visit meant for the reader's agency. Another agency's notes are not there for them: no note
    /// for their agency is a 404 whether or not others have one, so the answer does not even tell that one exists.
    /// Each read that shows a note is audited.
    static func notes(_ ctx: RouteContext) throws -> Response {
        let id = try ctx.id("ticketId", "ticket")
        let actor = try ctx.actor
        guard let agency = actor.agencyID else { throw Problem.notFound("This ticket has no note for your agency.") }
        return try ctx.transaction { db in
            let rows = try db.all(TicketNotesForAgency(ticketID: id, agencyID: agency))
            guard rows.first?.found == 1 else { throw Problem.notFound("There is no ticket with id \(id).") }
            let notes = rows.compactMap { r -> JSON? in
                guard let kind = r.kind, let note = r.note else { return nil }
                return .object([("kind", .string(kind)), ("note", .string(note)), ("writtenAt", .optional(r.writtenAt)),
                                ("writtenBy", .optional(r.writtenBy))])
            }
            guard !notes.isEmpty else { throw Problem.notFound("This ticket has no note for your agency.") }
            try ctx.audit(db, "ticket.note.read", "ticket", id, .object([("notes", .int(notes.count))]))
            return .json(.object([("items", .array(notes))]))
        }
    }

    /// Colleagues to hand a visitor over to by name: staff (not helpers) serving a service offered here, the given
    /// one when `serviceId` is set, on duty today first. Names and agencies of colleagues are not citizens' data.
    static func colleagues(_ ctx: RouteContext) throws -> Response {
        let location = try ctx.id("locationId", "location")
        let service = ctx.request.query["serviceId"]
        var v = Validator()
        v.id(service, "serviceId", required: false)
        try v.check()
        guard let me = try ctx.actor.staffID else { throw Problem.forbidden("Only a staff member with an account hands visitors over.") }
        guard try ctx.db.first(LocationExists(locationID: location)) != nil else {
            throw Problem.notFound("There is no location with id \(location).")
        }
        let rows = try ctx.db.all(ColleaguesAtLocation(locationID: location, serviceID: service?.lowercased(), staffID: me, now: ctx.now))
        return .json(.object([("items", .array(rows.map { r in
            .object([("id", .string(r.id)), ("displayName", .string(r.displayName)), ("agencyId", .string(r.agencyID)),
                     ("agencyName", .string(r.agencyName)), ("onDuty", .bool(r.onDuty)), ("serviceIds", .strings(r.serviceIDs))])
        }))]))
    }

    /// My own earliest free start times for a type I take alone: the booking's calendar (AvailabilityRoutes.loadCalendar,
    /// never the cache) with only me as staff, from now on for `followUpDays` days. A booking of one of these times
    /// with my contact code places me (the code is preferred), so the page offers nothing the booking would refuse.
    static func followUpTimes(_ ctx: RouteContext) throws -> Response {
        let location = try ctx.id("locationId", "location")
        var v = Validator()
        v.id(ctx.request.query["appointmentType"], "appointmentType")
        try v.check()
        guard let typeID = ctx.request.query["appointmentType"]?.lowercased() else { throw Problem.internalError }
        guard let me = try ctx.actor.staffID else { throw Problem.forbidden("Only a staff member with an account books a follow-up with themselves.") }
        let db = try ctx.db
        let now = ctx.now
        guard let head = try db.first(AvailabilityHead(locationID: location, appointmentTypeID: typeID, now: now)) else {
            throw Problem.notFound("There is no location with id \(location).")
        }
        guard head.type_found, head.active else { throw Problem.notFound("There is no active appointment type with id \(typeID).") }
        guard head.services.count == 1 else {
            throw AdminRoutes.invalid("appointmentType", "needs several staff members; plan it on the coordinator's page")
        }
        // The UTC day before today covers every zone's local today; starts before now are dropped by notBefore.
        let today = LocalDate(daysSinceEpoch: Int(now.microseconds / 86_400_000_000))
        guard var query = try AvailabilityRoutes.loadCalendar(db, location: location, typeID: typeID, head: head, persons: 1,
                                                              from: today.adding(days: -1), to: today.adding(days: followUpDays),
                                                              now: now)?.query else { return items("[]") }
        query.staff = query.staff.filter { $0.id == me }
        query.notBefore = now
        if query.staff.isEmpty { return items("[]") }
        let slots = Array(SlotSearch.slots(query).sorted { $0.start < $1.start }.prefix(followUpTimesMax))
        let byDay = try AvailabilityRoutes.format(db, head: head, slots)
        return items("[" + byDay.keys.sorted().flatMap { byDay[$0] ?? [] }.map(\.json).joined(separator: ",") + "]")
    }
}
