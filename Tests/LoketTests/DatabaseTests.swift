@testable import API
import EmbeddedPostgres
import Foundation
import Logging
import Postgres
import TestSupport
import XCTest

/// Migrations, the pool, LISTEN/NOTIFY and the SQL files, against a real PostgreSQL.
final class DatabaseTests: XCTestCase {
    let logger = TestPostgres.logger

    func testMigrationsApplyInOrderAndAreRecordedWithChecksums() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let migrator = Migrator(migrations: [
            Migration(version: 2, name: "0002_b.sql", sql: "ALTER TABLE a ADD COLUMN y int"),
            Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x int)"),
        ], logger: logger)
        XCTAssertEqual(try migrator.migrate(db), ["0001_a.sql", "0002_b.sql"])
        XCTAssertEqual(try migrator.migrate(db), [], "a second run applies nothing")
        let rows = try db.query(Query("SELECT version, length(checksum) AS n FROM schema_migrations ORDER BY version"))
        XCTAssertEqual(rows.map { try! $0.int("version") }, [1, 2])
        XCTAssertEqual(try rows[0].int("n"), 64)
    }

    func testEditedAppliedMigrationIsRefused() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        try Migrator(migrations: [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x int)")], logger: logger).migrate(db)
        let edited = Migrator(migrations: [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x bigint)")], logger: logger)
        XCTAssertThrowsError(try edited.migrate(db)) { error in
            guard case MigrationError.checksumMismatch(let name, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "0001_a.sql")
            XCTAssertTrue("\(error)".contains("Never edit an applied migration"))
        }
    }

    func testFailedMigrationRollsBackAndIsNotRecorded() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let bad = Migrator(migrations: [Migration(version: 1, name: "0001_bad.sql", sql: "CREATE TABLE half (x int); SELECT nonsense_function()")], logger: logger)
        XCTAssertThrowsError(try bad.migrate(db))
        XCTAssertTrue(try db.query(Query("SELECT to_regclass('half') IS NULL AS gone")).first!.bool("gone"))
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM schema_migrations")).first!.int("n"), 0)
    }

    func testConcurrentStartsMigrateOnce() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let results = LockedResults()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { results.add(try App.migrate(conninfo: url, logger: self.logger)) } catch { results.fail("\(error)") }
        }
        XCTAssertEqual(results.errors, [])
        XCTAssertEqual(results.all.filter { !$0.isEmpty }.count, 1, "exactly one instance applies the migrations")
        XCTAssertEqual(results.all.flatMap { $0 }.sorted(), App.migrations.map(\.name).sorted())
    }

    func testEveryMigrationFileIsBundled() throws {
        let folder = TestApp.repositoryRoot + "/Migrations/sql"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertEqual(files, App.migrations.map(\.name), "Migrations/Migrations.swift must list every file in Migrations/sql")
        // Versions are unique and consecutive, so the order a database was migrated in is never in doubt.
        let versions = App.migrations.map(\.version)
        XCTAssertEqual(versions, Array(1...versions.count), "versions are 1, 2, 3, … without gaps or repeats")
    }

    func testEveryNamedStatementPrepares() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        XCTAssertGreaterThan(Statements.all.count, 40)
        for (file, name, sql) in Statements.all {
            // PREPARE parses, type-checks and plans without running: a typo in any .sql file fails here.
            XCTAssertNoThrow(try db.execute(SQL(unsafeUnchecked: "PREPARE check_\(file)_\(name) AS \(sql.text)")), "\(file).sql \(name)")
        }
    }

    /// A statement name looked up in Swift that no .sql file defines would stop the process at run time: every
    /// `Statements.file["name"]` in the sources must exist.
    func testEveryStatementTheCodeUsesExists() throws {
        let folder = TestApp.repositoryRoot + "/Sources/API"
        let known = Set(Statements.all.map { "\($0.file).\($0.name)" })
        let pattern = try NSRegularExpression(pattern: #"Statements\.(\w+)\["(\w+)"\]"#)
        var used = 0
        // Typed statements (`static let sqlName = "…"`) are tied to their files by StatementTests; they count here
        // only so that the sanity bound below keeps holding while features move from subscripts to types.
        var typed = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            typed += text.components(separatedBy: "static let sqlName = \"").count - 1
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let name = "\(text[Range(m.range(at: 1), in: text)!]).\(text[Range(m.range(at: 2), in: text)!])"
                XCTAssertTrue(known.contains(name), "\(file) uses \(name), which no .sql file defines")
                used += 1
            }
        }
        XCTAssertGreaterThan(used + typed, 30, "the pattern finds the statements the code uses")
    }

    func testBoundParametersCannotInject() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        try db.execute("CREATE TABLE t (v text)")
        let evil = "x'); DROP TABLE t; --"
        try db.query(Query("INSERT INTO t (v) VALUES ($1)", evil))
        XCTAssertEqual(try db.query(Query("SELECT v FROM t")).first!.string("v"), evil)
        XCTAssertEqual(try db.query(Query("SELECT $1::text[] AS a", ["a,b", "c\"d", "e\\f", "NULL"])).first!.stringArray("a"), ["a,b", "c\"d", "e\\f", "NULL"])
    }

    /// A not-null violation names its column and table in libpq's structured fields, and the problem is built from
    /// them, never from the message text (which the server translates with `lc_messages`).
    func testNotNullViolationIsMappedFromStructuredFieldsNotTheMessage() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        try db.execute("CREATE TABLE opening (id int, time_zone text NOT NULL)")
        XCTAssertThrowsError(try db.query(Query("INSERT INTO opening (id, time_zone) VALUES (1, NULL)"))) { error in
            guard let e = error as? PostgresError else { return XCTFail("\(error)") }
            XCTAssertTrue(e.isNotNullViolation)
            XCTAssertEqual(e.column, "time_zone")
            XCTAssertEqual(e.table, "opening")
            XCTAssertEqual(ErrorMapping.problem(for: e)?.invalidParams, [.init(name: "timeZone", reason: "is required")])
        }
        // The same error as a Dutch server reports it: the message is no help, the fields are.
        let dutch = PostgresError.server(sqlState: "23502",
                                         message: "null-waarde in kolom \"time_zone\" van relatie \"opening\" schendt not-null-beperking",
                                         detail: nil, constraint: nil, column: "time_zone", table: "opening")
        XCTAssertEqual(ErrorMapping.problem(for: dutch)?.invalidParams, [.init(name: "timeZone", reason: "is required")])
        let withoutField = PostgresError.server(sqlState: "23502", message: "null value in column \"time_zone\" of relation \"x\"",
                                                detail: nil, constraint: nil)
        XCTAssertEqual(ErrorMapping.problem(for: withoutField)?.invalidParams, [.init(name: "a required field", reason: "is required")],
                       "the English message is not parsed")
    }

    func testTransactionRetriesSerializationFailures() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let setup = try Connection(conninfo: url)
        try setup.execute("CREATE TABLE counter (n int); INSERT INTO counter VALUES (0)")
        let pool = ConnectionPool(conninfo: url, maxConnections: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10 {
                try? pool.withConnection { db in
                    try db.transaction(isolation: "SERIALIZABLE", attempts: 50) { tx in
                        let n = try tx.query(Query("SELECT n FROM counter")).first!.int("n")
                        try tx.query(Query("UPDATE counter SET n = $1", n + 1))
                    }
                }
            }
        }
        XCTAssertEqual(try setup.query(Query("SELECT n FROM counter")).first!.int("n"), 80, "no lost update: every failure was retried")
    }

    func testListenNotifyDeliversAndReconnects() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let received = LockedResults()
        let listener = Listener(conninfo: url, channels: ["test_channel"], interval: 0.2, logger: logger) { db, wake in
            for n in wake.notifications { received.add([n.payload]) }
            if wake.reconnected { received.add(["(connected pid \(db.backendPID))"]) }
        }
        listener.start()
        defer { listener.stop() }
        XCTAssertTrue(waitUntil { received.all.count == 1 })
        let sender = try Connection(conninfo: url)
        try sender.query(Query("SELECT pg_notify('test_channel', $1)", "hello"))
        XCTAssertTrue(waitUntil { received.all.flatMap { $0 }.contains("hello") })
        // Kill the listener's backend: it must reconnect and receive again.
        try sender.query(Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'loket-listener' AND datname = current_database()"))
        XCTAssertTrue(waitUntil(seconds: 10) { received.all.filter { $0.first?.hasPrefix("(connected") == true }.count == 2 }, "reconnected")
        try sender.query(Query("SELECT pg_notify('test_channel', $1)", "again"))
        XCTAssertTrue(waitUntil { received.all.flatMap { $0 }.contains("again") })
    }

    /// The service answers 503 problem+json while its database is down, and recovers by itself when it returns.
    func testDatabaseOutageGives503AndRecovers() throws {
        let folder = "/tmp/loket-outage-\(getpid())"
        let cluster = EmbeddedCluster(dataDirectory: folder, logger: logger, port: 5499)
        let url = try cluster.start()
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let t = try TestApp(databaseURL: url)
        defer { t.stop() }
        XCTAssertEqual(try t.admin.get("/api/v1/agencies").status, 200)
        try cluster.stop()
        let down = try t.admin.get("/api/v1/agencies")
        XCTAssertEqual(down.status, 503, down.text)
        XCTAssertEqual(down.header("content-type"), "application/problem+json")
        XCTAssertNotNil(down.header("retry-after"))
        XCTAssertEqual(try t.client.get("/readyz").status, 503)
        XCTAssertEqual(try t.client.get("/healthz").status, 200, "the process itself is alive")
        _ = try cluster.start()
        XCTAssertTrue(waitUntil(seconds: 15) { (try? t.admin.get("/api/v1/agencies").status) == 200 }, "recovers without a restart")
        XCTAssertEqual(try t.client.get("/readyz").status, 200)
        let metrics = try t.client.get("/metrics").text
        XCTAssertFalse(metrics.contains("loket_db_errors_total 0.0"), "database errors are counted")
    }
}

/// Collects results from several threads.
final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [[String]] = []
    private var failures: [String] = []
    func add(_ v: [String]) { lock.lock(); values.append(v); lock.unlock() }
    func fail(_ s: String) { lock.lock(); failures.append(s); lock.unlock() }
    var all: [[String]] { lock.lock(); defer { lock.unlock() }; return values }
    var errors: [String] { lock.lock(); defer { lock.unlock() }; return failures }
}

/// Polls until the condition holds or the time is up.
func waitUntil(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
