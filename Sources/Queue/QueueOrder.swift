/// What decides a waiting ticket's place in the call order. This is the one definition of the order: the database
/// sorts, indexes and pages waiting tickets on exactly these fields (`databaseColumns`), and a randomized test checks
/// that the database's call-next sequence and queue view equal `QueueOrder.sorted` of the same tickets.
///
/// Compared in this order:
/// 1. `priority` — urgent before appointment before normal, regardless of when the ticket is due;
/// 2. `dueAt` — earlier first. For a walk-in this is when the visitor first arrived at the location; for an
///    appointment it is the appointment time. Kept through requeues and handovers, so being sent to another service's
///    queue does not send someone to the back of it;
/// 3. `number` — by prefix, then numerically (`U999` before `U1000`), only to make the order total and repeatable.
public struct QueueKey: Sendable, Hashable, Comparable {
    public var priority: TicketPriority
    /// Microseconds since the Unix epoch (the resolution of a PostgreSQL `timestamptz`).
    public var dueAt: Int64
    public var number: TicketNumber

    public init(priority: TicketPriority, dueAt: Int64, number: TicketNumber) {
        self.priority = priority
        self.dueAt = dueAt
        self.number = number
    }

    /// The `ticket` columns that hold this key, in comparison order: `priority_rank` is `priority.rank`, `due_at` is
    /// `dueAt`, `number_prefix` (collation "C") and `number_sequence` are `number.prefix` and `number.sequence`.
    /// Every ORDER BY, row comparison and index of the call order uses exactly this list (a test reads the SQL).
    public static let databaseColumns = ["priority_rank", "due_at", "number_prefix", "number_sequence"]

    public static func < (a: QueueKey, b: QueueKey) -> Bool {
        if a.priority != b.priority { return a.priority.rank < b.priority.rank }
        if a.dueAt != b.dueAt { return a.dueAt < b.dueAt }
        return a.number < b.number
    }
}

/// The call order of waiting tickets.
public enum QueueOrder {
    /// `items` in call order: the one to call next first.
    ///
    /// Stable: items with equal keys keep their relative order, so a list never reshuffles between two renders of
    /// the same data. `key` is evaluated once per item.
    public static func sorted<T, E: Error>(_ items: [T], key: (T) throws(E) -> QueueKey) throws(E) -> [T] {
        let keys = try items.map(key)
        // The standard library's sort is guaranteed stable, which is what keeps equal keys in input order.
        return zip(keys, items).sorted { $0.0 < $1.0 }.map(\.1)
    }
}

/// A place in the call order to continue a page of the queue after: the key of the last ticket shown.
///
/// Spelled `rank.dueAt.number` (e.g. `2.1767254400000000.U1000`), opaque to clients. Because the order is total, "after
/// this key" skips nothing and repeats nothing, however the line changes between two pages.
public struct QueueCursor: Sendable, Hashable, CustomStringConvertible {
    public let key: QueueKey

    public init(after key: QueueKey) { self.key = key }

    /// Reads a cursor this type wrote; anything else is nil.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let rank = Int16(parts[0]), let priority = TicketPriority(rank: rank),
              let due = Int64(parts[1]), let number = TicketNumber(parsing: parts[2]) else { return nil }
        key = QueueKey(priority: priority, dueAt: due, number: number)
    }

    public var description: String { "\(key.priority.rank).\(key.dueAt).\(key.number.text)" }
}
