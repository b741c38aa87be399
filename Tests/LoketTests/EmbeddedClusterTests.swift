import EmbeddedPostgres
import Foundation
import Glibc
import Postgres
import TestSupport
import XCTest

/// The embedded cluster in its own target: a killed server is recovered on the next start, and as root the server
/// runs as `postgres`, in `/var/lib/loket/<hash>` when that account cannot reach the data folder.
final class EmbeddedClusterTests: XCTestCase {
    let logger = TestPostgres.logger

    func testKilledClusterIsRecoveredOnNextStart() throws {
        let folder = "/tmp/loket-crash-\(getpid())"
        let cluster = EmbeddedCluster(dataDirectory: folder, logger: logger, port: 5497)
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let url = try cluster.start()
        try Connection(conninfo: url).execute("CREATE TABLE survives (x int); INSERT INTO survives VALUES (7)")
        if geteuid() == 0, let postgres = getpwnam("postgres") {
            var info = stat()
            XCTAssertEqual(stat(folder + "/postgres", &info), 0)
            XCTAssertEqual(info.st_uid, postgres.pointee.pw_uid, "as root the cluster belongs to the postgres account")
        }
        let pidText = try String(contentsOfFile: folder + "/postgres/postmaster.pid", encoding: .utf8)
        let postmaster = try XCTUnwrap(pidText.split(separator: "\n").first.flatMap { pid_t($0) })
        XCTAssertEqual(kill(postmaster, SIGKILL), 0)
        XCTAssertTrue(waitUntil(seconds: 10) { kill(postmaster, 0) != 0 || Self.isZombie(postmaster) })

        let again = EmbeddedCluster(dataDirectory: folder, logger: logger, port: 5497)
        let recovered = try again.start()
        let db = try Connection(conninfo: recovered)
        defer { db.close() }
        XCTAssertEqual(try db.query(Query("SELECT x FROM survives")).first!.int("x"), 7, "committed data survives the crash")
        try again.stop()
        XCTAssertFalse(Connection.ping(conninfo: recovered + "&connect_timeout=2"), "stopped")
    }

    /// A data folder the `postgres` account cannot reach (a private folder of root's, like anything under /root):
    /// as root the cluster moves to /var/lib/loket/<hash> and says where; as any other user it runs as that user,
    /// who can reach the folder, and stays in it.
    func testDataFolderThePostgresAccountCannotReachIsRelocated() throws {
        let parent = "/tmp/loket-private-\(getpid())"
        XCTAssertEqual(mkdir(parent, 0o700), 0, "a private folder")
        let folder = parent + "/data"
        let cluster = EmbeddedCluster(dataDirectory: folder, logger: logger, port: 5496)
        var relocated: String?
        defer {
            try? cluster.stop()
            try? FileManager.default.removeItem(atPath: parent)
            if let relocated { try? FileManager.default.removeItem(atPath: (relocated as NSString).deletingLastPathComponent) }
        }
        let url = try cluster.start()
        XCTAssertTrue(Connection.ping(conninfo: url + "&connect_timeout=2"))
        if geteuid() == 0 {
            relocated = try String(contentsOfFile: folder + "/postgres.location", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertTrue(relocated!.hasPrefix("/var/lib/loket/"), relocated!)
            XCTAssertTrue(FileManager.default.fileExists(atPath: relocated! + "/PG_VERSION"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/postgres/PG_VERSION"))
        } else {
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/postgres.location"), "no relocation without root")
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/postgres/PG_VERSION"))
        }
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first == "Z"
    }
}
