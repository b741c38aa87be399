import HTTP
import Postgres

// The outbox for administrators: which messages wait, went out, failed or were dropped, with attempts and the last
// error — never the recipient or the text (personal data; the appointment id leads there for those allowed).

private let tag = "mail"

enum OutboxRoutes: RouteCollection {
    static let statuses = ["pending", "sending", "sent", "failed", "dropped"]
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/outbox", .admin,
             OpenAPIOperation("listOutboxMessages", summary: "Messages to citizens and their state (newest first, at most 500)", tag: tag,
                              query: [.init("status", "string", "Only messages in this state: " + statuses.joined(separator: ", ") + "."),
                                      .init("limit", "integer", "At most this many (1–500, default 100).")],
                              responses: [.init(200, "Messages (state only, no text)", "OutboxMessageList")])) { ctx in
            let q = ctx.request.query
            var v = Validator()
            let status = q["status"].flatMap { $0.isEmpty ? nil : $0 }
            if let status { v.require(statuses.contains(status), "status", "must be one of " + statuses.joined(separator: ", ")) }
            let limit = q["limit"].map { Int($0) ?? -1 } ?? 100
            v.require((1...500).contains(limit), "limit", "must be a whole number from 1 to 500")
            try v.check()
            guard let row = try ctx.db.first(OutboxList(status: status, limit: limit)) else { throw Problem.internalError }
            return items(row.j)
        },
    ]
}
