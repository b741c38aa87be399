import HTTP
import Postgres
import Scheduling
import Time

// Available times for appointments, and the Dutch public holidays they skip.
//
// A fixed number of queries per request, whatever the range or the number of staff (availability.sql):
// (a) location, zone, type and requirements, the local 15-minute grid and the opening intervals as instants;
// (b) the staff serving any requirement with their availability and busy intervals; (c) the rooms, only for types
// that need one; (d) the answer, formatted with the location's offset. (b) and (c) are skipped when the grid is
// empty after notice and horizon. Time zones stay in PostgreSQL: Swift only sees instants, and the pure
// `SlotSearch` decides (exact bipartite matching of staff to requirements, one room).
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
        guard let setup = try db.first(AvailabilitySetup(locationID: location, appointmentTypeID: typeID, from: from.description,
                                                        to: to.description, now: now, holidayDates: holidayDates, holidayKeys: holidayKeys)) else {
            throw Problem.notFound("There is no location with id \(location).")
        }
        guard setup.type_found, setup.active else { throw Problem.notFound("There is no active appointment type with id \(typeID).") }
        let privileged: Bool
        if let actor = ctx.principal {
            privileged = actor.role >= .coordinator || actor.agencyID.map(setup.agencies.contains) == true
            if !privileged && !setup.public_booking {
                throw Problem.forbidden("Only staff of the agencies involved, coordinators and admins may plan this appointment type.")
            }
        } else {
            privileged = false
            // Types not open to the public do not exist for anonymous callers.
            if !setup.public_booking { throw Problem.notFound("There is no active appointment type with id \(typeID).") }
        }
        if persons > setup.max_persons {
            v.require(false, "persons", "must be at most \(setup.max_persons) for this appointment type")
            try v.check()
        }

        let rule = AppointmentRule(durationMinutes: setup.duration_minutes, extraMinutesPerPerson: setup.extra_minutes_per_person,
                                   maxPersons: setup.max_persons, bufferBeforeMinutes: setup.buffer_before_minutes,
                                   bufferAfterMinutes: setup.buffer_after_minutes, needsRoom: setup.needs_room, requirements: setup.services)
        // Never in the past; the public also not within the notice nor beyond the horizon.
        let notBefore = privileged ? now : now.adding(minutes: Int64(setup.min_notice_minutes))
        let notAfter = privileged ? nil : Int64(setup.horizon_end).map { Instant(microseconds: $0) }
        let starts = instants(setup.starts)
            .filter { start in start >= notBefore && (notAfter.map { start <= $0 } ?? true) }

        var slots: [Slot] = []
        if !starts.isEmpty {
            let staff = try db.all(AvailabilityStaff(locationID: location, appointmentTypeID: typeID, from: from.description, to: to.description))
                .map { StaffCalendar(id: $0.id, services: Set($0.services), available: intervals($0.available_starts, $0.available_ends),
                                     busy: intervals($0.busy_starts, $0.busy_ends)) }
            let rooms = setup.needs_room
                ? try db.all(AvailabilityRooms(locationID: location, from: from.description, to: to.description))
                    .map { RoomCalendar(id: $0.id, capacity: $0.capacity, busy: intervals($0.busy_starts, $0.busy_ends)) }
                : []
            slots = SlotSearch.slots(SlotQuery(candidateStarts: starts, opening: intervals(setup.opening_starts, setup.opening_ends), staff: staff, rooms: rooms,
                                               type: rule, persons: persons, notBefore: notBefore, notAfter: notAfter))
        }
        guard let answer = try db.first(AvailabilityAnswer(timeZone: setup.tz, starts: slots.map { String($0.start.microseconds) },
                                                           ends: slots.map { String($0.end.microseconds) }, daysOnly: daysOnly)) else {
            throw Problem.internalError
        }
        return items(answer.j)
    }

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
