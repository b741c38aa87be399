import API
import Foundation
import Postgres
import TestSupport
import XCTest

/// Ticket prefixes per agency and shared by groups of services, so no letter singles out a sensitive service.
final class TicketPrefixTests: XCTestCase {
    var t: TestApp!

    override func setUpWithError() throws { t = try TestApp() }
    override func tearDown() { t.tearDown() }

    func create(_ path: String, _ body: [String: Any]) throws -> [String: Any] {
        let r = try t.admin.post(path, json: body)
        XCTAssertEqual(r.status, 201, "\(path): \(r.text)")
        return r.object
    }

    func testServicesWithoutAPrefixFollowTheirAgencysDefault() throws {
        let agency = try create("/api/v1/agencies", ["code": "gemeente", "name": "Gemeente", "ticketPrefix": "K"])["id"] as! String
        XCTAssertEqual(try t.admin.get("/api/v1/agencies/\(agency)").object["ticketPrefix"] as? String, "K")
        let follower = try create("/api/v1/services", ["agencyId": agency, "code": "paspoort", "name": "Paspoort", "durationMinutes": 10])
        XCTAssertEqual(follower["ticketPrefix"] as? String, "K")
        XCTAssertTrue(follower["ownTicketPrefix"] is NSNull)
        let own = try create("/api/v1/services", ["agencyId": agency, "code": "rijbewijs", "name": "Rijbewijs", "ticketPrefix": "R",
                                                  "durationMinutes": 10])
        XCTAssertEqual(own["ticketPrefix"] as? String, "R")

        XCTAssertEqual(try t.admin.patch("/api/v1/agencies/\(agency)", json: ["ticketPrefix": "L"]).status, 200)
        XCTAssertEqual(try t.admin.get("/api/v1/services/\(follower["id"]!)").object["ticketPrefix"] as? String, "L", "follows the agency")
        XCTAssertEqual(try t.admin.get("/api/v1/services/\(own["id"]!)").object["ticketPrefix"] as? String, "R", "keeps its own")
        let back = try t.admin.patch("/api/v1/services/\(own["id"]!)", json: ["useAgencyPrefix": true])
        XCTAssertEqual(back.object["ticketPrefix"] as? String, "L")
        XCTAssertTrue(back.object["ownTicketPrefix"] is NSNull)

        // Neither a prefix of its own nor an agency default: the NOT NULL column refuses it, naming the field.
        let bare = try create("/api/v1/agencies", ["code": "svb", "name": "SVB"])["id"] as! String
        let refused = try t.admin.post("/api/v1/services", json: ["agencyId": bare, "code": "aow", "name": "AOW", "durationMinutes": 10])
        XCTAssertEqual(refused.status, 422, refused.text)
        XCTAssertEqual((refused.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "ticketPrefix")
        XCTAssertEqual(try t.admin.patch("/api/v1/agencies/\(bare)", json: ["ticketPrefix": "ss"]).status, 422)
    }

    func testASensitiveServiceNeverHasALetterOfItsOwn() throws {
        let location = try create("/api/v1/locations", ["code": "centrum", "name": "Centrum"])["id"] as! String
        let agency = try create("/api/v1/agencies", ["code": "gemeente", "name": "Gemeente", "ticketPrefix": "A"])["id"] as! String
        let ordinary = try create("/api/v1/services", ["agencyId": agency, "code": "paspoort", "name": "Paspoort", "durationMinutes": 10,
                                                       "locationIds": [location]])["id"] as! String
        let own = try t.admin.post("/api/v1/services", json: ["agencyId": agency, "code": "schulden", "name": "Schulden", "durationMinutes": 20,
                                                              "sensitive": true, "ticketPrefix": "D", "locationIds": [location]])
        XCTAssertEqual(own.status, 422, "a letter of its own would tell the waiting room why someone came")
        XCTAssertEqual((own.object["invalidParams"] as? [[String: Any]])?.first?["name"] as? String, "ticketPrefix")
        let debt = try create("/api/v1/services", ["agencyId": agency, "code": "schulden", "name": "Schulden", "durationMinutes": 20,
                                                   "sensitive": true, "locationIds": [location]])
        XCTAssertEqual(debt["ticketPrefix"] as? String, "A")
        XCTAssertEqual(debt["sensitive"] as? Bool, true)
        let debtID = debt["id"] as! String

        // Every way of leaving it alone with its letter is refused.
        XCTAssertEqual(try t.admin.patch("/api/v1/services/\(ordinary)", json: ["ticketPrefix": "P"]).status, 422, "companion takes another letter")
        XCTAssertEqual(try t.admin.delete("/api/v1/services/\(ordinary)").status, 422, "companion deactivated")
        XCTAssertEqual(try t.admin.patch("/api/v1/services/\(ordinary)", json: ["locationIds": []]).status, 422, "companion leaves the location")
        XCTAssertEqual(try t.admin.patch("/api/v1/services/\(debtID)", json: ["ticketPrefix": "D"]).status, 422, "its own letter later")
        XCTAssertEqual(try t.admin.patch("/api/v1/agencies/\(agency)", json: ["ticketPrefix": "B"]).status, 200,
                       "the whole group moving to another letter keeps them together")
        XCTAssertEqual(try t.admin.get("/api/v1/services/\(debtID)").object["ticketPrefix"] as? String, "B")

        // Numbers are per location + prefix + day: the group shares one sequence, so B002 says nothing about why.
        let first = try t.client.post("/api/v1/locations/\(location)/tickets", json: ["serviceId": ordinary])
        let second = try t.client.post("/api/v1/locations/\(location)/tickets", json: ["serviceId": debtID])
        XCTAssertEqual(first.object["number"] as? String, "B001", first.text)
        XCTAssertEqual(second.object["number"] as? String, "B002", second.text)
    }

    func testDemoDataGivesNoSensitiveServiceALetterOfItsOwn() throws {
        let db = try t.connection()
        defer { db.close() }
        XCTAssertTrue(try DemoData.load(db))
        let sensitive = try db.query(Query("SELECT code FROM service WHERE sensitive ORDER BY code")).map { try $0.string("code") }
        XCTAssertEqual(sensitive, ["noodhulp", "schulden"])
        let alone = try db.query(Query("""
            SELECT s.code FROM service s JOIN service_location sl ON sl.service_id = s.id
            WHERE s.sensitive AND NOT EXISTS (
                SELECT 1 FROM service o JOIN service_location ol ON ol.service_id = o.id AND ol.location_id = sl.location_id
                WHERE NOT o.sensitive AND o.active AND o.ticket_prefix = s.ticket_prefix)
            """))
        XCTAssertEqual(alone.count, 0, "every sensitive demo service shares its letter with an ordinary one")
    }
}
