import Locking
/// Where a handler runs. Work that touches the database runs on the worker threads (the server suspends the
/// connection meanwhile); quick work that never blocks (health, static files) answers right on the network thread.
public enum Execution: Sendable, Equatable {
    case inline
    case worker
    /// On a small pool of its own instead of the database workers: for slow CPU-bound work (password hashing on
    /// login) that must never occupy the threads every kiosk, display and desk request needs. A full pool is a 503.
    case pool(WorkerPool)

    /// The pool this route runs on when not the server's database workers.
    public var separatePool: WorkerPool? {
        if case .pool(let p) = self { return p }
        return nil
    }

    public static func == (a: Execution, b: Execution) -> Bool {
        switch (a, b) {
        case (.inline, .inline), (.worker, .worker): return true
        case (.pool(let x), .pool(let y)): return x === y
        default: return false
        }
    }
}

public typealias Handler = @Sendable (Request) throws -> Response

/// One route: a method and a path pattern with `{name}` segments, e.g. `/api/v1/tickets/{ticketId}`.
public struct Route: Sendable {
    public let method: String
    public let pattern: String
    public let execution: Execution
    let segments: [Segment]
    let handler: Handler

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        /// Matches the rest of the path (for static files): `{path...}`.
        case rest(String)
    }
}

/// Matches requests to routes. Pure and in-process, so tests can call `respond(to:)` without a socket.
public final class Router: Sendable {
    private let routes: [Route]
    private let errorMapper: @Sendable (Error) -> Problem?

    /// `errorMapper` turns errors of lower layers (database, domain) into problems; anything it does not know
    /// becomes a generic 500 and is reported to the log.
    public init(routes: [Route], errorMapper: @escaping @Sendable (Error) -> Problem? = { _ in nil }) {
        self.routes = routes
        self.errorMapper = errorMapper
    }

    /// All routes, for the OpenAPI document test and `/metrics` labels.
    public var allRoutes: [(method: String, pattern: String)] {
        routes.map { ($0.method, $0.pattern) }
    }

    /// Finds the route for a request and fills its path parameters. A path that exists with another method is 405.
    public func match(_ request: inout Request) -> Result<Route, Problem> {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var pathMatched = false
        let method = request.method == "HEAD" ? "GET" : request.method
        for route in routes {
            guard let params = Router.match(route.segments, parts) else { continue }
            pathMatched = true
            if route.method == method {
                request.parameters = params
                return .success(route)
            }
        }
        if pathMatched {
            let allowed = routes.filter { Router.match($0.segments, parts) != nil }.map(\.method)
            return .failure(Problem(status: 405, title: "Method not allowed",
                                    detail: "\(request.method) is not allowed here. Allowed: \(allowed.joined(separator: ", ")).",
                                    headers: [("Allow", allowed.joined(separator: ", "))]))
        }
        return .failure(.notFound("There is nothing at \(request.path)."))
    }

    /// Runs the matched handler; every thrown error becomes a problem response, so no handler can crash the server.
    public func respond(to request: Request) -> (response: Response, routeName: String) {
        var request = request
        switch match(&request) {
        case .failure(let problem):
            return (problem.response, problem.status == 404 ? "unmatched" : "method-not-allowed")
        case .success(let route):
            return (run(route, request), route.pattern)
        }
    }

    func run(_ route: Route, _ request: Request) -> Response {
        if let problem = Router.nulProblem(request) { return problem.response }
        do {
            return try route.handler(request)
        } catch let problem as Problem {
            return problem.response
        } catch {
            if let problem = errorMapper(error) { return problem.response }
            ErrorReporter.report(error, route: route.pattern)
            return Problem.internalError.response
        }
    }

    /// Input holding U+0000 is refused before any handler sees it: PostgreSQL and C would cut the text at the NUL
    /// and store a silently different value. Checked here, once, so no handler can forget it.
    static func nulProblem(_ request: Request) -> Problem? {
        if let name = NulCharacters.firstName(in: request.parameters) ?? NulCharacters.firstName(in: request.query) {
            return Problem(status: 400, title: "Bad request", detail: "The path or query value '\(name.replacingNul)' contains a NUL character (U+0000).")
        }
        guard !request.body.isEmpty, let field = NulCharacters.firstField(inJSON: request.body) else { return nil }
        return .unprocessable("Text may not contain the NUL character (U+0000).",
                              invalidParams: [.init(name: field, reason: "Contains the NUL character (U+0000), which is not allowed in text.")])
    }

    static func match(_ segments: [Route.Segment], _ parts: [String]) -> [String: String]? {
        var params: [String: String] = [:]
        var i = 0
        for segment in segments {
            switch segment {
            case .literal(let s):
                guard i < parts.count, parts[i] == s else { return nil }
            case .parameter(let name):
                guard i < parts.count, !parts[i].isEmpty else { return nil }
                params[name] = parts[i]
            case .rest(let name):
                guard i < parts.count else { return nil }
                params[name] = parts[i...].joined(separator: "/")
                return params
            }
            i += 1
        }
        return i == parts.count ? params : nil
    }
}

/// Where unexpected handler errors go (the server logs them); the client only ever sees a generic 500.
public enum ErrorReporter {
    public typealias Sink = @Sendable (Error, String) -> Void
    private static let sink = LockedValue<Sink?>(nil)
    public static func install(_ s: @escaping Sink) { sink.set(s) }
    static func report(_ error: Error, route: String) { sink.get()?(error, route) }
}

/// Builds a route table with a small DSL: `routes.get("/api/v1/agencies/{agencyId}") { req in … }`.
public struct RouteBuilder {
    public private(set) var routes: [Route] = []
    public init() {}

    public mutating func add(_ method: String, _ pattern: String, execution: Execution = .worker, _ handler: @escaping Handler) {
        let segments: [Route.Segment] = pattern.split(separator: "/").map { part in
            if part.hasPrefix("{") && part.hasSuffix("...}") { return .rest(String(part.dropFirst().dropLast(4))) }
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        routes.append(Route(method: method, pattern: pattern, execution: execution, segments: segments, handler: handler))
    }
    public mutating func get(_ p: String, execution: Execution = .worker, _ h: @escaping Handler) { add("GET", p, execution: execution, h) }
    public mutating func post(_ p: String, execution: Execution = .worker, _ h: @escaping Handler) { add("POST", p, execution: execution, h) }
    public mutating func patch(_ p: String, execution: Execution = .worker, _ h: @escaping Handler) { add("PATCH", p, execution: execution, h) }
    public mutating func put(_ p: String, execution: Execution = .worker, _ h: @escaping Handler) { add("PUT", p, execution: execution, h) }
    public mutating func delete(_ p: String, execution: Execution = .worker, _ h: @escaping Handler) { add("DELETE", p, execution: execution, h) }
}
