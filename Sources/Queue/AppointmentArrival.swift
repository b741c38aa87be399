/// How an appointment joins the walk-in queue when its visitor checks in (kiosk or desk). This is the rule, written
/// once; the check-in route asks it and stores what it says (`ticket.priority`, `due_at`, `late`, `offered_to`,
/// `offered_until`), and every statement of the queue orders by `QueueKey` over those columns.
///
/// - Urgent tickets stay first (rank 0), whatever the appointments.
/// - An appointment ticket is due `leadMinutes` before its start (default 2) and ranks ahead of walk-ins
///   (`TicketPriority.appointment`) once due. Arriving early does **not** make it due sooner: the ordering key is the
///   due time, never the arrival time; until it is due, call-next passes it by (`QueueEntry.isCallable`).
/// - Arriving up to `graceMinutes` after the start (default 15) still counts as on time: the ticket is due at
///   once (its due time lies in the past) and goes ahead of every walk-in.
/// - Later than that the visitor is a normal walk-in, due when they arrived, flagged `late` so staff see why.
/// - An on-time appointment ticket is offered first to its own staff member(s) (the participants) until
///   `offeredUntil` = the later of start and arrival + `graceMinutes`: the participants are reserved for this slot,
///   and if none of them has called the visitor by then, any qualified colleague may. A late walk-in is offered to
///   nobody in particular.
public struct AppointmentQueueRule: Sendable, Hashable {
    /// Minutes before the start from which the ticket is due.
    public var leadMinutes: Int
    /// Minutes after the start until which the visitor still counts as on time.
    public var graceMinutes: Int

    public static let standard = AppointmentQueueRule(leadMinutes: 2, graceMinutes: 15)

    public init(leadMinutes: Int, graceMinutes: Int) {
        self.leadMinutes = leadMinutes
        self.graceMinutes = graceMinutes
    }

    /// What the ticket of a visitor who arrives at `arrival` for an appointment starting at `start` looks like in
    /// the queue (instants in microseconds since the epoch).
    public func ticket(arrival: Int64, start: Int64) -> ArrivalTicket {
        let minute: Int64 = 60_000_000
        let graceEnd = start + Int64(graceMinutes) * minute
        if arrival > graceEnd {
            return ArrivalTicket(priority: .normal, dueAt: arrival, late: true, offeredUntil: nil)
        }
        return ArrivalTicket(priority: .appointment, dueAt: start - Int64(leadMinutes) * minute, late: false,
                             offeredUntil: max(start, arrival) + Int64(graceMinutes) * minute)
    }
}

/// The queue fields of a checked-in appointment's ticket.
public struct ArrivalTicket: Sendable, Hashable {
    public var priority: TicketPriority
    /// When it may be called, and its place in the order (`QueueKey.dueAt`).
    public var dueAt: Int64
    /// Arrived after the grace: a walk-in now, and staff are told.
    public var late: Bool
    /// Until then only the appointment's own staff may call it; nil: anyone qualified at once.
    public var offeredUntil: Int64?
}

/// A waiting ticket as call-next sees it: its place in the order and who may call it when.
public struct QueueEntry: Sendable, Hashable {
    public var key: QueueKey
    /// Staff members the ticket is offered to first (appointment participants; later a contact person). Empty: all
    /// qualified staff alike.
    public var offeredTo: Set<String>
    /// After this instant the offer lapses and any qualified staff member may call it.
    public var offeredUntil: Int64?

    public init(key: QueueKey, offeredTo: Set<String> = [], offeredUntil: Int64? = nil) {
        self.key = key
        self.offeredTo = offeredTo
        self.offeredUntil = offeredUntil
    }

    /// Whether `staff` may call the ticket at `now`: it is due (walk-ins are due when they arrive, so this holds back
    /// only early appointment tickets), and it is not offered to other staff members right now.
    public func isCallable(by staff: String, at now: Int64) -> Bool {
        guard key.dueAt <= now else { return false }
        if offeredTo.isEmpty || offeredTo.contains(staff) { return true }
        return offeredUntil.map { $0 <= now } ?? true
    }
}

extension QueueOrder {
    /// The ticket call-next gives `staff` at `now`: the first of `entries` in call order that they may call.
    /// Not-yet-due and offered-to-others tickets keep their place; call-next passes over them without reordering.
    public static func next<T>(_ items: [T], for staff: String, at now: Int64, entry: (T) -> QueueEntry) -> T? {
        sorted(items) { entry($0).key }.first { entry($0).isCallable(by: staff, at: now) }
    }
}
