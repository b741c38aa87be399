import Postgres
import Time

// The statements of `SQL/admin.sql`, one type each: stored properties are the parameters in `$n` order, `Row` is
// what one result row decodes to. `AdminStatements.all` lists every type; StatementTests ties them to the file.

/// A statement of `admin.sql`.
protocol AdminStatement: Statement {}
extension AdminStatement {
    static var library: SQLLibrary { Statements.admin }
    static var libraryName: String { "admin" }
}

/// A row rendered as JSON by PostgreSQL (`json_build_object(…)::text AS j`): passed to the client as it is.
struct JSONRow: Decodable, Sendable { let j: String }
/// The id of a row just written.
struct IDRow: Decodable, Sendable { let id: String }

enum AdminStatements {
    static let all: [any Statement.Type] = [
        AgencyInsert.self, AgencyList.self, AgencyGet.self, AgencyUpdate.self,
        LocationInsert.self, LocationList.self, LocationGet.self, LocationUpdate.self,
        DeskInsert.self, DeskList.self, DeskGet.self, DeskUpdate.self,
        ServiceInsert.self, ServiceSetLocations.self, ServiceUpdate.self, ServiceGet.self, ServiceList.self,
        StaffInsert.self, StaffSetServices.self, StaffUpdate.self, StaffEndSessions.self, StaffGet.self, StaffList.self,
        AuditInsert.self, CloseLocationDay.self, ReopenLocationDay.self, KioskInsert.self, KioskDeviceValid.self,
    ]
}

// MARK: Agencies

struct AgencyInsert: AdminStatement {
    static let sqlName = "agency_insert"
    typealias Row = JSONRow
    let code: String?
    let name: String?
    let ticketPrefix: String?
}

struct AgencyList: AdminStatement {
    static let sqlName = "agency_list"
    typealias Row = JSONRow
    let includeInactive: Bool
}

struct AgencyGet: AdminStatement {
    static let sqlName = "agency_get"
    typealias Row = JSONRow
    let id: String
}

struct AgencyUpdate: AdminStatement {
    static let sqlName = "agency_update"
    typealias Row = JSONRow
    let id: String
    var name: String? = nil
    var active: Bool? = nil
    var ticketPrefix: String? = nil
    /// Days after an appointment that its personal data is kept (the retention purge; 1–3650).
    var appointmentRetentionDays: Int? = nil
}

// MARK: Locations

struct LocationInsert: AdminStatement {
    static let sqlName = "location_insert"
    typealias Row = JSONRow
    let code: String?
    let name: String?
    let timeZone: String
}

struct LocationList: AdminStatement {
    static let sqlName = "location_list"
    typealias Row = JSONRow
    let includeInactive: Bool
}

struct LocationGet: AdminStatement {
    static let sqlName = "location_get"
    typealias Row = JSONRow
    let id: String
}

struct LocationUpdate: AdminStatement {
    static let sqlName = "location_update"
    typealias Row = JSONRow
    let id: String
    var name: String? = nil
    var timeZone: String? = nil
    var active: Bool? = nil
}

// MARK: Desks

struct DeskInsert: AdminStatement {
    static let sqlName = "desk_insert"
    typealias Row = JSONRow
    let locationID: String
    let name: String?
}

struct DeskList: AdminStatement {
    static let sqlName = "desk_list"
    typealias Row = JSONRow
    let locationID: String
    let includeInactive: Bool
}

struct DeskGet: AdminStatement {
    static let sqlName = "desk_get"
    typealias Row = JSONRow
    let id: String
}

struct DeskUpdate: AdminStatement {
    static let sqlName = "desk_update"
    typealias Row = JSONRow
    let id: String
    var name: String? = nil
    var active: Bool? = nil
}

// MARK: Services

struct ServiceInsert: AdminStatement {
    static let sqlName = "service_insert"
    typealias Row = IDRow
    let agencyID: String?
    let code: String?
    let name: String?
    /// Nil: the service uses its agency's default prefix.
    let ownTicketPrefix: String?
    let durationMinutes: Int?
    let urgent: Bool
    let locationIDs: [String]
    let lifeQuestion: String?
    let translations: String?
    let sensitive: Bool
}

struct ServiceSetLocations: AdminStatement {
    static let sqlName = "service_set_locations"
    let id: String
    let locationIDs: [String]
}

struct ServiceUpdate: AdminStatement {
    static let sqlName = "service_update"
    typealias Row = IDRow
    let id: String
    var name: String? = nil
    var ownTicketPrefix: String? = nil
    var durationMinutes: Int? = nil
    var urgent: Bool? = nil
    var lifeQuestion: String? = nil
    var translations: String? = nil
    var active: Bool? = nil
    /// True drops the service's own prefix, so it follows its agency's default again.
    var useAgencyPrefix: Bool = false
    var sensitive: Bool? = nil
}

struct ServiceGet: AdminStatement {
    static let sqlName = "service_get"
    typealias Row = JSONRow
    let id: String
}

struct ServiceList: AdminStatement {
    static let sqlName = "service_list"
    typealias Row = JSONRow
    let includeInactive: Bool
    let agencyID: String?
}

// MARK: Staff

struct StaffInsert: AdminStatement {
    static let sqlName = "staff_insert"
    typealias Row = IDRow
    let agencyID: String?
    let username: String?
    let passwordHash: String
    let displayName: String?
    let role: String?
    let serviceIDs: [String]
}

struct StaffSetServices: AdminStatement {
    static let sqlName = "staff_set_services"
    let id: String
    let serviceIDs: [String]
}

struct StaffUpdate: AdminStatement {
    static let sqlName = "staff_update"
    typealias Row = IDRow
    let id: String
    var displayName: String? = nil
    var role: String? = nil
    var passwordHash: String? = nil
    var active: Bool? = nil
}

struct StaffEndSessions: AdminStatement {
    static let sqlName = "staff_end_sessions"
    let staffID: String
}

struct StaffGet: AdminStatement {
    static let sqlName = "staff_get"
    typealias Row = JSONRow
    let id: String
}

struct StaffList: AdminStatement {
    static let sqlName = "staff_list"
    typealias Row = JSONRow
    let includeInactive: Bool
    let agencyID: String?
}

// MARK: Audit, closure, kiosks

/// One audit record: who did what to which subject; `detail` holds field names, never values.
struct AuditInsert: AdminStatement {
    static let sqlName = "audit"
    let staffID: String?
    let agencyID: String?
    let action: String
    let subjectType: String
    let subjectID: String?
    let detail: String?
}

struct CloseLocationDay: AdminStatement {
    static let sqlName = "close_location_day"
    struct Row: Decodable, Sendable { let day: String }
    let locationID: String
    let reason: String?
    let closedBy: String?
    let now: Instant
}

/// One row when the location exists (whether or not it was closed today), none when it does not.
struct ReopenLocationDay: AdminStatement {
    static let sqlName = "reopen_location_day"
    typealias Row = IDRow
    let locationID: String
    let now: Instant
}

struct KioskInsert: AdminStatement {
    static let sqlName = "kiosk_insert"
    typealias Row = JSONRow
    let locationID: String
    let name: String?
    let tokenHash: PostgresValue
}

struct KioskDeviceValid: AdminStatement {
    static let sqlName = "kiosk_device_valid"
    let tokenHash: PostgresValue
    let locationID: String
}
