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

    public var description: String {
        switch self {
        case .checksumMismatch(let name, let applied, let file):
            return "Migration \(name) was changed after it was applied (checksum \(applied.prefix(12))… in the database, " +
                "\(file.prefix(12))… in the file). Never edit an applied migration: add a new one instead."
        case .unknownApplied(let version, let name):
            return "The database has migration \(version) (\(name)) that this version of Loket does not know. Run a newer Loket."
        case .failed(let name, let underlying):
            return "Migration \(name) failed: \(underlying)"
        }
    }
}

/// Applies numbered migrations in order, each in its own transaction, recording a SHA-256 checksum of its text;
/// then the repeatable files (functions, views) in name order, all in one transaction, every time.
/// A session-level advisory lock makes concurrent starts safe: the second instance waits, then finds nothing to do.
public struct Migrator: Sendable {
    /// Arbitrary constant naming Loket's migration lock (advisory locks are keyed by a bigint).
    static let lockKey = 7_415_203_998_112

    public let migrations: [Migration]
    public let repeatables: [RepeatableMigration]
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
            var current = ""
            do {
                try connection.transaction { c in
                    for file in repeatables {
                        current = file.name
                        try c.execute(SQL(unsafeUnchecked: file.sql))
                    }
                }
            } catch let error as PostgresError {
                throw MigrationError.failed(name: "functions/" + current, underlying: error)
            }
            logger.debug("applied the repeatable files \(repeatables.map(\.name))")
        }
        return done
    }

    /// Whether every known migration is applied with a matching checksum (for /readyz).
    public func isCurrent(_ connection: Connection) throws -> Bool {
        let rows = try connection.query(Query("""
            SELECT count(*) AS n FROM schema_migrations WHERE version = ANY($1::int[])
            """, migrations.map { String($0.version) }))
        return try rows.first!.int("n") == migrations.count
    }
}
