import Glibc
import Logging

/// One migration to apply: version, file name, SQL text.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// A repeatable SQL file (functions and views with `CREATE OR REPLACE`), applied after the numbered migrations on
/// every migrate, so a changed function needs no new migration.
public struct RepeatableMigration: Sendable {
    public let name: String
    public let sql: String
    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}

/// Why migrating stopped.
public enum MigrationError: Error, CustomStringConvertible, Sendable {
    /// An applied migration's file changed since: refusing, because the database no longer matches the code.
    case checksumMismatch(name: String, applied: String, file: String)
    /// The database has a migration this binary does not know (an older binary on a newer database).
    case unknownApplied(version: Int, name: String)
    case failed(name: String, underlying: PostgresError)
    /// The repeatable files could not take their table locks in time, on every attempt (a long transaction holds
    /// one of the tables they change triggers on). Nothing was changed; starting again later applies them.
    case lockTimeout(attempts: Int, secondsEach: Double)

    public var description: String {
        switch self {
        case .checksumMismatch(let name, let applied, let file):
            return "Migration \(name) was changed after it was applied (checksum \(applied.prefix(12))… in the database, " +
                "\(file.prefix(12))… in the file). Never edit an applied migration: add a new one instead."
        case .unknownApplied(let version, let name):
            return "The database has migration \(version) (\(name)) that this version of Loket does not know. Run a newer Loket."
        case .failed(let name, let underlying):
            return "Migration \(name) failed: \(underlying)"
        case .lockTimeout(let attempts, let seconds):
            return "The changed functions (Migrations/functions) could not be applied: a table they need stayed locked by " +
                "another transaction (\(attempts) attempts of \(seconds) s each). Nothing was changed; end the long " +
                "transaction (see pg_stat_activity) and start again."
        }
    }
}

/// Applies numbered migrations in order, each in its own transaction, recording a SHA-256 checksum of its text;
/// then the repeatable files (functions, views) in name order, all in one transaction, when the set changed.
/// A session-level advisory lock makes concurrent starts safe: the second instance waits, then finds nothing to do.
///
/// The repeatable files are applied only when their checksum differs from the one recorded (`schema_functions`):
/// they drop and create triggers on `service`, `agency` and `service_location`, which takes ACCESS EXCLUSIVE locks
/// until commit, so applying them on every start made take-a-number of the running processes queue behind a
/// starting one, and a start wait without limit behind any open transaction on those tables. When they did change,
/// each attempt waits at most `repeatableLockTimeoutSeconds` for its locks (so running traffic is held up at most
/// that long) and is tried `repeatableAttempts` times before the start fails with `MigrationError.lockTimeout`.
public struct Migrator: Sendable {
    /// Arbitrary constant naming Loket's migration lock (advisory locks are keyed by a bigint).
    static let lockKey = 7_415_203_998_112

    public let migrations: [Migration]
    public let repeatables: [RepeatableMigration]
    /// How long one attempt at the repeatable files waits for a table lock (`lock_timeout`).
    public var repeatableLockTimeoutSeconds = 2.0
    /// Attempts at the repeatable files before giving up with `MigrationError.lockTimeout`.
    public var repeatableAttempts = 5
    /// Pause between attempts, so the running processes' requests waiting behind the lock get through.
    public var repeatableRetryPauseSeconds = 1.0
    private let logger: Logger

    public init(migrations: [Migration], repeatables: [RepeatableMigration] = [], logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.repeatables = repeatables.sorted { $0.name < $1.name }
        self.logger = logger
    }

    /// Applies what is missing; returns the names applied now.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [String] {
        // A migration may rewrite a large table, and a second instance waits here for the first: no time limits,
        // neither on the server nor on the client.
        let clientTimeout = connection.queryTimeoutSeconds
        connection.queryTimeoutSeconds = nil
        defer { connection.queryTimeoutSeconds = clientTimeout }
        try connection.execute("SET statement_timeout = 0; SET lock_timeout = 0")
        try connection.query(Query("SELECT pg_advisory_lock($1)", Self.lockKey))
        defer { _ = try? connection.query(Query("SELECT pg_advisory_unlock($1)", Self.lockKey)) }
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """)
        var applied: [Int: (name: String, checksum: String)] = [:]
        for row in try connection.query(Query("SELECT version, name, checksum FROM schema_migrations")) {
            applied[try row.int("version")] = (try row.string("name"), try row.string("checksum"))
        }
        let known = Set(migrations.map(\.version))
        if let unknown = applied.keys.sorted().first(where: { !known.contains($0) }) {
            throw MigrationError.unknownApplied(version: unknown, name: applied[unknown]!.name)
        }
        var done: [String] = []
        for migration in migrations {
            let checksum = try connection.query(Query("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS c", migration.sql))
                .first!.string("c")
            if let existing = applied[migration.version] {
                guard existing.checksum == checksum else {
                    throw MigrationError.checksumMismatch(name: migration.name, applied: existing.checksum, file: checksum)
                }
                continue
            }
            do {
                try connection.transaction { c in
                    try c.execute(SQL(unsafeUnchecked: migration.sql))
                    try c.query(Query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                      migration.version, migration.name, checksum))
                }
            } catch let error as PostgresError {
                throw MigrationError.failed(name: migration.name, underlying: error)
            }
            logger.info("applied migration \(migration.name)")
            done.append(migration.name)
        }
        // Under the same lock: a second instance replaces the functions only after the first finished, and all files
        // go in one transaction, so no session ever sees half of a new set of functions.
        if !repeatables.isEmpty {
            try applyRepeatables(connection)
        }
        return done
    }

    /// The repeatable set's checksum: every file's name and text, in order.
    private func repeatableChecksum(_ connection: Connection) throws -> String {
        let text = repeatables.map { "-- \($0.name)\n\($0.sql)\n" }.joined()
        return try connection.query(Query("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex') AS c", text)).first!.string("c")
    }

    private func applyRepeatables(_ connection: Connection) throws {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_functions (
                -- one row: the checksum of the repeatable files last applied
                singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """)
        let checksum = try repeatableChecksum(connection)
        let recorded = try connection.query(Query("SELECT checksum FROM schema_functions")).first.map { try $0.string("checksum") }
        if recorded == checksum {
            logger.debug("the repeatable files are unchanged")
            return
        }
        let lockTimeout = "\(max(1, Int(repeatableLockTimeoutSeconds * 1000)))ms"
        for attempt in 1...max(1, repeatableAttempts) {
            var current = ""
            do {
                try connection.transaction { c in
                    try c.query(Query("SELECT set_config('lock_timeout', $1, true)", lockTimeout))
                    for file in repeatables {
                        current = file.name
                        try c.execute(SQL(unsafeUnchecked: file.sql))
                    }
                    current = ""
                    try c.query(Query("""
                        INSERT INTO schema_functions (checksum) VALUES ($1)
                        ON CONFLICT (singleton) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()
                        """, checksum))
                }
                logger.info("applied the changed repeatable files \(repeatables.map(\.name))")
                return
            } catch let error as PostgresError where error.sqlState == "55P03" {
                logger.warning("the repeatable files wait for a table lock (attempt \(attempt) of \(repeatableAttempts)); trying again")
                if attempt < repeatableAttempts { usleep(UInt32(max(0, repeatableRetryPauseSeconds) * 1e6)) }
            } catch let error as PostgresError {
                throw MigrationError.failed(name: current.isEmpty ? "schema_functions" : "functions/" + current, underlying: error)
            }
        }
        throw MigrationError.lockTimeout(attempts: max(1, repeatableAttempts), secondsEach: repeatableLockTimeoutSeconds)
    }

    /// Whether every known migration is applied with a matching checksum (for /readyz).
    public func isCurrent(_ connection: Connection) throws -> Bool {
        let rows = try connection.query(Query("""
            SELECT count(*) AS n FROM schema_migrations WHERE version = ANY($1::int[])
            """, migrations.map { String($0.version) }))
        return try rows.first!.int("n") == migrations.count
    }
}
