import Postgres

/// The SQL files of `Sources/API/SQL`, compiled into the binary.
public enum Statements {
    public static let admin = SQLLibrary(PackageResources.admin_sql)
    public static let sessions = SQLLibrary(PackageResources.sessions_sql)
    public static let tickets = SQLLibrary(PackageResources.tickets_sql)
    public static let events = SQLLibrary(PackageResources.events_sql)
    public static let kiosk = SQLLibrary(PackageResources.kiosk_sql)
    public static let calendars = SQLLibrary(PackageResources.calendars_sql)
    public static let availability = SQLLibrary(PackageResources.availability_sql)

    /// Every named statement, so a test can prepare each against a real database.
    public static var all: [(file: String, name: String, sql: SQL)] {
        [("admin", admin), ("sessions", sessions), ("tickets", tickets), ("events", events), ("kiosk", kiosk),
         ("calendars", calendars), ("availability", availability)].flatMap { file, lib in
            lib.statements.map { (file, $0.key, $0.value) }
        }
    }
}
