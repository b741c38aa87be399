import Scheduling
import Time

/// SplitMix64: seeded, so a failing calendar is reproduced from the seed in the failure message.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
}

func utc(_ text: String) -> Instant { Instant(rfc3339: text)! }

/// Europe/Amsterdam on the four DST Sundays the tests use, hard-coded: the switch instant and the UTC offsets (in
/// minutes) before and after it. Stands in for PostgreSQL's expansion of the local grid.
struct DSTDay {
    let localDate: String  // YYYY-MM-DD
    let switchInstant: Instant
    let offsetBefore: Int64
    let offsetAfter: Int64

    static let spring2026 = DSTDay(localDate: "2026-03-29", switchInstant: utc("2026-03-29T01:00:00Z"), offsetBefore: 60, offsetAfter: 120)
    static let autumn2026 = DSTDay(localDate: "2026-10-25", switchInstant: utc("2026-10-25T01:00:00Z"), offsetBefore: 120, offsetAfter: 60)
    static let spring2027 = DSTDay(localDate: "2027-03-28", switchInstant: utc("2027-03-28T01:00:00Z"), offsetBefore: 60, offsetAfter: 120)
    static let autumn2027 = DSTDay(localDate: "2027-10-31", switchInstant: utc("2027-10-31T01:00:00Z"), offsetBefore: 120, offsetAfter: 60)
    static let all = [spring2026, autumn2026, spring2027, autumn2027]

    /// Every real instant at which the local wall clock shows `minuteOfDay` on this date: none in the spring gap,
    /// two in the repeated autumn hour.
    func instants(minuteOfDay: Int) -> [Instant] {
        let wall = utc(localDate + "T00:00:00Z").adding(minutes: Int64(minuteOfDay))
        var out: [Instant] = []
        let early = wall.adding(minutes: -offsetBefore)
        if early < switchInstant { out.append(early) }
        let late = wall.adding(minutes: -offsetAfter)
        if late >= switchInstant { out.append(late) }
        return out
    }

    /// The 15-minute grid over the local window `[fromMinute, toMinute)`, as instants in order.
    func grid(fromMinute: Int = 0, toMinute: Int = 1440) -> [Instant] {
        stride(from: fromMinute, to: toMinute, by: 15).flatMap { instants(minuteOfDay: $0) }.sorted()
    }
}
