import Foundation
import Glibc
import Postgres
import TestSupport
import XCTest

/// A database that stops answering (SIGSTOP: swapped out, stalled storage, a partition without resets) must cost
/// requests seconds and a 503, never a thread for as long as the freeze lasts.
final class FrozenDatabaseTests: XCTestCase {
    /// A statement past the client-side deadline fails with `.timedOut` (a 503), its connection is closed, and the
    /// server is asked to cancel it.
    func testStatementPastTheClientDeadlineIsCancelled() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let db = try Connection(conninfo: url, applicationName: "loket-deadline-test")
        db.queryTimeoutSeconds = 1
        let started = Date()
        XCTAssertThrowsError(try db.query(Query("SELECT pg_sleep(30)"))) { error in
            guard let e = error as? PostgresError, case .timedOut = e else { return XCTFail("\(error)") }
            XCTAssertTrue(e.isUnavailable, "maps to 503")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "the client gave up near its deadline")
        XCTAssertTrue(db.isBroken, "the connection is not reused after an abandoned statement")
        let observer = try Connection(conninfo: url)
        defer { observer.close() }
        XCTAssertTrue(waitUntil(seconds: 10) {
            (try? observer.query(Query("""
                SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE application_name = 'loket-deadline-test' AND state = 'active'
                """)).first!.int("n")) == 0
        }, "the sleeping statement was cancelled on the server")
    }

    /// The regression found by black-box testing: SIGSTOP on PostgreSQL made /readyz and the API wait for the
    /// whole freeze. Now /readyz says 503 within seconds, the API answers 503 after its bounded wait, and both
    /// recover when the database continues.
    func testFrozenDatabaseGives503AndRecovers() throws {
        let pg = try ThrowawayCluster(folder: "/tmp/loket-frozen-\(getpid())")
        defer { pg.destroy() }
        let loket = try LoketProcess(databaseURL: pg.url)
        defer { loket.terminate() }
        let admin = loket.client.with(bearer: TestApp.adminToken)
        XCTAssertEqual(try admin.get("/api/v1/agencies").status, 200)
        // A pooled connection opened before the freeze: its next statement meets the frozen server mid-session.
        let pool = ConnectionPool(conninfo: pg.url, maxConnections: 1, queryTimeoutSeconds: 2)
        try pool.query(Query("SELECT 1"))
        XCTAssertEqual(pool.statistics.idle, 1)

        let frozen = try pg.freeze()
        defer { ThrowawayCluster.thaw(frozen) }  // always, or the cluster and loket's stop hang
        XCTAssertGreaterThan(frozen.count, 1, "the postmaster and its children are stopped")

        var started = Date()
        let ready = try loket.client.send("GET", "/readyz", timeout: 30)
        XCTAssertEqual(ready.status, 503, ready.text)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "readiness answers within seconds")

        started = Date()
        let api = try admin.send("GET", "/api/v1/agencies", timeout: 60)
        XCTAssertEqual(api.status, 503, api.text)
        XCTAssertEqual(api.header("content-type"), "application/problem+json")
        XCTAssertLessThan(Date().timeIntervalSince(started), Connection.defaultQueryTimeoutSeconds + 10,
                          "the API waits a bounded time, not for the freeze")

        started = Date()
        XCTAssertEqual(try loket.client.send("GET", "/readyz", timeout: 30).status, 503, "still bounded on a second try")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertEqual(try loket.client.get("/healthz").status, 200, "the process itself stays responsive")

        started = Date()
        XCTAssertThrowsError(try pool.query(Query("SELECT 1"))) { error in
            guard let e = error as? PostgresError, case .timedOut = e else { return XCTFail("\(error)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "a statement on an open connection waits a bounded time")
        XCTAssertEqual(pool.statistics.idle, 0, "the abandoned connection is not pooled again")

        ThrowawayCluster.thaw(frozen)
        XCTAssertNoThrow(try pool.query(Query("SELECT 1")), "the pool dials again after the freeze")
        XCTAssertTrue(waitUntil(seconds: 30) { (try? loket.client.get("/readyz").status) == 200 }, "ready again")
        XCTAssertTrue(waitUntil(seconds: 30) { (try? admin.get("/api/v1/agencies").status) == 200 }, "the API recovers")
    }

    /// /readyz runs on its own small pool under one deadline: with every database worker stuck on the frozen
    /// database and more requests queued behind them, it still says 503 within seconds instead of waiting its
    /// turn behind the queue.
    func testReadinessAnswersWhileTheDatabaseWorkersAreStuck() throws {
        let pg = try ThrowawayCluster(folder: "/tmp/loket-frozen-busy-\(getpid())")
        defer { pg.destroy() }
        let loket = try LoketProcess(databaseURL: pg.url, extraEnvironment: ["LOKET_WORKERS": "2"])
        defer { loket.terminate() }
        let admin = loket.client.with(bearer: TestApp.adminToken)
        XCTAssertEqual(try admin.get("/api/v1/agencies").status, 200)

        let frozen = try pg.freeze()
        defer { ThrowawayCluster.thaw(frozen) }
        // Twelve requests for two workers: each takes seconds against the frozen database, the rest queue.
        let group = DispatchGroup()
        for _ in 0..<12 {
            DispatchQueue.global().async(group: group) { _ = try? admin.send("GET", "/api/v1/agencies", timeout: 120) }
        }
        usleep(500_000)
        for attempt in 1...2 {
            let started = Date()
            let ready = try loket.client.send("GET", "/readyz", timeout: 60)
            let seconds = Date().timeIntervalSince(started)
            XCTAssertEqual(ready.status, 503, ready.text)
            XCTAssertLessThan(seconds, 4, "attempt \(attempt): readiness does not wait behind the stuck workers")
        }
        ThrowawayCluster.thaw(frozen)
        _ = group.wait(timeout: .now() + 120)
        XCTAssertTrue(waitUntil(seconds: 30) { (try? loket.client.get("/readyz").status) == 200 }, "ready again")
    }
}

/// A PostgreSQL of this test alone, started with `deploy/throwaway-postgres` (freezing the shared test server would
/// stall every other test).
final class ThrowawayCluster {
    let folder: String
    let url: String
    private let script = TestApp.repositoryRoot + "/deploy/throwaway-postgres"

    init(folder: String) throws {
        self.folder = folder
        let output = try Self.shell("'\(script)' start '\(folder)'")
        guard let line = output.split(separator: "\n").first(where: { $0.contains("LOKET_TEST_DATABASE_URL=") }),
              let value = line.split(separator: "=", maxSplits: 1).last
        else { throw NSError(domain: "ThrowawayCluster", code: 1, userInfo: [NSLocalizedDescriptionKey: output]) }
        url = value.trimmingCharacters(in: CharacterSet(charactersIn: "'"))
    }

    func destroy() {
        _ = try? Self.shell("'\(script)' stop '\(folder)'")
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// SIGSTOP on the postmaster (first, so it starts no new children) and then on each of its children.
    func freeze() throws -> [pid_t] {
        let pidFile = try String(contentsOfFile: folder + "/postmaster.pid", encoding: .utf8)
        guard let postmaster = pidFile.split(separator: "\n").first.flatMap({ pid_t($0) }) else {
            throw NSError(domain: "ThrowawayCluster", code: 2, userInfo: [NSLocalizedDescriptionKey: "no postmaster.pid"])
        }
        var stopped = [postmaster]
        kill(postmaster, SIGSTOP)
        for child in Self.children(of: postmaster) where kill(child, SIGSTOP) == 0 { stopped.append(child) }
        return stopped
    }

    static func thaw(_ pids: [pid_t]) {
        for pid in pids { kill(pid, SIGCONT) }
    }

    /// Processes whose parent (field 4 of /proc/<pid>/stat) is `parent`.
    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent
        }
    }

    /// Runs a shell command and returns its output. Not Foundation's Process: pg_ctl leaves the server running with
    /// descriptors it inherited, and Process would wait for them to close.
    static func shell(_ command: String) throws -> String {
        let outputFile = "/tmp/loket-shell-\(getpid())-\(UUID().uuidString.prefix(8)).out"
        defer { unlink(outputFile) }
        let status = system("\(command) >'\(outputFile)' 2>&1 </dev/null")
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw NSError(domain: "ThrowawayCluster", code: Int(status), userInfo: [NSLocalizedDescriptionKey: command + ": " + output])
        }
        return output
    }
}
