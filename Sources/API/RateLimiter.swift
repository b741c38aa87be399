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
    private let windows = LockedValue<[String: (minute: Int64, count: Int)]>([:])

    init(perMinute: Int) {
        self.perMinute = perMinute
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
            var entry = w[request.clientAddress] ?? (minute, 0)
            if entry.minute != minute { entry = (minute, 0) }
            entry.count += 1
            w[request.clientAddress] = entry
            return entry.count <= perMinute
        }
        if !allowed {
            let seconds = 60 - Int(monotonicNanoseconds() / 1_000_000_000 % 60)
            throw Problem.tooManyRequests("Too many tickets from this device. Please wait a moment or ask a staff member.",
                                          retryAfterSeconds: max(1, seconds))
        }
    }
}
