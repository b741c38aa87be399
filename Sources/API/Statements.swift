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
    public static let idempotency = SQLLibrary(PackageResources.idempotency_sql)
    public static let appointmentReads = SQLLibrary(PackageResources.appointment_reads_sql)
    public static let openForms = SQLLibrary(PackageResources.openforms_sql)
    public static let appointments = SQLLibrary(PackageResources.appointments_sql)
    public static let icalendar = SQLLibrary(PackageResources.icalendar_sql)
    public static let outbox = SQLLibrary(PackageResources.outbox_sql)
    public static let speech = SQLLibrary(PackageResources.speech_sql)
    public static let helpers = SQLLibrary(PackageResources.helpers_sql)
    public static let checkIns = SQLLibrary(PackageResources.checkins_sql)
    public static let contacts = SQLLibrary(PackageResources.contacts_sql)
    public static let floor = SQLLibrary(PackageResources.floor_sql)
    public static let devices = SQLLibrary(PackageResources.devices_sql)
    public static let access = SQLLibrary(PackageResources.access_sql)
    public static let reports = SQLLibrary(PackageResources.reports_sql)
    public static let retention = SQLLibrary(PackageResources.retention_sql)
    public static let coordinator = SQLLibrary(PackageResources.coordinator_sql)

    /// Every SQL file with the statement types written for it. The statement test ties them together: each type
    /// names a statement of its file, each statement has exactly one type, and they all prepare.
    static let typed: [(file: String, library: SQLLibrary, types: [any Statement.Type])] = [
        ("admin", admin, AdminStatements.all), ("sessions", sessions, SessionStatements.all),
        ("kiosk", kiosk, KioskStatements.all), ("tickets", tickets, TicketStatements.all),
        ("events", events, EventStatements.all), ("calendars", calendars, CalendarStatements.all),
        ("availability", availability, AvailabilityStatements.all),
        ("idempotency", idempotency, IdempotencyStatements.all),
        ("appointment_reads", appointmentReads, AppointmentReadStatements.all),
        ("openforms", openForms, OpenFormsStatements.all),
        ("appointments", appointments, AppointmentStatements.all),
        ("icalendar", icalendar, ICalendarStatements.all),
        ("outbox", outbox, OutboxStatements.all),
        ("speech", speech, SpeechStatements.all),
        ("helpers", helpers, HelperStatements.all),
        ("checkins", checkIns, CheckInStatements.all),
        ("contacts", contacts, ContactStatements.all),
        ("floor", floor, FloorStatements.all),
        ("devices", devices, DeviceStatements.all),
        ("access", access, AccessStatements.all),
        ("reports", reports, ReportStatements.all),
        ("retention", retention, RetentionStatements.all),
        ("coordinator", coordinator, CoordinatorStatements.all),
    ]

    /// Every named statement, so a test can prepare each against a real database.
    public static var all: [(file: String, name: String, sql: SQL)] {
        typed.flatMap { file, lib, _ in lib.statements.map { (file, $0.key, $0.value) } }
    }
}
