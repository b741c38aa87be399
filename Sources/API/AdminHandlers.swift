import Credentials
import HTTP
import Postgres

// Administration: agencies, locations, desks, services (with their ticket prefixes), staff, and a location's
// closure for the rest of today. The model for converted features: routes declared once in `AdminRoutes`, the SQL
// of `SQL/admin.sql` called through the types of `AdminStatements.swift`, the feature's own constraint problems.
//
// Creating, changing and deactivating needs an admin; reading the non-personal lists (agencies, locations, desks,
// services) needs any staff login, since desk pages need them. Staff accounts are personal data: admins only, and
// every read and change is audited — except that coordinators create and deactivate helper accounts (role helper,
// see HelperRoutes.swift), so a library's help point gets its accounts without an admin.

struct AgencyBody: Decodable { let code: String?; let name: String?; let ticketPrefix: String?; let active: Bool?; let appointmentRetentionDays: Int? }
struct LocationBody: Decodable { let code: String?; let name: String?; let timeZone: String?; let active: Bool? }
struct DeskBody: Decodable { let name: String?; let active: Bool? }
struct ServiceBody: Decodable {
    let agencyId: String?, code: String?, name: String?, ticketPrefix: String?, useAgencyPrefix: Bool?, durationMinutes: Int?
    let urgent: Bool?, sensitive: Bool?, locationIds: [String]?, lifeQuestion: String?, translations: [String: String]?
    let active: Bool?
}
struct StaffBody: Decodable {
    let agencyId: String?, username: String?, password: String?, displayName: String?, role: String?
    let serviceIds: [String]?, active: Bool?
    /// A coordinator's scope (admins set it; see `CoordinatorScope`).
    let scope: ScopeBody?
}
/// `allLocations` true: every location; false: only `locationIds`. `ownAgencyOnly`: only their own agency's data.
struct ScopeBody: Decodable { let allLocations: Bool?; let locationIds: [String]?; let ownAgencyOnly: Bool? }

private let tag = "administration"
private let inactiveParameter = OpenAPIOperation.QueryParameter("includeInactive", "boolean", "Also list deactivated items.")
private let agencyParameter = OpenAPIOperation.QueryParameter("agencyId", "string", format: "uuid", "Only this agency's.")
private let prefixReason = "must be one capital letter A–Z"

enum AdminRoutes: RouteCollection {
    static let routes: [DeclaredRoute] = agencies + locations + desks + services + staff + closure

    /// The administration's own constraints (names from the migrations) and what each means for the client.
    static let constraints: [String: Problem] = [
        "staff_username": .conflict("There is already a staff member with this username."),
        "staff_service_service_id_agency_id_fkey": servicesOfOwnAgency,
        "staff_service_staff_id_agency_id_fkey": servicesOfOwnAgency,
        "location_time_zone_check": invalid("timeZone", "must be an IANA time zone such as Europe/Amsterdam"),
        "agency_code_check": invalid("code", "must be 1–32 lowercase letters, digits or dashes"),
        "location_code_check": invalid("code", "must be 1–32 lowercase letters, digits or dashes"),
        "service_code_check": invalid("code", "must be 1–48 lowercase letters, digits or dashes"),
        "agency_ticket_prefix_check": invalid("ticketPrefix", prefixReason),
        "service_ticket_prefix_check": invalid("ticketPrefix", prefixReason),
        "service_own_ticket_prefix_check": invalid("ticketPrefix", prefixReason),
        "service_duration_minutes_check": invalid("durationMinutes", "must be between 1 and 480"),
        "service_life_question_check":
            invalid("lifeQuestion", "must be one of money, documents, taxes, study, work, housing, care, other"),
        "staff_username_check": invalid("username", "must be 2–64 lowercase letters, digits, dots, dashes or underscores"),
        "staff_role_check": invalid("role", "must be helper, staff, coordinator or admin"),
        // A letter of its own would tell the waiting room why the visitor came (debt help, emergency aid).
        "service_sensitive_prefix_shared": .unprocessable(
            "A sensitive service must share its ticket prefix with an ordinary service at each of its locations, so the "
                + "number called does not tell others why someone came.",
            invalidParams: [.init(name: "ticketPrefix", reason: "must be shared with a non-sensitive service at every location of this service")]),
        "service_location_location_id_fkey": invalid("locationIds", "does not exist"),
        // Taken names and codes belong next to their field on the administration page, so they name it.
        "desk_location_id_name_key": taken("name", "There is already a desk with this name at this location."),
        "agency_code_key": taken("code", "There is already an agency with this code."),
        "location_code_key": taken("code", "There is already a location with this code."),
        "service_code_key": taken("code", "There is already a service with this code."),
        "staff_location_scope_location_id_fkey": invalid("scope.locationIds", "must be existing locations"),
    ]

    /// How many days after an appointment its personal data may be kept (per agency; default 30).
    static let appointmentRetentionDays = 1...3650

    static func taken(_ name: String, _ detail: String) -> Problem {
        Problem(status: 409, title: "Conflict", detail: detail, invalidParams: [.init(name: name, reason: "is already in use")])
    }

    static let servicesOfOwnAgency = Problem.unprocessable(
        "A staff member can only serve services of their own agency.",
        invalidParams: [.init(name: "serviceIds", reason: "must be existing services of the staff member's agency")])

    static func invalid(_ name: String, _ reason: String) -> Problem {
        .unprocessable("Some fields are not valid.", invalidParams: [.init(name: name, reason: reason)])
    }

    // MARK: Agencies

    static let agencies: [DeclaredRoute] = [
        .post("/api/v1/agencies", .admin, OpenAPIOperation("createAgency", summary: "Create an agency", tag: tag,
                                                           body: "AgencyCreate", responses: [.init(201, "Created", "Agency")])) { ctx in
            let b = try ctx.decode(AgencyBody.self)
            var v = Validator()
            v.code(b.code, "code")
            v.text(b.name, "name", max: 200)
            v.require(b.ticketPrefix.map(isPrefix) ?? true, "ticketPrefix", prefixReason)
            try v.check()
            return try adminWrite(ctx, "agency.create", "agency", status: 201) { db in
                try db.first(AgencyInsert(code: b.code, name: b.name, ticketPrefix: b.ticketPrefix))
            }
        },
        .get("/api/v1/agencies", .staff, OpenAPIOperation("listAgencies", summary: "List agencies", tag: tag, query: [inactiveParameter],
                                                          responses: [.init(200, "Agencies", "AgencyList")])) { ctx in
            try list(ctx, AgencyList(includeInactive: includeInactive(ctx.request)))
        },
        .get("/api/v1/agencies/{agencyId}", .staff, OpenAPIOperation("getAgency", summary: "Get an agency", tag: tag,
                                                                     responses: [.init(200, "Agency", "Agency")])) { ctx in
            try one(ctx, "agency", AgencyGet(id: try ctx.id("agencyId", "agency")))
        },
        .patch("/api/v1/agencies/{agencyId}", .admin, OpenAPIOperation("updateAgency", summary: "Change an agency (name, default ticket prefix, days appointments keep personal data)",
                                                                       tag: tag, body: "AgencyUpdate", responses: [.init(200, "Changed", "Agency")])) { ctx in
            let id = try ctx.id("agencyId", "agency")
            let b = try ctx.decode(AgencyBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 200, required: false)
            v.require(b.code == nil, "code", "cannot be changed")
            v.require(b.ticketPrefix.map(isPrefix) ?? true, "ticketPrefix", prefixReason)
            // The same bounds as agency_appointment_retention_days_check (a test ties them).
            v.require(b.appointmentRetentionDays.map { AdminRoutes.appointmentRetentionDays.contains($0) } ?? true, "appointmentRetentionDays",
                      "must be between \(AdminRoutes.appointmentRetentionDays.lowerBound) and \(AdminRoutes.appointmentRetentionDays.upperBound)")
            try v.check()
            return try adminWrite(ctx, "agency.update", "agency", id: id) { db in
                try db.first(AgencyUpdate(id: id, name: b.name, active: b.active, ticketPrefix: b.ticketPrefix,
                                          appointmentRetentionDays: b.appointmentRetentionDays))
            }
        },
        .delete("/api/v1/agencies/{agencyId}", .admin, OpenAPIOperation("deactivateAgency", summary: "Deactivate an agency", tag: tag,
                                                                        responses: [.init(200, "Deactivated", "Agency")])) { ctx in
            let id = try ctx.id("agencyId", "agency")
            return try adminWrite(ctx, "agency.deactivate", "agency", id: id) { db in try db.first(AgencyUpdate(id: id, active: false)) }
        },
    ]

    // MARK: Locations

    static let locations: [DeclaredRoute] = [
        .post("/api/v1/locations", .admin, OpenAPIOperation("createLocation", summary: "Create a location", tag: tag,
                                                            body: "LocationCreate", responses: [.init(201, "Created", "Location")])) { ctx in
            let b = try ctx.decode(LocationBody.self)
            var v = Validator()
            v.code(b.code, "code")
            v.text(b.name, "name", max: 200)
            try v.check()
            return try adminWrite(ctx, "location.create", "location", status: 201) { db in
                try db.first(LocationInsert(code: b.code, name: b.name, timeZone: b.timeZone ?? "Europe/Amsterdam"))
            }
        },
        .get("/api/v1/locations", .staff, OpenAPIOperation("listLocations", summary: "List locations", tag: tag, query: [inactiveParameter],
                                                           responses: [.init(200, "Locations", "LocationList")])) { ctx in
            try list(ctx, LocationList(includeInactive: includeInactive(ctx.request)))
        },
        .get("/api/v1/locations/{locationId}", .staff, OpenAPIOperation("getLocation", summary: "Get a location", tag: tag,
                                                                        responses: [.init(200, "Location", "Location")])) { ctx in
            try one(ctx, "location", LocationGet(id: try ctx.id("locationId", "location")))
        },
        .patch("/api/v1/locations/{locationId}", .admin, OpenAPIOperation("updateLocation", summary: "Change a location", tag: tag,
                                                                          body: "LocationUpdate", responses: [.init(200, "Changed", "Location")])) { ctx in
            let id = try ctx.id("locationId", "location")
            let b = try ctx.decode(LocationBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 200, required: false)
            v.require(b.code == nil, "code", "cannot be changed")
            try v.check()
            return try adminWrite(ctx, "location.update", "location", id: id) { db in
                try db.first(LocationUpdate(id: id, name: b.name, timeZone: b.timeZone, active: b.active))
            }
        },
        .delete("/api/v1/locations/{locationId}", .admin, OpenAPIOperation("deactivateLocation", summary: "Deactivate a location", tag: tag,
                                                                           responses: [.init(200, "Deactivated", "Location")])) { ctx in
            let id = try ctx.id("locationId", "location")
            return try adminWrite(ctx, "location.deactivate", "location", id: id) { db in try db.first(LocationUpdate(id: id, active: false)) }
        },
    ]

    // MARK: Desks

    static let desks: [DeclaredRoute] = [
        .post("/api/v1/locations/{locationId}/desks", .admin, OpenAPIOperation("createDesk", summary: "Create a desk", tag: tag,
                                                                               body: "DeskCreate", responses: [.init(201, "Created", "Desk")])) { ctx in
            let location = try ctx.id("locationId", "location")
            let b = try ctx.decode(DeskBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 60)
            try v.check()
            return try adminWrite(ctx, "desk.create", "desk", status: 201) { db in
                guard try db.first(LocationGet(id: location)) != nil else { throw Problem.notFound("There is no location with id \(location).") }
                return try db.first(DeskInsert(locationID: location, name: b.name))
            }
        },
        .get("/api/v1/locations/{locationId}/desks", .staff, OpenAPIOperation("listDesks", summary: "List the desks of a location", tag: tag,
                                                                              query: [inactiveParameter], responses: [.init(200, "Desks", "DeskList")])) { ctx in
            let location = try ctx.id("locationId", "location")
            guard try ctx.db.first(LocationGet(id: location)) != nil else { throw Problem.notFound("There is no location with id \(location).") }
            return try list(ctx, DeskList(locationID: location, includeInactive: includeInactive(ctx.request)))
        },
        .get("/api/v1/desks/{deskId}", .staff, OpenAPIOperation("getDesk", summary: "Get a desk", tag: tag,
                                                                responses: [.init(200, "Desk", "Desk")])) { ctx in
            try one(ctx, "desk", DeskGet(id: try ctx.id("deskId", "desk")))
        },
        .patch("/api/v1/desks/{deskId}", .admin, OpenAPIOperation("updateDesk", summary: "Change a desk", tag: tag,
                                                                  body: "DeskUpdate", responses: [.init(200, "Changed", "Desk")])) { ctx in
            let id = try ctx.id("deskId", "desk")
            let b = try ctx.decode(DeskBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 60, required: false)
            try v.check()
            return try adminWrite(ctx, "desk.update", "desk", id: id) { db in try db.first(DeskUpdate(id: id, name: b.name, active: b.active)) }
        },
        .delete("/api/v1/desks/{deskId}", .admin, OpenAPIOperation("deactivateDesk", summary: "Deactivate a desk", tag: tag,
                                                                   responses: [.init(200, "Deactivated", "Desk")])) { ctx in
            let id = try ctx.id("deskId", "desk")
            return try adminWrite(ctx, "desk.deactivate", "desk", id: id) { db in try db.first(DeskUpdate(id: id, active: false)) }
        },
    ]

    // MARK: Services

    static let services: [DeclaredRoute] = [
        .post("/api/v1/services", .admin, OpenAPIOperation("createService", summary: "Create a service (without ticketPrefix it uses its agency's)",
                                                           tag: tag, body: "ServiceCreate", responses: [.init(201, "Created", "Service")])) { ctx in
            let b = try ctx.decode(ServiceBody.self)
            var v = Validator()
            v.id(b.agencyId, "agencyId")
            v.code(b.code, "code", max: 48)
            v.text(b.name, "name", max: 200)
            v.require(b.ticketPrefix.map(isPrefix) ?? true, "ticketPrefix", prefixReason)
            v.require(b.durationMinutes.map { (1...480).contains($0) } ?? false, "durationMinutes", "must be between 1 and 480")
            v.require((b.locationIds ?? []).allSatisfy(isUUID), "locationIds", "must be a list of location ids")
            try v.check()
            return try adminWrite(ctx, "service.create", "service", status: 201) { db in
                let insert = ServiceInsert(agencyID: b.agencyId, code: b.code, name: b.name, ownTicketPrefix: b.ticketPrefix,
                                           durationMinutes: b.durationMinutes, urgent: b.urgent ?? false, locationIDs: b.locationIds ?? [],
                                           lifeQuestion: b.lifeQuestion, translations: translationsJSON(b.translations),
                                           sensitive: b.sensitive ?? false)
                guard let id = try db.first(insert)?.id else { return nil }
                return try db.first(ServiceGet(id: id))
            }
        },
        .get("/api/v1/services", .staff, OpenAPIOperation("listServices", summary: "List services", tag: tag,
                                                          query: [inactiveParameter, agencyParameter], responses: [.init(200, "Services", "ServiceList")])) { ctx in
            let agency = ctx.request.query["agencyId"].flatMap { isUUID($0) ? $0 : nil }
            return try list(ctx, ServiceList(includeInactive: includeInactive(ctx.request), agencyID: agency))
        },
        .get("/api/v1/services/{serviceId}", .staff, OpenAPIOperation("getService", summary: "Get a service", tag: tag,
                                                                      responses: [.init(200, "Service", "Service")])) { ctx in
            try one(ctx, "service", ServiceGet(id: try ctx.id("serviceId", "service")))
        },
        .patch("/api/v1/services/{serviceId}", .admin, OpenAPIOperation("updateService", summary: "Change a service", tag: tag,
                                                                        body: "ServiceUpdate", responses: [.init(200, "Changed", "Service")])) { ctx in
            let id = try ctx.id("serviceId", "service")
            let b = try ctx.decode(ServiceBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 200, required: false)
            v.require(b.code == nil && b.agencyId == nil, "code", "code and agency cannot be changed")
            v.require(b.ticketPrefix.map(isPrefix) ?? true, "ticketPrefix", prefixReason)
            v.require(!(b.ticketPrefix != nil && b.useAgencyPrefix == true), "useAgencyPrefix", "cannot be combined with ticketPrefix")
            v.require((b.locationIds ?? []).allSatisfy(isUUID), "locationIds", "must be a list of location ids")
            try v.check()
            return try adminWrite(ctx, "service.update", "service", id: id) { db in
                let update = ServiceUpdate(id: id, name: b.name, ownTicketPrefix: b.ticketPrefix, durationMinutes: b.durationMinutes,
                                           urgent: b.urgent, lifeQuestion: b.lifeQuestion, translations: translationsJSON(b.translations),
                                           active: b.active, useAgencyPrefix: b.useAgencyPrefix ?? false, sensitive: b.sensitive)
                guard try db.first(update) != nil else { return nil }
                if let locations = b.locationIds { try db.run(ServiceSetLocations(id: id, locationIDs: locations)) }
                return try db.first(ServiceGet(id: id))
            }
        },
        .delete("/api/v1/services/{serviceId}", .admin, OpenAPIOperation("deactivateService", summary: "Deactivate a service", tag: tag,
                                                                         responses: [.init(200, "Deactivated", "Service")])) { ctx in
            let id = try ctx.id("serviceId", "service")
            return try adminWrite(ctx, "service.deactivate", "service", id: id) { db in
                guard try db.first(ServiceUpdate(id: id, active: false)) != nil else { return nil }
                return try db.first(ServiceGet(id: id))
            }
        },
    ]

    // MARK: Staff

    static let staff: [DeclaredRoute] = [
        .post("/api/v1/staff", .coordinator, OpenAPIOperation("createStaffMember",
                                                              summary: "Create a staff account (admin); coordinators create helper accounts only",
                                                              tag: tag, body: "StaffCreate", responses: [.init(201, "Created", "Staff")])) { ctx in
            let b = try ctx.decode(StaffBody.self)
            // Coordinators let helpers in (a library's help point, a social worker); every other account is an admin's.
            if try ctx.actor.role < .admin && b.role != Role.helper.rawValue {
                throw Problem.forbidden("Coordinators create helper accounts only (role helper); other accounts are created by an admin.")
            }
            var v = Validator()
            // A helper acts for citizens and serves no service of any agency.
            v.require(b.role != Role.helper.rawValue || (b.serviceIds ?? []).isEmpty, "serviceIds", "a helper serves no services")
            v.id(b.agencyId, "agencyId")
            v.text(b.username, "username", max: 64)
            v.text(b.displayName, "displayName", max: 200)
            v.require((b.password ?? "").count >= 10, "password", "must be at least 10 characters")
            // A longer one could never log in: the login refuses passwords beyond this before hashing.
            v.require((b.password ?? "").utf8.count <= SessionRoutes.maxPasswordBytes, "password",
                      "must be at most \(SessionRoutes.maxPasswordBytes) bytes")
            v.require(b.role.flatMap(Role.init(rawValue:)) != nil, "role", "must be helper, staff, coordinator or admin")
            v.require((b.serviceIds ?? []).allSatisfy(isUUID), "serviceIds", "must be a list of service ids")
            try v.check()
            // Argon2id is deliberately slow: hash before the transaction starts.
            let hash = try Credentials.hashPassword(b.password ?? "")
            return try adminWrite(ctx, "staff.create", "staff", status: 201) { db in
                guard let id = try db.first(StaffInsert(agencyID: b.agencyId, username: b.username, passwordHash: hash,
                                                        displayName: b.displayName, role: b.role, serviceIDs: b.serviceIds ?? []))?.id
                else { return nil }
                return try db.first(StaffGet(id: id))
            }
        },
        .get("/api/v1/staff", .admin, OpenAPIOperation("listStaff", summary: "List staff accounts (audited)", tag: tag,
                                                       query: [inactiveParameter, agencyParameter], responses: [.init(200, "Staff", "StaffList")])) { ctx in
            let agency = ctx.request.query["agencyId"].flatMap { isUUID($0) ? $0 : nil }
            let rows = try ctx.db.all(StaffList(includeInactive: includeInactive(ctx.request), agencyID: agency))
            try ctx.audit(ctx.db, "staff.list", "staff", nil, .object([("agencyId", .optional(agency))]))
            return items(rows.first?.j ?? "[]")
        },
        .get("/api/v1/staff/{staffId}", .admin, OpenAPIOperation("getStaffMember", summary: "Get a staff account (audited)", tag: tag,
                                                                 responses: [.init(200, "Staff", "Staff")])) { ctx in
            let id = try ctx.id("staffId", "staff member")
            guard let row = try ctx.db.first(StaffGet(id: id)) else { throw Problem.notFound("There is no staff member with id \(id).") }
            try ctx.audit(ctx.db, "staff.read", "staff", id, nil)
            return raw(row.j)
        },
        .patch("/api/v1/staff/{staffId}", .admin, OpenAPIOperation("updateStaffMember", summary: "Change a staff account (also a coordinator's scope: locations, own agency only)", tag: tag,
                                                                   body: "StaffUpdate", responses: [.init(200, "Changed", "Staff")])) { ctx in
            let id = try ctx.id("staffId", "staff member")
            let b = try ctx.decode(StaffBody.self)
            var v = Validator()
            v.text(b.displayName, "displayName", max: 200, required: false)
            v.require(b.password.map { $0.count >= 10 } ?? true, "password", "must be at least 10 characters")
            v.require(b.password.map { $0.utf8.count <= SessionRoutes.maxPasswordBytes } ?? true, "password",
                      "must be at most \(SessionRoutes.maxPasswordBytes) bytes")
            v.require(b.role.map { Role(rawValue: $0) != nil } ?? true, "role", "must be helper, staff, coordinator or admin")
            v.require(b.username == nil && b.agencyId == nil, "username", "username and agency cannot be changed")
            v.require((b.serviceIds ?? []).allSatisfy(isUUID), "serviceIds", "must be a list of service ids")
            if let scope = b.scope {
                v.require((scope.locationIds ?? []).allSatisfy(isUUID), "scope.locationIds", "must be a list of location ids")
                v.require((scope.locationIds ?? []).count <= 500, "scope.locationIds", "must have at most 500 locations")
                v.require(!(scope.allLocations == true && !(scope.locationIds ?? []).isEmpty), "scope.locationIds",
                          "must be empty with allLocations true")
            }
            try v.check()
            let hash = try b.password.map(Credentials.hashPassword)
            return try adminWrite(ctx, "staff.update", "staff", id: id) { db in
                guard try db.first(StaffUpdate(id: id, displayName: b.displayName, role: b.role, passwordHash: hash, active: b.active)) != nil
                else { return nil }
                if let services = b.serviceIds { try db.run(StaffSetServices(id: id, serviceIDs: services)) }
                if let scope = b.scope {
                    // Listing locations limits to them (allLocations false unless said otherwise); allLocations true clears the list.
                    let all = scope.allLocations ?? (scope.locationIds == nil ? nil : false)
                    try db.run(StaffSetScope(id: id, allLocations: all, ownAgencyOnly: scope.ownAgencyOnly,
                                             locationIDs: all == true ? [] : scope.locationIds.map { $0.map { $0.lowercased() } }))
                }
                // A new password or a deactivated account ends every session of the account at once.
                if hash != nil || b.active == false { try db.run(StaffEndSessions(staffID: id)) }
                return try db.first(StaffGet(id: id))
            }
        },
        .delete("/api/v1/staff/{staffId}", .coordinator,
                OpenAPIOperation("deactivateStaffMember", summary: "Deactivate a staff account (admin); coordinators deactivate helper accounts only",
                                 tag: tag, responses: [.init(200, "Deactivated", "Staff")])) { ctx in
            let id = try ctx.id("staffId", "staff member")
            if try ctx.actor.role < .admin {
                guard let row = try ctx.db.first(StaffGet(id: id)) else { throw Problem.notFound("There is no staff member with id \(id).") }
                guard JSON.parse(row.j)["role"]?.stringValue == Role.helper.rawValue else {
                    throw Problem.forbidden("Coordinators deactivate helper accounts only; other accounts are an admin's.")
                }
            }
            return try adminWrite(ctx, "staff.deactivate", "staff", id: id) { db in
                guard try db.first(StaffUpdate(id: id, active: false)) != nil else { return nil }
                try db.run(StaffEndSessions(staffID: id))
                return try db.first(StaffGet(id: id))
            }
        },
    ]

    // MARK: Closure for the rest of today

    static let closure: [DeclaredRoute] = [
        .post("/api/v1/locations/{locationId}/closure", .coordinator,
              OpenAPIOperation("closeLocationToday", summary: "Close the location for the rest of today", tag: "queue", body: "Closure",
                               responses: [.init(200, "Closed", "ClosedDay")])) { ctx in
            let location = try ctx.id("locationId", "location")
            let reason = ctx.request.body.isEmpty ? nil : try ctx.decode(ClosureBody.self).reason
            let actor = try ctx.actor
            return try ctx.transaction { db in
                guard let day = try db.first(CloseLocationDay(locationID: location, reason: reason, closedBy: actor.staffID, now: ctx.now))?.day
                else { throw Problem.notFound("There is no location with id \(location).") }
                try ctx.audit(db, "location.close", "location", location, .object([("day", .string(day))]))
                return .json(.object([("locationId", .string(location)), ("closedDay", .string(day)), ("reason", .optional(reason))]))
            }
        },
        .delete("/api/v1/locations/{locationId}/closure", .coordinator,
                OpenAPIOperation("reopenLocationToday", summary: "Reopen the location today", tag: "queue",
                                 responses: [.init(204, "Reopened (or was open)")])) { ctx in
            let location = try ctx.id("locationId", "location")
            return try ctx.transaction { db in
                guard try db.first(ReopenLocationDay(locationID: location, now: ctx.now)) != nil else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                try ctx.audit(db, "location.reopen", "location", location, nil)
                return .noContent
            }
        },
    ]

    // MARK: Helpers

    /// An admin change in one transaction with its audit record. `body` returns the changed row's JSON, or nil when
    /// the subject does not exist (404).
    static func adminWrite(_ ctx: RouteContext, _ action: String, _ subject: String, id: String? = nil, status: Int = 200,
                           _ body: (Connection) throws -> JSONRow?) throws -> Response {
        try ctx.transaction { db in
            guard let row = try body(db) else {
                throw Problem.notFound("There is no \(subject == "staff" ? "staff member" : subject) with id \(id ?? "").")
            }
            let subjectID = id ?? JSON.parse(row.j)["id"]?.stringValue
            try ctx.audit(db, action, subject, subjectID, .object([("fields", .strings(changedFields(ctx.request)))]))
            return raw(row.j, status: status)
        }
    }

    /// A list statement (one row: a JSON array) as `{"items": […]}`.
    static func list<S: Statement>(_ ctx: RouteContext, _ statement: S) throws -> Response where S.Row == JSONRow {
        items(try ctx.db.first(statement)?.j ?? "[]")
    }

    /// A get-by-id statement as its JSON, or 404.
    static func one<S: Statement>(_ ctx: RouteContext, _ what: String, _ statement: S) throws -> Response where S.Row == JSONRow {
        guard let row = try ctx.db.first(statement) else {
            throw Problem.notFound("There is no \(what) with id \(ctx.request.parameters.values.first ?? "").")
        }
        return raw(row.j)
    }
}

/// A JSON text rendered by PostgreSQL, as a response.
func raw(_ json: String, status: Int = 200) -> Response {
    Response(status: status, contentType: "application/json", body: Array(json.utf8))
}

/// Lists are wrapped in an object (`{"items": […]}`) so fields such as paging can be added without breaking clients.
func items(_ arrayJSON: String) -> Response {
    raw("{\"items\":" + arrayJSON + "}")
}

func includeInactive(_ request: Request) -> Bool { request.query["includeInactive"] == "true" }

func isPrefix(_ s: String) -> Bool { s.count == 1 && s.unicodeScalars.allSatisfy { $0.value >= 65 && $0.value <= 90 } }

func translationsJSON(_ t: [String: String]?) -> String? {
    guard let t else { return nil }
    return JSON.object(t.keys.sorted().map { k in (k, JSON.string(t[k]!)) }).serialized
}

/// The names of the fields a request sent (never their values: the audit log must not copy passwords or notes).
func changedFields(_ request: Request) -> [String] {
    guard case .object(let fields) = JSON.parse(String(decoding: request.body, as: UTF8.self)) else { return [] }
    return fields.map(\.0).sorted()
}
