import Foundation
import Logging
import Postgres

#if canImport(Glibc)
import Glibc
#endif

/// Where the cluster, its socket and its lock live, and which account runs the server.
extension EmbeddedCluster {

    struct ServerUser {
        let name: String
        let uid: uid_t
        let gid: gid_t
    }

    struct Layout {
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

    static let relocationRoot = "/var/lib/loket"

    func resolvedLayout() throws -> Layout {
        if let cachedLayout { return cachedLayout }
        let layout = try computeLayout()
        cachedLayout = layout
        return layout
    }

    func computeLayout() throws -> Layout {
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
}
