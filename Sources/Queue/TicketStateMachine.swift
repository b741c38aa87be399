/// Something staff (or the end of the day) does to a ticket.
///
/// The raw values are the API spelling, e.g. the last path segment of `POST /tickets/{id}/noShow`.
public enum TicketAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// Call a waiting visitor to a desk.
    case call
    /// Call the same visitor again, because they did not come yet.
    case recall
    /// The visitor arrived at the desk; service begins.
    case start
    /// Service is complete.
    case finish
    /// The called visitor did not come.
    case noShow
    /// Send the visitor back to the queue of the same service, keeping their place.
    case requeue
    /// Send the visitor to the queue of another service, keeping their first arrival time.
    case handover
    /// The day ends (the day-end job, for tickets of an earlier local day): whoever is still waiting or called was
    /// not helped, and a visit left open at a desk is counted as done.
    case closeDay

    /// Whether staff take this action on one ticket at a desk (a button on the desk page). `call` is the desk's
    /// "call next", not an action on a ticket staff hold; `closeDay` is the system's.
    public var isDeskAction: Bool {
        switch self {
        case .recall, .start, .finish, .noShow, .requeue, .handover: true
        case .call, .closeDay: false
        }
    }

    /// The live event that announces this action to displays and desks.
    public var eventKind: TicketEventKind {
        switch self {
        case .call: .called
        case .recall: .recalled
        case .start: .started
        case .finish, .noShow, .closeDay: .finished
        case .requeue: .requeued
        case .handover: .handover
        }
    }
}

/// Name of a live event about a ticket, as sent to displays and desks.
///
/// Several actions share `ticket.finished`, because a display only needs to know the ticket left the screen; the
/// ticket's new status in the event says how it ended.
public enum TicketEventKind: String, Sendable, Hashable, Codable, CaseIterable {
    case called = "ticket.called"
    case recalled = "ticket.recalled"
    case started = "ticket.started"
    case finished = "ticket.finished"
    case requeued = "ticket.requeued"
    case handover = "ticket.handover"

    public init(_ action: TicketAction) {
        self = action.eventKind
    }
}

/// An action that the ticket's current status does not allow.
///
/// The API layer answers it as a conflict: the ticket usually changed under the caller's feet (another desk called
/// it, the visitor was already finished), so `message` is written to be shown to staff as is.
public enum TicketTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    case illegal(action: TicketAction, from: TicketStatus)

    /// A sentence for staff, e.g. "A ticket that is done cannot be started."
    public var message: String {
        switch self {
        case let .illegal(action, status):
            "A ticket that \(status.statePhrase) cannot be \(action.pastParticiple)."
        }
    }

    public var description: String { message }
}

/// The life cycle of a ticket as one table, so that checking an action in Swift and performing it atomically in SQL
/// cannot drift apart.
///
/// Every action maps the statuses it may start from to the status it leads to; all but `closeDay` have a single
/// target. The database layer performs an action as `UPDATE … SET status = target WHERE id = $1 AND status =
/// ANY(sources)`, with sources and target passed from here (never written in SQL); zero updated rows then means the
/// ticket was not (or no longer) in a legal state, and `apply` on the status it re-reads explains why.
///
/// ```
/// call      waiting          → called
/// recall    called           → called
/// start     called           → serving
/// finish    called, serving  → done
/// noShow    called           → noShow    (not from serving: a visitor at the desk has shown up)
/// requeue   called, serving  → waiting   (same service, same place in the queue)
/// handover  called, serving  → waiting   (another service's queue)
/// closeDay  waiting, called → noShow;  serving → done
/// ```
public enum TicketStateMachine {
    /// Source status → target status for `action`: the whole table.
    public static func transitions(for action: TicketAction) -> [TicketStatus: TicketStatus] {
        switch action {
        case .call: [.waiting: .called]
        case .recall: [.called: .called]
        case .start: [.called: .serving]
        case .finish: [.called: .done, .serving: .done]
        // Not from serving: a visitor at the desk has shown up.
        case .noShow: [.called: .noShow]
        case .requeue, .handover: [.called: .waiting, .serving: .waiting]
        // Nobody helped a waiting or called visitor; a visit still open at a desk did take place.
        case .closeDay: [.waiting: .noShow, .called: .noShow, .serving: .done]
        }
    }

    /// The statuses from which `action` is legal.
    public static func sources(for action: TicketAction) -> Set<TicketStatus> {
        Set(transitions(for: action).keys)
    }

    /// The single status `action` leads to from every legal source, or nil when it depends on the source
    /// (`closeDay`; use `transitions(for:)` there).
    public static func target(of action: TicketAction) -> TicketStatus? {
        let targets = Set(transitions(for: action).values)
        return targets.count == 1 ? targets.first : nil
    }

    /// The status after performing `action` on a ticket in `status`.
    public static func apply(_ action: TicketAction, to status: TicketStatus) throws(TicketTransitionError)
        -> TicketStatus
    {
        guard let target = transitions(for: action)[status] else {
            throw .illegal(action: action, from: status)
        }
        return target
    }

    /// The desk actions staff may take on a ticket in `status`, in `TicketAction` order: what the desk page shows
    /// as buttons (it has no rules of its own).
    public static func allowedActions(from status: TicketStatus) -> [TicketAction] {
        TicketAction.allCases.filter { $0.isDeskAction && allows($0, from: status) }
    }

    /// Whether `action` is legal for a ticket in `status`, e.g. to decide which buttons a desk shows.
    public static func allows(_ action: TicketAction, from status: TicketStatus) -> Bool {
        sources(for: action).contains(status)
    }
}

extension TicketStatus {
    /// Completes "A ticket that …", for error messages.
    fileprivate var statePhrase: String {
        switch self {
        case .waiting: "is waiting"
        case .called: "has been called"
        case .serving: "is being served"
        case .done: "is done"
        case .noShow: "was a no-show"
        }
    }
}

extension TicketAction {
    /// Completes "… cannot be …", for error messages.
    fileprivate var pastParticiple: String {
        switch self {
        case .call: "called to a desk"
        case .recall: "called again"
        case .start: "started"
        case .finish: "finished"
        case .noShow: "marked as a no-show"
        case .requeue: "put back in the queue"
        case .handover: "handed over to another service"
        case .closeDay: "closed at the end of the day"
        }
    }
}
