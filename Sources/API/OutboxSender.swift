import Glibc
import HTTP
import Locking
import Mail
import Postgres
import Time

/// The mail job of `loket serve`: sends the outbox's due messages over SMTP.
///
/// One round: drop messages that no longer make sense (OutboxDropStale), then claim a batch — `FOR UPDATE SKIP
/// LOCKED` in a short transaction that sets `status = sending` and a lease (`claimed_until`) and commits — send each
/// message, and mark it sent (or back to pending with exponential backoff, or failed after `maxAttempts`). No
/// transaction is open while SMTP talks, so a slow mail server holds no locks and no connection.
///
/// Delivery is at least once. A message is never lost: until it is marked sent its row stays claimable. It can go
/// out twice only when a process dies (or loses the database) after the server accepted it and before the mark:
/// it is sent again once its lease has run out (`leaseSeconds`, 5 minutes by default) — with the same Message-ID,
/// so mail programs can recognise the copy. Several processes never send one message at the same time: a live
/// lease keeps the others off it, and the SMTP timeout is kept below the lease.
///
/// Without `LOKET_SMTP_URL` nothing is sent: messages wait (pending) and `/readyz` says mail is not configured.
final class OutboxSender: @unchecked Sendable {
    private weak var app: App?
    private let client: SMTPClient?
    private let from: MIMEMessage.Address
    private let host: String
    private let stopping = LockedValue(false)
    private let mutex = Mutex()
    /// Messages handed over, tries that failed and will be retried, messages given up (for /metrics).
    private let totals = LockedValue((sent: 0, retried: 0, failed: 0))

    /// Throws `SMTPError.badURL` for an unusable `LOKET_SMTP_URL`, so `loket serve` refuses to start with it.
    init(app: App) throws {
        self.app = app
        let mail = app.configuration.mail
        host = ICalendarRoutes.host(ofBaseURL: app.configuration.publicURL ?? "localhost")
        from = MIMEMessage.Address(email: mail.from ?? "no-reply@\(host)", name: "Loket")
        if let url = mail.smtpURL, !url.isEmpty {
            client = SMTPClient(configuration: try SMTPConfiguration(url: url), timeoutSeconds: max(1, min(60, mail.leaseSeconds / 2)))
        } else {
            client = nil
        }
    }

    var isConfigured: Bool { client != nil }

    func start() {
        guard client != nil else {
            app?.logger.warning("mail: LOKET_SMTP_URL is not set; messages to citizens wait in the outbox")
            return
        }
        if let app {
            let totals = self.totals
            app.metrics.register(name: "loket_mail_messages_total", help: "Mail to citizens by this process: sent, tries to retry, given up.",
                                 type: "counter") {
                let t = totals.get()
                return [("result=\"sent\"", Double(t.sent)), ("result=\"retried\"", Double(t.retried)), ("result=\"failed\"", Double(t.failed))]
            }
        }
        startThread(name: "loket-mail") { [self] in
            while !stopping.get() {
                runOnce()
                let seconds = app?.configuration.mail.pollSeconds ?? 10
                mutex.withLock { _ = mutex.wait(timeoutSeconds: Double(seconds)) }
            }
        }
    }

    func stop() {
        stopping.set(true)
        mutex.withLock { mutex.signal() }
    }

    struct Round: Equatable { var sent = 0, retried = 0, failed = 0, dropped = 0 }

    /// One round: drop, then claim and send batches until nothing is due (or stopping).
    @discardableResult
    func runOnce() -> Round {
        var round = Round()
        guard let app, let client else { return round }
        let mail = app.configuration.mail
        do {
            try app.pool.withConnection { db in
                round.dropped = try db.all(OutboxDropStale(now: app.configuration.clock.now())).count
                round.failed += try db.all(OutboxFailInterrupted(now: app.configuration.clock.now(), maxAttempts: mail.maxAttempts)).count
            }
            while !stopping.get() {
                let now = app.configuration.clock.now()
                let batch = try app.pool.withConnection { db in
                    try db.transaction { db in
                        try db.all(OutboxClaim(now: now, leaseUntil: now.adding(seconds: Int64(mail.leaseSeconds)), limit: mail.batchSize))
                    }
                }
                if batch.isEmpty { break }
                for message in batch {
                    do {
                        try client.send(mime(message, now: app.configuration.clock.now()))
                        _ = try app.pool.withConnection { db in try db.first(OutboxSent(id: message.id, now: app.configuration.clock.now())) }
                        round.sent += 1
                    } catch let error as SMTPError {
                        // Backoff: retrySeconds · 2^(attempts − 1), at most 6 hours.
                        let delay = min(Int64(mail.retrySeconds) << Int64(min(message.attempts - 1, 20)), 6 * 3600)
                        let status = try app.pool.withConnection { db in
                            try db.first(OutboxRetry(id: message.id, error: error.description,
                                                     retryAt: app.configuration.clock.now().adding(seconds: delay), maxAttempts: mail.maxAttempts))?.status
                        }
                        if status == "failed" {
                            round.failed += 1
                            app.logger.error("mail: message \(message.id) failed after \(message.attempts) attempts: \(error)")
                        } else {
                            round.retried += 1
                            app.logger.warning("mail: message \(message.id) not sent (attempt \(message.attempts)), retry in \(delay) s: \(error)")
                        }
                    }
                }
            }
        } catch {
            // The database is away: the claims' leases run out and the messages are claimed again later.
            app.logger.warning("mail: outbox round failed, will retry: \(error)")
        }
        totals.withValue { $0.sent += round.sent; $0.retried += round.retried; $0.failed += round.failed }
        return round
    }

    /// The e-mail of a claimed row. Message-ID from the row's id: the same on every attempt.
    func mime(_ m: OutboxClaim.Row, now: Instant) -> MIMEMessage {
        var attachments: [MIMEMessage.Attachment] = []
        if let ics = m.attachment {
            let method = m.kind == OutboxKind.cancelled.rawValue ? "CANCEL" : "PUBLISH"
            attachments.append(.init(contentType: "text/calendar; charset=utf-8; method=\(method)", filename: "afspraak-\(m.reference).ics",
                                     bytes: Array(ics.utf8)))
        }
        return MIMEMessage(from: from, to: .init(email: m.recipient), subject: m.subject, text: m.body, attachments: attachments,
                           messageID: "\(m.id)@\(host)", date: now)
    }
}

extension App {
    /// One round of the mail job, now (tests). Nil when no SMTP server is configured.
    func sendMailOnce() throws -> OutboxSender.Round? {
        let sender = try OutboxSender(app: self)
        return sender.isConfigured ? sender.runOnce() : nil
    }

    /// Whether mail to citizens can go out (for /readyz).
    var mailConfigured: Bool { !(configuration.mail.smtpURL ?? "").isEmpty }
}
