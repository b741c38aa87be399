import HTTP
import Postgres

// The coordinator's floor view (`/coordinator/floor`): one snapshot of a location — desks and who is at them, the
// waiting line per service with its longest wait, urgent tickets, today's appointments and whether their visitor has
// arrived. The page re-reads it when the staff event stream reports a change (debounced), so it never drifts from the
// database. The snapshot carries no citizen data (numbers, services, staff and rooms only), so it is not audited.

private let tag = "queue"

enum FloorRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = [
        .get("/api/v1/locations/{locationId}/floor", .coordinator,
             OpenAPIOperation("getFloor", summary: "Floor view of a location: desks, waiting per service, urgent tickets, today's appointments",
                              tag: tag, responses: [.init(200, "Floor", "Floor")])) { ctx in
            let location = try ctx.id("locationId", "location")
            guard let row = try ctx.db.first(FloorSnapshot(locationID: location, now: ctx.now)) else {
                throw Problem.notFound("There is no location with id \(location).")
            }
            var response = raw(row.j)
            response.headers.append(("Cache-Control", "no-store"))
            return response
        },
    ]
}
