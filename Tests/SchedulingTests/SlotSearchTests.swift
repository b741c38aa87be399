import Scheduling
import Time
import XCTest

final class SlotSearchTests: XCTestCase {
    let day = utc("2026-06-01T00:00:00Z")
    func at(_ hhmm: String) -> Instant { utc("2026-06-01T\(hhmm):00Z") }
    func span(_ from: String, _ to: String) -> Interval { Interval(start: at(from), end: at(to)) }
    func grid(_ from: String, _ to: String) -> [Instant] {
        var out: [Instant] = []
        var t = at(from)
        while t < at(to) { out.append(t); t = t.adding(minutes: 15) }
        return out
    }

    /// A greedy choice (first requirement takes the first qualified staff member, A) leaves B unable to fill the
    /// second requirement; the augmenting path must move A to the second one.
    func testMatchingIsExactWhereGreedyFails() {
        let staff = [
            StaffCalendar(id: "A", services: ["debt", "uwv"], available: [span("09:00", "17:00")], busy: []),
            StaffCalendar(id: "B", services: ["debt"], available: [span("09:00", "17:00")], busy: []),
        ]
        let rule = AppointmentRule(durationMinutes: 60, requirements: ["debt", "uwv"])
        let slots = SlotSearch.slots(SlotQuery(candidateStarts: [at("10:00")], opening: [span("08:00", "17:00")],
                                               staff: staff, rooms: [], type: rule, persons: 1))
        XCTAssertEqual(slots, [Slot(start: at("10:00"), end: at("11:00"), staffIds: ["B", "A"], roomId: nil)])
    }

    /// Three requirements with two candidates each: taking the first free one gives a → P0, b → P1 and leaves c
    /// nobody; only the augmenting path c → P0 (from a) → P1 (from b) → P2 completes it.
    func testMatchingFollowsLongAugmentingPaths() {
        let all = [span("09:00", "17:00")]
        let staff = [
            StaffCalendar(id: "P0", services: ["a", "c"], available: all, busy: []),
            StaffCalendar(id: "P1", services: ["a", "b", "c"], available: all, busy: []),
            StaffCalendar(id: "P2", services: ["b"], available: all, busy: []),
        ]
        let rule = AppointmentRule(durationMinutes: 30, requirements: ["a", "b", "c"])
        let slots = SlotSearch.slots(SlotQuery(candidateStarts: [at("10:00")], opening: all, staff: staff, rooms: [],
                                               type: rule, persons: 1))
        XCTAssertEqual(slots.first?.staffIds, ["P1", "P2", "P0"])
    }

    func testRepeatedServiceNeedsTwoDifferentStaff() {
        let rule = AppointmentRule(durationMinutes: 30, requirements: ["debt", "debt"])
        let one = [StaffCalendar(id: "A", services: ["debt"], available: [span("09:00", "17:00")], busy: [])]
        let query = SlotQuery(candidateStarts: grid("09:00", "10:00"), opening: [span("08:00", "17:00")], staff: one,
                              rooms: [], type: rule, persons: 1)
        XCTAssertEqual(SlotSearch.slots(query), [])
        var two = query
        two.staff.append(StaffCalendar(id: "B", services: ["debt"], available: [span("09:30", "17:00")], busy: []))
        XCTAssertEqual(SlotSearch.slots(two).map(\.start), [at("09:30"), at("09:45")])
        XCTAssertEqual(SlotSearch.slots(two).first?.staffIds, ["A", "B"])
    }

    func testTouchingAvailabilityCountsAsOneButTouchingOpeningDoesNot() {
        let staff = [StaffCalendar(id: "A", services: ["s"], available: [span("12:00", "17:00"), span("08:00", "12:00")],
                                   busy: [])]
        let rule = AppointmentRule(durationMinutes: 60, requirements: ["s"])
        var query = SlotQuery(candidateStarts: [at("11:30")], opening: [span("08:00", "17:00")], staff: staff,
                              rooms: [], type: rule, persons: 1)
        XCTAssertEqual(SlotSearch.slots(query).map(\.start), [at("11:30")])
        query.opening = [span("08:00", "12:00"), span("12:00", "17:00")]
        XCTAssertEqual(SlotSearch.slots(query), [])
    }

    func testBuffersDurationPerPersonBusyAndRoomCapacity() {
        // 30 min + 15 per extra person; 10 before, 5 after: a start at s reserves [s − 10, s + 30 + 15·(p−1) + 5).
        let rule = AppointmentRule(durationMinutes: 30, extraMinutesPerPerson: 15, maxPersons: 3, bufferBeforeMinutes: 10,
                                   bufferAfterMinutes: 5, needsRoom: true, requirements: ["s"])
        let staff = [StaffCalendar(id: "A", services: ["s"], available: [span("09:00", "12:00")],
                                   busy: [span("11:00", "11:30")])]
        let rooms = [RoomCalendar(id: "big", capacity: 4, busy: []),
                     RoomCalendar(id: "small", capacity: 3, busy: [span("09:00", "09:40")])]
        var query = SlotQuery(candidateStarts: grid("09:00", "12:00"), opening: [span("08:00", "17:00")], staff: staff,
                              rooms: rooms, type: rule, persons: 2)
        // persons 2: 45 min, reserved [s−10, s+50). Staff free 09:00–11:00 and 11:30–12:00.
        let two = SlotSearch.slots(query)
        XCTAssertEqual(two.map(\.start), [at("09:15"), at("09:30"), at("09:45"), at("10:00")])
        XCTAssertEqual(two.map(\.end), [at("10:00"), at("10:15"), at("10:30"), at("10:45")])
        // Capacity 3 (2 persons + 1 staff): the small room is best fit once free over [s − 10, …), from s = 10:00.
        XCTAssertEqual(two.map(\.roomId), ["big", "big", "big", "small"])
        query.persons = 3  // needs capacity 4 and 60 min
        XCTAssertEqual(SlotSearch.slots(query).map(\.roomId), ["big", "big", "big"])
        query.persons = 4  // above maxPersons
        XCTAssertEqual(SlotSearch.slots(query), [])
        query.persons = 0
        XCTAssertEqual(SlotSearch.slots(query), [])
    }

    func testNoticeAndHorizonAreInclusiveAndDuplicatesAreOfferedOnce() {
        let rule = AppointmentRule(durationMinutes: 15, requirements: [])
        let starts = grid("09:00", "11:00")
        let query = SlotQuery(candidateStarts: (starts + starts).reversed(), opening: [span("08:00", "17:00")], staff: [],
                              rooms: [], type: rule, persons: 1, notBefore: at("09:30"), notAfter: at("10:15"))
        XCTAssertEqual(SlotSearch.slots(query).map(\.start), [at("09:30"), at("09:45"), at("10:00"), at("10:15")])
    }

    func testRequirementNobodyServesGivesNoSlots() {
        let staff = [StaffCalendar(id: "A", services: ["a"], available: [span("08:00", "17:00")], busy: [])]
        let rule = AppointmentRule(durationMinutes: 15, requirements: ["a", "b"])
        XCTAssertEqual(SlotSearch.slots(SlotQuery(candidateStarts: grid("09:00", "10:00"), opening: [span("08:00", "17:00")],
                                                  staff: staff, rooms: [], type: rule, persons: 1)), [])
    }

    /// A busy interval spanning two availability pieces that are not touching must cut both.
    func testBusyAcrossAGapInAvailability() {
        let staff = [StaffCalendar(id: "A", services: ["s"], available: [span("08:00", "10:00"), span("10:30", "12:00")],
                                   busy: [span("09:30", "11:00")])]
        let rule = AppointmentRule(durationMinutes: 30, requirements: ["s"])
        let slots = SlotSearch.slots(SlotQuery(candidateStarts: grid("08:00", "12:00"), opening: [span("08:00", "17:00")],
                                               staff: staff, rooms: [], type: rule, persons: 1))
        XCTAssertEqual(slots.map(\.start), [at("08:00"), at("08:15"), at("08:30"), at("08:45"), at("09:00"), at("11:00"),
                                            at("11:15"), at("11:30")])
    }

    /// Bad input gives no slots or sane slots, never an arithmetic trap.
    func testExtremeInputDoesNotTrap() {
        let always = Interval(start: Instant(microseconds: .min), end: Instant(microseconds: .max))
        let staff = [StaffCalendar(id: "A", services: ["s"], available: [always], busy: [])]
        let starts = [Instant(microseconds: .min), at("10:00"), Instant(microseconds: .max)]
        var rule = AppointmentRule(durationMinutes: 30, requirements: ["s"])
        let query = SlotQuery(candidateStarts: starts, opening: [always], staff: staff,
                              rooms: [RoomCalendar(id: "r", capacity: 2, busy: [always])], type: rule, persons: 1)
        XCTAssertEqual(SlotSearch.slots(query).map(\.start), [at("10:00")])
        for huge in [Int.max, Int.min, -1] {
            rule.durationMinutes = huge
            var q = query
            q.type = rule
            XCTAssertEqual(SlotSearch.slots(q), [])
            q.type = AppointmentRule(durationMinutes: 30, extraMinutesPerPerson: huge, maxPersons: .max,
                                     bufferBeforeMinutes: 0, requirements: ["s"])
            q.persons = .max
            XCTAssertEqual(SlotSearch.slots(q), [])
        }
        var roomQuery = query
        roomQuery.type.needsRoom = true
        XCTAssertEqual(SlotSearch.slots(roomQuery), [])  // the only room is always busy
    }

    // MARK: DST Sundays in Amsterdam

    func testDSTGridsHaveEachRealInstantOnce() {
        for (day, expected) in [(DSTDay.spring2026, 92), (.autumn2026, 100), (.spring2027, 92), (.autumn2027, 100)] {
            let grid = day.grid()
            XCTAssertEqual(grid.count, expected, day.localDate)
            XCTAssertEqual(Set(grid).count, grid.count, "duplicate start on \(day.localDate)")
            // Around the switch, local 01:00–04:00: 3 hours minus the missing one, or plus the repeated one.
            XCTAssertEqual(day.grid(fromMinute: 60, toMinute: 240).count, expected == 92 ? 8 : 16, day.localDate)
            // In real time the grid runs on without a gap or overlap: 15 minutes between all neighbours.
            for (a, b) in zip(grid, grid.dropFirst()) {
                XCTAssertEqual(b.microseconds - a.microseconds, 15 * 60_000_000, day.localDate)
            }
        }
        XCTAssertEqual(DSTDay.spring2026.instants(minuteOfDay: 150), [])  // 02:30 does not exist
        XCTAssertEqual(DSTDay.autumn2026.instants(minuteOfDay: 150),
                       [utc("2026-10-25T00:30:00Z"), utc("2026-10-25T01:30:00Z")])
    }

    func testSearchOverDSTSundays() {
        let rule = AppointmentRule(durationMinutes: 15, requirements: ["s"])
        for day in DSTDay.all {
            let grid = day.grid()
            let whole = Interval(start: grid[0], end: grid[grid.count - 1].adding(minutes: 15))
            let staff = [StaffCalendar(id: "A", services: ["s"], available: [whole], busy: [])]
            let query = SlotQuery(candidateStarts: grid, opening: [whole], staff: staff, rooms: [], type: rule, persons: 1)
            let slots = SlotSearch.slots(query)
            XCTAssertEqual(slots.map(\.start), grid, day.localDate)
            let nearSwitch = day.grid(fromMinute: 60, toMinute: 240)
            XCTAssertEqual(slots.filter { nearSwitch.contains($0.start) }.count, nearSwitch.count, day.localDate)
        }
        // Autumn: busy during the first 02:00–03:00 (summer time) leaves the second one (winter time) offered.
        let autumn = DSTDay.autumn2026
        let grid = autumn.grid()
        let whole = Interval(start: grid[0], end: grid[grid.count - 1].adding(minutes: 15))
        let staff = [StaffCalendar(id: "A", services: ["s"], available: [whole],
                                   busy: [Interval(start: utc("2026-10-25T00:00:00Z"), end: utc("2026-10-25T01:00:00Z"))])]
        let slots = SlotSearch.slots(SlotQuery(candidateStarts: grid, opening: [whole], staff: staff, rooms: [],
                                               type: rule, persons: 1))
        let twoThirty = autumn.instants(minuteOfDay: 150)
        XCTAssertFalse(slots.contains { $0.start == twoThirty[0] })
        XCTAssertTrue(slots.contains { $0.start == twoThirty[1] })
        XCTAssertEqual(slots.count, 96)
    }
}
