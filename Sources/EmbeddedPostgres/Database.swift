import Foundation
import Logging
import Postgres

#if canImport(Glibc)
import Glibc
#endif

/// The `loket` database inside the cluster, reached with the `Postgres` target's `Connection`.
extension EmbeddedCluster {

    func ensureDatabase(_ layout: Layout) throws {
        let connection: Connection
        do {
            connection = try Connection(conninfo: uri(database: "postgres", socketDirectory: layout.socketDirectory),
                                        applicationName: "loket-embedded")
        } catch {
            throw EmbeddedClusterError("Cannot connect to the embedded PostgreSQL: \(error)")
        }
        defer { connection.close() }
        let exists: Int
        do {
            exists = try connection.query(Query("SELECT count(*)::int AS n FROM pg_database WHERE datname = 'loket'"))
                .first!.int("n")
        } catch {
            throw EmbeddedClusterError("Cannot list databases: \(error)")
        }
        if exists == 0 {
            do {
                try connection.execute("CREATE DATABASE loket")
                logger.info("Created database loket")
            } catch let error as PostgresError where error.sqlState == "42P04" {
                // duplicate_database: another process created it meanwhile.
            } catch {
                throw EmbeddedClusterError("CREATE DATABASE loket failed: \(error)")
            }
        }
        let extensions = try? connection.query(Query(
            "SELECT count(*)::int AS n FROM pg_available_extensions WHERE name IN ('pgcrypto', 'btree_gist')"))
            .first!.int("n")
        if (extensions ?? 0) < 2 {
            logger.warning(
                "The PostgreSQL extensions pgcrypto and btree_gist are not available: apt-get install postgresql-contrib")
        }
    }

    func uri(database: String, socketDirectory: String) -> String {
        var allowed = CharacterSet()
        allowed.insert(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")
        let host = socketDirectory.addingPercentEncoding(withAllowedCharacters: allowed) ?? socketDirectory
        return "postgresql:///\(database)?host=\(host)&port=\(port)&user=postgres"
    }
}
