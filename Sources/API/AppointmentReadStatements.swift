import Postgres
import Time

// The statements of `SQL/appointment_reads.sql`: the staff lists and single reads behind the agency wall, and the
// citizen's manage link.

/// A statement of `appointment_reads.sql`.
protocol AppointmentReadStatement: Statement {}
extension AppointmentReadStatement {
    static var library: SQLLibrary { Statements.appointmentReads }
    static var libraryName: String { "appointment_reads" }
}

enum AppointmentReadStatements {
    static let all: [any Statement.Type] = [AppointmentReadList.self, AppointmentReadOne.self, AppointmentReadManage.self]
}

/// One page of appointments whose start lies in [from, to), ordered by start and id, behind the agency wall.
struct AppointmentReadList: AppointmentReadStatement {
    static let sqlName = "appointment_read_list"
    struct Row: Decodable, Sendable {
        /// appointment_json with the citizen's fields.
        let j: String
        let id: String
        /// The start in epoch microseconds, for the cursor.
        let start_us: String
    }
    /// Coordinators and admins: every appointment; staff: only those their agency takes part in.
    let all: Bool
    let agencyID: String?
    let locationID: String?
    let from: Instant
    let to: Instant
    let staffID: String?
    let statuses: [String]?
    let afterStart: Instant?
    let afterID: String?
    let limit: Int
}

/// One appointment with the citizen's fields, or no row when it does not exist or lies behind the agency wall.
struct AppointmentReadOne: AppointmentReadStatement {
    static let sqlName = "appointment_read_one"
    struct Row: Decodable, Sendable { let j: String }
    let id: String
    let all: Bool
    let agencyID: String?
}

/// The appointment of a manage token (its SHA-256) while the citizen may still manage it, with location and type.
struct AppointmentReadManage: AppointmentReadStatement {
    static let sqlName = "appointment_read_manage"
    struct Row: Decodable, Sendable { let j: String }
    let tokenHash: PostgresValue
    let now: Instant
    let statuses: [String]
}
