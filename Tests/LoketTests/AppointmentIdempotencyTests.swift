import Foundation
import TestSupport
import XCTest

/// Issue 9, "Done means": idempotent retries (same key, 20 concurrent) give one booking.
extension AppointmentBookingTests {
    func testTwentyConcurrentRetriesWithOneIdempotencyKeyBookOnce() throws {
        let setup = try simpleSetup()
        let body = Array(try JSONSerialization.data(withJSONObject: [
            "locationId": w.locationID, "appointmentTypeId": setup.type, "start": at("10:00"),
            "citizen": ["name": "Jan Jansen", "email": "jan@example.nl"]], options: [.sortedKeys]))
        let client = t.client
        let box = Answers()
        let gate = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        for _ in 0..<20 {
            group.enter()
            Thread.detachNewThread {
                gate.wait()
                let r = try? client.send("POST", "/api/v1/appointments", body: body, headers: ["Idempotency-Key": "form-retry-7f3a"])
                box.add((r?.status ?? -1, r?.object["id"] as? String, r?.object["manageToken"] as? String))
                group.leave()
            }
        }
        for _ in 0..<20 { gate.signal() }
        group.wait()
        let answers = box.all
        XCTAssertEqual(answers.map(\.status), Array(repeating: 201, count: 20), "every retry gets the first answer")
        XCTAssertEqual(Set(answers.compactMap(\.id)).count, 1, "one appointment id in all 20 answers")
        XCTAssertEqual(Set(answers.compactMap(\.token)).count, 1, "and the one manage token")
        XCTAssertEqual(try sql("SELECT count(*)::int AS n FROM appointment").first.map { try $0.int("n") }, 1, "one booking")
        XCTAssertEqual(try overlaps(), 0)
    }
}

/// Answers collected from several threads.
private final class Answers: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(status: Int, id: String?, token: String?)] = []
    func add(_ item: (status: Int, id: String?, token: String?)) { lock.lock(); items.append(item); lock.unlock() }
    var all: [(status: Int, id: String?, token: String?)] { lock.lock(); defer { lock.unlock() }; return items }
}
