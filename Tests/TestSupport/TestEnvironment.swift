import API
import EmbeddedPostgres
import Foundation
import Logging
import Postgres

/// The PostgreSQL server the tests use: `LOKET_TEST_DATABASE_URL` (set by `deploy/test`, which starts a throwaway
/// server), or else an embedded cluster of the tests' own under /tmp. Each test case gets a fresh database.
public enum TestPostgres {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cachedAdminURL: String?
    nonisolated(unsafe) private static var cluster: EmbeddedCluster?

    public static let logger: Logger = {
        var l = Logger(label: "loket-test")
        l.logLevel = ProcessInfo.processInfo.environment["LOKET_TEST_LOG"] == "1" ? .info : .critical
        return l
    }()

    /// A URL for the server's maintenance database (`postgres`).
    public static var adminURL: String {
        lock.lock()
        defer { lock.unlock() }
        if let cachedAdminURL { return cachedAdminURL }
        if let url = ProcessInfo.processInfo.environment["LOKET_TEST_DATABASE_URL"], !url.isEmpty {
            cachedAdminURL = url
            return url
        }
        let c = EmbeddedCluster(dataDirectory: "/tmp/loket-swift-test-\(getuid())", logger: logger)
        do {
            let loketURL = try c.start()
            cluster = c
            cachedAdminURL = loketURL.replacingOccurrences(of: "/loket?", with: "/postgres?")
            return cachedAdminURL!
        } catch {
            fatalError("No test database: set LOKET_TEST_DATABASE_URL or install PostgreSQL (\(error))")
        }
    }

    /// Creates an empty database and returns its URL.
    public static func createDatabase(prefix: String = "loket_test") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try Connection(conninfo: adminURL)
        defer { admin.close() }
        try admin.execute(SQL(unsafeUnchecked: "CREATE DATABASE \(name)"))
        return url(adminURL, database: name)
    }

    public static func dropDatabase(_ url: String) {
        guard let name = databaseName(url), let admin = try? Connection(conninfo: adminURL) else { return }
        defer { admin.close() }
        _ = try? admin.execute(SQL(unsafeUnchecked: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
    }

    /// Replaces the database name of a libpq URI.
    public static func url(_ base: String, database: String) -> String {
        guard let schemeEnd = base.range(of: "://") else { return base }
        let afterScheme = base[schemeEnd.upperBound...]
        let query = afterScheme.firstIndex(of: "?").map { String(afterScheme[$0...]) } ?? ""
        let pathAndAuthority = afterScheme.firstIndex(of: "?").map { afterScheme[..<$0] } ?? afterScheme
        let authority = pathAndAuthority.firstIndex(of: "/").map { pathAndAuthority[..<$0] } ?? pathAndAuthority
        return String(base[..<schemeEnd.upperBound]) + authority + "/" + database + query
    }

    static func databaseName(_ url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let afterSlash = rest[rest.index(after: slash)...]
        return String(afterSlash.prefix { $0 != "?" })
    }
}

/// A running Loket (in this process) on a fresh database, on a free loopback port.
public final class TestApp: @unchecked Sendable {
    public static let adminToken = "test-admin-token-0123456789"
    public let databaseURL: String
    public let app: App
    public let client: HTTPClient
    public var admin: HTTPClient { client.with(bearer: Self.adminToken) }

    public init(databaseURL: String? = nil, ticketRatePerMinute: Int = 0, configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        let url = try databaseURL ?? TestPostgres.createDatabase()
        self.databaseURL = url
        var c = AppConfiguration(databaseURL: url)
        c.server.port = 0
        c.server.drainSeconds = 2
        c.adminToken = Self.adminToken
        c.ticketRatePerMinute = ticketRatePerMinute
        // Tests book many appointments from one address; the booking limits have their own tests (BookingLimitTests).
        c.bookingRatePerMinute = 0
        c.holdsPerAddress = 0
        // Tests move a ManualClock by hours between requests; idle expiry has its own tests (AccessTests).
        c.sessionIdleMinutes = 0
        c.kioskDirectory = TestApp.repositoryRoot + "/kiosk"
        configure(&c)
        app = App(configuration: c, logger: TestPostgres.logger)
        try app.start()
        client = HTTPClient(port: app.port)
    }

    public func stop() { app.stop() }

    /// Stops the server and drops its database.
    public func tearDown() {
        app.stop()
        TestPostgres.dropDatabase(databaseURL)
    }

    /// A direct database connection for assertions.
    public func connection() throws -> Connection { try Connection(conninfo: databaseURL) }

    public static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    /// The built `loket` binary next to the test bundle, for tests that need a separate process.
    public static var loketBinary: String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("loket").path
    }
}
