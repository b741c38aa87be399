import Postgres
import Time

// The statements of `SQL/checkins.sql`, one type each (see TicketStatements.swift for the pattern).

/// A statement of `checkins.sql`.
protocol CheckInStatement: Statement {}
extension CheckInStatement {
    static var library: SQLLibrary { Statements.checkIns }
    static var libraryName: String { "checkins" }
}

enum CheckInStatements {
    static let all: [any Statement.Type] = [CheckInFind.self, CheckInTake.self, CheckInExisting.self]
}

/// The appointment to check in (by reference at the kiosk, by id at the desk), locked, with what the rule needs.
struct CheckInFind: CheckInStatement {
    static let sqlName = "check_in_find"
    struct Row: Decodable, Sendable {
        let locationFound: Int, locationID: String?, isOpen: Bool
        let appointmentID: String?, status: String?, today: Bool, startsAtMicros: Int?, citizenLanguage: String?
        let staffIDs: [String]?, agencies: [String]?, serviceID: String?, roomID: String?
        enum CodingKeys: String, CodingKey {
            case locationFound = "location_found", locationID = "location_id", isOpen = "is_open", appointmentID = "appointment_id", status, today
            case startsAtMicros = "starts_at_micros", citizenLanguage = "citizen_language"
            case staffIDs = "staff_ids", agencies, serviceID = "service_id", roomID = "room_id"
        }
    }
    /// Null for staff checking in by id: the appointment's location.
    let locationID: String?
    let reference: String?
    let appointmentID: String?
    let now: Instant
}

/// Moves the appointment to checked in and draws its ticket with the queue fields the rule decided.
struct CheckInTake: CheckInStatement {
    static let sqlName = "check_in_take"
    struct Row: Decodable, Sendable {
        let serviceFound: Int, moved: Int
        let id: String?, number: String?, serviceID: String?, locationID: String?, priority: String?, status: String?
        let language: String?, late: Bool?, createdAt: String?, dueAt: String?, roomName: String?, ahead: Int?
        enum CodingKeys: String, CodingKey {
            case serviceFound = "service_found", moved, id, number, serviceID = "service_id", locationID = "location_id"
            case priority, status, language, late, createdAt = "created_at", dueAt = "due_at", roomName = "room_name", ahead
        }
    }
    let locationID: String
    let appointmentID: String
    let serviceID: String
    let priority: String
    let dueAt: Instant
    let late: Bool
    let offeredTo: [String]?
    let offeredUntil: Instant?
    let roomID: String?
    let language: String
    let createdBy: String?
    let now: Instant
    /// AppointmentStateMachine's sources and target of `checkIn`.
    let sources: [String]
    let target: String
    var countAtMost: Int = TakeNumber.positionLimit
}

/// The ticket of an earlier check-in of the same appointment.
struct CheckInExisting: CheckInStatement {
    static let sqlName = "check_in_existing"
    struct Row: Decodable, Sendable {
        let id: String, number: String, serviceID: String, locationID: String, priority: String, status: String
        let language: String, late: Bool, createdAt: String, dueAt: String, roomName: String?
        enum CodingKeys: String, CodingKey {
            case id, number, serviceID = "service_id", locationID = "location_id", priority, status, language, late
            case createdAt = "created_at", dueAt = "due_at", roomName = "room_name"
        }
    }
    let appointmentID: String
}
