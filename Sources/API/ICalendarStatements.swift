import Postgres
import Scheduling
import Time

// The statements of `SQL/icalendar.sql`, one type each (see `AdminStatements.swift`).

/// A statement of `icalendar.sql`.
protocol ICalendarStatement: Statement {}
extension ICalendarStatement {
    static var library: SQLLibrary { Statements.icalendar }
    static var libraryName: String { "icalendar" }
}

enum ICalendarStatements {
    static let all: [any Statement.Type] = [InviteGet.self, FeedInsert.self, FeedList.self, FeedRevoke.self, FeedGet.self, FeedEvents.self]
}

/// What a calendar is told about one appointment (shared by invitations and feeds).
protocol CalendarAppointmentRow {
    var id: String { get }
    var reference: String { get }
    var status: String { get }
    var sequence: Int { get }
    var starts_us: Int { get }
    var ends_us: Int { get }
    var created_us: Int { get }
    var updated_us: Int { get }
    var location_name: String { get }
    var street_address: String { get }
    var postal_code: String { get }
    var city: String { get }
    var location_email: String? { get }
    var time_zone: String { get }
    var room_name: String? { get }
    var agency_names: [String] { get }
}

/// One appointment for an invitation file, with the recipient (when a staff member) and whether a manage token fits.
struct InviteGet: ICalendarStatement {
    static let sqlName = "invite_get"
    struct Row: Decodable, Sendable, CalendarAppointmentRow {
        let id: String, reference: String, status: String, sequence: Int
        let starts_us: Int, ends_us: Int, created_us: Int, updated_us: Int
        let location_name: String, street_address: String, postal_code: String, city: String, location_email: String?
        let time_zone: String
        let room_name: String?
        let agency_names: [String]
        let agency_ids: [String]
        let token_valid: Bool
        /// Set when the asked staff member takes part.
        let recipient_id: String?
        let recipient_name: String?
        let recipient_email: String?
    }
    let appointmentID: String
    let recipientStaffID: String?
    let tokenHash: PostgresValue?
    let now: Instant
    /// Where the manage link works: from the state machine, as for the link itself.
    var statuses: [String] = AppointmentReadRoutes.manageableStatuses
}

struct FeedInsert: ICalendarStatement {
    static let sqlName = "feed_insert"
    struct Row: Decodable, Sendable { let id: String; let j: String }
    let tokenHash: PostgresValue
    let staffID: String?
    let roomID: String?
    let createdBy: String?
    let now: Instant
}

struct FeedList: ICalendarStatement {
    static let sqlName = "feed_list"
    typealias Row = JSONRow
    let staffID: String?
    let roomID: String?
    let includeRevoked: Bool
}

struct FeedRevoke: ICalendarStatement {
    static let sqlName = "feed_revoke"
    struct Row: Decodable, Sendable { let id: String; let staff_id: String?; let room_id: String? }
    let feedID: String
    let onlyStaffID: String?
    let now: Instant
}

struct FeedGet: ICalendarStatement {
    static let sqlName = "feed_get"
    struct Row: Decodable, Sendable { let id: String; let staff_id: String?; let room_id: String?; let name: String }
    let tokenHash: PostgresValue
}

struct FeedEvents: ICalendarStatement {
    static let sqlName = "feed_events"
    struct Row: Decodable, Sendable, CalendarAppointmentRow {
        let id: String, reference: String, status: String, sequence: Int
        let starts_us: Int, ends_us: Int, created_us: Int, updated_us: Int
        let location_name: String, street_address: String, postal_code: String, city: String, location_email: String?
        let time_zone: String
        let room_name: String?
        let agency_names: [String]
    }
    let staffID: String?
    let roomID: String?
    let now: Instant
    let until: Instant
    /// The statuses that will happen: live (they reserve time) and not a hold that may still lapse.
    var statuses: [String] = AppointmentStatus.allCases
        .filter { $0.reservesResources && !AppointmentStateMachine.allows(.expire, from: $0) }.map(\.rawValue)
}
