import HTTP
import Postgres
import Queue
import Time

struct TakeNumberBody: Decodable { let serviceId: String?; let language: String?; let priority: String? }
struct FinishBody: Decodable { let outcome: String? }
struct HandoverBody: Decodable { let serviceId: String?; let note: String?; let urgent: Bool? }
struct ClosureBody: Decodable { let reason: String? }

extension App {
    /// Take a number (public: kiosks and phones). Staff may take one for a visitor and mark it urgent.
    func takeNumber(_ request: Request) throws -> Response {
        let location = try pathID(request, "locationId", "location")
        let body = try request.decode(TakeNumberBody.self)
        var v = Validator()
        v.id(body.serviceId, "serviceId")
        v.require(body.language.map { $0.count >= 2 && $0.count <= 3 && $0.allSatisfy { ("a"..."z").contains($0) } } ?? true,
                  "language", "must be a language code such as nl, en or ar")
        v.require(body.priority.map { $0 == "urgent" || $0 == "normal" } ?? true, "priority", "must be urgent or normal")
        try v.check()
        let row: Row = try pool.withConnection { db in
            var staff: Actor?
            if request.bearerToken != nil || request.cookie(sessionCookie) != nil {
                staff = try authenticator.require(.staff, request, db)
            }
            if body.priority == "urgent" && staff == nil {
                throw Problem.forbidden("Only staff can mark a ticket as urgent. Ask a staff member at the desk.")
            }
            if staff == nil { try rateLimiter.check(request, db: db) }
            return try db.query(Query(Statements.tickets["take_number"], location, body.serviceId, body.priority,
                                      body.language ?? "nl", staff?.staffID, configuration.clock.now())).first!
        }
        guard try row.int("location_found") == 1 else { throw Problem.notFound("There is no location with id \(location).") }
        guard try row.int("service_found") == 1 else {
            throw Problem.unprocessable("This service is not offered at this location.",
                                        invalidParams: [.init(name: "serviceId", reason: "is not offered at this location")])
        }
        guard try row.int("is_open") == 1 else {
            throw Problem(status: 409, title: "Location closed",
                          detail: "Deze locatie is vandaag gesloten. Er kunnen geen nummers meer worden getrokken. / " +
                                  "This location is closed today. No more numbers can be taken.")
        }
        events.didWrite()
        let estimate = WaitEstimator.estimate(ahead: try row.int("ahead"), recentServiceSeconds: try doubles(row, "recent_seconds"),
                                              activeDesks: try row.int("active_desks"))
        return .json(.object([
            ("id", .string(try row.string("id"))), ("number", .string(try row.string("number"))),
            ("serviceId", .string(try row.string("service_id"))), ("locationId", .string(try row.string("location_id"))),
            ("priority", .string(try row.string("priority"))), ("status", .string(try row.string("status"))),
            ("position", .int(try row.int("ahead") + 1)), ("estimatedWaitMinutes", .optional(estimate.minutes)),
            ("createdAt", .string(try row.string("created_at"))), ("language", .string(try row.string("language"))),
        ]), status: 201)
    }

    /// A ticket's public status: number, place and desk, nothing personal. Anyone with the unguessable id may ask.
    func publicTicket(_ request: Request) throws -> Response {
        let id = try pathID(request, "ticketId", "ticket")
        guard let row = try pool.query(Query(Statements.tickets["ticket_public"], id, configuration.clock.now())).first else {
            throw Problem.notFound("There is no ticket with id \(id).")
        }
        let waiting = try row.string("status") == TicketStatus.waiting.rawValue
        var estimate: Int?
        var position: Int?
        if waiting {
            position = try row.int("ahead") + 1
            estimate = WaitEstimator.estimate(ahead: try row.int("ahead"), recentServiceSeconds: try doubles(row, "recent_seconds"),
                                              activeDesks: try row.int("active_desks")).minutes
        }
        let language = try row.string("language")
        let translations = JSON.parse(try row.string("service_translations"))
        let dutchName = try row.string("service_name")
        let serviceName = translations[language]?.stringValue ?? dutchName
        return .json(.object([
            ("id", .string(id)), ("number", .string(try row.string("number"))), ("status", .string(try row.string("status"))),
            ("position", .optional(position)), ("estimatedWaitMinutes", .optional(estimate)),
            ("deskName", .optional(try row.optionalString("desk_name"))), ("language", .string(language)),
            ("locationId", .string(try row.string("location_id"))), ("locationCode", .string(try row.string("location_code"))),
            ("serviceId", .string(try row.string("service_id"))), ("serviceName", .string(serviceName)),
            ("createdAt", .string(try row.string("created_at"))),
        ]))
    }

    /// Call the next visitor to a desk. The claim is one statement with `FOR UPDATE SKIP LOCKED`.
    func callNext(_ request: Request) throws -> Response {
        let desk = try pathID(request, "deskId", "desk")
        let response: Response = try pool.withConnection { db in
            let actor = try authenticator.requireStaffMember(request, db)
            let (sources, target) = try singleTransition(.call)
            let row = try db.query(Query(Statements.tickets["call_next"], desk, actor.staffID, configuration.clock.now(),
                                         sources, target)).first!
            guard try row.int("desk_found") == 1 else { throw Problem.notFound("There is no active desk with id \(desk).") }
            if let busy = try row.optionalString("busy_number") {
                throw Problem.conflict("Desk still has ticket \(busy). Finish it, mark it as no-show or requeue it first.")
            }
            guard try row.optionalString("id") != nil else { return .noContent }
            return try deskTicket(row)
        }
        if response.status == 200 { events.didWrite() }
        return response
    }

    /// The ticket held at a desk (a desk page that reloads finds its visitor again). Behind the same agency wall as
    /// the queue: only the staff member holding it or staff who serve its service may read it (its id is the phone
    /// page's secret), and the read is audited. 204 when the desk is free, 403 for another agency's visitor.
    func deskCurrent(_ request: Request) throws -> Response {
        let desk = try pathID(request, "deskId", "desk")
        return try pool.transaction { db in
            let actor = try authenticator.requireStaffMember(request, db)
            guard let row = try db.query(Query(Statements.tickets["desk_current"], desk, actor.staffID)).first else {
                return .noContent
            }
            guard try row.bool("allowed") else {
                throw Problem.forbidden("Another agency's visitor is at this desk; only staff who serve its service can see the ticket.")
            }
            try audit(db, actor, "ticket.read", "ticket", try row.string("id"), .object([("deskId", .string(desk))]))
            return try deskTicket(row)
        }
    }

    /// A ticket as staff see it (`j`, rendered by `ticket_staff_json`), with the actions the state machine allows
    /// from its `status`, so the desk page shows exactly those buttons and keeps no rules of its own.
    private func deskTicket(_ row: Row) throws -> Response {
        let json = try row.string("j")
        let status = try row.string("status")
        guard let ticketStatus = TicketStatus(rawValue: status), json.hasSuffix("}") else {
            throw Problem(status: 500, title: "Internal error", detail: "A ticket has a status this version does not know: \(status).")
        }
        let allowed = JSON.strings(TicketStateMachine.allowedActions(from: ticketStatus).map(\.rawValue)).serialized
        // ticket_staff_json renders one object: appending the field keeps its key order and saves a parse.
        return raw(String(json.dropLast()) + ",\"allowedActions\":" + allowed + "}")
    }

    /// Sources and target of an action with a single target, as the guarded SQL updates take them.
    private func singleTransition(_ action: TicketAction) throws -> (sources: [String], target: String) {
        guard let target = TicketStateMachine.target(of: action) else {
            throw Problem(status: 500, title: "Internal error", detail: "\(action.rawValue) has no single target status.")
        }
        return (TicketStateMachine.sources(for: action).map(\.rawValue).sorted(), target.rawValue)
    }

    /// recall / start / finish / no-show / requeue: a transition checked by the domain's state machine and applied
    /// atomically by the database (`WHERE status = ANY(sources)`).
    func act(_ action: TicketAction, _ request: Request) throws -> Response {
        let id = try pathID(request, "ticketId", "ticket")
        var outcome: String?
        if action == .finish, !request.body.isEmpty {
            outcome = try request.decode(FinishBody.self).outcome
            if let o = outcome, o.unicodeScalars.count > 200 {
                throw Problem.unprocessable("The outcome is too long.", invalidParams: [.init(name: "outcome", reason: "must be at most 200 characters")])
            }
        }
        // One statement in autocommit: the guarded update, its service record and its event commit together.
        let response: Response = try pool.withConnection { db in
            let actor = try authenticator.requireStaffMember(request, db)
            let (sources, target) = try singleTransition(action)
            guard let done = try db.query(Query(Statements.tickets["ticket_act"], id, actor.staffID, action.rawValue, sources,
                                                target, outcome, action.eventKind.rawValue, configuration.clock.now())).first else {
                try explainRefusal(db, ticket: id, actor: actor, action: action)
            }
            return try deskTicket(done)
        }
        events.didWrite()
        return response
    }

    /// Why a guarded update changed nothing: unknown ticket (404), someone else's (403), or an illegal transition
    /// (409 with the state machine's own words).
    private func explainRefusal(_ db: Connection, ticket id: String, actor: Actor, action: TicketAction) throws -> Never {
        guard let row = try db.query(Query(Statements.tickets["ticket_holder"], id)).first else {
            throw Problem.notFound("There is no ticket with id \(id).")
        }
        let status = TicketStatus(rawValue: try row.string("status")) ?? .waiting
        _ = try TicketStateMachine.apply(action, to: status)
        throw Problem.forbidden("This ticket is being helped by another agency's staff; only staff who serve its service can act on it.")
    }

    /// Warm handover to another service (possibly another agency's): same number, original arrival time kept.
    func handover(_ request: Request) throws -> Response {
        let id = try pathID(request, "ticketId", "ticket")
        let body = try request.decode(HandoverBody.self)
        var v = Validator()
        v.id(body.serviceId, "serviceId")
        // Counted in Unicode scalars, as PostgreSQL's length() counts them.
        v.require((body.note ?? "").unicodeScalars.count <= 2000, "note", "must be at most 2000 characters")
        try v.check()
        let response: Response = try pool.transaction { db in
            let actor = try authenticator.requireStaffMember(request, db)
            let (sources, target) = try singleTransition(.handover)
            let row = try db.query(Query(Statements.tickets["handover"], id, actor.staffID, body.serviceId, body.note, body.urgent,
                                         sources, target, configuration.clock.now())).first!
            if try row.int("held") == 0 {
                try explainRefusal(db, ticket: id, actor: actor, action: .handover)
            }
            guard try row.int("target_found") == 1 else {
                throw Problem.unprocessable("The visitor can only be handed over to another service offered at this location.",
                                            invalidParams: [.init(name: "serviceId", reason: "is not another service offered at this location")])
            }
            try audit(db, actor, "ticket.handover", "ticket", id,
                      .object([("toServiceId", .optional(body.serviceId)), ("toAgencyId", .optional(try row.optionalString("to_agency_id"))),
                               ("withNote", .bool(!(body.note ?? "").trimmingSpaces.isEmpty))]))
            return try deskTicket(row)
        }
        events.didWrite()
        return response
    }

    /// One page of the waiting line as this staff member's call-next would take it: `?limit=` (default
    /// `queuePageDefault`, at most `queuePageMax`) tickets after the cursor `?after=` (the previous page's `next`),
    /// with `total` waiting for the caller's services. The cursor is a key of the call order, so paging neither skips
    /// nor repeats a ticket while the line changes. Shows handover notes meant for their own agency only; showing one
    /// is a read of personal data, so it is audited.
    func queueView(_ request: Request) throws -> Response {
        let location = try pathID(request, "locationId", "location")
        var v = Validator()
        let limit = request.query["limit"].map { Int($0) ?? 0 } ?? Self.queuePageDefault
        v.require((1...Self.queuePageMax).contains(limit), "limit", "must be a whole number from 1 to \(Self.queuePageMax)")
        let cursor = request.query["after"].map { QueueCursor($0) }
        v.require(cursor.map { $0 != nil } ?? true, "after", "must be the next value of a previous page")
        try v.check()
        return try pool.transaction { db in
            let actor = try authenticator.requireStaffMember(request, db)
            guard try db.query(Query(Statements.tickets["location_exists"], location)).first != nil else {
                throw Problem.notFound("There is no location with id \(location).")
            }
            // The first page starts after a key before every ticket: a rank below urgent's.
            let after = cursor??.key
            let rows = try db.query(Query(Statements.tickets["queue_for_staff"], location, actor.staffID, actor.agencyID,
                                          configuration.clock.now(), after.map { Int($0.priority.rank) } ?? -1,
                                          after.map { Instant(microseconds: $0.dueAt) } ?? Instant(microseconds: 0),
                                          after?.number.prefix ?? "", after?.number.sequence ?? 0, limit + 1))
            var out: [JSON] = []
            var notesShown: [String] = []
            var last: QueueKey?
            for row in rows {
                guard let ticketID = try row.optionalString("id") else { continue }  // an empty page: only the total
                if out.count == limit { break }
                let note = try row.optionalString("note")
                if note != nil { notesShown.append(ticketID) }
                let number = try row.string("number")
                guard let priority = TicketPriority(rank: Int16(try row.int("priority_rank"))),
                      let parsed = TicketNumber(parsing: number) else {
                    throw Problem(status: 500, title: "Internal error", detail: "Ticket \(number) cannot be placed in the call order.")
                }
                last = QueueKey(priority: priority, dueAt: Int64(try row.int("due_at_micros")), number: parsed)
                out.append(.object([
                    ("id", .string(ticketID)), ("number", .string(number)),
                    ("serviceId", .string(try row.string("service_id"))), ("serviceName", .string(try row.string("service_name"))),
                    ("priority", .string(try row.string("priority"))), ("waitedMinutes", .int(try row.int("waited_minutes"))),
                    ("dueAt", .string(try row.string("due_at_text"))),
                    ("handedOver", .bool(try row.bool("handed_over"))), ("handoverNote", .optional(note)),
                ]))
            }
            let more = rows.filter { (try? $0.optionalString("id")) != nil }.count > limit
            if !notesShown.isEmpty {
                try audit(db, actor, "ticket.note.read", "ticket", nil, .object([("ticketIds", .strings(notesShown))]))
            }
            let next: String? = more ? last.map { QueueCursor(after: $0).description } : nil
            return .json(.object([("items", .array(out)), ("total", .int(try rows.first?.int("total") ?? 0)),
                                  ("next", .optional(next))]))
        }
    }

    /// Tickets per page of the staff queue view when the client does not say, and the most it may ask for.
    static let queuePageDefault = 50
    static let queuePageMax = 200

    /// Live events of a location as Server-Sent Events.
    func eventStream(_ request: Request) throws -> Response {
        let location = try pathID(request, "locationId", "location")
        let stream = EventStream()
        let lastEventID = (request.header("last-event-id") ?? request.query["lastEventId"]).flatMap(EventCursor.init)
        try pool.withConnection { db in
            guard try db.query(Query(Statements.tickets["location_exists"], location)).first != nil else {
                throw Problem.notFound("There is no location with id \(location).")
            }
            stream.send(Array("retry: 2000\n\n".utf8))
            try events.subscribe(locationID: location, lastEventID: lastEventID, stream: stream, db: db)
        }
        return Response(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
                                               ("X-Accel-Buffering", "no")], body: .eventStream(stream))
    }

    /// The last calls of today (a display that starts shows them at once).
    func recentCalls(_ request: Request) throws -> Response {
        let location = try pathID(request, "locationId", "location")
        return try pool.withConnection { db in
            guard try db.query(Query(Statements.tickets["location_exists"], location)).first != nil else {
                throw Problem.notFound("There is no location with id \(location).")
            }
            var seen = Set<String>()
            var calls: [JSON] = []
            for row in try db.query(Query(Statements.events["recent_calls"], location)) {
                let payload = JSON.parse(try row.string("payload"))
                guard let number = payload["number"]?.stringValue, !seen.contains(number) else { continue }
                seen.insert(number)
                calls.append(.object([("number", .string(number)), ("deskName", payload["deskName"] ?? .null),
                                      ("calledAt", payload["at"] ?? .null), ("recallCount", payload["recallCount"] ?? .int(0))]))
                if calls.count == 10 { break }
            }
            return .json(.object([("calls", .array(calls))]))
        }
    }

    // Closing and reopening a location for the rest of today are declared in AdminRoutes (RouteCollection).
}

/// A `float8[]` column as doubles.
func doubles(_ row: Row, _ column: String) throws -> [Double] {
    try row.stringArray(column).compactMap(Double.init)
}
