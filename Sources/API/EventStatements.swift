import Postgres
import Time

// The statements of `SQL/events.sql`, one type each (see TicketStatements.swift for the pattern).

/// A statement of `events.sql`.
protocol EventStatement: Statement {}
extension EventStatement {
    static var library: SQLLibrary { Statements.events }
    static var libraryName: String { "events" }
}

enum EventStatements {
    static let all: [any Statement.Type] = [
        EventsAfter.self, EventsHead.self, EventsReplay.self, WaitingTotals.self, RecentCalls.self, PurgeEvents.self,
    ]
}

/// A position in the log as the statements return it: the xid8 as text (`tx_text`, see events.sql) and the id.
struct EventPositionRow: Decodable, Sendable {
    let txText: String
    let id: Int
    enum CodingKeys: String, CodingKey { case txText = "tx_text", id }
}

struct EventsAfter: EventStatement {
    static let sqlName = "events_after"
    struct Row: Decodable, Sendable {
        let txText: String, id: Int, locationID: String, type: String, payload: String
        /// Null: public. Else the staff members the event is for (staff stream only).
        let audience: [String]?
        enum CodingKeys: String, CodingKey { case txText = "tx_text", id, locationID = "location_id", type, payload, audience }
    }
    /// The cursor: the xid8 as decimal text (bound as text, compared as xid8) and the event id.
    let tx: String
    let id: Int
}

struct EventsHead: EventStatement {
    static let sqlName = "events_head"
    typealias Row = EventPositionRow
}

struct EventsReplay: EventStatement {
    static let sqlName = "events_replay"
    struct Row: Decodable, Sendable {
        let txText: String, id: Int, type: String, payload: String, audience: [String]?
        enum CodingKeys: String, CodingKey { case txText = "tx_text", id, type, payload, audience }
    }
    let locationID: String
    let fromTx: String
    let fromID: Int
    let toTx: String
    let toID: Int
}

struct WaitingTotals: EventStatement {
    static let sqlName = "waiting_totals"
    struct Row: Decodable, Sendable {
        let locationID: String, n: Int
        enum CodingKeys: String, CodingKey { case locationID = "location_id", n }
    }
    let locationIDs: [String]
}

struct RecentCalls: EventStatement {
    static let sqlName = "recent_calls"
    struct Row: Decodable, Sendable {
        let number: String?, deskName: String?, calledAt: String?, recallCount: Int
        enum CodingKeys: String, CodingKey {
            case number, deskName = "desk_name", calledAt = "called_at", recallCount = "recall_count"
        }
    }
    let locationID: String
    /// Today is the local day of `now` at the location.
    let now: Instant
}

struct PurgeEvents: EventStatement {
    static let sqlName = "purge_events"
    let now: Instant
}
