import HTTP
import Postgres
import Queue

/// Turns errors of the database and the domain into problems: the shared fallback.
///
/// Each converted feature declares its own constraint → problem table (`RouteCollection.constraints`, e.g.
/// `AdminRoutes.constraints`), which the route framework consults first. What reaches this mapping is named from
/// PostgreSQL's default constraint names (`table_column_check`, `table_column_key`, `table_column_fkey`,
/// `table_column_excl`). Never put PostgreSQL's DETAIL into a problem or a log line: it quotes whole rows.
enum ErrorMapping {
    static func problem(for error: Error) -> Problem? {
        switch error {
        case let e as PostgresError: return problem(for: e)
        case let e as TicketTransitionError: return Problem.conflict(e.message)
        default: return nil
        }
    }

    static func problem(for error: PostgresError) -> Problem? {
        if error.isUnavailable {
            return .unavailable("The database cannot be reached right now. Please try again in a moment.")
        }
        let constraint = error.constraint ?? ""
        let (table, field) = split(constraint)
        if error.isUniqueViolation {
            if constraint == "ticket_one_per_desk" {
                return .conflict("This desk still has a visitor. Finish, mark as no-show or requeue the current ticket first.")
            }
            return .conflict("There is already \(article(table)) with this \(field).")
        }
        if error.isForeignKeyViolation {
            let name = field == "location id" && table == "service location" ? "locationIds" : camel(field)
            return .unprocessable("A referenced item does not exist.", invalidParams: [.init(name: name, reason: "does not exist")])
        }
        if error.isExclusionViolation {
            // Exclusion constraints guard against double booking (a room, a desk or a staff member at one time).
            return .conflict("This time overlaps with an existing booking.")
        }
        if error.sqlState == "23502" {
            // The column comes from libpq's structured field, never from the message: messages are translated
            // (lc_messages) and the DETAIL quotes the row.
            let name = error.column.map { camel($0.replacingUnderscores) } ?? "a required field"
            return .unprocessable("A required value is missing.", invalidParams: [.init(name: name, reason: "is required")])
        }
        if error.isCheckViolation {
            let name = camel(field)
            return .unprocessable("Some fields are not valid.", invalidParams: [.init(name: name, reason: reason(for: constraint))])
        }
        switch error.sqlState {
        case "57014", "55P03":
            // statement_timeout or lock_timeout: the database is overloaded or something holds a lock too long.
            return .unavailable("The database is busy right now. Please try again in a moment.", retryAfterSeconds: 2)
        case "22P02", "22023", "22007", "22008", "22001", "22003":
            return .unprocessable("A value has the wrong format.")
        default:
            return nil
        }
    }

    private static let suffixes = ["_check", "_key", "_fkey", "_excl"]

    /// "location_time_zone_check" → ("location", "time zone").
    static func split(_ constraint: String) -> (table: String, field: String) {
        var name = constraint
        for s in suffixes where name.hasSuffix(s) { name = String(name.dropLast(s.count)) }
        let tables = ["service_location", "staff_service", "ticket_counter", "ticket_handover", "service_record",
                      "location_closure", "audit_log", "login_throttle", "agency", "location", "desk", "service", "staff",
                      "session", "ticket", "event", "setting"]
        for t in tables where name.hasPrefix(t + "_") {
            return (t.replacingUnderscores, String(name.dropFirst(t.count + 1)).replacingUnderscores)
        }
        return ("item", name.replacingUnderscores)
    }

    static func camel(_ spaced: String) -> String {
        let parts = spaced.split(separator: " ")
        guard let first = parts.first else { return spaced }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    private static func article(_ table: String) -> String {
        let t = table == "staff" ? "staff member" : table
        return (t.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + t
    }

    /// Feature tables give the precise reasons; the fallback only knows that the value broke a rule.
    private static func reason(for constraint: String) -> String { "is not valid" }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
