import Queue
import XCTest

final class QueueOrderTests: XCTestCase {
    private struct Ticket: Equatable {
        var id: Int
        var priority: TicketPriority
        var dueAt: Int64
        var number: TicketNumber

        var key: QueueKey { QueueKey(priority: priority, dueAt: dueAt, number: number) }
    }

    private static let minute: Int64 = 60_000_000

    private func ticket(_ id: Int, _ priority: TicketPriority, minute: Int64, _ text: String) -> Ticket {
        Ticket(id: id, priority: priority, dueAt: 1_760_000_000_000_000 + minute * Self.minute,
               number: TicketNumber(parsing: text)!)
    }

    private func order(_ tickets: [Ticket]) -> [Int] {
        QueueOrder.sorted(tickets, key: \.key).map(\.id)
    }

    func testUrgentFirstThenAppointmentThenNormalRegardlessOfArrival() {
        let tickets = [
            ticket(1, .normal, minute: 0, "A001"),
            ticket(2, .appointment, minute: 10, "A002"),
            ticket(3, .normal, minute: 5, "A003"),
            ticket(4, .urgent, minute: 30, "A004"),
            ticket(5, .urgent, minute: 20, "A005"),
        ]
        XCTAssertEqual(order(tickets), [5, 4, 2, 1, 3])
    }

    func testEarlierArrivalFirstWithinAPriority() {
        let tickets = [
            ticket(1, .normal, minute: 9, "U001"),
            ticket(2, .normal, minute: 3, "U002"),
            ticket(3, .normal, minute: 6, "U003"),
        ]
        XCTAssertEqual(order(tickets), [2, 3, 1])
    }

    func testHandedOverTicketKeepsItsPlaceByFirstArrival() {
        // B005 arrived first for another service and was handed over to this queue after U010 had arrived:
        // its first arrival counts, not its number, nor when it joined this queue.
        let tickets = [
            ticket(1, .normal, minute: 30, "U010"),
            ticket(2, .normal, minute: 0, "B005"),
            ticket(3, .normal, minute: 45, "U011"),
        ]
        XCTAssertEqual(order(tickets), [2, 1, 3])
    }

    func testSameArrivalIsDecidedByNumberNumerically() {
        let tickets = [
            ticket(1, .normal, minute: 0, "U1000"),
            ticket(2, .normal, minute: 0, "U999"),
            ticket(3, .normal, minute: 0, "B1001"),
            ticket(4, .normal, minute: 0, "U010"),
        ]
        XCTAssertEqual(order(tickets), [3, 4, 2, 1])
    }

    func testEqualKeysKeepTheirInputOrder() {
        // Many items over three keys, interleaved, so an unstable sort would almost surely reshuffle them.
        let keys = [ticket(0, .normal, minute: 2, "U002"), ticket(0, .urgent, minute: 5, "U005"),
                    ticket(0, .normal, minute: 1, "U001")]
        let tickets = (0..<300).map { id -> Ticket in
            var copy = keys[id % 3]
            copy.id = id
            return copy
        }
        let sorted = QueueOrder.sorted(tickets, key: \.key)
        XCTAssertEqual(sorted.map(\.number.text), Array(repeating: "U005", count: 100)
                       + Array(repeating: "U001", count: 100) + Array(repeating: "U002", count: 100))
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.key == next.key {
            XCTAssertLessThan(previous.id, next.id)
        }
    }

    func testResultDoesNotDependOnInputOrder() {
        let tickets = [
            ticket(1, .normal, minute: 1, "U003"),
            ticket(2, .urgent, minute: 4, "U004"),
            ticket(3, .normal, minute: 1, "U002"),
            ticket(4, .appointment, minute: 2, "U001"),
            ticket(5, .normal, minute: 0, "U005"),
        ]
        let expected = [2, 4, 5, 3, 1]
        XCTAssertEqual(order(tickets), expected)
        XCTAssertEqual(order(tickets.reversed()), expected)
    }

    func testEmptyAndSingle() {
        XCTAssertEqual(order([]), [])
        XCTAssertEqual(order([ticket(1, .normal, minute: 0, "U001")]), [1])
    }

    func testKeyIsEvaluatedOncePerItem() {
        let tickets = (1...50).map { ticket($0, .normal, minute: Int64(50 - $0), "U\(100 + $0)") }
        var calls = 0
        let sorted = QueueOrder.sorted(tickets) { ticket -> QueueKey in
            calls += 1
            return ticket.key
        }
        XCTAssertEqual(calls, 50)
        XCTAssertEqual(sorted.map(\.id), Array((1...50).reversed()))
    }

    func testKeyErrorsPropagate() {
        struct Unreadable: Error {}
        let tickets = [ticket(1, .normal, minute: 0, "U001")]
        XCTAssertThrowsError(try QueueOrder.sorted(tickets) { _ throws(Unreadable) -> QueueKey in throw Unreadable() })
    }

    func testQueueKeyComparison() {
        let early = ticket(0, .normal, minute: 0, "U002").key
        let late = ticket(0, .normal, minute: 1, "U001").key
        let urgent = ticket(0, .urgent, minute: 9, "U009").key
        XCTAssertLessThan(early, late)
        XCTAssertLessThan(urgent, early)
        XCTAssertFalse(early < early)
        XCTAssertLessThan(ticket(0, .normal, minute: 0, "U999").key, ticket(0, .normal, minute: 0, "U1000").key)
    }

    func testCursorRoundTripsAndRefusesAnythingElse() {
        let key = ticket(0, .appointment, minute: 3, "U1000").key
        let cursor = QueueCursor(after: key)
        XCTAssertEqual(QueueCursor(cursor.description)?.key, key)
        XCTAssertEqual(cursor.description, "1.\(key.dueAt).U1000")
        for bad in ["", "1.2", "9.0.U001", "1.x.U001", "1.0.u001", "1.0.U001.5", "-1.0.U001"] {
            XCTAssertNil(QueueCursor(bad), bad)
        }
    }
}
