@testable import API
import Credentials
import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// The authorization matrix: every declared route (`Features.all`) × who asks × whose location or staff member it
/// names, over real HTTP, one request per cell. What each cell must get comes from one place: the route's declared
/// access (`Access`), refined by the `rules` table below for routes whose handler draws a further wall (one's own
/// staff record, the coordinator's scope, …). A route missing from `rules` fails the test: every new route must be
/// classified. README "Roles and the authorization matrix" explains how to read it.
///
/// A refused cell must be refused before validation (its body is `{}`), with exactly the status the table says; an
/// allowed cell may answer anything for its empty body or made-up ids (400, 404, 409, 422 …) but never 401 or 403.
final class AuthorizationMatrixTests: XCTestCase, UsesTestApp {
    var t: TestApp!

    override func setUpWithError() throws {
        t = try TestApp { $0.runJobs = false }
    }
    override func tearDown() { t.tearDown() }

    /// Who asks.
    enum Who: String, CaseIterable {
        case anonymous, helper, staffA, staffB, coordinatorX, coordinatorY, admin
    }

    /// Which of two things the path names: "own" (location X, the asker's own staff record, agency A, …) or
    /// "other" (location Y, a staff member of the other agency, agency B, …).
    enum Target: String { case own, other }

    /// What a cell must get.
    enum Expect: Equatable, CustomStringConvertible {
        case allowed
        case refused(Int)
        /// Not requested: an event stream that would stay open when allowed (its refusals are still checked).
        case notRequested
        var description: String {
            switch self {
            case .allowed: return "allowed"
            case .refused(let s): return "refused \(s)"
            case .notRequested: return "not requested"
            }
        }
    }

    /// How a route's cells are derived.
    enum Rule {
        /// From the declared access alone (coordinator routes naming a location: only in the coordinator's scope).
        case declared
        /// A staff member's own record ("own": the asker's; "other": a staff member of the other agency): the person
        /// themselves and admins. Everyone else 403 — also coordinators, who manage their own agency's calendars only
        /// (`AccessTests` checks a coordinator with their own agency's staff).
        case ownStaff
        /// An event stream: only refused cells are requested.
        case stream
        /// Anything else, written out.
        case custom((Who, Target) -> Expect)
    }

    /// Every route, classified. Keys are "METHOD path" as declared.
    static let rules: [String: Rule] = [
        // Administration
        "POST /api/v1/agencies": .declared, "GET /api/v1/agencies": .declared, "GET /api/v1/agencies/{agencyId}": .declared,
        "PATCH /api/v1/agencies/{agencyId}": .declared, "DELETE /api/v1/agencies/{agencyId}": .declared,
        "POST /api/v1/locations": .declared, "GET /api/v1/locations": .declared, "GET /api/v1/locations/{locationId}": .declared,
        "PATCH /api/v1/locations/{locationId}": .declared, "DELETE /api/v1/locations/{locationId}": .declared,
        "POST /api/v1/locations/{locationId}/desks": .declared, "GET /api/v1/locations/{locationId}/desks": .declared,
        "GET /api/v1/desks/{deskId}": .declared, "PATCH /api/v1/desks/{deskId}": .declared, "DELETE /api/v1/desks/{deskId}": .declared,
        "POST /api/v1/services": .declared, "GET /api/v1/services": .declared, "GET /api/v1/services/{serviceId}": .declared,
        "PATCH /api/v1/services/{serviceId}": .declared, "DELETE /api/v1/services/{serviceId}": .declared,
        "POST /api/v1/staff": .declared, "GET /api/v1/staff": .declared, "GET /api/v1/staff/{staffId}": .declared,
        "PATCH /api/v1/staff/{staffId}": .declared, "DELETE /api/v1/staff/{staffId}": .declared,
        "POST /api/v1/locations/{locationId}/closure": .declared, "DELETE /api/v1/locations/{locationId}/closure": .declared,
        "POST /api/v1/locations/{locationId}/kiosks": .declared, "PUT /api/v1/locations/{locationId}/address": .declared,
        "GET /api/v1/outbox": .declared,
        // Operations, pages, sessions
        "GET /healthz": .declared, "GET /readyz": .declared, "GET /metrics": .declared, "GET /api/v1/openapi.json": .declared,
        "GET /": .declared, "GET /kiosk/{locationCode}": .declared, "GET /display/{locationCode}": .declared,
        "GET /t/{ticketId}": .declared, "GET /staff": .declared, "GET /admin/audit": .declared, "GET /assets/{path...}": .declared,
        "GET /api/v1/kiosk/{locationCode}": .declared, "GET /api/v1/tickets/{ticketId}/qr.svg": .declared,
        "POST /api/v1/sessions": .declared, "GET /api/v1/sessions/current": .declared, "DELETE /api/v1/sessions/current": .declared,
        // Queue
        "POST /api/v1/locations/{locationId}/tickets": .declared, "GET /api/v1/tickets/{ticketId}": .declared,
        "POST /api/v1/desks/{deskId}/call-next": .declared, "GET /api/v1/desks/{deskId}/current": .declared,
        "POST /api/v1/tickets/{ticketId}/handover": .declared,
        "POST /api/v1/tickets/{ticketId}/recall": .declared, "POST /api/v1/tickets/{ticketId}/start": .declared,
        "POST /api/v1/tickets/{ticketId}/finish": .declared, "POST /api/v1/tickets/{ticketId}/no-show": .declared,
        "POST /api/v1/tickets/{ticketId}/requeue": .declared,
        "GET /api/v1/locations/{locationId}/queue": .declared, "GET /api/v1/locations/{locationId}/events": .stream,
        "GET /api/v1/locations/{locationId}/staff-events": .stream, "GET /api/v1/locations/{locationId}/calls": .declared,
        // Calendars and availability
        "GET /api/v1/locations/{locationId}/opening-hours": .declared, "PUT /api/v1/locations/{locationId}/opening-hours": .declared,
        "POST /api/v1/locations/{locationId}/rooms": .declared, "GET /api/v1/locations/{locationId}/rooms": .declared,
        "PATCH /api/v1/rooms/{roomId}": .declared, "DELETE /api/v1/rooms/{roomId}": .declared,
        "GET /api/v1/staff/{staffId}/availability": .ownStaff,
        "PUT /api/v1/staff/{staffId}/availability": .ownStaff,
        "POST /api/v1/staff/{staffId}/absences": .ownStaff,
        "GET /api/v1/staff/{staffId}/absences": .ownStaff,
        "DELETE /api/v1/absences/{absenceId}": .declared,
        "POST /api/v1/appointment-types": .declared,
        // Without public=true the full list is a coordinator's (a helper counts as the public on a public route).
        "GET /api/v1/appointment-types": .custom { who, _ in
            switch who {
            case .anonymous, .helper: return .refused(401)
            case .staffA, .staffB: return .refused(403)
            default: return .allowed
            }
        },
        "GET /api/v1/appointment-types/{appointmentTypeId}": .declared, "PATCH /api/v1/appointment-types/{appointmentTypeId}": .declared,
        "DELETE /api/v1/appointment-types/{appointmentTypeId}": .declared,
        "GET /api/v1/holidays": .declared, "GET /api/v1/locations/{locationId}/available-times": .declared,
        "GET /api/v1/locations/{locationId}/available-days": .declared,
        // Appointments
        "GET /api/v1/appointments": .declared, "GET /api/v1/appointments/{appointmentId}": .declared,
        "GET /api/v1/appointments/manage/{token}": .declared, "POST /api/v1/appointments": .declared,
        "POST /api/v1/appointments/{appointmentId}/confirm": .declared, "PATCH /api/v1/appointments/{appointmentId}": .declared,
        "POST /api/v1/appointments/{appointmentId}/cancel": .declared, "POST /api/v1/appointments/manage/{token}/confirm": .declared,
        "PATCH /api/v1/appointments/manage/{token}": .declared, "POST /api/v1/appointments/manage/{token}/cancel": .declared,
        "POST /api/v1/locations/{locationId}/check-ins": .declared, "POST /api/v1/appointments/{appointmentId}/check-in": .declared,
        "POST /api/v1/appointments/{appointmentId}/attendees": .declared,
        "DELETE /api/v1/appointments/{appointmentId}/attendees/{attendeeId}": .declared,
        "GET /api/v1/booking/appointment-types": .declared, "GET /api/v1/booking/locations": .declared,
        "GET /api/v1/booking/customer-fields": .declared,
        // Calendar files and feeds
        "GET /api/v1/appointments/{appointmentId}/invite.ics": .declared, "POST /api/v1/calendar-feeds": .declared,
        "GET /api/v1/calendar-feeds": .declared, "DELETE /api/v1/calendar-feeds/{feedId}": .declared, "GET /ical/{file}": .declared,
        // Speech
        "GET /api/v1/speech/{lang}/{key}": .declared, "GET /api/v1/locations/{locationId}/numbers/{number}/speech": .declared,
        "GET /api/v1/services/{serviceId}/speech": .declared, "GET /api/v1/desks/{deskId}/calls/{number}/speech": .declared,
        // Contact person
        "GET /api/v1/tickets/{ticketId}/notes": .declared, "GET /api/v1/locations/{locationId}/colleagues": .declared,
        "GET /api/v1/locations/{locationId}/follow-up-types": .declared, "GET /api/v1/locations/{locationId}/follow-up-times": .declared,
        // Coordinator console and reports (coordinator routes naming a location: the scope applies)
        "GET /api/v1/coordinator/staff": .declared, "GET /api/v1/locations/{locationId}/appointment-references/{reference}": .declared,
        "GET /api/v1/locations/{locationId}/proposals": .declared, "GET /api/v1/locations/{locationId}/staff-week": .declared,
        "GET /api/v1/outcome-categories": .declared, "GET /api/v1/reports/filters": .declared,
        "GET /api/v1/reports/handovers": .declared, "GET /api/v1/reports/outcomes": .declared, "GET /api/v1/reports/visits": .declared,
        "GET /coordinator": .declared, "GET /coordinator/reports": .declared,
        // Floor view and devices
        "GET /api/v1/locations/{locationId}/floor": .declared, "GET /api/v1/locations/{locationId}/kiosks": .declared,
        "DELETE /api/v1/kiosks/{kioskId}": .declared,
        // Pages of the consoles and the citizen's booking (the pages are public; their data is not)
        "GET /admin": .declared, "GET /coordinator/floor": .declared,
        "GET /afspraak/{locationCode}": .declared, "GET /mijn-afspraak/{token}": .declared,
        "POST /api/v1/tickets/{ticketId}/contact-person": .declared, "DELETE /api/v1/tickets/{ticketId}/contact-person": .declared,
        "POST /api/v1/locations/{locationId}/contact-tickets": .declared,
        // Audit and sessions (issue 11)
        "GET /api/v1/audit": .declared, "GET /api/v1/audit/retention": .declared, "PUT /api/v1/audit/retention": .declared,
        "DELETE /api/v1/staff/{staffId}/sessions": .ownStaff,
    ]

    /// Bodies other than `{}` where `{}` would make the handler refuse for a reason that is not access: a coordinator
    /// may create helper accounts only.
    static let bodies: [String: String] = ["POST /api/v1/staff": #"{"role":"helper"}"#]

    /// Routes that end the asker's session: they run last, each cell with a session of its own.
    static let endingSessions: Set<String> = ["DELETE /api/v1/sessions/current", "DELETE /api/v1/staff/{staffId}/sessions"]

    static func key(_ route: DeclaredRoute) -> String { "\(route.method) \(route.path)" }

    /// The cell's expectation: the rule's, or the declared access's.
    static func expect(_ route: DeclaredRoute, _ rule: Rule, _ who: Who, _ target: Target) -> Expect {
        switch rule {
        case .custom(let f): return f(who, target)
        case .stream:
            let e = declared(route, who, target)
            return e == .allowed ? .notRequested : e
        case .ownStaff:
            let e = declared(route, who, target)
            guard e == .allowed else { return e }
            return target == .own || who == .admin ? .allowed : .refused(403)
        case .declared: return declared(route, who, target)
        }
    }

    /// What the declared access alone says, with the coordinator scope for routes that name a location.
    static func declared(_ route: DeclaredRoute, _ who: Who, _ target: Target) -> Expect {
        let anonymous = who == .anonymous
        switch route.access {
        case .public: return .allowed
        case .helper: return anonymous ? .refused(401) : .allowed
        case .staff, .staffMember:
            if anonymous { return .refused(401) }
            return who == .helper ? .refused(403) : .allowed
        case .coordinator:
            switch who {
            case .anonymous: return .refused(401)
            case .helper, .staffA, .staffB: return .refused(403)
            case .admin: return .allowed
            case .coordinatorX, .coordinatorY:
                // Coordinator X is limited to location X, Y to Y: "own" names X.
                guard !route.scopeParameters.locations.isEmpty else { return .allowed }
                let inScope = (who == .coordinatorX) == (target == .own)
                return inScope ? .allowed : .refused(403)
            }
        case .admin:
            if anonymous { return .refused(401) }
            return who == .admin ? .allowed : .refused(403)
        }
    }

    /// The ids the paths are filled with.
    struct Fixture {
        var locations: (own: String, other: String)
        var desks: (own: String, other: String)
        var rooms: (own: String, other: String)
        var agencies: (own: String, other: String)
        var staff: [Who: String]
        /// Helper accounts that DELETE /api/v1/staff/{staffId} may deactivate (agency A, agency B).
        var spareHelpers: (own: String, other: String)
    }

    func testEveryRouteAndRoleGetsWhatTheMatrixSays() throws {
        let routes = Features.routes.map(\.route)
        let declaredKeys = Set(routes.map(Self.key))
        let unclassified = declaredKeys.subtracting(Self.rules.keys).sorted()
        XCTAssertEqual(unclassified, [], "every route must be classified in AuthorizationMatrixTests.rules")
        XCTAssertEqual(Set(Self.rules.keys).subtracting(declaredKeys).sorted(), [], "rules for routes that no longer exist")

        let f = try makeFixture()
        var tokens: [Who: String] = [:]
        for who in Who.allCases where who != .anonymous { tokens[who] = try session(f.staff[who]!) }

        // Session-ending routes last, each cell with a fresh session.
        let ordered = routes.filter { !Self.endingSessions.contains(Self.key($0)) } + routes.filter { Self.endingSessions.contains(Self.key($0)) }
        var cells = 0, failures: [String] = []
        for who in Who.allCases {
            for route in ordered {
                let key = Self.key(route)
                guard let rule = Self.rules[key] else { continue }
                let targets: [Target] = namesTarget(route) ? [.other, .own] : [.own]
                for target in targets {
                    let expect = Self.expect(route, rule, who, target)
                    if expect == .notRequested { continue }
                    let path = fill(route, who, target, f)
                    var token = tokens[who]
                    if Self.endingSessions.contains(key), let staffID = f.staff[who], who != .anonymous { token = try session(staffID) }
                    let client = t.client.with(bearer: token)
                    let hasBody = ["POST", "PUT", "PATCH"].contains(route.method)
                    let body = hasBody ? Array((Self.bodies[key] ?? "{}").utf8) : nil
                    let r = try client.send(route.method, path, body: body)
                    cells += 1
                    let ok: Bool
                    switch expect {
                    case .allowed: ok = r.status != 401 && r.status != 403 && r.status < 500
                    case .refused(let status): ok = r.status == status
                    case .notRequested: ok = true
                    }
                    if !ok { failures.append("\(key) as \(who) (\(target)): expected \(expect), got \(r.status) \(r.text.prefix(160))") }
                }
            }
        }
        XCTAssertEqual(failures, [], "\(failures.count) of \(cells) cells differ:\n" + failures.joined(separator: "\n"))
        XCTAssertGreaterThan(cells, 900)
        print("authorization matrix: \(routes.count) routes, \(cells) cells")
    }

    /// Whether the route's path names something that is someone's own or another's.
    func namesTarget(_ route: DeclaredRoute) -> Bool {
        ["{locationId}", "{deskId}", "{roomId}", "{staffId}", "{agencyId}"].contains { route.path.contains($0) }
    }

    func fill(_ route: DeclaredRoute, _ who: Who, _ target: Target, _ f: Fixture) -> String {
        let own = target == .own
        let key = Self.key(route)
        // Destructive admin routes get ids that do not exist: an admin's 404 is still "allowed".
        let harmless = route.access == .admin && route.method == "DELETE"
        let ownStaff = f.staff[who] ?? f.staff[.staffA]!
        let otherStaff = [.staffB].contains(who) ? f.staff[.staffA]! : f.staff[.staffB]!
        return route.path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix("{") else { return String(segment) }
            switch segment {
            case "{locationId}": return harmless ? UUID().uuidString.lowercased() : own ? f.locations.own : f.locations.other
            case "{deskId}": return harmless ? UUID().uuidString.lowercased() : own ? f.desks.own : f.desks.other
            case "{roomId}": return own ? f.rooms.own : f.rooms.other
            case "{agencyId}": return harmless ? UUID().uuidString.lowercased() : own ? f.agencies.own : f.agencies.other
            case "{staffId}":
                if key == "DELETE /api/v1/staff/{staffId}" { return own ? f.spareHelpers.own : f.spareHelpers.other }
                return own ? ownStaff : otherStaff
            case "{locationCode}": return "nowhere"
            case "{path...}": return "missing.txt"
            case "{lang}": return "nl"
            case "{number}": return "Z999"
            case "{file}": return "missing.ics"
            case "{token}": return "not-a-token"
            default: return UUID().uuidString.lowercased()
            }
        }.joined(separator: "/")
    }

    /// A session for a staff record, made in the database (no password hashing): the token.
    func session(_ staffID: String) throws -> String {
        let token = Credentials.randomToken()
        try sql("INSERT INTO session (token_hash, staff_id, created_at, last_seen_at, expires_at) VALUES (decode($1, 'hex'), $2, now(), now(), now() + interval '1 hour')",
                hexString(Credentials.tokenDigest(token)), staffID)
        return token
    }

    func makeFixture() throws -> Fixture {
        func one(_ text: String, _ params: any PostgresEncodable...) throws -> String {
            let db = try t.connection()
            defer { db.close() }
            return try db.query(Query(SQL(unsafeUnchecked: text), parameters: params)).first!.string("id")
        }
        let x = try one("INSERT INTO location (code, name) VALUES ('x', 'Locatie X') RETURNING id::text AS id")
        let y = try one("INSERT INTO location (code, name) VALUES ('y', 'Locatie Y') RETURNING id::text AS id")
        let a = try one("INSERT INTO agency (code, name) VALUES ('a', 'Agency A') RETURNING id::text AS id")
        let b = try one("INSERT INTO agency (code, name) VALUES ('b', 'Agency B') RETURNING id::text AS id")
        let sA = try one("INSERT INTO service (agency_id, code, name, own_ticket_prefix, duration_minutes) VALUES ($1, 'sa', 'A', 'A', 10) RETURNING id::text AS id", a)
        let sB = try one("INSERT INTO service (agency_id, code, name, own_ticket_prefix, duration_minutes) VALUES ($1, 'sb', 'B', 'B', 10) RETURNING id::text AS id", b)
        for s in [sA, sB] { for l in [x, y] { try sql("INSERT INTO service_location (service_id, location_id) VALUES ($1, $2)", s, l) } }
        let dX = try one("INSERT INTO desk (location_id, name) VALUES ($1, 'Balie X') RETURNING id::text AS id", x)
        let dY = try one("INSERT INTO desk (location_id, name) VALUES ($1, 'Balie Y') RETURNING id::text AS id", y)
        let rX = try one("INSERT INTO room (location_id, name) VALUES ($1, 'Kamer X') RETURNING id::text AS id", x)
        let rY = try one("INSERT INTO room (location_id, name) VALUES ($1, 'Kamer Y') RETURNING id::text AS id", y)
        func account(_ name: String, _ agency: String, _ role: String, _ services: [String] = []) throws -> String {
            let id = try one("INSERT INTO staff (agency_id, username, password_hash, display_name, role) VALUES ($1, $2, '$argon2id$test', $2, $3) RETURNING id::text AS id",
                             agency, name, role)
            for s in services { try sql("INSERT INTO staff_service (staff_id, service_id, agency_id) VALUES ($1, $2, $3)", id, s, agency) }
            return id
        }
        var staff: [Who: String] = [:]
        staff[.helper] = try account("helper", a, "helper")
        staff[.staffA] = try account("staff-a", a, "staff", [sA])
        staff[.staffB] = try account("staff-b", b, "staff", [sB])
        staff[.coordinatorX] = try account("coord-x", a, "coordinator", [sA])
        staff[.coordinatorY] = try account("coord-y", a, "coordinator", [sA])
        staff[.admin] = try account("admin", a, "admin", [sA])
        // The scope as an admin sets it: over the API.
        for (who, location) in [(Who.coordinatorX, x), (.coordinatorY, y)] {
            let r = try t.admin.patch("/api/v1/staff/\(staff[who]!)", json: ["scope": ["locationIds": [location]]])
            XCTAssertEqual(r.status, 200, r.text)
        }
        return Fixture(locations: (x, y), desks: (dX, dY), rooms: (rX, rY), agencies: (a, b), staff: staff,
                       spareHelpers: (try account("spare-a", a, "helper"), try account("spare-b", b, "helper")))
    }
}
