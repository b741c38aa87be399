import Postgres
import Time

// The statements of `SQL/availability.sql`, one type each. Instants travel as epoch microseconds in text arrays;
// intervals as an array of starts and one of ends (see the file's header).

/// A statement of `availability.sql`.
protocol AvailabilityStatement: Statement {}
extension AvailabilityStatement {
    static var library: SQLLibrary { Statements.availability }
    static var libraryName: String { "availability" }
}

enum AvailabilityStatements {
    static let all: [any Statement.Type] = [
        AvailabilityHead.self, AvailabilityGrid.self, AvailabilityStaff.self, AvailabilityRooms.self, AvailabilityFormat.self,
        AvailabilityHolidaySettings.self,
    ]
}

/// Asked first on every search: the location's calendar version, zone and the appointment type with its requirements.
struct AvailabilityHead: AvailabilityStatement {
    static let sqlName = "availability_head"
    struct Row: Decodable, Sendable {
        let tz: String
        /// Grows with every change that can change the location's free times (migration 0007).
        let version: Int64
        let type_found: Bool
        let active: Bool
        let public_booking: Bool
        let duration_minutes: Int
        let extra_minutes_per_person: Int
        let max_persons: Int
        let buffer_before_minutes: Int
        let buffer_after_minutes: Int
        let needs_room: Bool
        let min_notice_minutes: Int
        let services: [String]
        let agencies: [String]
        /// Epoch microseconds as text.
        let horizon_end: String
    }
    let locationID: String
    let appointmentTypeID: String
    let now: Instant
}

/// The candidate grid and the opening intervals of a range of local dates, as instants.
struct AvailabilityGrid: AvailabilityStatement {
    static let sqlName = "availability_grid"
    struct Row: Decodable, Sendable {
        /// Bigint arrays as text (`{1,2}`); see `AvailabilityRoutes.instants`.
        let starts: String
        let opening_starts: String
        let opening_ends: String
    }
    let locationID: String
    let from: String
    let to: String
    /// Public holidays in the range (YYYY-MM-DD) and their keys, from `DutchHolidays`.
    let holidayDates: [String]
    let holidayKeys: [String]
}

/// Staff who serve any requirement: their services, availability at the location and busy intervals.
struct AvailabilityStaff: AvailabilityStatement {
    static let sqlName = "availability_staff"
    struct Row: Decodable, Sendable {
        let id: String
        let services: [String]
        let available_starts: String
        let available_ends: String
        let busy_starts: String
        let busy_ends: String
        /// Epoch microseconds (text) of the earliest expiry of a hold counted as busy; nil when none.
        let holds_until: String?
    }
    let locationID: String
    let appointmentTypeID: String
    let from: String
    let to: String
    /// Holds count as busy until they expire at this instant's clock.
    let now: Instant
}

/// Active rooms of the location with capacity and bookings.
struct AvailabilityRooms: AvailabilityStatement {
    static let sqlName = "availability_rooms"
    struct Row: Decodable, Sendable { let id: String; let capacity: Int; let busy_starts: String; let busy_ends: String; let holds_until: String? }
    let locationID: String
    let from: String
    let to: String
    let now: Instant
}

/// Per slot: the local date of its start, and start and end in RFC 3339 with the location's offset.
struct AvailabilityFormat: AvailabilityStatement {
    static let sqlName = "availability_format"
    struct Row: Decodable, Sendable { let days: [String]; let starts: [String]; let ends: [String] }
    let timeZone: String
    let starts: [String]
    let ends: [String]
}

/// Which public holidays a location closes on.
struct AvailabilityHolidaySettings: AvailabilityStatement {
    static let sqlName = "availability_holiday_settings"
    struct Row: Decodable, Sendable { let closed_on_public_holidays: Bool; let good_friday_closed: Bool; let liberation_day_closed: Bool }
    let locationID: String
}
