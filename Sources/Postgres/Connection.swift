import CLibPQ
import Glibc

/// One libpq connection. Not shared between threads: the pool hands it to one user at a time.
///
/// This is the single place where libpq is called; every C status becomes a `PostgresError` here.
/// Statements are prepared on first use and then executed by name (saves parsing and planning on hot paths);
/// the cache belongs to the connection, so a reconnect (a new `Connection`) prepares them again.
public final class Connection: @unchecked Sendable {
    private var conn: OpaquePointer?
    private var prepared: [String: String] = [:]
    public let conninfo: String
    /// Set when the connection saw a connection-level failure; the pool then discards it.
    public private(set) var isBroken = false

    /// Connects, with a short timeout so an unreachable database turns into a quick 503.
    public init(conninfo: String, connectTimeoutSeconds: Int = 3, applicationName: String = "loket") throws {
        self.conninfo = conninfo
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
    }

    deinit {
        if let conn { PQfinish(conn) }
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
            let result = PQprepare(conn, name, query.sql.text, 0, nil)
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
        let result: OpaquePointer? = buffers.withUnsafeBufferPointer { bufs in
            bufs.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(params.count, 1)) { values in
                PQexecPrepared(conn, name, Int32(params.count), params.isEmpty ? nil : values, lengths, formats, 0)
            }
        }
        defer { PQclear(result) }
        try check(result)
        return Rows(result!)
    }

    /// Runs SQL text with no parameters, possibly several statements (migrations, LISTEN, BEGIN/COMMIT).
    @discardableResult
    public func execute(_ sql: SQL) throws -> Rows {
        guard let conn, !isBroken else { throw PostgresError.connectionFailed("connection is closed") }
        let result = PQexec(conn, sql.text)
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

    private func check(_ result: OpaquePointer?) throws {
        guard let result else {
            isBroken = PQstatus(conn) != CONNECTION_OK
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
                                         detail: field("D"), constraint: field("n"))
        if error.isUnavailable { isBroken = true }
        throw error
    }
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
