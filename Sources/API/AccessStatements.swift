import Postgres
import Time

// The statements of `SQL/access.sql`, one type each (see `Postgres/Statement.swift`). `AccessStatements.all` lists
// every type; StatementTests ties them to the file.

/// A statement of `access.sql`.
protocol AccessStatement: Statement {}
extension AccessStatement {
    static var library: SQLLibrary { Statements.access }
    static var libraryName: String { "access" }
}

enum AccessStatements {
    static let all: [any Statement.Type] = [
        ScopeSubjects.self, StaffSetScope.self, StaffRevokeSessions.self, AuditSearch.self, AuditRetentionGet.self, AuditPurge.self,
    ]
}

/// The locations and agencies a coordinator route's path names through a room, desk, staff member or appointment type.
struct ScopeSubjects: AccessStatement {
    static let sqlName = "scope_subjects"
    struct Row: Decodable, Sendable {
        let locationIDs: [String]
        let agencyIDs: [String]
        enum CodingKeys: String, CodingKey { case locationIDs = "location_ids", agencyIDs = "agency_ids" }
    }
    let roomID: String?
    let deskID: String?
    let staffID: String?
    let appointmentTypeID: String?
}

/// Sets a coordinator's scope (nil: unchanged). One row when the staff member exists.
struct StaffSetScope: AccessStatement {
    static let sqlName = "staff_set_scope"
    typealias Row = IDRow
    let id: String
    let allLocations: Bool?
    let ownAgencyOnly: Bool?
    let locationIDs: [String]?
}

/// Ends every session of a staff member; one row (with the count) when they exist.
struct StaffRevokeSessions: AccessStatement {
    static let sqlName = "staff_revoke_sessions"
    struct Row: Decodable, Sendable { let id: String; let revoked: Int }
    let staffID: String
}

/// Audit entries, newest first, by actor, object, person and period, before a cursor.
struct AuditSearch: AccessStatement {
    static let sqlName = "audit_search"
    struct Row: Decodable, Sendable { let id: String; let j: String }
    let actor: String?
    let objectType: String?
    let objectID: String?
    let person: String?
    let from: String?
    let to: String?
    let before: String?
    let limit: Int
}

/// The audit retention in days as the purge applies it (the setting, never below 30).
struct AuditRetentionGet: AccessStatement {
    static let sqlName = "audit_retention_get"
    struct Row: Decodable, Sendable { let days: Int }
}

/// Deletes audit entries older than the retention (through `audit_purge()`); returns how many.
struct AuditPurge: AccessStatement {
    static let sqlName = "audit_purge"
    struct Row: Decodable, Sendable { let deleted: Int }
    let now: Instant
}
