import Postgres
import Time

// The statements of `SQL/tickets.sql`, one type each: stored properties are the parameters in `$n` order, `Row` is
// what one result row decodes to. `TicketStatements.all` lists every type; QueueStatementTests ties them to the file.

/// A statement of `tickets.sql`.
protocol TicketStatement: Statement {}
extension TicketStatement {
    static var library: SQLLibrary { Statements.tickets }
    static var libraryName: String { "tickets" }
}

enum TicketStatements {
    static let all: [any Statement.Type] = [
        TakeNumber.self, WaitInputs.self, TicketPublic.self, CallNext.self, DeskCurrent.self, TicketAct.self, TicketHolder.self, TicketExists.self,
        TicketHandover.self, QueueForStaff.self, LocationExists.self, CloseStaleTickets.self,
    ]
}

struct TakeNumber: TicketStatement {
    static let sqlName = "take_number"
    /// The most tickets ahead take_number counts. A queue longer than this for one service at one location is
    /// answered "position 101 or later" (`positionAtLeast`) without an estimate: counting every waiting row on
    /// every take was its dearest part under load (README, "Take a number over many counters"), and a hall with a
    /// hundred people waiting for one service needs no exact figure on the ticket.
    static let positionLimit = 100
    struct Row: Decodable, Sendable {
        let locationFound: Int, serviceFound: Int, isOpen: Int
        // Null when no ticket was taken (unknown location or service, closed day).
        let id: String?, number: String?, serviceID: String?, locationID: String?, priority: String?, status: String?
        let language: String?, createdAt: String?
        /// Tickets ahead, counted up to `positionLimit` (equal to it: at least that many).
        let ahead: Int?
        enum CodingKeys: String, CodingKey {
            case locationFound = "location_found", serviceFound = "service_found", isOpen = "is_open"
            case id, number, serviceID = "service_id", locationID = "location_id", priority, status, language
            case createdAt = "created_at", ahead
        }
    }
    let locationID: String
    let serviceID: String?
    /// "urgent" or nil (as asked; an urgent service makes every ticket urgent).
    let priority: String?
    let language: String
    /// The staff member who took it for a visitor.
    let createdBy: String?
    let now: Instant
    /// `positionLimit`; a property so the statement's `$7` is bound like every other parameter.
    var countAtMost: Int = TakeNumber.positionLimit

    /// Written out rather than reflected: this is the hottest statement (QueueStatementTests checks the order
    /// against the reflected default).
    var bindings: [PostgresValue] {
        [locationID.postgresValue, serviceID.postgresValue, priority.postgresValue, language.postgresValue,
         createdBy.postgresValue, now.postgresValue, countAtMost.postgresValue]
    }
}

/// The wait estimate's inputs for a new ticket of a service: recent service durations and active desks.
struct WaitInputs: TicketStatement {
    static let sqlName = "wait_inputs"
    struct Row: Decodable, Sendable {
        let recentSeconds: [String]?, activeDesks: Int?
        enum CodingKeys: String, CodingKey { case recentSeconds = "recent_seconds", activeDesks = "active_desks" }
    }
    let serviceID: String
    let now: Instant
}

struct TicketPublic: TicketStatement {
    static let sqlName = "ticket_public"
    struct Row: Decodable, Sendable {
        let id: String, number: String, status: String, language: String, locationID: String, locationCode: String
        let serviceID: String, serviceName: String, serviceTranslations: String, deskName: String?, priority: String
        let ahead: Int?, recentSeconds: [String]?, activeDesks: Int?, createdAt: String
        enum CodingKeys: String, CodingKey {
            case id, number, status, language, locationID = "location_id", locationCode = "location_code"
            case serviceID = "service_id", serviceName = "service_name", serviceTranslations = "service_translations"
            case deskName = "desk_name", priority, ahead, recentSeconds = "recent_seconds", activeDesks = "active_desks"
            case createdAt = "created_at"
        }
    }
    let ticketID: String
    let now: Instant
}

struct CallNext: TicketStatement {
    static let sqlName = "call_next"
    struct Row: Decodable, Sendable {
        let deskFound: Int, busyNumber: String?, id: String?, status: String?, j: String?
        enum CodingKeys: String, CodingKey { case deskFound = "desk_found", busyNumber = "busy_number", id, status, j }
    }
    let deskID: String
    let staffID: String?
    let now: Instant
    /// The state machine's sources and target of `call`.
    let sources: [String]
    let target: String
}

struct DeskCurrent: TicketStatement {
    static let sqlName = "desk_current"
    struct Row: Decodable, Sendable { let id: String, status: String, j: String, allowed: Bool }
    let deskID: String
    let staffID: String?
}

/// Whether a ticket exists.
struct TicketExists: TicketStatement {
    static let sqlName = "ticket_exists"
    struct Row: Decodable, Sendable { let found: Bool }
    let ticketID: String
}

struct TicketAct: TicketStatement {
    static let sqlName = "ticket_act"
    struct Row: Decodable, Sendable {
        /// The ticket as staff see it (`ticket_staff_json`) and its status, for the allowed actions. When the caller
        /// acted on a ticket a colleague held, the statement also wrote the audit row.
        let id: String, status: String, j: String
    }
    let ticketID: String
    let staffID: String?
    let action: String
    let sources: [String]
    let target: String
    let outcome: String?
    let eventKind: String
    let now: Instant
    /// Outcome categories chosen at the finish step (codes of outcome_category, checked by the route); migration 0017.
    var outcomeCategories: [String] = []
}

struct TicketHolder: TicketStatement {
    static let sqlName = "ticket_holder"
    struct Row: Decodable, Sendable {
        let status: String, staffID: String?
        enum CodingKeys: String, CodingKey { case status, staffID = "staff_id" }
    }
    let ticketID: String
}

struct TicketHandover: TicketStatement {
    static let sqlName = "handover"
    struct Row: Decodable, Sendable {
        let held: Int, targetFound: Int, colleagueFound: Int, offered: Bool, toAgencyID: String?, id: String?, status: String?, j: String?
        enum CodingKeys: String, CodingKey {
            case held, targetFound = "target_found", colleagueFound = "colleague_found", offered, toAgencyID = "to_agency_id", id, status, j
        }
    }
    let ticketID: String
    let staffID: String?
    let serviceID: String?
    let note: String?
    /// true/false, or nil to keep the ticket's priority.
    let urgent: Bool?
    let sources: [String]
    let target: String
    let now: Instant
    /// A named colleague (warm referral), or nil for a handover to a service.
    var toStaffID: String? = nil
    /// The end of the named colleague's offer (now + the contact person's wait).
    var offeredUntil: Instant? = nil
}

struct QueueForStaff: TicketStatement {
    static let sqlName = "queue_for_staff"
    struct Row: Decodable, Sendable {
        let total: Int
        // Null on the one row of an empty page.
        let id: String?, number: String?, serviceID: String?, serviceName: String?, priority: String?, priorityRank: Int?
        let waitedMinutes: Int?, dueAtText: String?, dueAtMicros: Int?, handedOver: Bool?, note: String?
        /// Check-in: the appointment, whether it arrived late, the room, and whether call-next offers it to me first
        /// or to other staff members for now.
        let appointmentID: String?, late: Bool?, roomName: String?, offeredToMe: Bool?, offeredToOthers: Bool?
        /// The one staff member the ticket is meant for (contact person, named colleague), if any.
        let forPerson: String?
        enum CodingKeys: String, CodingKey {
            case total, id, number, serviceID = "service_id", serviceName = "service_name", priority
            case priorityRank = "priority_rank", waitedMinutes = "waited_minutes", dueAtText = "due_at_text"
            case dueAtMicros = "due_at_micros", handedOver = "handed_over", note
            case appointmentID = "appointment_id", late, roomName = "room_name", offeredToMe = "offered_to_me"
            case offeredToOthers = "offered_to_others", forPerson = "for_person"
        }
    }
    let locationID: String
    let staffID: String?
    let agencyID: String?
    let now: Instant
    // The cursor's key (priority_rank, due_at, number_prefix, number_sequence).
    let afterRank: Int
    let afterDueAt: Instant
    let afterPrefix: String
    let afterSequence: Int
    /// Page size plus one, to tell whether a next page exists.
    let limit: Int
}

struct LocationExists: TicketStatement {
    static let sqlName = "location_exists"
    struct Row: Decodable, Sendable {
        let id: String, timeZone: String
        enum CodingKeys: String, CodingKey { case id, timeZone = "time_zone" }
    }
    let locationID: String
}

struct CloseStaleTickets: TicketStatement {
    static let sqlName = "close_stale_tickets"
    struct Row: Decodable, Sendable { let n: Int }
    let now: Instant
    /// The state machine's `closeDay` as parallel arrays: each source status and what it becomes.
    let sources: [String]
    let targets: [String]
}
