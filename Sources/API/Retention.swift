import Postgres
import Time

// The retention purge (issue 11): personal fields are emptied when they are no longer needed, by `loket purge` and
// by the jobs inside `loket serve` (Jobs.swift). Statistics are not affected: reports read only the anonymous visit
// records (migration 0017), written when each visit ended.
//
// The purge is a list of steps, each one kind of data with its own rule; a step purges in batches until a batch
// comes back short, so one run catches up after any downtime without holding locks for long. Adding a kind of data
// is one more line in `RetentionPurge.steps`.

/// One kind of personal data the purge empties when its time has come.
public protocol PurgeStep: Sendable {
    /// Shown in the log and by `loket purge`, e.g. "walk-in tickets".
    var name: String { get }
    /// Purges one batch of at most `batch` rows due at `now` and returns how many it purged.
    func purgeBatch(_ db: Connection, now: Instant, batch: Int) throws -> Int
}

/// Walk-in tickets at the end of their local day: the free-text outcome and the handover notes.
public struct WalkInTicketPurge: PurgeStep {
    public init() {}
    public var name: String { "walk-in tickets" }
    public func purgeBatch(_ db: Connection, now: Instant, batch: Int) throws -> Int {
        try db.first(PurgeWalkInTickets(now: now, batch: batch))?.n ?? 0
    }
}

/// Appointments N days after they took place (the longest period of the agencies taking part, default 30): the
/// citizen's details, needs, manage token, mail, named attendees, consent text, and their ticket's notes.
public struct AppointmentPurge: PurgeStep {
    public init() {}
    public var name: String { "appointments" }
    public func purgeBatch(_ db: Connection, now: Instant, batch: Int) throws -> Int {
        try db.first(PurgeAppointments(now: now, batch: batch))?.n ?? 0
    }
}

/// Contact persons' notes once the contact relation ended and the agency's retention period (as for appointments)
/// has passed; while the relation lasts the note is what spares the visitor telling their story twice.
public struct ContactNotePurge: PurgeStep {
    public init() {}
    public var name: String { "contact person notes" }
    public func purgeBatch(_ db: Connection, now: Instant, batch: Int) throws -> Int {
        try db.first(PurgeContactNotes(now: now, batch: batch))?.n ?? 0
    }
}

/// Audit entries older than the admin's retention (default 365 days), through the migration owner's function
/// `audit_purge` (Migrations/functions/90_audit.sql), which never deletes anything newer: the application's own role
/// cannot delete audit entries any other way.
public struct AuditRetentionPurge: PurgeStep {
    public init() {}
    public var name: String { "audit entries" }
    public func purgeBatch(_ db: Connection, now: Instant, batch: Int) throws -> Int {
        // One call deletes every due entry, so it never reports a full batch and runs once.
        min(try db.first(AuditPurge(now: now))?.deleted ?? 0, batch - 1)
    }
}

/// The steps of the retention purge and running them.
public enum RetentionPurge {
    /// Every step, in order. Add a step here (one line) and both `loket purge` and the job in `serve` run it.
    public static let steps: [any PurgeStep] = [
        WalkInTicketPurge(),
        AppointmentPurge(),
        ContactNotePurge(),
        AuditRetentionPurge(),
    ]

    public static let batchSize = 2000

    /// The system clock's "now" (for `loket purge`, which has no app).
    public static func systemNow() -> Instant { SystemClock().now() }

    /// Runs every step until nothing is left that is due at `now`; returns how many rows each step purged.
    @discardableResult
    public static func run(_ db: Connection, now: Instant, steps: [any PurgeStep] = steps, batch: Int = batchSize) throws -> [(step: String, purged: Int)] {
        try steps.map { step in
            var total = 0
            while true {
                // Each batch in autocommit: its locks last one statement, and a failure later keeps what was done.
                let n = try step.purgeBatch(db, now: now, batch: batch)
                total += n
                if n < batch { break }
            }
            return (step.name, total)
        }
    }
}
