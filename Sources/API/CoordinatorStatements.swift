import Postgres
import Scheduling
import Time

// The statements of `SQL/coordinator.sql`, one type each (see TicketStatements.swift for the pattern).

/// A statement of `coordinator.sql`.
protocol CoordinatorStatement: Statement {}
extension CoordinatorStatement {
    static var library: SQLLibrary { Statements.coordinator }
    static var libraryName: String { "coordinator" }
}

enum CoordinatorStatements {
    static let all: [any Statement.Type] = [CoordinatorStaffDirectory.self, CoordinatorNames.self, CoordinatorStaffWeek.self,
                                            CoordinatorFindReference.self]
}

/// Active staff who can take part in appointments, with agency and services, as a JSON array.
struct CoordinatorStaffDirectory: CoordinatorStatement {
    static let sqlName = "coordinator_staff_directory"
    struct Row: Decodable, Sendable { let j: String }
    /// Only this agency's staff; nil for all.
    let agencyID: String?
}

/// What a proposal shows of its staff, services and room.
struct CoordinatorNames: CoordinatorStatement {
    static let sqlName = "coordinator_names"
    struct Row: Decodable, Sendable {
        /// "staff", "service" or "room".
        let kind: String
        let id: String
        let name: String
        let agency_id: String?
        let agency_name: String?
        let capacity: Int
    }
    let staffIDs: [String]
    let serviceIDs: [String]
    let roomIDs: [String]
}

/// Seven days of availability, absences (times only) and live appointments of the given staff, as one JSON object.
struct CoordinatorStaffWeek: CoordinatorStatement {
    static let sqlName = "coordinator_staff_week"
    struct Row: Decodable, Sendable { let j: String }
    let locationID: String
    /// The first local date, YYYY-MM-DD.
    let from: String
    let staffIDs: [String]
    var statuses: [String] = AppointmentStatus.allCases.filter(\.reservesResources).map(\.rawValue)
    let now: Instant
}

/// The appointment a reference names at a location (newest booking year): id and status only.
struct CoordinatorFindReference: CoordinatorStatement {
    static let sqlName = "coordinator_find_reference"
    struct Row: Decodable, Sendable { let id: String; let status: String }
    let locationID: String
    let reference: String
}
