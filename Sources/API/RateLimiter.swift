import Credentials
import HTTP
import Locking
import Postgres

/// Limits how many tickets one anonymous client address may take per minute, so one person cannot flood the queue
/// from a phone. Registered kiosks (device token in `Loket-Device`) are exempt: a whole hall shares them.
///
/// Counting is in memory per process (a fixed one-minute window per address); with several processes the limit
/// applies per process, which still stops a flood.
final class RateLimiter: Sendable {
    let perMinute: Int
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (a TLS proxy in front of Loket).
    let trustedProxies: Set<String>
    private let windows = LockedValue<[String: (minute: Int64, count: Int)]>([:])

    init(perMinute: Int, trustedProxies: Set<String> = []) {
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

    func check(_ request: Request, db: Connection) throws {
        guard perMinute > 0 else { return }
        if let device = request.header("loket-device"), !device.isEmpty {
            let location = request.parameter("locationId")
            if try db.query(Query(Statements.admin["kiosk_device_valid"], PostgresValue.bytes(Credentials.tokenDigest(device)), location)).first != nil {
                return
            }
            throw Problem.forbidden("This kiosk's device token is not valid for this location.")
        }
        let minute = Int64(monotonicNanoseconds() / 60_000_000_000)
        let allowed: Bool = windows.withValue { w in
            if w.count > 100_000 { w = w.filter { $0.value.minute == minute } }
            let key = clientKey(request)
            var entry = w[key] ?? (minute, 0)
            if entry.minute != minute { entry = (minute, 0) }
            entry.count += 1
            w[key] = entry
            return entry.count <= perMinute
        }
        if !allowed {
            let seconds = 60 - Int(monotonicNanoseconds() / 1_000_000_000 % 60)
            throw Problem.tooManyRequests("Too many tickets from this device. Please wait a moment or ask a staff member.",
                                          retryAfterSeconds: max(1, seconds))
        }
    }
}
