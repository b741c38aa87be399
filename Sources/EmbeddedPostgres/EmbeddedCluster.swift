import Foundation
import Logging
import Postgres

#if canImport(Glibc)
import Glibc
#endif

/// An error of the embedded PostgreSQL cluster, with a message meant for a human (it names the log file or the
/// command that failed and the tail of its output).
public struct EmbeddedClusterError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// A private PostgreSQL cluster that `loket` creates, starts and stops itself when no database is configured.
///
/// Layout: the cluster (PGDATA) lives in `<dataDirectory>/postgres`, its server log in
/// `<dataDirectory>/postgres/postgres.log`, and its unix socket in the cluster folder when the socket path is short
/// enough (< 100 bytes), else in a private `/tmp/loket-<hash>` folder. The server listens on no TCP address unless
/// `listenOnTCP` is set (then on `127.0.0.1:<port>` only).
///
/// Authentication: `trust` on the unix socket only (the socket folder is private to the server's user: mode 0700),
/// `scram-sha-256` on TCP. The superuser is `postgres`; no password is set, so TCP logins are refused until one is
/// set with `ALTER ROLE`.
///
/// Root: PostgreSQL refuses to run as root. When the process runs as root, `initdb`, `pg_ctl` and the server run as
/// the `postgres` account (via `runuser -u postgres --`) and the cluster folder is owned by it. If that account
/// cannot traverse every parent of the data folder (for example a checkout under `/root`, which is 0700), no
/// permissions are changed: the cluster is created in `/var/lib/loket/<hash of the data folder path>/postgres`
/// instead, and a log line says so.
///
/// Crash recovery, decided at `start()`:
/// - a server still running on this cluster (left by a `loket` that was killed) is *reused* when it answers and
///   has the wanted port, socket folder and TCP setting; otherwise it is stopped (`pg_ctl stop -m fast`) and
///   started again with the wanted settings;
/// - a `postmaster.pid` naming a dead process (or a zombie, or a process that is not this cluster's server) is
///   removed, orphaned server children of a killed postmaster are given 10 s to exit (then SIGQUIT, then SIGKILL, by PID),
///   and a stale socket lock file is removed; if `pg_ctl start` still fails because of a leftover shared memory
///   block or lock file, this cleanup runs once more and the start is retried once. The server then performs its
///   normal crash recovery from the WAL (`fsync` stays on).
///
/// Thread safety: every public member takes one lock; concurrent `start()`/`stop()` from several processes on the
/// same data folder are serialised with an advisory `flock` on `postgres.lock` next to the cluster folder.
public final class EmbeddedCluster: @unchecked Sendable {
    /// The data folder as given (`LOKET_DATA`).
    public let dataDirectory: String
    /// The server port (also part of the unix socket file name).
    public let port: Int
    /// Whether the server also listens on `127.0.0.1:<port>`.
    public let listenOnTCP: Bool
    /// How long `start()` waits for the server to accept connections.
    public let startTimeout: TimeInterval

    let logger: Logger
    let lock = NSLock()
    var cachedLayout: Layout?
    /// The postmaster this instance started or adopted (for log wording only).
    var knownPID: pid_t?

    /// - Parameters:
    ///   - dataDirectory: the `LOKET_DATA` folder (relative paths are resolved against the current directory);
    ///     the cluster lives in `<dataDirectory>/postgres` and its unix socket in a short socket folder.
    ///   - logger: receives one line per lifecycle step (create, start, reuse, recover, stop).
    ///   - port: the server port; with `listenOnTCP == false` it only names the socket file, so it does not
    ///     conflict with another server on the same port.
    ///   - listenOnTCP: also listen on `127.0.0.1:<port>` (password authentication there).
    ///   - startTimeout: how long `start()` waits for the server to accept connections (default 30 s).
    public init(
        dataDirectory: String, logger: Logger, port: Int = 5432, listenOnTCP: Bool = false,
        startTimeout: TimeInterval = 30
    ) {
        self.dataDirectory = dataDirectory
        self.logger = logger
        self.port = port
        self.listenOnTCP = listenOnTCP
        self.startTimeout = startTimeout
    }

    // MARK: - Public API

    /// Creates the cluster if missing (`initdb`, UTF-8, locale `C.UTF-8` or `C`, trust on the unix socket only,
    /// plus a database named `loket`), recovers a stale one, starts it (or reuses a server already running on it),
    /// waits until it accepts connections, and returns a libpq connection URI for the database `loket`, e.g.
    /// `postgresql:///loket?host=/srv/app/.loket/postgres&port=5432&user=postgres`.
    ///
    /// Calling it again while the server runs just returns the URI; calling it after `stop()` starts it again.
    public func start() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        return try startLocked()
    }

    /// Stops the server with `pg_ctl stop -m fast` and waits until it is gone (escalating to `-m immediate` if a
    /// fast shutdown does not finish). Does nothing when the server is not running.
    public func stop() throws {
        lock.lock()
        defer { lock.unlock() }
        // No layout (e.g. root without a postgres account) means no cluster could have been started.
        guard let layout = try? resolvedLayout(),
            FileManager.default.fileExists(atPath: layout.pgdata + "/PG_VERSION")
        else { return }
        let fileLock = try FileLock(path: layout.lockFile)
        defer { fileLock.unlock() }
        guard let postmaster = runningPostmaster(layout) else {
            logger.debug("embedded PostgreSQL is not running", metadata: ["pgdata": "\(layout.pgdata)"])
            return
        }
        let binDir = try findBinDir(majorVersion: clusterMajorVersion(layout))
        try stopServer(layout, binDir: binDir, pid: postmaster.pid)
    }


    // MARK: - Start

    private func startLocked() throws -> String {
        let layout = try resolvedLayout()
        if layout.relocated {
            logger.notice(
                """
                The 'postgres' account cannot reach \(layout.dataDirectory) (a parent folder is private), so the \
                embedded PostgreSQL cluster lives in \(layout.pgdata) instead (to start afresh, delete it too).
                """)
        }
        try prepareFolders(layout)
        let fileLock = try FileLock(path: layout.lockFile)
        defer { fileLock.unlock() }

        try checkOwnership(layout)
        let clusterExists = FileManager.default.fileExists(atPath: layout.pgdata + "/PG_VERSION")
        let binDir = try findBinDir(majorVersion: clusterExists ? clusterMajorVersion(layout) : nil)
        if !clusterExists {
            try createCluster(layout, binDir: binDir)
        }
        try writeConfiguration(layout)
        try prepareSocketDirectory(layout)

        if let postmaster = runningPostmaster(layout) {
            if postmaster.port == port && postmaster.socketDirectory == layout.socketDirectory
                && postmaster.listensOnTCP == listenOnTCP
            {
                if knownPID != postmaster.pid {
                    logger.info(
                        "Reusing the embedded PostgreSQL already running on this cluster (left by an earlier run)",
                        metadata: ["pid": "\(postmaster.pid)", "pgdata": "\(layout.pgdata)"])
                }
                if try waitUntilReady(layout, pid: postmaster.pid, timeout: startTimeout) {
                    knownPID = postmaster.pid
                    try ensureDatabase(layout)
                    return uri(database: "loket", socketDirectory: layout.socketDirectory)
                }
                logger.notice("The running PostgreSQL went away while waiting for it; starting it again.")
            } else {
                logger.notice(
                    "An embedded PostgreSQL runs on this cluster with other settings; restarting it",
                    metadata: ["pid": "\(postmaster.pid)"])
                try stopServer(layout, binDir: binDir, pid: postmaster.pid)
            }
        }

        cleanUpAfterCrash(layout, orphanGrace: 10)
        rotateLog(layout)
        logger.info(
            "Starting embedded PostgreSQL",
            metadata: [
                "pgdata": "\(layout.pgdata)", "socket": "\(layout.socketDirectory)", "port": "\(port)",
                "log": "\(layout.logFile)",
            ])
        var logStart = Self.fileSize(layout.logFile)
        var result = try pgCtlStart(layout, binDir: binDir)
        if result.status != 0, runningPostmaster(layout) == nil,
            Self.looksLikeStaleLock(logTail(layout, from: logStart))
        {
            logger.notice("PostgreSQL found leftovers of a crashed server (lock file or shared memory); retrying once")
            cleanUpAfterCrash(layout, orphanGrace: 10)
            logStart = Self.fileSize(layout.logFile)
            result = try pgCtlStart(layout, binDir: binDir)
        }
        if result.status != 0 {
            if let postmaster = runningPostmaster(layout) {
                throw EmbeddedClusterError(
                    "PostgreSQL (pid \(postmaster.pid)) did not accept connections within \(Int(startTimeout)) s; "
                        + "it is still starting (perhaps recovering after a crash) and was left running, so the next "
                        + "start will reuse it. See \(layout.logFile).\n" + logTail(layout, from: logStart))
            }
            throw EmbeddedClusterError(
                "PostgreSQL did not start. See \(layout.logFile).\n" + Self.tail(result.output) + "\n"
                    + logTail(layout, from: logStart))
        }
        guard let postmaster = runningPostmaster(layout),
            try waitUntilReady(layout, pid: postmaster.pid, timeout: startTimeout)
        else {
            throw EmbeddedClusterError(
                "PostgreSQL started but stopped accepting connections. See \(layout.logFile).\n" + logTail(layout))
        }
        try ensureDatabase(layout)
        knownPID = postmaster.pid
        logger.info("Embedded PostgreSQL is ready", metadata: ["pid": "\(postmaster.pid)"])
        return uri(database: "loket", socketDirectory: layout.socketDirectory)
    }

    private func pgCtlStart(_ layout: Layout, binDir: String) throws -> CommandResult {
        // Runtime settings on the command line so that ALTER SYSTEM cannot move the socket away from the URI.
        // pg_ctl passes -o through /bin/sh; the socket folder contains no quote (checked in computeLayout).
        let options =
            "-p \(port) -k '\(layout.socketDirectory)' -c listen_addresses='\(listenOnTCP ? "127.0.0.1" : "")'"
        return try run(
            binDir + "/pg_ctl",
            [
                "start", "-D", layout.pgdata, "-l", layout.logFile, "-w", "-t", "\(max(1, Int(startTimeout.rounded(.up))))",
                "-o", options,
            ], layout: layout)
    }

    /// Pings until the server answers; false if the postmaster exits first.
    private func waitUntilReady(_ layout: Layout, pid: pid_t, timeout: TimeInterval) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if ping(socketDirectory: layout.socketDirectory) { return true }
            if !Self.isAlive(pid) { return false }
            if Date() >= deadline {
                throw EmbeddedClusterError(
                    "PostgreSQL (pid \(pid)) did not accept connections within \(Int(timeout)) s. See "
                        + "\(layout.logFile).\n" + logTail(layout))
            }
            usleep(100_000)
        }
    }

    private func ping(socketDirectory: String) -> Bool {
        Connection.ping(conninfo: uri(database: "postgres", socketDirectory: socketDirectory) + "&connect_timeout=2")
    }

    // MARK: - Stop

    private func stopServer(_ layout: Layout, binDir: String, pid: pid_t) throws {
        logger.info("Stopping embedded PostgreSQL", metadata: ["pid": "\(pid)"])
        var result = try run(
            binDir + "/pg_ctl", ["stop", "-D", layout.pgdata, "-m", "fast", "-w", "-t", "120"], layout: layout)
        if result.status != 0 && Self.isAlive(pid) {
            logger.warning(
                "Fast shutdown of PostgreSQL failed; using immediate shutdown (crash recovery on next start)",
                metadata: ["output": "\(Self.tail(result.output))"])
            result = try run(
                binDir + "/pg_ctl", ["stop", "-D", layout.pgdata, "-m", "immediate", "-w", "-t", "30"],
                layout: layout)
        }
        // pg_ctl returns once postmaster.pid is gone; the process itself exits right after.
        let deadline = Date().addingTimeInterval(10)
        while Self.isAlive(pid) && Date() < deadline { usleep(20_000) }
        if Self.isAlive(pid) {
            throw EmbeddedClusterError(
                "PostgreSQL (pid \(pid)) did not stop. See \(layout.logFile).\n" + Self.tail(result.output))
        }
        logger.info("Embedded PostgreSQL stopped")
    }
}
