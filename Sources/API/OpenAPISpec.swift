import HTTP
import Queue
import Scheduling

/// Builds the OpenAPI 3.0 document from the declared routes of every feature (`Features.all`: each route carries its
/// `OpenAPIOperation`) plus the shared component schemas below, so no route can exist undocumented.
enum OpenAPISpec {
    static let problemStatuses: [(Int, String)] = [
        (400, "Malformed request (invalid JSON or field types)."), (401, "Not logged in."), (403, "Not allowed."),
        (404, "Not found."), (409, "Conflict with the current state."), (413, "Body larger than 64 KiB."),
        (422, "Invalid field values or unknown references."), (429, "Too many requests."), (503, "Database unavailable."),
    ]

    static func s(_ type: String, _ extra: [(String, JSON)] = []) -> JSON { .object([("type", .string(type))] + extra) }
    static let str = s("string"), int = s("integer"), bool = s("boolean")
    static let id = s("string", [("format", .string("uuid"))])
    /// A ticket prefix: one capital letter (several services may share one; see the README on sensitive services).
    static let prefix = s("string", [("pattern", .string("^[A-Z]$"))])
    static let time = s("string", [("format", .string("date-time"))])
    static func nullable(_ schema: JSON) -> JSON {
        guard case .object(let f) = schema else { return schema }
        return .object(f + [("nullable", .bool(true))])
    }
    static func obj(_ props: [(String, JSON)], required: [String] = []) -> JSON {
        var f: [(String, JSON)] = [("type", .string("object")), ("properties", .object(props))]
        if !required.isEmpty { f.append(("required", .strings(required))) }
        return .object(f)
    }
    static func arr(_ item: JSON) -> JSON { .object([("type", .string("array")), ("items", item)]) }
    static func ref(_ name: String) -> JSON { .object([("$ref", .string("#/components/schemas/\(name)"))]) }
    static func list(_ name: String) -> JSON { obj([("items", arr(ref(name)))], required: ["items"]) }
    static func enumeration(_ values: [String]) -> JSON { .object([("type", .string("string")), ("enum", .strings(values))]) }
    static let ticketStatus = enumeration(TicketStatus.allCases.map(\.rawValue))
    static let ticketPriority = enumeration(TicketPriority.allCases.map(\.rawValue))

    static let schemas: [(String, JSON)] = [
        ("Problem", obj([("type", str), ("title", str), ("status", int), ("detail", str),
                         ("invalidParams", arr(obj([("name", str), ("reason", str)]))),
                         // Only on a 409 for an appointment start that is not (or no longer) free: the nearest free ones.
                         ("alternatives", arr(ref("AvailableTime")))], required: ["title", "status"])),
        ("Login", obj([("username", str), ("password", str), ("cookie", bool)], required: ["username", "password"])),
        ("Health", obj([("status", str), ("mail", s("string", [("description", .string(
            "/readyz only: whether mail to citizens can go out (`configured`) or waits in the outbox (`not configured`)."))]))],
            required: ["status"])),
        // A bearer login returns the token; a cookie login never does (the cookie is HttpOnly, and the body would
        // hand the token to scripts), it returns the CSRF token instead.
        ("Session", obj([("token", s("string", [("description", .string("The bearer token. Absent for cookie logins (`cookie: true`): the token is then only in the HttpOnly session cookie."))])),
                         ("expiresAt", time),
                         ("csrfToken", s("string", [("description", .string("Only for cookie logins: send it as X-CSRF-Token with every change."))])),
                         ("staff", ref("SessionStaff"))], required: ["expiresAt", "staff"])),
        // The bootstrap admin token has no staff record and never expires: id, agencyId and expiresAt are null then.
        ("CurrentSession", obj([("expiresAt", nullable(time)),
                                ("csrfToken", s("string", [("description", .string("Only when logged in with the session cookie."))])),
                                ("staff", ref("SessionStaff"))], required: ["expiresAt", "staff"])),
        ("SessionStaff", obj([("id", nullable(id)), ("username", str), ("displayName", str), ("role", enumeration(["staff", "coordinator", "admin"])),
                              ("agencyId", nullable(id)), ("serviceIds", arr(id)), ("scope", ref("CoordinatorScope"))],
                             required: ["id", "username", "displayName", "role", "agencyId", "serviceIds"])),
        ("Agency", obj([("id", id), ("code", str), ("name", str), ("ticketPrefix", nullable(prefix)), ("appointmentRetentionDays", int),
                         ("active", bool), ("createdAt", time)])),
        ("AgencyList", list("Agency")),
        ("AgencyCreate", obj([("code", str), ("name", str), ("ticketPrefix", prefix)], required: ["code", "name"])),
        ("AgencyUpdate", obj([("name", str), ("active", bool), ("ticketPrefix", prefix),
                               ("appointmentRetentionDays", s("integer", [("minimum", .int(1)), ("maximum", .int(3650))]))])),
        ("Location", obj([("id", id), ("code", str), ("name", str), ("timeZone", str), ("active", bool), ("createdAt", time)])),
        ("LocationList", list("Location")),
        ("LocationCreate", obj([("code", str), ("name", str), ("timeZone", s("string", [("default", .string("Europe/Amsterdam"))]))], required: ["code", "name"])),
        ("LocationUpdate", obj([("name", str), ("timeZone", str), ("active", bool)])),
        ("Desk", obj([("id", id), ("locationId", id), ("name", str), ("active", bool), ("createdAt", time)])),
        ("DeskList", list("Desk")),
        ("DeskCreate", obj([("name", str)], required: ["name"])),
        ("DeskUpdate", obj([("name", str), ("active", bool)])),
        ("Service", obj([("id", id), ("agencyId", id), ("code", str), ("name", str), ("translations", s("object")),
                         ("lifeQuestion", enumeration(["money", "documents", "taxes", "study", "work", "housing", "care", "other"])),
                         ("ticketPrefix", prefix), ("ownTicketPrefix", nullable(prefix)), ("sensitive", bool),
                         ("durationMinutes", int), ("urgent", bool), ("active", bool),
                         ("locationIds", arr(id)), ("createdAt", time)])),
        ("ServiceList", list("Service")),
        ("ServiceCreate", obj([("agencyId", id), ("code", str), ("name", str), ("ticketPrefix", prefix), ("durationMinutes", int),
                               ("urgent", bool), ("sensitive", bool), ("locationIds", arr(id)), ("lifeQuestion", str),
                               ("translations", s("object"))],
                              required: ["agencyId", "code", "name", "durationMinutes"])),
        ("ServiceUpdate", obj([("name", str), ("ticketPrefix", prefix), ("useAgencyPrefix", bool), ("sensitive", bool),
                               ("durationMinutes", int), ("urgent", bool),
                               ("locationIds", arr(id)), ("lifeQuestion", str), ("translations", s("object")), ("active", bool)])),
        ("Staff", obj([("id", id), ("agencyId", id), ("username", str), ("displayName", str),
                       ("role", enumeration(["helper", "staff", "coordinator", "admin"])), ("active", bool), ("serviceIds", arr(id)), ("scope", ref("CoordinatorScope")),
                       ("createdAt", time)])),
        ("StaffList", list("Staff")),
        ("StaffCreate", obj([("agencyId", id), ("username", str), ("password", s("string", [("minLength", .int(10))])),
                             ("displayName", str), ("role", enumeration(["helper", "staff", "coordinator", "admin"])), ("serviceIds", arr(id))],
                            required: ["agencyId", "username", "password", "displayName", "role"])),
        ("StaffUpdate", obj([("displayName", str), ("password", str), ("role", str), ("active", bool), ("serviceIds", arr(id)),
                             ("scope", ref("CoordinatorScope"))])),
        ("KioskCreate", obj([("name", str)], required: ["name"])),
        ("Kiosk", obj([("id", id), ("locationId", id), ("name", str), ("deviceToken", str), ("kioskPath", str)])),
        // A registered kiosk as listed or revoked: never its token (only its SHA-256 is stored).
        ("KioskDevice", obj([("id", id), ("locationId", id), ("name", str), ("active", bool), ("createdAt", time)])),
        ("KioskDeviceList", list("KioskDevice")),
        // The coordinator's floor view (FloorRoutes): numbers, services, staff and rooms, no citizen data.
        ("Floor", obj([("location", obj([("id", id), ("code", str), ("name", str), ("timeZone", str)])),
                       ("day", s("string", [("format", .string("date"))])), ("now", time), ("waiting", int), ("urgentWaiting", int),
                       ("desks", arr(obj([("id", id), ("name", str),
                                          ("current", nullable(obj([("number", str), ("status", ticketStatus), ("priority", ticketPriority),
                                                                    ("serviceId", id), ("serviceName", str), ("agencyName", str),
                                                                    ("calledAt", nullable(time)), ("startedAt", nullable(time)),
                                                                    ("staffId", id), ("staffName", str), ("appointment", bool)]))),
                                          ("last", nullable(obj([("staffId", id), ("staffName", str), ("at", time)])))]))),
                       ("services", arr(obj([("id", id), ("name", str), ("agencyName", str), ("ticketPrefix", prefix), ("urgent", bool),
                                             ("waiting", int), ("urgentWaiting", int), ("longestWaitSeconds", nullable(int)),
                                             ("oldestArrivedAt", nullable(time))]))),
                       ("urgent", arr(obj([("number", str), ("serviceName", str), ("agencyName", str), ("arrivedAt", time), ("waitSeconds", int)]))),
                       ("appointments", arr(obj([("id", id), ("start", time), ("end", time), ("status", str), ("typeName", str),
                                                 ("participants", arr(obj([("staffId", id), ("staffName", str), ("agencyName", str)]))),
                                                 ("roomName", nullable(str)), ("ticketNumber", nullable(str)), ("ticketStatus", nullable(ticketStatus)),
                                                 ("late", bool), ("deskName", nullable(str)),
                                                 ("arrival", enumeration(["expected", "overdue", "arrived", "called", "serving", "done", "noShow"]))])))])),
        ("Closure", obj([("reason", str)])),
        ("ClosedDay", obj([("locationId", id), ("closedDay", s("string", [("format", .string("date"))])), ("reason", nullable(str))])),
        ("TakeNumber", obj([("serviceId", id), ("language", s("string", [("pattern", .string("^[a-z]{2,3}$"))])), ("priority", enumeration(["urgent", "normal"]))], required: ["serviceId"])),
        ("NewTicket", obj([("id", id), ("number", str), ("serviceId", id), ("locationId", id), ("priority", ticketPriority),
                           ("status", ticketStatus), ("position", int),
                           ("positionAtLeast", s("boolean", [("description", .string(
                               "True when more tickets wait ahead than are counted (100): the position is then that far back or later, and no wait is estimated."))])),
                           ("estimatedWaitMinutes", nullable(int)), ("createdAt", time),
                           ("language", str)],
                          required: ["id", "number", "serviceId", "locationId", "priority", "status", "position", "positionAtLeast",
                                     "estimatedWaitMinutes", "createdAt", "language"])),
        ("PublicTicket", obj([("id", id), ("number", str), ("status", ticketStatus),
                              ("position", nullable(int)), ("estimatedWaitMinutes", nullable(int)), ("deskName", nullable(str)),
                              ("language", str), ("locationId", id), ("locationCode", str), ("serviceId", id), ("serviceName", str), ("createdAt", time)],
                             required: ["id", "number", "status", "position", "estimatedWaitMinutes", "deskName", "language",
                                        "locationId", "locationCode", "serviceId", "serviceName", "createdAt"])),
        ("DeskTicket", obj([("id", id), ("number", str), ("status", ticketStatus), ("priority", ticketPriority), ("serviceId", id),
                            ("serviceName", str), ("locationId", id), ("deskId", nullable(id)), ("deskName", nullable(str)),
                            ("recallCount", int), ("language", str), ("arrivedAt", time), ("dueAt", time), ("calledAt", nullable(time)),
                            ("startedAt", nullable(time)), ("finishedAt", nullable(time)), ("outcome", nullable(str)), ("handovers", int),
                            // Check-in: the appointment, arrived after the grace, the room the visitor is sent to.
                            ("appointmentId", nullable(id)), ("late", bool), ("roomName", nullable(str)),
                            // The desk actions the state machine allows from `status`: the buttons a desk shows.
                            ("allowedActions", arr(enumeration(TicketAction.allCases.filter(\.isDeskAction).map(\.rawValue))))],
                           required: ["id", "number", "status", "priority", "serviceId", "serviceName", "locationId", "deskId",
                                      "deskName", "recallCount", "language", "arrivedAt", "dueAt", "calledAt", "startedAt",
                                      "finishedAt", "outcome", "handovers", "allowedActions"])),
        ("Finish", obj([("outcome", s("string", [("maxLength", .int(200))])),
                        // Codes of GET /api/v1/outcome-categories, at most one per dimension (reports, migration 0017).
                        ("outcomeCategories", arr(str))])),
        ("Handover", obj([("serviceId", id), ("note", s("string", [("maxLength", .int(2000))])), ("urgent", bool),
                           // Warm referral to a named colleague (then serviceId may be left out); the note is for their agency.
                           ("toStaffId", id)])),
        ("Queue", obj([("items", arr(obj([("id", id), ("number", str), ("serviceId", id), ("serviceName", str), ("priority", ticketPriority),
                                          ("waitedMinutes", int), ("dueAt", time), ("handedOver", bool), ("handoverNote", nullable(str)),
                                          ("appointmentId", nullable(id)), ("late", bool), ("roomName", nullable(str)),
                                          ("notYetDue", bool), ("offeredToMe", bool), ("offeredToOthers", bool),
                                          ("forPerson", nullable(str))],
                                         required: ["id", "number", "serviceId", "serviceName", "priority", "waitedMinutes", "dueAt",
                                                    "handedOver", "handoverNote"]))),
                       // `next` is the cursor for `?after=` of the following page; null on the last page.
                       ("total", int), ("next", nullable(str))], required: ["items", "total", "next"])),
        ("Calls", obj([("calls", arr(obj([("number", str), ("deskName", nullable(str)), ("calledAt", time), ("recallCount", int)],
                                         required: ["number", "deskName", "calledAt", "recallCount"])))], required: ["calls"])),
        ("KioskData", obj([("location", ref("Location")), ("language", str), ("dir", str), ("texts", s("object")),
                           ("languages", arr(obj([("code", str), ("name", str), ("dir", str)]))),
                           ("services", arr(obj([("id", id), ("code", str), ("name", str), ("lifeQuestion", str), ("ticketPrefix", str), ("urgent", bool)])))])),
    ] + calendarSchemas + availabilitySchemas
        + AppointmentReadRoutes.schemas
        + bookingSchemas
        + HelperRoutes.schemas
        + AccessRoutes.schemas
        + CheckInRoutes.schemas
        + ContactRoutes.schemas
        + ReportRoutes.schemas
        + CoordinatorRoutes.schemas

    static let date = s("string", [("format", .string("date"))])
    /// Wall-clock time in the location's zone.
    static let wallClock = s("string", [("pattern", .string("^([01][0-9]|2[0-3]):[0-5][0-9]$"))])
    static let isoWeekday = s("integer", [("minimum", .int(1)), ("maximum", .int(7)), ("description", .string("ISO weekday: 1 = Monday … 7 = Sunday"))])
    static func ranged(_ lo: Int, _ hi: Int, _ def: Int? = nil) -> JSON {
        s("integer", [("minimum", .int(lo)), ("maximum", .int(hi))] + (def.map { [("default", JSON.int($0))] } ?? []))
    }

    /// Calendars (CalendarRoutes): opening hours, rooms, staff availability and absences, appointment types.
    /// Available times (AvailabilityRoutes): public holidays and bookable start times; times only, never staff or rooms.
    static let availabilitySchemas: [(String, JSON)] = [
        ("Holiday", obj([("date", date), ("name", s("string", [("description", .string("Dutch name, e.g. Koningsdag"))])),
                         ("key", enumeration(["new-years-day", "good-friday", "easter-sunday", "easter-monday", "kings-day", "liberation-day",
                                              "ascension-day", "whit-sunday", "whit-monday", "christmas-day", "boxing-day"])),
                         ("optional", s("boolean", [("description", .string(
                             "Good Friday and Liberation Day: a location closes on them only when it chose to."))]))],
                        required: ["date", "name", "key", "optional"])),
        ("HolidayList", list("Holiday")),
        ("AvailableTime", obj([("start", time), ("end", s("string", [("format", .string("date-time")), ("description", .string(
            "Start plus the duration for the persons, without buffers; RFC 3339 with the location's offset at that instant."))]))],
                              required: ["start", "end"])),
        ("AvailableTimeList", list("AvailableTime")),
        ("AvailableDayList", obj([("items", arr(date))], required: ["items"])),
    ]

    static let calendarSchemas: [(String, JSON)] = [
        ("OpeningHours", obj([
            ("locationId", id), ("timeZone", str),
            ("weekly", arr(obj([("weekday", isoWeekday), ("opens", wallClock), ("closes", wallClock),
                                ("validFrom", nullable(date)), ("validUntil", nullable(date))], required: ["weekday", "opens", "closes"]))),
            // A closure made at the desk for the rest of today ("closed today") may have no reason.
            ("closures", arr(obj([("date", date), ("reason", nullable(str))], required: ["date", "reason"]))),
            ("closedOnPublicHolidays", s("boolean", [("default", .bool(true))])),
            ("goodFridayClosed", s("boolean", [("default", .bool(false))])),
            ("liberationDayClosed", s("boolean", [("default", .bool(false))])),
        ], required: ["weekly", "closures", "closedOnPublicHolidays"])),
        ("Room", obj([("id", id), ("locationId", id), ("name", str), ("capacity", int), ("active", bool), ("createdAt", time)])),
        ("RoomList", list("Room")),
        ("RoomCreate", obj([("name", str), ("capacity", ranged(1, 100, 1))], required: ["name"])),
        ("RoomUpdate", obj([("name", str), ("capacity", ranged(1, 100)), ("active", bool)])),
        ("Availability", obj([
            ("staffId", id),
            ("intervals", arr(obj([("locationId", id), ("weekday", isoWeekday), ("start", wallClock), ("end", wallClock),
                                   ("validFrom", nullable(date)), ("validUntil", nullable(date)),
                                   ("everyOtherWeek", s("boolean", [("default", .bool(false)), ("description", .string(
                                       "Applies in validFrom's ISO week (Monday–Sunday) and every second week after it; needs validFrom."))]))],
                                  required: ["locationId", "weekday", "start", "end"]))),
        ], required: ["intervals"])),
        ("AbsenceCreate", obj([("start", time), ("end", time), ("reason", enumeration(["leave", "sickness", "training", "other"]))],
                              required: ["start", "end", "reason"])),
        ("Absence", obj([("id", id), ("staffId", id), ("start", time), ("end", time), ("reason", str), ("createdAt", time)])),
        ("AbsenceList", list("Absence")),
        ("AppointmentTypeCreate", obj([
            ("code", str), ("name", str), ("durationMinutes", ranged(5, 480)), ("needsRoom", bool),
            ("requirements", arr(obj([("serviceId", id)], required: ["serviceId"]))),
            ("bufferBeforeMinutes", ranged(0, 120, 0)), ("bufferAfterMinutes", ranged(0, 120, 0)),
            ("minNoticeMinutes", ranged(0, 43200, 60)), ("horizonDays", ranged(1, 366, 90)), ("maxPersons", ranged(1, 20, 1)),
            ("extraMinutesPerPerson", ranged(0, 120, 0)), ("publicBooking", bool),
        ], required: ["code", "name", "durationMinutes", "requirements"])),
        ("AppointmentTypeUpdate", obj([
            ("name", str), ("durationMinutes", ranged(5, 480)), ("needsRoom", bool),
            ("requirements", arr(obj([("serviceId", id)], required: ["serviceId"]))),
            ("bufferBeforeMinutes", ranged(0, 120)), ("bufferAfterMinutes", ranged(0, 120)), ("minNoticeMinutes", ranged(0, 43200)),
            ("horizonDays", ranged(1, 366)), ("maxPersons", ranged(1, 20)), ("extraMinutesPerPerson", ranged(0, 120)),
            ("publicBooking", bool), ("active", bool),
        ])),
        ("AppointmentType", obj([
            ("id", id), ("code", str), ("name", str), ("durationMinutes", int), ("needsRoom", bool),
            ("requirements", arr(obj([("serviceId", id)]))), ("bufferBeforeMinutes", int), ("bufferAfterMinutes", int),
            ("minNoticeMinutes", int), ("horizonDays", int), ("maxPersons", int), ("extraMinutesPerPerson", int),
            ("publicBooking", bool), ("active", bool), ("createdAt", time),
        ])),
        // With public=true only id, code, name, durationMinutes, maxPersons, extraMinutesPerPerson, minNoticeMinutes, horizonDays.
        ("AppointmentTypeList", list("AppointmentType")),
        // POST /appointments: the appointment ("Appointment", AppointmentReadRoutes), plus the citizen's own link for
        // public bookings.
        ("AppointmentBooking", .object([("allOf", .array([ref("Appointment"), obj([("manageToken", s("string", [("description", .string(
            "Only for public bookings: the secret of the citizen's own link (cancel, reschedule, confirm a hold). Shown once."))]))])]))])),
        ("NewAppointment", obj([
            ("locationId", id), ("appointmentTypeId", id), ("start", time), ("persons", ranged(1, 20, 1)),
            ("staffIds", s("array", [("items", id), ("description", .string("Staff only: one per requirement; absent: Loket chooses, least booked first."))])),
            ("roomId", s("string", [("format", .string("uuid")), ("description", .string("Staff only; absent: the smallest free room that fits."))])),
            ("contactCode", s("string", [("maxLength", .int(500)), ("description", .string(
                "Staff only: the active contact code of a participant at this location (case, spaces and dashes ignored); absent staffIds, Loket prefers that contact person. 422 when they do not take part."))])),
            ("citizen", citizenSchema),
            ("hold", s("boolean", [("description", .string("Hold the slot for a few minutes (status held) while a form is completed; confirm it later."))])),
            ("notify", s("boolean", [("default", .bool(true)), ("description", .string(
                "false: Loket sends the citizen no e-mail about this appointment, now or later (an external form sends its own)."))])),
            ("consent", ref("Consent")),
        ], required: ["locationId", "appointmentTypeId", "start", "citizen"])),
        ("Reschedule", obj([("start", time), ("staffIds", arr(id)), ("roomId", id), ("consent", ref("Consent"))], required: ["start"])),
        ("Cancel", obj([("reason", s("string", [("maxLength", .int(500))])), ("consent", ref("Consent"))])),
        ("CalendarFeedCreate", obj([("staffId", id), ("roomId", id)])),
        ("CalendarFeed", obj([("id", id), ("staffId", nullable(id)), ("roomId", nullable(id)), ("createdBy", nullable(id)),
                              ("createdAt", time), ("revokedAt", nullable(time))])),
        // The subscription URL holds the secret token: it is shown in this answer only.
        ("CalendarFeedCreated", obj([("id", id), ("staffId", nullable(id)), ("roomId", nullable(id)), ("createdBy", nullable(id)),
                                     ("createdAt", time), ("revokedAt", nullable(time)), ("url", str)], required: ["id", "url"])),
        ("CalendarFeedList", list("CalendarFeed")),
        // The outbox (issue 10): state only, never the recipient or the text.
        ("OutboxMessage", obj([("id", id), ("kind", enumeration(OutboxKind.allCases.map(\.rawValue))), ("appointmentId", id),
                               ("language", str), ("status", enumeration(OutboxRoutes.statuses)), ("attempts", s("integer")),
                               ("sendAfter", time), ("claimedUntil", nullable(time)), ("lastError", nullable(str)),
                               ("createdAt", time), ("sentAt", nullable(time))])),
        ("OutboxMessageList", list("OutboxMessage")),
    ]

    /// The citizen's details (personal data): what the appointment type asks, never a BSN or gender.
    static let citizenSchema = obj([
        ("name", nullable(str)), ("email", nullable(str)), ("phone", nullable(str)), ("language", s("string", [("default", .string("nl"))])),
        ("needs", arr(enumeration(AppointmentRoutes.needsList))), ("needsNote", nullable(s("string", [("maxLength", .int(200))]))),
    ])


    /// One operation of the document, from a route declaration.
    struct Entry {
        let method: String
        let path: String
        let access: String
        let operation: OpenAPIOperation
        /// For coordinator routes: what a limited coordinator's scope is checked against (`x-scope`).
        var scope: JSON? = nil
    }

    static var entries: [Entry] {
        let declared = Features.routes.map { item in
            Entry(method: item.route.method.lowercased(), path: item.route.documentedPath, access: item.route.access.rawValue,
                  operation: item.route.documentedOperation, scope: scopeDocument(item.route))
        }
        return declared
    }

    /// `x-scope` of a coordinator route: which path parameters (and the `locationId`/`agencyId` query parameter or
    /// body field) a limited coordinator's scope is checked against; admins are never limited.
    static func scopeDocument(_ route: DeclaredRoute) -> JSON? {
        guard route.access == .coordinator else { return nil }
        let p = route.scopeParameters
        return .object([("locations", .strings(p.locations + ["locationId (query or body)"])),
                        ("agencies", .strings(p.agencies + ["agencyId (query or body)"])),
                        ("description", .string("A coordinator limited to some locations, or to their own agency, is refused (403) when these name "
                                                 + "another location or agency. Admins and loket-wide coordinators are not limited."))])
    }

    static func render() -> String {
        var paths: [(String, [(String, JSON)])] = []
        for entry in entries {
            let op = entry.operation
            var fields: [(String, JSON)] = [("summary", .string(op.summary)), ("tags", .strings([op.tag])),
                                            ("operationId", .string(op.operationID))]
            let pathParams = entry.path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            var params: [JSON] = pathParams.map {
                .object([("name", .string($0)), ("in", .string("path")), ("required", .bool(true)), ("schema", str)])
            }
            params += op.queryParameters.map { q in
                var schema: [(String, JSON)] = [("type", .string(q.type))]
                if let format = q.format { schema.append(("format", .string(format))) }
                return .object([("name", .string(q.name)), ("in", .string("query")), ("required", .bool(false)),
                                ("description", .string(q.description)), ("schema", .object(schema))])
            }
            params += op.headerParameters.map { h in
                var schema: [(String, JSON)] = [("type", .string("string")), ("minLength", .int(1))]
                if let max = h.maxLength { schema.append(("maxLength", .int(max))) }
                return .object([("name", .string(h.name)), ("in", .string("header")), ("required", .bool(h.required)),
                                ("description", .string(h.description)), ("schema", .object(schema))])
            }
            if !params.isEmpty { fields.append(("parameters", .array(params))) }
            if entry.access != Access.public.rawValue {
                fields.append(("security", .array([.object([("bearer", .array([]))]), .object([("cookie", .array([]))])])))
                fields.append(("x-role", .string(entry.access)))
                if let scope = entry.scope { fields.append(("x-scope", scope)) }
            }
            if let request = op.requestBody {
                fields.append(("requestBody", .object([("required", .bool(true)), ("content", .object([
                    ("application/json", .object([("schema", ref(request))]))]))])))
            }
            var responses: [(String, JSON)] = op.responses.map { response in
                var r: [(String, JSON)] = [("description", .string(response.description))]
                if response.schema == "Problem" {
                    // A problem an operation describes itself (e.g. the booking limits' 429), in place of the generic one.
                    r.append(("content", .object([("application/problem+json", .object([("schema", ref("Problem"))]))])))
                    if response.status == 429 || response.status == 503 {
                        r.append(("headers", .object([("Retry-After", .object([("description", .string("Seconds to wait before trying again")),
                                                                                ("schema", int)]))])))
                    }
                } else if let schema = response.schema {
                    r.append(("content", .object([("application/json", .object([("schema", ref(schema))]))]
                                                 + response.alsoAs.map { ($0, .object([("schema", str)])) })))
                } else if let type = response.contentType {
                    let schema = type == "application/json" ? s("object") : str
                    r.append(("content", .object([(type, .object([("schema", schema)]))])))
                }
                return (String(response.status), .object(r))
            }
            for (status, description) in problemStatuses where !op.responses.contains(where: { $0.status == status }) {
                responses.append((String(status), .object([("description", .string(description)), ("content", .object([
                    ("application/problem+json", .object([("schema", ref("Problem"))]))]))])))
            }
            fields.append(("responses", .object(responses)))
            if let i = paths.firstIndex(where: { $0.0 == entry.path }) {
                paths[i].1.append((entry.method, .object(fields)))
            } else {
                paths.append((entry.path, [(entry.method, .object(fields))]))
            }
        }
        let doc = JSON.object([
            ("openapi", .string("3.0.3")),
            ("info", .object([("title", .string("Loket API")), ("version", .string("1.0.0")),
                              ("description", .string("Shared government service desks: walk-in queue, desks, displays. Errors are RFC 9457 problem+json; times are RFC 3339 in the location's time zone."))])),
            ("servers", .array([.object([("url", .string("/"))])])),
            ("paths", .object(paths.map { ($0.0, JSON.object($0.1)) })),
            ("components", .object([
                ("schemas", .object(schemas)),
                ("securitySchemes", .object([
                    ("bearer", .object([("type", .string("http")), ("scheme", .string("bearer"))])),
                    ("cookie", .object([("type", .string("apiKey")), ("in", .string("cookie")), ("name", .string("loket_session"))])),
                ])),
            ])),
        ])
        return doc.serialized
    }

}
