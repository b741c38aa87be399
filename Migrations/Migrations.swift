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
            ("0003_queue_due_time.sql", PackageResources._003_queue_due_time_sql),
            ("0004_ticket_prefix_groups.sql", PackageResources._004_ticket_prefix_groups_sql),
            ("0005_calendars.sql", PackageResources._005_calendars_sql),
            ("0006_take_number_speed.sql", PackageResources._006_take_number_speed_sql),
            ("0007_calendar_versions.sql", PackageResources._007_calendar_versions_sql),
            ("0008_appointments.sql", PackageResources._008_appointments_sql),
            ("0009_idempotency.sql", PackageResources._009_idempotency_sql),
            ("0010_calendar_feeds.sql", PackageResources._010_calendar_feeds_sql),
            ("0011_outbox.sql", PackageResources._011_outbox_sql),
            ("0012_check_in.sql", PackageResources._012_check_in_sql),
            ("0013_helpers.sql", PackageResources._013_helpers_sql),
            ("0014_contact_person.sql", PackageResources._014_contact_person_sql),
            ("0015_appointment_contact_person.sql", PackageResources._015_appointment_contact_person_sql),
            ("0016_access.sql", PackageResources._016_access_sql),
            ("0017_reports_retention.sql", PackageResources._017_reports_retention_sql),
        ]
        return files.map { name, bytes in
            MigrationFile(version: Int(name.prefix(4))!, name: name, sql: String(decoding: bytes, as: UTF8.self))
        }.sorted { $0.version < $1.version }
    }()
}

/// A repeatable SQL file of `Migrations/functions` (functions and views, `CREATE OR REPLACE`), applied after the
/// numbered migrations on every migrate.
public struct RepeatableFile: Sendable {
    /// The file name, e.g. `10_foundation.sql`; files are applied in name order.
    public let name: String
    public let sql: String
}

/// All files in `Migrations/functions`, in name order. SwiftPM embeds `10_foundation.sql` as
/// `PackageResources._0_foundation_sql` (it replaces the leading digit); a test checks every file is listed here.
public enum BundledFunctions {
    public static let all: [RepeatableFile] = {
        let files: [(String, [UInt8])] = [
            ("10_foundation.sql", PackageResources._0_foundation_sql),
            ("20_queue.sql", PackageResources._0_queue_sql),
            ("30_ticket_prefixes.sql", PackageResources._0_ticket_prefixes_sql),
            ("40_calendars.sql", PackageResources._0_calendars_sql),
            ("50_availability.sql", PackageResources._0_availability_sql),
            ("60_appointments.sql", PackageResources._0_appointments_sql),
            ("70_booking.sql", PackageResources._0_booking_sql),
            ("80_check_in.sql", PackageResources._0_check_in_sql),
            ("80_helpers.sql", PackageResources._0_helpers_sql),
            ("85_contact_person.sql", PackageResources._5_contact_person_sql),
            ("90_audit.sql", PackageResources._0_audit_sql),
            ("92_reports.sql", PackageResources._2_reports_sql),
        ]
        return files.map { RepeatableFile(name: $0.0, sql: String(decoding: $0.1, as: UTF8.self)) }.sorted { $0.name < $1.name }
    }()
}
