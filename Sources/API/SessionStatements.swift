import Postgres
import Time

// The statements of `SQL/sessions.sql`, one type each (see `Postgres/Statement.swift`). `SessionStatements.all`
// lists every type; StatementTests ties them to the file.

/// A statement of `sessions.sql`.
protocol SessionStatement: Statement {}
extension SessionStatement {
    static var library: SQLLibrary { Statements.sessions }
    static var libraryName: String { "sessions" }
}

enum SessionStatements {
    static let all: [any Statement.Type] = [
        StaffForLogin.self, ThrottleReserve.self, ThrottleClear.self, SessionInsert.self, SessionActor.self, SessionTouch.self, SessionDelete.self,
        SettingPut.self, SettingInsertIfMissing.self, PurgeSessions.self, PurgeLoginThrottle.self,
    ]
}

/// The account a login names (any letter case).
struct StaffForLogin: SessionStatement {
    static let sqlName = "staff_for_login"
    struct Row: Decodable, Sendable {
        let id: String
        let passwordHash: String
        let active: Bool
        enum CodingKeys: String, CodingKey { case id, passwordHash = "password_hash", active }
    }
    let username: String
}

/// Reserves one password check for the username, or says how long to wait.
struct ThrottleReserve: SessionStatement {
    static let sqlName = "throttle_reserve"
    struct Row: Decodable, Sendable {
        let allowed: Bool
        let wait: Int
    }
    let username: String
    let now: Instant
}

struct ThrottleClear: SessionStatement {
    static let sqlName = "throttle_clear"
    let username: String
}

struct SessionInsert: SessionStatement {
    static let sqlName = "session_insert"
    struct Row: Decodable, Sendable {
        let expiresAt: String
        enum CodingKeys: String, CodingKey { case expiresAt = "expires_at" }
    }
    /// SHA-256 of the session token: the token itself is never stored.
    let tokenHash: PostgresValue
    let staffID: String
    let hours: Int
    let now: Instant
}

/// The actor of a token digest: a live staff session, or (bearer only) the bootstrap admin token.
struct SessionActor: SessionStatement {
    static let sqlName = "session_actor"
    struct Row: Decodable, Sendable {
        let bootstrap: Bool
        let id: String?
        let agencyID: String?
        let role: String
        let username: String
        let displayName: String
        let expiresAt: String?
        let serviceIDs: [String]
        let allLocations: Bool
        let ownAgencyOnly: Bool
        let locationIDs: [String]
        /// Last seen over a minute ago: record this use (`SessionTouch`).
        let touch: Bool
        enum CodingKeys: String, CodingKey {
            case bootstrap, id, agencyID = "agency_id", role, username, displayName = "display_name", expiresAt = "expires_at"
            case serviceIDs = "service_ids", allLocations = "all_locations", ownAgencyOnly = "own_agency_only"
            case locationIDs = "location_ids", touch
        }
    }
    let tokenHash: PostgresValue
    /// False for cookies: the bootstrap token is accepted as a bearer token only.
    let allowBootstrap: Bool
    let now: Instant
    /// A session unused this long has ended (0: only the absolute expiry counts).
    let idleMinutes: Int
}

/// Records that a session was used now (idle expiry counts from here).
struct SessionTouch: SessionStatement {
    static let sqlName = "session_touch"
    let tokenHash: PostgresValue
    let now: Instant
}

struct SessionDelete: SessionStatement {
    static let sqlName = "session_delete"
    let tokenHash: PostgresValue
}

struct SettingPut: SessionStatement {
    static let sqlName = "setting_put"
    let key: String
    let value: String
}

/// Returns the key only when it was inserted (nothing when it existed).
struct SettingInsertIfMissing: SessionStatement {
    static let sqlName = "setting_insert_if_missing"
    struct Row: Decodable, Sendable { let key: String }
    let key: String
    let value: String
}

/// Deletes sessions expired more than a day before `now`.
struct PurgeSessions: SessionStatement {
    static let sqlName = "purge_sessions"
    let now: Instant
}

/// Forgets login throttles whose last failure is more than a day before `now`.
struct PurgeLoginThrottle: SessionStatement {
    static let sqlName = "purge_login_throttle"
    let now: Instant
}
