import CLibPQ
import Foundation
import Logging

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

    private let logger: Logger
    private let lock = NSLock()
    private var cachedLayout: Layout?
    /// The postmaster this instance started or adopted (for log wording only).
    private var knownPID: pid_t?

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

    /// Whether a server is running on this cluster and answers on its socket.
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let layout = try? resolvedLayout(), let postmaster = runningPostmaster(layout) else { return false }
        return ping(socketDirectory: postmaster.socketDirectory ?? layout.socketDirectory) == PQPING_OK
    }

    /// The libpq connection URI for the database `loket` (valid once `start()` has returned).
    public var connectionString: String {
        lock.lock()
        defer { lock.unlock() }
        guard let layout = try? resolvedLayout() else { return "postgresql:///loket?user=postgres&port=\(port)" }
        return uri(database: "loket", socketDirectory: layout.socketDirectory)
    }

    // MARK: - Layout

    private struct ServerUser {
        let name: String
        let uid: uid_t
        let gid: gid_t
    }

    private struct Layout {
        /// Canonical absolute data folder.
        let dataDirectory: String
        /// Folder holding the cluster folder (the data folder, or `/var/lib/loket/<hash>`).
        let clusterParent: String
        /// The cluster folder (PGDATA).
        let pgdata: String
        /// The unix socket folder.
        let socketDirectory: String
        /// Whether the socket folder is a private folder in /tmp that this class creates.
        let socketInTmp: Bool
        /// The account the server runs as when this process is root; nil: the current user.
        let serverUser: ServerUser?
        /// Whether the cluster lives outside the data folder because `postgres` cannot reach it.
        let relocated: Bool

        var logFile: String { pgdata + "/postgres.log" }
        var lockFile: String { clusterParent + "/postgres.lock" }
        var serverUID: uid_t { serverUser?.uid ?? geteuid() }
    }

    private static let relocationRoot = "/var/lib/loket"

    private func resolvedLayout() throws -> Layout {
        if let cachedLayout { return cachedLayout }
        let layout = try computeLayout()
        cachedLayout = layout
        return layout
    }

    private func computeLayout() throws -> Layout {
        guard port > 0, port < 65536 else { throw EmbeddedClusterError("Invalid PostgreSQL port \(port).") }
        let absolute = Self.canonicalPath(dataDirectory)
        let hash = Self.shortHash(absolute)
        var serverUser: ServerUser?
        var clusterParent = absolute
        var relocated = false
        if geteuid() == 0 {
            guard let user = Self.lookUpUser("postgres") else {
                throw EmbeddedClusterError(
                    "Running as root, but there is no 'postgres' account to run PostgreSQL as (PostgreSQL refuses to "
                        + "run as root). Install PostgreSQL (apt-get install postgresql), which creates it, or run "
                        + "loket as an unprivileged user.")
            }
            serverUser = user
            let inPlace = absolute + "/postgres"
            let relocatedParent = Self.relocationRoot + "/" + hash
            let inPlaceExists = FileManager.default.fileExists(atPath: inPlace + "/PG_VERSION")
            let relocatedExists = FileManager.default.fileExists(atPath: relocatedParent + "/postgres/PG_VERSION")
            if !Self.canTraverse(absolute, as: user) {
                if inPlaceExists {
                    throw EmbeddedClusterError(
                        "A PostgreSQL cluster exists in \(inPlace), but the 'postgres' account cannot reach it "
                            + "(a parent folder of \(absolute) is private). Run loket as the user that owns it, or "
                            + "move the data folder (LOKET_DATA) to a place other users can traverse.")
                }
                clusterParent = relocatedParent
                relocated = true
            } else if !inPlaceExists && relocatedExists {
                // Created earlier while the data folder was unreachable: keep using it rather than starting empty.
                clusterParent = relocatedParent
                relocated = true
            }
        }
        let pgdata = clusterParent + "/postgres"
        for character in ["\"", "$", "`", "\\", "\n", "'"] where pgdata.contains(character) {
            throw EmbeddedClusterError(
                "The PostgreSQL cluster path \(pgdata) contains \(character.debugDescription), which pg_ctl cannot "
                    + "quote. Choose another data folder (LOKET_DATA).")
        }
        // sun_path holds 107 bytes; keep well below. Paths with a comma would need list quoting: use /tmp then.
        let socketFile = "/.s.PGSQL.\(port)"
        let socketInTmp = (pgdata + socketFile).utf8.count >= 100 || pgdata.contains(",")
        let socketDirectory = socketInTmp ? "/tmp/loket-" + hash : pgdata
        return Layout(
            dataDirectory: absolute, clusterParent: clusterParent, pgdata: pgdata,
            socketDirectory: socketDirectory, socketInTmp: socketInTmp, serverUser: serverUser,
            relocated: relocated)
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

    /// Polls PQping until the server answers; false if the postmaster exits first.
    private func waitUntilReady(_ layout: Layout, pid: pid_t, timeout: TimeInterval) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if ping(socketDirectory: layout.socketDirectory) == PQPING_OK { return true }
            if !Self.isAlive(pid) { return false }
            if Date() >= deadline {
                throw EmbeddedClusterError(
                    "PostgreSQL (pid \(pid)) did not accept connections within \(Int(timeout)) s. See "
                        + "\(layout.logFile).\n" + logTail(layout))
            }
            usleep(100_000)
        }
    }

    private func ping(socketDirectory: String) -> PGPing {
        PQping(uri(database: "postgres", socketDirectory: socketDirectory) + "&connect_timeout=2")
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

    // MARK: - Creation and configuration

    /// Creates the data folder (if missing, 0755 so `postgres` can traverse it) and the cluster parent.
    private func prepareFolders(_ layout: Layout) throws {
        if layout.relocated {
            try Self.makeDirectories(Self.relocationRoot, mode: 0o755)
            try Self.makeDirectories(layout.clusterParent, mode: 0o755)
            // Pointers both ways, for whoever looks for the database (or deletes the data folder to start afresh:
            // the relocated cluster is then still reused; delete it too).
            try Self.makeDirectories(layout.dataDirectory, mode: 0o755)
            for (file, target) in [
                (layout.clusterParent + "/data-folder", layout.dataDirectory),
                (layout.dataDirectory + "/postgres.location", layout.pgdata),
            ] where !FileManager.default.fileExists(atPath: file) {
                try? (target + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            }
        } else {
            try Self.makeDirectories(layout.clusterParent, mode: 0o755)
        }
    }

    private func createCluster(_ layout: Layout, binDir: String) throws {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: layout.pgdata, isDirectory: &isDirectory) {
            let contents = (try? fileManager.contentsOfDirectory(atPath: layout.pgdata)) ?? ["?"]
            guard isDirectory.boolValue, contents.isEmpty else {
                throw EmbeddedClusterError(
                    "\(layout.pgdata) exists but is not a PostgreSQL cluster (no PG_VERSION). Move it away so a new "
                        + "cluster can be created there.")
            }
        }
        // initdb into a scratch folder renamed at the end, so a crash halfway leaves no half-made cluster.
        let scratch = layout.clusterParent + "/postgres.initdb"
        if fileManager.fileExists(atPath: scratch) { try fileManager.removeItem(atPath: scratch) }
        guard mkdir(scratch, 0o700) == 0 else {
            throw EmbeddedClusterError("Cannot create \(scratch): \(Self.errnoText())")
        }
        try chownToServer(scratch, layout: layout)

        let locale = Self.localeAvailable("C.UTF-8") ? "C.UTF-8" : "C"
        logger.info(
            "Creating embedded PostgreSQL cluster", metadata: ["pgdata": "\(layout.pgdata)", "locale": "\(locale)"])
        let result = try run(
            binDir + "/initdb",
            [
                "-D", scratch, "-U", "postgres", "-E", "UTF8", "--locale=\(locale)",
                "--auth-local=trust", "--auth-host=scram-sha-256",
            ], layout: layout)
        guard result.status == 0 else {
            try? fileManager.removeItem(atPath: scratch)
            throw EmbeddedClusterError("initdb failed (status \(result.status)):\n" + Self.tail(result.output))
        }
        if fileManager.fileExists(atPath: layout.pgdata) { rmdir(layout.pgdata) }
        guard rename(scratch, layout.pgdata) == 0 else {
            throw EmbeddedClusterError("Cannot rename \(scratch) to \(layout.pgdata): \(Self.errnoText())")
        }
    }

    /// Root: make sure an existing cluster belongs to `postgres` (chown -R when it does not). Otherwise: an
    /// existing cluster folder must be ours.
    private func checkOwnership(_ layout: Layout) throws {
        guard let owner = Self.ownerOf(layout.pgdata) else { return }
        if let user = layout.serverUser {
            guard let versionOwner = Self.ownerOf(layout.pgdata + "/PG_VERSION"),
                owner != user.uid || versionOwner != user.uid
            else { return }
            logger.notice("Giving the PostgreSQL cluster to the 'postgres' account", metadata: ["pgdata": "\(layout.pgdata)"])
            let result = try run("/bin/chown", ["-R", "\(user.uid):\(user.gid)", layout.pgdata], layout: nil)
            guard result.status == 0 else {
                throw EmbeddedClusterError("chown -R postgres \(layout.pgdata) failed:\n" + Self.tail(result.output))
            }
            chmod(layout.pgdata, 0o700)
        } else if owner != geteuid() {
            let name = getpwuid(owner).map { String(cString: $0.pointee.pw_name) } ?? "uid \(owner)"
            throw EmbeddedClusterError(
                "The PostgreSQL cluster \(layout.pgdata) belongs to \(name); run loket as root or as that user.")
        }
    }

    /// Static settings live in `loket.conf` (rewritten at every start, included from postgresql.conf, so
    /// `ALTER SYSTEM` can still override them); port, socket folder and listen address go on the command line.
    private func writeConfiguration(_ layout: Layout) throws {
        let configuration = """
            # Written by loket at every start: edit with ALTER SYSTEM (postgresql.auto.conf) instead.
            # Port, unix_socket_directories and listen_addresses are set on the pg_ctl command line.
            max_connections = 100
            shared_buffers = 128MB
            fsync = on
            synchronous_commit = on
            full_page_writes = on
            unix_socket_permissions = 0700
            logging_collector = off
            log_destination = 'stderr'
            log_line_prefix = '%m [%p] %q%u@%d '
            log_timezone = 'UTC'

            """
        let path = layout.pgdata + "/loket.conf"
        if (try? String(contentsOfFile: path, encoding: .utf8)) != configuration {
            try writeServerFile(path, configuration, layout: layout)
        }
        let mainPath = layout.pgdata + "/postgresql.conf"
        let main = (try? String(contentsOfFile: mainPath, encoding: .utf8)) ?? ""
        let include = "include_if_exists = 'loket.conf'"
        if !main.contains(include) {
            let separator = main.isEmpty || main.hasSuffix("\n") ? "" : "\n"
            try writeServerFile(mainPath, main + separator + "\n# Added by loket\n" + include + "\n", layout: layout)
        }
    }

    private func writeServerFile(_ path: String, _ contents: String, layout: Layout) throws {
        do {
            try contents.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw EmbeddedClusterError("Cannot write \(path): \(error)")
        }
        chmod(path, 0o600)
        try chownToServer(path, layout: layout)
    }

    /// The socket folder in /tmp must be a real folder owned by the server's account, mode 0700.
    private func prepareSocketDirectory(_ layout: Layout) throws {
        guard layout.socketInTmp else { return }
        let path = layout.socketDirectory
        if mkdir(path, 0o700) == 0 {
            try chownToServer(path, layout: layout)
            chmod(path, 0o700)
            return
        }
        guard errno == EEXIST else { throw EmbeddedClusterError("Cannot create \(path): \(Self.errnoText())") }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == layout.serverUID,
            (info.st_mode & 0o077) == 0
        else {
            throw EmbeddedClusterError(
                "The socket folder \(path) exists but is not a private folder (mode 0700) of the server's account. "
                    + "Remove it and start again.")
        }
    }

    private func chownToServer(_ path: String, layout: Layout) throws {
        guard let user = layout.serverUser else { return }
        guard chown(path, user.uid, user.gid) == 0 else {
            throw EmbeddedClusterError("Cannot give \(path) to postgres: \(Self.errnoText())")
        }
    }

    /// Keeps the server log from growing forever: past 10 MiB it becomes postgres.log.1 at the next start.
    private func rotateLog(_ layout: Layout) {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: layout.logFile))?[.size] as? NSNumber,
            size.intValue > 10 << 20
        else { return }
        _ = rename(layout.logFile, layout.logFile + ".1")
    }

    // MARK: - Database

    private func ensureDatabase(_ layout: Layout) throws {
        guard let connection = PQconnectdb(uri(database: "postgres", socketDirectory: layout.socketDirectory)) else {
            throw EmbeddedClusterError("libpq could not allocate a connection")
        }
        defer { PQfinish(connection) }
        guard PQstatus(connection) == CONNECTION_OK else {
            throw EmbeddedClusterError(
                "Cannot connect to the embedded PostgreSQL: " + String(cString: PQerrorMessage(connection)))
        }
        func query(_ sql: String) -> (ok: Bool, rows: Int, state: String, message: String) {
            let result = PQexec(connection, sql)
            defer { PQclear(result) }
            let status = PQresultStatus(result)
            let ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
            let value = ok && PQntuples(result) > 0 ? PQgetvalue(result, 0, 0).map { String(cString: $0) } : nil
            return (ok, Int(value ?? "") ?? 0, state, String(cString: PQerrorMessage(connection)))
        }
        let exists = query("SELECT count(*) FROM pg_database WHERE datname = 'loket'")
        guard exists.ok else { throw EmbeddedClusterError("Cannot list databases: \(exists.message)") }
        if exists.rows == 0 {
            let created = query("CREATE DATABASE loket")
            // 42P04 duplicate_database: another process created it meanwhile.
            guard created.ok || created.state == "42P04" else {
                throw EmbeddedClusterError("CREATE DATABASE loket failed: \(created.message)")
            }
            logger.info("Created database loket")
        }
        let extensions = query(
            "SELECT count(*) FROM pg_available_extensions WHERE name IN ('pgcrypto', 'btree_gist')")
        if !extensions.ok || extensions.rows < 2 {
            logger.warning(
                "The PostgreSQL extensions pgcrypto and btree_gist are not available: apt-get install postgresql-contrib")
        }
    }

    private func uri(database: String, socketDirectory: String) -> String {
        var allowed = CharacterSet()
        allowed.insert(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")
        let host = socketDirectory.addingPercentEncoding(withAllowedCharacters: allowed) ?? socketDirectory
        return "postgresql:///\(database)?host=\(host)&port=\(port)&user=postgres"
    }

    // MARK: - Running server and crash leftovers

    private struct Postmaster {
        let pid: pid_t
        let port: Int?
        let socketDirectory: String?
        let listensOnTCP: Bool
    }

    /// The server named by postmaster.pid, if that process is alive and is a postgres working in this cluster.
    private func runningPostmaster(_ layout: Layout) -> Postmaster? {
        guard let lines = Self.pidFileLines(layout.pgdata + "/postmaster.pid"),
            let pid = lines.first.flatMap({ pid_t($0) }).map({ abs($0) }),
            Self.isServerProcess(pid, pgdata: layout.pgdata)
        else { return nil }
        // Lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
        func line(_ index: Int) -> String? { index < lines.count ? lines[index] : nil }
        return Postmaster(
            pid: pid, port: line(3).flatMap { Int($0) }, socketDirectory: line(4),
            listensOnTCP: !(line(5) ?? "").isEmpty)
    }

    /// Removes what a killed server leaves behind; no-op for a healthy stopped cluster.
    private func cleanUpAfterCrash(_ layout: Layout, orphanGrace: TimeInterval) {
        let pidFile = layout.pgdata + "/postmaster.pid"
        if let lines = Self.pidFileLines(pidFile), let pid = lines.first.flatMap({ pid_t($0) }).map({ abs($0) }),
            !Self.isAlive(pid) || (Self.canInspect(pid) && !Self.isServerProcess(pid, pgdata: layout.pgdata))
        {
            logger.notice(
                "Removing the stale postmaster.pid of a PostgreSQL that is gone (crash?)", metadata: ["pid": "\(pid)"])
            unlink(pidFile)
        }
        // Children of a killed postmaster exit on their own once they notice; wait for them, then SIGQUIT by PID.
        var orphans = Self.serverProcesses(pgdata: layout.pgdata)
        if !orphans.isEmpty {
            logger.notice("Waiting for leftover PostgreSQL processes to exit", metadata: ["pids": "\(orphans)"])
            let deadline = Date().addingTimeInterval(orphanGrace)
            while !orphans.isEmpty && Date() < deadline {
                usleep(100_000)
                orphans = Self.serverProcesses(pgdata: layout.pgdata)
            }
            if !orphans.isEmpty {
                logger.warning("Sending SIGQUIT to leftover PostgreSQL processes", metadata: ["pids": "\(orphans)"])
                for pid in orphans { kill(pid, SIGQUIT) }
                let quitDeadline = Date().addingTimeInterval(5)
                while !Self.serverProcesses(pgdata: layout.pgdata).isEmpty && Date() < quitDeadline { usleep(100_000) }
                // Still there (stopped, or stuck in the kernel): they belong to a dead server, SIGKILL is safe.
                let stuck = Self.serverProcesses(pgdata: layout.pgdata)
                if !stuck.isEmpty { logger.warning("Sending SIGKILL to leftover PostgreSQL processes", metadata: ["pids": "\(stuck)"]) }
                for pid in stuck { kill(pid, SIGKILL) }
                let killDeadline = Date().addingTimeInterval(5)
                while !Self.serverProcesses(pgdata: layout.pgdata).isEmpty && Date() < killDeadline { usleep(100_000) }
            }
        }
        // Socket lock file of a server that is gone (postgres treats a live but unrelated PID there as a conflict).
        let socketLock = layout.socketDirectory + "/.s.PGSQL.\(port).lock"
        if let lines = Self.pidFileLines(socketLock), let pid = lines.first.flatMap({ pid_t($0) }).map({ abs($0) }),
            !Self.isAlive(pid) || (Self.canInspect(pid) && !Self.isPostgresBinary(pid))
        {
            logger.notice("Removing a stale PostgreSQL socket lock file", metadata: ["file": "\(socketLock)"])
            unlink(socketLock)
            unlink(layout.socketDirectory + "/.s.PGSQL.\(port)")
        }
    }

    /// `FATAL: pre-existing shared memory block (key …) is still in use` or
    /// `FATAL: lock file "…" already exists` (data folder or socket lock).
    private static func looksLikeStaleLock(_ log: String) -> Bool {
        log.contains("pre-existing shared memory block")
            || log.split(separator: "\n").contains { $0.contains("lock file") && $0.contains("already exists") }
    }

    /// The last lines of the server log, from byte `offset` (where this start began) when given.
    private func logTail(_ layout: Layout, from offset: UInt64? = nil) -> String {
        guard let handle = FileHandle(forReadingAtPath: layout.logFile) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        var start = size > 4096 ? size - 4096 : 0
        if let offset, offset <= size { start = max(start, offset) }
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        return Self.tail(String(decoding: data, as: UTF8.self))
    }

    private static func fileSize(_ path: String) -> UInt64 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_size) : 0
    }

    // MARK: - Binaries

    private func clusterMajorVersion(_ layout: Layout) -> String? {
        (try? String(contentsOfFile: layout.pgdata + "/PG_VERSION", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// /usr/lib/postgresql/<cluster's version or 15>/bin, then other /usr/lib/postgresql/*/bin (newest first),
    /// then `pg_config --bindir`, then PATH.
    private func findBinDir(majorVersion: String?) throws -> String {
        let fileManager = FileManager.default
        func usable(_ directory: String) -> Bool {
            ["postgres", "initdb", "pg_ctl"].allSatisfy { fileManager.isExecutableFile(atPath: directory + "/" + $0) }
        }
        func version(of directory: String) -> String? {
            if directory.hasPrefix("/usr/lib/postgresql/") {
                return directory.split(separator: "/").dropFirst(3).first.map(String.init)
            }
            guard let result = try? run(directory + "/pg_ctl", ["--version"], layout: nil), result.status == 0,
                let number = result.output.split(separator: " ").last
            else { return nil }
            return number.split(separator: ".").first.map(String.init)
        }
        let installed = ((try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted { (Double($0) ?? 0) > (Double($1) ?? 0) }
        var candidates = ([majorVersion ?? "15"] + installed).map { "/usr/lib/postgresql/\($0)/bin" }
        var seen = Set<String>()
        func firstMatch() -> String? {
            for directory in candidates where seen.insert(directory).inserted && usable(directory) {
                if let majorVersion, version(of: directory) != majorVersion { continue }
                return directory
            }
            return nil
        }
        if let found = firstMatch() { return found }
        // Not Debian's layout: ask pg_config, then look on PATH.
        for pgConfig in ["/usr/bin/pg_config", "/usr/local/bin/pg_config"]
        where fileManager.isExecutableFile(atPath: pgConfig) {
            if let result = try? run(pgConfig, ["--bindir"], layout: nil), result.status == 0 {
                candidates.append(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        candidates += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let found = firstMatch() { return found }
        if let majorVersion, candidates.contains(where: usable) {
            throw EmbeddedClusterError(
                "The embedded PostgreSQL cluster was made by PostgreSQL \(majorVersion), whose server binaries are "
                    + "not installed: apt-get install postgresql-\(majorVersion) (or upgrade the cluster with pg_upgrade).")
        }
        throw EmbeddedClusterError(
            "No PostgreSQL server binaries (initdb, pg_ctl, postgres) found in /usr/lib/postgresql/*/bin, "
                + "pg_config --bindir or PATH. Install PostgreSQL: apt-get install postgresql")
    }

    // MARK: - Commands

    private struct CommandResult {
        let status: Int32
        /// stdout then stderr.
        let output: String
    }

    /// Runs a command and waits for it (as `postgres` through runuser when `layout` has a server user).
    ///
    /// Not Foundation `Process`: on Linux it learns that a child exited through a socket the child inherits, and
    /// pg_ctl passes that socket on to the server it leaves running, so `waitUntilExit()` would wait for the
    /// server to stop. Instead: posix_spawn with every descriptor above 2 closed (the server must not keep any of
    /// ours: sockets, pipes, other children's sockets), default signal handlers and an empty signal mask (loket
    /// ignores or blocks SIGINT/SIGTERM for its own handling), stdin from /dev/null, working folder `/` (the
    /// caller's may be private), PG* variables removed, output captured in unlinked temporary files; waitpid.
    private func run(_ executable: String, _ arguments: [String], layout: Layout?) throws -> CommandResult {
        var argv = [executable] + arguments
        var path = executable
        if let user = layout?.serverUser {
            guard let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
            else {
                throw EmbeddedClusterError("runuser (util-linux) is needed to run PostgreSQL as \(user.name)")
            }
            path = runuser
            argv = [runuser, "-u", user.name, "--"] + argv
        }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["LC_MESSAGES"] = "C"
        environment.removeValue(forKey: "LANGUAGE")
        let envp = environment.map { "\($0.key)=\($0.value)" }
        logger.debug("run", metadata: ["command": "\(argv.joined(separator: " "))"])

        let stdout = try Self.scratchFile()
        defer { close(stdout) }
        let stderr = try Self.scratchFile()
        defer { close(stderr) }
        let pid = try Self.spawn(path: path, argv: argv, envp: envp, stdout: stdout, stderr: stderr)
        var status: Int32 = 0
        var waited: pid_t
        repeat { waited = waitpid(pid, &status, 0) } while waited < 0 && errno == EINTR
        let exitStatus: Int32
        if waited < 0 {
            exitStatus = 0  // ECHILD: the host reaps children itself (SIGCHLD ignored); judge by the effects.
        } else if status & 0x7f == 0 {
            exitStatus = (status >> 8) & 0xff  // WIFEXITED / WEXITSTATUS
        } else {
            exitStatus = 128 + (status & 0x7f)  // killed by a signal
        }
        return CommandResult(status: exitStatus, output: Self.readAll(stdout) + Self.readAll(stderr))
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    private typealias AddChdir = @convention(c) (
        UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?
    ) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+) / `addchdir_np` (2.29+) are not imported into
    /// Swift (they need _GNU_SOURCE); look them up at run time.
    private static func glibcSymbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, name) else { return nil }
        return unsafeBitCast(symbol, to: type)
    }

    private static func spawn(path: String, argv: [String], envp: [String], stdout: Int32, stderr: Int32) throws
        -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        if let closeFrom = glibcSymbol("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self) {
            _ = closeFrom(&actions, 3)
        } else {
            // Older glibc: close what is open now (descriptors opened later by other threads may leak).
            let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [])
                .compactMap { Int32($0) }.filter { $0 > 2 && fcntl($0, F_GETFD) >= 0 }
            for fd in open { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        if let chdir = glibcSymbol("posix_spawn_file_actions_addchdir_np", as: AddChdir.self) {
            _ = chdir(&actions, "/")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = envp.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, cArguments, cEnvironment)
        guard result == 0 else {
            throw EmbeddedClusterError("Cannot run \(path): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// An unlinked temporary file (O_CLOEXEC), for a child's output.
    private static func scratchFile() throws -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/loket-cmd-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw EmbeddedClusterError("Cannot create a temporary file: \(errnoText())") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    private static func readAll(_ fd: Int32) -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            data += buffer[0..<count]
            offset += off_t(count)
        }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Helpers

    private static func tail(_ text: String, lines: Int = 20) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func pidFileLines(_ path: String) -> [String]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }

    /// Alive and not a zombie.
    private static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether /proc tells us what `pid` runs (false for other users' processes when not root).
    private static func canInspect(_ pid: pid_t) -> Bool {
        readLink("/proc/\(pid)/exe") != nil
    }

    private static func isPostgresBinary(_ pid: pid_t) -> Bool {
        guard isAlive(pid), let exe = readLink("/proc/\(pid)/exe") else { return false }
        return (exe as NSString).lastPathComponent.hasPrefix("postgres")
    }

    /// A live postgres process whose working directory is this cluster (postgres chdirs into its data folder).
    private static func isServerProcess(_ pid: pid_t, pgdata: String) -> Bool {
        guard pid > 0, pid != getpid(), isPostgresBinary(pid), let cwd = readLink("/proc/\(pid)/cwd") else {
            return false
        }
        return cwd == canonicalPath(pgdata)
    }

    private static func serverProcesses(pgdata: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { isServerProcess($0, pgdata: pgdata) }
    }

    private static func ownerOf(_ path: String) -> uid_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_uid : nil
    }

    private static func lookUpUser(_ name: String) -> ServerUser? {
        guard let entry = getpwnam(name) else { return nil }
        return ServerUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// Whether `user` can traverse `path` and each of its existing parents (folders still to be made get 0755).
    /// Plain mode bits: ACLs are not consulted.
    private static func canTraverse(_ path: String, as user: ServerUser) -> Bool {
        var groupCount: Int32 = 256
        var groups = [gid_t](repeating: 0, count: 256)
        if getgrouplist(user.name, user.gid, &groups, &groupCount) < 0 { groupCount = 0 }
        let memberOf = Set(groups.prefix(Int(max(0, groupCount)))).union([user.gid])
        var prefixes = ["/"]
        for component in path.split(separator: "/") {
            prefixes.append((prefixes.count == 1 ? "" : prefixes[prefixes.count - 1]) + "/" + component)
        }
        for prefix in prefixes {
            var info = stat()
            guard stat(prefix, &info) == 0 else { return true }  // the rest does not exist yet: we create it
            guard (info.st_mode & S_IFMT) == S_IFDIR else { return false }
            let mode = info.st_mode
            let allowed: Bool
            if info.st_uid == user.uid {
                allowed = mode & S_IXUSR != 0
            } else if memberOf.contains(info.st_gid) {
                allowed = mode & S_IXGRP != 0
            } else {
                allowed = mode & S_IXOTH != 0
            }
            if !allowed { return false }
        }
        return true
    }

    /// Absolute path with symlinks resolved for the part that exists.
    private static func canonicalPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var existing = URL(fileURLWithPath: absolute).standardizedFileURL.path
        var rest: [String] = []
        while existing != "/" {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                let base = String(cString: resolved)
                return rest.isEmpty ? base : (base == "/" ? "" : base) + "/" + rest.reversed().joined(separator: "/")
            }
            rest.append((existing as NSString).lastPathComponent)
            existing = (existing as NSString).deletingLastPathComponent
        }
        return "/" + rest.reversed().joined(separator: "/")
    }

    /// First 12 hex digits of the FNV-1a 64-bit hash: stable across runs and machines.
    private static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(12))
    }

    private static func localeAvailable(_ name: String) -> Bool {
        guard let locale = newlocale((1 << LC_CTYPE) | (1 << LC_COLLATE), name, nil) else { return false }
        freelocale(locale)
        return true
    }

    /// mkdir -p; folders it makes get `mode` exactly (umask notwithstanding).
    private static func makeDirectories(_ path: String, mode: mode_t) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw EmbeddedClusterError("\(path) exists and is not a folder") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if parent != path && !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw EmbeddedClusterError("Cannot create \(path): \(errnoText())")
        }
        chmod(path, mode)
    }
}

/// An exclusive advisory lock on a file, held until `unlock()`.
private struct FileLock {
    let fd: Int32

    init(path: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EmbeddedClusterError("Cannot open \(path): \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    }

    func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
