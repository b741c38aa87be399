import HTTP
import Postgres
import Time

// Roles, walls, audit and sessions (issue 11): the audit search and its retention setting, and "log out
// everywhere". The coordinator scope itself is set on the staff admin route (PATCH /api/v1/staff/{staffId}, field
// `scope`) and enforced by the framework (`AccessScope.swift`). SQL: `SQL/access.sql` (`AccessStatements.swift`).

struct RetentionBody: Decodable { let days: Int? }

private let tag = "audit"

enum AccessRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    /// The longest page of audit entries one request returns.
    static let maxPage = 200

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/audit", .admin,
             OpenAPIOperation("searchAudit", summary: "Search the audit log, newest first (the search itself is audited)", tag: tag,
                              query: [.init("actor", "string", "Who acted: a staff member's id or username."),
                                      .init("objectType", "string", "What was read or changed: ticket, appointment, staff, location, …"),
                                      .init("objectId", "string", "The id of what was read or changed."),
                                      .init("person", "string", "Entries about a person's records: a ticket, appointment (id or reference) or staff member id; also entries naming it in their detail, and an appointment's ticket."),
                                      .init("from", "string", "From this instant (RFC 3339) or date (the whole local day, Europe/Amsterdam)."),
                                      .init("to", "string", "Up to this instant (exclusive) or date (inclusive)."),
                                      .init("cursor", "string", "The `next` of the previous page."),
                                      .init("limit", "integer", "Entries per page, 1–200 (default 50).")],
                              responses: [.init(200, "Audit entries", "AuditPage")])) { ctx in
            try search(ctx)
        },
        .get("/api/v1/audit/retention", .admin,
             OpenAPIOperation("getAuditRetention", summary: "How many days audit entries are kept", tag: tag,
                              responses: [.init(200, "Retention", "AuditRetention")])) { ctx in
            .json(.object([("days", .int(try ctx.db.first(AuditRetentionGet())?.days ?? 365))]))
        },
        .put("/api/v1/audit/retention", .admin,
             OpenAPIOperation("setAuditRetention", summary: "Set how many days audit entries are kept (30–3650)", tag: tag,
                              body: "AuditRetention", responses: [.init(200, "Set", "AuditRetention")])) { ctx in
            let b = try ctx.decode(RetentionBody.self)
            var v = Validator()
            v.require(b.days.map { (30...3650).contains($0) } ?? false, "days", "must be a whole number of days from 30 to 3650")
            try v.check()
            let days = b.days ?? 365
            return try ctx.transaction { db in
                try db.run(SettingPut(key: "audit_retention_days", value: String(days)))
                try ctx.audit(db, "audit.retention", "setting", "audit_retention_days", .object([("days", .int(days))]))
                return .json(.object([("days", .int(days))]))
            }
        },
        .delete("/api/v1/staff/{staffId}/sessions", .helper,
                OpenAPIOperation("revokeStaffSessions",
                                 summary: "Log out everywhere: end every session of a staff member (admin), or one's own (anyone logged in); audited",
                                 tag: "sessions", responses: [.init(200, "Ended", "SessionsRevoked")])) { ctx in
            let id = try ctx.id("staffId", "staff member")
            let actor = try ctx.actor
            let own = actor.staffID?.lowercased() == id.lowercased()
            guard own || actor.role == .admin else {
                throw Problem.forbidden("You can end your own sessions only; an admin ends someone else's.")
            }
            return try ctx.transaction { db in
                guard let row = try db.first(StaffRevokeSessions(staffID: id)) else { throw Problem.notFound("There is no staff member with id \(id).") }
                try ctx.audit(db, "session.revoke-all", "staff", id, .object([("sessions", .int(row.revoked))]))
                var headers: [(String, String)] = []
                if own && ctx.request.cookie(sessionCookie) != nil {
                    headers.append(("Set-Cookie", "\(sessionCookie)=; Path=/; HttpOnly; SameSite=Strict\(ctx.app.cookieSecurity(ctx.request)); Max-Age=0"))
                }
                return .json(.object([("revoked", .int(row.revoked))]), headers: headers)
            }
        },
    ]

    static func search(_ ctx: RouteContext) throws -> Response {
        let q = ctx.request.query
        func filter(_ name: String) -> String? { q[name].flatMap { $0.isEmpty ? nil : $0 } }
        let actor = filter("actor"), objectType = filter("objectType"), objectID = filter("objectId"), person = filter("person")
        let from = filter("from"), to = filter("to"), cursor = filter("cursor")
        var v = Validator()
        v.require(actor.map { $0.count <= 64 } ?? true, "actor", "must be a staff id or username")
        v.require(objectType.map { $0.count <= 64 } ?? true, "objectType", "must be at most 64 characters")
        v.require(objectID.map { $0.count <= 200 } ?? true, "objectId", "must be at most 200 characters")
        v.require(person.map { $0.count <= 200 } ?? true, "person", "must be at most 200 characters")
        v.require(from.map(isTimeFilter) ?? true, "from", "must be an RFC 3339 instant or a date YYYY-MM-DD")
        v.require(to.map(isTimeFilter) ?? true, "to", "must be an RFC 3339 instant or a date YYYY-MM-DD")
        v.require(cursor.map { (1...18).contains($0.count) && $0.allSatisfy { ("0"..."9").contains($0) } } ?? true, "cursor", "must be the next of a previous page")
        let limit = filter("limit").flatMap { Int($0) } ?? 50
        v.require((1...maxPage).contains(limit) && (filter("limit") == nil || Int(filter("limit")!) != nil), "limit", "must be 1 to \(maxPage)")
        try v.check()
        let rows = try ctx.db.all(AuditSearch(actor: actor, objectType: objectType, objectID: objectID, person: person, from: from, to: to,
                                              before: cursor, limit: limit + 1))
        let page = rows.prefix(limit)
        let next: String? = rows.count > limit ? page.last?.id : nil
        // Who searched for whom is itself worth knowing: the filters are recorded (ids and dates, no personal fields).
        let filters: [(String, JSON)] = [("actor", actor), ("objectType", objectType), ("objectId", objectID), ("person", person),
                                         ("from", from), ("to", to)].compactMap { name, value in value.map { (name, JSON.string($0)) } }
        try ctx.audit(ctx.db, "audit.search", "audit", nil, .object(filters))
        return raw("{\"items\":[" + page.map(\.j).joined(separator: ",") + "],\"next\":" + (next.map(JSONText.quote) ?? "null") + "}")
    }

    /// An RFC 3339 instant or a date `YYYY-MM-DD`.
    static func isTimeFilter(_ text: String) -> Bool {
        if CalendarDate.isValid(text) { return true }
        return text.count <= 40 && Instant(rfc3339: text) != nil
    }

    static let schemas: [(String, JSON)] = {
        typealias O = OpenAPISpec
        return [
            ("CoordinatorScope", O.obj([("allLocations", O.s("boolean", [("description", .string("true: every location; false: only locationIds."))])),
                                        ("locationIds", O.arr(O.id)),
                                        ("ownAgencyOnly", O.s("boolean", [("description", .string("Only the coordinator's own agency's staff and data."))]))])),
            ("AuditEntry", O.obj([("id", O.str), ("at", O.time),
                                  ("actor", O.obj([("id", O.nullable(O.id)), ("username", O.str), ("displayName", O.str)])),
                                  ("agencyId", O.nullable(O.id)), ("action", O.str), ("objectType", O.str), ("objectId", O.nullable(O.str)),
                                  ("detail", O.s("object"))],
                                 required: ["id", "at", "actor", "action", "objectType", "objectId", "detail"])),
            ("AuditPage", O.obj([("items", O.arr(O.ref("AuditEntry"))), ("next", O.nullable(O.str))], required: ["items", "next"])),
            ("AuditRetention", O.obj([("days", O.s("integer", [("minimum", .int(30)), ("maximum", .int(3650))]))], required: ["days"])),
            ("SessionsRevoked", O.obj([("revoked", O.int)], required: ["revoked"])),
        ]
    }()
}
