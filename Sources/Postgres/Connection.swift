import CLibPQ
import Glibc
import Locking

/// One libpq connection. Not shared between threads: the pool hands it to one user at a time.
///
/// This is the single place where libpq is called; every C status becomes a `PostgresError` here.
/// Statements are prepared on first use and then executed by name (saves parsing and planning on hot paths);
/// the cache belongs to the connection, so a reconnect (a new `Connection`) prepares them again.
///
/// Statements go out with libpq's asynchronous calls and the answer is awaited with poll() up to a deadline: the
/// server's `statement_timeout` cannot help when the server itself is frozen (stopped, swapped out, partitioned),
/// and a worker thread must never wait for that. On the deadline the statement is cancelled and the connection
/// closed; the caller gets `PostgresError.timedOut`, which is a 503.
public final class Connection: @unchecked Sendable {
    /// How long a statement may take, client-side, by default: a bit above the server's `statement_timeout` (15 s),
    /// so a slow statement is ended by the server with its own error and only a frozen server reaches this.
    public static let defaultQueryTimeoutSeconds = 20.0

    private var conn: OpaquePointer?
    private var prepared: [String: String] = [:]
    /// Seconds one statement may take until the client gives up on it; nil waits without limit (migrations, which
    /// may wait for another instance's lock).
    public var queryTimeoutSeconds: Double?
    /// Set when the connection saw a connection-level failure; the pool then discards it.
    public private(set) var isBroken = false

    /// Connects, with a short timeout so an unreachable (or frozen) database turns into a quick 503. libpq's
    /// `connect_timeout` bounds the whole start-up, including a server that accepts the TCP connection but never
    /// answers; libpq treats values below 2 as 2.
    public init(conninfo: String, connectTimeoutSeconds: Int = 3, applicationName: String = "loket",
                queryTimeoutSeconds: Double? = Connection.defaultQueryTimeoutSeconds) throws {
        self.queryTimeoutSeconds = queryTimeoutSeconds
        // Time limits, so a stuck lock, a runaway statement or a silent network partition costs seconds, not a
        // worker thread for hours: the request fails with 503 and the service stays responsive. TCP keepalives and
        // tcp_user_timeout notice a peer that vanished without closing the connection.
        let keys = ["dbname", "connect_timeout", "application_name", "options",
                    "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"]
        let values = [conninfo, String(connectTimeoutSeconds), applicationName,
                      "-c TimeZone=UTC -c DateStyle=ISO -c client_min_messages=warning -c statement_timeout=15s " +
                          "-c lock_timeout=5s -c idle_in_transaction_session_timeout=30s",
                      "1", "10", "5", "3", "20000"]
        let ckeys = keys.map { strdup($0) }
        let cvalues = values.map { strdup($0) }
        defer { ckeys.forEach { free($0) }; cvalues.forEach { free($0) } }
        var k: [UnsafePointer<CChar>?] = ckeys.map { UnsafePointer($0) } + [nil]
        var v: [UnsafePointer<CChar>?] = cvalues.map { UnsafePointer($0) } + [nil]
        // expand_dbname = 1: `dbname` may be a full URI or key=value string; later keys fill what it leaves open.
        conn = PQconnectdbParams(&k, &v, 1)
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            if let conn { PQfinish(conn) }
            self.conn = nil
            throw PostgresError.connectionFailed(message.trimmingNewlines)
        }
        // Non-blocking sends: a full socket buffer towards a frozen server must not block the thread either.
        PQsetnonblocking(conn, 1)
    }

    deinit {
        if let conn { PQfinish(conn) }
    }

    /// Whether a server accepts connections at `conninfo` (PQping: true even when it would refuse the login, false
    /// while it starts up, shuts down or cannot be reached).
    public static func ping(conninfo: String) -> Bool {
        PQping(conninfo) == PQPING_OK
    }

    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
        isBroken = true
    }

    /// The backend's process id (tells our own notifications apart from other processes').
    public var backendPID: Int32 { conn.map { PQbackendPID($0) } ?? 0 }

    /// The socket, for waiting on notifications with poll().
    public var socket: Int32 { conn.map { PQsocket($0) } ?? -1 }

    /// Runs one statement with bound parameters (extended protocol, prepared once per connection).
    @discardableResult
    public func query(_ query: Query) throws -> Rows {
        guard let conn, !isBroken else { throw PostgresError.connectionFailed("connection is closed") }
        let name: String
        if let existing = prepared[query.sql.text] {
            name = existing
        } else {
            name = "s\(prepared.count + 1)"
            let result = try awaitResult(sent: PQsendPrepare(conn, name, query.sql.text, 0, nil))
            defer { PQclear(result) }
            try check(result)
            prepared[query.sql.text] = name
        }
        let params = query.parameters
        var lengths = [Int32](repeating: 0, count: params.count)
        var formats = [Int32](repeating: 0, count: params.count)
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        buffers.reserveCapacity(params.count)
        defer { buffers.forEach { free($0) } }
        for (i, p) in params.enumerated() {
            switch p {
            case .null:
                buffers.append(nil)
            case .text(let s):
                buffers.append(strdup(s))
            case .bytes(let b):
                let buf = malloc(max(b.count, 1))!.assumingMemoryBound(to: CChar.self)
                b.withUnsafeBytes { raw in
                    if let base = raw.baseAddress { UnsafeMutableRawPointer(buf).copyMemory(from: base, byteCount: b.count) }
                }
                buffers.append(buf)
                lengths[i] = Int32(b.count)
                formats[i] = 1
            }
        }
        let sent: Int32 = buffers.withUnsafeBufferPointer { bufs in
            bufs.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(params.count, 1)) { values in
                PQsendQueryPrepared(conn, name, Int32(params.count), params.isEmpty ? nil : values, lengths, formats, 0)
            }
        }
        let result = try awaitResult(sent: sent)
        defer { PQclear(result) }
        try check(result)
        return Rows(result!)
    }

    /// Runs SQL text with no parameters, possibly several statements (migrations, LISTEN, BEGIN/COMMIT).
    @discardableResult
    public func execute(_ sql: SQL) throws -> Rows {
        guard let conn, !isBroken else { throw PostgresError.connectionFailed("connection is closed") }
        let result = try awaitResult(sent: PQsendQuery(conn, sql.text))
        defer { PQclear(result) }
        try check(result)
        return Rows(result!)
    }

    /// Runs `body` in a transaction; commits if it returns, rolls back if it throws. Serialization failures and
    /// deadlocks are retried (up to `attempts`), as PostgreSQL recommends for them.
    public func transaction<T>(isolation: String = "READ COMMITTED", attempts: Int = 5, _ body: (Connection) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            try execute(SQL(unsafeUnchecked: "BEGIN ISOLATION LEVEL \(isolation == "SERIALIZABLE" ? "SERIALIZABLE" : isolation == "REPEATABLE READ" ? "REPEATABLE READ" : "READ COMMITTED")"))
            do {
                let value = try body(self)
                try execute("COMMIT")
                return value
            } catch let error as PostgresError {
                if !isBroken { _ = try? execute("ROLLBACK") }
                if error.isRetryable && attempt < attempts {
                    usleep(UInt32(1000 * attempt * attempt))
                    continue
                }
                throw error
            } catch {
                if !isBroken { _ = try? execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// Notifications that arrived, after `consumeInput()`.
    public func notifications() -> [Notification] {
        guard let conn else { return [] }
        var out: [Notification] = []
        while let n = PQnotifies(conn) {
            out.append(Notification(channel: String(cString: n.pointee.relname), payload: String(cString: n.pointee.extra),
                                    backendPID: n.pointee.be_pid))
            PQfreemem(n)
        }
        return out
    }

    /// Reads what the server sent (notifications) without blocking.
    public func consumeInput() throws {
        guard let conn else { throw PostgresError.connectionFailed("connection is closed") }
        if PQconsumeInput(conn) == 0 {
            isBroken = true
            throw PostgresError.connectionFailed(String(cString: PQerrorMessage(conn)).trimmingNewlines)
        }
    }

    /// Waits for the answer to a statement just sent (`sent` is the PQsend… return value) until the deadline.
    /// Returns what PQexec would: the first error result, else the last result (nil when the connection failed).
    private func awaitResult(sent: Int32) throws -> OpaquePointer? {
        guard let conn else { throw PostgresError.connectionFailed("connection is closed") }
        guard sent == 1 else { return nil }
        let deadline = queryTimeoutSeconds.map { monotonicNanoseconds() + UInt64(max(0, $0) * 1e9) }
        // Flush what libpq could not write yet (0 = done, 1 = more to write, -1 = failed).
        while true {
            let flushed = PQflush(conn)
            if flushed == 0 { break }
            if flushed < 0 { isBroken = true; return nil }
            try waitForSocket(events: Int16(POLLIN | POLLOUT), deadline: deadline)
            if PQconsumeInput(conn) == 0 { isBroken = true; return nil }
        }
        var kept: OpaquePointer?
        while true {
            while PQisBusy(conn) == 1 {
                try waitForSocket(events: Int16(POLLIN), deadline: deadline)
                if PQconsumeInput(conn) == 0 {
                    if let kept { PQclear(kept) }
                    isBroken = true
                    return nil
                }
            }
            guard let result = PQgetResult(conn) else { break }
            let status = PQresultStatus(result)
            if let k = kept, PQresultStatus(k) == PGRES_FATAL_ERROR {
                PQclear(result)  // after an error the rest is only drained, as PQexec does
                continue
            }
            if let kept { PQclear(kept) }
            kept = result
            // Loket sends no COPY; PQgetResult would return such a result forever.
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH { break }
        }
        return kept
    }

    /// poll() on the connection's socket until it is ready or the deadline passes. On the deadline the statement
    /// is cancelled and the connection closed, because the protocol state is no longer known.
    private func waitForSocket(events: Int16, deadline: UInt64?) throws {
        guard let conn else { throw PostgresError.connectionFailed("connection is closed") }
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let now = monotonicNanoseconds()
                guard now < deadline else { break }
                timeout = Int32(min(UInt64(Int32.max), (deadline - now + 999_999) / 1_000_000))
            }
            var fd = pollfd(fd: PQsocket(conn), events: events, revents: 0)
            let n = poll(&fd, 1, timeout)
            if n > 0 { return }
            if n < 0 && errno != EINTR {
                isBroken = true
                throw PostgresError.connectionFailed("poll on the database socket failed: \(String(cString: strerror(errno)))")
            }
        }
        let seconds = queryTimeoutSeconds ?? 0
        abandon()
        throw PostgresError.timedOut("the database did not answer within \(seconds) s")
    }

    /// Cancel requests still waiting for a postmaster's answer, process-wide.
    private static let cancelsInFlight = LockedValue(0)
    /// More than this many waiting means the server is frozen: further cancels would only pile up threads, and the
    /// server's own `statement_timeout` ends those statements once it runs again.
    private static let maxCancelsInFlight = 4

    /// Gives up on the statement in flight: asks the server to cancel it (on a thread of its own, because
    /// PQcancel blocks until the server's postmaster answers, and a frozen one does not) and closes the connection.
    private func abandon() {
        let admitted = Self.cancelsInFlight.withValue { n -> Bool in
            guard n < Self.maxCancelsInFlight else { return false }
            n += 1
            return true
        }
        if admitted, let conn, let cancel = PQgetCancel(conn) {
            let request = CancelRequest(cancel)
            startThread(name: "loket-pq-cancel") {
                var buffer = [CChar](repeating: 0, count: 256)
                _ = PQcancel(request.pointer, &buffer, Int32(buffer.count))
                PQfreeCancel(request.pointer)
                Connection.cancelsInFlight.withValue { $0 -= 1 }
            }
        } else if admitted {
            Self.cancelsInFlight.withValue { $0 -= 1 }
        }
        close()
    }

    private func check(_ result: OpaquePointer?) throws {
        guard let result else {
            if PQstatus(conn) != CONNECTION_OK { isBroken = true }
            throw PostgresError.connectionFailed(conn.map { String(cString: PQerrorMessage($0)).trimmingNewlines } ?? "no connection")
        }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY { return }
        func field(_ code: Character) -> String? {
            guard let p = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: p)
        }
        if PQstatus(conn) != CONNECTION_OK {
            isBroken = true
            throw PostgresError.connectionFailed(String(cString: PQerrorMessage(conn)).trimmingNewlines)
        }
        let state = field("C") ?? "XX000"
        let error = PostgresError.server(sqlState: state, message: field("M") ?? "unknown error",
                                         detail: field("D"), constraint: field("n"), column: field("c"), table: field("t"))
        if error.isUnavailable { isBroken = true }
        throw error
    }
}

/// A PGcancel handed to the thread that sends it; it is used by that thread only.
private final class CancelRequest: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

/// A message delivered by LISTEN/NOTIFY.
public struct Notification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    public let backendPID: Int32
}

extension Rows {
    init(_ result: OpaquePointer) {
        let nFields = Int(PQnfields(result))
        let nRows = Int(PQntuples(result))
        var columns: [String] = []
        columns.reserveCapacity(nFields)
        for c in 0..<nFields { columns.append(String(cString: PQfname(result, Int32(c)))) }
        var values: [[String?]] = []
        values.reserveCapacity(nRows)
        for r in 0..<nRows {
            var row: [String?] = []
            row.reserveCapacity(nFields)
            for c in 0..<nFields {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    row.append(nil)
                } else {
                    row.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
            values.append(row)
        }
        let tuples = String(cString: PQcmdTuples(result))
        self.init(columns: columns, values: values, affected: Int(tuples) ?? 0)
    }
}

extension String {
    var trimmingNewlines: String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == " " { s = s.dropLast() }
        return String(s)
    }
}
