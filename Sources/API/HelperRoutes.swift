import HTTP
import Postgres
import Scheduling
import Time

// Helpers acting on someone's behalf, and the attendees of an appointment (issue 10).
//
// A helper is an account with the role `helper` (created by a coordinator: POST /api/v1/staff with role helper) in
// the agency row of the organisation they work for, e.g. a library. What a helper may do, and only that:
//
// - book for a person through POST /api/v1/appointments (a public route: the helper counts as the public there —
//   public types, notice and horizon, the type's customer fields, no staffIds or roomId — plus a required `consent`:
//   how the person agreed (inPerson, phone, written), when, and for what). The consent is stored in the booking's
//   transaction (appointment_consent, action `book`) and audited (method only, never the scope's words). No manage
//   token comes back: the helper manages the appointment through their account.
// - see (lists, one), confirm, reschedule and cancel the appointments they arranged, with the citizen's fields,
//   audited like staff reads; reschedule follows the public rules, and reschedule and cancel are refused (409) once
//   the appointment has started. A later change may carry a consent of its own, recorded the same way.
// - add themselves or an interpreter as an attendee of those appointments.
//
// Everything else is closed to helpers: the role ranks below staff, so every `.staff` (and higher) route answers
// 403, and on `.public` routes a helper is the public (`RouteContext.helper`), never mistaken for staff.
//
// THE rule of a helper's scope is `HelperScope` here and `helper_arranged(appointment, helper)` in SQL (one
// function, Migrations/functions/80_helpers.sql): the helper booked it with consent on record. Another helper's
// appointment does not exist for them (404), like an appointment behind the agency wall. Check-in by a helper calls
// `HelperScope.requireArranged` (or `AppointmentRoutes.locked`, which does) and records its consent with
// `HelperScope.record(…, action: "checkIn", …)`.
//
// Attendees: POST/DELETE /api/v1/appointments/{id}/attendees — staff of a participating agency, coordinators, admins,
// and the helper who arranged it (who may add an interpreter, or themselves as helper). Everyone who sees the
// appointment sees the attendees' kinds, modes and languages and whether a representative arranged it; names and
// the consent appear with the citizen's fields only (the agency wall already hides the appointment from other
// agencies). Someone who comes in person takes a seat: when the appointment has a room, its capacity must hold the
// persons, the staff and every in-person attendee (checked when added, under the appointment's row lock, and kept
// by a reschedule, which only picks rooms that still hold them all).

/// How the person gave their consent, when, and for what (JSON `consent`).
struct ConsentBody: Decodable { let method: String?; let givenAt: String?; let scope: String? }
struct AttendeeBody: Decodable { let kind: String?; let staffId: String?; let language: String?; let mode: String?; let name: String? }

private let tag = "helpers"

/// The one authorization rule for helpers, and the recording of their consent.
enum HelperScope {
    static let consentMethods = ["inPerson", "phone", "written"]

    /// A valid consent.
    struct Consent { let method: String; let givenAt: Instant; let scope: String }

    /// Whether `helper` arranged the appointment: `helper_arranged` in SQL, the same predicate every statement uses.
    static func arranged(_ db: Connection, appointmentID: String, helper: Actor) throws -> Bool {
        guard let staffID = helper.staffID else { return false }
        return try db.first(HelperArranged(appointmentID: appointmentID, helperID: staffID))?.arranged ?? false
    }

    /// For a helper: 404 unless they arranged the appointment (another helper's does not exist for them). Anyone
    /// else passes through (their own rules apply).
    static func requireArranged(_ db: Connection, appointmentID: String, actor: Actor) throws {
        guard actor.role == .helper else { return }
        guard try arranged(db, appointmentID: appointmentID, helper: actor) else {
            throw Problem.notFound("There is no appointment with id \(appointmentID).")
        }
    }

    /// The `consent` of a request: required for a booking by a helper, optional on later changes; refused from anyone
    /// else. Given no later than now (by the app's clock).
    static func consent(_ v: inout Validator, _ body: ConsentBody?, helper: Bool, required: Bool, now: Instant) -> Consent? {
        guard helper else {
            v.require(body == nil, "consent", "is recorded only by a helper acting on someone's behalf")
            return nil
        }
        guard let body else {
            if required {
                v.require(false, "consent", "is required: how the person agreed (method), when (givenAt) and for what (scope)")
            }
            return nil
        }
        let method = body.method
        v.require(method.map(consentMethods.contains) ?? false, "consent.method", "must be one of " + consentMethods.joined(separator: ", "))
        var givenAt: Instant? = nil
        if let text = body.givenAt {
            givenAt = Instant(rfc3339: text)
            v.require(givenAt != nil, "consent.givenAt", "must be a date and time with offset, e.g. 2026-03-10T10:00:00+01:00")
            if let g = givenAt { v.require(g <= now, "consent.givenAt", "must not lie in the future") }
        } else {
            v.require(false, "consent.givenAt", "is required")
        }
        v.text(body.scope, "consent.scope", max: 200)
        guard let method, let givenAt, let scope = body.scope?.trimmingSpaces, !scope.isEmpty, scope.count <= 200,
              consentMethods.contains(method), givenAt <= now else { return nil }
        return Consent(method: method, givenAt: givenAt, scope: scope)
    }

    /// Stores the consent in the caller's transaction; 403 when the account is no (longer an) active helper.
    static func record(_ db: Connection, appointmentID: String, helper: Actor, action: String, _ consent: Consent, now: Instant) throws {
        guard let staffID = helper.staffID,
              try db.first(HelperConsentInsert(appointmentID: appointmentID, helperID: staffID, action: action, method: consent.method,
                                               givenAt: consent.givenAt, scope: consent.scope, now: now)) != nil else {
            throw Problem.forbidden("Only an active helper account can act on someone's behalf.")
        }
    }

    /// An audit row for a helper on a public route (where `ctx.audit`, which needs a principal, does not apply).
    static func audit(_ db: Connection, _ helper: Actor, _ action: String, _ subjectID: String, _ detail: JSON) throws {
        try db.run(AuditInsert(staffID: helper.staffID, agencyID: helper.agencyID, action: action, subjectType: "appointment",
                               subjectID: subjectID, detail: detail.serialized))
    }

    /// What the audit log keeps of a consent: how it was given — never the scope's words (which may say why).
    static func auditDetail(_ consent: Consent) -> JSON {
        .object([("method", .string(consent.method)), ("givenAt", .string(consent.givenAt.rfc3339UTC))])
    }
}

enum HelperRoutes: RouteCollection {
    static let kinds = ["helper", "interpreter"]
    static let modes = ["inPerson", "phone"]

    static let constraints: [String: Problem] = [
        "appointment_attendee_helper_unique": .conflict("This helper already comes along to this appointment."),
        "appointment_consent_one_booking": .conflict("This appointment already has the consent of its booking."),
        "appointment_consent_scope_check": AdminRoutes.invalid("consent.scope", "must be 1–200 characters"),
        "appointment_consent_given_before_recorded": AdminRoutes.invalid("consent.givenAt", "must not lie in the future"),
        "appointment_attendee_language_check": AdminRoutes.invalid("language", "must be a language code such as ar or tr"),
        "appointment_attendee_name_check": AdminRoutes.invalid("name", "must be 1–200 characters"),
    ]

    static let routes: [DeclaredRoute] = [
        .post("/api/v1/appointments/{appointmentId}/attendees", .helper,
              OpenAPIOperation("addAppointmentAttendee",
                               summary: "Add a helper or an interpreter who comes along (staff of a participating agency, coordinators, admins, "
                                + "or the helper who arranged it); in person they need a seat in the room",
                               tag: tag, body: "AttendeeCreate", responses: [.init(201, "Added; the appointment", "Appointment")])) { ctx in
            try addAttendee(ctx)
        },
        .delete("/api/v1/appointments/{appointmentId}/attendees/{attendeeId}", .helper,
                OpenAPIOperation("removeAppointmentAttendee", summary: "Remove an attendee", tag: tag,
                                 responses: [.init(200, "Removed; the appointment", "Appointment")])) { ctx in
            let id = try ctx.id("appointmentId", "appointment")
            let attendee = try ctx.id("attendeeId", "attendee")
            return try ctx.transaction { db in
                let row = try AppointmentRoutes.locked(db, ctx, id: id, token: nil)
                guard let gone = try db.first(AttendeeDelete(appointmentID: row.id, attendeeID: attendee)) else {
                    throw Problem.notFound("Appointment \(id) has no attendee with id \(attendee).")
                }
                try ctx.audit(db, "appointment.attendee.remove", "appointment", row.id,
                              .object([("attendeeId", .string(attendee)), ("kind", .string(gone.kind)), ("mode", .string(gone.mode))]))
                return try answer(db, row.id, status: 200)
            }
        },
    ]

    static func addAttendee(_ ctx: RouteContext) throws -> Response {
        let id = try ctx.id("appointmentId", "appointment")
        let b = try ctx.decode(AttendeeBody.self)
        let actor = try ctx.actor
        var v = Validator()
        v.require(b.kind.map(kinds.contains) ?? false, "kind", "must be helper or interpreter")
        v.require(b.mode.map(modes.contains) ?? false, "mode", "must be inPerson or phone")
        if let name = b.name { v.text(name, "name", max: 200) }
        let language = b.language?.trimmingSpaces.lowercased()
        switch b.kind {
        case "interpreter":
            v.require(language.map { (2...3).contains($0.count) && $0.allSatisfy { ("a"..."z").contains($0) } } ?? false,
                      "language", "is required for an interpreter: a language code such as ar or tr")
            v.require(b.staffId == nil, "staffId", "only a helper comes with an account")
        case "helper":
            v.require(b.language == nil, "language", "only an interpreter has a language")
            if let staffId = b.staffId { v.id(staffId, "staffId") }
            v.require(b.staffId != nil || b.name != nil, "staffId", "a helper needs an account (staffId) or at least a name")
            // A helper brings themselves, not others: the people they may name are their own business only.
            if actor.role == .helper {
                v.require(b.staffId?.lowercased() == actor.staffID, "staffId", "a helper may add only themselves (their own staffId)")
            }
        default: break
        }
        try v.check()
        guard let kind = b.kind, let mode = b.mode else { throw Problem.internalError }
        let now = ctx.now
        return try ctx.transaction { db in
            // The row lock serialises attendee changes of one appointment, so two seats cannot both take the last one.
            let row = try AppointmentRoutes.locked(db, ctx, id: id, token: nil)
            guard let status = AppointmentStatus(rawValue: row.status), status.reservesResources else {
                throw Problem.conflict("This appointment is \(row.status); attendees can be added to live appointments only.")
            }
            if mode == "inPerson", let seats = try db.first(AttendeeSeats(appointmentID: row.id)), let capacity = seats.room_capacity {
                let needed = seats.persons + seats.staff + seats.in_person + 1
                guard needed <= capacity else {
                    throw Problem.conflict("The room holds \(capacity) people; with this attendee \(needed) would come. "
                        + "Let them join by phone, or move the appointment to a bigger room.")
                }
            }
            guard let attendee = try db.first(AttendeeInsert(appointmentID: row.id, kind: kind, helperID: kind == "helper" ? b.staffId?.lowercased() : nil,
                                                             language: kind == "interpreter" ? language : nil, mode: mode, name: b.name?.trimmingSpaces,
                                                             addedBy: actor.staffID, now: now))?.id else {
                throw AdminRoutes.invalid("staffId", "must be an active helper account")
            }
            try ctx.audit(db, "appointment.attendee.add", "appointment", row.id,
                          .object([("attendeeId", .string(attendee)), ("kind", .string(kind)), ("mode", .string(mode))]))
            return try answer(db, row.id, status: 201)
        }
    }

    /// The appointment after the change, with the citizen's fields (the caller may see them: `locked` said so).
    static func answer(_ db: Connection, _ id: String, status: Int) throws -> Response {
        guard let j = try db.first(AppointmentAnswer(id: id, personal: true))?.j else { throw Problem.internalError }
        return Response(status: status, headers: [("Content-Type", "application/json"), ("Cache-Control", "no-store")], body: .bytes(Array(j.utf8)))
    }

    // MARK: OpenAPI

    static let schemas: [(String, JSON)] = {
        typealias O = OpenAPISpec
        return [
            ("Consent", O.obj([("method", O.enumeration(HelperScope.consentMethods)),
                               ("givenAt", O.time),
                               ("scope", O.s("string", [("minLength", .int(1)), ("maxLength", .int(200)),
                                                        ("description", .string("For what the person agreed, in their words."))]))],
                              required: ["method", "givenAt", "scope"])),
            ("AttendeeCreate", O.obj([("kind", O.enumeration(kinds)),
                                      ("staffId", O.s("string", [("format", .string("uuid")), ("description", .string("Kind helper: the helper's account."))])),
                                      ("language", O.s("string", [("pattern", .string("^[a-z]{2,3}$")), ("description", .string("Kind interpreter: the language."))])),
                                      ("mode", O.enumeration(modes)),
                                      ("name", O.s("string", [("maxLength", .int(200))]))],
                                     required: ["kind", "mode"])),
        ]
    }()
}
