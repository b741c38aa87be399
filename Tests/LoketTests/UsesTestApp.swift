import Postgres
import TestSupport

/// A test case with its own `TestApp`: direct SQL for set-ups the API would only slow down (no password hashing),
/// written once for every such test class.
protocol UsesTestApp {
    var t: TestApp! { get }
}

extension UsesTestApp {
    /// Runs `text` with bound parameters on a fresh connection to the test database.
    @discardableResult
    func sql(_ text: String, _ params: any PostgresEncodable...) throws -> [Row] {
        let db = try t.connection()
        defer { db.close() }
        return try Array(db.query(Query(SQL(unsafeUnchecked: text), parameters: params)))
    }

    /// A staff member (who never logs in) of `agency` serving `services`.
    func staff(_ name: String, _ agency: String, _ services: [String]) throws -> String {
        let id = try sql("INSERT INTO staff (agency_id, username, password_hash, display_name, role) VALUES ($1, $2, '$argon2id$test', $2, 'staff') RETURNING id::text AS id",
                         agency, name).first!.string("id")
        for s in services { try sql("INSERT INTO staff_service (staff_id, service_id, agency_id) VALUES ($1, $2, $3)", id, s, agency) }
        return id
    }
}
