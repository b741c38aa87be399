import Postgres
import Time

// The statements of `SQL/openforms.sql`: the public booking catalogue (see OpenFormsRoutes).

/// A statement of `openforms.sql`.
protocol OpenFormsStatement: Statement {}
extension OpenFormsStatement {
    static var library: SQLLibrary { Statements.openForms }
    static var libraryName: String { "openforms" }
}

enum OpenFormsStatements {
    static let all: [any Statement.Type] = [BookingAppointmentTypes.self, BookingLocations.self, BookingCustomerFields.self,
                                                   BookingLocationAddressSet.self]
}

/// Public types offered at a location (or anywhere) that combine with the types already chosen.
struct BookingAppointmentTypes: OpenFormsStatement {
    static let sqlName = "booking_appointment_types"
    typealias Row = JSONRow
    let now: Instant
    /// Ids already chosen, validated as UUIDs.
    let currentTypeIDs: [String]
    let locationID: String?
}

/// Active locations offering every one of the types (any public type when empty), with their addresses.
struct BookingLocations: OpenFormsStatement {
    static let sqlName = "booking_locations"
    typealias Row = JSONRow
    let now: Instant
    let appointmentTypeIDs: [String]
}

/// The customer fields of each active public type among the ids.
struct BookingCustomerFields: OpenFormsStatement {
    static let sqlName = "booking_customer_fields"
    struct Row: Decodable, Sendable {
        let id: String
        let name_field: String
        let email_field: String
        let phone_field: String
        let contact_required: Bool
    }
    let appointmentTypeIDs: [String]
}

/// Sets a location's address; no row when the location does not exist.
struct BookingLocationAddressSet: OpenFormsStatement {
    static let sqlName = "booking_location_address_set"
    typealias Row = JSONRow
    let locationID: String
    let streetAddress: String
    let postalCode: String
    let city: String
}
