import Queue
import XCTest

final class TicketStateMachineTests: XCTestCase {
    /// The whole life cycle, written out independently of the implementation: every pair not listed is illegal.
    private let legal: [TicketAction: [TicketStatus: TicketStatus]] = [
        .call: [.waiting: .called],
        .recall: [.called: .called],
        .start: [.called: .serving],
        .finish: [.called: .done, .serving: .done],
        .noShow: [.called: .noShow],
        .requeue: [.called: .waiting, .serving: .waiting],
        .handover: [.called: .waiting, .serving: .waiting],
        .closeDay: [.waiting: .noShow, .called: .noShow, .serving: .done],
    ]

    func testTableCoversEveryAction() {
        XCTAssertEqual(Set(legal.keys), Set(TicketAction.allCases))
    }

    func testEveryActionFromEveryStatus() {
        var legalCount = 0
        for action in TicketAction.allCases {
            for status in TicketStatus.allCases {
                let expected = legal[action]?[status]
                do throws(TicketTransitionError) {
                    let result = try TicketStateMachine.apply(action, to: status)
                    XCTAssertEqual(result, expected, "\(action) from \(status)")
                    legalCount += 1
                } catch {
                    XCTAssertNil(expected, "\(action) from \(status) should be legal")
                    XCTAssertEqual(error, .illegal(action: action, from: status))
                }
                XCTAssertEqual(TicketStateMachine.allows(action, from: status), expected != nil,
                               "allows \(action) from \(status)")
            }
        }
        XCTAssertEqual(legalCount, 13)
    }

    func testSourcesAreExactlyTheStatusesApplyAccepts() {
        for action in TicketAction.allCases {
            let expected = Set(legal[action]!.keys)
            XCTAssertEqual(TicketStateMachine.sources(for: action), expected, "sources of \(action)")
            let accepted = TicketStatus.allCases.filter { (try? TicketStateMachine.apply(action, to: $0)) != nil }
            XCTAssertEqual(Set(accepted), expected, "apply and sources disagree for \(action)")
        }
    }

    func testTargetIsTheResultFromEverySource() {
        for action in TicketAction.allCases {
            XCTAssertEqual(TicketStateMachine.transitions(for: action), legal[action]!, "transitions of \(action)")
            let targets = Set(legal[action]!.values)
            XCTAssertEqual(TicketStateMachine.target(of: action), targets.count == 1 ? targets.first : nil, "target of \(action)")
        }
        XCTAssertNil(TicketStateMachine.target(of: .closeDay), "day end has a target per source")
    }

    func testAllowedActionsAreTheLegalDeskActions() {
        XCTAssertEqual(TicketStateMachine.allowedActions(from: .called), [.recall, .start, .finish, .noShow, .requeue, .handover])
        XCTAssertEqual(TicketStateMachine.allowedActions(from: .serving), [.finish, .requeue, .handover])
        XCTAssertEqual(TicketStateMachine.allowedActions(from: .waiting), [], "call and closeDay are no desk buttons")
        XCTAssertEqual(TicketStateMachine.allowedActions(from: .done), [])
        XCTAssertEqual(TicketStateMachine.allowedActions(from: .noShow), [])
    }

    func testDayEndLeavesNoTicketOpen() {
        for status in TicketStatus.allCases where !status.isFinal {
            XCTAssertTrue(try TicketStateMachine.apply(.closeDay, to: status).isFinal, "\(status) at day end")
        }
    }

    func testFinalStatusesAllowNothing() {
        for status in TicketStatus.allCases where status.isFinal {
            for action in TicketAction.allCases {
                XCTAssertFalse(TicketStateMachine.allows(action, from: status), "\(action) from \(status)")
            }
        }
    }

    func testNoShowIsNotPossibleOnceTheVisitorIsAtTheDesk() {
        XCTAssertThrowsError(try TicketStateMachine.apply(.noShow, to: .serving))
    }

    func testErrorMessagesAreSentencesForStaff() {
        XCTAssertEqual(TicketTransitionError.illegal(action: .start, from: .done).message,
                       "A ticket that is done cannot be started.")
        XCTAssertEqual(TicketTransitionError.illegal(action: .noShow, from: .serving).message,
                       "A ticket that is being served cannot be marked as a no-show.")
        XCTAssertEqual(TicketTransitionError.illegal(action: .call, from: .called).message,
                       "A ticket that has been called cannot be called to a desk.")
        XCTAssertEqual(TicketTransitionError.illegal(action: .recall, from: .noShow).message,
                       "A ticket that was a no-show cannot be called again.")
        XCTAssertEqual(TicketTransitionError.illegal(action: .closeDay, from: .done).description,
                       "A ticket that is done cannot be closed at the end of the day.")
    }

    func testEveryIllegalPairHasItsOwnMessage() {
        var messages = Set<String>()
        var illegalCount = 0
        for action in TicketAction.allCases {
            for status in TicketStatus.allCases where legal[action]?[status] == nil {
                let message = TicketTransitionError.illegal(action: action, from: status).message
                XCTAssertTrue(message.hasPrefix("A ticket that "), message)
                XCTAssertTrue(message.hasSuffix("."), message)
                messages.insert(message)
                illegalCount += 1
            }
        }
        XCTAssertEqual(messages.count, illegalCount)
    }

    func testActionRawValues() {
        XCTAssertEqual(TicketAction.allCases.map(\.rawValue),
                       ["call", "recall", "start", "finish", "noShow", "requeue", "handover", "closeDay"])
    }

    func testEventNames() {
        let expected: [TicketAction: String] = [
            .call: "ticket.called",
            .recall: "ticket.recalled",
            .start: "ticket.started",
            .finish: "ticket.finished",
            .noShow: "ticket.finished",
            .requeue: "ticket.requeued",
            .handover: "ticket.handover",
            .closeDay: "ticket.finished",
        ]
        for action in TicketAction.allCases {
            XCTAssertEqual(action.eventKind.rawValue, expected[action], "\(action)")
            XCTAssertEqual(TicketEventKind(action), action.eventKind)
        }
        XCTAssertEqual(Set(TicketEventKind.allCases.map(\.rawValue)), Set(expected.values))
    }
}
