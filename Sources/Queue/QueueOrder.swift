/// What decides a waiting ticket's place in the call order.
///
/// Compared in this order:
/// 1. `priority` — urgent before appointment before normal, regardless of arrival;
/// 2. `arrivedAt` — earlier first. This is when the visitor first arrived at the location, kept through requeues and
///    handovers, so being sent to another service's queue does not send someone to the back of it;
/// 3. `number` — by prefix, then numerically (`U999` before `U1000`), only to make the order total and repeatable.
///
/// The database sorts waiting tickets with the same three columns; this type is the reference for that order.
public struct QueueKey: Sendable, Hashable, Comparable {
    public var priority: TicketPriority
    /// Microseconds since the Unix epoch (the resolution of a PostgreSQL `timestamptz`).
    public var arrivedAt: Int64
    public var number: TicketNumber

    public init(priority: TicketPriority, arrivedAt: Int64, number: TicketNumber) {
        self.priority = priority
        self.arrivedAt = arrivedAt
        self.number = number
    }

    public static func < (a: QueueKey, b: QueueKey) -> Bool {
        if a.priority != b.priority { return a.priority.rank < b.priority.rank }
        if a.arrivedAt != b.arrivedAt { return a.arrivedAt < b.arrivedAt }
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
