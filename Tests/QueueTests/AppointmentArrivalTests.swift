import Queue
import XCTest

/// The queue rule for checked-in appointments (`AppointmentQueueRule`) and who may call a ticket when
/// (`QueueEntry.isCallable`, `QueueOrder.next`).
final class AppointmentArrivalTests: XCTestCase {
    private let minute: Int64 = 60_000_000
    private let start: Int64 = 1_790_000_000_000_000
    private let rule = AppointmentQueueRule.standard

    func testDefaultsAreTwoMinutesLeadAndFifteenGrace() {
        XCTAssertEqual(rule.leadMinutes, 2)
        XCTAssertEqual(rule.graceMinutes, 15)
    }

    func testEarlyArrivalIsDueAtStartMinusLeadNotAtArrival() {
        let early = rule.ticket(arrival: start - 40 * minute, start: start)
        XCTAssertEqual(early.priority, .appointment)
        XCTAssertEqual(early.dueAt, start - 2 * minute, "arriving 40 minutes early does not make it due sooner")
        XCTAssertFalse(early.late)
        XCTAssertEqual(early.offeredUntil, start + 15 * minute)
        // Two visitors of the same start get the same due time however early each came.
        XCTAssertEqual(rule.ticket(arrival: start - 1 * minute, start: start).dueAt, early.dueAt)
    }

    func testArrivalWithinGraceIsStillAnAppointmentDueAtOnce() {
        let arrival = start + 15 * minute
        let t = rule.ticket(arrival: arrival, start: start)
        XCTAssertEqual(t.priority, .appointment)
        XCTAssertEqual(t.dueAt, start - 2 * minute)
        XCTAssertLessThan(t.dueAt, arrival, "due already: called ahead of walk-ins at once")
        XCTAssertEqual(t.offeredUntil, arrival + 15 * minute, "its own staff get the same time to call as an on-time visitor")
    }

    func testLatePastGraceBecomesWalkInDueAtArrival() {
        let arrival = start + 15 * minute + 1
        let t = rule.ticket(arrival: arrival, start: start)
        XCTAssertEqual(t.priority, .normal)
        XCTAssertEqual(t.dueAt, arrival)
        XCTAssertTrue(t.late)
        XCTAssertNil(t.offeredUntil)
    }

    func testConfigurableLeadAndGrace() {
        let custom = AppointmentQueueRule(leadMinutes: 5, graceMinutes: 0)
        XCTAssertEqual(custom.ticket(arrival: start - minute, start: start).dueAt, start - 5 * minute)
        XCTAssertTrue(custom.ticket(arrival: start + 1, start: start).late)
    }

    func testOrderUrgentThenDueAppointmentsThenWalkInsByArrival() {
        let walkIn1 = QueueKey(priority: .normal, dueAt: start - 30 * minute, number: TicketNumber(parsing: "A001")!)
        let walkIn2 = QueueKey(priority: .normal, dueAt: start - 20 * minute, number: TicketNumber(parsing: "A002")!)
        let urgent = QueueKey(priority: .urgent, dueAt: start - 15 * minute, number: TicketNumber(parsing: "N001")!)
        let appointment = rule.ticket(arrival: start - 25 * minute, start: start)
        let appt = QueueKey(priority: appointment.priority, dueAt: appointment.dueAt, number: TicketNumber(parsing: "A003")!)
        let entries = [walkIn1, walkIn2, urgent, appt].map { QueueEntry(key: $0) }
        // Before the appointment is due: urgent, then walk-ins by arrival; the appointment waits its turn in time.
        let before = start - 10 * minute
        var line = entries
        var calls: [QueueKey] = []
        while let e = QueueOrder.next(line, for: "s", at: before, entry: { $0 }) {
            calls.append(e.key); line.removeAll { $0 == e }
        }
        XCTAssertEqual(calls, [urgent, walkIn1, walkIn2], "the early appointment is not called before it is due")
        // Once due it is next, ahead of any walk-in.
        XCTAssertEqual(QueueOrder.next(line + [QueueEntry(key: walkIn1)], for: "s", at: start - 2 * minute, entry: { $0 })?.key, appt)
        XCTAssertNil(QueueOrder.next(line, for: "s", at: start - 2 * minute - 1, entry: { $0 }))
    }

    func testOfferedFirstToOwnStaffUntilOfferLapses() {
        let key = QueueKey(priority: .appointment, dueAt: start - 2 * minute, number: TicketNumber(parsing: "A001")!)
        let offered = QueueEntry(key: key, offeredTo: ["anna", "bram"], offeredUntil: start + 15 * minute)
        let walkIn = QueueEntry(key: QueueKey(priority: .normal, dueAt: start - 60 * minute, number: TicketNumber(parsing: "A002")!))
        XCTAssertTrue(offered.isCallable(by: "anna", at: start))
        XCTAssertTrue(offered.isCallable(by: "bram", at: start))
        XCTAssertFalse(offered.isCallable(by: "carla", at: start))
        XCTAssertFalse(offered.isCallable(by: "carla", at: start + 15 * minute - 1))
        XCTAssertTrue(offered.isCallable(by: "carla", at: start + 15 * minute))
        XCTAssertEqual(QueueOrder.next([walkIn, offered], for: "carla", at: start, entry: { $0 }), walkIn,
                       "another colleague gets the walk-in meanwhile")
        XCTAssertEqual(QueueOrder.next([walkIn, offered], for: "anna", at: start, entry: { $0 }), offered)
        // An offer without an end is still only an offer to those named, never a ticket nobody else may call forever.
        XCTAssertTrue(QueueEntry(key: key, offeredTo: ["anna"], offeredUntil: nil).isCallable(by: "carla", at: start))
    }
}
