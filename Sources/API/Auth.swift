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
    /// What a coordinator may coordinate (see `CoordinatorScope`); loket-wide for everyone else.
    public var scope: CoordinatorScope = .loketWide

    static let bootstrap = Actor(staffID: nil, agencyID: nil, role: .admin, username: "bootstrap-admin",
                                 displayName: "Bootstrap admin", serviceIDs: [], expiresAt: nil)

    /// The scope the framework enforces: a coordinator's own; nil for admins (never limited) and for staff and
    /// helpers, whose walls are their role's.
    var coordinatorLimits: CoordinatorScope? {
        role == .coordinator && scope != .loketWide ? scope : nil
    }

    /// Whether this actor sees and changes every agency's appointments and tickets: admins and loket-wide
    /// coordinators. A coordinator limited to some locations or to their agency sees, on routes shared with staff,
    /// what staff of their own agency see (their wider powers are the `.coordinator` routes, within their scope).
    var seesEveryAgency: Bool {
        role == .admin || (role == .coordinator && coordinatorLimits == nil)
    }

    var json: JSON {
        var fields: [(String, JSON)] = [("id", .optional(staffID)), ("username", .string(username)), ("displayName", .string(displayName)),
                                        ("role", .string(role.rawValue)), ("agencyId", .optional(agencyID)), ("serviceIds", .strings(serviceIDs))]
        if role == .coordinator { fields.append(("scope", scope.json)) }
        return .object(fields)
    }
}

/// What a coordinator coordinates: every location or the listed ones, and every agency's data or only their own
/// agency's. Set by an admin (`PATCH /api/v1/staff/{staffId}` with `scope`); checked by the framework before the
/// handler of every `.coordinator` route (`App.enforceScope`). A coordinator without a scope set is loket-wide, as
/// every coordinator was before scopes existed: an admin made them coordinator, and narrowing is the admin's step.
public struct CoordinatorScope: Sendable, Equatable {
    /// nil: every location; otherwise only these (an empty list: none).
    public var locationIDs: [String]?
    /// Only the coordinator's own agency's staff, appointment types and data.
    public var ownAgencyOnly: Bool

    public static let loketWide = CoordinatorScope(locationIDs: nil, ownAgencyOnly: false)

    public init(locationIDs: [String]?, ownAgencyOnly: Bool) {
        self.locationIDs = locationIDs.map { $0.map { $0.lowercased() }.sorted() }
        self.ownAgencyOnly = ownAgencyOnly
    }

    func allows(location: String) -> Bool { locationIDs.map { $0.contains(location.lowercased()) } ?? true }

    var json: JSON {
        .object([("allLocations", .bool(locationIDs == nil)), ("locationIds", .strings(locationIDs ?? [])),
                 ("ownAgencyOnly", .bool(ownAgencyOnly))])
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
    /// A session unused this long has ended (`LOKET_SESSION_IDLE_MINUTES`; 0: only the absolute expiry).
    var idleMinutes = 30

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
        let now = clock.now()
        guard let row = try db.first(SessionActor(tokenHash: .bytes(digest), allowBootstrap: !fromCookie, now: now, idleMinutes: idleMinutes)) else {
            throw Problem.unauthorized("Your session has expired or the token is not valid. Please log in again.")
        }
        if row.bootstrap { return .bootstrap }
        // At most once a minute per session: idle expiry needs to know the session is in use, not every request.
        // A failed touch (a read-only database) costs at most a shorter idle window, never the request.
        if row.touch { _ = try? db.run(SessionTouch(tokenHash: .bytes(digest), now: now)) }
        // An unknown role gets the least rights, never staff's.
        var actor = Actor(staffID: row.id, agencyID: row.agencyID, role: Role(rawValue: row.role) ?? .helper,
                          username: row.username, displayName: row.displayName, serviceIDs: row.serviceIDs, expiresAt: row.expiresAt)
        actor.scope = CoordinatorScope(locationIDs: row.allLocations ? nil : row.locationIDs, ownAgencyOnly: row.ownAgencyOnly)
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

