import HTTP
import Postgres
import Time

// Routes declared once (Hummingbird's `RouteCollection` is the model).
//
// A feature is one file of routes and one file of statements:
//
// 1. `Sources/API/SQL/<feature>.sql` holds the named SQL; `<Feature>Statements.swift` gives each statement a type
//    (see `Postgres/Statement.swift`) and lists them in `all` for the statement test.
// 2. `<Feature>Routes.swift` (or `…Handlers.swift`) declares `enum <Feature>Routes: RouteCollection` whose
//    `routes` are values like
//
//        .get("/api/v1/agencies/{agencyId}", .staff,
//             OpenAPIOperation("getAgency", summary: "Get an agency", tag: "administration",
//                              responses: [.init(200, "Agency", "Agency")])) { ctx in
//            let id = try ctx.id("agencyId", "agency")
//            guard let row = try ctx.db.first(AgencyGet(id: id)) else { throw Problem.notFound("…") }
//            return raw(row.j)
//        }
//
//    and whose `constraints` map the feature's own constraint names to problems.
// 3. Add the type to `Features.all`: the router serves it and the OpenAPI document describes it from then on.
//
// Before the handler runs, the framework checks out a database connection, authenticates the request and checks
// the declared access, so a handler cannot forget the role check; a constraint violation the feature declared
// becomes its problem, anything else goes through the shared mapping (`ErrorMapping`).

/// Who may call a route. Checked by the framework before the handler runs.
public enum Access: String, Sendable, CaseIterable {
    /// Anyone; the actor is filled in when valid credentials come along (e.g. staff taking an urgent number).
    case `public`
    /// Any logged-in staff member or the bootstrap admin token.
    case staff
    /// A logged-in staff member with a staff record (not the bootstrap token): serving visitors, own agency's data.
    case staffMember
    case coordinator
    case admin
}

/// What a handler gets: the request, the database connection checked out for it, who is asking, and the clock.
struct RouteContext {
    let request: Request
    let app: App
    /// A pooled connection, held for this request. Use `transaction` for changes that belong together.
    let db: Connection
    /// Non-nil for every access but `.public`, where it is set only when the request carries valid credentials.
    let principal: Actor?

    /// The authenticated actor (never fails for non-public routes: the framework checked it already).
    var actor: Actor {
        get throws {
            guard let principal else { throw Problem.unauthorized() }
            return principal
        }
    }

    /// The app's clock: every statement that needs "now" takes it as a parameter.
    var clock: any Clock { app.configuration.clock }
    var now: Instant { clock.now() }

    /// Runs `body` in one transaction on this request's connection (serialization failures are retried).
    func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try db.transaction(body)
    }

    /// A UUID path parameter, or 404 naming what was looked for.
    func id(_ parameter: String, _ what: String) throws -> String { try pathID(request, parameter, what) }

    /// The JSON body as `T` (400 for malformed JSON).
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try request.decode(type) }

    /// Appends to the audit log on `db` (pass the transaction's connection to keep it atomic with the change).
    func audit(_ db: Connection, _ action: String, _ subjectType: String, _ subjectID: String?, _ detail: JSON?) throws {
        let actor = try self.actor
        try db.run(AuditInsert(staffID: actor.staffID, agencyID: actor.agencyID, action: action, subjectType: subjectType,
                               subjectID: subjectID, detail: detail?.serialized))
    }
}

/// One declared route: method, path, access, OpenAPI operation and handler, together.
struct DeclaredRoute: Sendable {
    let method: String
    let path: String
    let access: Access
    let operation: OpenAPIOperation
    let execution: Execution
    let handler: @Sendable (RouteContext) throws -> Response

    static func get(_ path: String, _ access: Access, _ operation: OpenAPIOperation,
                    _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "GET", path: path, access: access, operation: operation, execution: .worker, handler: handler)
    }
    static func post(_ path: String, _ access: Access, _ operation: OpenAPIOperation,
                     _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "POST", path: path, access: access, operation: operation, execution: .worker, handler: handler)
    }
    static func patch(_ path: String, _ access: Access, _ operation: OpenAPIOperation,
                      _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "PATCH", path: path, access: access, operation: operation, execution: .worker, handler: handler)
    }
    static func put(_ path: String, _ access: Access, _ operation: OpenAPIOperation,
                    _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "PUT", path: path, access: access, operation: operation, execution: .worker, handler: handler)
    }
    static func delete(_ path: String, _ access: Access, _ operation: OpenAPIOperation,
                       _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "DELETE", path: path, access: access, operation: operation, execution: .worker, handler: handler)
    }
}

/// A feature's routes and the problems its own constraints stand for.
protocol RouteCollection {
    static var routes: [DeclaredRoute] { get }
    /// Constraint name → problem, for the feature's named constraints (unique, check, foreign key, exclusion).
    /// Violations of constraints not listed here fall back to `ErrorMapping`'s generic answers.
    static var constraints: [String: Problem] { get }
}

/// The features written as route collections. The router serves them and the OpenAPI document is generated from
/// them; features not yet converted are still added by `App.makeRouter` and described in `OpenAPISpec.legacy`.
enum Features {
    static let all: [any RouteCollection.Type] = [AdminRoutes.self, QueueRoutes.self]

    static var routes: [(route: DeclaredRoute, constraints: [String: Problem])] {
        all.flatMap { feature in feature.routes.map { ($0, feature.constraints) } }
    }
}

extension App {
    /// Adds every converted feature's routes to the router.
    func registerFeatures(_ r: inout RouteBuilder) {
        for (route, constraints) in Features.routes {
            r.add(route.method, route.path, execution: route.execution) { [self] request in
                try serve(route, constraints: constraints, request)
            }
        }
    }

    /// Authenticates, checks the declared access, runs the handler, and maps the feature's constraint violations.
    func serve(_ route: DeclaredRoute, constraints: [String: Problem], _ request: Request) throws -> Response {
        do {
            return try pool.withConnection { db in
                let actor = try authenticate(route.access, request, db)
                return try route.handler(RouteContext(request: request, app: self, db: db, principal: actor))
            }
        } catch let error as PostgresError {
            if let name = error.constraint, let problem = constraints[name] { throw problem }
            throw error
        }
    }

    func authenticate(_ access: Access, _ request: Request, _ db: Connection) throws -> Actor? {
        switch access {
        // Public routes never fail because of a stale cookie or token: they simply run without an actor.
        case .public:
            do { return try authenticator.actor(request, db) } catch is Problem { return nil }
        case .staff: return try authenticator.require(.staff, request, db)
        case .staffMember: return try authenticator.requireStaffMember(request, db)
        case .coordinator: return try authenticator.require(.coordinator, request, db)
        case .admin: return try authenticator.require(.admin, request, db)
        }
    }
}
