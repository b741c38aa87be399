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
// the declared access, so a handler cannot forget the role check. For `.coordinator` routes it also checks a
// limited coordinator's scope (locations, own agency) against what the request names (`AccessScope.swift`). Two options change that per route:
//
// - `execution:` where the handler runs: `.worker` (default, the database workers), `.inline` (the network thread,
//   for quick work that never blocks: health, metrics, static files) or `.logins` / `.pool { … }` (a pool of its own).
// - `database:` `.perRequest` (default: `ctx.db` held for the whole request), `.brief` (nothing held; the framework
//   borrows a connection only to authenticate and the handler uses `ctx.withConnection { db in … }` and
//   `ctx.transaction { db in … }` for short steps: login, which must not hold one while a password is hashed) or
//   `.none` (never touches the database; public access only; the default and the only choice for `.inline`).
// - `idempotency: .keyed(scope: "ticket")` (POSTs that create something, `.perRequest` only): an `Idempotency-Key`
//   header makes retries safe; the same key and request within 24 hours get the first answer again, and claim,
//   handler and stored answer run in one transaction (see `Idempotency.swift`). Without the header nothing changes.
//
// Access stays declared in every case. A constraint violation the feature declared becomes its problem, anything
// else goes through the shared mapping (`ErrorMapping`).

/// Who may call a route. Checked by the framework before the handler runs.
public enum Access: String, Sendable, CaseIterable {
    /// Anyone; the actor is filled in when valid credentials come along (e.g. staff taking an urgent number).
    case `public`
    /// Any logged-in account, helpers included, or the bootstrap admin token. Only for routes that narrow what a
    /// helper sees and does to the appointments they arranged (`HelperScope`); everything else stays `.staff` or above.
    case helper
    /// Any logged-in staff member or the bootstrap admin token (never a helper).
    case staff
    /// A logged-in staff member with a staff record (not the bootstrap token): serving visitors, own agency's data.
    case staffMember
    /// A coordinator (or admin). A coordinator limited to some locations or to their own agency is refused when the
    /// request names another location or agency (`App.enforceScope`, before the handler).
    case coordinator
    case admin
}

/// Where a declared route's handler runs (resolved against the app when the router is built).
enum RouteExecution: Sendable {
    /// On the network thread: quick work that never blocks and never touches the database (health, metrics, the
    /// OpenAPI document, static files). Such a route must use `DatabaseUse.none`.
    case inline
    /// On the server's database workers (the default).
    case worker
    /// On a pool of its own, e.g. `.logins`: slow CPU-bound work that must not occupy the database workers.
    case pool(@Sendable (App) -> WorkerPool)

    /// The login pool (`LoginGuard.loginThreads`): password hashing never waits on a database worker.
    static var logins: RouteExecution { .pool { $0.logins.loginThreads } }

    func resolve(_ app: App) -> Execution {
        switch self {
        case .inline: return .inline
        case .worker: return .worker
        case .pool(let pool): return .pool(pool(app))
        }
    }

    var isInline: Bool { if case .inline = self { return true } else { return false } }
}

/// How a declared route uses the database.
enum DatabaseUse: Sendable, Equatable {
    /// A pooled connection is checked out before authentication and held until the handler returns (`ctx.db`).
    case perRequest
    /// No connection is held for the request: authentication (when the route needs it, or credentials came along)
    /// borrows one briefly, and the handler borrows one for each short step with `ctx.withConnection` or
    /// `ctx.transaction`. For routes that wait on something else (login: Argon2id on the hashing threads), so a
    /// pooled connection is never idle while they wait. `ctx.db` throws.
    case brief
    /// Never touches the database: no connection, no authentication (access must be `.public`; `ctx.principal` is
    /// nil). Required for `.inline` routes, which run on the network thread.
    case none
}

/// A route declared in a way the framework refuses to serve (a programming error: a 500, logged).
enum RouteDeclarationError: Error, CustomStringConvertible {
    /// The handler asked for a database connection its route does not have (see `DatabaseUse`).
    case noConnection(String)
    /// `DatabaseUse.none` cannot authenticate, so its access must be `.public`.
    case accessNeedsDatabase(String)
    /// An `.inline` route runs on the network thread, where waiting for a connection would stall every client.
    case inlineWithDatabase(String)
    /// `Idempotency.keyed` runs the handler in the transaction of its claim, on the request's own connection.
    case idempotencyNeedsConnection(String)

    var description: String {
        switch self {
        case .noConnection(let route): return "\(route): the handler used a database connection its declaration does not give it"
        case .accessNeedsDatabase(let route): return "\(route): access other than public needs the database (DatabaseUse.none)"
        case .inlineWithDatabase(let route): return "\(route): an inline route must not use the database"
        case .idempotencyNeedsConnection(let route): return "\(route): an idempotent route must use the database .perRequest"
        }
    }
}

/// What a handler gets: the request, the database connection checked out for it, who is asking, and the clock.
struct RouteContext {
    let request: Request
    let app: App
    /// How the route uses the database (see `DatabaseUse`).
    let database: DatabaseUse
    /// The connection held for the request (`DatabaseUse.perRequest` only).
    let connection: Connection?
    /// Non-nil for every access but `.public`, where it is set only when the request carries valid credentials.
    /// On a `.public` route a helper's credentials do not count: the helper is the public there (`helper` is set).
    let principal: Actor?
    /// A helper's own account on a `.public` route (booking on someone's behalf); nil elsewhere and for everyone else.
    var helper: Actor? = nil
    /// Set while the handler runs inside the framework's own transaction on `connection` (an `Idempotency-Key`
    /// claim): `ctx.db` is that transaction, and `transaction` steps become savepoints inside it.
    var inTransaction = false

    /// The pooled connection held for this request (`DatabaseUse.perRequest`). Use `transaction` for changes that
    /// belong together. Throws for routes declared `.brief` (use `withConnection`) or `.none`.
    var db: Connection {
        get throws {
            guard let connection else { throw RouteDeclarationError.noConnection("\(request.method) \(request.path)") }
            return connection
        }
    }

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

    /// Runs `body` with a connection: the request's own (`.perRequest`), or one borrowed from the pool for just
    /// this call and returned right after (`.brief`).
    /// `timeoutSeconds` bounds the wait for a free connection (readiness answers quickly when the pool is stuck).
    func withConnection<T>(timeoutSeconds: Double? = nil, _ body: (Connection) throws -> T) throws -> T {
        if let connection { return try body(connection) }
        guard database == .brief else { throw RouteDeclarationError.noConnection("\(request.method) \(request.path)") }
        return try app.pool.withConnection(timeoutSeconds: timeoutSeconds, body)
    }

    /// Runs `body` in one transaction (serialization failures are retried): on the request's connection, or for
    /// `.brief` routes on one borrowed for the transaction only.
    /// Inside the framework's transaction (`inTransaction`) the step is a savepoint: it commits with the rest.
    func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        if let connection, inTransaction {
            try connection.execute("SAVEPOINT route_step")
            do {
                let value = try body(connection)
                try connection.execute("RELEASE SAVEPOINT route_step")
                return value
            } catch {
                if !connection.isBroken { _ = try? connection.execute("ROLLBACK TO SAVEPOINT route_step") }
                throw error
            }
        }
        if let connection { return try connection.transaction(body) }
        guard database == .brief else { throw RouteDeclarationError.noConnection("\(request.method) \(request.path)") }
        return try app.pool.transaction(body)
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

/// One declared route: method, path, access, OpenAPI operation and handler, together; where it runs and how it uses
/// the database default to the database workers with a connection per request.
struct DeclaredRoute: Sendable {
    let method: String
    let path: String
    let access: Access
    let operation: OpenAPIOperation
    let execution: RouteExecution
    let database: DatabaseUse
    /// Whether an `Idempotency-Key` header makes retries safe (see `Idempotency.swift`).
    let idempotency: Idempotency
    let handler: @Sendable (RouteContext) throws -> Response

    /// `database` defaults from `execution`: `.inline` → `.none`, `.pool` → `.brief`, `.worker` → `.perRequest`.
    init(method: String, path: String, access: Access, operation: OpenAPIOperation, execution: RouteExecution = .worker,
         database: DatabaseUse? = nil, idempotency: Idempotency = .none,
         handler: @escaping @Sendable (RouteContext) throws -> Response) {
        self.method = method
        self.path = path
        self.access = access
        self.operation = operation
        self.execution = execution
        switch execution {
        case .inline: self.database = database ?? .none
        case .worker: self.database = database ?? .perRequest
        case .pool: self.database = database ?? .brief
        }
        self.idempotency = idempotency
        self.handler = handler
    }

    static func get(_ path: String, _ access: Access, _ operation: OpenAPIOperation, execution: RouteExecution = .worker,
                    database: DatabaseUse? = nil,
                    _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "GET", path: path, access: access, operation: operation, execution: execution, database: database, handler: handler)
    }
    static func post(_ path: String, _ access: Access, _ operation: OpenAPIOperation, execution: RouteExecution = .worker,
                     database: DatabaseUse? = nil, idempotency: Idempotency = .none,
                     _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "POST", path: path, access: access, operation: operation, execution: execution, database: database,
                      idempotency: idempotency, handler: handler)
    }
    static func patch(_ path: String, _ access: Access, _ operation: OpenAPIOperation, execution: RouteExecution = .worker,
                      database: DatabaseUse? = nil,
                      _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "PATCH", path: path, access: access, operation: operation, execution: execution, database: database, handler: handler)
    }
    static func put(_ path: String, _ access: Access, _ operation: OpenAPIOperation, execution: RouteExecution = .worker,
                    database: DatabaseUse? = nil,
                    _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "PUT", path: path, access: access, operation: operation, execution: execution, database: database, handler: handler)
    }
    static func delete(_ path: String, _ access: Access, _ operation: OpenAPIOperation, execution: RouteExecution = .worker,
                       database: DatabaseUse? = nil,
                       _ handler: @escaping @Sendable (RouteContext) throws -> Response) -> DeclaredRoute {
        DeclaredRoute(method: "DELETE", path: path, access: access, operation: operation, execution: execution, database: database, handler: handler)
    }

    /// The operation as documented: an idempotent route also takes the `Idempotency-Key` header.
    var documentedOperation: OpenAPIOperation {
        guard idempotency != .none else { return operation }
        var documented = operation
        documented.headerParameters.append(Idempotency.documentation)
        return documented
    }

    /// The path as OpenAPI writes it: the rest-of-path parameter `{path...}` becomes `{path}`.
    var documentedPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            segment.hasPrefix("{") && segment.hasSuffix("...}") ? String(segment.dropLast(4)) + "}" : String(segment)
        }.joined(separator: "/")
    }
}

/// A feature's routes and the problems its own constraints stand for.
protocol RouteCollection {
    static var routes: [DeclaredRoute] { get }
    /// Constraint name → problem, for the feature's named constraints (unique, check, foreign key, exclusion).
    /// Violations of constraints not listed here fall back to `ErrorMapping`'s generic answers.
    static var constraints: [String: Problem] { get }
}

/// Every feature of the service, each a route collection. The router serves them and the OpenAPI document is
/// generated from them.
enum Features {
    static var all: [any RouteCollection.Type] {
        [AdminRoutes.self, OperationsRoutes.self, SessionRoutes.self, PageRoutes.self,
         QueueRoutes.self, CalendarRoutes.self, AvailabilityRoutes.self,
         AppointmentReadRoutes.self, OpenFormsRoutes.self, AppointmentRoutes.self, ICalendarRoutes.self,
         OutboxRoutes.self, SpeechRoutes.self, HelperRoutes.self, CheckInRoutes.self,
         ContactRoutes.self,
         FloorRoutes.self, DeviceRoutes.self, AccessRoutes.self, ReportRoutes.self,
         CoordinatorRoutes.self]
    }

    static var routes: [(route: DeclaredRoute, constraints: [String: Problem])] {
        all.flatMap { feature in feature.routes.map { ($0, feature.constraints) } }
    }
}

extension App {
    /// Adds every converted feature's routes to the router.
    func registerFeatures(_ r: inout RouteBuilder) {
        for (route, constraints) in Features.routes {
            r.add(route.method, route.path, execution: route.execution.resolve(self)) { [self] request in
                try serve(route, constraints: constraints, request)
            }
        }
    }

    /// Authenticates, checks the declared access, runs the handler, and maps the feature's constraint violations.
    /// The connection is held for the whole request (`.perRequest`), borrowed only to authenticate (`.brief`), or
    /// never taken (`.none`).
    func serve(_ route: DeclaredRoute, constraints: [String: Problem], _ request: Request) throws -> Response {
        if route.execution.isInline && route.database != .none {
            throw RouteDeclarationError.inlineWithDatabase("\(route.method) \(route.path)")
        }
        if route.idempotency != .none && route.database != .perRequest {
            throw RouteDeclarationError.idempotencyNeedsConnection("\(route.method) \(route.path)")
        }
        do {
            switch route.database {
            case .perRequest:
                // The key is checked before a connection is taken: a malformed one is refused without the database.
                let key: String? = if case .keyed = route.idempotency { try Idempotency.key(of: request) } else { nil }
                return try pool.withConnection { db in
                    let (actor, helper) = Self.splitHelper(route.access, try authenticate(route.access, request, db))
                    try enforceScope(route, actor, request, db)
                    var ctx = RouteContext(request: request, app: self, database: .perRequest, connection: db, principal: actor)
                    ctx.helper = helper
                    if let key, case .keyed(let scope) = route.idempotency {
                        return try serveIdempotent(route, scope: scope, key: key, ctx, db)
                    }
                    return try route.handler(ctx)
                }
            case .brief:
                // A public route without credentials needs no lookup at all.
                let needsLookup = route.access != .public || request.bearerToken != nil || !(request.cookie(sessionCookie) ?? "").isEmpty
                let (actor, helper) = Self.splitHelper(route.access, needsLookup ? try pool.withConnection { db in
                    let actor = try authenticate(route.access, request, db)
                    try enforceScope(route, actor, request, db)
                    return actor
                } : nil)
                var ctx = RouteContext(request: request, app: self, database: .brief, connection: nil, principal: actor)
                ctx.helper = helper
                return try route.handler(ctx)
            case .none:
                guard route.access == .public else { throw RouteDeclarationError.accessNeedsDatabase("\(route.method) \(route.path)") }
                return try route.handler(RouteContext(request: request, app: self, database: .none, connection: nil, principal: nil))
            }
        } catch let error as PostgresError {
            if let name = error.constraint, let problem = constraints[name] { throw problem }
            throw error
        }
    }

    /// On a `.public` route a helper is the public (so no public handler mistakes them for staff: urgent numbers,
    /// staff bookings, invitations), and only a handler that asks for `ctx.helper` sees who they are.
    static func splitHelper(_ access: Access, _ actor: Actor?) -> (principal: Actor?, helper: Actor?) {
        guard access == .public, let actor, actor.role == .helper else { return (actor, nil) }
        return (nil, actor)
    }

    func authenticate(_ access: Access, _ request: Request, _ db: Connection) throws -> Actor? {
        switch access {
        // Public routes never fail because of a stale cookie or token: they simply run without an actor.
        case .public:
            do { return try authenticator.actor(request, db) } catch is Problem { return nil }
        case .helper: return try authenticator.require(.helper, request, db)
        case .staff: return try authenticator.require(.staff, request, db)
        case .staffMember: return try authenticator.requireStaffMember(request, db)
        case .coordinator: return try authenticator.require(.coordinator, request, db)
        case .admin: return try authenticator.require(.admin, request, db)
        }
    }
}
