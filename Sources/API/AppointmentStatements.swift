import Postgres
import Scheduling
import Time

// The statements of `SQL/appointments.sql`, one type each. Statuses are passed from AppointmentStateMachine
// (`sources` and `target` of a move), never written in the SQL of an update.

/// A statement of `appointments.sql`.
protocol AppointmentStatement: Statement {}
extension AppointmentStatement {
    static var library: SQLLibrary { Statements.appointments }
    static var libraryName: String { "appointments" }
}

enum AppointmentStatements {
    static let all: [any Statement.Type] = [
        AppointmentBookingContext.self, AppointmentStaffLoad.self, AppointmentExpireHolds.self, AppointmentInsert.self,
        AppointmentReserve.self, AppointmentLock.self, AppointmentConfirm.self, AppointmentCancel.self, AppointmentMove.self,
        AppointmentReservationsClear.self, AppointmentBumpCalendar.self, AppointmentAnswer.self,
    ]
}

/// The type's customer fields, the start's local date and grid check, and the local year of booking.
struct AppointmentBookingContext: AppointmentStatement {
    static let sqlName = "appointment_booking_context"
    struct Row: Decodable, Sendable {
        let name_field: String
        let email_field: String
        let phone_field: String
        let contact_required: Bool
        /// YYYY-MM-DD in the location's zone.
        let day: String
        let on_grid: Bool
        let reference_year: Int
    }
    let locationID: String
    let appointmentTypeID: String
    let start: Instant
    let now: Instant
}

/// Live reservations per staff member on one local day (to prefer the least booked).
struct AppointmentStaffLoad: AppointmentStatement {
    static let sqlName = "appointment_staff_load"
    struct Row: Decodable, Sendable { let staff_id: String; let booked: Int }
    let locationID: String
    let day: String
    let now: Instant
    /// The statuses whose reservations take time (the exclusion constraints' own).
    var statuses: [String] = AppointmentStatus.allCases.filter(\.reservesResources).map(\.rawValue)
}

/// Cancels expired holds on the resources and time about to be reserved.
struct AppointmentExpireHolds: AppointmentStatement {
    static let sqlName = "appointment_expire_holds"
    struct Row: Decodable, Sendable { let location_id: String }
    let staffIDs: [String]
    let roomID: String?
    let from: Instant
    let to: Instant
    let now: Instant
    let sources: [String]
    let target: String
}

/// The appointment row; no row when the reference is already taken (draw another).
struct AppointmentInsert: AppointmentStatement {
    static let sqlName = "appointment_insert"
    typealias Row = IDRow
    let locationID: String
    let appointmentTypeID: String
    let reference: String
    let referenceYear: Int
    let status: String
    let start: Instant
    let end: Instant
    let persons: Int
    let heldUntil: Instant?
    let name: String?
    let email: String?
    let phone: String?
    let language: String?
    let needs: [String]
    let needsNote: String?
    let manageTokenHash: PostgresValue
    let bookedBy: String?
    let now: Instant
}

/// One reservation per participant and one for the room.
struct AppointmentReserve: AppointmentStatement {
    static let sqlName = "appointment_reserve"
    let appointmentID: String
    let staffIDs: [String]
    let serviceIDs: [String]
    let roomID: String?
    let from: Instant
    let to: Instant
}

/// The appointment, locked, by id or by manage token.
struct AppointmentLock: AppointmentStatement {
    static let sqlName = "appointment_lock"
    struct Row: Decodable, Sendable {
        let id: String
        let location_id: String
        let type_id: String
        let status: String
        /// Epoch microseconds as text.
        let starts_at: String
        let held_until: String?
        let persons: Int
        let agencies: [String]
        /// In requirement order.
        let staff: [String]
        let room_id: String?
    }
    let id: String?
    let tokenHash: PostgresValue
}

struct AppointmentConfirm: AppointmentStatement {
    static let sqlName = "appointment_confirm"
    typealias Row = IDRow
    let id: String
    let sources: [String]
    let target: String
    let now: Instant
}

struct AppointmentCancel: AppointmentStatement {
    static let sqlName = "appointment_cancel"
    typealias Row = IDRow
    let id: String
    let sources: [String]
    let target: String
    let reason: String?
    let now: Instant
}

struct AppointmentMove: AppointmentStatement {
    static let sqlName = "appointment_move"
    typealias Row = IDRow
    let id: String
    let sources: [String]
    let target: String
    let start: Instant
    let end: Instant
    let now: Instant
}

struct AppointmentReservationsClear: AppointmentStatement {
    static let sqlName = "appointment_reservations_clear"
    let id: String
}

struct AppointmentBumpCalendar: AppointmentStatement {
    static let sqlName = "appointment_bump_calendar"
    let locationID: String
}

/// `appointment_json(a, personal)`.
struct AppointmentAnswer: AppointmentStatement {
    static let sqlName = "appointment_answer"
    typealias Row = JSONRow
    let id: String
    let personal: Bool
}
