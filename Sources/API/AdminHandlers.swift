import Credentials
import HTTP
import Postgres

struct AgencyBody: Decodable { let code: String?; let name: String?; let active: Bool? }
struct LocationBody: Decodable { let code: String?; let name: String?; let timeZone: String?; let active: Bool? }
struct DeskBody: Decodable { let name: String?; let active: Bool? }
struct ServiceBody: Decodable {
    let agencyId: String?, code: String?, name: String?, ticketPrefix: String?, durationMinutes: Int?
    let urgent: Bool?, locationIds: [String]?, lifeQuestion: String?, translations: [String: String]?, active: Bool?
}
struct StaffBody: Decodable {
    let agencyId: String?, username: String?, password: String?, displayName: String?, role: String?
    let serviceIds: [String]?, active: Bool?
}

extension App {
    /// CRUD for agencies, locations, desks, services and staff. Creating, changing and deactivating needs an admin;
    /// reading the non-personal lists (agencies, locations, desks, services) needs any staff login, since desk
    /// pages need them. Staff accounts are personal data: admins only, and every read and change is audited.
    func registerAdminRoutes(_ r: inout RouteBuilder) {
        // Agencies
        r.post("/api/v1/agencies") { [self] req in
            let b = try req.decode(AgencyBody.self)
            var v = Validator()
            v.code(b.code, "code")
            v.text(b.name, "name", max: 200)
            try v.check()
            return try adminWrite(req, "agency.create", "agency", status: 201) { db in
                try db.query(Query(Statements.admin["agency_insert"], b.code, b.name)).first
            }
        }
        r.get("/api/v1/agencies") { [self] req in try list(req, Query(Statements.admin["agency_list"], includeInactive(req))) }
        r.get("/api/v1/agencies/{agencyId}") { [self] req in
            try one(req, "agency", Query(Statements.admin["agency_get"], try pathID(req, "agencyId", "agency")))
        }
        r.patch("/api/v1/agencies/{agencyId}") { [self] req in
            let id = try pathID(req, "agencyId", "agency")
            let b = try req.decode(AgencyBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 200, required: false)
            v.require(b.code == nil, "code", "cannot be changed")
            try v.check()
            return try adminWrite(req, "agency.update", "agency", id: id) { db in
                try db.query(Query(Statements.admin["agency_update"], id, b.name, b.active)).first
            }
        }
        r.delete("/api/v1/agencies/{agencyId}") { [self] req in
            let id = try pathID(req, "agencyId", "agency")
            return try adminWrite(req, "agency.deactivate", "agency", id: id) { db in
                try db.query(Query(Statements.admin["agency_update"], id, String?.none, false)).first
            }
        }

        // Locations
        r.post("/api/v1/locations") { [self] req in
            let b = try req.decode(LocationBody.self)
            var v = Validator()
            v.code(b.code, "code")
            v.text(b.name, "name", max: 200)
            try v.check()
            return try adminWrite(req, "location.create", "location", status: 201) { db in
                try db.query(Query(Statements.admin["location_insert"], b.code, b.name, b.timeZone ?? "Europe/Amsterdam")).first
            }
        }
        r.get("/api/v1/locations") { [self] req in try list(req, Query(Statements.admin["location_list"], includeInactive(req))) }
        r.get("/api/v1/locations/{locationId}") { [self] req in
            try one(req, "location", Query(Statements.admin["location_get"], try pathID(req, "locationId", "location")))
        }
        r.patch("/api/v1/locations/{locationId}") { [self] req in
            let id = try pathID(req, "locationId", "location")
            let b = try req.decode(LocationBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 200, required: false)
            v.require(b.code == nil, "code", "cannot be changed")
            try v.check()
            return try adminWrite(req, "location.update", "location", id: id) { db in
                try db.query(Query(Statements.admin["location_update"], id, b.name, b.timeZone, b.active)).first
            }
        }
        r.delete("/api/v1/locations/{locationId}") { [self] req in
            let id = try pathID(req, "locationId", "location")
            return try adminWrite(req, "location.deactivate", "location", id: id) { db in
                try db.query(Query(Statements.admin["location_update"], id, String?.none, String?.none, false)).first
            }
        }

        // Desks
        r.post("/api/v1/locations/{locationId}/desks") { [self] req in
            let location = try pathID(req, "locationId", "location")
            let b = try req.decode(DeskBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 60)
            try v.check()
            return try adminWrite(req, "desk.create", "desk", status: 201) { db in
                guard try db.query(Query(Statements.admin["location_get"], location)).first != nil else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                return try db.query(Query(Statements.admin["desk_insert"], location, b.name)).first
            }
        }
        r.get("/api/v1/locations/{locationId}/desks") { [self] req in
            let location = try pathID(req, "locationId", "location")
            return try pool.withConnection { db in
                _ = try authenticator.require(.staff, req, db)
                guard try db.query(Query(Statements.admin["location_get"], location)).first != nil else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                let rows = try db.query(Query(Statements.admin["desk_list"], location, includeInactive(req)))
                return items(try rows.first!.string("j"))
            }
        }
        r.get("/api/v1/desks/{deskId}") { [self] req in
            try one(req, "desk", Query(Statements.admin["desk_get"], try pathID(req, "deskId", "desk")))
        }
        r.patch("/api/v1/desks/{deskId}") { [self] req in
            let id = try pathID(req, "deskId", "desk")
            let b = try req.decode(DeskBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 60, required: false)
            try v.check()
            return try adminWrite(req, "desk.update", "desk", id: id) { db in
                try db.query(Query(Statements.admin["desk_update"], id, b.name, b.active)).first
            }
        }
        r.delete("/api/v1/desks/{deskId}") { [self] req in
            let id = try pathID(req, "deskId", "desk")
            return try adminWrite(req, "desk.deactivate", "desk", id: id) { db in
                try db.query(Query(Statements.admin["desk_update"], id, String?.none, false)).first
            }
        }

        // Services
        r.post("/api/v1/services") { [self] req in
            let b = try req.decode(ServiceBody.self)
            var v = Validator()
            v.id(b.agencyId, "agencyId")
            v.code(b.code, "code", max: 48)
            v.text(b.name, "name", max: 200)
            v.require(b.ticketPrefix.map(isPrefix) ?? false, "ticketPrefix", "must be one capital letter A–Z")
            v.require(b.durationMinutes.map { (1...480).contains($0) } ?? false, "durationMinutes", "must be between 1 and 480")
            v.require((b.locationIds ?? []).allSatisfy(isUUID), "locationIds", "must be a list of location ids")
            try v.check()
            return try adminWrite(req, "service.create", "service", status: 201) { db in
                guard let id = try db.query(Query(Statements.admin["service_insert"], b.agencyId, b.code, b.name, b.ticketPrefix,
                                                  b.durationMinutes, b.urgent ?? false, b.locationIds ?? [], b.lifeQuestion,
                                                  translationsJSON(b.translations))).first?.string("id") else { return nil }
                return try db.query(Query(Statements.admin["service_get"], id)).first
            }
        }
        r.get("/api/v1/services") { [self] req in
            let agency = req.query["agencyId"].flatMap { isUUID($0) ? $0 : nil }
            return try list(req, Query(Statements.admin["service_list"], includeInactive(req), agency))
        }
        r.get("/api/v1/services/{serviceId}") { [self] req in
            try one(req, "service", Query(Statements.admin["service_get"], try pathID(req, "serviceId", "service")))
        }
        r.patch("/api/v1/services/{serviceId}") { [self] req in
            let id = try pathID(req, "serviceId", "service")
            let b = try req.decode(ServiceBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 200, required: false)
            v.require(b.code == nil && b.agencyId == nil, "code", "code and agency cannot be changed")
            v.require(b.ticketPrefix.map(isPrefix) ?? true, "ticketPrefix", "must be one capital letter A–Z")
            v.require((b.locationIds ?? []).allSatisfy(isUUID), "locationIds", "must be a list of location ids")
            try v.check()
            return try adminWrite(req, "service.update", "service", id: id) { db in
                guard try db.query(Query(Statements.admin["service_update"], id, b.name, b.ticketPrefix, b.durationMinutes, b.urgent,
                                         b.lifeQuestion, translationsJSON(b.translations), b.active)).first != nil else { return nil }
                if let locations = b.locationIds {
                    try db.query(Query(Statements.admin["service_set_locations"], id, locations))
                }
                return try db.query(Query(Statements.admin["service_get"], id)).first
            }
        }
        r.delete("/api/v1/services/{serviceId}") { [self] req in
            let id = try pathID(req, "serviceId", "service")
            return try adminWrite(req, "service.deactivate", "service", id: id) { db in
                guard try db.query(Query(Statements.admin["service_update"], id, String?.none, String?.none, Int?.none, Bool?.none,
                                         String?.none, String?.none, false)).first != nil else { return nil }
                return try db.query(Query(Statements.admin["service_get"], id)).first
            }
        }

        // Staff
        r.post("/api/v1/staff") { [self] req in
            let b = try req.decode(StaffBody.self)
            var v = Validator()
            v.id(b.agencyId, "agencyId")
            v.text(b.username, "username", max: 64)
            v.text(b.displayName, "displayName", max: 200)
            v.require((b.password ?? "").count >= 10, "password", "must be at least 10 characters")
            v.require(b.role.flatMap(Role.init(rawValue:)) != nil, "role", "must be staff, coordinator or admin")
            v.require((b.serviceIds ?? []).allSatisfy(isUUID), "serviceIds", "must be a list of service ids")
            try v.check()
            let hash = try Credentials.hashPassword(b.password!)
            return try adminWrite(req, "staff.create", "staff", status: 201) { db in
                guard let id = try db.query(Query(Statements.admin["staff_insert"], b.agencyId, b.username, hash, b.displayName,
                                                  b.role, b.serviceIds ?? [])).first?.string("id") else { return nil }
                return try db.query(Query(Statements.admin["staff_get"], id)).first
            }
        }
        r.get("/api/v1/staff") { [self] req in
            try pool.withConnection { db in
                let actor = try authenticator.require(.admin, req, db)
                let agency = req.query["agencyId"].flatMap { isUUID($0) ? $0 : nil }
                let rows = try db.query(Query(Statements.admin["staff_list"], includeInactive(req), agency))
                try audit(db, actor, "staff.list", "staff", nil, .object([("agencyId", .optional(agency))]))
                return items(try rows.first!.string("j"))
            }
        }
        r.get("/api/v1/staff/{staffId}") { [self] req in
            let id = try pathID(req, "staffId", "staff member")
            return try pool.withConnection { db in
                let actor = try authenticator.require(.admin, req, db)
                guard let row = try db.query(Query(Statements.admin["staff_get"], id)).first else {
                    throw Problem.notFound("There is no staff member with id \(id).")
                }
                try audit(db, actor, "staff.read", "staff", id, nil)
                return raw(try row.string("j"))
            }
        }
        r.patch("/api/v1/staff/{staffId}") { [self] req in
            let id = try pathID(req, "staffId", "staff member")
            let b = try req.decode(StaffBody.self)
            var v = Validator()
            v.text(b.displayName, "displayName", max: 200, required: false)
            v.require(b.password.map { $0.count >= 10 } ?? true, "password", "must be at least 10 characters")
            v.require(b.role.map { Role(rawValue: $0) != nil } ?? true, "role", "must be staff, coordinator or admin")
            v.require(b.username == nil && b.agencyId == nil, "username", "username and agency cannot be changed")
            v.require((b.serviceIds ?? []).allSatisfy(isUUID), "serviceIds", "must be a list of service ids")
            try v.check()
            let hash = try b.password.map(Credentials.hashPassword)
            return try adminWrite(req, "staff.update", "staff", id: id) { db in
                guard try db.query(Query(Statements.admin["staff_update"], id, b.displayName, b.role, hash, b.active)).first != nil else {
                    return nil
                }
                if let services = b.serviceIds { try db.query(Query(Statements.admin["staff_set_services"], id, services)) }
                if hash != nil || b.active == false { try db.query(Query(Statements.admin["staff_end_sessions"], id)) }
                return try db.query(Query(Statements.admin["staff_get"], id)).first
            }
        }
        r.delete("/api/v1/staff/{staffId}") { [self] req in
            let id = try pathID(req, "staffId", "staff member")
            return try adminWrite(req, "staff.deactivate", "staff", id: id) { db in
                guard try db.query(Query(Statements.admin["staff_update"], id, String?.none, String?.none, String?.none, false)).first != nil else {
                    return nil
                }
                try db.query(Query(Statements.admin["staff_end_sessions"], id))
                return try db.query(Query(Statements.admin["staff_get"], id)).first
            }
        }
    }

    /// An admin change in one transaction with its audit record. `body` returns the row with the JSON (`j`),
    /// or nil when the subject does not exist (404).
    func adminWrite(_ request: Request, _ action: String, _ subject: String, id: String? = nil, status: Int = 200,
                    _ body: (Connection) throws -> Row?) throws -> Response {
        try pool.transaction { db in
            let actor = try authenticator.require(.admin, request, db)
            guard let row = try body(db) else {
                throw Problem.notFound("There is no \(subject == "staff" ? "staff member" : subject) with id \(id ?? "").")
            }
            let json = try row.string("j")
            let subjectID = id ?? JSON.parse(json)["id"]?.stringValue
            try audit(db, actor, action, subject, subjectID, .object([("fields", .strings(changedFields(request)))]))
            return raw(json, status: status)
        }
    }

    /// Appends to the audit log (in the caller's transaction).
    func audit(_ db: Connection, _ actor: Actor, _ action: String, _ subjectType: String, _ subjectID: String?, _ detail: JSON?) throws {
        try db.query(Query(Statements.admin["audit"], actor.staffID, actor.agencyID, action, subjectType, subjectID, detail?.serialized))
    }

    func list(_ request: Request, _ query: Query) throws -> Response {
        try pool.withConnection { db in
            _ = try authenticator.require(.staff, request, db)
            return items(try db.query(query).first!.string("j"))
        }
    }

    func one(_ request: Request, _ what: String, _ query: Query) throws -> Response {
        try pool.withConnection { db in
            _ = try authenticator.require(.staff, request, db)
            guard let row = try db.query(query).first else {
                throw Problem.notFound("There is no \(what) with id \(request.parameters.values.first ?? "").")
            }
            return raw(try row.string("j"))
        }
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
