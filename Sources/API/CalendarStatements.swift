import Postgres
import Time

// The statements of `SQL/calendars.sql`, one type each (see `AdminStatements.swift`). Lists of rows to insert are
// bound as parallel text arrays (one per column, '' for "none"), so a whole set is written in one statement.

/// A statement of `calendars.sql`.
protocol CalendarStatement: Statement {}
extension CalendarStatement {
    static var library: SQLLibrary { Statements.calendars }
    static var libraryName: String { "calendars" }
}

enum CalendarStatements {
    static let all: [any Statement.Type] = [
        CalendarLocationLock.self, OpeningHoursGet.self, OpeningHoursClear.self, OpeningHoursInsert.self, ClosuresInsert.self,
        LocationHolidaySettings.self, RoomInsert.self, RoomList.self, RoomUpdate.self, StaffOwner.self, StaffCalendarLock.self, LocationsExisting.self,
        AvailabilityGet.self, AvailabilityClear.self, AvailabilityInsert.self, AbsenceInsert.self, AbsenceList.self,
        AbsenceOwner.self, AbsenceDelete.self, ServicesActive.self, AppointmentTypeInsert.self, AppointmentTypeUpdate.self,
        AppointmentTypeRequirementsClear.self, AppointmentTypeRequirementsInsert.self, AppointmentTypeGet.self,
        AppointmentTypeList.self, AppointmentTypePublicList.self,
    ]
}

// MARK: Opening hours and closures

/// The location's zone and local today, locking the row against a concurrent replacement.
struct CalendarLocationLock: CalendarStatement {
    static let sqlName = "calendar_location_lock"
    struct Row: Decodable, Sendable { let tz: String; let today: String }
    let locationID: String
    let now: Instant
}

struct OpeningHoursGet: CalendarStatement {
    static let sqlName = "opening_hours_get"
    typealias Row = JSONRow
    let locationID: String
    let now: Instant
}

struct OpeningHoursClear: CalendarStatement {
    static let sqlName = "opening_hours_clear"
    let locationID: String
    /// Local today (YYYY-MM-DD): closures before it are history and stay, and so does today's (see calendars.sql).
    let today: String
}

struct OpeningHoursInsert: CalendarStatement {
    static let sqlName = "opening_hours_insert"
    let locationID: String
    let weekdays: [String]
    let opens: [String]
    let closes: [String]
    let validFrom: [String]
    let validUntil: [String]
}

struct ClosuresInsert: CalendarStatement {
    static let sqlName = "closures_insert"
    let locationID: String
    let dates: [String]
    let reasons: [String]
    let plannedBy: String?
    let now: Instant
}

struct LocationHolidaySettings: CalendarStatement {
    static let sqlName = "location_holiday_settings"
    let locationID: String
    let closedOnPublicHolidays: Bool
    let goodFridayClosed: Bool?
    let liberationDayClosed: Bool?
}

// MARK: Rooms

struct RoomInsert: CalendarStatement {
    static let sqlName = "room_insert"
    typealias Row = JSONRow
    let locationID: String
    let name: String
    let capacity: Int
    let now: Instant
}

/// No row when the location does not exist.
struct RoomList: CalendarStatement {
    static let sqlName = "room_list"
    typealias Row = JSONRow
    let locationID: String
    let includeInactive: Bool
}

struct RoomUpdate: CalendarStatement {
    static let sqlName = "room_update"
    typealias Row = JSONRow
    let id: String
    var name: String? = nil
    var capacity: Int? = nil
    var active: Bool? = nil
}

// MARK: Staff availability and absences

/// A staff member's agency, to decide whether the asker may see or change their calendar.
struct StaffOwner: CalendarStatement {
    static let sqlName = "staff_owner"
    struct Row: Decodable, Sendable { let id: String; let agency_id: String }
    let staffID: String
}

/// Locks the staff row for the rest of the transaction (replacing availability).
struct StaffCalendarLock: CalendarStatement {
    static let sqlName = "staff_calendar_lock"
    typealias Row = IDRow
    let staffID: String
}

struct LocationsExisting: CalendarStatement {
    static let sqlName = "locations_existing"
    typealias Row = IDRow
    let ids: [String]
}

struct AvailabilityGet: CalendarStatement {
    static let sqlName = "availability_get"
    typealias Row = JSONRow
    let staffID: String
}

struct AvailabilityClear: CalendarStatement {
    static let sqlName = "availability_clear"
    let staffID: String
}

struct AvailabilityInsert: CalendarStatement {
    static let sqlName = "availability_insert"
    let staffID: String
    let locations: [String]
    let weekdays: [String]
    let starts: [String]
    let ends: [String]
    let validFrom: [String]
    let validUntil: [String]
    /// "t" or "f" per interval.
    let everyOtherWeek: [String]
}

struct AbsenceInsert: CalendarStatement {
    static let sqlName = "absence_insert"
    typealias Row = JSONRow
    let staffID: String
    let start: Instant
    let end: Instant
    let reason: String
    let enteredBy: String?
    let now: Instant
}

struct AbsenceList: CalendarStatement {
    static let sqlName = "absence_list"
    typealias Row = JSONRow
    let staffID: String
}

struct AbsenceOwner: CalendarStatement {
    static let sqlName = "absence_owner"
    struct Row: Decodable, Sendable { let staff_id: String; let agency_id: String }
    let absenceID: String
}

struct AbsenceDelete: CalendarStatement {
    static let sqlName = "absence_delete"
    let absenceID: String
}

// MARK: Appointment types

struct ServicesActive: CalendarStatement {
    static let sqlName = "services_active"
    typealias Row = IDRow
    let ids: [String]
}

struct AppointmentTypeInsert: CalendarStatement {
    static let sqlName = "appointment_type_insert"
    typealias Row = IDRow
    let code: String
    let name: String
    let durationMinutes: Int
    let needsRoom: Bool
    let bufferBeforeMinutes: Int
    let bufferAfterMinutes: Int
    let minNoticeMinutes: Int
    let horizonDays: Int
    let maxPersons: Int
    let extraMinutesPerPerson: Int
    let publicBooking: Bool
    let now: Instant
}

struct AppointmentTypeUpdate: CalendarStatement {
    static let sqlName = "appointment_type_update"
    typealias Row = IDRow
    let id: String
    var name: String? = nil
    var durationMinutes: Int? = nil
    var needsRoom: Bool? = nil
    var bufferBeforeMinutes: Int? = nil
    var bufferAfterMinutes: Int? = nil
    var minNoticeMinutes: Int? = nil
    var horizonDays: Int? = nil
    var maxPersons: Int? = nil
    var extraMinutesPerPerson: Int? = nil
    var publicBooking: Bool? = nil
    var active: Bool? = nil
}

struct AppointmentTypeRequirementsClear: CalendarStatement {
    static let sqlName = "appointment_type_requirements_clear"
    let appointmentTypeID: String
}

struct AppointmentTypeRequirementsInsert: CalendarStatement {
    static let sqlName = "appointment_type_requirements_insert"
    let appointmentTypeID: String
    let serviceIDs: [String]
}

struct AppointmentTypeGet: CalendarStatement {
    static let sqlName = "appointment_type_get"
    typealias Row = JSONRow
    let id: String
}

struct AppointmentTypeList: CalendarStatement {
    static let sqlName = "appointment_type_list"
    typealias Row = JSONRow
    let includeInactive: Bool
}

struct AppointmentTypePublicList: CalendarStatement {
    static let sqlName = "appointment_type_public_list"
    typealias Row = JSONRow
}
