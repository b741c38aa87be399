@testable import API
import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// The event fan-out in isolation.
final class EventHubTests: XCTestCase {
    func testFailedSubscribeLeavesNoSubscriberBehind() throws {
        let url = try TestPostgres.createDatabase()
        defer { TestPostgres.dropDatabase(url) }
        let hub = EventHub(logger: TestPostgres.logger)
        let db = try Connection(conninfo: url)
        db.close()  // the database "goes away" while a display subscribes
        XCTAssertThrowsError(try hub.subscribe(locationID: UUID().uuidString.lowercased(), lastEventID: nil,
                                               stream: EventStream(), db: db))
        XCTAssertEqual(hub.subscriberCount, 0, "a subscriber whose client got an error must not collect events forever")
    }

    func testCursorRoundTripsAsLastEventID() {
        let c = EventCursor(tx: 18_446_744_073_709_551_615, id: 42)
        XCTAssertEqual(EventCursor(c.description), c)
        XCTAssertNil(EventCursor("12"))
        XCTAssertNil(EventCursor("a-b"))
        XCTAssertLessThan(EventCursor(tx: 5, id: 100), EventCursor(tx: 6, id: 1), "ordered by transaction first")
        XCTAssertLessThan(EventCursor("99999-7")!, EventCursor("100000-1")!, "as numbers, not as text")
        XCTAssertLessThan(EventCursor("9999-7")!, EventCursor("10000-1")!)
        XCTAssertEqual(EventCursor("0-0"), .zero)
        for bad in ["+5-1", "5-+1", " 5-1", "5-1 ", "5--1", "-5-1", "5-1-2", "5-", "-1", "", "0x5-1",
                    "18446744073709551616-1", "5-9223372036854775808"] {
            XCTAssertNil(EventCursor(bad), "Last-Event-ID \(bad.debugDescription) is not a position")
        }
    }
}
