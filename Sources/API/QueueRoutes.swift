import HTTP
import Postgres
import Queue
import Time

// The walk-in queue: taking a number (kiosks, phones, staff for a visitor), a ticket's public status, the desk
// actions (call next, recall, start, finish, no-show, requeue, handover), the staff queue view, and the public event
// stream and recent calls of the call display. Routes declared once in `QueueRoutes`, the SQL of `SQL/tickets.sql`
// and `SQL/events.sql` called through the types of `TicketStatements.swift` and `EventStatements.swift`.
//
// Public answers (ticket status, events, calls) carry numbers, desks and times only. Staff act on tickets of the
// services they serve; reading a held ticket or a handover note is a read of personal data and is audited.

struct TakeNumberBody: Decodable { let serviceId: String?; let language: String?; let priority: String? }
struct FinishBody: Decodable {
    let outcome: String?
    /// Codes of outcome categories (at most one per dimension: topic, layer, help); see ReportRoutes.
    let outcomeCategories: [String]?
}
struct HandoverBody: Decodable { let serviceId: String?; let note: String?; let urgent: Bool?; let toStaffId: String? }
struct ClosureBody: Decodable { let reason: String? }

private let tag = "queue"

enum QueueRoutes: RouteCollection {
    static let routes: [DeclaredRoute] = visitors + desks + actions + screens

    /// The queue's statements report their refusals as rows (found, held, open), so no constraint needs its own problem.
    static let constraints: [String: Problem] = [:]

    // MARK: Visitors

    static let visitors: [DeclaredRoute] = [
        // A kiosk that retries after a network glitch sends its Idempotency-Key again and gets the same number.
        .post("/api/v1/locations/{locationId}/tickets", .public,
              OpenAPIOperation("takeNumber", summary: "Take a number (staff may mark it urgent)", tag: tag, body: "TakeNumber",
                               responses: [.init(201, "Ticket taken", "NewTicket")]),
              idempotency: .keyed(scope: "ticket")) { ctx in
            try takeNumber(ctx)
        },
        .get("/api/v1/tickets/{ticketId}", .public,
             OpenAPIOperation("getTicketStatus", summary: "A ticket's public status", tag: tag,
                              responses: [.init(200, "Status", "PublicTicket")])) { ctx in
            try publicTicket(ctx)
        },
    ]

    /// Take a number (public: kiosks and phones). Staff may take one for a visitor and mark it urgent.
    static func takeNumber(_ ctx: RouteContext) throws -> Response {
        let location = try ctx.id("locationId", "location")
        let body = try ctx.decode(TakeNumberBody.self)
        var v = Validator()
        v.id(body.serviceId, "serviceId")
        v.require(body.language.map { $0.count >= 2 && $0.count <= 3 && $0.allSatisfy { ("a"..."z").contains($0) } } ?? true,
                  "language", "must be a language code such as nl, en or ar")
        v.require(body.priority.map { $0 == "urgent" || $0 == "normal" } ?? true, "priority", "must be urgent or normal")
        try v.check()
        let staff = ctx.principal
        if body.priority == "urgent" && staff == nil {
            throw Problem.forbidden("Only staff can mark a ticket as urgent. Ask a staff member at the desk.")
        }
        if staff == nil { try ctx.app.rateLimiter.check(ctx.request, db: ctx.db) }
        guard let row = try ctx.db.first(TakeNumber(locationID: location, serviceID: body.serviceId, priority: body.priority,
                                                    language: body.language ?? "nl", createdBy: staff?.staffID, now: ctx.now)) else {
            throw Problem(status: 500, title: "Internal error", detail: "Taking a number returned nothing.")
        }
        guard row.locationFound == 1 else { throw Problem.notFound("There is no location with id \(location).") }
        guard row.serviceFound == 1 else {
            throw Problem.unprocessable("This service is not offered at this location.",
                                        invalidParams: [.init(name: "serviceId", reason: "is not offered at this location")])
        }
        guard row.isOpen == 1, let id = row.id, let number = row.number, let ahead = row.ahead else {
            throw Problem(status: 409, title: "Location closed",
                          detail: "Deze locatie is vandaag gesloten. Er kunnen geen nummers meer worden getrokken. / " +
                                  "This location is closed today. No more numbers can be taken.")
        }
        ctx.app.events.didWrite()
        // The count stops at positionLimit: then the visitor is at least that far back, and no estimate is made from
        // a count that is not the real one.
        let atLeast = ahead >= TakeNumber.positionLimit
        var minutes: Int?
        if !atLeast, let serviceID = row.serviceID {
            // Read after the take (an autocommit statement of its own, outside the counter lock), kept per service.
            // The number is taken by now: if the read fails, the visitor still gets it, without an estimate.
            do {
                let inputs = try ctx.app.waitInputs.inputs(service: serviceID, now: ctx.now) {
                    let r = try ctx.db.first(WaitInputs(serviceID: serviceID, now: ctx.now))
                    return .init(recentSeconds: (r?.recentSeconds ?? []).compactMap(Double.init), activeDesks: r?.activeDesks ?? 0)
                }
                minutes = WaitEstimator.estimate(ahead: ahead, recentServiceSeconds: inputs.recentSeconds,
                                                 activeDesks: inputs.activeDesks).minutes
            } catch {
                ctx.app.logger.warning("take a number: no wait estimate, reading its inputs failed: \(error)")
            }
        }
        return .json(.object([
            ("id", .string(id)), ("number", .string(number)),
            ("serviceId", .optional(row.serviceID)), ("locationId", .optional(row.locationID)),
            ("priority", .optional(row.priority)), ("status", .optional(row.status)),
            ("position", .int(ahead + 1)), ("positionAtLeast", .bool(atLeast)), ("estimatedWaitMinutes", .optional(minutes)),
            ("createdAt", .optional(row.createdAt)), ("language", .optional(row.language)),
        ]), status: 201)
    }

    /// A ticket's public status: number, place and desk, nothing personal. Anyone with the unguessable id may ask.
    static func publicTicket(_ ctx: RouteContext) throws -> Response {
        let id = try ctx.id("ticketId", "ticket")
        guard let row = try ctx.db.first(TicketPublic(ticketID: id, now: ctx.now)) else {
            throw Problem.notFound("There is no ticket with id \(id).")
        }
        var estimate: Int?
        var position: Int?
        if row.status == TicketStatus.waiting.rawValue, let ahead = row.ahead {
            position = ahead + 1
            estimate = WaitEstimator.estimate(ahead: ahead, recentServiceSeconds: (row.recentSeconds ?? []).compactMap(Double.init),
                                              activeDesks: row.activeDesks ?? 0).minutes
        }
        let serviceName = JSON.parse(row.serviceTranslations)[row.language]?.stringValue ?? row.serviceName
        return .json(.object([
            ("id", .string(id)), ("number", .string(row.number)), ("status", .string(row.status)),
            ("position", .optional(position)), ("estimatedWaitMinutes", .optional(estimate)),
            ("deskName", .optional(row.deskName)), ("language", .string(row.language)),
            ("locationId", .string(row.locationID)), ("locationCode", .string(row.locationCode)),
            ("serviceId", .string(row.serviceID)), ("serviceName", .string(serviceName)),
            ("createdAt", .string(row.createdAt)),
        ]))
    }

    // MARK: Desks

    static let desks: [DeclaredRoute] = [
        .post("/api/v1/desks/{deskId}/call-next", .staffMember,
              OpenAPIOperation("callNext", summary: "Call the next visitor to this desk", tag: tag,
                               responses: [.init(200, "Called", "DeskTicket"), .init(204, "Nobody waits")])) { ctx in
            try callNext(ctx)
        },
        .get("/api/v1/desks/{deskId}/current", .staffMember,
             OpenAPIOperation("getDeskTicket", summary: "The ticket held at this desk", tag: tag,
                              responses: [.init(200, "Ticket", "DeskTicket"), .init(204, "None")])) { ctx in
            try deskCurrent(ctx)
        },
    ]

    /// Call the next visitor to a desk. The claim is one statement with `FOR UPDATE SKIP LOCKED`.
    static func callNext(_ ctx: RouteContext) throws -> Response {
        let desk = try ctx.id("deskId", "desk")
        let actor = try ctx.actor
        let (sources, target) = try singleTransition(.call)
        guard let row = try ctx.db.first(CallNext(deskID: desk, staffID: actor.staffID, now: ctx.now, sources: sources, target: target)) else {
            throw Problem(status: 500, title: "Internal error", detail: "Calling the next visitor returned nothing.")
        }
        guard row.deskFound == 1 else { throw Problem.notFound("There is no active desk with id \(desk).") }
        if let busy = row.busyNumber {
            throw Problem.conflict("Desk still has ticket \(busy). Finish it, mark it as no-show or requeue it first.")
        }
        guard let status = row.status, let j = row.j else { return .noContent }
        ctx.app.events.didWrite()
        // The called ticket reaches the staff member as desk `current` does, and is audited the same way (after the
        // call's own statement: call-next stays one statement; an audit failure answers 500 with the call made).
        try ctx.audit(ctx.db, "ticket.call", "ticket", row.id, .object([("deskId", .string(desk))]))
        return try deskTicket(status: status, json: j)
    }

    /// The ticket held at a desk (a desk page that reloads finds its visitor again). Behind the same agency wall as
    /// the queue: only the staff member holding it or staff who serve its service may read it (its id is the phone
    /// page's secret), and the read is audited. 204 when the desk is free, 403 for another agency's visitor.
    static func deskCurrent(_ ctx: RouteContext) throws -> Response {
        let desk = try ctx.id("deskId", "desk")
        let actor = try ctx.actor
        return try ctx.transaction { db in
            guard let row = try db.first(DeskCurrent(deskID: desk, staffID: actor.staffID)) else { return .noContent }
            guard row.allowed else {
                throw Problem.forbidden("Another agency's visitor is at this desk; only staff who serve its service can see the ticket.")
            }
            try ctx.audit(db, "ticket.read", "ticket", row.id, .object([("deskId", .string(desk))]))
            return try deskTicket(status: row.status, json: row.j)
        }
    }

    // MARK: Desk actions

    static let actions: [DeclaredRoute] = [
        action(.recall, "recall", "recallTicket", "Call again", "Recalled"),
        action(.start, "start", "startServing", "Start serving", "Serving"),
        action(.finish, "finish", "finishTicket", "Finish", "Done", body: "Finish"),
        action(.noShow, "no-show", "markNoShow", "The visitor did not come", "No-show"),
        action(.requeue, "requeue", "requeueTicket", "Back to waiting, keeping their place", "Waiting"),
        .post("/api/v1/tickets/{ticketId}/handover", .staffMember,
              OpenAPIOperation("handOverTicket", summary: "Warm handover to another service", tag: tag, body: "Handover",
                               responses: [.init(200, "Handed over", "DeskTicket")])) { ctx in
            try handover(ctx)
        },
    ]

    static func action(_ action: TicketAction, _ segment: String, _ operationID: String, _ summary: String, _ done: String,
                       body: String? = nil) -> DeclaredRoute {
        .post("/api/v1/tickets/{ticketId}/\(segment)", .staffMember,
              OpenAPIOperation(operationID, summary: summary, tag: tag, body: body, responses: [.init(200, done, "DeskTicket")])) { ctx in
            try act(action, ctx)
        }
    }

    /// recall / start / finish / no-show / requeue: a transition checked by the domain's state machine and applied
    /// atomically by the database (`WHERE status = ANY(sources)`).
    static func act(_ action: TicketAction, _ ctx: RouteContext) throws -> Response {
        let id = try ctx.id("ticketId", "ticket")
        var outcome: String?
        var categories: [String] = []
        if action == .finish, !ctx.request.body.isEmpty {
            let body = try ctx.decode(FinishBody.self)
            outcome = body.outcome
            if let o = outcome, o.unicodeScalars.count > 200 {
                throw Problem.unprocessable("The outcome is too long.", invalidParams: [.init(name: "outcome", reason: "must be at most 200 characters")])
            }
            categories = try checkOutcomeCategories(body.outcomeCategories ?? [], try ctx.db)
        }
        let actor = try ctx.actor
        let (sources, target) = try singleTransition(action)
        // One statement in autocommit: the guarded update, its service record, its event and (for a colleague acting
        // on a ticket someone else held) its audit row commit together.
        let done: TicketAct.Row = try {
            guard let done = try ctx.db.first(TicketAct(ticketID: id, staffID: actor.staffID, action: action.rawValue, sources: sources,
                                                        target: target, outcome: outcome, eventKind: action.eventKind.rawValue,
                                                        now: ctx.now, outcomeCategories: categories)) else {
                try explainRefusal(try ctx.db, ticket: id, action: action)
            }
            return done
        }()
        ctx.app.events.didWrite()
        return try deskTicket(status: done.status, json: done.j)
    }

    /// The outcome categories of a finish: known, active codes, at most one per dimension (422 otherwise).
    static func checkOutcomeCategories(_ codes: [String], _ db: Connection) throws -> [String] {
        guard !codes.isEmpty else { return [] }
        let known = Dictionary(try db.all(OutcomeCategories()).map { ($0.code, $0.dimension) }, uniquingKeysWith: { a, _ in a })
        var v = Validator()
        v.require(codes.count <= 3, "outcomeCategories", "must be at most one category per dimension (topic, layer, help)")
        for code in codes { v.require(known[code] != nil, "outcomeCategories", "has an unknown category \(code.prefix(50))") }
        let dimensions = codes.compactMap { known[$0] }
        v.require(Set(dimensions).count == dimensions.count, "outcomeCategories", "must be at most one category per dimension (topic, layer, help)")
        try v.check("The outcome categories are not valid.")
        return codes
    }

    /// Warm handover to another service (possibly another agency's): same number, original arrival time kept.
    static func handover(_ ctx: RouteContext) throws -> Response {
        let id = try ctx.id("ticketId", "ticket")
        let body = try ctx.decode(HandoverBody.self)
        var v = Validator()
        v.id(body.serviceId, "serviceId", required: body.toStaffId == nil)
        v.id(body.toStaffId, "toStaffId", required: false)
        // Counted in Unicode scalars, as PostgreSQL's length() counts them.
        v.require((body.note ?? "").unicodeScalars.count <= 2000, "note", "must be at most 2000 characters")
        try v.check()
        let actor = try ctx.actor
        let (sources, target) = try singleTransition(.handover)
        let response: Response = try ctx.transaction { db in
            guard let row = try db.first(TicketHandover(ticketID: id, staffID: actor.staffID, serviceID: body.serviceId, note: body.note,
                                                        urgent: body.urgent, sources: sources, target: target, now: ctx.now,
                                                        toStaffID: body.toStaffId,
                                                        offeredUntil: ctx.now.adding(minutes: Int64(ctx.app.configuration.contactWaitMinutes)))) else {
                throw Problem(status: 500, title: "Internal error", detail: "The handover returned nothing.")
            }
            if row.held == 0 { try explainRefusal(db, ticket: id, action: .handover) }
            if body.toStaffId != nil, row.colleagueFound == 0 {
                throw Problem.unprocessable("The visitor can only be handed over to an active colleague other than yourself.",
                                            invalidParams: [.init(name: "toStaffId", reason: "is not an active staff member other than you")])
            }
            if body.toStaffId != nil, row.targetFound == 0 {
                throw Problem.unprocessable("This colleague serves no service at this location; name a service offered here.",
                                            invalidParams: [.init(name: "serviceId", reason: "no service of this colleague is offered at this location")])
            }
            guard row.targetFound == 1, let status = row.status, let j = row.j else {
                throw Problem.unprocessable("The visitor can only be handed over to another service offered at this location.",
                                            invalidParams: [.init(name: "serviceId", reason: "is not another service offered at this location")])
            }
            try ctx.audit(db, "ticket.handover", "ticket", id,
                          .object([("toServiceId", .optional(body.serviceId)), ("toAgencyId", .optional(row.toAgencyID)),
                                   ("withNote", .bool(!(body.note ?? "").trimmingSpaces.isEmpty)),
                                   ("toStaffId", .optional(body.toStaffId)), ("offered", .bool(row.offered))]))
            return try deskTicket(status: status, json: j)
        }
        ctx.app.events.didWrite()
        return response
    }

    /// Why a guarded update changed nothing: unknown ticket (404), someone else's (403), or an illegal transition
    /// (409 with the state machine's own words).
    static func explainRefusal(_ db: Connection, ticket id: String, action: TicketAction) throws -> Never {
        guard let row = try db.first(TicketHolder(ticketID: id)) else {
            throw Problem.notFound("There is no ticket with id \(id).")
        }
        let status = TicketStatus(rawValue: row.status) ?? .waiting
        _ = try TicketStateMachine.apply(action, to: status)
        throw Problem.forbidden("This ticket is being helped by another agency's staff; only staff who serve its service can act on it.")
    }

    /// A ticket as staff see it (`j`, rendered by `ticket_staff_json`), with the actions the state machine allows
    /// from its `status`, so the desk page shows exactly those buttons and keeps no rules of its own.
    static func deskTicket(status: String, json: String) throws -> Response {
        guard let ticketStatus = TicketStatus(rawValue: status), json.hasSuffix("}") else {
            throw Problem(status: 500, title: "Internal error", detail: "A ticket has a status this version does not know: \(status).")
        }
        let allowed = JSON.strings(TicketStateMachine.allowedActions(from: ticketStatus).map(\.rawValue)).serialized
        // ticket_staff_json renders one object: appending the field keeps its key order and saves a parse.
        return raw(String(json.dropLast()) + ",\"allowedActions\":" + allowed + "}")
    }

    /// Sources and target of an action with a single target, as the guarded SQL updates take them.
    static func singleTransition(_ action: TicketAction) throws -> (sources: [String], target: String) {
        guard let target = TicketStateMachine.target(of: action) else {
            throw Problem(status: 500, title: "Internal error", detail: "\(action.rawValue) has no single target status.")
        }
        return (TicketStateMachine.sources(for: action).map(\.rawValue).sorted(), target.rawValue)
    }

    // MARK: Queue view, event stream, recent calls

    /// Tickets per page of the staff queue view when the client does not say, and the most it may ask for.
    static let queuePageDefault = 50
    static let queuePageMax = 200

    static let screens: [DeclaredRoute] = [
        .get("/api/v1/locations/{locationId}/queue", .staffMember,
             OpenAPIOperation("getQueue", summary: "Waiting tickets in call order for me, one page", tag: tag, query: [
                .init("limit", "integer", "Tickets per page, 1–\(queuePageMax) (default \(queuePageDefault))."),
                .init("after", "string", "The `next` value of the previous page."),
             ], responses: [.init(200, "Queue", "Queue")])) { ctx in
            try queueView(ctx)
        },
        .get("/api/v1/locations/{locationId}/events", .public,
             OpenAPIOperation("streamEvents", summary: "Live events (Server-Sent Events; resumes with Last-Event-ID)", tag: tag,
                              query: [.init("lastEventId", "string", "Resume after this event id (for clients that cannot send Last-Event-ID).")],
                              responses: [.init(200, "text/event-stream")])) { ctx in
            try eventStream(ctx)
        },
        .get("/api/v1/locations/{locationId}/staff-events", .staffMember,
             OpenAPIOperation("streamStaffEvents",
                              summary: "Live events for this staff member's desk page (Server-Sent Events): every public event, and "
                               + "`appointment.arrived` for the appointments they take part in",
                              tag: tag,
                              query: [.init("lastEventId", "string", "Resume after this event id (for clients that cannot send Last-Event-ID).")],
                              responses: [.init(200, "text/event-stream")])) { ctx in
            try eventStream(ctx, staffID: try ctx.actor.staffID)
        },
        .get("/api/v1/locations/{locationId}/calls", .public,
             OpenAPIOperation("listRecentCalls", summary: "Today's last calls", tag: tag,
                              responses: [.init(200, "Calls", "Calls")])) { ctx in
            try recentCalls(ctx)
        },
    ]

    /// One page of the waiting line as this staff member's call-next would take it: `?limit=` (default
    /// `queuePageDefault`, at most `queuePageMax`) tickets after the cursor `?after=` (the previous page's `next`),
    /// with `total` waiting for the caller's services. The cursor is a key of the call order, so paging neither skips
    /// nor repeats a ticket while the line changes. Shows handover notes meant for their own agency only; showing one
    /// is a read of personal data, so it is audited.
    static func queueView(_ ctx: RouteContext) throws -> Response {
        let location = try ctx.id("locationId", "location")
        var v = Validator()
        let limit = ctx.request.query["limit"].map { Int($0) ?? 0 } ?? queuePageDefault
        v.require((1...queuePageMax).contains(limit), "limit", "must be a whole number from 1 to \(queuePageMax)")
        let cursor = ctx.request.query["after"].map { QueueCursor($0) }
        v.require(cursor.map { $0 != nil } ?? true, "after", "must be the next value of a previous page")
        try v.check()
        let actor = try ctx.actor
        return try ctx.transaction { db in
            guard try db.first(LocationExists(locationID: location)) != nil else {
                throw Problem.notFound("There is no location with id \(location).")
            }
            // The first page starts after a key before every ticket: a rank below urgent's.
            let after = cursor??.key
            let rows = try db.all(QueueForStaff(locationID: location, staffID: actor.staffID, agencyID: actor.agencyID, now: ctx.now,
                                                afterRank: after.map { Int($0.priority.rank) } ?? -1,
                                                afterDueAt: after.map { Instant(microseconds: $0.dueAt) } ?? Instant(microseconds: 0),
                                                afterPrefix: after?.number.prefix ?? "", afterSequence: after?.number.sequence ?? 0,
                                                limit: limit + 1))
            let tickets = rows.filter { $0.id != nil }  // an empty page is one row with only the total
            var out: [JSON] = []
            var notesShown: [String] = []
            var last: QueueKey?
            for row in tickets.prefix(limit) {
                guard let ticketID = row.id, let number = row.number, let rank = row.priorityRank,
                      let priority = TicketPriority(rank: Int16(rank)), let parsed = TicketNumber(parsing: number),
                      let dueAt = row.dueAtMicros else {
                    throw Problem(status: 500, title: "Internal error", detail: "Ticket \(row.number ?? "?") cannot be placed in the call order.")
                }
                if row.note != nil { notesShown.append(ticketID) }
                last = QueueKey(priority: priority, dueAt: Int64(dueAt), number: parsed)
                out.append(.object([
                    ("id", .string(ticketID)), ("number", .string(number)),
                    ("serviceId", .optional(row.serviceID)), ("serviceName", .optional(row.serviceName)),
                    ("priority", .optional(row.priority)), ("waitedMinutes", .optional(row.waitedMinutes)),
                    ("dueAt", .optional(row.dueAtText)),
                    ("handedOver", .bool(row.handedOver ?? false)), ("handoverNote", .optional(row.note)),
                    ("appointmentId", .optional(row.appointmentID)), ("late", .bool(row.late ?? false)),
                    ("roomName", .optional(row.roomName)),
                    // Call-next passes over it for now: its appointment is not due yet, or it waits for its own staff.
                    ("notYetDue", .bool(Int64(dueAt) > ctx.now.microseconds)),
                    ("offeredToMe", .bool(row.offeredToMe ?? false)), ("offeredToOthers", .bool(row.offeredToOthers ?? false)),
                    // Meant for one person (contact code, handover by name): "me" or "colleague" (no name: not needed).
                    ("forPerson", .optional(row.forPerson.map { $0 == actor.staffID ? "me" : "colleague" })),
                ]))
            }
            if !notesShown.isEmpty {
                try ctx.audit(db, "ticket.note.read", "ticket", nil, .object([("ticketIds", .strings(notesShown))]))
            }
            let next: String? = tickets.count > limit ? last.map { QueueCursor(after: $0).description } : nil
            return .json(.object([("items", .array(out)), ("total", .int(rows.first?.total ?? 0)), ("next", .optional(next))]))
        }
    }

    /// Live events of a location as Server-Sent Events. The request's connection serves the check and the replay;
    /// the stream itself holds none.
    static func eventStream(_ ctx: RouteContext, staffID: String? = nil) throws -> Response {
        let location = try ctx.id("locationId", "location")
        let stream = EventStream()
        let lastEventID = (ctx.request.header("last-event-id") ?? ctx.request.query["lastEventId"]).flatMap(EventCursor.init)
        guard try ctx.db.first(LocationExists(locationID: location)) != nil else {
            throw Problem.notFound("There is no location with id \(location).")
        }
        stream.send(Array("retry: 2000\n\n".utf8))
        try ctx.app.events.subscribe(locationID: location, lastEventID: lastEventID, stream: stream, db: ctx.db, staffID: staffID)
        return Response(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
                                               ("X-Accel-Buffering", "no")], body: .eventStream(stream))
    }

    /// The last calls of today (a display that starts shows them at once).
    static func recentCalls(_ ctx: RouteContext) throws -> Response {
        let location = try ctx.id("locationId", "location")
        guard try ctx.db.first(LocationExists(locationID: location)) != nil else {
            throw Problem.notFound("There is no location with id \(location).")
        }
        var seen = Set<String>()
        var calls: [JSON] = []
        for row in try ctx.db.all(RecentCalls(locationID: location, now: ctx.now)) {
            guard let number = row.number, let calledAt = row.calledAt, !seen.contains(number) else { continue }
            seen.insert(number)
            calls.append(.object([("number", .string(number)), ("deskName", .optional(row.deskName)),
                                  ("calledAt", .string(calledAt)), ("recallCount", .int(row.recallCount))]))
            if calls.count == 10 { break }
        }
        return .json(.object([("calls", .array(calls))]))
    }
}
