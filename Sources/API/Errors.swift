import HTTP
import Postgres
import Queue

/// Turns errors of the database and the domain into problems, in one place.
///
/// Constraint names follow PostgreSQL's defaults (`table_column_check`, `table_column_key`,
/// `table_column_fkey`), so the offending field can be named without a hand-kept table for each constraint.
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
            if constraint == "staff_username" {
                return .conflict("There is already a staff member with this username.")
            }
            return .conflict("There is already \(article(table)) with this \(field).")
        }
        if error.isForeignKeyViolation {
            if constraint.hasPrefix("staff_service_service_id_agency_id") || constraint.hasPrefix("staff_service_staff_id_agency_id") {
                return .unprocessable("A staff member can only serve services of their own agency.",
                                      invalidParams: [.init(name: "serviceIds", reason: "must be existing services of the staff member's agency")])
            }
            let name = field == "location id" && table == "service location" ? "locationIds" : camel(field)
            return .unprocessable("A referenced item does not exist.", invalidParams: [.init(name: name, reason: "does not exist")])
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

    private static func reason(for constraint: String) -> String {
        switch constraint {
        case "location_time_zone_check": return "must be an IANA time zone such as Europe/Amsterdam"
        case "agency_code_check", "location_code_check": return "must be 1–32 lowercase letters, digits or dashes"
        case "service_code_check": return "must be 1–48 lowercase letters, digits or dashes"
        case "service_ticket_prefix_check": return "must be one capital letter A–Z"
        case "service_duration_minutes_check": return "must be between 1 and 480"
        case "service_life_question_check": return "must be one of money, documents, taxes, study, work, housing, care, other"
        case "staff_username_check": return "must be 2–64 lowercase letters, digits, dots, dashes or underscores"
        case "staff_role_check": return "must be staff, coordinator or admin"
        default: return "is not valid"
        }
    }
}

extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
