import Glibc
import HTTP
import Locking
import Postgres
import Queue

/// Scheduled work inside `loket serve`: day end (tickets still open from an earlier local day are closed, so each
/// day starts clean), purging expired sessions, old events and expired Idempotency-Keys, and the retention purge of
/// personal data (`RetentionPurge`, Retention.swift). Runs every minute;
/// several processes may run it at once safely (`SKIP LOCKED`, idempotent deletes).
final class Jobs: @unchecked Sendable {
    private weak var app: App?
    private let stopping = LockedValue(false)
    private let mutex = Mutex()

    init(app: App) {
        self.app = app
    }

    func start() {
        startThread(name: "loket-jobs") { [self] in
            while !stopping.get() {
                runOnce()
                mutex.withLock { _ = mutex.wait(timeoutSeconds: 60) }
            }
        }
    }

    func stop() {
        stopping.set(true)
        mutex.withLock { mutex.signal() }
    }

    /// One round of every job (also called by tests).
    func runOnce() {
        guard let app else { return }
        do {
            // What closes at day end and what it becomes is the state machine's, as parallel arrays source → target.
            let dayEnd = TicketStateMachine.transitions(for: .closeDay).sorted { $0.key.rawValue < $1.key.rawValue }
            let sources = dayEnd.map(\.key.rawValue)
            let targets = dayEnd.map(\.value.rawValue)
            var closed = 0
            repeat {
                closed = try app.pool.withConnection { db in
                    try db.first(CloseStaleTickets(now: app.configuration.clock.now(), sources: sources, targets: targets))?.n ?? 0
                }
                if closed > 0 {
                    app.events.didWrite()
                    app.logger.info("day end: closed \(closed) tickets of earlier days")
                }
            } while closed == 5000
            try app.pool.withConnection { db in
                try db.run(PurgeSessions(now: app.configuration.clock.now()))
                try db.run(PurgeLoginThrottle(now: app.configuration.clock.now()))
                try db.run(PurgeEvents(now: app.configuration.clock.now()))
                try db.run(PurgeIdempotencyKeys(now: app.configuration.clock.now()))
            }
            // Retention: personal fields whose time has come and old audit entries (Retention.swift; the day end above
            // closed today's tickets first).
            let purged = try app.pool.withConnection { db in try RetentionPurge.run(db, now: app.configuration.clock.now()) }
            for (step, n) in purged where n > 0 { app.logger.info("retention: purged personal data of \(n) \(step)") }
        } catch {
            app.logger.warning("scheduled jobs failed, will retry: \(error)")
        }
    }
}

extension App {
    /// Runs the scheduled jobs once, now (tests, and `loket` after a long downtime).
    public func runJobsOnce() { Jobs(app: self).runOnce() }
}
