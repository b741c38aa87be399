/// Slot search for joint appointments: which start times can be offered, and with whom and in which room.
///
/// The contract between PostgreSQL and this module:
///
/// - **PostgreSQL prepares** everything that needs a time zone or stored data, and hands over instants only:
///   the location's 15-minute local grid converted to instants (`candidateStarts`: on the spring DST day the missing
///   hour is simply absent, on the autumn day the repeated hour appears as its two distinct real instants); the
///   opening intervals of open days with closures and public holidays already removed; per staff member their
///   availability at this location (weekly rules, every-other-week, already expanded) and what keeps them busy
///   (absences, booked and unexpired held appointments, each including its buffers); per room its capacity and busy
///   intervals; the public notice and horizon as `notBefore`/`notAfter` (never before "now" for the public).
/// - **This module decides**, purely (no Foundation, no I/O, no clock, no zone): the appointment's duration for the
///   number of persons, whether its buffered interval fits in one opening interval, whether every requirement can be
///   given a *different* qualified staff member who is free (exact bipartite matching, never greedy), whether a room
///   big enough is free, and returns the offered starts with one valid assignment each.
///
/// Everything is half-open `[start, end)`; two intervals that only touch do not overlap.
import Time

/// A half-open span of time `[start, end)`. An interval with `end <= start` is empty: it covers and blocks nothing.
public struct Interval: Sendable, Hashable {
    public var start: Instant
    public var end: Instant

    public init(start: Instant, end: Instant) {
        self.start = start
        self.end = end
    }

    public var isEmpty: Bool { end <= start }
}

/// One staff member as the search sees them at one location.
public struct StaffCalendar: Sendable, Hashable {
    /// Identifies the staff member in the assignment of a `Slot`; should be unique within one search.
    public var id: String
    /// The service ids this staff member can fill a requirement for.
    public var services: Set<String>
    /// When they work at this location, already expanded to instants. Any order; overlapping or touching pieces
    /// count as one continuous span (a morning piece ending at 12:00 and an afternoon piece starting at 12:00 cover a
    /// meeting from 11:30 to 12:30).
    public var available: [Interval]
    /// Absences and booked or unexpired held appointments, each already including that appointment's buffers.
    /// Any order. A slot's buffered interval must not overlap any of these.
    public var busy: [Interval]

    public init(id: String, services: Set<String>, available: [Interval], busy: [Interval]) {
        self.id = id
        self.services = services
        self.available = available
        self.busy = busy
    }
}

/// A room as the search sees it.
public struct RoomCalendar: Sendable, Hashable {
    /// Identifies the room in a `Slot`; should be unique within one search.
    public var id: String
    /// How many people fit: visitors plus staff.
    public var capacity: Int
    /// Bookings of the room, including their buffers. Any order.
    public var busy: [Interval]

    public init(id: String, capacity: Int, busy: [Interval]) {
        self.id = id
        self.capacity = capacity
        self.busy = busy
    }
}

/// The scheduling rules of an appointment type.
public struct AppointmentRule: Sendable, Hashable {
    /// Length of the appointment for one person, in minutes; must be at least 1.
    public var durationMinutes: Int
    /// Minutes added for every person beyond the first.
    public var extraMinutesPerPerson: Int
    /// More persons than this get no slots.
    public var maxPersons: Int
    /// Time the staff and room are reserved before the start (preparation); not shown as part of the appointment.
    public var bufferBeforeMinutes: Int
    /// Time the staff and room are reserved after the end (wrap-up).
    public var bufferAfterMinutes: Int
    /// Whether a room must be found. Its capacity must hold the persons plus one per requirement.
    public var needsRoom: Bool
    /// One service id per staff member needed; each is filled by a *different* staff member who serves that service.
    /// A service may appear more than once (two different staff members of that service). May be empty.
    public var requirements: [String]

    public init(durationMinutes: Int, extraMinutesPerPerson: Int = 0, maxPersons: Int = 1, bufferBeforeMinutes: Int = 0,
                bufferAfterMinutes: Int = 0, needsRoom: Bool = false, requirements: [String]) {
        self.durationMinutes = durationMinutes
        self.extraMinutesPerPerson = extraMinutesPerPerson
        self.maxPersons = maxPersons
        self.bufferBeforeMinutes = bufferBeforeMinutes
        self.bufferAfterMinutes = bufferAfterMinutes
        self.needsRoom = needsRoom
        self.requirements = requirements
    }

    /// The appointment's length for `persons` visitors, or nil when that number is not allowed (below 1, above
    /// `maxPersons`) or the rule is unusable (non-positive length, negative buffers or extra minutes, or a length or
    /// buffer beyond a year, which only bad input produces).
    public func durationMinutes(persons: Int) -> Int? {
        let year = 366 * 24 * 60
        guard persons >= 1, persons <= maxPersons, durationMinutes >= 1, durationMinutes <= year,
              (0...year).contains(extraMinutesPerPerson), (0...year).contains(bufferBeforeMinutes),
              (0...year).contains(bufferAfterMinutes) else { return nil }
        let (extra, overflow) = extraMinutesPerPerson.multipliedReportingOverflow(by: persons - 1)
        guard !overflow, extra <= year else { return nil }
        return durationMinutes + extra
    }
}

/// Everything one search needs. All instants are real UTC instants; the module never sees a zone or offset.
public struct SlotQuery: Sendable, Hashable {
    /// The location's local 15-minute grid as instants, as PostgreSQL expanded it. Expected sorted; duplicates and
    /// disorder are tolerated (the search sorts and drops repeats), so each real instant is offered at most once.
    public var candidateStarts: [Instant]
    /// Opening intervals of open days, closures and public holidays removed. A slot's buffered interval must lie
    /// inside ONE of them: two touching intervals (e.g. two days) are not joined.
    public var opening: [Interval]
    public var staff: [StaffCalendar]
    public var rooms: [RoomCalendar]
    public var type: AppointmentRule
    /// Number of visitors; changes the duration and the room capacity needed.
    public var persons: Int
    /// Earliest start offered, inclusive (public notice, never before "now" for the public).
    public var notBefore: Instant?
    /// Latest start offered, inclusive (booking horizon).
    public var notAfter: Instant?

    public init(candidateStarts: [Instant], opening: [Interval], staff: [StaffCalendar], rooms: [RoomCalendar],
                type: AppointmentRule, persons: Int, notBefore: Instant? = nil, notAfter: Instant? = nil) {
        self.candidateStarts = candidateStarts
        self.opening = opening
        self.staff = staff
        self.rooms = rooms
        self.type = type
        self.persons = persons
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}

/// One start time that can be offered, with one valid way to staff and house it.
public struct Slot: Sendable, Hashable {
    public var start: Instant
    /// `start` + duration, without the buffer after.
    public var end: Instant
    /// Staff id per requirement, in the order of `AppointmentRule.requirements`; all different.
    public var staffIds: [String]
    /// The room, when the type needs one: the smallest free room that is big enough (first in input order on ties).
    public var roomId: String?

    public init(start: Instant, end: Instant, staffIds: [String], roomId: String?) {
        self.start = start
        self.end = end
        self.staffIds = staffIds
        self.roomId = roomId
    }

    /// The interval during which staff and room are reserved: `[start − before, end + after)`.
    public func bufferedInterval(_ rule: AppointmentRule) -> Interval {
        Interval(start: start.adding(minutes: Int64(-rule.bufferBeforeMinutes)),
                 end: end.adding(minutes: Int64(rule.bufferAfterMinutes)))
    }
}

public enum SlotSearch {
    /// The offered slots, ordered by start. Deterministic: the same query gives the same slots and assignments.
    ///
    /// A candidate start `s` is offered when, with `d` the duration for `query.persons`:
    /// the buffered interval `[s − before, s + d + after)` lies inside one opening interval; each requirement can be
    /// given a different staff member who serves its service, whose availability covers the buffered interval and
    /// whose busy intervals do not overlap it (exact bipartite matching); if the type needs a room, a room with
    /// capacity ≥ persons + requirements is free over the buffered interval; and `notBefore ≤ s ≤ notAfter`.
    ///
    /// Cost: O(sort of the inputs + candidates × (staff/64 × requirements + rooms)), plus a matching only for
    /// candidates where every requirement has someone free.
    public static func slots(_ query: SlotQuery) -> [Slot] {
        let rule = query.type
        guard let minutes = rule.durationMinutes(persons: query.persons) else { return [] }
        let minute: Int64 = 60_000_000
        let duration = Int64(minutes) * minute
        let before = Int64(rule.bufferBeforeMinutes) * minute
        let after = Int64(rule.bufferAfterMinutes) * minute

        // Starts: sorted, unique, within the bounds; far-out instants (bad input) are dropped so no sum overflows.
        var starts = query.candidateStarts.map(\.microseconds).filter { $0 > -limit / 2 && $0 < limit / 2 }
        if !isSortedStrictly(starts) {
            starts.sort()
            starts = dedupSorted(starts)
        }
        let lo = query.notBefore?.microseconds ?? Int64.min
        let hi = query.notAfter?.microseconds ?? Int64.max

        // Rooms big enough, smallest first: best fit keeps big rooms for big groups.
        let roomsNeeded = query.persons + rule.requirements.count
        var roomOrder: [Int] = []
        var roomBusy: [[(Int64, Int64)]] = []
        if rule.needsRoom {
            roomOrder = query.rooms.indices.filter { query.rooms[$0].capacity >= roomsNeeded }
            roomOrder.sort { (query.rooms[$0].capacity, $0) < (query.rooms[$1].capacity, $1) }
            if roomOrder.isEmpty { return [] }
            roomBusy = roomOrder.map { union(query.rooms[$0].busy) }
        }

        // Pass 1: starts that fit the bounds, one opening interval and a room.
        let opening = query.opening.filter { !$0.isEmpty }.map { (clamp($0.start), clamp($0.end)) }
            .sorted { $0.0 < $1.0 }
        var viable: [Int64] = []  // buffered start a; b = a + span
        var viableRoom: [Int] = []
        let span = before + duration + after
        var op = 0
        var openEnd = Int64.min
        var roomPointers = [Int](repeating: 0, count: roomOrder.count)
        for s in starts where s >= lo && s <= hi {
            let a = s - before, b = a + span
            // The latest-ending opening interval that starts at or before a contains [a, b) iff any does.
            while op < opening.count && opening[op].0 <= a {
                openEnd = max(openEnd, opening[op].1)
                op += 1
            }
            guard openEnd >= b else { continue }
            var room = -1
            if rule.needsRoom {
                for r in 0..<roomOrder.count where room < 0 {
                    let busy = roomBusy[r]
                    var p = roomPointers[r]
                    while p < busy.count && busy[p].1 <= a { p += 1 }
                    roomPointers[r] = p
                    if p == busy.count || busy[p].0 >= b { room = r }
                }
                if room < 0 { continue }
            }
            viable.append(a)
            viableRoom.append(room)
        }
        if viable.isEmpty { return [] }

        // Staff who serve at least one requirement, and per requirement the bitset of who qualifies.
        let k = rule.requirements.count
        var relevant: [Int] = []
        for (i, member) in query.staff.enumerated() where rule.requirements.contains(where: member.services.contains) {
            relevant.append(i)
        }
        let words = max(1, (relevant.count + 63) / 64)
        var qualified = [UInt64](repeating: 0, count: k * words)
        for r in 0..<k {
            for (j, i) in relevant.enumerated() where query.staff[i].services.contains(rule.requirements[r]) {
                qualified[r * words + j / 64] |= 1 << UInt64(j % 64)
            }
        }

        // Pass 2: per staff member, their free pieces (availability joined, busy cut out) long enough for the
        // buffered interval, each matched to the run of viable starts it contains (binary search, then a moving index).
        var free = [UInt64](repeating: 0, count: k == 0 ? 0 : viable.count * words)
        if k > 0 {
            for (j, i) in relevant.enumerated() {
                let member = query.staff[i]
                let pieces = subtract(union(member.available), union(member.busy))
                let bit: UInt64 = 1 << UInt64(j % 64)
                let word = j / 64
                var c = 0
                for (from, to) in pieces where to - from >= span {
                    // First viable start whose buffered interval begins in this piece: binary search from `c`.
                    var high = viable.count
                    while c < high {
                        let mid = (c + high) / 2
                        if viable[mid] < from { c = mid + 1 } else { high = mid }
                    }
                    while c < viable.count && viable[c] + span <= to {
                        free[c * words + word] |= bit
                        c += 1
                    }
                    if c == viable.count { break }
                }
            }
        }

        // Pass 3: per viable start, an exact matching of requirements to different free staff.
        var result: [Slot] = []
        result.reserveCapacity(viable.count)
        var matcher = Matcher(requirements: k, words: words)
        for c in 0..<viable.count {
            var assignment: [String] = []
            if k > 0 {
                guard matcher.match(free: free, offset: c * words, qualified: qualified) else { continue }
                assignment = matcher.assigned.map { query.staff[relevant[$0]].id }
            }
            let s = viable[c] + before
            result.append(Slot(start: Instant(microseconds: s), end: Instant(microseconds: s + duration),
                               staffIds: assignment,
                               roomId: rule.needsRoom ? query.rooms[roomOrder[viableRoom[c]]].id : nil))
        }
        return result
    }

    /// Instants are clamped to ±2^61 µs (±73 000 years) so differences and sums of inputs cannot overflow; an
    /// "always" interval from `Int64.min` to `Int64.max` still means always.
    static let limit: Int64 = 1 << 61

    static func clamp(_ instant: Instant) -> Int64 { min(max(instant.microseconds, -limit), limit) }

    private static func isSortedStrictly(_ values: [Int64]) -> Bool {
        var i = 1
        while i < values.count {
            if values[i - 1] >= values[i] { return false }
            i += 1
        }
        return true
    }

    private static func dedupSorted(_ values: [Int64]) -> [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(values.count)
        for v in values where out.last != v { out.append(v) }
        return out
    }

    /// Sorted, disjoint, non-touching pieces covering the same instants as `intervals`.
    static func union(_ intervals: [Interval]) -> [(Int64, Int64)] {
        var pieces: [(Int64, Int64)] = []
        pieces.reserveCapacity(intervals.count)
        var sorted = true
        for interval in intervals where !interval.isEmpty {
            if let last = pieces.last, interval.start.microseconds < last.0 { sorted = false }
            pieces.append((clamp(interval.start), clamp(interval.end)))
        }
        // PostgreSQL usually sends them ordered; sorting only when needed keeps the common case linear.
        if !sorted { pieces.sort { $0.0 < $1.0 } }
        var out = 0
        for i in pieces.indices {
            if out > 0 && pieces[i].0 <= pieces[out - 1].1 {
                pieces[out - 1].1 = max(pieces[out - 1].1, pieces[i].1)
            } else {
                pieces[out] = pieces[i]
                out += 1
            }
        }
        pieces.removeLast(pieces.count - out)
        return pieces
    }

    /// `base` minus `holes`, both from `union`.
    static func subtract(_ base: [(Int64, Int64)], _ holes: [(Int64, Int64)]) -> [(Int64, Int64)] {
        var out: [(Int64, Int64)] = []
        out.reserveCapacity(base.count + holes.count)
        var h = 0
        for (start, end) in base {
            var cursor = start
            while h < holes.count && holes[h].1 <= cursor { h += 1 }
            var k = h
            while k < holes.count && holes[k].0 < end {
                if holes[k].0 > cursor { out.append((cursor, holes[k].0)) }
                cursor = max(cursor, holes[k].1)
                k += 1
            }
            if cursor < end { out.append((cursor, end)) }
            // A hole reaching past `end` may also cut the next base piece: do not skip it.
            h = max(h, k > h ? k - 1 : h)
        }
        return out
    }
}

/// Kuhn's augmenting-path matching of requirements (left) to staff (right, as bitsets). Requirements with the
/// fewest candidates are placed first so a matching is usually found without any augmenting; the augmenting paths
/// make it exact where a greedy choice would fail.
struct Matcher {
    let k: Int
    let words: Int
    var eligible: [UInt64]
    var visited: [UInt64]
    /// Staff assigned to some requirement in the matching under construction.
    var taken: [UInt64]
    /// Relevant-staff index per requirement, after a successful `match`.
    var assigned: [Int]
    var order: [Int]
    var counts: [Int]

    init(requirements k: Int, words: Int) {
        self.k = k
        self.words = words
        eligible = [UInt64](repeating: 0, count: k * words)
        visited = [UInt64](repeating: 0, count: words)
        taken = [UInt64](repeating: 0, count: words)
        assigned = [Int](repeating: -1, count: k)
        order = Array(0..<k)
        counts = [Int](repeating: 0, count: k)
    }

    mutating func match(free: [UInt64], offset: Int, qualified: [UInt64]) -> Bool {
        for r in 0..<k {
            var count = 0
            for w in 0..<words {
                let e = free[offset + w] & qualified[r * words + w]
                eligible[r * words + w] = e
                count += e.nonzeroBitCount
            }
            // Pigeonhole shortcut: a requirement nobody free can fill ends the search for this start.
            if count == 0 { return false }
            counts[r] = count
            assigned[r] = -1
        }
        for w in 0..<words { taken[w] = 0 }
        for i in 0..<k { order[i] = i }
        order.sort { (counts[$0], $0) < (counts[$1], $1) }
        for r in order {
            for w in 0..<words { visited[w] = 0 }
            if !augment(r) { return false }
        }
        return true
    }

    private mutating func augment(_ r: Int) -> Bool {
        // Someone eligible and still unassigned first: cheap, and keeps assignments intuitive.
        for w in 0..<words {
            let open = eligible[r * words + w] & ~taken[w]
            if open != 0 {
                let staff = w * 64 + open.trailingZeroBitCount
                assigned[r] = staff
                taken[w] |= 1 << UInt64(staff % 64)
                return true
            }
        }
        // Everyone eligible is taken: try to move one of their holders along an augmenting path.
        for w in 0..<words {
            var candidates = eligible[r * words + w] & ~visited[w]
            while candidates != 0 {
                let bit = candidates.trailingZeroBitCount
                candidates &= candidates - 1
                visited[w] |= 1 << UInt64(bit)
                let staff = w * 64 + bit
                var owner = -1
                for q in 0..<k where assigned[q] == staff { owner = q }
                if owner >= 0 && augment(owner) {
                    // The owner moved to someone else; `staff` stays taken, now by r.
                    assigned[r] = staff
                    return true
                }
            }
        }
        return false
    }
}
