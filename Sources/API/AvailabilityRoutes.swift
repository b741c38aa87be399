import HTTP
import Locking
import Postgres
import Scheduling
import Time

// Available times for appointments, and the Dutch public holidays they skip.
//
// Every request asks one cheap query first (availability.sql, availability_head): the location's calendar version,
// zone and the type. The offered slots of each local day are cached in this process, keyed by (location, type,
// persons, day, version); the version grows in the same transaction as any change that can change the location's
// free times (migration 0007 and the triggers of functions/50_availability.sql). It is read before any data
// (READ COMMITTED: each later statement sees at least that commit), so a cached day is never older than its version,
// and a change through any process is seen by the very next request of every process. Only the days missing from the
// cache are computed, from the first missing to the last, with a fixed number of queries whatever the range or the
// number of staff: (a) the local 15-minute grid and opening intervals as instants; (b) the staff serving any
// requirement with their availability and busy intervals; (c) the rooms, only for types that need one; (d) each
// slot's local date and RFC 3339 times with the location's offset. Time zones stay in PostgreSQL: Swift only sees
// instants, and the pure `SlotSearch` decides (exact bipartite matching of staff to requirements, one room).
//
// Per day rather than per asked range: overlapping and sliding ranges (a booking page paging through weeks) reuse
// what is known, and it is exact, because a slot's buffered interval lies inside one opening interval and opening
// intervals lie inside one local day, so a day's slots depend only on that day's data. What depends on "now" — never
// in the past, the public notice and horizon — is applied after the cache, per request, and is never cached.
//
// Appointments (AppointmentRoutes) make staff and rooms busy through staff_busy/room_busy; a hold counts until its
// `held_until` against the request's "now", and a computed day remembers the earliest hold it counted so the cache
// drops it when that hold expires (no version bump marks that moment). The booking reuses `loadCalendar` inside its
// transaction, so it checks exactly what the search offered.
//
// Who may ask: anyone for an active type open to public booking (with the type's notice and horizon, never in the
// past); staff of an agency that serves one of its requirements, coordinators and admins for any active type, and
// they may plan beyond notice and horizon (never in the past). Answers hold times only: no staff, no rooms.

private let tag = "calendars"
/// The longest range one request may ask, in days (to − from): bounds the work of one request.
private let maxRangeDays = 100

enum AvailabilityRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/holidays", .public,
             OpenAPIOperation("listHolidays", summary: "Dutch public holidays of a year, optionally as a location closes for them", tag: tag,
                              query: [.init("year", "integer", "The year (1583–9999)."),
                                      .init("locationId", "string", format: "uuid",
                                            "Only the days this location closes on (its holiday settings).")],
                              responses: [.init(200, "Public holidays", "HolidayList")]),
             database: .brief) { ctx in
            guard let text = ctx.request.query["year"], let year = Int(text), (1583...9999).contains(year) else {
                throw Problem.badRequest("The query parameter year must be a year between 1583 and 9999.")
            }
            var filter: ((String) -> Bool)? = nil
            if let location = ctx.request.query["locationId"] {
                guard isUUID(location) else { throw Problem.notFound("There is no location with id \(location).") }
                guard let s = try ctx.withConnection({ try $0.first(AvailabilityHolidaySettings(locationID: location.lowercased())) }) else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                filter = { key in closes(key, s) }
            }
            let days = DutchHolidays.list(year: year, includeGoodFriday: true, includeLiberationDay: true)
                .filter { filter?($0.key) ?? true }
                .map { day -> JSON in
                    .object([("date", .string(day.date.description)), ("name", .string(day.name)), ("key", .string(day.key)),
                             ("optional", .bool(optionalKeys.contains(day.key)))])
                }
            return raw(JSON.object([("items", .array(days))]).serialized)
        },
        .get("/api/v1/locations/{locationId}/available-times", .public,
             OpenAPIOperation("listAvailableTimes", summary: "Start times that can be booked for an appointment type", tag: tag,
                              query: searchParameters, responses: [.init(200, "Available times", "AvailableTimeList")])) { ctx in
            try search(ctx, daysOnly: false)
        },
        .get("/api/v1/locations/{locationId}/available-days", .public,
             OpenAPIOperation("listAvailableDays", summary: "Local dates with at least one start time that can be booked", tag: tag,
                              query: searchParameters, responses: [.init(200, "Available days", "AvailableDayList")])) { ctx in
            try search(ctx, daysOnly: true)
        },
    ]

    static let searchParameters: [OpenAPIOperation.QueryParameter] = [
        .init("appointmentType", "string", format: "uuid", "The appointment type (required)."),
        .init("from", "string", format: "date", "First local date, YYYY-MM-DD (required)."),
        .init("to", "string", format: "date", "Last local date, YYYY-MM-DD, at most \(maxRangeDays) days after from (required)."),
        .init("persons", "integer", "Number of visitors, 1 to the type's maxPersons (default 1)."),
    ]

    /// Good Friday and Liberation Day are not general days off: each location chooses.
    static let optionalKeys: Set<String> = ["good-friday", "liberation-day"]

    /// Whether a location with these settings closes on the holiday `key`.
    static func closes(_ key: String, _ s: AvailabilityHolidaySettings.Row) -> Bool {
        switch key {
        case "good-friday": return s.good_friday_closed
        case "liberation-day": return s.liberation_day_closed
        default: return s.closed_on_public_holidays
        }
    }

    static func search(_ ctx: RouteContext, daysOnly: Bool) throws -> Response {
        let location = try ctx.id("locationId", "location")
        let q = ctx.request.query
        var v = Validator()
        v.id(q["appointmentType"], "appointmentType")
        let from = date(&v, q["from"], "from")
        let to = date(&v, q["to"], "to")
        if let from, let to {
            v.require(to >= from, "to", "must not be before from")
            v.require(from.days(until: to) <= maxRangeDays, "to", "must be at most \(maxRangeDays) days after from")
        }
        var persons = 1
        if let text = q["persons"] {
            if let n = Int(text), n >= 1 { persons = n } else { v.require(false, "persons", "must be a whole number of at least 1") }
        }
        try v.check()
        guard let from, let to, let typeID = q["appointmentType"]?.lowercased() else { throw Problem.internalError }

        // Holidays in the range, all kinds; the query keeps those the location closes on.
        var holidayDates: [String] = [], holidayKeys: [String] = []
        for year in from.year...to.year {
            for day in DutchHolidays.list(year: year, includeGoodFriday: true, includeLiberationDay: true) where day.date >= from && day.date <= to {
                holidayDates.append(day.date.description)
                holidayKeys.append(day.key)
            }
        }
        let db = try ctx.db
        let now = ctx.now
        // The version first: everything read after it is at least as new.
        guard let head = try db.first(AvailabilityHead(locationID: location, appointmentTypeID: typeID, now: now)) else {
            throw Problem.notFound("There is no location with id \(location).")
        }
        guard head.type_found, head.active else { throw Problem.notFound("There is no active appointment type with id \(typeID).") }
        let privileged: Bool
        if let actor = ctx.principal {
            privileged = actor.role >= .coordinator || actor.agencyID.map(head.agencies.contains) == true
            if !privileged && !head.public_booking {
                throw Problem.forbidden("Only staff of the agencies involved, coordinators and admins may plan this appointment type.")
            }
        } else {
            privileged = false
            // Types not open to the public do not exist for anonymous callers.
            if !head.public_booking { throw Problem.notFound("There is no active appointment type with id \(typeID).") }
        }
        if persons > head.max_persons {
            v.require(false, "persons", "must be at most \(head.max_persons) for this appointment type")
            try v.check()
        }
        // Never in the past; the public also not within the notice nor beyond the horizon.
        let notBefore = privileged ? now : now.adding(minutes: Int64(head.min_notice_minutes))
        let notAfter = privileged ? nil : Int64(head.horizon_end).map { Instant(microseconds: $0) }

        // Days that can hold a start within the bounds: a local day lies within 14 hours of its UTC day (zones are
        // UTC−12…+14). The others are answered empty without work, so far-off ranges cost nothing.
        let hour: Int64 = 3_600_000_000
        let days = (0...from.days(until: to)).map { from.adding(days: $0) }.filter { day in
            let utcStart = Int64(day.daysSinceEpoch) * 24 * hour
            return utcStart + 38 * hour >= notBefore.microseconds && (notAfter.map { utcStart - 14 * hour <= $0.microseconds } ?? true)
        }
        let keys = days.map { AvailabilityCache.Key(location: location, type: typeID, persons: persons, day: $0.daysSinceEpoch, version: head.version) }
        var perDay = AvailabilityRoutes.cache.get(keys, now: now)
        if perDay.contains(where: { $0 == nil }) {
            // One computation at a time per location, type and persons: requests that missed together (after a
            // change, or a burst of new ranges) wait for it and then compute only what is still missing, instead of
            // all doing the same 50 ms of work on the same two cores.
            try AvailabilityRoutes.cache.computing(location: location, type: typeID, persons: persons) {
                perDay = AvailabilityRoutes.cache.get(keys, now: now)
                guard let first = perDay.firstIndex(where: { $0 == nil }), let last = perDay.lastIndex(where: { $0 == nil }) else { return }
                let (computed, holdsUntil) = try computeDays(db, location: location, typeID: typeID, head: head, persons: persons,
                                                             from: days[first], to: days[last], now: now)
                var fresh: [(AvailabilityCache.Key, [AvailabilityCache.Slot])] = []
                for i in first...last where perDay[i] == nil {
                    let slots = computed[days[i].daysSinceEpoch] ?? []
                    perDay[i] = slots
                    fresh.append((keys[i], slots))
                }
                // A day that counted a hold is stale once the hold expires (no version bump marks that moment).
                AvailabilityRoutes.cache.put(fresh, validUntil: holdsUntil)
            }
        }

        var out = "["
        var any = false
        for (i, slots) in perDay.enumerated() {
            for slot in slots ?? [] where slot.start >= notBefore && (notAfter.map { slot.start <= $0 } ?? true) {
                if any { out += "," }
                any = true
                if daysOnly {
                    out += "\"" + days[i].description + "\""
                    break
                }
                out += slot.json
            }
        }
        return items(out + "]")
    }

    /// The offered slots of the local days `from`…`to` by day (days since the epoch), for any time (no bounds):
    /// what the cache keeps, with the earliest expiry of a hold the computation counted as busy (after it the
    /// answer is stale: the hold no longer blocks anyone).
    static func computeDays(_ db: Connection, location: String, typeID: String, head: AvailabilityHead.Row, persons: Int,
                            from: LocalDate, to: LocalDate, now: Instant) throws -> (days: [Int: [AvailabilityCache.Slot]], holdsUntil: Instant?) {
        guard let calendar = try loadCalendar(db, location: location, typeID: typeID, head: head, persons: persons, from: from, to: to, now: now) else {
            return ([:], nil)
        }
        let slots = SlotSearch.slots(calendar.query)
        return (try format(db, head: head, slots), calendar.holdsUntil)
    }

    /// The search's input for the local days `from`…`to`, as PostgreSQL prepares it (grid, opening intervals, staff
    /// with availability and busy intervals — holds until they expire at `now` —, rooms), with the earliest expiry of
    /// a hold counted; nil when the location offers no start at all in the range. Shared by the search and by the
    /// booking, which runs it inside its transaction for the one day it books (bypassing the cache).
    static func loadCalendar(_ db: Connection, location: String, typeID: String, head: AvailabilityHead.Row, persons: Int,
                             from: LocalDate, to: LocalDate, now: Instant) throws -> (query: SlotQuery, holdsUntil: Instant?)? {
        // Holidays in the range, all kinds; the query keeps those the location closes on.
        var holidayDates: [String] = [], holidayKeys: [String] = []
        for year in from.year...to.year {
            for day in DutchHolidays.list(year: year, includeGoodFriday: true, includeLiberationDay: true) where day.date >= from && day.date <= to {
                holidayDates.append(day.date.description)
                holidayKeys.append(day.key)
            }
        }
        guard let grid = try db.first(AvailabilityGrid(locationID: location, from: from.description, to: to.description,
                                                       holidayDates: holidayDates, holidayKeys: holidayKeys)) else { return nil }
        let starts = instants(grid.starts)
        if starts.isEmpty { return nil }
        var holdsUntil: Int64? = nil
        func counted(_ text: String?) {
            guard let text, let us = Int64(text) else { return }
            holdsUntil = min(holdsUntil ?? us, us)
        }
        let staffRows = try db.all(AvailabilityStaff(locationID: location, appointmentTypeID: typeID, from: from.description, to: to.description, now: now))
        let staff = staffRows.map { row -> StaffCalendar in
            counted(row.holds_until)
            return StaffCalendar(id: row.id, services: Set(row.services), available: intervals(row.available_starts, row.available_ends),
                                 busy: intervals(row.busy_starts, row.busy_ends))
        }
        let rooms = head.needs_room
            ? try db.all(AvailabilityRooms(locationID: location, from: from.description, to: to.description, now: now)).map { row -> RoomCalendar in
                counted(row.holds_until)
                return RoomCalendar(id: row.id, capacity: row.capacity, busy: intervals(row.busy_starts, row.busy_ends))
            }
            : []
        let query = SlotQuery(candidateStarts: starts, opening: intervals(grid.opening_starts, grid.opening_ends),
                              staff: staff, rooms: rooms, type: rule(head), persons: persons)
        return (query, holdsUntil.map { Instant(microseconds: $0) })
    }

    /// The scheduling rule of the type the head describes.
    static func rule(_ head: AvailabilityHead.Row) -> AppointmentRule {
        AppointmentRule(durationMinutes: head.duration_minutes, extraMinutesPerPerson: head.extra_minutes_per_person,
                        maxPersons: head.max_persons, bufferBeforeMinutes: head.buffer_before_minutes,
                        bufferAfterMinutes: head.buffer_after_minutes, needsRoom: head.needs_room, requirements: head.services)
    }

    /// Slots by local day (days since the epoch), each with its answer object `{start, end}` in the location's zone.
    static func format(_ db: Connection, head: AvailabilityHead.Row, _ slots: [Slot]) throws -> [Int: [AvailabilityCache.Slot]] {
        if slots.isEmpty { return [:] }
        guard let text = try db.first(AvailabilityFormat(timeZone: head.tz, starts: slots.map { String($0.start.microseconds) },
                                                         ends: slots.map { String($0.end.microseconds) })),
              text.days.count == slots.count, text.starts.count == slots.count, text.ends.count == slots.count else {
            throw Problem.internalError
        }
        var byDay: [Int: [AvailabilityCache.Slot]] = [:]
        for (i, slot) in slots.enumerated() {
            guard let p = CalendarDate.parts(text.days[i]), let day = LocalDate(year: p.y, month: p.m, day: p.d) else { throw Problem.internalError }
            byDay[day.daysSinceEpoch, default: []].append(
                AvailabilityCache.Slot(start: slot.start, json: "{\"start\":\"" + text.starts[i] + "\",\"end\":\"" + text.ends[i] + "\"}"))
        }
        return byDay
    }

    /// This process's cache of offered slots per day (see the file's header).
    static let cache = AvailabilityCache(maxSlots: 400_000)

    /// A `YYYY-MM-DD` query parameter that exists, or a complaint naming it.
    static func date(_ v: inout Validator, _ text: String?, _ name: String) -> LocalDate? {
        guard let text else { v.require(false, name, "is required"); return nil }
        guard let p = CalendarDate.parts(text), let d = LocalDate(year: p.y, month: p.m, day: p.d) else {
            v.require(false, name, CalendarDate.reason)
            return nil
        }
        return d
    }

    /// A PostgreSQL bigint array in text form (`{1,-2,3}`) of epoch microseconds as instants. Read byte by byte:
    /// busy lists run to tens of thousands of numbers per search. Anything but digits, '-' and ',' separates.
    static func instants(_ text: String) -> [Instant] {
        var out: [Instant] = []
        var value: Int64 = 0, negative = false, inNumber = false
        for byte in text.utf8 {
            if byte >= 48 && byte <= 57 {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(byte - 48))
                value = o1 || o2 ? Int64.max : a
                inNumber = true
            } else if byte == 45 {  // '-'
                negative = true
            } else {
                if inNumber { out.append(Instant(microseconds: negative ? -value : value)) }
                value = 0; negative = false; inNumber = false
            }
        }
        if inNumber { out.append(Instant(microseconds: negative ? -value : value)) }
        return out
    }

    /// Intervals from parallel arrays of starts and ends (see `instants`); unpaired trailing values are ignored.
    static func intervals(_ starts: String, _ ends: String) -> [Interval] {
        zip(instants(starts), instants(ends)).map { Interval(start: $0.0, end: $0.1) }
    }
}

/// Offered slots per (location, type, persons, local day, calendar version), bounded by the number of slots held:
/// when full, the least recently used half is dropped. Entries of old versions are never asked again and age out.
final class AvailabilityCache: @unchecked Sendable {
    struct Key: Hashable, Sendable {
        let location: String
        let type: String
        let persons: Int
        /// The local date as days since 1970-01-01.
        let day: Int
        let version: Int64
    }
    /// One offered start: its instant (for the bounds that depend on now) and its answer object, ready to send.
    struct Slot: Sendable {
        let start: Instant
        let json: String
    }

    private let mutex = Mutex()
    private var entries: [Key: (slots: [Slot], used: UInt64, validUntil: Instant?)] = [:]
    private var tick: UInt64 = 0
    private var held = 0
    private let maxSlots: Int

    /// `maxSlots` bounds memory: a slot is about 100 bytes; a day with no slots counts as one.
    init(maxSlots: Int) { self.maxSlots = maxSlots }

    /// The cached slots of each key, nil where unknown or stale at `now` (an entry that counted a hold that has
    /// expired since).
    func get(_ keys: [Key], now: Instant? = nil) -> [[Slot]?] {
        mutex.withLock {
            tick += 1
            return keys.map { key in
                guard var e = entries[key] else { return nil }
                if let until = e.validUntil, let now, now >= until { return nil }
                e.used = tick
                entries[key] = e
                return e.slots
            }
        }
    }

    /// Stores computed days; `validUntil`: the instant from which they are stale (the earliest hold they counted).
    func put(_ items: [(Key, [Slot])], validUntil: Instant? = nil) {
        mutex.withLock {
            tick += 1
            for (key, slots) in items {
                if let old = entries.updateValue((slots, tick, validUntil), forKey: key) { held -= max(1, old.slots.count) }
                held += max(1, slots.count)
            }
            if held > maxSlots {
                let order = entries.sorted { $0.value.used < $1.value.used }
                for (key, e) in order.prefix(order.count / 2 + 1) {
                    entries[key] = nil
                    held -= max(1, e.slots.count)
                }
            }
        }
    }

    /// Runs `body` holding one of 64 locks chosen by (location, type, persons): computations of one search wait for
    /// each other, different searches mostly do not.
    func computing(location: String, type: String, persons: Int, _ body: () throws -> Void) throws {
        var h = Hasher()
        h.combine(location)
        h.combine(type)
        h.combine(persons)
        try stripes[Int(UInt(bitPattern: h.finalize()) % UInt(stripes.count))].withLock(body)
    }
    private let stripes = (0..<64).map { _ in Mutex() }

    /// Entries held (for tests).
    var count: Int { mutex.withLock { entries.count } }
}
