@testable import API
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// The walk-in queue over HTTP against a real database: numbers, call order, desk actions, handover, events.
final class QueueAPITests: XCTestCase {
    var t: TestApp!
    var w: World!

    override func setUpWithError() throws {
        t = try TestApp()
        w = try World.make(t)
    }

    override func tearDown() { t.tearDown() }

    func testNumbersCountPerPrefixFrom001() throws {
        let a1 = try w.take(t, w.serviceA)
        let b1 = try w.take(t, w.serviceB)
        let a2 = try w.take(t, w.serviceA, language: "ar")
        XCTAssertEqual(a1["number"] as? String, "U001")
        XCTAssertEqual(b1["number"] as? String, "S001")
        XCTAssertEqual(a2["number"] as? String, "U002")
        XCTAssertEqual(a2["position"] as? Int, 2)
        XCTAssertEqual(a2["language"] as? String, "ar")
        XCTAssertEqual(a1["status"] as? String, "waiting")
        XCTAssertEqual(a1["priority"] as? String, "normal")
        XCTAssertTrue(a1["estimatedWaitMinutes"] is NSNull || a1["estimatedWaitMinutes"] is Int)
        XCTAssertEqual((a1["id"] as? String)?.count, 36)
    }

    func testTakeNumberErrors() throws {
        let missing = try t.client.post("/api/v1/locations/\(UUID().uuidString.lowercased())/tickets", json: ["serviceId": w.serviceA])
        XCTAssertEqual(missing.status, 404)
        let otherLocation = try t.admin.post("/api/v1/locations", json: ["code": "elders", "name": "Elders"]).object["id"] as! String
        let notOffered = try t.client.post("/api/v1/locations/\(otherLocation)/tickets", json: ["serviceId": w.serviceA])
        XCTAssertEqual(notOffered.status, 422)
        XCTAssertEqual(try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: [:]).status, 422)
        let anonymousUrgent = try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA, "priority": "urgent"])
        XCTAssertEqual(anonymousUrgent.status, 403)
        let staffUrgent = try w.staffA.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA, "priority": "urgent"])
        XCTAssertEqual(staffUrgent.status, 201)
        XCTAssertEqual(staffUrgent.object["priority"] as? String, "urgent")
        XCTAssertEqual(try w.take(t, w.urgentA)["priority"] as? String, "urgent", "urgent by nature")
    }

    func testClosedLocationRefusesNewNumbersIn409DutchAndEnglish() throws {
        XCTAssertEqual(try w.staffA.post("/api/v1/locations/\(w.locationID)/closure", json: ["reason": "storm"]).status, 403, "coordinators only")
        let coordinator = try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "coco", "password": "long enough password",
                                                                    "displayName": "Coco", "role": "coordinator"])
        XCTAssertEqual(coordinator.status, 201)
        let coco = try World.login(t, "coco", password: "long enough password")
        XCTAssertEqual(try coco.post("/api/v1/locations/\(w.locationID)/closure", json: ["reason": "storm"]).status, 200)
        let closed = try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA])
        XCTAssertEqual(closed.status, 409)
        let detail = closed.object["detail"] as? String ?? ""
        XCTAssertTrue(detail.contains("gesloten") && detail.contains("closed"), detail)
        XCTAssertEqual((try t.client.get("/api/v1/kiosk/centrum").object["location"] as? [String: Any])?["open"] as? Bool, false)
        XCTAssertEqual(try coco.delete("/api/v1/locations/\(w.locationID)/closure").status, 204)
        XCTAssertEqual(try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA]).status, 201)
    }

    func testCallNextTakesUrgentFirstThenArrivalAndOnlyMyServices() throws {
        let n1 = try w.take(t, w.serviceA)["number"] as! String
        _ = try w.take(t, w.serviceB)
        let n2 = try w.take(t, w.serviceA)["number"] as! String
        let urgent = try w.take(t, w.urgentA)["number"] as! String
        let queue = try w.staffA.get("/api/v1/locations/\(w.locationID)/queue").object["items"] as! [[String: Any]]
        XCTAssertEqual(queue.map { $0["number"] as! String }, [urgent, n1, n2], "queue view shows call-next's order, my services only")
        var called: [String] = []
        for _ in 0..<3 {
            let r = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
            XCTAssertEqual(r.status, 200, r.text)
            XCTAssertEqual(r.object["deskName"] as? String, "Balie 1")
            called.append(r.object["number"] as! String)
            XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(r.object["id"] as! String)/finish", json: ["outcome": "geholpen"]).status, 200)
        }
        XCTAssertEqual(called, [urgent, n1, n2])
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").status, 204, "the SVB ticket is not for UWV staff")
        XCTAssertEqual(try w.staffB.post("/api/v1/desks/\(w.desks[1])/call-next").object["number"] as? String, "S001")
    }

    func testDeskActionsFollowTheStateMachine() throws {
        let taken = try w.take(t, w.serviceA)
        let id = taken["id"] as! String
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/start").status, 409, "a waiting ticket cannot be started before it is called")
        let call = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        XCTAssertEqual(call.object["status"] as? String, "called")
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").status, 409, "one visitor per desk")
        XCTAssertEqual(try w.staffA.get("/api/v1/desks/\(w.desks[0])/current").object["id"] as? String, id)
        let recall = try w.staffA.post("/api/v1/tickets/\(id)/recall")
        XCTAssertEqual(recall.object["recallCount"] as? Int, 1)
        XCTAssertEqual(try w.staffB.post("/api/v1/tickets/\(id)/start").status, 403, "someone else's visitor")
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/start").object["status"] as? String, "serving")
        let illegal = try w.staffA.post("/api/v1/tickets/\(id)/no-show")
        XCTAssertEqual(illegal.status, 409, "a visitor being served did not fail to show up")
        XCTAssertEqual(illegal.header("content-type"), "application/problem+json")
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/requeue").object["status"] as? String, "waiting")
        XCTAssertEqual(try t.client.get("/api/v1/tickets/\(id)").object["position"] as? Int, 1, "requeue keeps the place")
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").object["id"] as? String, id)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/no-show").object["status"] as? String, "noShow")
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/finish").status, 409)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(UUID().uuidString.lowercased())/finish").status, 404)
        XCTAssertEqual(try w.staffA.get("/api/v1/desks/\(w.desks[0])/current").status, 204)
    }

    func testColleagueOfTheSameServiceCanTakeOverAtShiftChange() throws {
        let taken = try w.take(t, w.serviceA)
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").status, 200)
        XCTAssertEqual(try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "anna-2", "password": "long enough password",
                                                                 "displayName": "Anna 2", "role": "staff", "serviceIds": [w.serviceA]]).status, 201)
        let colleague = try World.login(t, "anna-2", password: "long enough password")
        XCTAssertEqual(try colleague.post("/api/v1/desks/\(w.desks[0])/call-next").status, 409, "the desk still has the visitor")
        XCTAssertEqual(try w.staffB.post("/api/v1/tickets/\(taken["id"] as! String)/finish").status, 403, "another agency cannot")
        XCTAssertEqual(try colleague.post("/api/v1/tickets/\(taken["id"] as! String)/finish").object["status"] as? String, "done")
        XCTAssertEqual(try colleague.post("/api/v1/desks/\(w.desks[0])/call-next").status, 204, "the desk is free again")
    }

    /// A colleague who serves the service may act on a ticket someone else holds, and gets the visitor's data back:
    /// that is audited (`ticket.act`: action and ticket, no values), as reading the desk's ticket is. The holder's own
    /// actions are not.
    func testColleagueActingOnAnotherStaffMembersTicketIsAudited() throws {
        let taken = try w.take(t, w.serviceA)
        let id = taken["id"] as! String
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").object["id"] as? String, id)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/recall").status, 200, "the holder's own action")
        XCTAssertEqual(try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "anna-3", "password": "long enough password",
                                                                 "displayName": "Anna 3", "role": "staff", "serviceIds": [w.serviceA]]).status, 201)
        let colleague = try World.login(t, "anna-3", password: "long enough password")
        let db = try t.connection()
        defer { db.close() }
        func acts() throws -> [(staff: String, subject: String?, detail: String)] {
            try db.query(Query("""
                SELECT s.username, a.subject_type, a.subject_id AS subject_id, a.detail::text AS detail
                FROM audit_log a JOIN staff s ON s.id = a.staff_id WHERE a.action = 'ticket.act' ORDER BY a.id
                """)).map { (try $0.string("username"), try $0.optionalString("subject_id"), try $0.string("detail")) }
        }
        XCTAssertEqual(try acts().count, 0, "the holder's actions are not audited")
        let recall = try colleague.post("/api/v1/tickets/\(id)/recall")
        XCTAssertEqual(recall.status, 200, recall.text)
        XCTAssertEqual(recall.object["id"] as? String, id)
        XCTAssertEqual(try colleague.post("/api/v1/tickets/\(id)/start").object["status"] as? String, "serving")
        let logged = try acts()
        XCTAssertEqual(logged.map(\.staff), ["anna-3", "anna-3"])
        XCTAssertEqual(logged.map(\.subject), [id, id])
        XCTAssertEqual(logged.map(\.detail), [#"{"action": "recall"}"#, #"{"action": "start"}"#], "the action only, no personal values")
        // The holder finishing is not audited; a refused action (another agency) writes nothing.
        XCTAssertEqual(try w.staffB.post("/api/v1/tickets/\(id)/finish").status, 403)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/finish").object["status"] as? String, "done")
        XCTAssertEqual(try acts().count, 2)
    }

    func testPublicTicketShowsNoPersonalDataAndDeskWhenCalled() throws {
        let first = try w.take(t, w.serviceA)
        let second = try w.take(t, w.serviceA, language: "en")
        let status = try t.client.get("/api/v1/tickets/\(second["id"] as! String)").object
        XCTAssertEqual(status["position"] as? Int, 2)
        XCTAssertEqual(status["language"] as? String, "en")
        XCTAssertTrue(status["deskName"] is NSNull)
        XCTAssertEqual(Set(status.keys), ["id", "number", "status", "position", "estimatedWaitMinutes", "deskName", "language",
                                          "locationId", "locationCode", "serviceId", "serviceName", "createdAt"])
        _ = try w.staffA.post("/api/v1/desks/\(w.desks[1])/call-next")
        let called = try t.client.get("/api/v1/tickets/\(first["id"] as! String)").object
        XCTAssertEqual(called["status"] as? String, "called")
        XCTAssertEqual(called["deskName"] as? String, "Balie 2")
        XCTAssertEqual(try t.client.get("/api/v1/tickets/\(second["id"] as! String)").object["position"] as? Int, 1)
        let qr = try t.client.get("/api/v1/tickets/\(first["id"] as! String)/qr.svg")
        XCTAssertEqual(qr.header("content-type"), "image/svg+xml")
        XCTAssertTrue(qr.text.hasPrefix("<svg") && qr.text.contains("/t/\(first["id"] as! String)"))
    }

    func testWarmHandoverKeepsNumberAndArrivalAndWallsOffTheNote() throws {
        let early = try w.take(t, w.serviceA)
        sleepBriefly()
        let laterB = try w.take(t, w.serviceB)
        _ = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        let id = early["id"] as! String
        let handed = try w.staffA.post("/api/v1/tickets/\(id)/handover",
                                       json: ["serviceId": w.serviceB, "note": "Heeft schulden, spreekt Arabisch"])
        XCTAssertEqual(handed.status, 200, handed.text)
        XCTAssertEqual(handed.object["status"] as? String, "waiting")
        XCTAssertEqual(handed.object["number"] as? String, early["number"] as? String, "same number")
        XCTAssertEqual(handed.object["handovers"] as? Int, 1)
        // The receiving agency sees the note, and the visitor goes before the later SVB visitor.
        let queueB = try w.staffB.get("/api/v1/locations/\(w.locationID)/queue").object["items"] as! [[String: Any]]
        XCTAssertEqual(queueB.map { $0["number"] as! String }, [early["number"] as! String, laterB["number"] as! String])
        XCTAssertEqual(queueB[0]["handoverNote"] as? String, "Heeft schulden, spreekt Arabisch")
        XCTAssertEqual(try w.staffB.post("/api/v1/desks/\(w.desks[1])/call-next").object["id"] as? String, id)
        // The sending agency's queue never shows the note; the read by agency B is audited.
        let db = try t.connection()
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'ticket.note.read' AND staff_id = $1", w.staffBID)).first!.int("n"), 1)
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'ticket.handover' AND staff_id = $1", w.staffAID)).first!.int("n"), 1)
        // Handing over to a service not offered here, or to the same service, is refused.
        XCTAssertEqual(try w.staffB.post("/api/v1/tickets/\(id)/handover", json: ["serviceId": w.serviceB]).status, 422)
        XCTAssertEqual(try w.staffB.post("/api/v1/tickets/\(id)/handover", json: ["serviceId": UUID().uuidString.lowercased()]).status, 422)
    }

    func testHandoverCanMakeUrgent() throws {
        _ = try w.take(t, w.serviceB)
        let visitor = try w.take(t, w.serviceA)
        _ = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        let r = try w.staffA.post("/api/v1/tickets/\(visitor["id"] as! String)/handover", json: ["serviceId": w.serviceB, "urgent": true])
        XCTAssertEqual(r.object["priority"] as? String, "urgent")
        XCTAssertEqual(try w.staffB.post("/api/v1/desks/\(w.desks[1])/call-next").object["number"] as? String, visitor["number"] as? String)
    }

    /// The estimate's inputs are read once per service per WaitInputsCache.refreshSeconds (by the app's clock): a
    /// take within that time reuses them, the first one after reads the history again.
    func testEstimatedWaitIsNullWithoutHistoryAndRealWithIt() throws {
        let clock = ManualClock(SystemClock().now())
        let t = try TestApp { $0.clock = clock; $0.runJobs = false }
        defer { t.tearDown() }
        let w = try World.make(t)
        _ = try w.take(t, w.serviceA)
        let second = try w.take(t, w.serviceA)
        XCTAssertTrue(second["estimatedWaitMinutes"] is NSNull, "no history: say so rather than invent")
        // Three finished services of 5 minutes at one desk.
        let db = try t.connection()
        defer { db.close() }
        try db.query(Query("""
            INSERT INTO service_record (ticket_id, service_id, desk_id, staff_id, called_at, started_at, ended_at, result)
            SELECT $1, $2, $3, $4, $5::timestamptz - interval '6 minutes', $5::timestamptz - interval '5 minutes', $5::timestamptz, 'done'
            FROM generate_series(1, 3)
            """, second["id"] as! String, w.serviceA, w.desks[0], w.staffAID, clock.now()))
        let third = try w.take(t, w.serviceA)
        XCTAssertEqual(third["position"] as? Int, 3)
        XCTAssertTrue(third["estimatedWaitMinutes"] is NSNull, "inputs read less than refreshSeconds ago are reused")
        clock.advance(seconds: Int64(t.app.waitInputs.refreshSeconds))
        let fourth = try w.take(t, w.serviceA)
        XCTAssertEqual(fourth["position"] as? Int, 4)
        XCTAssertEqual(fourth["estimatedWaitMinutes"] as? Int, 15, "three ahead × 5 minutes at one desk")
    }

    /// The estimate's inputs are read after the number is taken: when that read fails the visitor still gets the
    /// number (201), only without an estimate, rather than an error for a ticket that exists.
    func testTakeNumberAnswersWithoutEstimateWhenItsInputsCannotBeRead() throws {
        let db = try t.connection()
        defer { db.close() }
        try db.execute(SQL(unsafeUnchecked: "ALTER FUNCTION service_active_desks(uuid, timestamptz) RENAME TO service_active_desks_gone"))
        let r = try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA])
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(r.object["number"] as? String, "U001")
        XCTAssertTrue(r.object["estimatedWaitMinutes"] is NSNull)
    }

    /// take_number counts at most TakeNumber.positionLimit tickets ahead: up to there the position is exact, beyond
    /// it the answer says "this far back or later" and makes no estimate from a count that is not the real one.
    func testPositionIsExactUpToTheLimitAndAtLeastBeyond() throws {
        let limit = TakeNumber.positionLimit
        let db = try t.connection()
        defer { db.close() }
        // limit - 1 waiting through the API's own statement, quicker than as many HTTP requests.
        for _ in 0..<(limit - 1) {
            _ = try db.first(TakeNumber(locationID: w.locationID, serviceID: w.serviceA, priority: nil, language: "nl",
                                        createdBy: nil, now: t.app.configuration.clock.now()))
        }
        let last = try w.take(t, w.serviceA)
        XCTAssertEqual(last["position"] as? Int, limit)
        XCTAssertEqual(last["positionAtLeast"] as? Bool, false)
        let beyond = try w.take(t, w.serviceA)
        XCTAssertEqual(beyond["position"] as? Int, limit + 1)
        XCTAssertEqual(beyond["positionAtLeast"] as? Bool, true)
        XCTAssertTrue(beyond["estimatedWaitMinutes"] is NSNull)
        // The count stops at the limit: the next one is "101 or later" too, not 102.
        let further = try w.take(t, w.serviceA)
        XCTAssertEqual(further["position"] as? Int, limit + 1)
        XCTAssertEqual(further["positionAtLeast"] as? Bool, true)
        // Another service's queue is counted on its own.
        let other = try w.take(t, w.serviceB)
        XCTAssertEqual(other["position"] as? Int, 1)
        XCTAssertEqual(other["positionAtLeast"] as? Bool, false)
        // The ticket's own status page still counts exactly.
        let status = try t.client.get("/api/v1/tickets/\(beyond["id"] as! String)")
        XCTAssertEqual(status.object["position"] as? Int, limit + 1)
    }

    func testDayEndClosesEarlierDaysTicketsAsNoShow() throws {
        let old = try w.take(t, w.serviceA)
        let today = try w.take(t, w.serviceA)
        let db = try t.connection()
        try db.query(Query("UPDATE ticket SET service_day = service_day - 1 WHERE id = $1", old["id"] as! String))
        t.app.runJobsOnce()
        let row = try db.query(Query("SELECT status, closed_reason FROM ticket WHERE id = $1", old["id"] as! String)).first!
        XCTAssertEqual(try row.string("status"), "noShow")
        XCTAssertEqual(try row.string("closed_reason"), "closed")
        XCTAssertEqual(try t.client.get("/api/v1/tickets/\(today["id"] as! String)").object["status"] as? String, "waiting")
    }

    func testDayEndClosesCalledAsNoShowAndServingAsDoneAndFreesTheDesks() throws {
        let called = try w.take(t, w.serviceA)
        let serving = try w.take(t, w.serviceA)
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").object["id"] as? String, called["id"] as? String)
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[1])/call-next").object["id"] as? String, serving["id"] as? String)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(serving["id"] as! String)/start").status, 200)
        let db = try t.connection()
        try db.query(Query("UPDATE ticket SET service_day = service_day - 1"))
        t.app.runJobsOnce()
        for (ticket, status) in [(called, "noShow"), (serving, "done")] {
            let row = try db.query(Query("SELECT status, closed_reason, desk_id FROM ticket WHERE id = $1", ticket["id"] as! String)).first!
            XCTAssertEqual(try row.string("status"), status)
            XCTAssertEqual(try row.string("closed_reason"), "closed")
            XCTAssertNil(try row.optionalString("desk_id"))
        }
        XCTAssertEqual(try w.staffA.get("/api/v1/desks/\(w.desks[0])/current").status, 204, "the desk is free for the new day")
    }

    func testDeskTicketsCarryTheActionsTheStateMachineAllows() throws {
        let taken = try w.take(t, w.serviceA)
        let id = taken["id"] as! String
        let call = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        XCTAssertEqual(call.object["allowedActions"] as? [String], ["recall", "start", "finish", "noShow", "requeue", "handover"])
        XCTAssertEqual(try w.staffA.get("/api/v1/desks/\(w.desks[0])/current").object["allowedActions"] as? [String],
                       ["recall", "start", "finish", "noShow", "requeue", "handover"])
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/recall").object["allowedActions"] as? [String],
                       ["recall", "start", "finish", "noShow", "requeue", "handover"])
        let started = try w.staffA.post("/api/v1/tickets/\(id)/start")
        XCTAssertEqual(started.object["allowedActions"] as? [String], ["finish", "requeue", "handover"])
        XCTAssertEqual(started.object["number"] as? String, taken["number"] as? String, "the ticket's own fields are all still there")
        XCTAssertNotNil(started.object["dueAt"] as? String)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(id)/finish").object["allowedActions"] as? [String], [])
        let other = try w.take(t, w.serviceA)
        _ = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        let handed = try w.staffA.post("/api/v1/tickets/\(other["id"] as! String)/handover", json: ["serviceId": w.serviceB])
        XCTAssertEqual(handed.object["status"] as? String, "waiting")
        XCTAssertEqual(handed.object["allowedActions"] as? [String], [], "a waiting ticket is called with call-next, not a button")
    }

    /// The ticket at a desk is behind the same agency wall as the queue: its id is the visitor's phone-page secret.
    func testDeskCurrentIsWalledOffFromOtherAgenciesAndAudited() throws {
        let visitor = try w.take(t, w.serviceA)
        let id = visitor["id"] as! String
        XCTAssertEqual(try w.staffB.get("/api/v1/desks/\(w.desks[0])/current").status, 204, "a free desk")
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").status, 200)
        let foreign = try w.staffB.get("/api/v1/desks/\(w.desks[0])/current")
        XCTAssertEqual(foreign.status, 403, "SVB staff may not read a UWV visitor at a shared desk")
        XCTAssertEqual(foreign.header("content-type"), "application/problem+json")
        XCTAssertFalse(foreign.text.contains(id), "no ticket id in the refusal")
        XCTAssertEqual(try w.staffA.get("/api/v1/desks/\(w.desks[0])/current").object["id"] as? String, id)
        // A colleague of the same service (not the holder) may read it too, as at a shift change.
        XCTAssertEqual(try t.admin.post("/api/v1/staff", json: ["agencyId": w.agencyA, "username": "anna-3", "password": "long enough password",
                                                                 "displayName": "Anna 3", "role": "staff", "serviceIds": [w.serviceA]]).status, 201)
        let colleague = try World.login(t, "anna-3", password: "long enough password")
        XCTAssertEqual(try colleague.get("/api/v1/desks/\(w.desks[0])/current").object["id"] as? String, id)
        let db = try t.connection()
        let reads = try db.query(Query("""
            SELECT staff_id::text AS staff, subject_id::text AS subject FROM audit_log WHERE action = 'ticket.read' ORDER BY id
            """))
        XCTAssertEqual(try reads.map { try $0.optionalString("subject") }, [id, id], "both allowed reads are audited, the refused one is not")
        XCTAssertEqual(try reads.first?.optionalString("staff"), w.staffAID)
    }

    func testQueueViewPagesInCallOrderWithTotal() throws {
        var numbers: [String] = []
        for _ in 0..<7 { numbers.append(try w.take(t, w.serviceA)["number"] as! String) }
        let urgent = try w.take(t, w.urgentA)["number"] as! String
        let order = [urgent] + numbers
        var seen: [String] = []
        var path = "/api/v1/locations/\(w.locationID)/queue?limit=3"
        var sizes: [Int] = []
        while true {
            let page = try w.staffA.get(path)
            XCTAssertEqual(page.status, 200, page.text)
            XCTAssertEqual(page.object["total"] as? Int, sizes.isEmpty ? 8 : 9, "the whole line, counted when the page is read")
            let items = page.object["items"] as! [[String: Any]]
            sizes.append(items.count)
            seen += items.map { $0["number"] as! String }
            guard let next = page.object["next"] as? String else { break }
            if sizes.count == 1 {
                // A newcomer between two pages joins the end; nothing is skipped or repeated.
                numbers.append(try w.take(t, w.serviceA)["number"] as! String)
            }
            path = "/api/v1/locations/\(w.locationID)/queue?limit=3&after=\(next)"
        }
        XCTAssertEqual(seen, order + [numbers.last!])
        XCTAssertEqual(sizes, [3, 3, 3])
        let all = try w.staffA.get("/api/v1/locations/\(w.locationID)/queue").object
        XCTAssertEqual((all["items"] as? [[String: Any]])?.count, 9)
        XCTAssertTrue(all["next"] is NSNull, "one page holds them all")
        XCTAssertEqual(try w.staffB.get("/api/v1/locations/\(w.locationID)/queue").object["total"] as? Int, 0, "SVB serves none of them")
        for bad in ["limit=0", "limit=201", "limit=ten", "after=U001", "after=2.x.U001"] {
            let r = try w.staffA.get("/api/v1/locations/\(w.locationID)/queue?\(bad)")
            XCTAssertEqual(r.status, 422, bad)
            XCTAssertEqual(r.header("content-type"), "application/problem+json")
        }
        XCTAssertEqual(try w.staffA.get("/api/v1/locations/\(w.locationID)/queue?limit=200").status, 200)
    }

    func testEventsStreamAndResumeWithLastEventID() throws {
        let stream = try SSEClient(port: t.app.port, path: "/api/v1/locations/\(w.locationID)/events")
        XCTAssertNotNil(stream.next("queue.changed"), "a snapshot of the waiting total on connect")
        let taken = try w.take(t, w.serviceA)
        let created = stream.next("ticket.created")
        XCTAssertEqual(created?.json["number"] as? String, taken["number"] as? String)
        XCTAssertNotNil(created?.id)
        _ = try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next")
        let called = stream.next("ticket.called")
        XCTAssertEqual(called?.json["deskName"] as? String, "Balie 1")
        XCTAssertNil(called?.json["id"], "public events carry numbers, never ticket ids or names")
        XCTAssertNil(created?.json["priority"], "an onlooker must not learn who is urgent")
        XCTAssertNil(created?.json["serviceId"])
        let resumeFrom = called!.id!
        stream.close()
        // While disconnected: a recall and a finish happen.
        _ = try w.staffA.post("/api/v1/tickets/\(taken["id"] as! String)/recall")
        _ = try w.staffA.post("/api/v1/tickets/\(taken["id"] as! String)/finish")
        let resumed = try SSEClient(port: t.app.port, path: "/api/v1/locations/\(w.locationID)/events", lastEventID: resumeFrom)
        XCTAssertEqual(resumed.next("ticket.recalled")?.json["recallCount"] as? Int, 1)
        let finished = resumed.next("ticket.finished")
        XCTAssertEqual(finished?.json["number"] as? String, taken["number"] as? String)
        XCTAssertEqual(Set(finished?.json.keys.map { $0 } ?? []), ["number", "deskName", "deskId", "recallCount", "at"],
                       "public events say nothing about the service, priority or outcome")
        let calls = try t.client.get("/api/v1/locations/\(w.locationID)/calls").object["calls"] as? [[String: Any]]
        XCTAssertEqual(calls?.first?["number"] as? String, taken["number"] as? String)
    }

    func testRateLimitPerAddressButNotForRegisteredKiosks() throws {
        let limited = try TestApp(ticketRatePerMinute: 3)
        defer { limited.tearDown() }
        let lw = try World.make(limited, code: "limit")
        for _ in 0..<3 { _ = try lw.take(limited, lw.serviceA) }
        let refused = try limited.client.post("/api/v1/locations/\(lw.locationID)/tickets", json: ["serviceId": lw.serviceA])
        XCTAssertEqual(refused.status, 429)
        XCTAssertNotNil(refused.header("retry-after"))
        let kiosk = try limited.admin.post("/api/v1/locations/\(lw.locationID)/kiosks", json: ["name": "Hal links"])
        XCTAssertEqual(kiosk.status, 201)
        let token = kiosk.object["deviceToken"] as! String
        XCTAssertTrue((kiosk.object["kioskPath"] as? String ?? "").hasPrefix("/kiosk/limit?device="))
        for _ in 0..<5 {
            XCTAssertEqual(try limited.client.post("/api/v1/locations/\(lw.locationID)/tickets", json: ["serviceId": lw.serviceA],
                                                   headers: ["Loket-Device": token]).status, 201)
        }
        XCTAssertEqual(try limited.client.post("/api/v1/locations/\(lw.locationID)/tickets", json: ["serviceId": lw.serviceA],
                                               headers: ["Loket-Device": "forged"]).status, 403)
    }

    private func sleepBriefly() { usleep(20_000) }
}
