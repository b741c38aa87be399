import Credentials
import HTTP
import Postgres
import Time

/// A staff member's role. Roles are ordered: an admin may do what a coordinator may, and so on. A helper (someone
/// acting on a citizen's behalf, see `HelperScope`) ranks below staff, so every route that needs staff refuses them.
public enum Role: String, Sendable, Comparable {
    case helper, staff, coordinator, admin

    var level: Int {
        switch self {
        case .helper: return -1
        case .staff: return 0
        case .coordinator: return 1
        case .admin: return 2
        }
    }
    public static func < (a: Role, b: Role) -> Bool { a.level < b.level }
}

/// Who is making a request: a logged-in staff member, or the bootstrap admin token (no staff record).
public struct Actor: Sendable {
    public let staffID: String?
    public let agencyID: String?
    public let role: Role
    public let username: String
    public let displayName: String
    public let serviceIDs: [String]
    public let expiresAt: String?

    static let bootstrap = Actor(staffID: nil, agencyID: nil, role: .admin, username: "bootstrap-admin",
                                 displayName: "Bootstrap admin", serviceIDs: [], expiresAt: nil)

    var json: JSON {
        .object([("id", .optional(staffID)), ("username", .string(username)), ("displayName", .string(displayName)),
                 ("role", .string(role.rawValue)), ("agencyId", .optional(agencyID)), ("serviceIds", .strings(serviceIDs))])
    }
}

/// Session cookie name for the staff pages.
let sessionCookie = "loket_session"

/// Authentication: bearer tokens (API clients, tests), the bootstrap admin token, and cookie sessions (the staff
/// pages). A cookie-authenticated request that changes something must carry the session's CSRF token in
/// `X-CSRF-Token`: a form on another site cannot set that header, so it cannot act for a logged-in staff member.
struct Authenticator: Sendable {
    static let bootstrapSettingKey = "bootstrap_admin_token_sha256"
    /// Decides which sessions have expired (the app's clock).
    let clock: any Clock

    /// The actor of a request, or nil if it carries no credentials. Wrong or expired credentials are a 401.
    func actor(_ request: Request, _ db: Connection) throws -> Actor? {
        let fromCookie: Bool
        let token: String
        if let bearer = request.bearerToken {
            token = bearer
            fromCookie = false
        } else if let cookie = request.cookie(sessionCookie), !cookie.isEmpty {
            token = cookie
            fromCookie = true
        } else {
            return nil
        }
        let digest = Credentials.tokenDigest(token)
        // The bootstrap token is accepted as a bearer only, never from a cookie.
        guard let row = try db.first(SessionActor(tokenHash: .bytes(digest), allowBootstrap: !fromCookie, now: clock.now())) else {
            throw Problem.unauthorized("Your session has expired or the token is not valid. Please log in again.")
        }
        if row.bootstrap { return .bootstrap }
        // An unknown role gets the least rights, never staff's.
        let actor = Actor(staffID: row.id, agencyID: row.agencyID, role: Role(rawValue: row.role) ?? .helper,
                          username: row.username, displayName: row.displayName, serviceIDs: row.serviceIDs, expiresAt: row.expiresAt)
        if fromCookie && !["GET", "HEAD", "OPTIONS"].contains(request.method) {
            guard let sent = request.header("x-csrf-token"),
                  Credentials.constantTimeEqual(Array(sent.utf8), Array(Authenticator.csrfToken(forSession: token).utf8)) else {
                throw Problem.forbidden("The CSRF token is missing or wrong. Reload the page and try again.")
            }
        }
        return actor
    }

    /// The CSRF token of a cookie session: derived from the session token, so nothing extra is stored, and only a
    /// page that was given it (or can read the HttpOnly cookie, which scripts cannot) knows it.
    static func csrfToken(forSession token: String) -> String {
        hexString(Credentials.tokenDigest("loket-csrf:" + token))
    }

    /// The actor, who must be logged in with at least `role`.
    func require(_ role: Role, _ request: Request, _ db: Connection) throws -> Actor {
        guard let actor = try actor(request, db) else { throw Problem.unauthorized() }
        guard actor.role >= role else {
            throw Problem.forbidden("This needs the role \(role.rawValue); you are logged in as \(actor.role.rawValue).")
        }
        return actor
    }

    /// A staff member with a staff record (not the bootstrap token), e.g. to serve tickets.
    func requireStaffMember(_ request: Request, _ db: Connection) throws -> Actor {
        let actor = try require(.staff, request, db)
        guard actor.staffID != nil else {
            throw Problem.forbidden("The bootstrap admin token cannot serve visitors; log in as a staff member.")
        }
        return actor
    }

    /// Stores the bootstrap admin token's hash. With a token from the environment it is (re)set; without one, a
    /// token is generated only when none exists yet, and returned so it can be printed once.
    static func ensureBootstrapToken(_ db: Connection, configured: String?) throws -> String? {
        if let configured, !configured.isEmpty {
            try db.run(SettingPut(key: bootstrapSettingKey, value: hexString(Credentials.tokenDigest(configured))))
            return nil
        }
        let token = Credentials.randomToken()
        let inserted = try db.first(SettingInsertIfMissing(key: bootstrapSettingKey, value: hexString(Credentials.tokenDigest(token))))
        return inserted == nil ? nil : token
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
}

/// What stands between a login flood and the rest of Loket, in the order a login meets it: a per-address limit (no
/// database work), a bounded pool of password-hashing threads (503 at once when full), and the per-username throttle
/// (reserved atomically in the database before the password is checked). The login route runs end to end on a small
/// pool of its own (`loginThreads`), so waiting for a hash never occupies a database worker.
final class LoginGuard: Sendable {
    let addresses: LoginAddressLimiter
    let checks: PasswordChecks
    /// The threads the login route runs on: a few more than the hashing places, so logins refused cheaply (429,
    /// 503) are answered even while every place waits for a hash.
    let loginThreads: WorkerPool

    init(configuration: AppConfiguration) {
        addresses = LoginAddressLimiter(perMinute: configuration.loginAttemptsPerMinute, trustedProxies: configuration.trustedProxies)
        checks = PasswordChecks(threads: configuration.passwordHashingThreads, queueLength: 4 * configuration.passwordHashingThreads)
        loginThreads = WorkerPool(threads: checks.capacity + 2, maxQueued: 256, name: "loket-login")
    }

    func shutdown() {
        loginThreads.shutdown()
        checks.shutdown()
    }
}

