import Scheduling
import Time
import XCTest

/// The search against a brute-force oracle: minute by minute over every candidate start, every injective assignment
/// of staff to requirements by enumeration, every room. Hundreds of random calendars, seeded.
final class SlotSearchPropertyTests: XCTestCase {
    func testSearchAgreesWithBruteForceOnRandomCalendars() {
        var calendarsWithSlots = 0, slotsSeen = 0, startsRejectedOnlyByStaff = 0
        for seed in UInt64(1)...1000 {
            let query = randomQuery(seed: seed)
            let stats = compare(query, seed: seed)
            if stats.offered > 0 { calendarsWithSlots += 1 }
            slotsSeen += stats.offered
            startsRejectedOnlyByStaff += stats.rejectedByStaff
        }
        // The generator must exercise both outcomes, or agreement would prove little.
        XCTAssertGreaterThan(calendarsWithSlots, 200, "too few calendars with any slot")
        XCTAssertGreaterThan(slotsSeen, 4000)
        XCTAssertGreaterThan(startsRejectedOnlyByStaff, 5000, "too few starts decided by the staff matching")
    }

    /// Builds a random calendar. Data lies on whole minutes so a minute-by-minute oracle is exact.
    func randomQuery(seed: UInt64) -> SlotQuery {
        var rng = SplitMix64(seed: seed)
        // Half the calendars are one of the DST Sundays in Amsterdam (local 00:00–24:00 grid), half a plain span.
        var starts: [Instant]
        let base: Instant
        if rng.chance(50) {
            let day = DSTDay.all[rng.int(0...3)]
            starts = day.grid()
            base = starts[0]
        } else {
            base = utc("2026-06-01T00:00:00Z").adding(minutes: Int64(rng.int(0...200) * 1440 + rng.int(0...95) * 15))
            starts = stride(from: 0, to: 36 * 60, by: 15).map { base.adding(minutes: Int64($0)) }
        }
        if rng.chance(50) { starts = starts.filter { _ in !rng.chance(15) } }
        let horizon = 26 * 60
        func at(_ minute: Int) -> Instant { base.adding(minutes: Int64(minute)) }
        func randomInterval(minLength: Int, maxLength: Int) -> Interval {
            let from = rng.int(-60...horizon) / 5 * 5
            return Interval(start: at(from), end: at(from + rng.int(minLength...maxLength) / 5 * 5))
        }

        var opening: [Interval] = []
        for _ in 0..<rng.int(1...4) {
            let piece = randomInterval(minLength: 60, maxLength: 14 * 60)
            opening.append(piece)
            // A touching neighbour: must not be joined with it.
            if rng.chance(25) { opening.append(Interval(start: piece.end, end: piece.end.adding(minutes: 120))) }
        }
        opening.sort { $0.start < $1.start }

        let pool = ["a", "b", "c"]
        // A third of the calendars are tight: few staff, each serving several of the services, several requirements;
        // there a first-free (greedy) choice often blocks a later requirement and only augmenting paths find a match.
        let tight = rng.chance(35)
        var staff: [StaffCalendar] = []
        for n in 0..<(tight ? rng.int(3...5) : rng.int(0...6)) {
            var services: Set<String> = [pool[rng.int(0...2)]]
            if tight {
                for service in pool where rng.chance(45) { services.insert(service) }
            } else if rng.chance(40) {
                services.insert(pool[rng.int(0...2)])
            }
            var available: [Interval] = []
            for _ in 0..<rng.int(1...3) {
                let block = randomInterval(minLength: 120, maxLength: 12 * 60)
                // Cut into touching pieces, as several weekly rules would produce.
                var cursor = block.start
                while cursor < block.end {
                    var next = cursor.adding(minutes: Int64(rng.int(1...30) * 10))
                    if next > block.end { next = block.end }
                    available.append(Interval(start: cursor, end: next))
                    cursor = next
                }
            }
            if rng.chance(20) { available.append(randomInterval(minLength: 30, maxLength: 300)) }  // overlapping
            available.shuffle(using: &rng)
            let busy = (0..<rng.int(0...6)).map { _ in randomInterval(minLength: 5, maxLength: 120) }
            staff.append(StaffCalendar(id: "s\(n)", services: services, available: available, busy: busy))
        }
        let rooms = (0..<rng.int(0...3)).map { n in
            RoomCalendar(id: "r\(n)", capacity: rng.int(1...7),
                         busy: (0..<rng.int(0...4)).map { _ in randomInterval(minLength: 15, maxLength: 180) })
        }
        let rule = AppointmentRule(
            durationMinutes: rng.int(1...18) * 5, extraMinutesPerPerson: rng.chance(50) ? 0 : rng.int(1...20),
            maxPersons: rng.int(1...4), bufferBeforeMinutes: rng.chance(50) ? 0 : rng.int(1...6) * 5,
            bufferAfterMinutes: rng.chance(50) ? 0 : rng.int(1...6) * 5, needsRoom: rng.chance(40),
            requirements: (0..<(tight ? rng.int(3...4) : rng.int(0...3))).map { _ in pool[rng.int(0...2)] })
        let persons = rng.int(1...(rule.maxPersons + (rng.chance(10) ? 1 : 0)))
        let notBefore = rng.chance(30) ? at(rng.int(0...horizon / 2) / 15 * 15) : nil
        let notAfter = rng.chance(30) ? at(rng.int(horizon / 2...horizon) / 15 * 15) : nil
        return SlotQuery(candidateStarts: starts, opening: opening, staff: staff, rooms: rooms, type: rule,
                         persons: persons, notBefore: notBefore, notAfter: notAfter)
    }

    struct Stats { var offered = 0, rejectedByStaff = 0 }

    func compare(_ q: SlotQuery, seed: UInt64) -> Stats {
        let context = "seed \(seed)"
        let slots = SlotSearch.slots(q)
        var stats = Stats()
        stats.offered = slots.count
        let minuteMicros: Int64 = 60_000_000
        let rule = q.type
        let persons = q.persons
        guard persons >= 1, persons <= rule.maxPersons else {
            XCTAssertEqual(slots, [], context)
            return stats
        }
        let duration = Int64(rule.durationMinutes + rule.extraMinutesPerPerson * (persons - 1))
        let before = Int64(rule.bufferBeforeMinutes), after = Int64(rule.bufferAfterMinutes)

        // Minute bitmaps over everything the calendar mentions.
        let everything = q.candidateStarts + q.opening.flatMap { [$0.start, $0.end] }
            + q.staff.flatMap { ($0.available + $0.busy).flatMap { [$0.start, $0.end] } }
            + q.rooms.flatMap { $0.busy.flatMap { [$0.start, $0.end] } }
        let origin = everything.min()!.microseconds - 24 * 60 * minuteMicros
        let size = Int((everything.max()!.microseconds - origin) / minuteMicros) + 24 * 60
        func minuteIndex(_ i: Instant) -> Int { Int((i.microseconds - origin) / minuteMicros) }
        func mark(_ intervals: [Interval], _ map: inout [Bool], _ value: Bool) {
            for iv in intervals where iv.start < iv.end {
                for m in minuteIndex(iv.start)..<minuteIndex(iv.end) { map[m] = value }
            }
        }
        let staffFree: [[Bool]] = q.staff.map { s in
            var map = [Bool](repeating: false, count: size)
            mark(s.available, &map, true)
            mark(s.busy, &map, false)
            return map
        }
        let roomFree: [[Bool]] = q.rooms.map { r in
            var map = [Bool](repeating: true, count: size)
            mark(r.busy, &map, false)
            return map
        }
        func freeAllMinutes(_ map: [Bool], _ a: Int, _ b: Int) -> Bool { (a..<b).allSatisfy { map[$0] } }
        func qualified(_ s: Int, _ r: Int) -> Bool { q.staff[s].services.contains(rule.requirements[r]) }

        var expected: [Instant] = []
        var seen = Set<Instant>()
        for s in q.candidateStarts.sorted() where seen.insert(s).inserted {
            if let lo = q.notBefore, s < lo { continue }
            if let hi = q.notAfter, s > hi { continue }
            let a = s.adding(minutes: -before), b = s.adding(minutes: duration + after)
            guard q.opening.contains(where: { $0.start <= a && b <= $0.end }) else { continue }
            let ma = minuteIndex(a), mb = minuteIndex(b)
            if rule.needsRoom {
                guard q.rooms.indices.contains(where: {
                    q.rooms[$0].capacity >= persons + rule.requirements.count && freeAllMinutes(roomFree[$0], ma, mb)
                }) else { continue }
            }
            let free = q.staff.indices.map { freeAllMinutes(staffFree[$0], ma, mb) }
            // Every injective assignment, by enumeration.
            var used = [Bool](repeating: false, count: q.staff.count)
            func assign(_ r: Int) -> Bool {
                if r == rule.requirements.count { return true }
                for s in q.staff.indices where !used[s] && free[s] && qualified(s, r) {
                    used[s] = true
                    defer { used[s] = false }
                    if assign(r + 1) { return true }
                }
                return false
            }
            if assign(0) { expected.append(s) } else { stats.rejectedByStaff += 1 }
        }
        XCTAssertEqual(slots.map(\.start), expected, context)

        // Each returned assignment must itself be valid.
        for slot in slots {
            XCTAssertEqual(slot.end, slot.start.adding(minutes: duration), context)
            let ma = minuteIndex(slot.start.adding(minutes: -before)), mb = minuteIndex(slot.end.adding(minutes: after))
            XCTAssertEqual(slot.staffIds.count, rule.requirements.count, context)
            XCTAssertEqual(Set(slot.staffIds).count, slot.staffIds.count, "staff not distinct, \(context)")
            for (r, id) in slot.staffIds.enumerated() {
                guard let s = q.staff.firstIndex(where: { $0.id == id }) else { XCTFail(context); continue }
                XCTAssertTrue(qualified(s, r), "\(id) does not serve \(rule.requirements[r]), \(context)")
                XCTAssertTrue(freeAllMinutes(staffFree[s], ma, mb), "\(id) not free at \(slot.start), \(context)")
            }
            if rule.needsRoom {
                guard let r = q.rooms.firstIndex(where: { $0.id == slot.roomId }) else { XCTFail(context); continue }
                XCTAssertGreaterThanOrEqual(q.rooms[r].capacity, persons + rule.requirements.count, context)
                XCTAssertTrue(freeAllMinutes(roomFree[r], ma, mb), "room not free, \(context)")
            } else {
                XCTAssertNil(slot.roomId, context)
            }
        }
        return stats
    }
}
