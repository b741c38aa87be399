import Credentials
import HTTP
import Locking
import Postgres
import Time

/// Counts attempts per client address in fixed one-minute windows, in memory per process (with several processes
/// a limit applies per process, which still stops a flood). Shared by the ticket limit and the login limit.
///
/// The counts of one minute are one generation, replaced whole when the minute changes (the old one is freed
/// outside the shared lock), so old keys go without any call scanning the table under the lock. A generation holds at most
/// `maxKeys` addresses: when a flood from ever-new addresses fills it, further new addresses are refused (429) until
/// the minute ends, rather than growing memory without bound; addresses already counted keep their own limit.
final class AddressWindows: Sendable {
    let perMinute: Int
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (a TLS proxy in front of Loket).
    let trustedProxies: Set<String>
    /// The most addresses one minute counts; new addresses beyond it are refused.
    let maxKeys: Int
    private let generation = LockedValue(Generation())

    /// The counts of one minute.
    struct Generation {
        var minute: Int64 = .min
        var counts: [String: Int] = [:]

        /// Moves to `minute`, returning the counts of the minute that ended (nil when it is the same minute), for
        /// the caller to free after releasing the lock. O(1): the dictionary is replaced, never filtered.
        mutating func advance(to minute: Int64) -> [String: Int]? {
            guard minute != self.minute else { return nil }
            defer { counts = [:]; self.minute = minute }
            return counts
        }
    }

    init(perMinute: Int, trustedProxies: Set<String>, maxKeys: Int = 100_000) {
        self.perMinute = perMinute
        self.trustedProxies = trustedProxies
        self.maxKeys = max(1, maxKeys)
    }

    /// Who is counted: the client address, taken from `X-Forwarded-For` only when the peer is a trusted proxy (the
    /// right-most address not itself a trusted proxy), and for IPv6 the /64 network, since one phone can rotate
    /// through the addresses of its /64 at will. An IPv4 address mapped into IPv6 (`::ffff:192.0.2.7`, as a
    /// dual-stack proxy reports IPv4 clients) is counted as the IPv4 address: as a /64 all IPv4 clients would share
    /// one key, and one of them could use up the limit of all.
    func clientKey(_ request: Request) -> String {
        var address = request.clientAddress
        if trustedProxies.contains(address), let forwarded = request.header("x-forwarded-for") {
            let hops = forwarded.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
            if let client = hops.last(where: { !trustedProxies.contains($0) }) { address = client }
        }
        return Self.key(address)
    }

    /// The counting key of one address (see `clientKey`).
    static func key(_ address: String) -> String {
        guard address.contains(":") else { return address }
        // A zone (fe80::1%eth0) names the interface, not the client.
        let text = String(address.lowercased().split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)[0])
        guard let groups = ipv6Groups(text) else { return text }
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
            return [groups[6] >> 8, groups[6] & 0xFF, groups[7] >> 8, groups[7] & 0xFF].map(String.init).joined(separator: ".")
        }
        return groups.prefix(4).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The eight 16-bit groups of an IPv6 address ("::" expanded, a trailing dotted IPv4 part as two groups), or
    /// nil when it is not one.
    static func ipv6Groups(_ text: String) -> [Int]? {
        func parse(_ part: Substring) -> [Int]? {
            if part.isEmpty { return [] }
            var out: [Int] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, piece) in pieces.enumerated() {
                if i == pieces.count - 1, piece.contains(".") {
                    let octets = piece.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
                    guard octets.count == 4 else { return nil }
                    out += [Int(octets[0]) << 8 | Int(octets[1]), Int(octets[2]) << 8 | Int(octets[3])]
                } else {
                    guard piece.count <= 4, let v = Int(piece, radix: 16), v >= 0 else { return nil }
                    out.append(v)
                }
            }
            return out
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2, let head = parse(Substring(halves[0])) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = parse(Substring(halves[1])), head.count + tail.count < 8 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }

    /// Counts one attempt of `key`. Nil when it is allowed, else the seconds until the window ends (for Retry-After).
    func count(_ key: String) -> Int? { count(key, at: monotonicNanoseconds()) }

    /// `count` at a given monotonic time in nanoseconds.
    func count(_ key: String, at nanoseconds: UInt64) -> Int? {
        guard perMinute > 0 else { return nil }
        let minute = Int64(nanoseconds / 60_000_000_000)
        let (allowed, ended): (Bool, [String: Int]?) = generation.withValue { g in
            let ended = g.advance(to: minute)
            let seen = g.counts[key] ?? 0
            if seen == 0, g.counts.count >= maxKeys { return (false, ended) }
            g.counts[key] = seen + 1
            return (seen + 1 <= perMinute, ended)
        }
        _ = ended  // freed here, outside the lock
        return allowed ? nil : max(1, 60 - Int(nanoseconds / 1_000_000_000 % 60))
    }

    /// Takes back one counted attempt (still in the same window), e.g. a login that succeeded.
    func refund(_ key: String) { refund(key, at: monotonicNanoseconds()) }

    /// `refund` at a given monotonic time in nanoseconds.
    func refund(_ key: String, at nanoseconds: UInt64) {
        guard perMinute > 0 else { return }
        let minute = Int64(nanoseconds / 60_000_000_000)
        let ended: [String: Int]? = generation.withValue { g in
            let ended = g.advance(to: minute)
            if let n = g.counts[key], n > 0 { g.counts[key] = n - 1 }
            return ended
        }
        _ = ended
    }

    /// How many addresses the current minute counts.
    var keyCount: Int { generation.withValue { $0.counts.count } }
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

/// Stops slot hoarding by anonymous clients: bookings and holds (`POST /api/v1/appointments`) and changes through a
/// manage link count against `perMinute` per client address (same address rules as tickets), and one address may
/// hold at most `maxHolds` unexpired holds at a time — a script re-holding slots every few minutes would otherwise
/// keep a whole day "taken" from real citizens without booking anything. Signed-in staff and helpers are exempt, and
/// so are `exempt` addresses: a form server such as Open Formulieren books for every citizen from one address
/// (docs/open-forms.md) and must apply its own per-citizen limits.
///
/// Holds are counted in memory per process, like the per-minute windows (with several processes the cap applies per
/// process, which still bounds a script): each is remembered until it expires by the app's clock, or until it is
/// confirmed or cancelled (`released`). A hold claim is reserved before the booking's transaction and bound to the
/// appointment after it commits, so parallel requests from one address cannot all pass the check at once.
final class BookingLimiter: Sendable {
    let windows: AddressWindows
    let maxHolds: Int
    /// Counting keys (`AddressWindows.key`) of the addresses that are never limited.
    let exempt: Set<String>
    private let holds = LockedValue(Holds())

    /// The unexpired holds of each address; a claim without an appointment id is a booking still in its transaction.
    struct Holds {
        var byKey: [String: [Claim]] = [:]
        var keyOfAppointment: [String: String] = [:]
        var nextClaim: UInt64 = 0
        var claims = 0
        var sweepAt = 1_024

        struct Claim { let number: UInt64; var appointmentID: String?; let until: Instant }

        /// Forgets every expired hold once the table has doubled since the last sweep (amortised O(1) per claim).
        mutating func sweep(now: Instant) {
            guard claims >= sweepAt else { return }
            for (key, list) in byKey {
                let live = list.filter { $0.until > now }
                for gone in list where gone.until <= now { if let id = gone.appointmentID { keyOfAppointment[id] = nil } }
                byKey[key] = live.isEmpty ? nil : live
            }
            claims = byKey.values.reduce(0) { $0 + $1.count }
            sweepAt = max(1_024, claims * 2)
        }
    }

    /// A reserved place for one hold, to `bind` after the booking commits or `release` when it fails.
    struct HoldClaim: Sendable { let key: String; let number: UInt64 }

    init(perMinute: Int, maxHolds: Int, trustedProxies: Set<String>, exempt: Set<String> = []) {
        windows = AddressWindows(perMinute: perMinute, trustedProxies: trustedProxies)
        self.maxHolds = maxHolds
        self.exempt = Set(exempt.map(AddressWindows.key))
    }

    func clientKey(_ request: Request) -> String { windows.clientKey(request) }

    /// Counts one anonymous booking or manage-link change; 429 with Retry-After when the address is over its limit.
    func check(_ request: Request) throws {
        let key = clientKey(request)
        if exempt.contains(key) { return }
        if let seconds = windows.count(key) {
            throw Problem.tooManyRequests("Too many bookings from this address. Please wait a minute, or call or visit the desk.",
                                          retryAfterSeconds: seconds)
        }
    }

    /// Reserves a place for one more hold of the request's address until `until`; 429 when the address already holds
    /// `maxHolds` unexpired ones (Retry-After: until the first of them expires). Nil when the cap is off.
    func claimHold(_ request: Request, now: Instant, until: Instant) throws -> HoldClaim? {
        guard maxHolds > 0 else { return nil }
        let key = clientKey(request)
        if exempt.contains(key) { return nil }
        let result: Result<UInt64, Problem> = holds.withValue { h in
            h.sweep(now: now)
            let live = (h.byKey[key] ?? []).filter { $0.until > now }
            for gone in h.byKey[key] ?? [] where gone.until <= now { if let id = gone.appointmentID { h.keyOfAppointment[id] = nil } }
            h.claims -= (h.byKey[key]?.count ?? 0) - live.count
            guard live.count < maxHolds else {
                h.byKey[key] = live
                let first = live.map(\.until).min() ?? until
                let seconds = max(1, Int((first.microseconds - now.microseconds + 999_999) / 1_000_000))
                return .failure(Problem.tooManyRequests(
                    "This address already holds \(maxHolds) times that are not yet confirmed. Confirm or cancel one, or wait until a hold expires.",
                    retryAfterSeconds: seconds))
            }
            h.nextClaim += 1
            h.byKey[key] = live + [Holds.Claim(number: h.nextClaim, appointmentID: nil, until: until)]
            h.claims += 1
            return .success(h.nextClaim)
        }
        return HoldClaim(key: key, number: try result.get())
    }

    /// The hold was booked as appointment `id`: it counts until it expires, is confirmed or cancelled.
    func bind(_ claim: HoldClaim, appointmentID id: String) {
        holds.withValue { h in
            guard let i = h.byKey[claim.key]?.firstIndex(where: { $0.number == claim.number }) else { return }
            h.byKey[claim.key]![i].appointmentID = id
            h.keyOfAppointment[id] = claim.key
        }
    }

    /// The booking failed: its place is free again.
    func release(_ claim: HoldClaim) {
        holds.withValue { h in
            guard let list = h.byKey[claim.key], let i = list.firstIndex(where: { $0.number == claim.number }) else { return }
            var rest = list
            rest.remove(at: i)
            h.byKey[claim.key] = rest.isEmpty ? nil : rest
            h.claims -= 1
        }
    }

    /// Appointment `id` is no longer held (confirmed or cancelled): it stops counting against its address.
    func released(appointmentID id: String) {
        holds.withValue { h in
            guard let key = h.keyOfAppointment.removeValue(forKey: id), let list = h.byKey[key] else { return }
            let rest = list.filter { $0.appointmentID != id }
            h.byKey[key] = rest.isEmpty ? nil : rest
            h.claims -= list.count - rest.count
        }
    }
}
