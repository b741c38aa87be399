import Postgres
import Time

// The statements of `SQL/contacts.sql`, one type each (see TicketStatements.swift for the pattern).

/// A statement of `contacts.sql`.
protocol ContactStatement: Statement {}
extension ContactStatement {
    static var library: SQLLibrary { Statements.contacts }
    static var libraryName: String { "contacts" }
}

enum ContactStatements {
    static let all: [any Statement.Type] = [ContactPersonStart.self, ContactPersonEnd.self, ContactTicketTake.self,
                                            ContactPersonForBooking.self, AppointmentContactPersonSet.self,
                                            TicketNotesForAgency.self, ColleaguesAtLocation.self, FollowUpTypes.self]
}

/// The staff member holding a visit becomes its contact person: a new code, or the one already issued for it.
struct ContactPersonStart: ContactStatement {
    static let sqlName = "contact_person_start"
    struct Row: Decodable, Sendable {
        let held: Int, id: String?, code: String?, createdAt: String?, created: Bool
        enum CodingKeys: String, CodingKey { case held, id, code, createdAt = "created_at", created }
    }
    let ticketID: String
    let staffID: String?
    /// A freshly drawn code (used only when none was issued for this visit yet).
    let code: String
    let note: String?
    let now: Instant
}

/// Ends the contact relation of a visit (started at it, or the one it was drawn with).
struct ContactPersonEnd: ContactStatement {
    static let sqlName = "contact_person_end"
    struct Row: Decodable, Sendable { let id: String, code: String }
    let ticketID: String
    let staffID: String?
    /// Coordinators and admins may end their agency's colleagues' relations.
    let agencyWide: Bool
    let now: Instant
}

/// A walk-in ticket drawn with a contact code, offered first to the contact person when on duty today.
struct ContactTicketTake: ContactStatement {
    static let sqlName = "contact_ticket_take"
    struct Row: Decodable, Sendable {
        let locationFound: Int, isOpen: Bool, contactFound: Int, serviceFound: Int
        let id: String?, number: String?, serviceID: String?, locationID: String?, priority: String?, status: String?
        let language: String?, offered: Bool?, createdAt: String?, ahead: Int?
        enum CodingKeys: String, CodingKey {
            case locationFound = "location_found", isOpen = "is_open", contactFound = "contact_found", serviceFound = "service_found"
            case id, number, serviceID = "service_id", locationID = "location_id", priority, status, language, offered
            case createdAt = "created_at", ahead
        }
    }
    let locationID: String
    let code: String
    let language: String
    let now: Instant
    /// Now plus the configured wait (`contactWaitMinutes`).
    let offeredUntil: Instant
    var countAtMost: Int = TakeNumber.positionLimit
}

/// The active contact relation a staff booking names with `contactCode` (follow-up in one step).
struct ContactPersonForBooking: ContactStatement {
    static let sqlName = "contact_person_for_booking"
    struct Row: Decodable, Sendable { let id: String, staff_id: String }
    let locationID: String
    let code: String
}

/// Links a follow-up appointment to the contact relation it was booked with.
struct AppointmentContactPersonSet: ContactStatement {
    static let sqlName = "appointment_contact_person_set"
    let appointmentID: String
    let contactPersonID: String
}

/// The notes about a visit meant for one agency (handover notes, the contact relation's note).
struct TicketNotesForAgency: ContactStatement {
    static let sqlName = "ticket_notes_for_agency"
    struct Row: Decodable, Sendable {
        let found: Int, kind: String?, note: String?, writtenAt: String?, writtenBy: String?
        enum CodingKeys: String, CodingKey { case found, kind, note, writtenAt = "written_at", writtenBy = "written_by" }
    }
    let ticketID: String
    let agencyID: String
}

/// Colleagues serving a service at a location, on duty today first: the picker of a handover to a named colleague.
struct ColleaguesAtLocation: ContactStatement {
    static let sqlName = "colleagues_at_location"
    struct Row: Decodable, Sendable {
        let id: String, displayName: String, agencyID: String, agencyName: String, onDuty: Bool, serviceIDs: [String]
        enum CodingKeys: String, CodingKey {
            case id, displayName = "display_name", agencyID = "agency_id", agencyName = "agency_name", onDuty = "on_duty"
            case serviceIDs = "service_ids"
        }
    }
    let locationID: String
    let serviceID: String?
    let staffID: String
    let now: Instant
}

/// The appointment types a staff member can take alone at a location ("a follow-up with me").
struct FollowUpTypes: ContactStatement {
    static let sqlName = "follow_up_types"
    struct Row: Decodable, Sendable { let j: String }
    let locationID: String
    let staffID: String
}
