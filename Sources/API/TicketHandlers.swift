import HTTP
import Postgres
import Queue

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
                                      body.language ?? "nl", staff?.staffID, String?.none)).first!
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
        guard let row = try pool.query(Query(Statements.tickets["ticket_public"], id)).first else {
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
            let row = try db.query(Query(Statements.tickets["call_next"], desk, actor.staffID)).first!
            guard try row.int("desk_found") == 1 else { throw Problem.notFound("There is no active desk with id \(desk).") }
            if let busy = try row.optionalString("busy_number") {
                throw Problem.conflict("Desk still has ticket \(busy). Finish it, mark it as no-show or requeue it first.")
            }
            guard try row.optionalString("id") != nil else { return .noContent }
            return raw(try row.string("j"))
        }
        if response.status == 200 { events.didWrite() }
        return response
    }

    /// The ticket the caller holds at a desk, if any (a desk page that reloads finds its visitor again).
    func deskCurrent(_ request: Request) throws -> Response {
        let desk = try pathID(request, "deskId", "desk")
        return try pool.withConnection { db in
            _ = try authenticator.requireStaffMember(request, db)
            guard let row = try db.query(Query(Statements.tickets["desk_current"], desk)).first else { return .noContent }
            return raw(try row.string("j"))
        }
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
        let json: String = try pool.withConnection { db in
            let actor = try authenticator.requireStaffMember(request, db)
            let sources = TicketStateMachine.sources(for: action).map(\.rawValue).sorted()
            let target = TicketStateMachine.target(of: action)
            guard let done = try db.query(Query(Statements.tickets["ticket_act"], id, actor.staffID, action.rawValue, sources,
                                                target.rawValue, outcome, action.eventKind.rawValue)).first else {
                try explainRefusal(db, ticket: id, actor: actor, action: action)
            }
            return try done.string("j")
        }
        events.didWrite()
        return raw(json)
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
        let json: String = try pool.transaction { db in
            let actor = try authenticator.requireStaffMember(request, db)
            let row = try db.query(Query(Statements.tickets["handover"], id, actor.staffID, body.serviceId, body.note, body.urgent)).first!
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
            return try row.string("j")
        }
        events.didWrite()
        return raw(json)
    }

    /// The waiting line as this staff member's call-next would take it. Shows handover notes meant for their own
    /// agency only; showing one is a read of personal data, so it is audited.
    func queueView(_ request: Request) throws -> Response {
        let location = try pathID(request, "locationId", "location")
        return try pool.transaction { db in
            let actor = try authenticator.requireStaffMember(request, db)
            guard try db.query(Query(Statements.tickets["location_exists"], location)).first != nil else {
                throw Problem.notFound("There is no location with id \(location).")
            }
            var out: [JSON] = []
            var notesShown: [String] = []
            for row in try db.query(Query(Statements.tickets["queue_for_staff"], location, actor.staffID, actor.agencyID)) {
                let note = try row.optionalString("note")
                let ticketID = try row.string("id")
                if note != nil { notesShown.append(ticketID) }
                out.append(.object([
                    ("id", .string(ticketID)), ("number", .string(try row.string("number"))),
                    ("serviceId", .string(try row.string("service_id"))), ("serviceName", .string(try row.string("service_name"))),
                    ("priority", .string(try row.string("priority"))), ("waitedMinutes", .int(try row.int("waited_minutes"))),
                    ("handedOver", .bool(try row.bool("handed_over"))), ("handoverNote", .optional(note)),
                ]))
            }
            if !notesShown.isEmpty {
                try audit(db, actor, "ticket.note.read", "ticket", nil, .object([("ticketIds", .strings(notesShown))]))
            }
            return .json(.object([("items", .array(out))]))
        }
    }

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
