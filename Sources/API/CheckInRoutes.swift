import HTTP
import Postgres
import Queue
import Scheduling
import Time

// Check-in: a visitor with an appointment joins the queue. At the kiosk with the reference from the confirmation
// (typed, or its QR code read by a USB scanner as keystrokes), public and rate limited like taking a number; at the
// desk by staff, by the appointment's id. One transaction: the appointment is found and locked (check_in_find),
// `AppointmentQueueRule` decides the ticket's priority, due time, lateness and offer from the start and the app's
// clock, and check_in_take moves the appointment (AppointmentStateMachine's checkIn) and draws the ticket, with the
// public `ticket.created` event and, for the participants' desk pages only, `appointment.arrived`.
//
// A second check-in of the same appointment (a second scan, a retry) answers 200 with the ticket already drawn: the
// visitor gets the same number, never a second one and never an error they cannot act on. Wrong references, another
// location's, another day's, cancelled or finished appointments answer 404/409 problems whose `type` names the case
// (`urn:loket:problem:check-in-…`), so the kiosk can say it in the visitor's language; nothing is created.

struct CheckInBody: Decodable { let reference: String?; let language: String? }
/// A check-in at the desk by id: a helper may add the person's consent (HelperScope), as on other changes.
struct DeskCheckInBody: Decodable { var consent: ConsentBody? = nil }

private let tag = "queue"

enum CheckInRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        .post("/api/v1/locations/{locationId}/check-ins", .public,
              OpenAPIOperation("checkIn",
                               summary: "Check in for today's appointment with its reference: a ticket with priority appointment "
                                + "(200 with the same ticket when already checked in)",
                               tag: tag, body: "CheckIn",
                               responses: [.init(201, "Checked in", "CheckInTicket"), .init(200, "Already checked in", "CheckInTicket")]),
              idempotency: .keyed(scope: "check-in")) { ctx in
            let location = try ctx.id("locationId", "location")
            let body = try ctx.decode(CheckInBody.self)
            var v = Validator()
            let reference = body.reference.flatMap(Self.reference(from:))
            v.require(reference != nil, "reference",
                      "must be the 6-character reference of the confirmation (letters and digits without 0, O, 1, I, L), or its QR code's text")
            v.require(body.language.map(Self.isLanguage) ?? true, "language", "must be a language code such as nl, en or ar")
            try v.check()
            if ctx.principal == nil { try ctx.app.rateLimiter.check(ctx.request, db: ctx.db) }
            return try checkIn(ctx, location: location, reference: reference, appointment: nil, language: body.language)
        },
        // `.helper`: a helper checks in the appointments they arranged (HelperScope), for the person they came with.
        .post("/api/v1/appointments/{appointmentId}/check-in", .helper,
              OpenAPIOperation("checkInAtDesk",
                               summary: "Staff check a visitor in for today's appointment (agencies taking part, coordinators, admins), "
                                + "or a helper the appointment they arranged (optionally with the person's consent)",
                               tag: tag, body: "DeskCheckIn",
                               responses: [.init(201, "Checked in", "CheckInTicket"), .init(200, "Already checked in", "CheckInTicket")]),
              idempotency: .keyed(scope: "check-in")) { ctx in
            let id = try ctx.id("appointmentId", "appointment")
            let actor = try ctx.actor
            // As before this route admitted helpers (`.staffMember`): the bootstrap token is nobody at a desk.
            guard actor.staffID != nil else {
                throw Problem.forbidden("Checking in needs a staff member's or helper's own account; the bootstrap admin token has none.")
            }
            let body = ctx.request.body.isEmpty ? DeskCheckInBody() : try ctx.decode(DeskCheckInBody.self)
            var v = Validator()
            let consent = HelperScope.consent(&v, body.consent, helper: actor.role == .helper, required: false, now: ctx.now)
            try v.check()
            return try checkIn(ctx, location: nil, reference: nil, appointment: id, language: nil, consent: consent)
        },
    ]

    /// The OpenAPI schemas of the request and answer.
    static var schemas: [(String, JSON)] {
        typealias O = OpenAPISpec
        return [
            ("CheckIn", O.obj([("reference", O.s("string", [("maxLength", .int(500)), ("description", .string(
                "The reference of the confirmation (6 characters, no 0/O/1/I/L; case, spaces and dashes ignored) or the text of its QR code (a URL ending in it or with ?reference=)."))])),
                               ("language", O.s("string", [("pattern", .string("^[a-z]{2,3}$"))]))], required: ["reference"])),
            ("DeskCheckIn", O.obj([("consent", O.ref("Consent"))])),
            ("CheckInTicket", O.obj([("id", O.id), ("number", O.str), ("serviceId", O.id), ("locationId", O.id), ("priority", O.ticketPriority),
                                     ("status", O.ticketStatus), ("position", O.nullable(O.int)), ("positionAtLeast", O.bool),
                                     ("estimatedWaitMinutes", O.nullable(O.int)), ("createdAt", O.time), ("language", O.str),
                                     ("appointmentId", O.id), ("roomName", O.nullable(O.str)), ("dueAt", O.time), ("late", O.bool)],
                                    required: ["id", "number", "serviceId", "locationId", "priority", "status", "position", "positionAtLeast",
                                               "estimatedWaitMinutes", "createdAt", "language", "appointmentId", "roomName", "dueAt", "late"])),
        ]
    }

    /// The alphabet of references (migration 0008): no 0/O, 1/I/L.
    static let alphabet = Set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")

    /// The reference in what a visitor typed or a scanner sent: the reference itself (any case, spaces and dashes
    /// ignored), or a URL from the confirmation's QR code that carries it (`…?reference=K7M2QX`, `…/K7M2QX`).
    static func reference(from text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count > 500 { return nil }
        func clean(_ s: Substring) -> String? {
            let r = String(s.uppercased().filter { $0 != " " && $0 != "-" })
            return r.count == 6 && r.allSatisfy(alphabet.contains) ? r : nil
        }
        if let direct = clean(Substring(trimmed)) { return direct }
        guard trimmed.contains("/") || trimmed.contains("=") else { return nil }
        // A URL: the value of a `reference` parameter, else the last path segment.
        let parts = trimmed.split(whereSeparator: { "?&#".contains($0) })
        for part in parts.dropFirst() {
            let kv = part.split(separator: "=", maxSplits: 1)
            if kv.count == 2, ["reference", "ref", "r"].contains(kv[0].lowercased()), let r = clean(kv[1]) { return r }
        }
        return parts.first?.split(separator: "/").last.flatMap(clean)
    }

    static func isLanguage(_ s: String) -> Bool { (2...3).contains(s.count) && s.allSatisfy { ("a"..."z").contains($0) } }

    static func problem(_ status: Int, _ kind: String, _ title: String, _ detail: String) -> Problem {
        Problem(status: status, title: title, detail: detail, type: "urn:loket:problem:check-in-\(kind)")
    }

    static func checkIn(_ ctx: RouteContext, location: String?, reference: String?, appointment: String?, language: String?,
                        consent: HelperScope.Consent? = nil) throws -> Response {
        let staff = ctx.principal
        let now = ctx.now
        let rule = AppointmentQueueRule(leadMinutes: ctx.app.configuration.checkInLeadMinutes,
                                        graceMinutes: ctx.app.configuration.checkInGraceMinutes)
        let (response, wrote): (Response, Bool) = try ctx.transaction { db in
            guard let found = try db.first(CheckInFind(locationID: location, reference: reference, appointmentID: appointment, now: now)) else {
                throw Problem(status: 500, title: "Internal error", detail: "Check-in returned nothing.")
            }
            let unknown = problem(404, "unknown", "Appointment not found",
                                  "No appointment with this reference today at this location. Check the reference, or ask at the desk.")
            guard found.locationFound == 1, let locationID = found.locationID else {
                if appointment != nil { throw Problem.notFound("There is no appointment with id \(appointment!).") }
                throw Problem.notFound("There is no location with id \(location ?? "").")
            }
            guard let appointmentID = found.appointmentID, let statusText = found.status,
                  let status = AppointmentStatus(rawValue: statusText), let start = found.startsAtMicros else {
                if appointment != nil { throw Problem.notFound("There is no appointment with id \(appointment!).") }
                throw unknown
            }
            // A helper by id: only what they arranged (404 otherwise, HelperScope's one rule).
            if appointment != nil, let actor = staff, actor.role == .helper {
                try HelperScope.requireArranged(db, appointmentID: appointmentID, actor: actor)
            // Staff by id: only agencies taking part, coordinators and admins (the queue's agency wall).
            } else if appointment != nil, let actor = staff, actor.role < .coordinator,
               !(actor.agencyID.map { (found.agencies ?? []).contains($0) } ?? false) {
                // Not found, as on reads: a 403 would tell other agencies' staff the id exists.
                throw Problem.notFound("There is no appointment with id \(appointment!).")
            }
            switch status {
            case .booked: break
            case .checkedIn:
                // A second scan: the same ticket again (read in a statement of its own, see check_in_existing).
                if let row = try db.first(CheckInExisting(appointmentID: appointmentID)) {
                    return (answer(id: row.id, number: row.number, serviceID: row.serviceID, locationID: row.locationID,
                                   priority: row.priority, status: row.status, language: row.language, late: row.late,
                                   createdAt: row.createdAt, dueAt: row.dueAt, roomName: row.roomName, appointmentID: appointmentID,
                                   ahead: nil, status: 200), false)
                }
                throw problem(409, "over", "Appointment already checked in", "This appointment was checked in without a ticket. Ask at the desk.")
            case .cancelled:
                throw problem(404, "cancelled", "Appointment cancelled", "This appointment was cancelled. Ask at the desk, or take a number.")
            case .held:
                throw problem(404, "unknown", "Appointment not found", "This appointment was never confirmed. Ask at the desk, or take a number.")
            case .done, .noShow:
                throw problem(409, "over", "Appointment already over", "This appointment has already taken place. Ask at the desk, or take a number.")
            }
            guard found.today else {
                throw problem(404, "not-today", "Not today", "This appointment is on another day. Come back on the day of the appointment.")
            }
            guard found.isOpen else {
                throw problem(409, "closed", "Location closed",
                              "Deze locatie is vandaag gesloten. / This location is closed today.")
            }
            // Data the queue cannot place (no staff participant, a service without a ticket letter): the desk helps.
            let unplaceable = problem(409, "failed", "Cannot queue this appointment",
                                      "This appointment cannot be put in the queue automatically. Ask at the desk.")
            guard let serviceID = found.serviceID else { throw unplaceable }
            let decided = rule.ticket(arrival: now.microseconds, start: Int64(start))
            let offered = decided.offeredUntil != nil && !(found.staffIDs ?? []).isEmpty
            let transition = AppointmentStateMachine.transitions(for: .checkIn)
            guard let row = try db.first(CheckInTake(
                locationID: locationID, appointmentID: appointmentID, serviceID: serviceID, priority: decided.priority.rawValue,
                dueAt: Instant(microseconds: decided.dueAt), late: decided.late,
                offeredTo: offered ? found.staffIDs : nil,
                offeredUntil: offered ? decided.offeredUntil.map(Instant.init(microseconds:)) : nil,
                roomID: found.roomID, language: language ?? found.citizenLanguage ?? "nl", createdBy: staff?.staffID, now: now,
                sources: transition.keys.map(\.rawValue).sorted(), target: transition[.booked]!.rawValue)) else {
                throw Problem(status: 500, title: "Internal error", detail: "Check-in returned nothing.")
            }
            guard row.serviceFound == 1 else { throw unplaceable }
            guard row.moved == 1, let id = row.id, let number = row.number else {
                throw problem(409, "over", "Appointment already checked in", "This appointment changed meanwhile. Try again.")
            }
            if let staff, staff.role == .helper, let consent {
                try HelperScope.record(db, appointmentID: appointmentID, helper: staff, action: "checkIn", consent, now: now)
            }
            if staff != nil {
                try ctx.audit(db, "appointment.checkIn", "appointment", appointmentID,
                              .object([("ticketId", .string(id))]
                                      + (staff?.role == .helper ? [("onBehalf", JSON.bool(true))] : [])
                                      + (consent.map { [("consent", HelperScope.auditDetail($0))] } ?? [])))
            }
            return (answer(id: id, number: number, serviceID: row.serviceID ?? serviceID, locationID: locationID,
                           priority: row.priority ?? decided.priority.rawValue, status: row.status ?? "waiting",
                           language: row.language ?? "nl", late: row.late ?? decided.late, createdAt: row.createdAt ?? "",
                           dueAt: row.dueAt ?? "", roomName: row.roomName, appointmentID: appointmentID, ahead: row.ahead,
                           status: 201), true)
        }
        if wrote { ctx.app.events.didWrite() }
        return response
    }

    /// Take-a-number's answer (NewTicket) plus the appointment, its room and the ticket's due time.
    static func answer(id: String, number: String, serviceID: String, locationID: String, priority: String, status: String,
                       language: String, late: Bool, createdAt: String, dueAt: String, roomName: String?, appointmentID: String,
                       ahead: Int?, status code: Int) -> Response {
        let atLeast = (ahead ?? 0) >= TakeNumber.positionLimit
        return .json(.object([
            ("id", .string(id)), ("number", .string(number)), ("serviceId", .string(serviceID)), ("locationId", .string(locationID)),
            ("priority", .string(priority)), ("status", .string(status)),
            ("position", .optional(ahead.map { $0 + 1 })), ("positionAtLeast", .bool(atLeast)), ("estimatedWaitMinutes", .null),
            ("createdAt", .string(createdAt)), ("language", .string(language)),
            ("appointmentId", .string(appointmentID)), ("roomName", .optional(roomName)), ("dueAt", .string(dueAt)), ("late", .bool(late)),
        ]), status: code)
    }
}
