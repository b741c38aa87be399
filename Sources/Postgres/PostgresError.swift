/// Every failure of the database layer, typed. libpq's return codes and messages are turned into these in one
/// place (`Connection`), so callers never see a C status.
public enum PostgresError: Error, CustomStringConvertible, Sendable {
    /// The server could not be reached or the connection broke. The service answers 503 and recovers by itself.
    case connectionFailed(String)
    /// No pooled connection became free in time.
    case poolTimeout
    /// The server did not answer a statement within the client-side deadline (a frozen or unreachable server);
    /// the statement was cancelled and the connection closed.
    case timedOut(String)
    /// The server refused a statement. `sqlState` is the SQLSTATE code, e.g. "23505" for a unique violation.
    /// `detail` is PostgreSQL's DETAIL, which quotes whole rows (personal data): it never appears in `description`
    /// (what logs print), and must not be logged or sent to clients. `column` and `table` are libpq's structured
    /// fields (PG_DIAG_COLUMN_NAME, PG_DIAG_TABLE_NAME): unlike the message they do not depend on `lc_messages`.
    case server(sqlState: String, message: String, detail: String?, constraint: String?, column: String? = nil, table: String? = nil)
    /// A column could not be decoded to the Swift type asked for.
    case decoding(String)

    public var description: String {
        switch self {
        case .connectionFailed(let m): return "database connection failed: \(m)"
        case .poolTimeout: return "no database connection became free in time"
        case .timedOut(let m): return "database timed out: \(m)"
        case .server(let state, let message, _, let constraint, _, _):
            var s = "database error \(state): \(message)"
            if let constraint { s += " [constraint \(constraint)]" }
            return s
        case .decoding(let m): return "decoding failed: \(m)"
        }
    }

    public var sqlState: String? {
        if case .server(let state, _, _, _, _, _) = self { return state }
        return nil
    }

    /// The named constraint a statement violated, if any.
    public var constraint: String? {
        if case .server(_, _, _, let c, _, _) = self { return c }
        return nil
    }

    /// The column the error is about (e.g. the one a not-null violation left empty), from the structured field.
    public var column: String? {
        if case .server(_, _, _, _, let c, _) = self { return c }
        return nil
    }

    /// The table the error is about, from the structured field.
    public var table: String? {
        if case .server(_, _, _, _, _, let t) = self { return t }
        return nil
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    public var isCheckViolation: Bool { sqlState == "23514" }
    /// An EXCLUDE constraint refused an overlap (the double-booking guard of staff and rooms).
    public var isExclusionViolation: Bool { sqlState == "23P01" }
    public var isNotNullViolation: Bool { sqlState == "23502" }
    /// Serialization failures and deadlocks: the transaction may simply be tried again.
    public var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }
    /// The database is unreachable, shutting down or out of connections: a 503, not a bug.
    public var isUnavailable: Bool {
        switch self {
        case .connectionFailed, .poolTimeout, .timedOut: return true
        case .server(let state, _, _, _, _, _):
            return state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03" || state == "53300"
        case .decoding: return false
        }
    }
}
