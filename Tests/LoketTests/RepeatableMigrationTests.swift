import API
import Foundation
import Logging
import Postgres
import TestSupport
import XCTest

/// The repeatable files of `Migrations/functions`: bundled, applied after the numbered migrations on every migrate,
/// replaced when they change, atomic and safe from several processes at once.
final class RepeatableMigrationTests: XCTestCase {
    let logger = TestPostgres.logger

    /// Functions whose results indexes hold (the exclusion constraints of 0005_calendars.sql). Their meaning must never
    /// change, so they are defined once in their migration and not in Migrations/functions, which is re-applied
    /// with CREATE OR REPLACE on every migrate.
    static let indexBacked: Set<String> = ["minute_of_day", "week_parity"]

    func testEveryFunctionFileIsBundled() throws {
        let folder = TestApp.repositoryRoot + "/Migrations/functions"
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertFalse(files.isEmpty)
        XCTAssertEqual(files, App.repeatableMigrations.map(\.name), "Migrations/Migrations.swift must list every file in Migrations/functions")
        for file in App.repeatableMigrations {
            let onDisk = try String(contentsOfFile: folder + "/" + file.name, encoding: .utf8)
            XCTAssertEqual(file.sql, onDisk, "\(file.name) is bundled as it is on disk")
        }
    }

    /// The bundled files hold every function of the migrations, and applying them leaves the schema working.
    func testBundledFunctionsAreAppliedAndMigrateStaysIdempotent() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        XCTAssertEqual(try App.migrate(conninfo: url, logger: logger), App.migrations.map(\.name))
        XCTAssertEqual(try App.migrate(conninfo: url, logger: logger), [], "a second run applies no migration")
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let names = try db.query(Query("""
            SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS f
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' AND p.prokind = 'f'
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
            ORDER BY 1
            """)).map { try $0.string("f") }
        let repeatableText = App.repeatableMigrations.map(\.sql).joined(separator: "\n")
        for name in names {
            let bare = String(name.prefix { $0 != "(" })
            if Self.indexBacked.contains(bare) {
                XCTAssertFalse(repeatableText.contains("FUNCTION \(bare)("),
                               "\(name) backs an index: defined only in its migration, never re-applied from Migrations/functions")
            } else {
                XCTAssertTrue(repeatableText.contains("CREATE OR REPLACE FUNCTION \(bare)("),
                              "function \(name) is defined in Migrations/functions")
            }
        }
        // Every function an index (an exclusion constraint's too) calls must be in the list, so it stays out of the
        // repeatable files: the index holds its old results, and a changed definition would silently disagree.
        let indexed = try db.query(Query("""
            SELECT DISTINCT p.proname AS f
            FROM pg_depend d JOIN pg_class i ON d.classid = 'pg_class'::regclass AND d.objid = i.oid AND i.relkind = 'i'
            JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid
            JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'public' ORDER BY 1
            """)).map { try $0.string("f") }
        XCTAssertEqual(Set(indexed), Self.indexBacked, "functions that back indexes")
        XCTAssertEqual(try db.query(Query("SELECT rfc3339('2026-03-29 01:00:00+00'::timestamptz, 'Europe/Amsterdam') AS t"))
            .first!.string("t"), "2026-03-29T03:00:00+02:00")
        try db.execute("INSERT INTO audit_log (action, subject_type) VALUES ('test', 'test')")
        XCTAssertThrowsError(try db.execute("UPDATE audit_log SET action = 'changed'"), "the append-only trigger still works") { error in
            XCTAssertTrue("\(error)".contains("append-only"), "\(error)")
        }
    }

    func testChangedFunctionIsReplacedOnNextMigrateWithoutANewMigration() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let migrations = [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x int); INSERT INTO a VALUES (1), (2)")]
        // The function reads a table of the migration: repeatable files run after the numbered migrations.
        func version(_ n: Int) -> [RepeatableMigration] {
            [RepeatableMigration(name: "10_f.sql", sql: SQLText.function(n)),
             RepeatableMigration(name: "05_view.sql", sql: "CREATE OR REPLACE VIEW a_total AS SELECT sum(x)::int AS total FROM a")]
        }
        XCTAssertEqual(try Migrator(migrations: migrations, repeatables: version(1), logger: logger).migrate(db), ["0001_a.sql"])
        XCTAssertEqual(try db.query(Query("SELECT f() AS v")).first!.int("v"), 100 + 2)
        XCTAssertEqual(try db.query(Query("SELECT total FROM a_total")).first!.int("total"), 3)
        XCTAssertEqual(try Migrator(migrations: migrations, repeatables: version(2), logger: logger).migrate(db), [],
                       "a changed function is no new migration")
        XCTAssertEqual(try db.query(Query("SELECT f() AS v")).first!.int("v"), 200 + 2, "the new definition replaced the old")
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM schema_migrations")).first!.int("n"), 1)
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM a")).first!.int("n"), 2, "data untouched")
    }

    /// All repeatable files go in one transaction: a failing file leaves every function as it was.
    func testFailingRepeatableFileChangesNothing() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let migrations = [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x int)")]
        try Migrator(migrations: migrations, repeatables: [RepeatableMigration(name: "10_f.sql", sql: SQLText.function(1))],
                     logger: logger).migrate(db)
        let broken = Migrator(migrations: migrations, repeatables: [
            RepeatableMigration(name: "10_f.sql", sql: SQLText.function(2)),
            RepeatableMigration(name: "20_bad.sql", sql: "CREATE OR REPLACE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT nope $$"),
        ], logger: logger)
        XCTAssertThrowsError(try broken.migrate(db)) { error in
            guard case MigrationError.failed(let name, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "functions/20_bad.sql")
        }
        XCTAssertEqual(try db.query(Query("SELECT f() AS v")).first!.int("v"), 100, "10_f.sql was rolled back with it")
    }

    /// A start whose functions are unchanged takes no table lock: with another transaction holding a lock on
    /// `service` (which 30_ticket_prefixes.sql changes triggers on), migrate returns at once instead of waiting for
    /// it, and so never makes the running processes' take-a-number queue behind it.
    func testUnchangedFunctionsAreNotReappliedAndDoNotWaitForTableLocks() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: logger)
        let holder = try Connection(conninfo: url)
        defer { holder.close() }
        try holder.execute("BEGIN; LOCK TABLE service IN ROW EXCLUSIVE MODE")
        let finished = LockedResults()
        let started = Date()
        let logger = self.logger
        let thread = Thread {
            do { finished.add(try App.migrate(conninfo: url, logger: logger)) } catch { finished.fail("\(error)") }
        }
        thread.start()
        let promptly = waitUntil(seconds: 8) { finished.all.count + finished.errors.count == 1 }
        let elapsed = Date().timeIntervalSince(started)
        try holder.execute("ROLLBACK")  // lets a waiting migrate finish either way
        XCTAssertTrue(waitUntil(seconds: 30) { finished.all.count + finished.errors.count == 1 })
        XCTAssertTrue(promptly, "migrate waited \(elapsed) s for the lock on service")
        XCTAssertLessThan(elapsed, 5)
        XCTAssertEqual(finished.errors, [])
        XCTAssertEqual(finished.all, [[]])
    }

    /// Changed functions that cannot get their table locks wait a bounded time per attempt, retry, and then fail
    /// clearly with nothing changed; once the lock is gone the next migrate applies them.
    func testChangedFunctionsBlockedByALockFailClearlyAndApplyLater() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let migrations = [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x int)")]
        func version(_ n: Int) -> Migrator {
            var m = Migrator(migrations: migrations, repeatables: [
                RepeatableMigration(name: "10_f.sql", sql: SQLText.function(n)),
                // Like 30_ticket_prefixes.sql: a trigger change takes an exclusive lock on the table until commit.
                RepeatableMigration(name: "20_t.sql", sql: """
                    CREATE OR REPLACE FUNCTION a_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
                    DROP TRIGGER IF EXISTS a_touch ON a;
                    CREATE TRIGGER a_touch BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION a_touch();
                    """),
            ], logger: logger)
            m.repeatableLockTimeoutSeconds = 0.3
            m.repeatableAttempts = 3
            m.repeatableRetryPauseSeconds = 0.1
            return m
        }
        try version(1).migrate(db)
        let holder = try Connection(conninfo: url)
        defer { holder.close() }
        try holder.execute("BEGIN; LOCK TABLE a IN ROW EXCLUSIVE MODE")
        let started = Date()
        XCTAssertNoThrow(try version(1).migrate(db), "unchanged: no lock needed")
        XCTAssertThrowsError(try version(2).migrate(db)) { error in
            guard case MigrationError.lockTimeout(let attempts, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(attempts, 3)
            XCTAssertTrue("\(error)".contains("locked by another transaction"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "bounded: three short attempts")
        XCTAssertEqual(try db.query(Query("SELECT f() AS v")).first!.int("v"), 100, "nothing changed")
        try holder.execute("ROLLBACK")
        try version(2).migrate(db)
        XCTAssertEqual(try db.query(Query("SELECT f() AS v")).first!.int("v"), 200, "applied once the lock is gone")
    }

    /// Without the migration lock, concurrent CREATE OR REPLACE of one function fails with "tuple concurrently
    /// updated"; under it, processes starting together all succeed.
    func testConcurrentMigratesReplaceFunctionsSafely() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let migrations = [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (x int)")]
        let results = LockedResults()
        DispatchQueue.concurrentPerform(iterations: 6) { i in
            do {
                let db = try Connection(conninfo: url)
                defer { db.close() }
                for round in 0..<5 {
                    let migrator = Migrator(migrations: migrations,
                                            repeatables: [RepeatableMigration(name: "10_f.sql", sql: SQLText.function(1 + (i + round) % 3))],
                                            logger: self.logger)
                    results.add(try migrator.migrate(db))
                }
            } catch { results.fail("\(error)") }
        }
        XCTAssertEqual(results.errors, [])
        XCTAssertEqual(results.all.flatMap { $0 }, ["0001_a.sql"], "the migration was applied once")
    }
}

private enum SQLText {
    /// f() returns 100 × version + the number of rows of `a`.
    static func function(_ version: Int) -> String {
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql STABLE AS $$ SELECT \(version * 100) + (SELECT count(*)::int FROM a) $$"
    }
}
