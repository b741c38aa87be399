import HTTP
import Locking
import Logging
import Postgres

/// A position in the event log: the writing transaction's id and the event's id. Sent to clients as the SSE
/// `id` ("tx-id"), so `Last-Event-ID` resumes exactly where a client left off, on any `loket serve` process.
struct EventCursor: Sendable, Comparable, CustomStringConvertible {
    let tx: UInt64
    let id: Int64

    static let zero = EventCursor(tx: 0, id: 0)

    init(tx: UInt64, id: Int64) {
        self.tx = tx
        self.id = id
    }

    init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let tx = UInt64(parts[0]), let id = Int64(parts[1]) else { return nil }
        self.init(tx: tx, id: id)
    }

    /// The position of an event row (columns `tx` and `id`).
    init(row: Row) throws {
        self.init(tx: UInt64(try row.string("tx")) ?? 0, id: Int64(try row.int("id")))
    }

    var description: String { "\(tx)-\(id)" }

    static func < (a: EventCursor, b: EventCursor) -> Bool { (a.tx, a.id) < (b.tx, b.id) }
}

/// Fans the event log out to the Server-Sent Event streams of this process.
///
/// Writers put events in the `event` table inside their own transaction and call `didWrite()`. The relay (one
/// LISTEN connection per process) then reads new events in commit-safe order and sends them to subscribers of
/// their location; it also sends one `NOTIFY loket_events` per batch so other processes on the same database
/// read them too. NOTIFY is kept out of the writers' transactions on purpose: it serialises commits and cost ~4×
/// throughput when measured (stack notes). A one-second poll covers a lost notification.
final class EventHub: @unchecked Sendable {
    static let channel = "loket_events"

    private final class Subscriber {
        let stream: EventStream
        /// Live events that arrived while the subscriber's replay was still running.
        var deferred: [(String, String, String)]?
        /// The client has already seen events up to here (it came from a process that was further along): live
        /// events up to this position are not sent again.
        var seenUpTo: EventCursor?
        init(_ s: EventStream) { stream = s }
    }

    private let mutex = Mutex()
    private var cursor = EventCursor.zero
    private var subscribers: [String: [ObjectIdentifier: Subscriber]] = [:]
    private let logger: Logger
    private var listener: Listener?

    init(logger: Logger) {
        self.logger = logger
    }

    /// Starts at the current end of the log and begins relaying.
    func start(conninfo: String, head db: Connection) throws {
        cursor = try Self.head(db)
        let listener = Listener(conninfo: conninfo, channels: [Self.channel], interval: 1.0, logger: logger) { [weak self] db, wake in
            try self?.relay(db, wake)
        }
        self.listener = listener
        listener.start()
    }

    func stop() {
        listener?.stop()
        for streams in mutex.withLock({ subscribers.values.map { Array($0.values) } }) {
            streams.forEach { $0.stream.finish() }
        }
    }

    /// A writer committed events: relay them now rather than at the next poll.
    func didWrite() { listener?.wake() }

    var isConnected: Bool { listener?.isConnected ?? false }

    var subscriberCount: Int { mutex.withLock { subscribers.values.reduce(0) { $0 + $1.count } } }

    static func head(_ db: Connection) throws -> EventCursor {
        try EventCursor(row: db.query(Query(Statements.events["events_head"])).first!)
    }

    /// Adds a stream for a location. With `lastEventID`, first replays what the client missed from the table.
    /// If the replay fails (database gone), the subscriber is removed again and the error reaches the client.
    func subscribe(locationID: String, lastEventID: EventCursor?, stream: EventStream, db: Connection) throws {
        let subscriber = Subscriber(stream)
        subscriber.deferred = []
        let key = ObjectIdentifier(subscriber)
        let liveFrom: EventCursor = mutex.withLock {
            subscribers[locationID, default: [:]][key] = subscriber
            if let last = lastEventID, last > cursor { subscriber.seenUpTo = last }
            return cursor
        }
        let unsubscribe: @Sendable () -> Void = { [weak self] in
            guard let self else { return }
            self.mutex.withLock {
                self.subscribers[locationID]?.removeValue(forKey: key)
                if self.subscribers[locationID]?.isEmpty == true { self.subscribers.removeValue(forKey: locationID) }
            }
        }
        do {
            if var from = lastEventID, from < liveFrom {
                // In pages, so a client that was away long gets everything up to where live events take over.
                while true {
                    let rows = try db.query(Query(Statements.events["events_replay"], locationID, String(from.tx), Int(from.id),
                                                  String(liveFrom.tx), Int(liveFrom.id)))
                    for row in rows {
                        from = try EventCursor(row: row)
                        stream.send(event: try row.string("type"), id: from.description, data: try row.string("payload"))
                    }
                    if rows.count < Self.replayPage { break }
                }
            }
            try sendQueueChanged([locationID], db, only: stream)
        } catch {
            unsubscribe()
            throw error
        }
        stream.onClose(unsubscribe)
        mutex.withLock {
            for (type, id, data) in subscriber.deferred ?? [] { stream.send(event: type, id: id, data: data) }
            subscriber.deferred = nil
        }
    }

    /// Rows per replay and relay query (the statements' LIMIT).
    static let replayPage = 1000
    static let relayPage = 1000

    private func relay(_ db: Connection, _ wake: Listener.Wake) throws {
        if wake.local {
            try db.execute(SQL(unsafeUnchecked: "NOTIFY \(Self.channel)"))
        }
        var touched = Set<String>()
        while true {
            let from = mutex.withLock { cursor }
            let rows = try db.query(Query(Statements.events["events_after"], String(from.tx), Int(from.id)))
            if rows.isEmpty { break }
            var last = from
            var batch: [(location: String, type: String, position: EventCursor, data: String)] = []
            for row in rows {
                last = try EventCursor(row: row)
                batch.append((try row.string("location_id"), try row.string("type"), last, try row.string("payload")))
            }
            mutex.withLock {
                cursor = last
                for event in batch {
                    guard let subs = subscribers[event.location] else { continue }
                    touched.insert(event.location)
                    let id = event.position.description
                    for sub in subs.values {
                        if let seen = sub.seenUpTo {
                            if event.position <= seen { continue }
                            sub.seenUpTo = nil
                        }
                        if sub.deferred != nil {
                            sub.deferred!.append((event.type, id, event.data))
                        } else {
                            sub.stream.send(event: event.type, id: id, data: event.data)
                        }
                    }
                }
            }
            if rows.count < Self.relayPage { break }
        }
        if !touched.isEmpty { try sendQueueChanged(Array(touched), db, only: nil) }
    }

    /// `queue.changed`: waiting counts per service. Derived, so it carries no id of its own.
    private func sendQueueChanged(_ locations: [String], _ db: Connection, only: EventStream?) throws {
        let rows = try db.query(Query(Statements.events["waiting_counts"], locations))
        var byLocation: [String: [JSON]] = [:]
        for row in rows {
            byLocation[try row.string("location_id"), default: []].append(.object([
                ("serviceId", .string(try row.string("service_id"))),
                ("lifeQuestion", .string(try row.string("life_question"))),
                ("count", .int(try row.int("n"))),
            ]))
        }
        for location in locations {
            let data = JSON.object([("waiting", .array(byLocation[location] ?? []))]).serialized
            if let only {
                only.send(event: "queue.changed", id: nil, data: data)
            } else {
                let streams = mutex.withLock { subscribers[location].map { $0.values.filter { $0.deferred == nil }.map(\.stream) } ?? [] }
                streams.forEach { $0.send(event: "queue.changed", id: nil, data: data) }
            }
        }
    }
}
