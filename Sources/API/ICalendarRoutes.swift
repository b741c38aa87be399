import Credentials
import HTTP
import ICalendar
import Postgres
import Time

// iCalendar (issue 9): invitation files per recipient and subscription feeds per staff member and per room.
//
// What a calendar needs and nothing more: when, the reference, where (location name and address, the room) and the
// names of the agencies taking part. Never the citizen's data, the appointment type or the services — a colleague's
// calendar, a phone's lock screen or a shared room calendar must not tell why someone comes. Each invitation names
// only its recipient (ATTENDEE for a staff member, none for the citizen), so nobody sees another's address.
//
// UID = <appointment id>@<public host> (the host of LOKET_PUBLIC_URL, else of the request's Host header: set
// LOKET_PUBLIC_URL so UIDs stay the same whatever name a client used) and SEQUENCE = appointment.sequence (raised by
// every reschedule and by cancel), so calendars replace or remove the copy they hold. Times are written by the
// ICalendar module in the location's zone: wall-clock times with TZID=Europe/Amsterdam and a full VTIMEZONE, computed
// from the instants by the EU summer-time rule in that module (the one source of local times here); other zones in
// UTC.
//
// Feeds live behind a secret URL `/ical/{token}.ics` (the token is shown once, stored as SHA-256 only) because
// calendar programs cannot log in; revoking makes the URL answer 404 at once.

private let tag = "calendars"
/// How far ahead a subscription feed reaches.
private let feedWeeks: Int64 = 8
/// How often calendar programs should fetch a feed again (REFRESH-INTERVAL, X-PUBLISHED-TTL).
private let feedRefreshMinutes = 60

enum ICalendarRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/appointments/{appointmentId}/invite.ics", .public,
             OpenAPIOperation("getAppointmentInvitation",
                              summary: "An appointment as an iCalendar file for one recipient (a staff member taking part, or the citizen)",
                              tag: tag,
                              query: [.init("for", "string", "`citizen`, or the id of a staff member taking part (required)."),
                                      .init("token", "string", "The citizen's manage token (for=citizen without staff credentials).")],
                              responses: [.init(200, "iCalendar file", contentType: "text/calendar")])) { ctx in
            try invitation(ctx)
        },
        .post("/api/v1/calendar-feeds", .staff,
              OpenAPIOperation("createCalendarFeed", summary: "Create a secret calendar subscription URL for a staff member or a room",
                               tag: tag, body: "CalendarFeedCreate", responses: [.init(201, "Created; the URL is shown only now", "CalendarFeedCreated")])) { ctx in
            try createFeed(ctx)
        },
        .get("/api/v1/calendar-feeds", .staff,
             OpenAPIOperation("listCalendarFeeds", summary: "List calendar subscription feeds (staff: their own)", tag: tag,
                              query: [.init("staffId", "string", format: "uuid", "Only this staff member's feeds."),
                                      .init("roomId", "string", format: "uuid", "Only this room's feeds (coordinators and admins)."),
                                      .init("includeRevoked", "boolean", "Also list revoked feeds.")],
                              responses: [.init(200, "Feeds (never their URLs)", "CalendarFeedList")])) { ctx in
            try listFeeds(ctx)
        },
        .delete("/api/v1/calendar-feeds/{feedId}", .staff,
                OpenAPIOperation("revokeCalendarFeed", summary: "Revoke a calendar subscription feed: its URL answers 404 from now on",
                                 tag: tag, responses: [.init(204, "Revoked")])) { ctx in
            try revokeFeed(ctx)
        },
        .get("/ical/{file}", .public,
             OpenAPIOperation("getCalendarFeed", summary: "A calendar subscription feed: the coming \(feedWeeks) weeks' booked appointments",
                              tag: tag, responses: [.init(200, "iCalendar feed", contentType: "text/calendar")])) { ctx in
            try feed(ctx)
        },
    ]

    // MARK: Invitations

    static func invitation(_ ctx: RouteContext) throws -> Response {
        let id = try ctx.id("appointmentId", "appointment")
        let q = ctx.request.query
        let recipient = q["for"] ?? ""
        let citizen = recipient == "citizen"
        guard citizen || isUUID(recipient) else {
            throw Problem.badRequest("The query parameter for must be citizen or the id of a staff member taking part.")
        }
        let token = q["token"].flatMap { $0.isEmpty || $0.utf8.count > 200 ? nil : $0 }
        let db = try ctx.db
        let notFound = Problem.notFound("There is no appointment with id \(id).")
        guard let row = try db.first(InviteGet(appointmentID: id, recipientStaffID: citizen ? nil : recipient.lowercased(),
                                               tokenHash: token.map { .bytes(Credentials.tokenDigest($0)) }, now: ctx.now)) else {
            throw notFound
        }
        let actor = ctx.principal
        let privileged = actor.map(\.seesEveryAgency) ?? false
        if citizen {
            // The citizen's own link, staff of a participating agency, coordinators and admins.
            let participating = actor?.agencyID.map { row.agency_ids.contains($0) } ?? false
            guard row.token_valid || privileged || participating else {
                // A wrong or dead token, or staff of another agency: not found, as on reads — a 403 would confirm the id.
                throw notFound
            }
        } else {
            guard let actor else { throw notFound }
            // Staff of an agency not taking part learn nothing, not even that the id exists.
            guard privileged || (actor.agencyID.map { row.agency_ids.contains($0) } ?? false) else { throw notFound }
            guard actor.staffID == recipient.lowercased() || privileged else {
                throw Problem.forbidden("A staff member's invitation is theirs alone (and coordinators' and admins').")
            }
            guard row.recipient_id != nil else { throw Problem.notFound("Staff member \(recipient) does not take part in appointment \(id).") }
        }
        if actor != nil {
            try ctx.audit(db, "appointment.invite", "appointment", id,
                          .object([("for", .string(citizen ? "citizen" : "staff"))] + (citizen ? [] : [("staffId", .string(recipient.lowercased()))])))
        }

        let host = publicHost(ctx)
        var event = calendarEvent(row, host: host, now: ctx.now)
        let method: CalendarMethod
        if row.status == "cancelled" {
            method = .cancel
        } else if !citizen, row.recipient_email != nil {
            method = .request
        } else {
            // The citizen's download, or a staff member without an e-mail address: information, no invitation.
            method = .publish
        }
        if !citizen, let email = row.recipient_email {
            event.attendees = [CalendarAddress(email: email, commonName: row.recipient_name)]
        }
        let bytes = ICalendarDocument(method: method, events: [event]).serialized()
        return calendarResponse(bytes, method: method, filename: "afspraak-\(row.reference).ics")
    }

    // MARK: Feeds

    struct FeedBody: Decodable { let staffId: String?; let roomId: String? }

    static func createFeed(_ ctx: RouteContext) throws -> Response {
        let b = try ctx.decode(FeedBody.self)
        var v = Validator()
        v.id(b.staffId, "staffId", required: false)
        v.id(b.roomId, "roomId", required: false)
        v.require((b.staffId == nil) != (b.roomId == nil), b.staffId == nil ? "staffId" : "roomId", "give exactly one of staffId and roomId")
        try v.check()
        let actor = try ctx.actor
        let staffID = b.staffId?.lowercased(), roomID = b.roomId?.lowercased()
        if let staffID {
            guard actor.staffID == staffID || actor.role >= .coordinator else {
                throw Problem.forbidden("Staff members may make feeds of their own appointments only.")
            }
        } else {
            guard actor.role >= .coordinator else { throw Problem.forbidden("Only coordinators and admins may make a room's feed.") }
        }
        let token = Credentials.randomToken()
        let url = ctx.app.publicBaseURL(ctx.request) + "/ical/" + token + ".ics"
        return try ctx.transaction { db in
            guard let row = try db.first(FeedInsert(tokenHash: .bytes(Credentials.tokenDigest(token)), staffID: staffID, roomID: roomID,
                                                    createdBy: actor.staffID, now: ctx.now)) else {
                throw Problem.notFound(staffID != nil ? "There is no active staff member with id \(staffID!)." : "There is no active room with id \(roomID!).")
            }
            try ctx.audit(db, "calendarFeed.create", "calendarFeed", row.id,
                          .object([(staffID != nil ? "staffId" : "roomId", .string(staffID ?? roomID!))]))
            guard case .object(let fields) = JSON.parse(row.j) else { throw Problem.internalError }
            return raw(JSON.object(fields + [("url", .string(url))]).serialized, status: 201)
        }
    }

    static func listFeeds(_ ctx: RouteContext) throws -> Response {
        let q = ctx.request.query
        var v = Validator()
        v.id(q["staffId"], "staffId", required: false)
        v.id(q["roomId"], "roomId", required: false)
        try v.check()
        let actor = try ctx.actor
        var staffID = q["staffId"]?.lowercased()
        let roomID = q["roomId"]?.lowercased()
        if actor.role < .coordinator {
            guard roomID == nil else { throw Problem.forbidden("Only coordinators and admins may list a room's feeds.") }
            guard staffID == nil || staffID == actor.staffID else { throw Problem.forbidden("Staff members may list their own feeds only.") }
            staffID = actor.staffID
        }
        let includeRevoked = q["includeRevoked"] == "true"
        guard let row = try ctx.db.first(FeedList(staffID: staffID, roomID: roomID, includeRevoked: includeRevoked)) else {
            throw Problem.internalError
        }
        return items(row.j)
    }

    static func revokeFeed(_ ctx: RouteContext) throws -> Response {
        let id = try ctx.id("feedId", "calendar feed")
        let actor = try ctx.actor
        let onlyStaff = actor.role >= .coordinator ? nil : actor.staffID
        return try ctx.transaction { db in
            guard try db.first(FeedRevoke(feedID: id, onlyStaffID: onlyStaff, now: ctx.now)) != nil else {
                throw Problem.notFound("There is no calendar feed with id \(id).")
            }
            try ctx.audit(db, "calendarFeed.revoke", "calendarFeed", id, nil)
            return .noContent
        }
    }

    static func feed(_ ctx: RouteContext) throws -> Response {
        let file = ctx.request.parameter("file")
        let notFound = Problem.notFound("There is no calendar feed here.")
        guard file.hasSuffix(".ics"), file.utf8.count > 4, file.utf8.count <= 204 else { throw notFound }
        let token = String(file.dropLast(4))
        let db = try ctx.db
        guard let subject = try db.first(FeedGet(tokenHash: .bytes(Credentials.tokenDigest(token)))) else { throw notFound }
        let now = ctx.now
        let rows = try db.all(FeedEvents(staffID: subject.staff_id, roomID: subject.room_id, now: now,
                                         until: now.adding(seconds: feedWeeks * 7 * 86_400)))
        let host = publicHost(ctx)
        let events = rows.map { calendarEvent($0, host: host, now: now) }
        let bytes = ICalendarDocument(method: .publish, name: "Loket: " + subject.name, refreshMinutes: feedRefreshMinutes,
                                      events: events).serialized()
        return calendarResponse(bytes, method: .publish, filename: "loket.ics")
    }

    // MARK: Shared

    /// The VEVENT of an appointment: the same UID and SEQUENCE in every file and feed.
    static func calendarEvent(_ row: some CalendarAppointmentRow, host: String, now: Instant) -> CalendarEvent {
        let cancelled = row.status == "cancelled"
        let place = [row.location_name, row.street_address, [row.postal_code, row.city].filter { !$0.isEmpty }.joined(separator: " ")]
            .filter { !$0.isEmpty }.joined(separator: ", ")
        var description = ["Referentie: \(row.reference)", "Locatie: \(place)"]
        if let room = row.room_name { description.append("Ruimte: \(room)") }
        if !row.agency_names.isEmpty { description.append("Met: " + row.agency_names.joined(separator: ", ")) }
        return CalendarEvent(
            uid: "\(row.id)@\(host)", sequence: row.sequence, stamp: now,
            start: Instant(microseconds: Int64(row.starts_us)), end: Instant(microseconds: Int64(row.ends_us)),
            timeZone: row.time_zone,
            summary: (cancelled ? "Geannuleerd: " : "") + "Afspraak \(row.reference) – \(row.location_name)",
            description: description.joined(separator: "\n"), location: place,
            status: cancelled ? .cancelled : row.status == "held" ? .tentative : .confirmed,
            organizer: CalendarAddress(email: row.location_email ?? "no-reply@\(host)", commonName: row.location_name),
            created: Instant(microseconds: Int64(row.created_us)), lastModified: Instant(microseconds: Int64(row.updated_us)))
    }

    /// The host of the public URL (LOKET_PUBLIC_URL, else the request's Host), without scheme, port or path.
    static func publicHost(_ ctx: RouteContext) -> String { host(ofBaseURL: ctx.app.publicBaseURL(ctx.request)) }

    /// `https://Loket.Example.nl:8443/x` → `loket.example.nl`; `http://[::1]:8080` → `::1`. Only letters, digits,
    /// dots, hyphens and colons survive (a Host header is client input); empty becomes `localhost`.
    static func host(ofBaseURL url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            rest = rest[rest.index(after: rest.startIndex)..<close]
        } else if let colon = rest.lastIndex(of: ":") {
            rest = rest[..<colon]
        }
        let host = rest.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }
        return host.isEmpty ? "localhost" : host
    }

    static func calendarResponse(_ bytes: [UInt8], method: CalendarMethod, filename: String) -> Response {
        Response(status: 200, headers: [
            ("Content-Type", "text/calendar; charset=utf-8; method=\(method.rawValue)"),
            ("Content-Disposition", "attachment; filename=\"\(filename)\""),
            // Personal schedules behind a secret or a login: no shared cache keeps a copy.
            ("Cache-Control", "private, no-store"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Content-Type-Options", "nosniff"),
        ], body: .bytes(bytes))
    }
}
