import HTTP
import Postgres

// The coordinator scope, enforced in one place: `App.serve` calls `enforceScope` for every `.coordinator` route
// after authentication and before the handler, so a limited coordinator is refused (403) before anything is
// validated or read, and no handler has to remember the check.
//
// What a route names is read from the request, never declared per handler:
// - locations: the path's `{locationId}`, a `locationId` query parameter or top-level JSON body field, and the
//   location of a `{roomId}` or `{deskId}`;
// - agencies (for coordinators limited to their own agency): the path's `{agencyId}`, an `agencyId` query parameter
//   or body field, the agency of a `{staffId}`, and every agency whose service an `{appointmentTypeId}` needs.
// An id that does not exist resolves to nothing and the handler answers 404 as for anyone.
// Lists without a location or agency in the request (e.g. every appointment type) are not narrowed by the framework;
// a handler that lists per location reads `ctx.principal?.coordinatorLimits` to filter.

/// Path parameters the scope check resolves, and what each stands for.
enum ScopeParameter {
    /// Path parameters naming a location directly or through the thing they name.
    static let locations = ["locationId", "roomId", "deskId"]
    /// Path parameters naming an agency directly or through the thing they name.
    static let agencies = ["agencyId", "staffId", "appointmentTypeId"]
}

extension DeclaredRoute {
    /// The path parameters of this route that a coordinator's scope is checked against (for the OpenAPI document).
    var scopeParameters: (locations: [String], agencies: [String]) {
        let names = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
        return (names.filter(ScopeParameter.locations.contains), names.filter(ScopeParameter.agencies.contains))
    }
}

extension App {
    /// Refuses (403) a limited coordinator whose request names a location or agency outside their scope.
    func enforceScope(_ route: DeclaredRoute, _ actor: Actor?, _ request: Request, _ db: Connection) throws {
        guard route.access == .coordinator, let actor, let limits = actor.coordinatorLimits else { return }
        var locations: [String] = []
        var agencies: [String] = []
        let body = Self.bodyFields(request)
        func add(_ value: String?, to list: inout [String]) { if let value, isUUID(value) { list.append(value.lowercased()) } }
        add(request.parameters["locationId"], to: &locations)
        add(request.query["locationId"], to: &locations)
        add(body["locationId"], to: &locations)
        add(request.parameters["agencyId"], to: &agencies)
        add(request.query["agencyId"], to: &agencies)
        add(body["agencyId"], to: &agencies)
        func id(_ name: String) -> String? { request.parameters[name].flatMap { isUUID($0) ? $0.lowercased() : nil } }
        let room = limits.locationIDs == nil ? nil : id("roomId")
        let desk = limits.locationIDs == nil ? nil : id("deskId")
        let staff = limits.ownAgencyOnly ? id("staffId") : nil
        let type = limits.ownAgencyOnly ? id("appointmentTypeId") : nil
        if room != nil || desk != nil || staff != nil || type != nil,
           let row = try db.first(ScopeSubjects(roomID: room, deskID: desk, staffID: staff, appointmentTypeID: type)) {
            locations += row.locationIDs
            agencies += row.agencyIDs
        }
        if let outside = locations.first(where: { !limits.allows(location: $0) }) {
            throw Problem.forbidden("You coordinate other locations than this one (\(outside)); an admin can widen your scope.")
        }
        if limits.ownAgencyOnly, agencies.contains(where: { $0 != actor.agencyID?.lowercased() }) {
            throw Problem.forbidden("You coordinate your own agency's staff and data only; this belongs to another agency.")
        }
    }

    /// The top-level string fields of a JSON object body (nothing for other bodies: the handler reports those).
    static func bodyFields(_ request: Request) -> [String: String] {
        guard !request.body.isEmpty, case .object(let fields) = JSON.parse(String(decoding: request.body, as: UTF8.self)) else { return [:] }
        var strings: [String: String] = [:]
        for (name, value) in fields { if let s = value.stringValue { strings[name] = s } }
        return strings
    }
}
