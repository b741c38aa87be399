import Credentials
import HTTP
import Postgres

// Sessions: log in (bearer token for API clients, or an HttpOnly cookie for the staff pages), the current session,
// log out. The SQL is `SQL/sessions.sql` through the types of `SessionStatements.swift`.

struct LoginBody: Decodable {
    let username: String
    let password: String
    let cookie: Bool?
}

private let tag = "sessions"

enum SessionRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        // On the login pool, holding no database connection: the throttle and the session are short steps before
        // and after the Argon2id check (~0.1 s of a core), which must never keep a pooled connection idle.
        .post("/api/v1/sessions", .public,
              OpenAPIOperation("logIn", summary: "Log in", tag: tag, body: "Login", responses: [.init(201, "Logged in", "Session")]),
              execution: .logins, database: .brief) { ctx in
            try login(ctx)
        },
        .get("/api/v1/sessions/current", .helper,
             OpenAPIOperation("getCurrentSession", summary: "The current session", tag: tag, responses: [.init(200, "Session", "CurrentSession")])) { ctx in
            let actor = try ctx.actor
            var fields: [(String, JSON)] = [("expiresAt", .optional(actor.expiresAt))]
            if ctx.request.bearerToken == nil, let cookie = ctx.request.cookie(sessionCookie) {
                fields.append(("csrfToken", .string(Authenticator.csrfToken(forSession: cookie))))
            }
            fields.append(("staff", actor.json))
            return .json(.object(fields))
        },
        .delete("/api/v1/sessions/current", .helper,
                OpenAPIOperation("logOut", summary: "Log out", tag: tag, responses: [.init(204, "Logged out")])) { ctx in
            if let token = ctx.request.bearerToken ?? ctx.request.cookie(sessionCookie) {
                try ctx.db.run(SessionDelete(tokenHash: .bytes(Credentials.tokenDigest(token))))
            }
            return Response(status: 204, headers: [("Set-Cookie", "\(sessionCookie)=; Path=/; HttpOnly; SameSite=Strict\(ctx.app.cookieSecurity(ctx.request)); Max-Age=0")])
        },
    ]

    /// The longest password a login checks. Argon2id hashes any length, but one request must not buy minutes of it.
    static let maxPasswordBytes = 1_024

    /// The shape `staff.username` allows (`staff_username_check`): 2–64 of a–z, 0–9, `.`, `_`, `-`, starting with a
    /// letter or digit. Anything else cannot be an account.
    static func isPossibleUsername(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (2...64).contains(bytes.count) else { return false }
        func letterOrDigit(_ b: UInt8) -> Bool { (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) }
        return letterOrDigit(bytes[0]) && bytes.dropFirst().allSatisfy { letterOrDigit($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    static func login(_ ctx: RouteContext) throws -> Response {
        let app = ctx.app
        let logins = app.logins
        let body = try ctx.decode(LoginBody.self)
        let username = body.username.trimmingSpaces.lowercased()
        let address = try logins.addresses.reserve(ctx.request)
        // A name no account can have, or an oversized password, is a wrong login (401, still counted against the
        // address) that never reaches the database: the throttle's key is the username, and kilobytes of junk as a
        // btree key fail the insert (SQLSTATE 54000) and would otherwise stay a day as throttle rows.
        guard isPossibleUsername(username), body.password.utf8.count <= maxPasswordBytes else {
            throw Problem.unauthorized("The username or password is wrong.")
        }
        // Only attempts whose password was checked and wrong (or refused by the account throttle) stay counted.
        var counted = true
        defer { if !counted { logins.addresses.refund(address) } }
        let checked = try logins.checks.withPlace { place -> (String, String) in
            // The attempt is counted for the username before the password is checked, in one statement, so parallel
            // guesses cannot all pass a check made before any of them failed. The connection goes back before hashing.
            let (reserve, row) = try ctx.withConnection { db in
                (try db.first(ThrottleReserve(username: username, now: ctx.now)), try db.first(StaffForLogin(username: username)))
            }
            guard let reserve, reserve.allowed else {
                let wait = reserve?.wait ?? 1
                throw Problem.tooManyRequests("Too many wrong passwords for this account. Try again in \(wait) seconds.", retryAfterSeconds: wait)
            }
            // Unknown usernames are checked against a decoy hash, so they take as long as a wrong password.
            let passwordOK = place.verify(body.password, hash: row?.passwordHash ?? Credentials.decoyHash)
            guard let row, passwordOK, row.active else {
                throw Problem.unauthorized("The username or password is wrong.")
            }
            return (row.id, Credentials.randomToken())
        }
        guard let (staffID, token) = checked else {
            counted = false
            throw Problem.unavailable("Too many logins at once. Please try again in a moment.", retryAfterSeconds: 2)
        }
        let csrf = body.cookie == true ? Authenticator.csrfToken(forSession: token) : nil
        let (expiresAt, actor) = try ctx.transaction { db -> (String, Actor?) in
            try db.run(ThrottleClear(username: username))
            guard let session = try db.first(SessionInsert(tokenHash: .bytes(Credentials.tokenDigest(token)), staffID: staffID,
                                                           hours: app.configuration.sessionHours, now: ctx.now)) else {
                throw Problem.unauthorized("The username or password is wrong.")
            }
            var r = ctx.request
            r.headers["authorization"] = "Bearer \(token)"
            return (session.expiresAt, try app.authenticator.actor(r, db))
        }
        counted = false
        // A cookie login never puts the session token in the body: the cookie is HttpOnly so that scripts (and so
        // an injected script) cannot read it, and the body would hand it to them. The page gets the CSRF token.
        var fields: [(String, JSON)] = []
        if let csrf {
            fields.append(("csrfToken", .string(csrf)))
        } else {
            fields.append(("token", .string(token)))
        }
        fields.append(("expiresAt", .string(expiresAt)))
        fields.append(("staff", actor?.json ?? .null))
        var headers: [(String, String)] = []
        if body.cookie == true {
            headers.append(("Set-Cookie", "\(sessionCookie)=\(token); Path=/; HttpOnly; SameSite=Strict\(app.cookieSecurity(ctx.request)); Max-Age=\(app.configuration.sessionHours * 3600)"))
        }
        return .json(.object(fields), status: 201, headers: headers)
    }
}

extension App {
    /// Behind HTTPS (LOKET_PUBLIC_URL https://…) the session cookie is never sent over plain HTTP.
    var cookieSecurity: String {
        (configuration.publicURL ?? "").lowercased().hasPrefix("https://") ? "; Secure" : ""
    }

    /// `Secure` also when a trusted proxy (LOKET_TRUSTED_PROXIES) says the client came over TLS
    /// (`X-Forwarded-Proto: https`), so a TLS proxy in front is enough even without LOKET_PUBLIC_URL. The header
    /// counts only from a trusted proxy: anyone else could send it.
    func cookieSecurity(_ request: Request) -> String {
        if !cookieSecurity.isEmpty { return cookieSecurity }
        let proto = (request.header("x-forwarded-proto") ?? "").split(separator: ",").first.map { String($0).trimmingSpaces.lowercased() }
        return configuration.trustedProxies.contains(request.clientAddress) && proto == "https" ? "; Secure" : ""
    }
}
