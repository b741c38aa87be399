import Postgres
import Time

// The statements of `SQL/reports.sql` (reports from the anonymous visit records) and `SQL/retention.sql` (the
// retention purge), one type each (see TicketStatements.swift for the pattern).

/// A statement of `reports.sql`.
protocol ReportStatement: Statement {}
extension ReportStatement {
    static var library: SQLLibrary { Statements.reports }
    static var libraryName: String { "reports" }
}

/// A statement of `retention.sql`.
protocol RetentionStatement: Statement {}
extension RetentionStatement {
    static var library: SQLLibrary { Statements.retention }
    static var libraryName: String { "retention" }
}

enum ReportStatements {
    static let all: [any Statement.Type] = [ReportVisits.self, ReportHandovers.self, ReportOutcomes.self, ReportFilterChoices.self,
                                            OutcomeCategories.self, ReportSession.self]
}

enum RetentionStatements {
    static let all: [any Statement.Type] = [PurgeWalkInTickets.self, PurgeAppointments.self, PurgeContactNotes.self]
}

/// The filters every report takes: local dates (inclusive) and optional location, agency and service.
struct ReportFilter: Sendable {
    let from: String
    let to: String
    let locationID: String?
    let agencyID: String?
    let serviceID: String?
}

/// Visits per local day plus a total row (first).
struct ReportVisits: ReportStatement {
    static let sqlName = "report_visits"
    struct Row: Decodable, Sendable {
        let day: String?
        let is_total: Bool
        let visits: Int, served: Int, walk_ins: Int, appointments: Int, no_shows: Int, cancelled: Int, urgent: Int
        let waiting_p50: Double?, waiting_p90: Double?, service_p50: Double?
    }
    let from: String, to: String, locationID: String?, agencyID: String?, serviceID: String?
    init(_ f: ReportFilter) { from = f.from; to = f.to; locationID = f.locationID; agencyID = f.agencyID; serviceID = f.serviceID }
}

/// Handovers from agency to agency (the flow table).
struct ReportHandovers: ReportStatement {
    static let sqlName = "report_handovers"
    struct Row: Decodable, Sendable {
        let from_agency_id: String, from_agency: String, to_agency_id: String, to_agency: String, n: Int
    }
    let from: String, to: String, locationID: String?, agencyID: String?, serviceID: String?
    init(_ f: ReportFilter) { from = f.from; to = f.to; locationID = f.locationID; agencyID = f.agencyID; serviceID = f.serviceID }
}

/// Every outcome category with its count among served visits, and the totals.
struct ReportOutcomes: ReportStatement {
    static let sqlName = "report_outcomes"
    struct Row: Decodable, Sendable {
        let code: String, dimension: String, label: String, n: Int, served: Int, unrecorded: Int
    }
    let from: String, to: String, locationID: String?, agencyID: String?, serviceID: String?
    init(_ f: ReportFilter) { from = f.from; to = f.to; locationID = f.locationID; agencyID = f.agencyID; serviceID = f.serviceID }
}

/// Settings for the report that follows in the same transaction (memory for its sorts, plans for its filters).
struct ReportSession: ReportStatement {
    static let sqlName = "report_session"
    struct Row: Decodable, Sendable { let work_mem: String, plan_cache_mode: String }
}

/// Locations, agencies and services for the report page's filters, as JSON.
struct ReportFilterChoices: ReportStatement {
    static let sqlName = "report_filters"
    struct Row: Decodable, Sendable { let j: String }
}

/// The active outcome categories in the list's order.
struct OutcomeCategories: ReportStatement {
    static let sqlName = "outcome_categories"
    struct Row: Decodable, Sendable { let code: String, dimension: String, label: String }
}

/// One batch of walk-in tickets whose local day has ended.
struct PurgeWalkInTickets: RetentionStatement {
    static let sqlName = "purge_walk_in_tickets"
    struct Row: Decodable, Sendable { let n: Int }
    let now: Instant
    let batch: Int
}

/// One batch of appointments past their agencies' retention period.
struct PurgeAppointments: RetentionStatement {
    static let sqlName = "purge_appointments"
    struct Row: Decodable, Sendable { let n: Int }
    let now: Instant
    let batch: Int
}

/// One batch of contact persons' notes whose relation ended longer ago than their agency's retention period.
struct PurgeContactNotes: RetentionStatement {
    static let sqlName = "purge_contact_notes"
    struct Row: Decodable, Sendable { let n: Int }
    let now: Instant
    let batch: Int
}
