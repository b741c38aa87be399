import Foundation
import Logging
import Postgres

#if canImport(Glibc)
import Glibc
#endif

/// Finding the PostgreSQL server binaries that match the cluster.
extension EmbeddedCluster {

    func clusterMajorVersion(_ layout: Layout) -> String? {
        (try? String(contentsOfFile: layout.pgdata + "/PG_VERSION", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// /usr/lib/postgresql/<cluster's version or 15>/bin, then other /usr/lib/postgresql/*/bin (newest first),
    /// then `pg_config --bindir`, then PATH.
    func findBinDir(majorVersion: String?) throws -> String {
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
}
