import Glibc

/// A bounded pool of connections, made lazily. A broken connection is dropped instead of returned, and the next
/// checkout dials again — that is how the service recovers by itself when the database comes back.
public final class ConnectionPool: @unchecked Sendable {
    public let conninfo: String
    public let maxConnections: Int
    private let checkoutTimeout: Double
    private var cond = pthread_cond_t()
    private var mutex = pthread_mutex_t()
    private var idle: [Connection] = []
    private var inUse = 0
    private var dialing = 0
    private var databaseErrors = 0

    public init(conninfo: String, maxConnections: Int, checkoutTimeoutSeconds: Double = 5) {
        self.conninfo = conninfo
        self.maxConnections = max(1, maxConnections)
        self.checkoutTimeout = checkoutTimeoutSeconds
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
    }

    /// Lends a connection to `body`. Throws `.poolTimeout` if none is free in time, `.connectionFailed` if the
    /// database cannot be reached.
    public func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let connection = try checkout()
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
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return Statistics(inUse: inUse, idle: idle.count, databaseErrors: databaseErrors)
    }

    /// Closes idle connections (at shutdown, or in tests after the database restarted).
    public func closeIdle() {
        pthread_mutex_lock(&mutex)
        let closing = idle
        idle = []
        pthread_mutex_unlock(&mutex)
        closing.forEach { $0.close() }
    }

    private func noteError() {
        pthread_mutex_lock(&mutex)
        databaseErrors += 1
        pthread_mutex_unlock(&mutex)
    }

    private func checkout() throws -> Connection {
        pthread_mutex_lock(&mutex)
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        deadline.tv_sec += Int(checkoutTimeout)
        while true {
            if let c = idle.popLast() {
                inUse += 1
                pthread_mutex_unlock(&mutex)
                return c
            }
            if inUse + dialing < maxConnections {
                dialing += 1
                pthread_mutex_unlock(&mutex)
                do {
                    let c = try Connection(conninfo: conninfo)
                    pthread_mutex_lock(&mutex)
                    dialing -= 1
                    inUse += 1
                    pthread_mutex_unlock(&mutex)
                    return c
                } catch {
                    pthread_mutex_lock(&mutex)
                    dialing -= 1
                    databaseErrors += 1
                    pthread_cond_signal(&cond)
                    pthread_mutex_unlock(&mutex)
                    throw error
                }
            }
            if pthread_cond_timedwait(&cond, &mutex, &deadline) == ETIMEDOUT {
                pthread_mutex_unlock(&mutex)
                throw PostgresError.poolTimeout
            }
        }
    }

    private func checkin(_ connection: Connection) {
        pthread_mutex_lock(&mutex)
        inUse -= 1
        if !connection.isBroken { idle.append(connection) }
        pthread_cond_signal(&cond)
        pthread_mutex_unlock(&mutex)
    }
}
