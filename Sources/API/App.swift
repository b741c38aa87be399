import HTTP
import Logging
import Migrations
import Postgres
import Queue
import Time

/// Settings of a running Loket, read from the environment by the `loket` command (see README).
public struct AppConfiguration: Sendable {
    public var databaseURL: String
    public var server = ServerConfiguration()
    /// Worker threads that run database work; each can hold one pooled connection.
    public var workerThreads = 16
    /// Where the kiosk pages and assets are (`kiosk/` of the repository).
    public var kioskDirectory = "kiosk"
    /// Bootstrap admin token from `LOKET_ADMIN_TOKEN`; nil → generated on first start and printed once.
    public var adminToken: String?
    public var sessionHours = 12
    /// `LOKET_SESSION_IDLE_MINUTES`: a session unused this long ends (0: only the absolute `sessionHours`).
    public var sessionIdleMinutes = 30
    /// Tickets per minute one anonymous client address may take (0 = no limit).
    public var ticketRatePerMinute = 10
    /// Anonymous bookings, holds and manage-link changes per minute one client address may make (0 = no limit).
    public var bookingRatePerMinute = 10
    /// Unexpired holds one anonymous client address may have at once (0 = no limit).
    public var holdsPerAddress = 3
    /// Addresses never subject to the booking limits: a form server (Open Formulieren) booking for every citizen.
    public var bookingLimitExempt: Set<String> = []
    /// Reverse proxies whose `X-Forwarded-For` header names the real client (for the per-address limit).
    public var trustedProxies: Set<String> = []
    /// The public base URL (e.g. https://loket.example.nl) for links printed on tickets; nil → from the Host header.
    public var publicURL: String?
    /// Load the demo data set after migrating (the embedded default only; never for a configured database).
    public var loadDemoData = false
    /// Run the day-end and clean-up jobs in this process.
    public var runJobs = true
    /// `LOKET_METRICS_TOKEN`: bearer token for `/metrics` from non-loopback clients (nil → loopback only).
    public var metricsToken: String?
    /// Login attempts per minute that one client address may make without succeeding (0 = no limit).
    public var loginAttemptsPerMinute = 10
    /// Threads that check login passwords (Argon2id), apart from the database workers; default half the cores.
    public var passwordHashingThreads = PasswordChecks.defaultThreads
    /// The one source of "now" for every statement that needs the time (tests set a `ManualClock`).
    public var clock: any Clock = SystemClock()
    /// How long a hold (`hold: true` on POST /api/v1/appointments) keeps its slot while a form is completed.
    public var appointmentHoldMinutes = 10
    /// Mail to citizens through the outbox (see OutboxSender and README "Mail to citizens").
    public var mail = MailConfiguration()
    /// Where spoken texts are cached as Ogg Opus files (`<LOKET_DATA>/speech`).
    public var speechDirectory = ".loket/speech"
    /// Check-in: minutes before its start that an appointment's ticket is due (`AppointmentQueueRule.leadMinutes`).
    public var checkInLeadMinutes = AppointmentQueueRule.standard.leadMinutes
    /// Check-in: minutes after the start a visitor still counts as on time (`AppointmentQueueRule.graceMinutes`).
    public var checkInGraceMinutes = AppointmentQueueRule.standard.graceMinutes
    /// Contact person: minutes a ticket drawn with their code (or handed over to them by name) waits for them alone
    /// while they are on duty, before any qualified colleague may call it (`LOKET_CONTACT_WAIT_MINUTES`).
    public var contactWaitMinutes = 20

    public init(databaseURL: String) {
        self.databaseURL = databaseURL
    }
}

/// Mail to citizens: where to send (`LOKET_SMTP_URL`; nil → messages wait in the outbox) and how patiently.
public struct MailConfiguration: Sendable {
    /// `smtp://host:port`, `smtp://host:587?starttls=required`, `smtps://host:465`, with `user:password@` to log in.
    public var smtpURL: String?
    /// The sender address (`LOKET_MAIL_FROM`); nil → `no-reply@<host of LOKET_PUBLIC_URL>`.
    public var from: String?
    /// `LOKET_MANAGE_URL`: the citizen's page for their appointment with `{token}`; nil → `<public URL>/mijn-afspraak/{token}`.
    public var manageURLTemplate: String?
    /// How often each process looks for due messages.
    public var pollSeconds = 10
    /// How long a claim lasts: a process that dies mid-send leaves its messages to others after this (the window in
    /// which a message can be sent twice). The SMTP transfer's own timeout is kept below it.
    public var leaseSeconds = 300
    /// The first retry's delay; each further failure doubles it (capped at 6 hours).
    public var retrySeconds = 60
    /// Claims (tries) before a message is marked failed.
    public var maxAttempts = 10
    /// Messages claimed per round by one process.
    public var batchSize = 20

    public init() {}
}

/// The Loket application: the database pool, the event relay, background jobs and the HTTP routes.
public final class App: @unchecked Sendable {
    public let configuration: AppConfiguration
    public let pool: ConnectionPool
    public let logger: Logger
    public let metrics = HTTPMetrics()
    let events: EventHub
    let authenticator: Authenticator
    let files: StaticFiles
    let texts: Translations
    let rateLimiter: RateLimiter
    /// Anonymous bookings and holds per address (slot hoarding).
    let bookingLimiter: BookingLimiter
    let logins: LoginGuard
    /// The wait estimate's inputs per service, shared by the takes of a second or two.
    let waitInputs = WaitInputsCache()
    /// Spoken texts for the kiosk and display: their cache and the threads they are rendered on.
    let speech: SpeechService
    /// Where `/readyz` runs: two threads and a short queue of their own, so a readiness check never waits behind
    /// database work stuck on the workers; when both are busy too, the server answers 503 at once.
    let readiness = WorkerPool(threads: 2, maxQueued: 2, name: "loket-ready")
    private var server: HTTPServer?
    private var jobs: Jobs?
    private var outboxSender: OutboxSender?

    /// A one-time bootstrap admin token generated at start, to print (nil when configured or already existing).
    public private(set) var generatedAdminToken: String?

    public init(configuration: AppConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        pool = ConnectionPool(conninfo: configuration.databaseURL, maxConnections: configuration.workerThreads + 2)
        events = EventHub(logger: logger)
        files = StaticFiles(root: configuration.kioskDirectory)
        texts = Translations(files: files)
        rateLimiter = RateLimiter(perMinute: configuration.ticketRatePerMinute, trustedProxies: configuration.trustedProxies)
        bookingLimiter = BookingLimiter(perMinute: configuration.bookingRatePerMinute, maxHolds: configuration.holdsPerAddress,
                                        trustedProxies: configuration.trustedProxies, exempt: configuration.bookingLimitExempt)
        logins = LoginGuard(configuration: configuration)
        speech = SpeechService(directory: configuration.speechDirectory)
        authenticator = Authenticator(clock: configuration.clock, idleMinutes: configuration.sessionIdleMinutes)
        ErrorReporter.install { [logger] error, route in logger.error("unexpected error in \(route): \(error)") }
    }

    /// The bundled migrations.
    public static var migrations: [Migration] {
        BundledMigrations.all.map { Migration(version: $0.version, name: $0.name, sql: $0.sql) }
    }

    /// The bundled repeatable files (functions, views), applied after the migrations on every migrate.
    public static var repeatableMigrations: [RepeatableMigration] {
        BundledFunctions.all.map { RepeatableMigration(name: $0.name, sql: $0.sql) }
    }

    /// Applies pending migrations, then the repeatable files (safe to run from several processes at once).
    @discardableResult
    public static func migrate(conninfo: String, logger: Logger) throws -> [String] {
        let db = try Connection(conninfo: conninfo, applicationName: "loket-migrate")
        defer { db.close() }
        return try Migrator(migrations: migrations, repeatables: repeatableMigrations, logger: logger).migrate(db)
    }

    /// Migrates, prepares the bootstrap token, starts the event relay, jobs and the HTTP server.
    public func start() throws {
        try Self.migrate(conninfo: configuration.databaseURL, logger: logger)
        let db = try Connection(conninfo: configuration.databaseURL)
        defer { db.close() }
        if configuration.loadDemoData, try DemoData.load(db) { logger.info("loaded the demo data") }
        generatedAdminToken = try Authenticator.ensureBootstrapToken(db, configured: configuration.adminToken)
        try events.start(conninfo: configuration.databaseURL, head: db)
        if configuration.runJobs {
            let jobs = Jobs(app: self)
            jobs.start()
            self.jobs = jobs
            let sender = try OutboxSender(app: self)
            sender.start()
            outboxSender = sender
        }
        registerMetrics()
        let workers = WorkerPool(threads: configuration.workerThreads)
        let server = HTTPServer(router: makeRouter(), workers: workers, metrics: metrics,
                                configuration: configuration.server, logger: logger)
        try server.start()
        self.server = server
    }

    /// The bound port (useful with port 0 in tests).
    public var port: Int { server?.port ?? 0 }

    /// Graceful stop: HTTP first (in-flight requests finish), then jobs, relay and the pool.
    public func stop() {
        events.stop()
        server?.stop()
        server?.workers.shutdown()
        logins.shutdown()
        speech.shutdown()
        readiness.shutdown()
        jobs?.stop()
        outboxSender?.stop()
        pool.closeIdle()
    }

    private func registerMetrics() {
        let pool = self.pool
        metrics.register(name: "loket_db_pool_connections", help: "Pooled database connections by state.") {
            let s = pool.statistics
            return [("state=\"in_use\"", Double(s.inUse)), ("state=\"idle\"", Double(s.idle))]
        }
        metrics.register(name: "loket_db_errors_total", help: "Database connection failures and unexpected database errors.",
                         type: "counter") {
            [("", Double(pool.statistics.databaseErrors))]
        }
        let events = self.events
        metrics.register(name: "loket_event_streams", help: "Open Server-Sent Event streams.") {
            [("", Double(events.subscriberCount))]
        }
        metrics.register(name: "loket_event_relay_connected", help: "1 when the LISTEN connection is up.") {
            [("", events.isConnected ? 1 : 0)]
        }
    }

    /// Every route of the service. Tests use this router in-process; the OpenAPI test compares it with the document.
    public func makeRouter() -> Router {
        var r = RouteBuilder()
        // Features: routes declared once, with access and OpenAPI operation (see RouteCollection.swift)
        registerFeatures(&r)
        return Router(routes: r.routes, errorMapper: { ErrorMapping.problem(for: $0) })
    }
}
