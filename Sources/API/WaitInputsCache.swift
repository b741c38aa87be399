import Locking
import Time

/// The wait estimate's inputs per service (recent service durations, active desks), kept for `refreshSeconds` by the
/// app's clock. Every take-a-number of a service within that time shares one read of them (`wait_inputs`), instead
/// of reading them inside take_number, whose counter row is locked until commit (README, "Take a number over many
/// counters"). The price: a new ticket's estimate (whole minutes) may miss a visit finished in the last
/// `refreshSeconds`; the queue position is still read in the take itself, and a ticket's status page reads fresh.
final class WaitInputsCache: @unchecked Sendable {
    struct Inputs: Sendable {
        let recentSeconds: [Double]
        let activeDesks: Int
    }
    private struct Entry {
        let inputs: Inputs
        let read: Instant
    }

    /// How long one read serves a service's takes.
    let refreshSeconds: Int64
    /// Services are few; entries are only made for services a ticket was taken for. Cleared when this is reached.
    private let maxEntries = 10_000
    private let entries = LockedValue<[String: Entry]>([:])

    init(refreshSeconds: Int64 = 2) {
        self.refreshSeconds = refreshSeconds
    }

    /// The inputs for `service` at `now`: the kept ones if read less than `refreshSeconds` before `now` (by the
    /// app's clock, so a test clock decides), otherwise read again with `read`.
    func inputs(service: String, now: Instant, read: () throws -> Inputs) rethrows -> Inputs {
        if let entry = entries.withValue({ $0[service] }),
           now.microseconds >= entry.read.microseconds,
           now.microseconds - entry.read.microseconds < refreshSeconds * 1_000_000 {
            return entry.inputs
        }
        let fresh = try read()
        entries.withValue { all in
            if all.count >= maxEntries { all.removeAll() }
            all[service] = Entry(inputs: fresh, read: now)
        }
        return fresh
    }
}
