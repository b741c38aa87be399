/// Where a ticket is in its life at the desk.
///
/// The raw values are the spelling used by the public API and the database, so renaming a case is a breaking change
/// for clients and stored data alike.
public enum TicketStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// In the queue, not yet called.
    case waiting
    /// Called to a desk; the visitor is on their way (or has not shown up yet).
    case called
    /// The visitor is at the desk being helped.
    case serving
    /// Helped; the ticket takes no further part in the queue.
    case done
    /// Called but never came, or still waiting when the day was closed.
    case noShow

    /// The ticket occupies a desk: the desk cannot take another visitor until this one is finished or sent back.
    public var isActiveAtDesk: Bool {
        self == .called || self == .serving
    }

    /// No action can move the ticket on; it only matters for statistics and the audit trail.
    public var isFinal: Bool {
        self == .done || self == .noShow
    }
}

/// How urgently a ticket is called, independent of when the visitor arrived.
///
/// The raw values are the API spelling; `rank` is what the database stores and sorts on, so the call order is a
/// plain ascending index scan rather than a `CASE` expression.
public enum TicketPriority: String, Sendable, Hashable, Codable, CaseIterable {
    /// Needs help today whatever the queue (e.g. no money for food): always called first.
    case urgent
    /// Has an appointment: called at the appointment time ahead of walk-ins, but still after urgent visitors.
    case appointment
    /// An ordinary walk-in.
    case normal

    /// Position in the call order; lower is called first.
    public var rank: Int16 {
        switch self {
        case .urgent: 0
        case .appointment: 1
        case .normal: 2
        }
    }

    /// The priority stored as `rank`, or nil for a rank that no priority has (a corrupt or newer row).
    public init?(rank: Int16) {
        switch rank {
        case 0: self = .urgent
        case 1: self = .appointment
        case 2: self = .normal
        default: return nil
        }
    }
}
