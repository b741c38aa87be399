@testable import API
import Foundation
import TestSupport
import XCTest

/// The public event stream (read by call displays without logging in) must not tell onlookers why a numbered
/// visitor came: events carry numbers, desks and times only, and no queue figure follows an individual event.
final class EventHubPrivacyTests: XCTestCase {
    private var t: TestApp!
    private var w: World!

    override func setUpWithError() throws {
        t = try TestApp()
        w = try World.make(t, desks: 1)
    }

    override func tearDown() {
        t?.tearDown()
    }

    private var path: String { "/api/v1/locations/\(w.locationID)/events" }

    /// Everything a stream sends within `seconds`, heartbeats left out.
    private func everything(_ stream: SSEClient, seconds: Double) -> [ServerSentEvent] {
        let deadline = Date().addingTimeInterval(seconds)
        var out: [ServerSentEvent] = []
        while deadline.timeIntervalSinceNow > 0 {
            guard let e = stream.next(timeout: deadline.timeIntervalSinceNow) else { break }
            if e.event != "ping" { out.append(e) }
        }
        return out
    }

    func testTakingAndCallingANumberShowsOnlyNumberDeskAndTimeAndNoCountFollows() throws {
        // Without the timer, any queue figure arriving now would have been caused by the events themselves.
        t.app.events.waitingTotalSeconds = 0
        let display = try SSEClient(port: t.app.port, path: path)
        let snapshot = display.next("queue.changed")
        XCTAssertEqual(snapshot.map { Set($0.json.keys) }, ["waiting"], "on connect: one total, nothing per service")
        XCTAssertEqual(snapshot?.json["waiting"] as? Int, 0)

        let taken = try w.take(t, w.serviceA)
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").status, 200)
        let seen = everything(display, seconds: 3)

        XCTAssertEqual(seen.map(\.event), ["ticket.created", "ticket.called"], "the two events and nothing in reaction to them")
        let allowed: [String: Set<String>] = ["ticket.created": ["number", "at"], "ticket.called": ["number", "deskName", "deskId", "at"]]
        for e in seen {
            XCTAssertEqual(e.json["number"] as? String, taken["number"] as? String)
            XCTAssertTrue(Set(e.json.keys).isSubset(of: allowed[e.event] ?? []), "\(e.event) carries \(e.json.keys.sorted())")
            for secret in [w.serviceA, "WW", "work", "normal", taken["id"] as! String] {
                XCTAssertFalse(e.data.contains(secret), "\(e.event) mentions \(secret)")
            }
        }
    }

    func testWaitingTotalComesOnTheTimerSameShapeForAll() throws {
        t.app.events.waitingTotalSeconds = 1
        let display = try SSEClient(port: t.app.port, path: path)
        XCTAssertNotNil(display.next("queue.changed"))
        _ = try w.take(t, w.serviceA)
        _ = try w.take(t, w.serviceB)
        // The timer (not the events) brings the new total; every total is a bare number.
        var totals: [Int] = []
        for e in everything(display, seconds: 3.5) where e.event == "queue.changed" {
            XCTAssertEqual(Set(e.json.keys), ["waiting"], e.data)
            if let n = e.json["waiting"] as? Int { totals.append(n) }
        }
        XCTAssertGreaterThanOrEqual(totals.count, 2, "one total per second: \(totals)")
        XCTAssertEqual(totals.last, 2, "both services together")
    }
}
