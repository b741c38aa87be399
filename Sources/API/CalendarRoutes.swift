import HTTP
import Postgres
import Scheduling
import Time

// Calendars for appointments: a location's opening hours and closures, its rooms, staff availability and absences,
// and appointment types. Weekly rules are wall-clock "HH:MM" in the location's zone with ISO weekdays (1 = Monday);
// absences are instants. Every PUT replaces the whole set in one transaction, after validation that names every
// invalid field at once; the database's constraints (Migrations/sql/0005_calendars.sql) guard the same rules.
//
// Access: opening hours are public to read; rooms, opening hours changes and appointment types need a coordinator.
// A staff member's availability and absences are readable and changeable by the staff member, by coordinators of
// their agency and by admins; absences are personal data, so every read or change by someone else is audited.

struct WeeklyOpeningBody: Decodable { let weekday: Int?; let opens: String?; let closes: String?; let validFrom: String?; let validUntil: String? }
struct ClosureDateBody: Decodable { let date: String?; let reason: String? }
struct OpeningHoursBody: Decodable {
    let weekly: [WeeklyOpeningBody]?
    let closures: [ClosureDateBody]?
    let closedOnPublicHolidays: Bool?
    let goodFridayClosed: Bool?
    let liberationDayClosed: Bool?
}
struct RoomBody: Decodable { let name: String?; let capacity: Int?; let active: Bool? }
struct AvailabilityIntervalBody: Decodable {
    let locationId: String?, weekday: Int?, start: String?, end: String?, validFrom: String?, validUntil: String?, everyOtherWeek: Bool?
}
struct AvailabilityBody: Decodable { let intervals: [AvailabilityIntervalBody]? }
struct AbsenceBody: Decodable { let start: String?; let end: String?; let reason: String? }
struct RequirementBody: Decodable { let serviceId: String? }
struct AppointmentTypeBody: Decodable {
    let code: String?, name: String?, durationMinutes: Int?, needsRoom: Bool?, requirements: [RequirementBody]?
    let bufferBeforeMinutes: Int?, bufferAfterMinutes: Int?, minNoticeMinutes: Int?, horizonDays: Int?
    let maxPersons: Int?, extraMinutesPerPerson: Int?, publicBooking: Bool?, active: Bool?
}

private let tag = "calendars"
private let absenceReasons = ["leave", "sickness", "training", "other"]

enum CalendarRoutes: RouteCollection {
    static let routes: [DeclaredRoute] = openingHours + rooms + availability + absences + appointmentTypes

    /// Backstops: the handlers validate first, so these fire only for races or hand-written SQL.
    static let constraints: [String: Problem] = [
        "opening_hours_no_overlap": AdminRoutes.invalid("weekly", "intervals on one weekday overlap"),
        "opening_hours_order": AdminRoutes.invalid("weekly", "closes must be after opens"),
        "opening_hours_weekday": AdminRoutes.invalid("weekly", "weekday must be 1 (Monday) to 7 (Sunday)"),
        "opening_hours_validity": AdminRoutes.invalid("weekly", "validUntil must not be before validFrom"),
        "location_closure_pkey": AdminRoutes.invalid("closures", "a date appears twice"),
        "staff_availability_no_overlap": AdminRoutes.invalid("intervals", "intervals of one staff member overlap"),
        "staff_availability_order": AdminRoutes.invalid("intervals", "end must be after start"),
        "staff_availability_weekday": AdminRoutes.invalid("intervals", "weekday must be 1 (Monday) to 7 (Sunday)"),
        "staff_availability_validity": AdminRoutes.invalid("intervals", "validUntil must not be before validFrom"),
        "staff_availability_anchor": AdminRoutes.invalid("intervals", "everyOtherWeek needs validFrom"),
        "staff_availability_location_id_fkey": AdminRoutes.invalid("intervals", "locationId does not exist"),
        "staff_absence_no_overlap": .conflict("This absence overlaps another absence of the staff member."),
        "staff_absence_bounded": AdminRoutes.invalid("end", "must be after start"),
        "staff_absence_reason": AdminRoutes.invalid("reason", "must be one of " + absenceReasons.joined(separator: ", ")),
        "room_name_unique": .conflict("There is already a room with this name at this location."),
        "room_name_check": AdminRoutes.invalid("name", "must be 1–60 characters"),
        "room_capacity_check": AdminRoutes.invalid("capacity", "must be between 1 and 100"),
        "appointment_type_code_unique": .conflict("There is already an appointment type with this code."),
        "appointment_type_code_check": AdminRoutes.invalid("code", "must be 1–48 lowercase letters, digits or dashes"),
        "appointment_type_name_check": AdminRoutes.invalid("name", "must be 1–200 characters"),
        "appointment_type_duration_check": AdminRoutes.invalid("durationMinutes", "must be between 5 and 480"),
        "appointment_type_buffer_before_check": AdminRoutes.invalid("bufferBeforeMinutes", "must be between 0 and 120"),
        "appointment_type_buffer_after_check": AdminRoutes.invalid("bufferAfterMinutes", "must be between 0 and 120"),
        "appointment_type_min_notice_check": AdminRoutes.invalid("minNoticeMinutes", "must be between 0 and 43200"),
        "appointment_type_horizon_check": AdminRoutes.invalid("horizonDays", "must be between 1 and 366"),
        "appointment_type_max_persons_check": AdminRoutes.invalid("maxPersons", "must be between 1 and 20"),
        "appointment_type_extra_minutes_check": AdminRoutes.invalid("extraMinutesPerPerson", "must be between 0 and 120"),
        "appointment_type_requirement_service_id_fkey": AdminRoutes.invalid("requirements", "must name existing services"),
    ]

    // MARK: Opening hours and closures

    static let openingHours: [DeclaredRoute] = [
        .get("/api/v1/locations/{locationId}/opening-hours", .public,
             OpenAPIOperation("getOpeningHours", summary: "Opening hours, closures from today on, and holiday settings of a location",
                              tag: tag, responses: [.init(200, "Opening hours", "OpeningHours")])) { ctx in
            let location = try ctx.id("locationId", "location")
            guard let row = try ctx.db.first(OpeningHoursGet(locationID: location, now: ctx.now)) else {
                throw Problem.notFound("There is no location with id \(location).")
            }
            return raw(row.j)
        },
        .put("/api/v1/locations/{locationId}/opening-hours", .coordinator,
             OpenAPIOperation("replaceOpeningHours",
                              summary: "Replace the weekly opening hours, the closures from today on and the holiday settings. "
                                + "Today's closure (POST …/closure) stays whether or not the body lists today; listing today sets its "
                                + "reason or closes today. Reopen today with DELETE …/closure.",
                              tag: tag, body: "OpeningHours", responses: [.init(200, "Replaced", "OpeningHours")])) { ctx in
            let location = try ctx.id("locationId", "location")
            let b = try ctx.decode(OpeningHoursBody.self)
            let actor = try ctx.actor
            return try ctx.transaction { db in
                guard let loc = try db.first(CalendarLocationLock(locationID: location, now: ctx.now)) else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                var v = Validator()
                v.require(b.weekly != nil, "weekly", "is required (an empty list: closed every day)")
                v.require(b.closures != nil, "closures", "is required (an empty list: no closures)")
                v.require(b.closedOnPublicHolidays != nil, "closedOnPublicHolidays", "is required")
                let weekly = b.weekly ?? []
                v.require(weekly.count <= 70, "weekly", "must have at most 70 intervals")
                var rules: [WeeklyRule] = []
                for (i, w) in weekly.enumerated() {
                    if let rule = WeeklyRule.validate(&v, "weekly[\(i)]", index: i, weekday: w.weekday, start: (w.opens, "opens"),
                                                      end: (w.closes, "closes"), validFrom: w.validFrom, validUntil: w.validUntil) {
                        rules.append(rule)
                    }
                }
                WeeklyRule.reportOverlaps(&v, rules, "weekly")
                let closures = b.closures ?? []
                v.require(closures.count <= 400, "closures", "must have at most 400 dates")
                var seen: [String: Int] = [:]
                for (i, c) in closures.enumerated() {
                    let name = "closures[\(i)]"
                    v.text(c.reason, name + ".reason", max: 200)
                    guard let date = c.date else { v.require(false, name + ".date", "is required"); continue }
                    guard CalendarDate.isValid(date) else { v.require(false, name + ".date", CalendarDate.reason); continue }
                    if date < loc.today {
                        v.require(false, name + ".date", "is in the past; past closures are kept as they were")
                    } else if let j = seen[date] {
                        v.require(false, name + ".date", "repeats closures[\(j)]")
                    } else {
                        seen[date] = i
                    }
                }
                try v.check()
                try db.run(OpeningHoursClear(locationID: location, today: loc.today))
                try db.run(OpeningHoursInsert(locationID: location, weekdays: weekly.map { String($0.weekday ?? 0) },
                                              opens: weekly.map { $0.opens ?? "" }, closes: weekly.map { $0.closes ?? "" },
                                              validFrom: weekly.map { $0.validFrom ?? "" }, validUntil: weekly.map { $0.validUntil ?? "" }))
                try db.run(ClosuresInsert(locationID: location, dates: closures.map { $0.date ?? "" }, reasons: closures.map { $0.reason ?? "" },
                                          plannedBy: actor.staffID, now: ctx.now))
                try db.run(LocationHolidaySettings(locationID: location, closedOnPublicHolidays: b.closedOnPublicHolidays ?? true,
                                                   goodFridayClosed: b.goodFridayClosed, liberationDayClosed: b.liberationDayClosed))
                try ctx.audit(db, "opening-hours.replace", "location", location,
                              .object([("weekly", .int(weekly.count)), ("closures", .int(closures.count))]))
                guard let row = try db.first(OpeningHoursGet(locationID: location, now: ctx.now)) else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                return raw(row.j)
            }
        },
    ]

    // MARK: Rooms

    static let rooms: [DeclaredRoute] = [
        .post("/api/v1/locations/{locationId}/rooms", .coordinator,
              OpenAPIOperation("createRoom", summary: "Create a room", tag: tag, body: "RoomCreate",
                               responses: [.init(201, "Created", "Room")])) { ctx in
            let location = try ctx.id("locationId", "location")
            let b = try ctx.decode(RoomBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 60)
            v.require(b.capacity.map { (1...100).contains($0) } ?? true, "capacity", "must be between 1 and 100")
            try v.check()
            return try write(ctx, "room.create", "room", status: 201) { db in
                guard let row = try db.first(RoomInsert(locationID: location, name: b.name ?? "", capacity: b.capacity ?? 1, now: ctx.now)) else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                return row
            }
        },
        .get("/api/v1/locations/{locationId}/rooms", .coordinator,
             OpenAPIOperation("listRooms", summary: "List the rooms of a location", tag: tag,
                              query: [.init("includeInactive", "boolean", "Also list deactivated rooms.")],
                              responses: [.init(200, "Rooms", "RoomList")])) { ctx in
            let location = try ctx.id("locationId", "location")
            guard let row = try ctx.db.first(RoomList(locationID: location, includeInactive: includeInactive(ctx.request))) else {
                throw Problem.notFound("There is no location with id \(location).")
            }
            return items(row.j)
        },
        .patch("/api/v1/rooms/{roomId}", .coordinator,
               OpenAPIOperation("updateRoom", summary: "Change a room", tag: tag, body: "RoomUpdate",
                                responses: [.init(200, "Changed", "Room")])) { ctx in
            let id = try ctx.id("roomId", "room")
            let b = try ctx.decode(RoomBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 60, required: false)
            v.require(b.capacity.map { (1...100).contains($0) } ?? true, "capacity", "must be between 1 and 100")
            try v.check()
            return try write(ctx, "room.update", "room", id: id) { db in
                guard let row = try db.first(RoomUpdate(id: id, name: b.name, capacity: b.capacity, active: b.active)) else {
                    throw Problem.notFound("There is no room with id \(id).")
                }
                return row
            }
        },
        // Deactivates rather than deletes: appointments will refer to rooms, and a room's history must stay readable.
        .delete("/api/v1/rooms/{roomId}", .coordinator,
                OpenAPIOperation("deactivateRoom", summary: "Deactivate a room", tag: tag, responses: [.init(200, "Deactivated", "Room")])) { ctx in
            let id = try ctx.id("roomId", "room")
            return try write(ctx, "room.deactivate", "room", id: id) { db in
                guard let row = try db.first(RoomUpdate(id: id, active: false)) else { throw Problem.notFound("There is no room with id \(id).") }
                return row
            }
        },
    ]

    // MARK: Staff availability

    static let availability: [DeclaredRoute] = [
        .get("/api/v1/staff/{staffId}/availability", .staff,
             OpenAPIOperation("getStaffAvailability", summary: "A staff member's weekly availability (own, own agency's for coordinators, any for admins)",
                              tag: tag, responses: [.init(200, "Availability", "Availability")])) { ctx in
            let staff = try ctx.id("staffId", "staff member")
            let other = try calendarAccess(ctx, ctx.db, staff: staff)
            guard let row = try ctx.db.first(AvailabilityGet(staffID: staff)) else { throw Problem.notFound("There is no staff member with id \(staff).") }
            if other { try ctx.audit(ctx.db, "availability.read", "staff", staff, nil) }
            return raw(row.j)
        },
        .put("/api/v1/staff/{staffId}/availability", .staff,
             OpenAPIOperation("replaceStaffAvailability", summary: "Replace a staff member's weekly availability at all locations",
                              tag: tag, body: "Availability", responses: [.init(200, "Replaced", "Availability")])) { ctx in
            let staff = try ctx.id("staffId", "staff member")
            let b = try ctx.decode(AvailabilityBody.self)
            return try ctx.transaction { db in
                _ = try calendarAccess(ctx, db, staff: staff)
                try db.run(StaffCalendarLock(staffID: staff))
                var v = Validator()
                v.require(b.intervals != nil, "intervals", "is required (an empty list: not available)")
                let intervals = b.intervals ?? []
                v.require(intervals.count <= 100, "intervals", "must have at most 100 intervals")
                let known = Set(try db.all(LocationsExisting(ids: intervals.compactMap { $0.locationId.flatMap { isUUID($0) ? $0.lowercased() : nil } }))
                    .map(\.id))
                var rules: [WeeklyRule] = []
                for (i, a) in intervals.enumerated() {
                    let name = "intervals[\(i)]"
                    if let l = a.locationId, isUUID(l) {
                        v.require(known.contains(l.lowercased()), name + ".locationId", "does not exist")
                    } else {
                        v.id(a.locationId, name + ".locationId")
                    }
                    let alternate = a.everyOtherWeek ?? false
                    v.require(!alternate || a.validFrom != nil, name + ".validFrom", "is required with everyOtherWeek: it anchors the weeks")
                    if var rule = WeeklyRule.validate(&v, name, index: i, weekday: a.weekday, start: (a.start, "start"), end: (a.end, "end"),
                                                      validFrom: a.validFrom, validUntil: a.validUntil) {
                        if alternate, let from = a.validFrom { rule.parity = CalendarDate.date(from)?.isoWeekParity }
                        rules.append(rule)
                    }
                }
                // Across locations too: one person cannot be in two places at once.
                WeeklyRule.reportOverlaps(&v, rules, "intervals")
                try v.check()
                try db.run(AvailabilityClear(staffID: staff))
                try db.run(AvailabilityInsert(staffID: staff, locations: intervals.map { ($0.locationId ?? "").lowercased() },
                                              weekdays: intervals.map { String($0.weekday ?? 0) }, starts: intervals.map { $0.start ?? "" },
                                              ends: intervals.map { $0.end ?? "" }, validFrom: intervals.map { $0.validFrom ?? "" },
                                              validUntil: intervals.map { $0.validUntil ?? "" },
                                              everyOtherWeek: intervals.map { $0.everyOtherWeek == true ? "t" : "f" }))
                try ctx.audit(db, "availability.replace", "staff", staff, .object([("intervals", .int(intervals.count))]))
                guard let row = try db.first(AvailabilityGet(staffID: staff)) else { throw Problem.notFound("There is no staff member with id \(staff).") }
                return raw(row.j)
            }
        },
    ]

    // MARK: Absences

    static let absences: [DeclaredRoute] = [
        .post("/api/v1/staff/{staffId}/absences", .staff,
              OpenAPIOperation("createAbsence", summary: "Record an absence [start, end) of a staff member (audited unless one's own)",
                               tag: tag, body: "AbsenceCreate", responses: [.init(201, "Recorded", "Absence")])) { ctx in
            let staff = try ctx.id("staffId", "staff member")
            let b = try ctx.decode(AbsenceBody.self)
            let actor = try ctx.actor
            var v = Validator()
            let start = instant(&v, b.start, "start")
            let end = instant(&v, b.end, "end")
            if let start, let end { v.require(end > start, "end", "must be after start") }
            v.require(b.reason.map(absenceReasons.contains) ?? false, "reason", "must be one of " + absenceReasons.joined(separator: ", "))
            return try ctx.transaction { db in
                let other = try calendarAccess(ctx, db, staff: staff)
                try v.check()
                guard let row = try db.first(AbsenceInsert(staffID: staff, start: start!, end: end!, reason: b.reason ?? "",
                                                           enteredBy: actor.staffID, now: ctx.now)) else {
                    throw Problem.notFound("There is no staff member with id \(staff).")
                }
                // Field names only: the reason category is personal data.
                if other { try ctx.audit(db, "absence.create", "staff", staff, .object([("fields", .strings(["end", "reason", "start"]))])) }
                return raw(row.j, status: 201)
            }
        },
        .get("/api/v1/staff/{staffId}/absences", .staff,
             OpenAPIOperation("listAbsences", summary: "A staff member's absences (audited unless one's own)", tag: tag,
                              responses: [.init(200, "Absences", "AbsenceList")])) { ctx in
            let staff = try ctx.id("staffId", "staff member")
            let other = try calendarAccess(ctx, ctx.db, staff: staff)
            let json = try ctx.db.first(AbsenceList(staffID: staff))?.j ?? "[]"
            if other { try ctx.audit(ctx.db, "absence.list", "staff", staff, nil) }
            return items(json)
        },
        .delete("/api/v1/absences/{absenceId}", .staff,
                OpenAPIOperation("deleteAbsence", summary: "Delete an absence (audited unless one's own)", tag: tag,
                                 responses: [.init(204, "Deleted")])) { ctx in
            let id = try ctx.id("absenceId", "absence")
            return try ctx.transaction { db in
                guard let owner = try db.first(AbsenceOwner(absenceID: id)) else { throw Problem.notFound("There is no absence with id \(id).") }
                let other = try calendarAccess(ctx, db, staff: owner.staff_id)
                try db.run(AbsenceDelete(absenceID: id))
                if other { try ctx.audit(db, "absence.delete", "staff", owner.staff_id, .object([("absenceId", .string(id))])) }
                return .noContent
            }
        },
    ]

    // MARK: Appointment types

    static let appointmentTypes: [DeclaredRoute] = [
        .post("/api/v1/appointment-types", .coordinator,
              OpenAPIOperation("createAppointmentType", summary: "Create an appointment type", tag: tag, body: "AppointmentTypeCreate",
                               responses: [.init(201, "Created", "AppointmentType")])) { ctx in
            let b = try ctx.decode(AppointmentTypeBody.self)
            var v = Validator()
            v.code(b.code, "code", max: 48)
            v.text(b.name, "name", max: 200)
            v.require(b.durationMinutes != nil, "durationMinutes", "is required")
            v.require(b.requirements != nil, "requirements", "is required")
            validateAppointmentNumbers(&v, b)
            return try write(ctx, "appointment-type.create", "appointment-type", status: 201) { db in
                try validateRequirements(&v, b.requirements, db)
                try v.check()
                guard let id = try db.first(AppointmentTypeInsert(
                    code: b.code ?? "", name: b.name ?? "", durationMinutes: b.durationMinutes ?? 0, needsRoom: b.needsRoom ?? false,
                    bufferBeforeMinutes: b.bufferBeforeMinutes ?? 0, bufferAfterMinutes: b.bufferAfterMinutes ?? 0,
                    minNoticeMinutes: b.minNoticeMinutes ?? 60, horizonDays: b.horizonDays ?? 90, maxPersons: b.maxPersons ?? 1,
                    extraMinutesPerPerson: b.extraMinutesPerPerson ?? 0, publicBooking: b.publicBooking ?? false, now: ctx.now))?.id
                else { throw Problem.internalError }
                try db.run(AppointmentTypeRequirementsInsert(appointmentTypeID: id, serviceIDs: requirementIDs(b)))
                guard let row = try db.first(AppointmentTypeGet(id: id)) else { throw Problem.internalError }
                return row
            }
        },
        .get("/api/v1/appointment-types", .public,
             OpenAPIOperation("listAppointmentTypes",
                              summary: "List appointment types (coordinator); with public=true anyone gets the bookable ones, booking-form fields only",
                              tag: tag, query: [.init("public", "boolean", "Only active types citizens may book, without internal fields."),
                                                .init("includeInactive", "boolean", "Also list deactivated types (coordinator).")],
                              responses: [.init(200, "Appointment types", "AppointmentTypeList")])) { ctx in
            if ctx.request.query["public"] == "true" {
                return items(try ctx.db.first(AppointmentTypePublicList())?.j ?? "[]")
            }
            // Without public=true the full list is internal: the same check as a coordinator route.
            guard let actor = ctx.principal else { throw Problem.unauthorized() }
            guard actor.role >= .coordinator else {
                throw Problem.forbidden("This needs the role coordinator; you are logged in as \(actor.role.rawValue). Use public=true for the bookable types.")
            }
            return items(try ctx.db.first(AppointmentTypeList(includeInactive: includeInactive(ctx.request)))?.j ?? "[]")
        },
        .get("/api/v1/appointment-types/{appointmentTypeId}", .coordinator,
             OpenAPIOperation("getAppointmentType", summary: "Get an appointment type", tag: tag,
                              responses: [.init(200, "Appointment type", "AppointmentType")])) { ctx in
            let id = try ctx.id("appointmentTypeId", "appointment type")
            guard let row = try ctx.db.first(AppointmentTypeGet(id: id)) else { throw Problem.notFound("There is no appointment type with id \(id).") }
            return raw(row.j)
        },
        .patch("/api/v1/appointment-types/{appointmentTypeId}", .coordinator,
               OpenAPIOperation("updateAppointmentType", summary: "Change an appointment type (requirements are replaced as a whole)", tag: tag,
                                body: "AppointmentTypeUpdate", responses: [.init(200, "Changed", "AppointmentType")])) { ctx in
            let id = try ctx.id("appointmentTypeId", "appointment type")
            let b = try ctx.decode(AppointmentTypeBody.self)
            var v = Validator()
            v.require(b.code == nil, "code", "cannot be changed")
            v.text(b.name, "name", max: 200, required: false)
            validateAppointmentNumbers(&v, b)
            return try write(ctx, "appointment-type.update", "appointment-type", id: id) { db in
                try validateRequirements(&v, b.requirements, db)
                try v.check()
                guard try db.first(AppointmentTypeUpdate(
                    id: id, name: b.name, durationMinutes: b.durationMinutes, needsRoom: b.needsRoom, bufferBeforeMinutes: b.bufferBeforeMinutes,
                    bufferAfterMinutes: b.bufferAfterMinutes, minNoticeMinutes: b.minNoticeMinutes, horizonDays: b.horizonDays,
                    maxPersons: b.maxPersons, extraMinutesPerPerson: b.extraMinutesPerPerson, publicBooking: b.publicBooking, active: b.active)) != nil
                else { throw Problem.notFound("There is no appointment type with id \(id).") }
                if b.requirements != nil {
                    try db.run(AppointmentTypeRequirementsClear(appointmentTypeID: id))
                    try db.run(AppointmentTypeRequirementsInsert(appointmentTypeID: id, serviceIDs: requirementIDs(b)))
                }
                guard let row = try db.first(AppointmentTypeGet(id: id)) else { throw Problem.notFound("There is no appointment type with id \(id).") }
                return row
            }
        },
        // Deactivates: booked appointments will refer to their type.
        .delete("/api/v1/appointment-types/{appointmentTypeId}", .coordinator,
                OpenAPIOperation("deactivateAppointmentType", summary: "Deactivate an appointment type", tag: tag,
                                 responses: [.init(200, "Deactivated", "AppointmentType")])) { ctx in
            let id = try ctx.id("appointmentTypeId", "appointment type")
            return try write(ctx, "appointment-type.deactivate", "appointment-type", id: id) { db in
                guard try db.first(AppointmentTypeUpdate(id: id, active: false)) != nil,
                      let row = try db.first(AppointmentTypeGet(id: id)) else { throw Problem.notFound("There is no appointment type with id \(id).") }
                return row
            }
        },
    ]

    // MARK: Helpers

    /// Whether the asker may see and change this staff member's calendar: true when it is someone else's (the
    /// caller audits), false for one's own; 404 for an unknown staff member, 403 for other agencies' staff.
    static func calendarAccess(_ ctx: RouteContext, _ db: Connection, staff: String) throws -> Bool {
        guard let owner = try db.first(StaffOwner(staffID: staff)) else { throw Problem.notFound("There is no staff member with id \(staff).") }
        let actor = try ctx.actor
        if let me = actor.staffID, me == staff { return false }
        switch actor.role {
        case .admin: return true
        case .coordinator where actor.agencyID == owner.agency_id: return true
        case .coordinator: throw Problem.forbidden("Coordinators manage the calendars of their own agency's staff only.")
        case .staff, .helper: throw Problem.forbidden("Staff manage their own calendar only.")
        }
    }

    /// A change in one transaction with its audit record (field names only).
    static func write(_ ctx: RouteContext, _ action: String, _ subject: String, id: String? = nil, status: Int = 200,
                      _ body: (Connection) throws -> JSONRow) throws -> Response {
        try ctx.transaction { db in
            let row = try body(db)
            let subjectID = id ?? JSON.parse(row.j)["id"]?.stringValue
            try ctx.audit(db, action, subject, subjectID, .object([("fields", .strings(changedFields(ctx.request)))]))
            return raw(row.j, status: status)
        }
    }

    static func instant(_ v: inout Validator, _ text: String?, _ name: String) -> Instant? {
        guard let text else { v.require(false, name, "is required"); return nil }
        guard CalendarDate.isValid(String(text.prefix(10))), let instant = Instant(rfc3339: text) else {
            v.require(false, name, "must be an RFC 3339 time with offset, e.g. 2026-03-02T09:00:00+01:00")
            return nil
        }
        return instant
    }

    static func validateAppointmentNumbers(_ v: inout Validator, _ b: AppointmentTypeBody) {
        func range(_ value: Int?, _ name: String, _ r: ClosedRange<Int>) {
            v.require(value.map(r.contains) ?? true, name, "must be between \(r.lowerBound) and \(r.upperBound)")
        }
        range(b.durationMinutes, "durationMinutes", 5...480)
        range(b.bufferBeforeMinutes, "bufferBeforeMinutes", 0...120)
        range(b.bufferAfterMinutes, "bufferAfterMinutes", 0...120)
        range(b.minNoticeMinutes, "minNoticeMinutes", 0...43200)
        range(b.horizonDays, "horizonDays", 1...366)
        range(b.maxPersons, "maxPersons", 1...20)
        range(b.extraMinutesPerPerson, "extraMinutesPerPerson", 0...120)
    }

    /// Each requirement names an existing, active service (a service may repeat: two staff of one service).
    static func validateRequirements(_ v: inout Validator, _ requirements: [RequirementBody]?, _ db: Connection) throws {
        guard let requirements else { return }
        v.require((1...10).contains(requirements.count), "requirements", "must list 1 to 10 services")
        let ids = requirements.compactMap { $0.serviceId.flatMap { isUUID($0) ? $0.lowercased() : nil } }
        let active = Set(try db.all(ServicesActive(ids: ids)).map(\.id))
        for (i, r) in requirements.enumerated() {
            let name = "requirements[\(i)].serviceId"
            if let s = r.serviceId, isUUID(s) {
                v.require(active.contains(s.lowercased()), name, "is not an active service")
            } else {
                v.id(r.serviceId, name)
            }
        }
    }

    static func requirementIDs(_ b: AppointmentTypeBody) -> [String] { (b.requirements ?? []).map { ($0.serviceId ?? "").lowercased() } }
}

/// One validated weekly interval, for finding overlaps within a submitted set before the database refuses them.
struct WeeklyRule {
    let index: Int
    let weekday: Int
    let start: Int
    let end: Int
    let validFrom: String?
    let validUntil: String?
    /// Nil: every week; 0 or 1: only weeks of that parity (every other week).
    var parity: Int? = nil

    /// Validates one interval's fields under `name` (e.g. `weekly[2]`); returns the rule when all are valid.
    static func validate(_ v: inout Validator, _ name: String, index: Int, weekday: Int?, start: (String?, String), end: (String?, String),
                         validFrom: String?, validUntil: String?) -> WeeklyRule? {
        var ok = true
        func check(_ condition: Bool, _ field: String, _ reason: String) {
            if !condition { ok = false; v.require(false, name + "." + field, reason) }
        }
        check(weekday.map { (1...7).contains($0) } ?? false, "weekday", weekday == nil ? "is required" : "must be 1 (Monday) to 7 (Sunday)")
        let s = start.0.flatMap(WallClock.minutes)
        let e = end.0.flatMap(WallClock.minutes)
        check(s != nil, start.1, start.0 == nil ? "is required" : WallClock.reason)
        check(e != nil, end.1, end.0 == nil ? "is required" : WallClock.reason)
        if let s, let e { check(e > s, end.1, "must be after \(start.1)") }
        check(validFrom.map(CalendarDate.isValid) ?? true, "validFrom", CalendarDate.reason)
        check(validUntil.map(CalendarDate.isValid) ?? true, "validUntil", CalendarDate.reason)
        if let f = validFrom, let u = validUntil, CalendarDate.isValid(f), CalendarDate.isValid(u) {
            check(u >= f, "validUntil", "must not be before validFrom")
        }
        guard ok, let weekday, let s, let e else { return nil }
        return WeeklyRule(index: index, weekday: weekday, start: s, end: e, validFrom: validFrom, validUntil: validUntil)
    }

    func overlaps(_ o: WeeklyRule) -> Bool {
        guard weekday == o.weekday, start < o.end, o.start < end else { return false }
        // Dates as YYYY-MM-DD compare correctly as text; nil is unbounded.
        if let u = validUntil, let f = o.validFrom, u < f { return false }
        if let u = o.validUntil, let f = validFrom, u < f { return false }
        if let p = parity, let q = o.parity, p != q { return false }
        return true
    }

    /// Names each interval that overlaps an earlier one: `weekly[3]` "overlaps weekly[1]".
    static func reportOverlaps(_ v: inout Validator, _ rules: [WeeklyRule], _ list: String) {
        for (n, r) in rules.enumerated() {
            if let earlier = rules[..<n].first(where: { $0.overlaps(r) }) {
                v.require(false, "\(list)[\(r.index)]", "overlaps \(list)[\(earlier.index)]")
            }
        }
    }
}

/// Wall-clock times "HH:MM" (00:00–23:59).
enum WallClock {
    static let reason = "must be a time HH:MM between 00:00 and 23:59"

    static func minutes(_ s: String) -> Int? {
        let u = Array(s.utf8)
        guard u.count == 5, u[2] == UInt8(ascii: ":"), let h = Int(String(s.prefix(2))), let m = Int(String(s.suffix(2))),
              u[0...1].allSatisfy({ $0 >= 48 && $0 <= 57 }), u[3...4].allSatisfy({ $0 >= 48 && $0 <= 57 }),
              (0...23).contains(h), (0...59).contains(m) else { return nil }
        return h * 60 + m
    }
}

/// Calendar dates "YYYY-MM-DD" that exist (no 2026-02-30), from 1900 on: an earlier date in a calendar is a typo.
/// Parsing, arithmetic and week parity are `LocalDate`'s (Scheduling), defined once.
enum CalendarDate {
    static let reason = "must be a date YYYY-MM-DD that exists"

    static func date(_ s: String) -> LocalDate? {
        guard let d = LocalDate(iso: s), d.year >= 1900 else { return nil }
        return d
    }

    static func isValid(_ s: String) -> Bool { date(s) != nil }

    /// The year, month and day of a valid date (AvailabilityRoutes' validation reads them).
    static func parts(_ s: String) -> (y: Int, m: Int, d: Int)? { date(s).map { ($0.year, $0.month, $0.day) } }
}
