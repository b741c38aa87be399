/// A numbered SQL migration shipped inside the `loket` binary.
public struct MigrationFile: Sendable {
    /// The order key, e.g. 1 for `0001_foundation.sql`.
    public let version: Int
    /// The file name, e.g. `0001_foundation.sql`.
    public let name: String
    /// The SQL text, applied in one transaction.
    public let sql: String
}

/// All migrations in `Migrations/sql`, in order. SwiftPM embeds each file as `PackageResources._NNN_name_sql`
/// (it replaces the leading digit); a test checks that every file in the folder is listed here.
public enum BundledMigrations {
    public static let all: [MigrationFile] = {
        let files: [(String, [UInt8])] = [
            ("0001_foundation.sql", PackageResources._001_foundation_sql),
            ("0002_walk_in_queue.sql", PackageResources._002_walk_in_queue_sql),
            ("0006_take_number_speed.sql", PackageResources._006_take_number_speed_sql),
        ]
        return files.map { name, bytes in
            MigrationFile(version: Int(name.prefix(4))!, name: name, sql: String(decoding: bytes, as: UTF8.self))
        }.sorted { $0.version < $1.version }
    }()
}
