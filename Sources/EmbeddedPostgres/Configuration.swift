import Foundation
import Logging
import Postgres

#if canImport(Glibc)
import Glibc
#endif

/// Creating the cluster and its folders, ownership, and the settings written at every start.
extension EmbeddedCluster {

    /// Creates the data folder (if missing, 0755 so `postgres` can traverse it) and the cluster parent.
    func prepareFolders(_ layout: Layout) throws {
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

    func createCluster(_ layout: Layout, binDir: String) throws {
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
    func checkOwnership(_ layout: Layout) throws {
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
    func writeConfiguration(_ layout: Layout) throws {
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

    func writeServerFile(_ path: String, _ contents: String, layout: Layout) throws {
        do {
            try contents.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw EmbeddedClusterError("Cannot write \(path): \(error)")
        }
        chmod(path, 0o600)
        try chownToServer(path, layout: layout)
    }

    /// The socket folder in /tmp must be a real folder owned by the server's account, mode 0700.
    func prepareSocketDirectory(_ layout: Layout) throws {
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

    func chownToServer(_ path: String, layout: Layout) throws {
        guard let user = layout.serverUser else { return }
        guard chown(path, user.uid, user.gid) == 0 else {
            throw EmbeddedClusterError("Cannot give \(path) to postgres: \(Self.errnoText())")
        }
    }

    /// Keeps the server log from growing forever: past 10 MiB it becomes postgres.log.1 at the next start.
    func rotateLog(_ layout: Layout) {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: layout.logFile))?[.size] as? NSNumber,
            size.intValue > 10 << 20
        else { return }
        _ = rename(layout.logFile, layout.logFile + ".1")
    }
}
