import Credentials
import HTTP
import Postgres
import Scheduling
import Time

// Booking appointments and joint appointments: create (optionally as a short hold), confirm a hold, reschedule,
// cancel, and the citizen's manage-link variants. The guarantees, in the order a booking meets them:
//
// 1. The search only proposes. Every rule is checked again inside the booking's own transaction: the day of the
//    wanted start is loaded exactly as the search loads it (`AvailabilityRoutes.loadCalendar`, never the cache) and
//    the pure `SlotSearch` is asked about that one start, with the staff and room the caller named or, when none are
//    named, with the staff ordered least-booked-that-day first (the matching takes the first free qualified person
//    it meets, so the load spreads). Notice and horizon apply to the public, "never in the past" to everyone.
// 2. Expired holds never block: the search treats them as free (staff_busy/room_busy take `now`), and the
//    transaction cancels (action `expire`) the expired holds still occupying the chosen resources before inserting.
// 3. The database has the last word: each participant and the room is a reservation row under an exclusion
//    constraint, so two bookings racing past step 1 cannot both commit; the loser's 23P01 becomes a 409 with up to
//    three nearest free alternatives. A joint appointment is one transaction: all participants and the room, or none.
// 4. Every change bumps the location's calendar version in its transaction, so the search's cache never answers from
//    before it; cached days that counted a hold expire with the hold (AvailabilityCache's `validUntil`).
//
// Who may do what. POST: anyone (public: only types open to public booking, notice and horizon, the type's customer
// fields, and a `manageToken` comes back) or staff (any active type, any time not in the past, may name staffIds and
// roomId; audited). Confirm, reschedule, cancel by id: staff of an agency taking part, coordinators and admins;
// other agencies' staff get 404, as on reads (a 403 would confirm that the id exists). The manage link (token in the path) acts as the
// public: it works while the appointment is held (and the hold has not expired) or booked and has not started, and
// otherwise answers 404 — the link is dead, as for GET. Illegal moves (AppointmentStateMachine) are 409 with its message.

struct CitizenBody: Decodable {
    let name: String?, email: String?, phone: String?, language: String?, needs: [String]?, needsNote: String?
}
struct NewAppointmentBody: Decodable {
    let locationId: String?, appointmentTypeId: String?, start: String?, persons: Int?, staffIds: [String]?, roomId: String?
    /// Staff only: the contact code of a participant, so the follow-up is with the citizen's own contact person.
    var contactCode: String? = nil
    let citizen: CitizenBody?, hold: Bool?
    /// false: Loket sends the citizen no mail about this appointment (an external form sends its own; see Outbox).
    let notify: Bool?
    /// A helper's record of the person's consent (HelperScope); required from helpers, refused from anyone else.
    let consent: ConsentBody?
}
struct RescheduleBody: Decodable { let start: String?; let staffIds: [String]?; let roomId: String?; var consent: ConsentBody? = nil }
struct CancelBody: Decodable { let reason: String?; var consent: ConsentBody? = nil }

private let tag = "appointments"

enum AppointmentRoutes: RouteCollection {
    static let taken = "That time was just taken."
    /// The fixed list of needs a desk can prepare for (migration 0008's CHECK).
    static let needsList = ["interpreter", "wheelchair", "hearingLoop", "extraTime", "companion"]

    /// Backstops: the handlers validate first; the exclusion constraints are caught in the handlers to add alternatives.
    static let constraints: [String: Problem] = [
        "appointment_reservation_staff_free": .conflict(taken),
        "appointment_reservation_room_free": .conflict(taken),
        "appointment_citizen_name_check": AdminRoutes.invalid("citizen.name", "must be 1–200 characters"),
        "appointment_citizen_email_check": AdminRoutes.invalid("citizen.email", "must be an e-mail address"),
        // The outbox's own check (written in the same transaction): an address Loket could not send to.
        "outbox_message_recipient_check": AdminRoutes.invalid("citizen.email", "must be an e-mail address"),
        "appointment_citizen_phone_check": AdminRoutes.invalid("citizen.phone", "must be a phone number"),
        "appointment_citizen_language_check": AdminRoutes.invalid("citizen.language", "must be a language code such as nl or en"),
        "appointment_needs_check": AdminRoutes.invalid("citizen.needs", "must be from " + needsList.joined(separator: ", ")),
        "appointment_needs_note_check": AdminRoutes.invalid("citizen.needsNote", "must be at most 200 characters"),
        "appointment_cancel_reason_check": AdminRoutes.invalid("reason", "must be at most 500 characters"),
        "appointment_persons_check": AdminRoutes.invalid("persons", "must be between 1 and 20"),
    ]

    static let routes: [DeclaredRoute] = [
        .post("/api/v1/appointments", .public,
              OpenAPIOperation("bookAppointment",
                               summary: "Book an appointment (or hold it with hold: true). Every rule of the search is checked again; "
                                + "a time that is not (or no longer) free is a 409 problem with `alternatives: [{start, end}]`.",
                               tag: tag, body: "NewAppointment", responses: [.init(201, "Booked or held", "AppointmentBooking"),
                                                                             .init(429, "Anonymous only: more than LOKET_BOOKING_RATE_PER_MINUTE bookings and manage-link changes from this address this minute, or (hold: true) LOKET_HOLDS_PER_ADDRESS unexpired holds already; Retry-After says when to try again", "Problem")]),
              // A form that retries after a network error must never book twice (Open Forms sends one key per submission).
              idempotency: .keyed(scope: "appointment")) { ctx in
            try book(ctx)
        },
        .post("/api/v1/appointments/{appointmentId}/confirm", .helper,
              OpenAPIOperation("confirmAppointment", summary: "Turn an unexpired hold into a booking", tag: tag,
                               responses: [.init(200, "Booked", "Appointment")])) { ctx in
            try confirm(ctx, id: try ctx.id("appointmentId", "appointment"), token: nil)
        },
        .patch("/api/v1/appointments/{appointmentId}", .helper,
               OpenAPIOperation("rescheduleAppointment",
                                summary: "Move an appointment to another start (and optionally other staff or room) in one transaction",
                                tag: tag, body: "Reschedule", responses: [.init(200, "Moved", "Appointment")])) { ctx in
            try reschedule(ctx, id: try ctx.id("appointmentId", "appointment"), token: nil)
        },
        .post("/api/v1/appointments/{appointmentId}/cancel", .helper,
              OpenAPIOperation("cancelAppointment", summary: "Cancel an appointment; its staff and room are free at once", tag: tag,
                               body: "Cancel", responses: [.init(200, "Cancelled", "Appointment")])) { ctx in
            try cancel(ctx, id: try ctx.id("appointmentId", "appointment"), token: nil)
        },
        .post("/api/v1/appointments/manage/{token}/confirm", .public,
              OpenAPIOperation("confirmAppointmentByLink", summary: "Confirm one's own hold with the manage token", tag: tag,
                               responses: [.init(200, "Booked", "Appointment"), .init(429, "More than LOKET_BOOKING_RATE_PER_MINUTE bookings and manage-link changes from this address this minute; Retry-After says when to try again", "Problem")])) { ctx in
            try ctx.app.bookingLimiter.check(ctx.request)
            return try confirm(ctx, id: nil, token: try token(ctx))
        },
        .patch("/api/v1/appointments/manage/{token}", .public,
               OpenAPIOperation("rescheduleAppointmentByLink", summary: "Move one's own appointment with the manage token (until its start)",
                                tag: tag, body: "Reschedule", responses: [.init(200, "Moved", "Appointment"), .init(429, "More than LOKET_BOOKING_RATE_PER_MINUTE bookings and manage-link changes from this address this minute; Retry-After says when to try again", "Problem")])) { ctx in
            try ctx.app.bookingLimiter.check(ctx.request)
            return try reschedule(ctx, id: nil, token: try token(ctx))
        },
        .post("/api/v1/appointments/manage/{token}/cancel", .public,
              OpenAPIOperation("cancelAppointmentByLink", summary: "Cancel one's own appointment with the manage token (until its start)",
                               tag: tag, body: "Cancel", responses: [.init(200, "Cancelled", "Appointment"), .init(429, "More than LOKET_BOOKING_RATE_PER_MINUTE bookings and manage-link changes from this address this minute; Retry-After says when to try again", "Problem")])) { ctx in
            try ctx.app.bookingLimiter.check(ctx.request)
            return try cancel(ctx, id: nil, token: try token(ctx))
        },
    ]

    // MARK: Booking

    /// What was asked, for the check and for the alternatives of a 409.
    struct Wanted {
        let location: String
        let typeID: String
        let head: AvailabilityHead.Row
        let persons: Int
        let start: Instant
        /// The local date of `start`: the day whose calendar is loaded.
        let day: LocalDate
        /// Public rules (notice, horizon) apply.
        let asPublic: Bool
    }

    /// The wanted start is not a bookable slot (caught outside the transaction, answered with alternatives).
    struct Unavailable: Error {
        let message: String
        let wanted: Wanted
    }

    static func book(_ ctx: RouteContext) throws -> Response {
        let actor = ctx.principal
        // A helper books as the public does, for someone, with that person's consent (HelperRoutes.swift).
        let helper = ctx.helper
        // Slot hoarding: anonymous bookings count per address before anything else (BookingLimiter).
        let anonymous = actor == nil && helper == nil
        if anonymous { try ctx.app.bookingLimiter.check(ctx.request) }
        let b = try ctx.decode(NewAppointmentBody.self)
        var v = Validator()
        v.id(b.locationId, "locationId")
        v.id(b.appointmentTypeId, "appointmentTypeId")
        let start = instant(&v, b.start, "start")
        if let p = b.persons { v.require((1...20).contains(p), "persons", "must be between 1 and 20") }
        let staffIDs = ids(&v, b.staffIds, "staffIds")
        if let room = b.roomId { v.id(room, "roomId") }
        if actor == nil {
            v.require(b.staffIds == nil, "staffIds", "only staff choose who takes part")
            v.require(b.roomId == nil, "roomId", "only staff choose the room")
            v.require(b.contactCode == nil, "contactCode", "only staff book with a contact person")
        }
        // As the kiosk reads it: case, spaces and dashes do not matter.
        let contactCode = b.contactCode.map { String($0.filter { !$0.isWhitespace && $0 != "-" }).uppercased() }
        if let given = b.contactCode {
            v.require(given.count <= 500 && !(contactCode ?? "").isEmpty, "contactCode", "must be a contact code of 6 characters")
        }
        v.require(b.citizen != nil, "citizen", "is required (an object with the citizen's details)")
        let consent = HelperScope.consent(&v, b.consent, helper: helper != nil, required: true, now: ctx.now)
        try v.check()
        guard let start, let location = b.locationId?.lowercased(), let typeID = b.appointmentTypeId?.lowercased() else {
            throw Problem.internalError
        }
        let persons = b.persons ?? 1
        let hold = b.hold ?? false
        let now = ctx.now
        let heldUntil = now.adding(minutes: Int64(ctx.app.configuration.appointmentHoldMinutes))
        // An anonymous hold takes one of its address's few places; given back if the booking does not commit.
        let holdClaim = anonymous && hold ? try ctx.app.bookingLimiter.claimHold(ctx.request, now: now, until: heldUntil) : nil
        var bookedID: String? = nil
        defer {
            if let holdClaim {
                if let bookedID { ctx.app.bookingLimiter.bind(holdClaim, appointmentID: bookedID) } else { ctx.app.bookingLimiter.release(holdClaim) }
            }
        }
        // Only public bookings get the citizen's own link; staff bookings are managed by staff, a helper's by the helper.
        let token = actor == nil && helper == nil ? Credentials.randomToken() : nil
        var wanted: Wanted? = nil
        do {
            let answer = try ctx.transaction { db -> String in
                guard let head = try db.first(AvailabilityHead(locationID: location, appointmentTypeID: typeID, now: now)) else {
                    throw AdminRoutes.invalid("locationId", "does not exist")
                }
                guard head.type_found, head.active, actor != nil || head.public_booking else {
                    throw AdminRoutes.invalid("appointmentTypeId", actor == nil ? "does not exist or cannot be booked online" : "does not exist or is not active")
                }
                guard let c = try db.first(AppointmentBookingContext(locationID: location, appointmentTypeID: typeID, start: start, now: now)),
                      let day = CalendarDate.date(c.day) else { throw Problem.internalError }
                var v = Validator()
                check(&v, head: head, context: c, persons: persons, staffIDs: staffIDs, roomID: b.roomId)
                let citizen = validCitizen(&v, b.citizen, c, strict: actor == nil)
                try v.check()
                let w = Wanted(location: location, typeID: typeID, head: head, persons: persons, start: start, day: day, asPublic: actor == nil)
                wanted = w
                // Follow-up in one step: the contact code names the staff member the booking prefers and must include.
                var contact: ContactPersonForBooking.Row? = nil
                if let contactCode {
                    contact = try db.first(ContactPersonForBooking(locationID: location, code: contactCode))
                    guard contact != nil else {
                        throw AdminRoutes.invalid("contactCode", "is not an active contact code at this location")
                    }
                }
                let slot = try place(db, w, staffIDs: staffIDs, roomID: b.roomId?.lowercased(), prefer: contact.map { [$0.staff_id] } ?? [],
                                     preferRoom: nil, now: now)
                if let contact, !slot.staffIds.contains(contact.staff_id) {
                    throw AdminRoutes.invalid("contactCode", "its contact person does not take part in this appointment (not named, or not free then)")
                }
                let during = slot.bufferedInterval(AvailabilityRoutes.rule(head))
                try expireHolds(db, slot, during, now: now)
                let status: AppointmentStatus = hold ? .held : .booked
                var id: String? = nil
                // A reference collides with one in a million at a busy location: draw again (no error, see the SQL).
                for _ in 0..<10 where id == nil {
                    id = try db.first(AppointmentInsert(
                        locationID: location, appointmentTypeID: typeID, reference: newReference(), referenceYear: c.reference_year,
                        status: status.rawValue, start: slot.start, end: slot.end, persons: persons,
                        heldUntil: hold ? heldUntil : nil,
                        name: citizen.name, email: citizen.email, phone: citizen.phone, language: citizen.language,
                        needs: citizen.needs, needsNote: citizen.needsNote,
                        manageTokenHash: token.map { .bytes(Credentials.tokenDigest($0)) } ?? .null,
                        bookedBy: (actor ?? helper)?.staffID, now: now))?.id
                }
                guard let id else { throw Problem.internalError }
                try db.run(AppointmentReserve(appointmentID: id, staffIDs: slot.staffIds, serviceIDs: head.services, roomID: slot.roomId,
                                              from: during.start, to: during.end))
                if let contact { try db.run(AppointmentContactPersonSet(appointmentID: id, contactPersonID: contact.id)) }
                // The confirmation and the reminder, in this transaction (the token is known only here).
                try Outbox.booked(db, ctx, appointmentID: id, manageToken: token, notify: b.notify ?? true)
                if actor != nil {
                    try ctx.audit(db, hold ? "appointment.hold" : "appointment.book", "appointment", id,
                                  .object([("start", .string(start.rfc3339UTC)), ("staff", .strings(slot.staffIds))]))
                }
                if let helper, let consent {
                    // The consent is what makes it the helper's: recorded with the booking, or no booking.
                    try HelperScope.record(db, appointmentID: id, helper: helper, action: "book", consent, now: now)
                    try HelperScope.audit(db, helper, hold ? "appointment.hold" : "appointment.book", id,
                                          .object([("start", .string(start.rfc3339UTC)), ("staff", .strings(slot.staffIds)),
                                                   ("onBehalf", .bool(true)), ("consent", HelperScope.auditDetail(consent))]))
                }
                guard let j = try db.first(AppointmentAnswer(id: id, personal: true))?.j else { throw Problem.internalError }
                bookedID = id
                // Last before COMMIT: every booking at the location waits for this row lock until the previous one
                // commits, so nothing else may run while it is held (deploy/bench-booking: it bounds bookings/s).
                try db.run(AppointmentBumpCalendar(locationID: location))
                return j
            }
            guard let token else { return raw(answer, status: 201) }
            return raw(String(answer.dropLast()) + ",\"manageToken\":" + JSONText.quote(token) + "}", status: 201)
        } catch let e as Unavailable {
            return try unavailable(ctx, e.message, e.wanted)
        } catch let e as PostgresError where isTaken(e) {
            guard let wanted else { throw e }
            return try unavailable(ctx, taken, wanted)
        }
    }

    /// Whether the error is the double-booking guard (another booking won the race).
    static func isTaken(_ e: PostgresError) -> Bool {
        e.isExclusionViolation && ["appointment_reservation_staff_free", "appointment_reservation_room_free"].contains(e.constraint ?? "")
    }

    /// Request checks that need the type: the grid, persons, the number of staff named, a room only when needed.
    static func check(_ v: inout Validator, head: AvailabilityHead.Row, context c: AppointmentBookingContext.Row, persons: Int,
                      staffIDs: [String]?, roomID: String?) {
        v.require(c.on_grid, "start", "must be on the quarter hour (:00, :15, :30, :45) in the location's time zone")
        v.require(persons <= head.max_persons, "persons", "must be at most \(head.max_persons) for this appointment type")
        if let staffIDs {
            v.require(staffIDs.count == head.services.count, "staffIds",
                      "must name \(head.services.count) staff member(s): one for each requirement of this appointment type")
        }
        if roomID != nil && !head.needs_room { v.require(false, "roomId", "this appointment type takes place without a room") }
    }

    /// Checks the wanted start against every rule of the search, inside the caller's transaction, and returns the
    /// slot with its staff and room. Throws `Unavailable` (409) when the start cannot be booked, 422 when a named
    /// staff member or room cannot take part at all.
    static func place(_ db: Connection, _ w: Wanted, staffIDs: [String]?, roomID: String?, prefer: [String], preferRoom: String?,
                      extraSeats: Int = 0, now: Instant) throws -> Slot {
        if w.start < now { throw Unavailable(message: "That time has passed.", wanted: w) }
        if w.asPublic {
            if w.start < now.adding(minutes: Int64(w.head.min_notice_minutes)) {
                throw Unavailable(message: "This appointment must be booked at least \(w.head.min_notice_minutes) minutes ahead.", wanted: w)
            }
            if let end = Int64(w.head.horizon_end), w.start.microseconds > end {
                throw Unavailable(message: "That day is further ahead than this appointment can be booked.", wanted: w)
            }
        }
        guard var query = try AvailabilityRoutes.loadCalendar(db, location: w.location, typeID: w.typeID, head: w.head, persons: w.persons,
                                                              from: w.day, to: w.day, now: now)?.query else {
            throw Unavailable(message: "The location is closed for appointments on that day.", wanted: w)
        }
        query.candidateStarts = [w.start]
        if extraSeats > 0 {
            // Attendees who come in person (HelperRoutes) need seats too: only rooms that hold them all.
            let seats = w.persons + w.head.services.count + extraSeats
            if let roomID, query.rooms.contains(where: { $0.id == roomID && $0.capacity < seats }) {
                throw AdminRoutes.invalid("roomId", "does not seat everyone: \(seats) people come, attendees in person included")
            }
            query.rooms = query.rooms.filter { $0.capacity >= seats }
        }
        if let staffIDs {
            var v = Validator()
            let known = Set(query.staff.map(\.id))
            for (i, s) in staffIDs.enumerated() where !known.contains(s) {
                v.require(false, "staffIds[\(i)]", "is not an active staff member serving a requirement of this appointment type")
            }
            try v.check()
            // Which requirement each fills is the matching's decision.
            query.staff = query.staff.filter { staffIDs.contains($0.id) }
        } else {
            // Spread the load: SlotSearch's matching takes the first free qualified staff member in input order, so
            // the current participants (a reschedule) come first, then the least booked that day.
            let load = Dictionary(try db.all(AppointmentStaffLoad(locationID: w.location, day: w.day.description, now: now))
                .map { ($0.staff_id, $0.booked) }, uniquingKeysWith: +)
            func rank(_ s: StaffCalendar) -> (Int, Int, String) { (prefer.firstIndex(of: s.id) ?? Int.max, load[s.id] ?? 0, s.id) }
            query.staff.sort { rank($0) < rank($1) }
        }
        if let roomID {
            guard query.rooms.contains(where: { $0.id == roomID }) else {
                throw AdminRoutes.invalid("roomId", "is not an active room of this location")
            }
            query.rooms = query.rooms.filter { $0.id == roomID }
        } else if let preferRoom, query.rooms.contains(where: { $0.id == preferRoom }) {
            // A reschedule keeps its room when it is free.
            var same = query
            same.rooms = query.rooms.filter { $0.id == preferRoom }
            if let slot = SlotSearch.slots(same).first, slot.start == w.start { return slot }
        }
        guard let slot = SlotSearch.slots(query).first, slot.start == w.start else {
            throw Unavailable(message: "That time is not available for this appointment.", wanted: w)
        }
        return slot
    }

    /// Cancels the expired holds on the slot's staff and room in its buffered time (action `expire`), bumping their
    /// locations' calendar versions.
    static func expireHolds(_ db: Connection, _ slot: Slot, _ during: Interval, now: Instant) throws {
        let move = AppointmentStateMachine.transitions(for: .expire)
        guard let target = Set(move.values).first, Set(move.values).count == 1 else { throw Problem.internalError }
        let expired = try db.all(AppointmentExpireHolds(staffIDs: slot.staffIds, roomID: slot.roomId, from: during.start, to: during.end,
                                                        now: now, sources: move.keys.map(\.rawValue), target: target.rawValue))
        for location in Set(expired.map(\.location_id)) { try db.run(AppointmentBumpCalendar(locationID: location)) }
    }

    /// A 409 problem with up to three free starts nearest to the wanted one, from a fresh search (not the cache) of
    /// its day and the 13 following days, within the caller's notice and horizon.
    static func unavailable(_ ctx: RouteContext, _ message: String, _ w: Wanted) throws -> Response {
        let now = ctx.now
        let found = try ctx.withConnection { db in
            try AvailabilityRoutes.computeDays(db, location: w.location, typeID: w.typeID, head: w.head, persons: w.persons,
                                               from: w.day, to: w.day.adding(days: 13), now: now).days
        }
        let notBefore = w.asPublic ? now.adding(minutes: Int64(w.head.min_notice_minutes)) : now
        let notAfter = w.asPublic ? Int64(w.head.horizon_end).map { Instant(microseconds: $0) } : nil
        func distance(_ s: AvailabilityCache.Slot) -> Int64 { abs(s.start.microseconds - w.start.microseconds) }
        func allowed(_ s: AvailabilityCache.Slot) -> Bool {
            if s.start == w.start || s.start < notBefore { return false }
            if let notAfter, s.start > notAfter { return false }
            return true
        }
        var candidates: [AvailabilityCache.Slot] = found.values.flatMap { $0 }.filter(allowed)
        candidates.sort { a, b in
            let (da, db) = (distance(a), distance(b))
            return da != db ? da < db : a.start < b.start
        }
        let nearest = candidates.prefix(3).sorted { $0.start < $1.start }
        let body = String(Problem.conflict(message).json.dropLast()) + ",\"alternatives\":[" + nearest.map(\.json).joined(separator: ",") + "]}"
        return Response(status: 409, contentType: "application/problem+json", body: Array(body.utf8))
    }

    /// Six characters from the reference alphabet (no 0/O, 1/I/L), uniformly: bytes ≥ 248 are drawn again.
    static func newReference() -> String {
        let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
        var out = ""
        while out.count < 6 {
            for byte in Credentials.randomBytes(8) where byte < 248 && out.count < 6 {
                out.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return out
    }

    // MARK: Changes to an appointment

    /// The appointment, locked, if the caller may change it: by id for staff of a participating agency, coordinators
    /// and admins (404 for other agencies' staff, as on reads); by the manage token while it is held or booked and has not started
    /// (404 otherwise: the link is dead).
    static func locked(_ db: Connection, _ ctx: RouteContext, id: String?, token: String?) throws -> AppointmentLock.Row {
        let hash: PostgresValue = token.map { .bytes(Credentials.tokenDigest($0)) } ?? .null
        guard let row = try db.first(AppointmentLock(id: id, tokenHash: hash)) else { throw notFound(id) }
        if token != nil {
            // The statuses a citizen can still call off are those in which the link works.
            let live = AppointmentStatus(rawValue: row.status).map { AppointmentStateMachine.sources(for: .cancel).contains($0) } ?? false
            guard live, let start = Int64(row.starts_at), start > ctx.now.microseconds else { throw notFound(nil) }
            // A hold whose time ran out is over for the link, as GET and the invitation say (appointment_read_manage):
            // confirm, move and cancel agree with them, instead of cancelling or moving what the link no longer shows.
            if holdExpired(row, ctx.now) { throw Problem.notFound("This link no longer works: the hold expired. Book the time again.") }
        } else {
            let actor = try ctx.actor
            if actor.role == .helper {
                // Only what they arranged (404 otherwise), and, as for the citizen's own link, only until it starts.
                try HelperScope.requireArranged(db, appointmentID: row.id, actor: actor)
                guard let start = Int64(row.starts_at), start > ctx.now.microseconds else {
                    throw Problem.conflict("This appointment has started; only the desk can change it now.")
                }
            } else if !actor.seesEveryAgency && !(actor.agencyID.map(row.agencies.contains) ?? false) {
                // Not found, as for reads (AppointmentReadRoutes): a 403 would tell other agencies' staff the id exists.
                throw notFound(row.id)
            }
        }
        return row
    }

    static func notFound(_ id: String?) -> Problem {
        id.map { Problem.notFound("There is no appointment with id \($0).") }
            ?? Problem.notFound("This link no longer works: the appointment was cancelled or has already started.")
    }

    /// The manage token from the path: 43 URL-safe characters (256 bits); anything else is not found without asking.
    static func token(_ ctx: RouteContext) throws -> String {
        let t = ctx.request.parameter("token")
        guard t.utf8.count == 43, t.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }) else {
            throw notFound(nil)
        }
        return t
    }

    /// The target of `action` from `status`, or 409 with the state machine's message.
    static func target(_ action: AppointmentAction, _ status: String) throws -> AppointmentStatus {
        guard let from = AppointmentStatus(rawValue: status) else { throw Problem.internalError }
        do { return try AppointmentStateMachine.apply(action, to: from) } catch { throw Problem.conflict(error.message) }
    }

    static func holdExpired(_ row: AppointmentLock.Row, _ now: Instant) -> Bool {
        row.status == AppointmentStatus.held.rawValue && (row.held_until.flatMap { Int64($0) }.map { $0 <= now.microseconds } ?? false)
    }
    static let expiredMessage = "The hold expired; book the time again."

    /// Audits a staff change, reads the answer (the appointment, personal: the caller may see it), bumps the calendar.
    static func finish(_ db: Connection, _ ctx: RouteContext, _ row: AppointmentLock.Row, action: String, token: String?,
                       detail: JSON? = nil) throws -> Response {
        if token == nil { try ctx.audit(db, action, "appointment", row.id, detail) }
        guard let j = try db.first(AppointmentAnswer(id: row.id, personal: true))?.j else { throw Problem.internalError }
        // Last before COMMIT, as in `book`: the location's version row is held until then.
        try db.run(AppointmentBumpCalendar(locationID: row.location_id))
        return raw(j)
    }

    static func confirm(_ ctx: RouteContext, id: String?, token: String?) throws -> Response {
        let now = ctx.now
        return try ctx.transaction { db in
            let row = try locked(db, ctx, id: id, token: token)
            let target = try target(.confirm, row.status)
            guard !holdExpired(row, now),
                  try db.first(AppointmentConfirm(id: row.id, sources: [row.status], target: target.rawValue, now: now)) != nil else {
                throw Problem.conflict(expiredMessage)
            }
            let answer = try finish(db, ctx, row, action: "appointment.confirm", token: token)
            ctx.app.bookingLimiter.released(appointmentID: row.id)
            return answer
        }
    }

    static func cancel(_ ctx: RouteContext, id: String?, token: String?) throws -> Response {
        let b = ctx.request.body.isEmpty ? CancelBody(reason: nil) : try ctx.decode(CancelBody.self)
        let reason = b.reason.map(\.trimmingSpaces).flatMap { $0.isEmpty ? nil : $0 }
        if let reason, reason.count > 500 { throw AdminRoutes.invalid("reason", "must be at most 500 characters") }
        let now = ctx.now
        let helper = token == nil && ctx.principal?.role == .helper ? ctx.principal : nil
        var v = Validator()
        let consent = HelperScope.consent(&v, b.consent, helper: helper != nil, required: false, now: now)
        try v.check()
        return try ctx.transaction { db in
            let row = try locked(db, ctx, id: id, token: token)
            let target = try target(.cancel, row.status)
            guard try db.first(AppointmentCancel(id: row.id, sources: [row.status], target: target.rawValue, reason: reason, now: now)) != nil else {
                throw Problem.internalError
            }
            try Outbox.cancelled(db, ctx, appointmentID: row.id, wasHeld: row.status == AppointmentStatus.held.rawValue)
            if let helper, let consent { try HelperScope.record(db, appointmentID: row.id, helper: helper, action: "cancel", consent, now: now) }
            let answer = try finish(db, ctx, row, action: "appointment.cancel", token: token,
                                    detail: consent.map { .object([("onBehalf", .bool(true)), ("consent", HelperScope.auditDetail($0))]) })
            ctx.app.bookingLimiter.released(appointmentID: row.id)
            return answer
        }
    }

    static func reschedule(_ ctx: RouteContext, id: String?, token: String?) throws -> Response {
        let b = try ctx.decode(RescheduleBody.self)
        var v = Validator()
        let start = instant(&v, b.start, "start")
        let staffIDs = ids(&v, b.staffIds, "staffIds")
        if let room = b.roomId { v.id(room, "roomId") }
        // A helper moves it as the citizen's own link would: public rules, Loket chooses staff and room.
        let helper = token == nil && ctx.principal?.role == .helper ? ctx.principal : nil
        let asPublic = token != nil || helper != nil
        if asPublic {
            v.require(b.staffIds == nil, "staffIds", "only staff choose who takes part")
            v.require(b.roomId == nil, "roomId", "only staff choose the room")
        }
        let now = ctx.now
        let consent = HelperScope.consent(&v, b.consent, helper: helper != nil, required: false, now: now)
        try v.check()
        guard let start else { throw Problem.internalError }
        var wanted: Wanted? = nil
        do {
            return try ctx.transaction { db in
                let row = try locked(db, ctx, id: id, token: token)
                let target = try target(.reschedule, row.status)
                if holdExpired(row, now) { throw Problem.conflict(expiredMessage) }
                guard let head = try db.first(AvailabilityHead(locationID: row.location_id, appointmentTypeID: row.type_id, now: now)),
                      head.type_found, head.active, !asPublic || head.public_booking else {
                    throw Problem.conflict("This appointment type can no longer be booked; cancel the appointment instead.")
                }
                guard let c = try db.first(AppointmentBookingContext(locationID: row.location_id, appointmentTypeID: row.type_id, start: start, now: now)),
                      let day = CalendarDate.date(c.day) else { throw Problem.internalError }
                var v = Validator()
                check(&v, head: head, context: c, persons: row.persons, staffIDs: staffIDs, roomID: b.roomId)
                try v.check()
                // Its own reservations must not stand in its way; if anything below fails, the rollback restores them.
                try db.run(AppointmentReservationsClear(id: row.id))
                let w = Wanted(location: row.location_id, typeID: row.type_id, head: head, persons: row.persons, start: start, day: day,
                               asPublic: asPublic)
                wanted = w
                // Attendees who come in person keep their seats in whatever room the appointment moves to.
                let seats = try db.first(AttendeeSeats(appointmentID: row.id))?.in_person ?? 0
                let slot = try place(db, w, staffIDs: staffIDs, roomID: b.roomId?.lowercased(), prefer: row.staff, preferRoom: row.room_id,
                                     extraSeats: seats, now: now)
                let during = slot.bufferedInterval(AvailabilityRoutes.rule(head))
                try expireHolds(db, slot, during, now: now)
                guard try db.first(AppointmentMove(id: row.id, sources: [row.status], target: target.rawValue, start: slot.start, end: slot.end,
                                                   now: now)) != nil else { throw Problem.internalError }
                try db.run(AppointmentReserve(appointmentID: row.id, staffIDs: slot.staffIds, serviceIDs: head.services, roomID: slot.roomId,
                                              from: during.start, to: during.end))
                try Outbox.rescheduled(db, ctx, appointmentID: row.id, manageToken: token)
                if let helper, let consent {
                    try HelperScope.record(db, appointmentID: row.id, helper: helper, action: "reschedule", consent, now: now)
                }
                return try finish(db, ctx, row, action: "appointment.reschedule", token: token,
                                  detail: .object([("start", .string(start.rfc3339UTC)), ("staff", .strings(slot.staffIds))]
                                                  + (consent.map { [("onBehalf", JSON.bool(true)), ("consent", HelperScope.auditDetail($0))] } ?? [])))
            }
        } catch let e as Unavailable {
            return try unavailable(ctx, e.message, e.wanted)
        } catch let e as PostgresError where isTaken(e) {
            guard let wanted else { throw e }
            return try unavailable(ctx, taken, wanted)
        }
    }

    // MARK: Validation

    /// An RFC 3339 instant with an offset, or a complaint.
    static func instant(_ v: inout Validator, _ text: String?, _ name: String) -> Instant? {
        guard let text else { v.require(false, name, "is required"); return nil }
        guard let i = Instant(rfc3339: text) else {
            v.require(false, name, "must be a date and time with an offset between -18:00 and +18:00, e.g. 2026-03-10T10:00:00+01:00")
            return nil
        }
        // Far-off years are typos, and the day to load and the alternatives' fortnight must stay four-digit dates
        // (year 0001 or 9999 used to fail deep in the booking with a 500).
        guard bookable.contains(i) else { v.require(false, name, "must lie in the years 2000 to 2999"); return nil }
        return i
    }

    /// Starts a booking or reschedule may name: 2000-01-01T00:00Z up to 3000-01-01T00:00Z.
    static let bookable = Instant(seconds: 946_684_800)..<Instant(seconds: 32_503_680_000)

    /// A list of distinct ids (lowercased), or nil when absent.
    static func ids(_ v: inout Validator, _ list: [String]?, _ name: String) -> [String]? {
        guard let list else { return nil }
        v.require(list.count <= 10, name, "must name at most 10 staff members")
        for (i, s) in list.enumerated() { v.id(s, "\(name)[\(i)]") }
        let lower = list.map { $0.lowercased() }
        v.require(Set(lower).count == lower.count, name, "must not name a staff member twice")
        return lower
    }

    struct Citizen { let name: String?, email: String?, phone: String?, language: String?, needs: [String], needsNote: String? }

    /// The citizen's details, checked against the type's customer fields: a field the type does not ask for is
    /// refused (data minimisation); for the public, required fields and "e-mail or phone" are enforced (staff booking
    /// at the desk or on the phone may not have them).
    static func validCitizen(_ v: inout Validator, _ body: CitizenBody?, _ c: AppointmentBookingContext.Row, strict: Bool) -> Citizen {
        func clean(_ s: String?) -> String? { s.map(\.trimmingSpaces).flatMap { $0.isEmpty ? nil : $0 } }
        let name = clean(body?.name), email = clean(body?.email), phone = clean(body?.phone)
        for (value, rule, field) in [(name, c.name_field, "name"), (email, c.email_field, "email"), (phone, c.phone_field, "phone")] {
            if rule == "hidden" && value != nil { v.require(false, "citizen.\(field)", "is not asked for this appointment type; leave it out") }
            if rule == "required" && value == nil && strict { v.require(false, "citizen.\(field)", "is required for this appointment type") }
        }
        if strict && c.contact_required && email == nil && phone == nil {
            v.require(false, "citizen.email", "give an e-mail address or a phone number")
        }
        if let name { v.require(name.count <= 200, "citizen.name", "must be at most 200 characters") }
        // A tab, line break or bell in a name or address is a paste accident, and breaks every list that shows it.
        for (value, field) in [(name, "name"), (email, "email")] where value?.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) == true {
            v.require(false, "citizen.\(field)", "must not contain control characters (tabs, line breaks)")
        }
        if let email {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            v.require(email.utf8.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
                        && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && !email.contains(where: \.isWhitespace),
                      "citizen.email", "must be an e-mail address")
        }
        if let phone {
            let digits = phone.first == "+" ? phone.dropFirst() : Substring(phone)
            v.require((6...20).contains(digits.count) && digits.allSatisfy({ $0.isASCII && ($0.isNumber || " ()-".contains($0)) }),
                      "citizen.phone", "must be a phone number (digits, spaces, brackets and dashes, optionally starting with +)")
        }
        let language = clean(body?.language)
        if let language {
            v.require((2...3).contains(language.count) && language.allSatisfy({ ("a"..."z").contains($0) }), "citizen.language",
                      "must be a language code such as nl or en")
        }
        let needs = body?.needs ?? []
        v.require(needs.allSatisfy(needsList.contains) && Set(needs).count == needs.count, "citizen.needs",
                  "must be distinct values from " + needsList.joined(separator: ", "))
        let note = clean(body?.needsNote)
        if let note { v.require(note.count <= 200, "citizen.needsNote", "must be at most 200 characters") }
        return Citizen(name: name, email: email, phone: phone, language: language, needs: needs, needsNote: note)
    }
}
