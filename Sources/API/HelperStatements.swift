import Postgres
import Time

// The statements of `SQL/helpers.sql`: consent, a helper's scope and lists, and the attendees of an appointment.

/// A statement of `helpers.sql`.
protocol HelperStatement: Statement {}
extension HelperStatement {
    static var library: SQLLibrary { Statements.helpers }
    static var libraryName: String { "helpers" }
}

enum HelperStatements {
    static let all: [any Statement.Type] = [
        HelperConsentInsert.self, HelperArranged.self, HelperAppointmentList.self, HelperAppointmentOne.self,
        AttendeeSeats.self, AttendeeInsert.self, AttendeeDelete.self,
    ]
}

/// The person's consent as a helper recorded it; no row when the helper is not an active helper account.
struct HelperConsentInsert: HelperStatement {
    static let sqlName = "helper_consent_insert"
    typealias Row = IDRow
    let appointmentID: String
    let helperID: String
    let action: String
    let method: String
    let givenAt: Instant
    let scope: String
    let now: Instant
}

/// `helper_arranged(appointment, helper)`: the one rule of a helper's scope.
struct HelperArranged: HelperStatement {
    static let sqlName = "helper_arranged"
    struct Row: Decodable, Sendable { let arranged: Bool }
    let appointmentID: String
    let helperID: String
}

/// One page of the appointments a helper arranged, as the staff list pages.
struct HelperAppointmentList: HelperStatement {
    static let sqlName = "helper_appointment_list"
    typealias Row = AppointmentReadList.Row
    let helperID: String
    let locationID: String?
    let from: Instant
    let to: Instant
    let staffID: String?
    let statuses: [String]?
    let afterStart: Instant?
    let afterID: String?
    let limit: Int
}

/// One appointment the helper arranged, with the citizen's fields; no row otherwise.
struct HelperAppointmentOne: HelperStatement {
    static let sqlName = "helper_appointment_one"
    typealias Row = JSONRow
    let id: String
    let helperID: String
}

/// The room's capacity and who takes a seat in it.
struct AttendeeSeats: HelperStatement {
    static let sqlName = "attendee_seats"
    struct Row: Decodable, Sendable {
        /// Nil when the appointment has no room.
        let room_capacity: Int?
        let persons: Int
        let staff: Int
        let in_person: Int
    }
    let appointmentID: String
}

/// A new attendee; no row when the helper account named is not an active helper.
struct AttendeeInsert: HelperStatement {
    static let sqlName = "attendee_insert"
    typealias Row = IDRow
    let appointmentID: String
    let kind: String
    let helperID: String?
    let language: String?
    let mode: String
    let name: String?
    let addedBy: String?
    let now: Instant
}

/// Removes an attendee of the appointment; no row when there is none with that id.
struct AttendeeDelete: HelperStatement {
    static let sqlName = "attendee_delete"
    struct Row: Decodable, Sendable { let kind: String; let mode: String }
    let appointmentID: String
    let attendeeID: String
}
