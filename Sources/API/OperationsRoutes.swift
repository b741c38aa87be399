import HTTP
import Locking
import Migrations
import Postgres

// Operations: liveness, readiness, Prometheus metrics and the OpenAPI document. Liveness, metrics and the document
// answer on the network thread and never touch the database, so they answer even when every connection is busy.

private let tag = "operations"

enum OperationsRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        .get("/healthz", .public, OpenAPIOperation("checkAlive", summary: "The process is alive", tag: tag,
                                                   responses: [.init(200, "Alive", "Health")]),
             execution: .inline) { _ in
            .json(.object([("status", .string("ok"))]))
        },
        // On a pool of its own (`App.readiness`), never behind requests queued for the database workers, and under
        // one deadline for the checkout and the query: a load balancer needs a quick "no" while the database is
        // frozen, unreachable or saturated.
        .get("/readyz", .public, OpenAPIOperation("checkReady", summary: "The database is reachable and migrated", tag: tag,
                                                  responses: [.init(200, "Ready", "Health")]),
             execution: .pool { $0.readiness }, database: .brief) { ctx in
            let budget = 2.0
            let deadline = monotonicNanoseconds() + UInt64(budget * 1e9)
            do {
                let current = try ctx.withConnection(timeoutSeconds: budget) { db -> Bool in
                    let now = monotonicNanoseconds()
                    guard now + 50_000_000 < deadline else { throw PostgresError.poolTimeout }
                    db.queryTimeoutSeconds = Double(deadline - now) / 1e9
                    return try Migrator(migrations: App.migrations, logger: ctx.app.logger).isCurrent(db)
                }
                guard current else { throw Problem.unavailable("Database migrations are not applied yet.") }
                // Mail that cannot go out is said, not failed on: the queue and bookings work without it (messages wait).
                return .json(.object([("status", .string("ready")), ("mail", .string(ctx.app.mailConfigured ? "configured" : "not configured"))]))
            } catch let e as PostgresError {
                throw Problem.unavailable("The database cannot be reached: \(e.isUnavailable ? "not reachable" : "not migrated").")
            }
        },
        // Access is not a login: loopback clients, or anyone with LOKET_METRICS_TOKEN as bearer (MetricsAccess).
        .get("/metrics", .public, OpenAPIOperation("getMetrics", summary: "Prometheus metrics (clients on this machine, or the bearer LOKET_METRICS_TOKEN)",
                                                   tag: tag, responses: [.init(200, "Metrics in Prometheus text format", contentType: "text/plain")]),
             execution: .inline) { ctx in
            if let problem = MetricsAccess(token: ctx.app.configuration.metricsToken).problem(for: ctx.request) { throw problem }
            return .text(ctx.app.metrics.render(), contentType: "text/plain; version=0.0.4")
        },
        .get("/api/v1/openapi.json", .public, OpenAPIOperation("getOpenAPIDocument", summary: "This document", tag: tag,
                                                               responses: [.init(200, "OpenAPI document", contentType: "application/json")]),
             execution: .inline) { _ in
            Response(status: 200, contentType: "application/json", body: Array(OpenAPIDocument.json.utf8))
        },
    ]
}
