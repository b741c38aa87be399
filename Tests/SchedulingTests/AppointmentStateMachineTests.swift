import Scheduling
import XCTest

final class AppointmentStateMachineTests: XCTestCase {
    func testTheTableOfMoves() throws {
        XCTAssertEqual(try AppointmentStateMachine.apply(.confirm, to: .held), .booked)
        XCTAssertEqual(try AppointmentStateMachine.apply(.reschedule, to: .held), .held)
        XCTAssertEqual(try AppointmentStateMachine.apply(.reschedule, to: .booked), .booked)
        XCTAssertEqual(try AppointmentStateMachine.apply(.cancel, to: .booked), .cancelled)
        XCTAssertEqual(try AppointmentStateMachine.apply(.expire, to: .held), .cancelled)
        XCTAssertEqual(try AppointmentStateMachine.apply(.checkIn, to: .booked), .checkedIn)
        XCTAssertEqual(try AppointmentStateMachine.apply(.finish, to: .checkedIn), .done)
        XCTAssertEqual(try AppointmentStateMachine.apply(.noShow, to: .booked), .noShow)
    }

    /// Every pair not in the table is refused with a sentence naming both; nothing leaves a final status.
    func testEveryOtherMoveIsRefused() {
        let legal: Set<String> = ["confirm/held", "reschedule/held", "reschedule/booked", "cancel/held", "cancel/booked",
                                  "expire/held", "checkIn/booked", "finish/checkedIn", "noShow/booked", "noShow/checkedIn"]
        for action in AppointmentAction.allCases {
            for status in AppointmentStatus.allCases {
                let key = "\(action.rawValue)/\(status.rawValue)"
                XCTAssertEqual(AppointmentStateMachine.allows(action, from: status), legal.contains(key), key)
                if !legal.contains(key) {
                    XCTAssertThrowsError(try AppointmentStateMachine.apply(action, to: status)) { error in
                        let message = (error as? AppointmentTransitionError)?.message ?? ""
                        XCTAssertTrue(message.hasPrefix("An appointment that "), message)
                    }
                }
            }
        }
        for final in [AppointmentStatus.done, .noShow, .cancelled] {
            XCTAssertTrue(AppointmentAction.allCases.allSatisfy { !AppointmentStateMachine.allows($0, from: final) })
        }
    }

    func testOnlyLiveStatusesReserveStaffAndRooms() {
        XCTAssertEqual(Set(AppointmentStatus.allCases.filter(\.reservesResources)), [.held, .booked, .checkedIn])
    }
}
