import Glibc
import HTTP
import Locking
import Logging
import Postgres
import Time

/// A position in the event log: the writing transaction's id and the event's id. Sent to clients as the SSE
/// `id` ("tx-id"), so `Last-Event-ID` resumes exactly where a client left off, on any `loket serve` process.
///
/// Both parts are numbers and are only ever compared as numbers (`xid8` in SQL, `UInt64` here): as text, 99999
/// sorts after 100000, which repeated live events and scrambled replays once transaction ids gained a digit.
struct EventCursor: Sendable, Comparable, CustomStringConvertible {
    let tx: UInt64
    let id: Int64

    static let zero = EventCursor(tx: 0, id: 0)

    init(tx: UInt64, id: Int64) {
        self.tx = tx
        self.id = id
    }

    /// Parses a `Last-Event-ID` ("tx-id", decimal digits only). Anything else (signs, spaces, overflow) is nil,
    /// and the client then simply starts live.
    init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let tx = Self.decimal(parts[0], max: UInt64.max),
              let id = Self.decimal(parts[1], max: UInt64(Int64.max)) else { return nil }
        self.init(tx: tx, id: Int64(id))
    }

    /// The position of an event row (`tx_text`, the xid8 as text, and `id`).
    init(txText text: String, id: Int) throws {
        guard let tx = Self.decimal(Substring(text), max: UInt64.max) else {
            throw PostgresError.decoding("event transaction id \(text) is not a number")
        }
        self.init(tx: tx, id: Int64(id))
    }

    private static func decimal(_ s: Substring, max: UInt64) -> UInt64? {
        guard !s.isEmpty, s.utf8.count <= 20, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let v = UInt64(s), v <= max else { return nil }
        return v
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
///
/// Besides the events themselves, the streams are public (the call display reads them without logging in), so the
/// only queue figure they carry is `queue.changed` with the total number waiting at the location, sent on connect and
/// on a fixed timer — never in reaction to an event (see `sendWaitingTotals`). Staff get per-service figures from
/// their authenticated queue view (`GET /api/v1/locations/{id}/queue`), which the desk page re-reads on events.
final class EventHub: @unchecked Sendable {
    static let channel = "loket_events"

    /// Seconds between two `queue.changed` totals on every stream.
    static let waitingTotalInterval: Int64 = 30

    private final class Subscriber {
        let stream: EventStream
        /// The staff member of a staff stream; nil for the public stream. A staff stream gets every public event and
        /// the events whose `audience` names this staff member; the public stream never gets an event with an audience.
        let staffID: String?
        /// Live events that arrived while the subscriber's replay was still running.
        var deferred: [(String, String, String)]?
        /// The client has already seen events up to here (it came from a process that was further along): live
        /// events up to this position are not sent again.
        var seenUpTo: EventCursor?
        init(_ s: EventStream, staffID: String?) { stream = s; self.staffID = staffID }
        func wants(_ audience: [String]?) -> Bool { audience.map { a in staffID.map(a.contains) ?? false } ?? true }
    }

    private let mutex = Mutex()
    private var cursor = EventCursor.zero
    private var subscribers: [String: [ObjectIdentifier: Subscriber]] = [:]
    private let logger: Logger
    private var listener: Listener?
    /// The timer slot (wall-clock seconds / interval) whose totals were sent last.
    private var totalsSentForSlot: Int64 = 0
    private var totalsInterval = EventHub.waitingTotalInterval
    /// When the last relay pass began (listener thread only).
    private var lastPass: ContinuousClock.Instant?

    /// The least time between two relay passes (not after a reconnect). Under load every take-a-number
    /// wakes the relay; a pass (a NOTIFY and a query) per write, or even every 5 ms, cost 10-12 % of loket's CPU in
    /// the take-a-number benchmark (perf), CPU the two cores share with PostgreSQL. Passes at most this often read
    /// every event committed meanwhile in one batch; when idle, a write is relayed at once, and under load a display
    /// sees it at most this much later (inside the 50 ms a call may take to show).
    static let minimumPassGap: Duration = .milliseconds(20)

    init(logger: Logger) {
        self.logger = logger
    }

    /// Seconds between two waiting totals; 0 stops the timer (tests that must see only what events cause).
    var waitingTotalSeconds: Int64 {
        get { mutex.withLock { totalsInterval } }
        set { mutex.withLock { totalsInterval = max(0, newValue) } }
    }

    /// Starts at the current end of the log and begins relaying.
    func start(conninfo: String, head db: Connection) throws {
        cursor = try Self.head(db)
        totalsSentForSlot = Self.currentSlot(totalsInterval) ?? 0
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
        guard let head = try db.first(EventsHead()) else { throw PostgresError.decoding("events_head returned no row") }
        return try EventCursor(txText: head.txText, id: head.id)
    }

    /// Adds a stream for a location. With `lastEventID`, first replays what the client missed from the table.
    /// If the replay fails (database gone), the subscriber is removed again and the error reaches the client.
    func subscribe(locationID: String, lastEventID: EventCursor?, stream: EventStream, db: Connection, staffID: String? = nil) throws {
        let subscriber = Subscriber(stream, staffID: staffID)
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
                    let rows = try db.all(EventsReplay(locationID: locationID, fromTx: String(from.tx), fromID: Int(from.id),
                                                       toTx: String(liveFrom.tx), toID: Int(liveFrom.id)))
                    for row in rows {
                        from = try EventCursor(txText: row.txText, id: row.id)
                        if subscriber.wants(row.audience) { stream.send(event: row.type, id: from.description, data: row.payload) }
                    }
                    if rows.count < Self.replayPage { break }
                }
            }
            try sendWaitingTotals([locationID], db, only: stream)
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
        let clock = ContinuousClock()
        // Any wake-up, not only this process's writes: each pass's own NOTIFY comes back on the listening socket
        // and woke a second, ungated pass per batch.
        if !wake.reconnected, let last = lastPass {
            let wait = Self.minimumPassGap - last.duration(to: clock.now)
            if wait > .zero {
                let (seconds, attoseconds) = wait.components
                usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            }
        }
        lastPass = clock.now
        if wake.local {
            try db.execute(SQL(unsafeUnchecked: "NOTIFY \(Self.channel)"))
        }
        while true {
            let from = mutex.withLock { cursor }
            let rows = try db.all(EventsAfter(tx: String(from.tx), id: Int(from.id)))
            if rows.isEmpty { break }
            var last = from
            var batch: [(location: String, type: String, position: EventCursor, data: String, audience: [String]?)] = []
            for row in rows {
                last = try EventCursor(txText: row.txText, id: row.id)
                batch.append((row.locationID, row.type, last, row.payload, row.audience))
            }
            mutex.withLock {
                cursor = last
                for event in batch {
                    guard let subs = subscribers[event.location] else { continue }
                    let id = event.position.description
                    for sub in subs.values {
                        guard sub.wants(event.audience) else { continue }
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
        try sendWaitingTotalsWhenDue(db)
    }

    /// The slot of the timer that `now` falls in. Slots are aligned to the wall clock (every :00 and :30), so every
    /// process and every display updates at the same moments whatever happened just before. Real time rather than the
    /// app's clock: this paces a transport, not business time, and a test's `ManualClock` stands still.
    private static func currentSlot(_ interval: Int64) -> Int64? {
        guard interval > 0 else { return nil }
        return SystemClock().now().microseconds / 1_000_000 / interval
    }

    /// Runs on every relay pass (at least once a second): sends the totals once per timer slot.
    private func sendWaitingTotalsWhenDue(_ db: Connection) throws {
        let locations: [String]? = mutex.withLock {
            guard let slot = Self.currentSlot(totalsInterval), slot != totalsSentForSlot else { return nil }
            totalsSentForSlot = slot
            return Array(subscribers.keys)
        }
        if let locations, !locations.isEmpty { try sendWaitingTotals(locations, db, only: nil) }
    }

    /// `queue.changed`: `{"waiting": n}`, how many visitors wait at the location in total. Derived, so it carries no
    /// id of its own.
    ///
    /// Why a total on a timer, and not counts per service or life question after each event: the stream is public,
    /// and a per-service count that moves right after "G002 taken" tells every onlooker why G002 came (debt help
    /// 0→1). A timer alone does not fix that: in a quiet half minute with one new ticket, a per-life-question count
    /// still points at it. The total cannot: it moves by one on exactly the events that are public anyway (taken,
    /// called, requeued, handed over), so it says nothing about any one visitor, and it is all the display needs
    /// ("now waiting: 7"). It is sent when a stream connects (a display must not start blank) and then only on the
    /// timer, the same for all streams. Per-service counts are for staff only, through their queue view.
    private func sendWaitingTotals(_ locations: [String], _ db: Connection, only: EventStream?) throws {
        var totals: [String: Int] = [:]
        for row in try db.all(WaitingTotals(locationIDs: locations)) {
            totals[row.locationID] = row.n
        }
        for location in locations {
            let data = JSON.object([("waiting", .int(totals[location] ?? 0))]).serialized
            if let only {
                only.send(event: "queue.changed", id: nil, data: data)
            } else {
                let streams = mutex.withLock { subscribers[location].map { $0.values.filter { $0.deferred == nil }.map(\.stream) } ?? [] }
                streams.forEach { $0.send(event: "queue.changed", id: nil, data: data) }
            }
        }
    }
}
