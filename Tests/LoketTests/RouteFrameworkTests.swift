@testable import API
import Foundation
import HTTP
import Postgres
import TestSupport
import Time
import XCTest

/// Declared routes: the framework enforces the declared access, the OpenAPI document comes from the declarations,
/// handlers get the app's clock, and database errors map by constraint name without leaking DETAIL.
final class RouteFrameworkTests: XCTestCase {
    var t: TestApp!
    let clock = ManualClock(Instant(rfc3339: "2026-03-29T10:00:00Z")!)

    override func setUpWithError() throws {
        let clock = self.clock
        t = try TestApp { $0.clock = clock }
    }
    override func tearDown() { t.tearDown() }

    func path(_ pattern: String) -> String {
        pattern.split(separator: "/").map { $0.hasPrefix("{") ? UUID().uuidString.lowercased() : String($0) }
            .reduce("") { $0 + "/" + $1 }
    }

    func testEveryDeclaredRouteEnforcesItsAccess() throws {
        let w = try World.make(t)
        XCTAssertGreaterThan(Features.routes.count, 20)
        for (route, _) in Features.routes {
            let p = path(route.path)
            let anonymous = try t.client.send(route.method, p, body: Array("{}".utf8), headers: ["Content-Type": "application/json"])
            if route.access == .public { continue }
            XCTAssertEqual(anonymous.status, 401, "\(route.method) \(route.path) without login")
            if route.access == .admin || route.access == .coordinator {
                let staff = try w.staffA.send(route.method, p, body: Array("{}".utf8), headers: ["Content-Type": "application/json"])
                XCTAssertEqual(staff.status, 403, "\(route.method) \(route.path) as staff")
            }
        }
    }

    func testOpenAPIDocumentComesFromTheDeclarations() throws {
        let doc = try t.client.get("/api/v1/openapi.json").object
        let paths = doc["paths"] as? [String: [String: Any]] ?? [:]
        for (route, _) in Features.routes {
            let op = paths[route.documentedPath]?[route.method.lowercased()] as? [String: Any]
            XCTAssertEqual(op?["operationId"] as? String, route.operation.operationID, "\(route.method) \(route.path)")
            XCTAssertEqual(op?["summary"] as? String, route.operation.summary)
            if route.access != .public { XCTAssertEqual(op?["x-role"] as? String, route.access.rawValue) }
            if let body = route.operation.requestBody {
                XCTAssertTrue("\(op?["requestBody"] ?? "")".contains("#/components/schemas/\(body)"))
            }
        }
        var ids: [String] = []
        var refs = Set<String>()
        for (_, ops) in paths {
            for (_, op) in ops {
                let op = op as? [String: Any] ?? [:]
                ids.append(op["operationId"] as? String ?? "")
                let text = String(data: try JSONSerialization.data(withJSONObject: op), encoding: .utf8)!
                for m in text.components(separatedBy: "#\\/components\\/schemas\\/").dropFirst() {
                    refs.insert(String(m.prefix { $0 != "\"" }))
                }
            }
        }
        XCTAssertEqual(Set(ids).count, ids.count, "operationIds are unique: \(ids.sorted())")
        let schemas = ((doc["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
        XCTAssertEqual(refs.subtracting(schemas.keys), [], "every referenced schema exists")
        let listAgencies = paths["/api/v1/agencies"]?["get"] as? [String: Any]
        XCTAssertTrue("\(listAgencies?["parameters"] ?? "")".contains("includeInactive"), "query parameters are documented")
    }

    func testClosureAgreesOnUnknownLocationsAndUsesTheAppClock() throws {
        let w = try World.make(t)
        let coordinator = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "coco", "password": "long enough password",
                                                                    "displayName": "Coco", "role": "coordinator"])
        XCTAssertEqual(coordinator.status, 201)
        let coco = try World.login(t, "coco", password: "long enough password")
        let unknown = UUID().uuidString.lowercased()
        XCTAssertEqual(try coco.post("/api/v1/locations/\(unknown)/closure", json: ["reason": "x"]).status, 404)
        let reopenUnknown = try coco.delete("/api/v1/locations/\(unknown)/closure")
        XCTAssertEqual(reopenUnknown.status, 404, "DELETE agrees with POST on an unknown location")
        XCTAssertEqual(reopenUnknown.header("content-type"), "application/problem+json")
        let closed = try coco.post("/api/v1/locations/\(w.locationID)/closure", json: ["reason": "storm"])
        XCTAssertEqual(closed.object["closedDay"] as? String, "2026-03-29", "the day comes from the app's clock")
        XCTAssertEqual(try coco.delete("/api/v1/locations/\(w.locationID)/closure").status, 204)
        XCTAssertEqual(try coco.delete("/api/v1/locations/\(w.locationID)/closure").status, 204, "reopening an open location is fine")
        let db = try t.connection()
        defer { db.close() }
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM location_closure")).first!.int("n"), 0)
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'location.reopen'")).first!.int("n"), 2)
    }

    func testConstraintErrorsMapByNameAndNeverCarryDetail() throws {
        let db = try t.connection()
        defer { db.close() }
        try db.execute("CREATE TABLE booking (room text NOT NULL, during tstzrange NOT NULL, CONSTRAINT booking_room_excl EXCLUDE USING gist (room WITH =, during WITH &&))")
        try db.execute("INSERT INTO booking VALUES ('Kamer 1', '[2026-03-29 10:00Z, 2026-03-29 11:00Z)')")
        do {
            try db.execute("INSERT INTO booking VALUES ('Kamer 1', '[2026-03-29 10:30Z, 2026-03-29 11:30Z)')")
            XCTFail("overlap accepted")
        } catch let error as PostgresError {
            XCTAssertEqual(error.sqlState, "23P01")
            XCTAssertEqual(ErrorMapping.problem(for: error)?.status, 409, "double booking is a conflict")
            XCTAssertFalse("\(error)".contains("Kamer 1"), "DETAIL quotes the row; it must not reach logs: \(error)")
        }
        do {
            try db.execute("INSERT INTO booking (room, during) VALUES (NULL, '[2026-03-29 10:00Z, 2026-03-29 11:00Z)')")
            XCTFail("null accepted")
        } catch let error as PostgresError {
            let problem = ErrorMapping.problem(for: error)
            XCTAssertEqual(problem?.status, 422)
            XCTAssertEqual(problem?.invalidParams.first?.name, "room", "a not-null violation names the field")
        }
        // Over HTTP: an admin constraint answers from the admin feature's own table.
        _ = try World.make(t)
        let dup = try t.admin.post("/api/v1/staff", json: ["agencyId": try agencyID("uwv-centrum"), "username": "Anna-Centrum",
                                                            "password": "long enough password", "displayName": "Dup", "role": "staff"])
        XCTAssertEqual(dup.status, 409)
        XCTAssertEqual(dup.object["detail"] as? String, "There is already a staff member with this username.")
        XCTAssertFalse(dup.text.contains("anna"), "no row values in the answer")
    }

    func agencyID(_ code: String) throws -> String {
        let items = try t.admin.get("/api/v1/agencies").object["items"] as? [[String: Any]] ?? []
        return items.first { $0["code"] as? String == code }?["id"] as? String ?? ""
    }

    func testPublicRouteIgnoresStaleCredentialsButProtectedOnesDoNot() throws {
        XCTAssertEqual(try t.client.with(bearer: "stale").get("/api/v1/agencies").status, 401)
    }
}
