@testable import API
import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// Where declared routes run and how they use the database: inline routes (health, metrics, the OpenAPI document,
/// pages and files) never take a connection, login runs on its own pool without holding one while it hashes, and the
/// sessions answer as the OpenAPI document says.
final class RouteExecutionTests: XCTestCase {
    var t: TestApp!

    override func setUpWithError() throws {
        // One database worker: the pool has 3 connections, which the test can hold all of.
        t = try TestApp { $0.workerThreads = 1; $0.runJobs = false }
    }
    override func tearDown() { t.tearDown() }

    func testDeclarationsAreConsistent() {
        for (route, _) in Features.routes {
            let name = "\(route.method) \(route.path)"
            if route.execution.isInline { XCTAssertEqual(route.database, DatabaseUse.none, "\(name) runs on the network thread") }
            if route.database == .none { XCTAssertEqual(route.access, .public, "\(name) cannot authenticate without the database") }
        }
        let login = Features.routes.first { $0.route.method == "POST" && $0.route.path == "/api/v1/sessions" }?.route
        XCTAssertEqual(login?.database, .brief, "login must not hold a connection while the password is hashed")
        guard case .pool = login?.execution else { return XCTFail("login runs on the login pool") }
    }

    /// A handler that reaches for a connection its declaration does not give it fails (a 500, logged), and never
    /// quietly takes one: `.brief` borrows per step, `.none` never.
    func testHandlersGetOnlyTheConnectionsTheirDeclarationGives() throws {
        let request = Request(method: "GET", path: "/x")
        let brief = RouteContext(request: request, app: t.app, database: .brief, connection: nil, principal: nil)
        XCTAssertThrowsError(try brief.db) { XCTAssertNil(ErrorMapping.problem(for: $0), "a 500: \($0)") }
        let before = t.app.pool.statistics.inUse
        XCTAssertEqual(try brief.withConnection { db in try db.query(Query("SELECT 1 AS n")).first?.int("n") }, 1)
        XCTAssertEqual(t.app.pool.statistics.inUse, before, "returned right after the step")
        let none = RouteContext(request: request, app: t.app, database: .none, connection: nil, principal: nil)
        XCTAssertThrowsError(try none.db)
        XCTAssertThrowsError(try none.withConnection { _ in 1 })
        XCTAssertThrowsError(try none.transaction { _ in 1 })
    }

    /// Holds every pooled connection: inline routes still answer at once, a route that needs the database does not.
    func testInlineRoutesAnswerWhileEveryConnectionIsTaken() throws {
        let pool = t.app.pool
        func holding(_ n: Int, _ body: () throws -> Void) throws {
            if n == 0 { return try body() }
            try pool.withConnection { _ in try holding(n - 1, body) }
        }
        try holding(3) {
            XCTAssertEqual(pool.statistics.idle, 0)
            for path in ["/healthz", "/metrics", "/api/v1/openapi.json", "/kiosk/centrum", "/staff", "/assets/kiosk.js"] {
                let started = Date()
                XCTAssertEqual(try t.client.get(path).status, 200, path)
                XCTAssertLessThan(Date().timeIntervalSince(started), 3, "\(path) must not wait for a connection")
            }
            // The check is honest: a route that uses the database waits for a connection and gives up (503).
            XCTAssertEqual(try t.client.get("/api/v1/kiosk/centrum").status, 503)
        }
    }

    /// Login borrows connections only for its short steps: with all but one connection taken, parallel logins all
    /// succeed and the connection is free again afterwards.
    func testLoginsShareTheLastConnection() throws {
        _ = try World.make(t)
        let pool = t.app.pool
        try pool.withConnection { _ in
            try pool.withConnection { _ in
                let results = LoginStatuses()
                DispatchQueue.concurrentPerform(iterations: 3) { i in
                    let user = ["anna-centrum", "bram-centrum", "anna-centrum"][i]
                    let r = try? t.client.post("/api/v1/sessions", json: ["username": user, "password": "correct horse battery"])
                    results.add(r?.status ?? 0)
                }
                XCTAssertEqual(results.values, [201, 201, 201])
            }
        }
        XCTAssertEqual(pool.statistics.inUse, 0)
    }

    func testCurrentSessionMatchesTheDocumentForStaffAndBootstrap() throws {
        let w = try World.make(t)
        let staff = try w.staffA.get("/api/v1/sessions/current").object
        XCTAssertNotNil(staff["expiresAt"] as? String)
        XCTAssertNotNil((staff["staff"] as? [String: Any])?["id"] as? String)
        let bootstrap = try t.admin.get("/api/v1/sessions/current")
        XCTAssertEqual(bootstrap.status, 200)
        XCTAssertTrue(bootstrap.object["expiresAt"] is NSNull, "the bootstrap token does not expire")
        let doc = try t.client.get("/api/v1/openapi.json").object
        let schemas = (doc["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]] ?? [:]
        let props = schemas["CurrentSession"]?["properties"] as? [String: [String: Any]] ?? [:]
        XCTAssertEqual(props["expiresAt"]?["nullable"] as? Bool, true)
        let staffProps = schemas["SessionStaff"]?["properties"] as? [String: [String: Any]] ?? [:]
        XCTAssertEqual(staffProps["id"]?["nullable"] as? Bool, true)
        XCTAssertEqual(staffProps["agencyId"]?["nullable"] as? Bool, true)
        // A cookie login's body carries no token, and the document says the token may be absent.
        let cookie = try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery", "cookie": true])
        XCTAssertEqual(cookie.status, 201)
        XCTAssertNil(cookie.object["token"])
        XCTAssertNotNil(cookie.object["csrfToken"] as? String)
        XCTAssertFalse((schemas["Session"]?["required"] as? [String] ?? []).contains("token"))
    }
}

private final class LoginStatuses: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func add(_ v: Int) { lock.lock(); list.append(v); lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return list.sorted() }
}
