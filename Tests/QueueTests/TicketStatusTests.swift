import Queue
import XCTest

final class TicketStatusTests: XCTestCase {
    func testStatusRawValuesAreTheAPIAndDatabaseSpelling() {
        XCTAssertEqual(TicketStatus.allCases.map(\.rawValue), ["waiting", "called", "serving", "done", "noShow"])
        for status in TicketStatus.allCases {
            XCTAssertEqual(TicketStatus(rawValue: status.rawValue), status)
        }
        XCTAssertNil(TicketStatus(rawValue: "no_show"))
    }

    func testActiveAtDeskIsCalledAndServing() {
        XCTAssertEqual(Set(TicketStatus.allCases.filter(\.isActiveAtDesk)), [.called, .serving])
    }

    func testFinalIsDoneAndNoShow() {
        XCTAssertEqual(Set(TicketStatus.allCases.filter(\.isFinal)), [.done, .noShow])
    }

    func testPriorityRawValues() {
        XCTAssertEqual(TicketPriority.allCases.map(\.rawValue), ["urgent", "appointment", "normal"])
    }

    func testPriorityRanksPutUrgentFirstThenAppointmentThenNormal() {
        XCTAssertEqual(TicketPriority.urgent.rank, 0)
        XCTAssertEqual(TicketPriority.appointment.rank, 1)
        XCTAssertEqual(TicketPriority.normal.rank, 2)
    }

    func testPriorityFromRankRoundTripsAndRejectsUnknownRanks() {
        for priority in TicketPriority.allCases {
            XCTAssertEqual(TicketPriority(rank: priority.rank), priority)
        }
        XCTAssertNil(TicketPriority(rank: -1))
        XCTAssertNil(TicketPriority(rank: 3))
        XCTAssertNil(TicketPriority(rank: .max))
    }
}
