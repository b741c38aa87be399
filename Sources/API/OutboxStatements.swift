import Postgres
import Time

// The statements of `SQL/outbox.sql`, one type each (see `AdminStatements.swift`).

/// A statement of `outbox.sql`.
protocol OutboxStatement: Statement {}
extension OutboxStatement {
    static var library: SQLLibrary { Statements.outbox }
    static var libraryName: String { "outbox" }
}

enum OutboxStatements {
    static let all: [any Statement.Type] = [
        OutboxAppointment.self, OutboxNotifyOff.self, OutboxEnqueue.self, OutboxManageURL.self, OutboxSupersede.self,
        OutboxDropStale.self, OutboxFailInterrupted.self, OutboxClaim.self, OutboxSent.self, OutboxRetry.self, OutboxList.self,
    ]
}

/// What a message's text needs about the appointment, with the start in the location's local time.
struct OutboxAppointment: OutboxStatement {
    static let sqlName = "outbox_appointment"
    struct Row: Decodable, Sendable {
        let id: String, reference: String, status: String
        let citizen_email: String?, citizen_name: String?, citizen_language: String, notify_citizen: Bool
        let has_manage_link: Bool
        let starts_us: Int
        /// ISO weekday, 1 = Monday.
        let local_weekday: Int, local_day: Int, local_month: Int, local_year: Int
        /// `HH:MM`, 24-hour clock.
        let local_time: String
        let location_name: String, street_address: String, postal_code: String, city: String
        /// The contact person's code, when the appointment is with one (migration 0015).
        let contact_code: String?
    }
    let appointmentID: String
}

struct OutboxNotifyOff: OutboxStatement {
    static let sqlName = "outbox_notify_off"
    let appointmentID: String
}

struct OutboxEnqueue: OutboxStatement {
    static let sqlName = "outbox_enqueue"
    typealias Row = IDRow
    let kind: String
    let appointmentID: String
    let recipient: String
    let language: String
    let subject: String
    let body: String
    let attachment: String?
    let manageURL: String?
    let sendAfter: Instant
    let now: Instant
}

struct OutboxManageURL: OutboxStatement {
    static let sqlName = "outbox_manage_url"
    struct Row: Decodable, Sendable { let manage_url: String }
    let appointmentID: String
}

struct OutboxSupersede: OutboxStatement {
    static let sqlName = "outbox_supersede"
    struct Row: Decodable, Sendable { let kind: String }
    let appointmentID: String
    let kinds: [String]
}

struct OutboxDropStale: OutboxStatement {
    static let sqlName = "outbox_drop_stale"
    typealias Row = IDRow
    let now: Instant
}

struct OutboxFailInterrupted: OutboxStatement {
    static let sqlName = "outbox_fail_interrupted"
    typealias Row = IDRow
    let now: Instant
    let maxAttempts: Int
}

struct OutboxClaim: OutboxStatement {
    static let sqlName = "outbox_claim"
    struct Row: Decodable, Sendable {
        let id: String, kind: String, recipient: String, subject: String, body: String, attachment: String?
        let attempts: Int, reference: String
    }
    let now: Instant
    let leaseUntil: Instant
    let limit: Int
}

struct OutboxSent: OutboxStatement {
    static let sqlName = "outbox_sent"
    typealias Row = IDRow
    let id: String
    let now: Instant
}

struct OutboxRetry: OutboxStatement {
    static let sqlName = "outbox_retry"
    struct Row: Decodable, Sendable { let status: String }
    let id: String
    let error: String
    let retryAt: Instant
    let maxAttempts: Int
}

struct OutboxList: OutboxStatement {
    static let sqlName = "outbox_list"
    typealias Row = JSONRow
    let status: String?
    let limit: Int
}
