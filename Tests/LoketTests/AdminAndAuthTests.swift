import API
import Foundation
import Postgres
import TestSupport
import XCTest

/// Sessions, roles, CSRF and every administration endpoint, over HTTP against a real database.
final class AdminAndAuthTests: XCTestCase {
    var t: TestApp!

    override func setUpWithError() throws { t = try TestApp() }
    override func tearDown() { t.tearDown() }

    func testLoginLogoutAndWrongPassword() throws {
        let w = try World.make(t)
        let me = try w.staffA.get("/api/v1/sessions/current")
        XCTAssertEqual(me.status, 200)
        XCTAssertEqual((me.object["staff"] as? [String: Any])?["username"] as? String, "anna-centrum")
        XCTAssertNotNil(me.object["expiresAt"] as? String)
        let wrong = try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "wrong password"])
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(try t.client.post("/api/v1/sessions", json: ["username": "nobody", "password": "whatever it is"]).status, 401)
        XCTAssertEqual(try w.staffA.delete("/api/v1/sessions/current").status, 204)
        XCTAssertEqual(try w.staffA.get("/api/v1/sessions/current").status, 401, "token is gone after logout")
        // Tokens are stored hashed only.
        let db = try t.connection()
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM session WHERE length(token_hash) = 32")).first!.int("n"), 1)
    }

    func testRepeatedFailuresAreSlowed() throws {
        _ = try World.make(t)
        var statuses: [Int] = []
        for _ in 0..<7 {
            statuses.append(try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "guess guess"]).status)
        }
        XCTAssertEqual(Array(statuses.prefix(5)), [401, 401, 401, 401, 401])
        XCTAssertEqual(statuses.last, 429)
        let slowed = try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery"])
        XCTAssertEqual(slowed.status, 429, "even the right password waits out the delay")
        XCTAssertNotNil(slowed.header("retry-after"))
    }

    func testCookieSessionNeedsCSRFTokenForChanges() throws {
        let w = try World.make(t)
        let login = try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery", "cookie": true])
        XCTAssertEqual(login.status, 201)
        let setCookie = login.header("set-cookie") ?? ""
        XCTAssertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), setCookie)
        let cookie = String(setCookie.split(separator: ";")[0])
        let csrf = login.object["csrfToken"] as! String
        XCTAssertEqual(try t.client.get("/api/v1/sessions/current", headers: ["Cookie": cookie]).object["csrfToken"] as? String, csrf)
        let noToken = try t.client.post("/api/v1/desks/\(w.desks[0])/call-next", headers: ["Cookie": cookie])
        XCTAssertEqual(noToken.status, 403, noToken.text)
        let wrong = try t.client.post("/api/v1/desks/\(w.desks[0])/call-next", headers: ["Cookie": cookie, "X-CSRF-Token": "forged"])
        XCTAssertEqual(wrong.status, 403)
        let ok = try t.client.post("/api/v1/desks/\(w.desks[0])/call-next", headers: ["Cookie": cookie, "X-CSRF-Token": csrf])
        XCTAssertEqual(ok.status, 204, "nobody waits, but the request was accepted")
    }

    /// The session cookie is HttpOnly so that no script can read it; a cookie login must not hand the same token to
    /// scripts in its body. Bearer logins (API clients) still get their token.
    func testCookieLoginKeepsTheTokenOutOfTheBody() throws {
        let w = try World.make(t)
        let login = try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery", "cookie": true])
        XCTAssertEqual(login.status, 201)
        let cookie = String((login.header("set-cookie") ?? "").split(separator: ";")[0])
        let token = String(cookie.dropFirst("loket_session=".count))
        XCTAssertEqual(token.count, 43, cookie)
        XCTAssertNil(login.object["token"], login.text)
        XCTAssertFalse(login.text.contains(token), "the cookie's token appears nowhere in the body")
        XCTAssertNotNil(login.object["csrfToken"] as? String)
        XCTAssertNotNil(login.object["expiresAt"] as? String)
        XCTAssertEqual((login.object["staff"] as? [String: Any])?["username"] as? String, "anna-centrum")
        // The desk page works with the cookie and the CSRF token alone.
        let csrf = login.object["csrfToken"] as! String
        XCTAssertEqual(try t.client.post("/api/v1/desks/\(w.desks[0])/call-next", headers: ["Cookie": cookie, "X-CSRF-Token": csrf]).status, 204)

        let bearer = try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery"])
        XCTAssertEqual(bearer.status, 201)
        let bearerToken = try XCTUnwrap(bearer.object["token"] as? String)
        XCTAssertNil(bearer.header("set-cookie"))
        XCTAssertNil(bearer.object["csrfToken"])
        XCTAssertEqual(try t.client.with(bearer: bearerToken).get("/api/v1/sessions/current").status, 200)
    }

    func testSessionCookieIsSecureBehindHTTPS() throws {
        let https = try TestApp { $0.publicURL = "https://loket.example.nl" }
        defer { https.tearDown() }
        _ = try World.make(https)
        let login = try https.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery", "cookie": true])
        XCTAssertTrue((login.header("set-cookie") ?? "").contains("; Secure"), login.header("set-cookie") ?? "")
    }

    func testAgencyLocationDeskCRUD() throws {
        let admin = t.admin
        let agency = try admin.post("/api/v1/agencies", json: ["code": "duo", "name": "DUO"])
        XCTAssertEqual(agency.status, 201)
        let agencyID = agency.object["id"] as! String
        XCTAssertEqual(try admin.get("/api/v1/agencies/\(agencyID)").object["name"] as? String, "DUO")
        XCTAssertEqual(try admin.patch("/api/v1/agencies/\(agencyID)", json: ["name": "Dienst Uitvoering Onderwijs"]).object["name"] as? String,
                       "Dienst Uitvoering Onderwijs")
        XCTAssertEqual(try admin.patch("/api/v1/agencies/\(agencyID)", json: ["code": "other"]).status, 422, "codes are stable")
        XCTAssertEqual(try admin.delete("/api/v1/agencies/\(agencyID)").object["active"] as? Bool, false)
        XCTAssertFalse(try admin.get("/api/v1/agencies").text.contains(agencyID), "inactive hidden by default")
        XCTAssertTrue(try admin.get("/api/v1/agencies?includeInactive=true").text.contains(agencyID))

        let location = try admin.post("/api/v1/locations", json: ["code": "noord", "name": "Bibliotheek Noord"])
        XCTAssertEqual(location.status, 201)
        XCTAssertEqual(location.object["timeZone"] as? String, "Europe/Amsterdam")
        XCTAssertTrue((location.object["createdAt"] as? String ?? "").range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\+0[12]:00)$"#, options: .regularExpression) != nil,
                      "RFC 3339 with the location's offset: \(location.object["createdAt"] ?? "")")
        let locationID = location.object["id"] as! String
        XCTAssertEqual(try admin.patch("/api/v1/locations/\(locationID)", json: ["timeZone": "Europe/Brussels"]).object["timeZone"] as? String, "Europe/Brussels")
        XCTAssertEqual(try admin.post("/api/v1/locations", json: ["code": "noord", "name": "Again"]).status, 409)

        let desk = try admin.post("/api/v1/locations/\(locationID)/desks", json: ["name": "Balie 1"])
        XCTAssertEqual(desk.status, 201)
        let deskID = desk.object["id"] as! String
        XCTAssertEqual(try admin.post("/api/v1/locations/\(locationID)/desks", json: ["name": "Balie 1"]).status, 409)
        XCTAssertEqual(try admin.post("/api/v1/locations/\(UUID().uuidString.lowercased())/desks", json: ["name": "X"]).status, 404)
        XCTAssertEqual((try admin.get("/api/v1/locations/\(locationID)/desks").object["items"] as? [Any])?.count, 1)
        XCTAssertEqual(try admin.patch("/api/v1/desks/\(deskID)", json: ["name": "Balie 9"]).object["name"] as? String, "Balie 9")
        XCTAssertEqual(try admin.get("/api/v1/desks/\(deskID)").object["name"] as? String, "Balie 9")
        XCTAssertEqual(try admin.delete("/api/v1/desks/\(deskID)").object["active"] as? Bool, false)
        XCTAssertEqual(try admin.delete("/api/v1/locations/\(locationID)").object["active"] as? Bool, false)
    }

    func testServiceAndStaffCRUDAndAgencyWall() throws {
        let w = try World.make(t)
        let admin = t.admin
        let service = try admin.get("/api/v1/services/\(w.serviceA)").object
        XCTAssertEqual(service["ticketPrefix"] as? String, "U")
        XCTAssertEqual(service["locationIds"] as? [String], [w.locationID])
        XCTAssertEqual(try admin.post("/api/v1/services", json: ["agencyId": w.agencyA, "code": "bad", "name": "Bad", "ticketPrefix": "ab",
                                                                  "durationMinutes": 5]).status, 422)
        XCTAssertEqual(try admin.post("/api/v1/services", json: ["agencyId": w.agencyA, "code": "ghost", "name": "Ghost", "ticketPrefix": "G",
                                                                  "durationMinutes": 5, "locationIds": [UUID().uuidString.lowercased()]]).status, 422)
        let patched = try admin.patch("/api/v1/services/\(w.serviceA)", json: ["name": "WW-uitkering", "urgent": false, "locationIds": []])
        XCTAssertEqual(patched.object["name"] as? String, "WW-uitkering")
        XCTAssertEqual(patched.object["locationIds"] as? [String], [])
        XCTAssertEqual((try admin.get("/api/v1/services?agencyId=\(w.agencyB)").object["items"] as? [Any])?.count, 1)

        // A staff member can only serve their own agency's services: the database refuses anything else.
        let cross = try admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "mixed", "password": "long enough password",
                                                            "displayName": "Mixed", "role": "staff", "serviceIds": [w.serviceB]])
        XCTAssertEqual(cross.status, 422, cross.text)
        XCTAssertEqual(try admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "ANNA-centrum", "password": "long enough password",
                                                               "displayName": "Dup", "role": "staff"]).status, 409, "usernames ignore case")
        XCTAssertEqual(try admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "short", "password": "short",
                                                               "displayName": "S", "role": "staff"]).status, 422)
        // A password the login would refuse as oversized (over 1,024 bytes) can never be used: refused when set.
        let huge = String(repeating: "é", count: 513)
        XCTAssertEqual(try admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "huge", "password": huge,
                                                               "displayName": "H", "role": "staff"]).status, 422)
        XCTAssertEqual(try admin.patch("/api/v1/staff/\(w.staffAID)", json: ["password": huge]).status, 422)
        let staff = try admin.get("/api/v1/staff/\(w.staffAID)")
        XCTAssertEqual(staff.object["role"] as? String, "staff")
        XCTAssertNil(staff.object["passwordHash"], "never expose the hash")
        XCTAssertFalse(staff.text.contains("argon2"))
        XCTAssertEqual((try admin.get("/api/v1/staff").object["items"] as? [Any])?.count, 2)
        let promoted = try admin.patch("/api/v1/staff/\(w.staffAID)", json: ["role": "coordinator", "serviceIds": [w.serviceA]])
        XCTAssertEqual(promoted.object["role"] as? String, "coordinator")
        XCTAssertEqual(promoted.object["serviceIds"] as? [String], [w.serviceA])
        XCTAssertEqual(try admin.delete("/api/v1/staff/\(w.staffAID)").object["active"] as? Bool, false)
        XCTAssertEqual(try w.staffA.get("/api/v1/sessions/current").status, 401, "deactivating ends sessions")
        XCTAssertEqual(try admin.delete("/api/v1/services/\(w.serviceB)").object["active"] as? Bool, false)

        // Every admin change and every read of staff records is audited, without copying values.
        let db = try t.connection()
        let actions = try db.query(Query("SELECT action, detail::text AS d FROM audit_log ORDER BY id")).map { try $0.string("action") }
        XCTAssertTrue(actions.contains("staff.read") && actions.contains("staff.list") && actions.contains("staff.update")
                      && actions.contains("service.create") && actions.contains("staff.deactivate"), "\(actions)")
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM audit_log WHERE detail::text LIKE '%horse%'")).first!.int("n"), 0)
        XCTAssertThrowsError(try db.query(Query("DELETE FROM audit_log")), "audit log is append-only")
    }

    func testStaffCanReadListsButNotStaffRecords() throws {
        let w = try World.make(t)
        XCTAssertEqual(try w.staffA.get("/api/v1/locations").status, 200)
        XCTAssertEqual(try w.staffA.get("/api/v1/services").status, 200)
        XCTAssertEqual(try w.staffA.get("/api/v1/locations/\(w.locationID)/desks").status, 200)
        XCTAssertEqual(try w.staffA.get("/api/v1/staff/\(w.staffBID)").status, 403)
        XCTAssertEqual(try w.staffA.patch("/api/v1/desks/\(w.desks[0])", json: ["name": "Mine"]).status, 403)
        XCTAssertEqual(try t.client.get("/api/v1/locations").status, 401)
    }
}
