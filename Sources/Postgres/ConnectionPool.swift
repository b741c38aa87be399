import Glibc
import Locking

/// A bounded pool of connections, made lazily. A broken connection is dropped instead of returned, and the next
/// checkout dials again — that is how the service recovers by itself when the database comes back.
public final class ConnectionPool: @unchecked Sendable {
    public let conninfo: String
    public let maxConnections: Int
    private let checkoutTimeout: Double
    private let queryTimeout: Double
    private let mutex = Mutex()
    private var idle: [Connection] = []
    private var inUse = 0
    private var dialing = 0
    private var databaseErrors = 0

    /// - Parameters:
    ///   - checkoutTimeoutSeconds: how long a caller waits for a free connection while all are in use (dialing a new
    ///     one is bounded by libpq's `connect_timeout`, 3 s).
    ///   - queryTimeoutSeconds: how long one statement may wait for the server's answer, client-side.
    public init(conninfo: String, maxConnections: Int, checkoutTimeoutSeconds: Double = 5,
                queryTimeoutSeconds: Double = Connection.defaultQueryTimeoutSeconds) {
        self.conninfo = conninfo
        self.maxConnections = max(1, maxConnections)
        self.checkoutTimeout = checkoutTimeoutSeconds
        self.queryTimeout = queryTimeoutSeconds
    }

    /// Lends a connection to `body`. Throws `.poolTimeout` if none is free in time, `.connectionFailed` if the
    /// database cannot be reached, `.timedOut` if a statement got no answer in time.
    ///
    /// `timeoutSeconds` shortens every wait for this use — for a free connection, for dialing, and for each
    /// statement — e.g. so a readiness check answers within seconds while the database is frozen.
    public func withConnection<T>(timeoutSeconds: Double? = nil, _ body: (Connection) throws -> T) throws -> T {
        let connection = try checkout(timeoutSeconds: timeoutSeconds.map { min($0, checkoutTimeout) } ?? checkoutTimeout,
                                      connectTimeoutSeconds: timeoutSeconds.map { Int($0.rounded(.up)) } ?? 3)
        connection.queryTimeoutSeconds = timeoutSeconds.map { min($0, queryTimeout) } ?? queryTimeout
        do {
            let value = try body(connection)
            checkin(connection)
            return value
        } catch {
            if let e = error as? PostgresError, e.isUnavailable || e.sqlState == nil {
                noteError()
            }
            checkin(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection (retrying serialization failures and deadlocks).
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try withConnection { try $0.transaction(body) }
    }

    /// Shorthand for one statement.
    @discardableResult
    public func query(_ q: Query) throws -> Rows {
        try withConnection { try $0.query(q) }
    }

    public struct Statistics: Sendable {
        public let inUse: Int
        public let idle: Int
        public let databaseErrors: Int
    }

    public var statistics: Statistics {
        mutex.withLock { Statistics(inUse: inUse, idle: idle.count, databaseErrors: databaseErrors) }
    }

    /// Closes idle connections (at shutdown, or in tests after the database restarted).
    public func closeIdle() {
        let closing: [Connection] = mutex.withLock {
            let c = idle
            idle = []
            return c
        }
        closing.forEach { $0.close() }
    }

    private func noteError() {
        mutex.withLock { databaseErrors += 1 }
    }

    private func checkout(timeoutSeconds: Double, connectTimeoutSeconds: Int) throws -> Connection {
        let deadline = monotonicNanoseconds() + UInt64(timeoutSeconds * 1e9)
        mutex.lock()
        while true {
            if let c = idle.popLast() {
                inUse += 1
                mutex.unlock()
                return c
            }
            if inUse + dialing < maxConnections {
                dialing += 1
                mutex.unlock()
                do {
                    let c = try Connection(conninfo: conninfo, connectTimeoutSeconds: connectTimeoutSeconds,
                                               queryTimeoutSeconds: queryTimeout)
                    mutex.withLock {
                        dialing -= 1
                        inUse += 1
                    }
                    return c
                } catch {
                    mutex.withLock {
                        dialing -= 1
                        databaseErrors += 1
                        mutex.signal()
                    }
                    throw error
                }
            }
            let now = monotonicNanoseconds()
            if now >= deadline || !mutex.wait(timeoutSeconds: Double(deadline - now) / 1e9) && monotonicNanoseconds() >= deadline {
                mutex.unlock()
                throw PostgresError.poolTimeout
            }
        }
    }

    private func checkin(_ connection: Connection) {
        mutex.withLock {
            inUse -= 1
            if !connection.isBroken { idle.append(connection) }
            mutex.signal()
        }
    }
}
