import Credentials
import HTTP
import Locking
import Postgres

/// Counts attempts per client address in fixed one-minute windows, in memory per process (with several processes
/// a limit applies per process, which still stops a flood). Shared by the ticket limit and the login limit.
final class AddressWindows: Sendable {
    let perMinute: Int
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (a TLS proxy in front of Loket).
    let trustedProxies: Set<String>
    private let windows = LockedValue<[String: (minute: Int64, count: Int)]>([:])

    init(perMinute: Int, trustedProxies: Set<String>) {
        self.perMinute = perMinute
        self.trustedProxies = trustedProxies
    }

    /// Who is counted: the client address, taken from `X-Forwarded-For` only when the peer is a trusted proxy (the
    /// right-most address not itself a trusted proxy), and for IPv6 the /64 network, since one phone can rotate
    /// through the addresses of its /64 at will.
    func clientKey(_ request: Request) -> String {
        var address = request.clientAddress
        if trustedProxies.contains(address), let forwarded = request.header("x-forwarded-for") {
            let hops = forwarded.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
            if let client = hops.last(where: { !trustedProxies.contains($0) }) { address = client }
        }
        guard address.contains(":") else { return address }
        // Expand "::" and keep the first four groups.
        let halves = address.split(separator: "::", omittingEmptySubsequences: false).map { $0.split(separator: ":").map(String.init) }
        var groups = halves[0]
        if halves.count > 1 { groups += Array(repeating: "0", count: max(0, 8 - halves[0].count - halves[1].count)) + halves[1] }
        return groups.prefix(4).map { String(Int($0, radix: 16) ?? 0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// Counts one attempt of `key`. Nil when it is allowed, else the seconds until the window ends (for Retry-After).
    func count(_ key: String) -> Int? {
        guard perMinute > 0 else { return nil }
        let minute = Int64(monotonicNanoseconds() / 60_000_000_000)
        let allowed: Bool = windows.withValue { w in
            if w.count > 100_000 { w = w.filter { $0.value.minute == minute } }
            var entry = w[key] ?? (minute, 0)
            if entry.minute != minute { entry = (minute, 0) }
            entry.count += 1
            w[key] = entry
            return entry.count <= perMinute
        }
        return allowed ? nil : max(1, 60 - Int(monotonicNanoseconds() / 1_000_000_000 % 60))
    }

    /// Takes back one counted attempt (still in the same window), e.g. a login that succeeded.
    func refund(_ key: String) {
        guard perMinute > 0 else { return }
        let minute = Int64(monotonicNanoseconds() / 60_000_000_000)
        windows.withValue { w in
            if let entry = w[key], entry.minute == minute, entry.count > 0 { w[key] = (minute, entry.count - 1) }
        }
    }
}

/// Limits how many tickets one anonymous client address may take per minute, so one person cannot flood the queue
/// from a phone. Registered kiosks (device token in `Loket-Device`) are exempt: a whole hall shares them.
final class RateLimiter: Sendable {
    let windows: AddressWindows
    var perMinute: Int { windows.perMinute }

    init(perMinute: Int, trustedProxies: Set<String> = []) {
        windows = AddressWindows(perMinute: perMinute, trustedProxies: trustedProxies)
    }

    func clientKey(_ request: Request) -> String { windows.clientKey(request) }

    func check(_ request: Request, db: Connection) throws {
        guard perMinute > 0 else { return }
        if let device = request.header("loket-device"), !device.isEmpty {
            let location = request.parameter("locationId")
            if try db.first(KioskDeviceValid(tokenHash: .bytes(Credentials.tokenDigest(device)), locationID: location)) != nil {
                return
            }
            throw Problem.forbidden("This kiosk's device token is not valid for this location.")
        }
        if let seconds = windows.count(clientKey(request)) {
            throw Problem.tooManyRequests("Too many tickets from this device. Please wait a moment or ask a staff member.",
                                          retryAfterSeconds: seconds)
        }
    }
}

/// Limits login attempts per client address, before any database work or password hashing: a flood of made-up
/// usernames from one address is refused cheaply. Only attempts that do not succeed stay counted (a successful
/// login, or one turned away because every hashing place was taken, is refunded), so a whole office behind one NAT
/// address can still log in at opening time.
final class LoginAddressLimiter: Sendable {
    let windows: AddressWindows

    init(perMinute: Int, trustedProxies: Set<String>) {
        windows = AddressWindows(perMinute: perMinute, trustedProxies: trustedProxies)
    }

    /// Counts this attempt and returns the key to refund on success; throws 429 when the address is over its limit.
    func reserve(_ request: Request) throws -> String {
        let key = windows.clientKey(request)
        if let seconds = windows.count(key) {
            throw Problem.tooManyRequests("Too many login attempts from this address. Try again in \(seconds) seconds.",
                                          retryAfterSeconds: seconds)
        }
        return key
    }

    func refund(_ key: String) { windows.refund(key) }
}
