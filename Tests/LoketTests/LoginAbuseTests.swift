@testable import API
import HTTP
import Foundation
import Postgres
import TestSupport
import Time
import XCTest

/// Login floods and password guessing against a real server: they must neither stall the queue nor get more
/// password checks than the throttle allows.
final class LoginAbuseTests: XCTestCase {

    /// 48 parallel logins with made-up usernames from ever-changing addresses (so the per-address limit does not
    /// help; behind a trusted proxy) while a kiosk takes numbers. Password hashing runs on its own bounded pool, so
    /// taking a number stays fast and never fails; logins may be refused with 429/503.
    func testLoginFloodDoesNotStallTakingNumbers() throws {
        // Behind a reverse proxy every connection comes from the proxy's address, so the per-address connection
        // limit is off there (README); the proxy limits connections per client.
        let t = try TestApp { $0.trustedProxies = ["127.0.0.1"]; $0.server.connectionsPerAddress = 0 }
        defer { t.tearDown() }
        let w = try World.make(t)
        let stop = LockedFlag()
        let loginStatuses = Statuses()
        let group = DispatchGroup()
        for _ in 0..<48 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while !stop.isSet {
                    let address = "10.\(Int.random(in: 0...255)).\(Int.random(in: 0...255)).\(Int.random(in: 1...254))"
                    let r = try? t.client.post("/api/v1/sessions", json: ["username": "flood-\(UUID().uuidString.prefix(12))",
                                                                            "password": "not the password"],
                                                headers: ["X-Forwarded-For": address])
                    // A refusal without Retry-After counts as a wrong answer (0).
                    let refused = r.map { [429, 503].contains($0.status) } ?? false
                    loginStatuses.add(refused && r?.header("retry-after") == nil ? 0 : r?.status ?? -1)
                }
            }
        }
        // Let the flood build up before measuring.
        Thread.sleep(forTimeInterval: 0.5)
        var takeMillis: [Double] = []
        var takeStatuses: [Int] = []
        let end = Date().addingTimeInterval(4)
        while Date() < end {
            let start = Date()
            let r = try t.client.post("/api/v1/locations/\(w.locationID)/tickets", json: ["serviceId": w.serviceA])
            takeMillis.append(Date().timeIntervalSince(start) * 1000)
            takeStatuses.append(r.status)
        }
        stop.set()
        group.wait()

        let logins = loginStatuses.all
        XCTAssertGreaterThan(logins.count, 48, "the flood ran")
        XCTAssertEqual(Set(logins).subtracting([401, 429, 503]), [], "logins are refused (with Retry-After), never crash or time out")
        XCTAssertTrue(logins.contains(503), "a full hashing queue refuses at once: \(histogram(logins))")
        XCTAssertEqual(Set(takeStatuses), [201], "taking a number never fails during a login flood")
        let median = takeMillis.sorted()[takeMillis.count / 2]
        print("login flood: take-a-number median \(Int(median)) ms over \(takeMillis.count) numbers; logins \(histogram(logins))")
        XCTAssertLessThan(median, 100, "take-a-number median \(median) ms during the flood; logins: \(histogram(logins))")
    }

    /// One address may make 3 (configured) unsuccessful attempts per minute; successful logins are not counted, so
    /// an office behind one address can log in. IPv6 clients behind a trusted proxy count per /64.
    func testLoginAttemptsAreLimitedPerAddress() throws {
        let t = try TestApp { $0.loginAttemptsPerMinute = 3; $0.trustedProxies = ["127.0.0.1"] }
        defer { t.tearDown() }
        _ = try World.make(t)
        func login(_ user: String, _ password: String, from address: String) throws -> HTTPResponse {
            try t.client.post("/api/v1/sessions", json: ["username": user, "password": password], headers: ["X-Forwarded-For": address])
        }
        for _ in 0..<5 {
            XCTAssertEqual(try login("anna-centrum", "correct horse battery", from: "192.0.2.7").status, 201, "successes are refunded")
        }
        XCTAssertEqual(try login("ghost-1", "wrong password", from: "2001:db8:1:2::1").status, 401)
        XCTAssertEqual(try login("ghost-2", "wrong password", from: "2001:db8:1:2:aaaa::5").status, 401)
        XCTAssertEqual(try login("ghost-3", "wrong password", from: "2001:db8:1:2:ffff:ffff:ffff:ffff").status, 401)
        let limited = try login("ghost-4", "wrong password", from: "2001:db8:1:2::9")
        XCTAssertEqual(limited.status, 429, "the same /64: \(limited.text)")
        XCTAssertNotNil(Int(limited.header("retry-after") ?? ""))
        XCTAssertEqual(try login("anna-centrum", "correct horse battery", from: "2001:db8:1:2::9").status, 429,
                       "the address is refused before its password is looked at")
        XCTAssertEqual(try login("ghost-5", "wrong password", from: "2001:db8:1:3::1").status, 401, "another /64 is another client")
        XCTAssertEqual(try login("anna-centrum", "correct horse battery", from: "192.0.2.7").status, 201)
        // Without a trusted proxy, X-Forwarded-For is ignored: loopback itself is the client.
        let direct = try TestApp(databaseURL: nil) { $0.loginAttemptsPerMinute = 2 }
        defer { direct.tearDown() }
        var statuses: [Int] = []
        for i in 0..<3 {
            statuses.append(try direct.client.post("/api/v1/sessions", json: ["username": "ghost-\(i)", "password": "wrong password"],
                                                   headers: ["X-Forwarded-For": "198.51.100.\(i)"]).status)
        }
        XCTAssertEqual(statuses, [401, 401, 429])
    }

    /// A username no account can have (wrong shape, or kilobytes of text) or an oversized password is a wrong login:
    /// 401, counted against the address, and nothing reaches the throttle table. Before the check, 3 KB of text as
    /// the throttle's primary key broke the btree row size (SQLSTATE 54000, a 500) and short junk stayed a day.
    func testImpossibleUsernamesAndHugePasswordsAre401AndNeverStored() throws {
        let t = try TestApp { $0.loginAttemptsPerMinute = 5; $0.trustedProxies = ["127.0.0.1"] }
        defer { t.tearDown() }
        _ = try World.make(t)
        func login(_ user: String, _ password: String, from address: String) throws -> HTTPResponse {
            try t.client.post("/api/v1/sessions", json: ["username": user, "password": password], headers: ["X-Forwarded-For": address])
        }
        var random = SystemRandomNumberGenerator()
        let junk = String((0..<3_000).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &random))) })
        let huge = try login(junk, "wrong password", from: "192.0.2.10")
        XCTAssertEqual(huge.status, 401, huge.text)
        XCTAssertEqual(huge.header("content-type"), "application/problem+json")
        for bad in ["a", "-anna", "anna centrum", "anna/centrum", "ännä", String(repeating: "a", count: 65)] {
            XCTAssertEqual(try login(bad, "wrong password", from: "192.0.2.\(bad.count)").status, 401, bad)
        }
        // The right account with a password over 1,024 bytes is refused before hashing.
        XCTAssertEqual(try login("anna-centrum", String(repeating: "p", count: 1_025), from: "192.0.2.20").status, 401)
        let db = try t.connection()
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM login_throttle")).first?.int("n"), 0,
                       "impossible names never reach the database")
        // Still counted per address: 5 per minute, then 429.
        for i in 0..<5 { XCTAssertEqual(try login("x", "p", from: "198.51.100.1").status, 401, "attempt \(i)") }
        XCTAssertEqual(try login("x", "p", from: "198.51.100.1").status, 429)
        // Letter case and spaces around a real name are still fine, as are the longest allowed shapes.
        XCTAssertEqual(try login("  Anna-Centrum ", "correct horse battery", from: "192.0.2.30").status, 201)
        XCTAssertEqual(try login("a." + String(repeating: "b", count: 62), "wrong password", from: "192.0.2.31").status, 401)
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM login_throttle")).first?.int("n"), 1,
                       "a possible name is throttled as before")
    }

    /// The per-address windows, in process with given times: the limit per key, a new minute starting afresh, the
    /// cap on addresses per minute refusing new ones (never scanning), and refunds.
    func testAddressWindowsCountPerMinuteAndCapTheirKeys() {
        let w = AddressWindows(perMinute: 2, trustedProxies: [], maxKeys: 3)
        let minute: UInt64 = 60_000_000_000
        let t0 = 1_000 * minute + 10_000_000_000  // 10 s into a minute
        XCTAssertNil(w.count("a", at: t0))
        XCTAssertNil(w.count("a", at: t0))
        XCTAssertEqual(w.count("a", at: t0), 50, "over the limit: Retry-After is the rest of the minute")
        w.refund("a", at: t0)
        XCTAssertEqual(w.count("a", at: t0), 50, "one refund takes back one of the three counted")
        w.refund("a", at: t0)
        w.refund("a", at: t0)
        XCTAssertNil(w.count("a", at: t0))
        XCTAssertNil(w.count("b", at: t0))
        XCTAssertNil(w.count("c", at: t0))
        XCTAssertEqual(w.keyCount, 3)
        XCTAssertNotNil(w.count("d", at: t0), "a fourth address in one minute is refused, not scanned for")
        XCTAssertEqual(w.keyCount, 3, "and not stored")
        XCTAssertNil(w.count("b", at: t0), "addresses already counted keep their own limit")
        // The next minute starts empty: the old keys are gone at once.
        XCTAssertNil(w.count("d", at: t0 + minute))
        XCTAssertEqual(w.keyCount, 1)
        XCTAssertNil(w.count("a", at: t0 + minute))
        XCTAssertNil(w.count("a", at: t0 + minute))
        XCTAssertNotNil(w.count("a", at: t0 + minute))
        // A refund in a later minute does not reach back.
        w.refund("a", at: t0 + 2 * minute)
        XCTAssertEqual(w.keyCount, 0)

        // A big table is replaced, not filtered: 200,000 addresses with the default cap stay bounded.
        let big = AddressWindows(perMinute: 10, trustedProxies: [])
        for i in 0..<200_000 { _ = big.count("10.0.\(i / 256).\(i % 256)-\(i)", at: t0) }
        XCTAssertEqual(big.keyCount, 100_000)
        XCTAssertNotNil(big.count("new", at: t0))
        XCTAssertNil(big.count("new", at: t0 + minute))
        XCTAssertEqual(big.keyCount, 1)
    }

    /// IPv4 clients reported by a dual-stack proxy as IPv4-mapped IPv6 addresses are counted one by one, as IPv4;
    /// other IPv6 clients per /64.
    func testIPv4MappedAddressesAreCountedAsIPv4() {
        XCTAssertEqual(AddressWindows.key("::ffff:192.0.2.7"), "192.0.2.7")
        XCTAssertEqual(AddressWindows.key("::FFFF:198.51.100.9"), "198.51.100.9")
        XCTAssertEqual(AddressWindows.key("::ffff:c000:207"), "192.0.2.7")
        XCTAssertEqual(AddressWindows.key("0:0:0:0:0:ffff:192.0.2.8"), "192.0.2.8")
        XCTAssertEqual(AddressWindows.key("192.0.2.7"), "192.0.2.7")
        XCTAssertEqual(AddressWindows.key("2001:db8:1:2::9"), "2001:db8:1:2::/64")
        XCTAssertEqual(AddressWindows.key("2001:0db8:0001:0002:aaaa:0:0:5"), "2001:db8:1:2::/64")
        XCTAssertEqual(AddressWindows.key("fe80::1%eth0"), "fe80:0:0:0::/64")
        XCTAssertEqual(AddressWindows.key("::1"), "0:0:0:0::/64")

        let w = AddressWindows(perMinute: 1, trustedProxies: ["10.0.0.1"])
        func from(_ client: String) -> Request {
            Request(method: "POST", path: "/api/v1/sessions", headers: ["x-forwarded-for": client], clientAddress: "10.0.0.1")
        }
        XCTAssertNil(w.count(w.clientKey(from("::ffff:192.0.2.7"))))
        XCTAssertNil(w.count(w.clientKey(from("::ffff:192.0.2.8"))), "another IPv4 client is not limited by the first")
        XCTAssertNotNil(w.count(w.clientKey(from("::ffff:192.0.2.7"))))
        XCTAssertNotNil(w.count(w.clientKey(from("192.0.2.7"))), "mapped or not, one IPv4 client")
    }

    /// 60 parallel wrong passwords for one account: the attempt is reserved in the database before the password
    /// is checked, so exactly 5 reach verification (401) and the rest are refused (429) — the clock stands still.
    /// The right password is refused while throttled, and accepted once the delay has passed.
    func testParallelGuessesGetOnlyFiveChecks() throws {
        let clock = ManualClock(SystemClock().now())
        // Enough hashing places that no guess is turned away with 503: every one of them meets the throttle.
        let t = try TestApp { $0.clock = clock; $0.loginAttemptsPerMinute = 0; $0.passwordHashingThreads = 12 }
        defer { t.tearDown() }
        _ = try World.make(t)
        let statuses = Statuses()
        let group = DispatchGroup()
        let start = DispatchSemaphore(value: 0)
        for _ in 0..<60 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                start.wait()
                statuses.add((try? t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "guess guess"]))?.status ?? -1)
            }
        }
        for _ in 0..<60 { start.signal() }
        group.wait()
        let all = statuses.all
        XCTAssertEqual(all.filter { $0 == 401 }.count, 5, "password checks: \(histogram(all))")
        XCTAssertEqual(all.filter { $0 == 429 }.count, 55, histogram(all))
        let db = try t.connection()
        XCTAssertEqual(try db.query(Query("SELECT failures FROM login_throttle WHERE username = 'anna-centrum'")).first?.int("failures"), 5)

        let right = try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery"])
        XCTAssertEqual(right.status, 429, "the right password waits out the delay too")
        XCTAssertEqual(right.header("retry-after"), "1")
        clock.advance(seconds: 2)
        XCTAssertEqual(try t.client.post("/api/v1/sessions", json: ["username": "anna-centrum", "password": "correct horse battery"]).status, 201)
        XCTAssertEqual(try db.query(Query("SELECT count(*)::int AS n FROM login_throttle")).first?.int("n"), 0, "a success clears the count")
    }
}

private func histogram(_ statuses: [Int]) -> String {
    Dictionary(grouping: statuses, by: { $0 }).map { "\($0.key)×\($0.value.count)" }.sorted().joined(separator: " ")
}

private final class Statuses: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []
    func add(_ v: Int) { lock.lock(); values.append(v); lock.unlock() }
    var all: [Int] { lock.lock(); defer { lock.unlock() }; return values }
}

private final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
