import Glibc
import Locking
import Logging

/// A dedicated connection that LISTENs on channels and wakes a callback on every notification, on a local
/// `wake()`, and at least every `interval` seconds. It reconnects by itself (with back-off) when the connection
/// breaks, and calls the callback with `reconnected: true` after, so the callback can catch up on anything it
/// missed meanwhile (Loket reads events from a table, so nothing is lost).
/// A frozen or vanished server cannot hold it forever: connecting is bounded by `connect_timeout`, every statement
/// (LISTEN, the callback's reads) by the connection's client-side deadline, and a broken connection is redialled.
public final class Listener: @unchecked Sendable {
    public struct Wake: Sendable {
        /// Notifications from other sessions (our own NOTIFYs are filtered out).
        public let notifications: [Notification]
        /// `wake()` was called in this process since the last callback.
        public let local: Bool
        /// The connection was (re)established just before this callback.
        public let reconnected: Bool
    }

    public typealias Callback = @Sendable (Connection, Wake) throws -> Void

    private let conninfo: String
    private let channels: [String]
    private let interval: Double
    private let logger: Logger
    private let callback: Callback
    /// A self-pipe: `wake()` writes a byte, the listening thread polls the read end beside the socket.
    private let wakeFD: Int32
    private let wakeWriteFD: Int32
    private let state = ListenerState()

    public init(conninfo: String, channels: [String], interval: Double = 1.0, logger: Logger, callback: @escaping Callback) {
        self.conninfo = conninfo
        self.channels = channels
        self.interval = interval
        self.logger = logger
        self.callback = callback
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        wakeFD = fds[0]
        wakeWriteFD = fds[1]
    }

    deinit {
        close(wakeFD)
        close(wakeWriteFD)
    }

    /// Starts the listening thread.
    public func start() {
        startThread(name: "loket-listener") { [self] in run() }
    }

    /// Stops the thread (it exits within one interval).
    public func stop() {
        state.stopping.set(true)
        wake()
    }

    /// Wakes the callback soon, from any thread. Cheap: one byte into a pipe (dropped if the pipe is full, which
    /// means a wake-up is already pending).
    public func wake() {
        state.localWake.set(true)
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
    }

    /// Whether the listening connection is currently up (for /readyz and metrics).
    public var isConnected: Bool { state.connected.get() }

    private func run() {
        var backoff = 0.1
        while !state.stopping.get() {
            let connection: Connection
            do {
                connection = try Connection(conninfo: conninfo, applicationName: "loket-listener")
                for channel in channels {
                    try connection.execute(SQL(unsafeUnchecked: "LISTEN \"\(channel.replacingQuotes)\""))
                }
            } catch {
                state.connected.set(false)
                logger.warning("listener cannot connect, retrying in \(backoff)s: \(error)")
                sleepInterruptibly(seconds: backoff)
                backoff = min(backoff * 2, 5)
                continue
            }
            backoff = 0.1
            state.connected.set(true)
            var reconnected = true
            let ownPID = connection.backendPID
            while !state.stopping.get() {
                do {
                    try connection.consumeInput()
                    let notes = connection.notifications().filter { $0.backendPID != ownPID }
                    let local = state.localWake.withValue { v -> Bool in let was = v; v = false; return was }
                    try callback(connection, Wake(notifications: notes, local: local, reconnected: reconnected))
                    reconnected = false
                    if connection.isBroken { break }
                    waitForActivity(socket: connection.socket)
                } catch {
                    logger.warning("listener error: \(error)")
                    if connection.isBroken { break }
                    sleepInterruptibly(seconds: 0.2)
                }
            }
            state.connected.set(false)
            connection.close()
        }
    }

    private func waitForActivity(socket: Int32) {
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 2, Int32(interval * 1000))
        if fds[1].revents != 0 {
            var drain = [UInt8](repeating: 0, count: 256)
            while read(wakeFD, &drain, 256) > 0 {}
        }
    }

    private func sleepInterruptibly(seconds: Double) {
        var fds = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, Int32(seconds * 1000))
    }
}

final class ListenerState: Sendable {
    let stopping = LockedValue(false)
    let localWake = LockedValue(false)
    let connected = LockedValue(false)
}

extension String {
    var replacingQuotes: String { String(self.filter { $0 != "\"" }) }
}
