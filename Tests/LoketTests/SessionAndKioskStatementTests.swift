@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// The typed statements of sessions.sql and kiosk.sql (like StatementTests for admin.sql): every statement of the
/// files has exactly one type, every type names a statement, the stored properties are the `$n` parameters, and
/// everything PREPAREs on a migrated database.
final class SessionAndKioskStatementTests: XCTestCase {
    static let samples: [any Statement] = {
        let id = "00000000-0000-0000-0000-000000000000"
        let now = Instant(microseconds: 0)
        return [
            StaffForLogin(username: "x"), ThrottleReserve(username: "x", now: now), ThrottleClear(username: "x"),
            SessionInsert(tokenHash: .bytes([1]), staffID: id, hours: 1, now: now),
            SessionActor(tokenHash: .bytes([1]), allowBootstrap: true, now: now, idleMinutes: 30), SessionTouch(tokenHash: .bytes([1]), now: now), SessionDelete(tokenHash: .bytes([1])),
            SettingPut(key: "k", value: "v"), SettingInsertIfMissing(key: "k", value: "v"),
            PurgeSessions(now: now), PurgeLoginThrottle(now: now),
            KioskLocation(code: "x", language: "nl", now: now), KioskLocationCode(id: id),
        ]
    }()

    /// The statements that decide by time take it from the caller's clock, not PostgreSQL's `now()`.
    func testSessionsExpireByTheGivenTime() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        try App.migrate(conninfo: url, logger: TestPostgres.logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        let agency = try db.query(Query("INSERT INTO agency (code, name) VALUES ('a', 'A') RETURNING id::text AS id")).first!.string("id")
        let staff = try db.query(Query("INSERT INTO staff (agency_id, username, password_hash, display_name, role) VALUES ($1, 'anna', '$argon2id$x', 'Anna', 'staff') RETURNING id::text AS id",
                                       agency)).first!.string("id")
        let start = Instant(rfc3339: "2030-01-01T08:00:00Z")!
        let digest = [UInt8](repeating: 7, count: 32)
        let inserted = try db.first(SessionInsert(tokenHash: .bytes(digest), staffID: staff, hours: 12, now: start))
        XCTAssertEqual(inserted.flatMap { Instant(rfc3339: $0.expiresAt) }, Instant(rfc3339: "2030-01-01T20:00:00Z"))
        let during = Instant(rfc3339: "2030-01-01T19:59:00Z")!, after = Instant(rfc3339: "2030-01-01T20:01:00Z")!
        let actor = try db.first(SessionActor(tokenHash: .bytes(digest), allowBootstrap: false, now: during, idleMinutes: 0))
        XCTAssertEqual(actor?.id, staff)
        XCTAssertEqual(actor?.bootstrap, false)
        XCTAssertEqual(actor?.serviceIDs, [])
        XCTAssertNil(try db.first(SessionActor(tokenHash: .bytes(digest), allowBootstrap: false, now: after, idleMinutes: 0)), "expired at 20:00")
        XCTAssertEqual(try db.run(PurgeSessions(now: Instant(rfc3339: "2030-01-02T19:00:00Z")!)).affected, 0, "kept for a day after expiry")
        XCTAssertEqual(try db.run(PurgeSessions(now: Instant(rfc3339: "2030-01-02T21:00:00Z")!)).affected, 1)
    }
}
