import API
import ArgumentParser
import EmbeddedPostgres
import Foundation
import HTTP
import Logging
import Postgres

@main
struct Loket: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loket",
        abstract: "Loket: software for shared government service desks (queue, kiosk, displays).",
        discussion: """
            Configuration comes from the environment: LOKET_DATABASE_URL (libpq URI; without it Loket runs its own \
            PostgreSQL in LOKET_DATA), LOKET_PORT (8080), LOKET_LISTEN (127.0.0.1), LOKET_DATA (./.loket), \
            LOKET_ADMIN_TOKEN, LOKET_KIOSK_DIR (./kiosk), LOKET_PUBLIC_URL, LOKET_WORKERS (16), \
            LOKET_TICKET_RATE_PER_MINUTE (10; 0 = off), LOKET_BOOKING_RATE_PER_MINUTE (10; 0 = off), \
            LOKET_HOLDS_PER_ADDRESS (3; 0 = off), LOKET_BOOKING_LIMIT_EXEMPT (addresses of form servers), LOKET_TRUSTED_PROXIES (addresses whose X-Forwarded-For is believed), \
            LOKET_CONNECTIONS_PER_ADDRESS (64; 0 = off; raise or 0 behind a reverse proxy), LOKET_IDLE_TIMEOUT_SECONDS (30), \
            LOKET_MAX_CONNECTIONS (from the open-file limit), LOKET_METRICS_TOKEN (bearer for /metrics from other machines), \
            LOKET_LOGIN_RATE_PER_MINUTE (10; 0 = off), LOKET_HASHING_THREADS (half the cores), LOKET_SMTP_URL \
            (smtp://host:port[?starttls=required] or smtps://; unset: mail waits), LOKET_MAIL_FROM, LOKET_MANAGE_URL, \
            LOKET_MAIL_POLL_SECONDS (10), LOKET_MAIL_LEASE_SECONDS (300), LOKET_MAIL_RETRY_SECONDS (60), \
            LOKET_MAIL_MAX_ATTEMPTS (10). Numbers outside their \
            range (e.g. LOKET_WORKERS 1-256, LOKET_MAX_CONNECTIONS 1-1000000) are refused at start.
            """,
        subcommands: [Serve.self, Migrate.self, Demo.self, Purge.self],
        defaultSubcommand: Serve.self
    )
}

/// Settings from the environment, in one place.
struct Environment {
    let values = ProcessInfo.processInfo.environment

    var databaseURL: String? { values["LOKET_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    var dataDirectory: String { values["LOKET_DATA"] ?? "./.loket" }

    /// A whole-number setting within `range` (or `fallback` when unset). Every numeric setting has a maximum:
    /// a value beyond what the process can use (threads, connections, seconds that no longer fit the C types)
    /// is refused here with a message naming the variable, instead of crashing or starting millions of threads.
    func int(_ key: String, _ fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let raw = values[key], !raw.isEmpty else { return fallback }
        guard let value = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ValidationError("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(raw)'.")
        }
        return value
    }

    func appConfiguration(databaseURL: String) throws -> AppConfiguration {
        var c = AppConfiguration(databaseURL: databaseURL)
        c.server.host = values["LOKET_LISTEN"] ?? "127.0.0.1"
        c.server.port = try int("LOKET_PORT", 8080, in: 0...65535)
        c.workerThreads = try int("LOKET_WORKERS", 16, in: 1...256)
        c.ticketRatePerMinute = try int("LOKET_TICKET_RATE_PER_MINUTE", 10, in: 0...1_000_000)
        c.bookingRatePerMinute = try int("LOKET_BOOKING_RATE_PER_MINUTE", 10, in: 0...1_000_000)
        c.holdsPerAddress = try int("LOKET_HOLDS_PER_ADDRESS", 3, in: 0...1_000_000)
        c.loginAttemptsPerMinute = try int("LOKET_LOGIN_RATE_PER_MINUTE", 10, in: 0...1_000_000)
        c.appointmentHoldMinutes = try int("LOKET_APPOINTMENT_HOLD_MINUTES", 10, in: 1...1440)
        c.checkInLeadMinutes = try int("LOKET_CHECKIN_LEAD_MINUTES", c.checkInLeadMinutes, in: 0...120)
        c.checkInGraceMinutes = try int("LOKET_CHECKIN_GRACE_MINUTES", c.checkInGraceMinutes, in: 0...240)
        c.contactWaitMinutes = try int("LOKET_CONTACT_WAIT_MINUTES", c.contactWaitMinutes, in: 0...480)
        c.sessionIdleMinutes = try int("LOKET_SESSION_IDLE_MINUTES", c.sessionIdleMinutes, in: 0...1440)
        c.passwordHashingThreads = try int("LOKET_HASHING_THREADS", c.passwordHashingThreads, in: 1...64)
        c.kioskDirectory = values["LOKET_KIOSK_DIR"] ?? Environment.findKioskDirectory()
        c.adminToken = values["LOKET_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        c.publicURL = values["LOKET_PUBLIC_URL"]
        c.mail.smtpURL = values["LOKET_SMTP_URL"].flatMap { $0.isEmpty ? nil : $0 }
        c.mail.from = values["LOKET_MAIL_FROM"].flatMap { $0.isEmpty ? nil : $0 }
        c.mail.manageURLTemplate = values["LOKET_MANAGE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        c.mail.pollSeconds = try int("LOKET_MAIL_POLL_SECONDS", c.mail.pollSeconds, in: 1...3600)
        c.mail.leaseSeconds = try int("LOKET_MAIL_LEASE_SECONDS", c.mail.leaseSeconds, in: 2...86_400)
        c.mail.retrySeconds = try int("LOKET_MAIL_RETRY_SECONDS", c.mail.retrySeconds, in: 1...86_400)
        c.mail.maxAttempts = try int("LOKET_MAIL_MAX_ATTEMPTS", c.mail.maxAttempts, in: 1...100)
        c.speechDirectory = dataDirectory + "/speech"
        c.server.connectionsPerAddress = try int("LOKET_CONNECTIONS_PER_ADDRESS", c.server.connectionsPerAddress, in: 0...1_000_000)
        c.server.connectionTimeoutSeconds = try int("LOKET_IDLE_TIMEOUT_SECONDS", c.server.connectionTimeoutSeconds, in: 1...86_400)
        if let limit = values["LOKET_MAX_CONNECTIONS"], !limit.isEmpty {
            c.server.connectionLimit = try int("LOKET_MAX_CONNECTIONS", 0, in: 1...1_000_000)
        }
        c.metricsToken = values["LOKET_METRICS_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        c.bookingLimitExempt = Set((values["LOKET_BOOKING_LIMIT_EXEMPT"] ?? "").split(separator: ",")
            .map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        c.trustedProxies = Set((values["LOKET_TRUSTED_PROXIES"] ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty })
        return c
    }

    /// `./kiosk`, or the repository's `kiosk/` next to the build folder the binary runs from.
    static func findKioskDirectory() -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: "kiosk/kiosk.html") { return "kiosk" }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("kiosk")
            if fm.fileExists(atPath: candidate.appendingPathComponent("kiosk.html").path) { return candidate.path }
            dir = dir.deletingLastPathComponent()
        }
        return "kiosk"
    }
}

/// Log lines with UTC timestamps and no metadata (requests are logged without personal data).
struct UTCLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var t = time(nil)
        var tm = tm()
        gmtime_r(&t, &tm)
        var buffer = [CChar](repeating: 0, count: 32)
        strftime(&buffer, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)
        let stamp = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let line = "\(stamp) \(event.level) \(event.message)\n"
        try? FileHandle.standardError.write(contentsOf: Data(line.utf8))
    }
}

func makeLogger() -> Logger {
    LoggingSystem.bootstrap { UTCLogHandler(label: $0) }
    var logger = Logger(label: "loket")
    if let level = ProcessInfo.processInfo.environment["LOKET_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) {
        logger.logLevel = level
    }
    return logger
}

/// The database: the configured one, or the embedded cluster (started here, stopped by the caller).
func database(_ env: Environment, logger: Logger) throws -> (url: String, embedded: EmbeddedCluster?) {
    if let url = env.databaseURL { return (url, nil) }
    let cluster = EmbeddedCluster(dataDirectory: env.dataDirectory, logger: logger)
    let url = try cluster.start()
    return (url, cluster)
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service (embedded PostgreSQL unless LOKET_DATABASE_URL is set).")

    func run() throws {
        let logger = makeLogger()
        let env = Environment()
        // Block SIGINT/SIGTERM in every thread (threads inherit the mask) and wait for them on this one.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)

        // Settings first: a bad value must not leave an embedded PostgreSQL running.
        var configuration = try env.appConfiguration(databaseURL: "")
        let (url, embedded) = try database(env, logger: logger)
        configuration.databaseURL = url
        configuration.loadDemoData = embedded != nil
        let app = App(configuration: configuration, logger: logger)
        do {
            try app.start()
        } catch {
            logger.error("could not start: \(error)")
            try? embedded?.stop()
            throw ExitCode.failure
        }
        printBanner(app: app, embedded: embedded != nil)

        var received: Int32 = 0
        sigwait(&signals, &received)
        logger.info("received \(received == SIGINT ? "SIGINT" : "SIGTERM"), stopping")
        app.stop()
        if let embedded {
            do { try embedded.stop() } catch { logger.error("stopping PostgreSQL failed: \(error)") }
        }
        logger.info("stopped")
    }

    func printBanner(app: App, embedded: Bool) {
        let host = app.configuration.server.host.contains(":") ? "[\(app.configuration.server.host)]" : app.configuration.server.host
        let base = "http://\(host):\(app.port)"
        var out = "\nLoket is running.\n"
        if embedded {
            out += "  Kiosk:        \(base)/kiosk/centrum\n"
            out += "  Call display: \(base)/display/centrum\n"
            out += "  Booking:      \(base)/afspraak/centrum\n"
        }
        out += "  Desk page:    \(base)/staff\n"
        out += "  Coordinator:  \(base)/coordinator  (floor view: /coordinator/floor, reports: /coordinator/reports)\n"
        out += "  Admin:        \(base)/admin  (audit: /admin/audit)\n"
        out += "  API:          \(base)/api/v1/openapi.json\n"
        out += "  Health:       \(base)/healthz  \(base)/readyz  \(base)/metrics\n"
        if let token = app.generatedAdminToken {
            out += "\n  Bootstrap admin token (shown once, stored hashed; set LOKET_ADMIN_TOKEN to choose your own):\n    \(token)\n"
        }
        if embedded {
            out += "\n  Demo logins (username / password):\n"
            for l in DemoData.logins {
                out += "    \(l.username.padding(toLength: 16, withPad: " ", startingAt: 0)) \(l.password.padding(toLength: 18, withPad: " ", startingAt: 0)) \(l.role), \(l.agency)\n"
            }
        }
        out += "\nPress Ctrl-C to stop.\n"
        print(out)
        fflush(nil)
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    func run() throws {
        let logger = makeLogger()
        let env = Environment()
        let (url, embedded) = try database(env, logger: logger)
        defer { try? embedded?.stop() }
        do {
            let applied = try App.migrate(conninfo: url, logger: logger)
            print(applied.isEmpty ? "The database is up to date." : "Applied: \(applied.joined(separator: ", "))")
        } catch {
            logger.error("\(error)")
            throw ExitCode.failure
        }
    }
}

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the demo data set (location 'centrum', four agencies, logins).")

    func run() throws {
        let logger = makeLogger()
        let env = Environment()
        let (url, embedded) = try database(env, logger: logger)
        defer { try? embedded?.stop() }
        try App.migrate(conninfo: url, logger: logger)
        let db = try Connection(conninfo: url)
        defer { db.close() }
        print(try DemoData.load(db) ? "Loaded the demo data." : "The demo data is already there.")
    }
}

struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove personal data whose retention period has passed (the same purge `loket serve` runs every minute).",
        discussion: """
            Walk-in tickets at the end of their local day, appointments N days after they took place (per agency, \
            default 30), handover notes with their ticket. Reports are not affected: they come from anonymous visit \
            records. Prints how many rows each step purged.
            """)

    func run() throws {
        let logger = makeLogger()
        let env = Environment()
        let (url, embedded) = try database(env, logger: logger)
        defer { try? embedded?.stop() }
        do {
            try App.migrate(conninfo: url, logger: logger)
            let db = try Connection(conninfo: url)
            defer { db.close() }
            for (step, n) in try RetentionPurge.run(db, now: RetentionPurge.systemNow()) {
                print("\(step): \(n) purged")
            }
        } catch {
            logger.error("\(error)")
            throw ExitCode.failure
        }
    }
}
