// In-process benchmark of `SlotSearch.slots`: a 3-requirement joint appointment type over 8 weeks at a location with
// 3 agencies × 50 qualified staff (weekly patterns of 2–5 part or full days), about 60 % of staff time booked,
// 4 rooms, a 15-minute grid and 08:00–17:00 opening on weekdays. Deterministic (fixed seed).
// Run: swift build -c release --product loket-bench-search && .build/release/loket-bench-search [runs]
// The last line is machine-readable JSON.
import Glibc
import Scheduling
import Time

/// This thread's CPU time in ms: on a shared, loaded machine the wall time includes time the scheduler gave to
/// others, so both are reported.
func threadCPUMilliseconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1000 + Double(t.tv_nsec) / 1e6
}

/// SplitMix64: small, fast, and the same sequence on every platform.
struct SplitMix64 {
    var state: UInt64
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
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}

func runBenchmark() {
    let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 500 : 500
    var rng = SplitMix64(state: 20_261_130)
    // Monday 2026-01-05 00:00 UTC; the zone does not matter to the search.
    let monday0 = Instant(rfc3339: "2026-01-05T00:00:00Z")!
    func at(day: Int, minuteOfDay: Int) -> Instant { monday0.adding(minutes: Int64(day * 1440 + minuteOfDay)) }
    let weeks = 8
    let openDays = (0..<(weeks * 7)).filter { $0 % 7 < 5 }

    var opening: [Interval] = []
    var starts: [Instant] = []
    for d in openDays {
        opening.append(Interval(start: at(day: d, minuteOfDay: 8 * 60), end: at(day: d, minuteOfDay: 17 * 60)))
        for m in stride(from: 8 * 60, to: 17 * 60, by: 15) { starts.append(at(day: d, minuteOfDay: m)) }
    }

    /// Fills `[from, to)` with bookings of 30–120 minutes so that about `share` of it is busy.
    func book(_ from: Int, _ to: Int, day: Int, share: Double, into busy: inout [Interval]) -> Int {
        var cursor = from
        var booked = 0
        while cursor < to {
            let length = [30, 45, 60, 90, 120][rng.int(0...4)]
            let end = min(to, cursor + length)
            if rng.chance(share) {
                busy.append(Interval(start: at(day: day, minuteOfDay: cursor), end: at(day: day, minuteOfDay: end)))
                booked += end - cursor
            }
            cursor = end
        }
        return booked
    }

    // Day shapes (minutes of day); the full day comes as two touching pieces, as two weekly rules would.
    let shapes: [[(Int, Int)]] = [[(480, 750), (750, 1020)], [(480, 750)], [(750, 1020)], [(540, 900)], [(480, 1020)]]
    let agencies = [["debt"], ["uwv"], ["svb"]]
    var staff: [StaffCalendar] = []
    var availableMinutes = 0, bookedMinutes = 0
    for (a, services) in agencies.enumerated() {
        for n in 0..<50 {
            var weekdays = Array(0..<5)
            for i in stride(from: 4, to: 0, by: -1) { weekdays.swapAt(i, rng.int(0...i)) }
            let pattern = weekdays.prefix(rng.int(2...5)).map { ($0, shapes[rng.int(0...4)]) }
            let everyOtherWeek = rng.chance(0.1)
            var available: [Interval] = []
            var busy: [Interval] = []
            for week in 0..<weeks where !everyOtherWeek || week % 2 == 0 {
                for (weekday, shape) in pattern {
                    let day = week * 7 + weekday
                    for (from, to) in shape {
                        available.append(Interval(start: at(day: day, minuteOfDay: from), end: at(day: day, minuteOfDay: to)))
                        availableMinutes += to - from
                        bookedMinutes += book(from, to, day: day, share: 0.6, into: &busy)
                    }
                }
            }
            // An absence now and then: a whole day off.
            if rng.chance(0.3) {
                let day = openDays[rng.int(0...(openDays.count - 1))]
                busy.append(Interval(start: at(day: day, minuteOfDay: 0), end: at(day: day + 1, minuteOfDay: 0)))
            }
            var serves = Set(services)
            if a == 0 && n % 10 == 0 { serves.insert("budget") }
            staff.append(StaffCalendar(id: "a\(a)-s\(n)", services: serves, available: available, busy: busy))
        }
    }
    var rooms: [RoomCalendar] = []
    for (i, capacity) in [4, 6, 6, 10].enumerated() {
        var busy: [Interval] = []
        for d in openDays { _ = book(480, 1020, day: d, share: 0.5, into: &busy) }
        rooms.append(RoomCalendar(id: "room-\(i)", capacity: capacity, busy: busy))
    }

    let rule = AppointmentRule(durationMinutes: 45, extraMinutesPerPerson: 15, maxPersons: 4, bufferBeforeMinutes: 5,
                               bufferAfterMinutes: 10, needsRoom: true, requirements: ["debt", "uwv", "svb"])
    let query = SlotQuery(candidateStarts: starts, opening: opening, staff: staff, rooms: rooms, type: rule, persons: 2,
                          notBefore: at(day: 0, minuteOfDay: 9 * 60), notAfter: nil)

    var slots = SlotSearch.slots(query)
    for _ in 0..<20 { slots = SlotSearch.slots(query) }
    let clock = ContinuousClock()
    var samples: [Double] = []
    var cpu: [Double] = []
    samples.reserveCapacity(runs)
    cpu.reserveCapacity(runs)
    for _ in 0..<runs {
        let c = threadCPUMilliseconds()
        let t = clock.now
        slots = SlotSearch.slots(query)
        let e = clock.now - t
        cpu.append(threadCPUMilliseconds() - c)
        samples.append(Double(e.components.seconds) * 1000 + Double(e.components.attoseconds) / 1e15)
    }
    samples.sort()
    cpu.sort()
    func percentile(_ p: Double, _ values: [Double] = samples) -> Double {
        values[min(values.count - 1, Int((Double(values.count) * p).rounded(.up)) - 1)]
    }
    func ms(_ v: Double) -> String { String(Double(Int(v * 1000)) / 1000) }
    let booked = Double(bookedMinutes) / Double(availableMinutes)
    print("candidate starts \(starts.count), staff \(staff.count), rooms \(rooms.count), staff time booked \(Int(booked * 100)) %")
    print("slots offered \(slots.count); first \(slots.first.map { "\($0.start) \($0.staffIds) \($0.roomId ?? "-")" } ?? "none")")
    print("runs \(runs): min \(ms(samples[0])) ms, p50 \(ms(percentile(0.5))) ms, p99 \(ms(percentile(0.99))) ms, max \(ms(samples[samples.count - 1])) ms")
    print("thread CPU time per run: p50 \(ms(percentile(0.5, cpu))) ms, p99 \(ms(percentile(0.99, cpu))) ms")
    print("{\"benchmark\":\"slot-search\",\"runs\":\(runs),\"candidates\":\(starts.count),\"staff\":\(staff.count),\"slots\":\(slots.count),\"p50_ms\":\(ms(percentile(0.5))),\"p99_ms\":\(ms(percentile(0.99))),\"max_ms\":\(ms(samples[samples.count - 1])),\"cpu_p50_ms\":\(ms(percentile(0.5, cpu))),\"cpu_p99_ms\":\(ms(percentile(0.99, cpu)))}")
}

runBenchmark()
