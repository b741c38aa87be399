import HTTP
import Postgres

// Registered devices for the administration page: the kiosks of a location, and revoking one (a lost or replaced
// kiosk). Registering stays `POST /api/v1/locations/{id}/kiosks` (PageRoutes), which shows the token once. Call
// displays need no registration: they read the public stream of their location at `/display/{locationCode}`.

private let tag = "administration"

enum DeviceRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/locations/{locationId}/kiosks", .admin,
             OpenAPIOperation("listKiosks", summary: "List the kiosks registered at a location (never their tokens)", tag: tag,
                              query: [.init("includeInactive", "boolean", "Also list revoked kiosks.")],
                              responses: [.init(200, "Kiosks", "KioskDeviceList")])) { ctx in
            let location = try ctx.id("locationId", "location")
            guard try ctx.db.first(LocationGet(id: location)) != nil else { throw Problem.notFound("There is no location with id \(location).") }
            return try AdminRoutes.list(ctx, KioskList(locationID: location, includeInactive: includeInactive(ctx.request)))
        },
        .delete("/api/v1/kiosks/{kioskId}", .admin,
                OpenAPIOperation("revokeKiosk", summary: "Revoke a kiosk: its device token stops counting as a kiosk", tag: tag,
                                 responses: [.init(200, "Revoked", "KioskDevice")])) { ctx in
            let id = try ctx.id("kioskId", "kiosk")
            return try AdminRoutes.adminWrite(ctx, "kiosk.revoke", "kiosk", id: id) { db in try db.first(KioskRevoke(id: id)) }
        },
    ]
}
