import Credentials
import HTTP
import Postgres
import QRCode

// The pages (kiosk, display, phone status, desk page) and their static files, the kiosk's data, the QR code of a
// ticket, and registering a kiosk. Pages and files answer on the network thread without the database; the SQL of
// the rest is `SQL/kiosk.sql` (`KioskStatements.swift`) and `KioskInsert` of admin.sql.

struct KioskBody: Decodable { let name: String? }

private let tag = "pages"

enum PageRoutes: RouteCollection {
    static let constraints: [String: Problem] = [:]

    static let routes: [DeclaredRoute] = pages + data

    /// A page: its HTML file with the security headers of every page (`pageHeaders`).
    static func page(_ path: String, _ file: String, _ operationID: String, _ summary: String) -> DeclaredRoute {
        .get(path, .public, OpenAPIOperation(operationID, summary: summary, tag: tag, responses: [.init(200, "HTML", contentType: "text/html")]),
             execution: .inline) { ctx in
            ctx.app.files.response(file, for: ctx.request, extraHeaders: pageHeaders)
        }
    }

    static let pages: [DeclaredRoute] = [
        .get("/", .public, OpenAPIOperation("openStaffPage", summary: "Redirect to the staff page", tag: tag, responses: [.init(302, "Redirect")]),
             execution: .inline) { _ in
            Response(status: 302, headers: [("Location", "/staff")])
        },
        page("/kiosk/{locationCode}", "kiosk.html", "getKioskPage", "Kiosk page"),
        page("/display/{locationCode}", "display.html", "getDisplayPage", "Call display page"),
        page("/t/{ticketId}", "status.html", "getTicketStatusPage", "Phone status page"),
        page("/staff", "staff.html", "getStaffPage", "Desk page for staff"),
        page("/admin", "admin.html", "getAdminPage", "Administration page"),
        page("/coordinator/floor", "floor.html", "getFloorPage", "Floor view for coordinators"),
        page("/admin/audit", "audit.html", "getAuditPage", "Audit search page for admins"),
        page("/afspraak/{locationCode}", "booking.html", "getBookingPage", "Citizen booking page of a location"),
        page("/mijn-afspraak/{token}", "manage.html", "getManagePage", "Citizen page for one appointment (manage link)"),
        page("/coordinator/reports", "reports.html", "getReportsPage", "Reports page for coordinators"),
        page("/coordinator", "coordinator.html", "getCoordinatorPage", "Coordinator console: plan joint appointments, calendars, staff week"),
        .get("/assets/{path...}", .public, OpenAPIOperation("getAsset", summary: "Static assets of the pages", tag: tag,
                                                             responses: [.init(200, "File")]),
             execution: .inline) { ctx in
            ctx.app.files.response(ctx.request.parameter("path"), for: ctx.request, extraHeaders: [("X-Content-Type-Options", "nosniff")])
        },
    ]

    static let data: [DeclaredRoute] = [
        .get("/api/v1/kiosk/{locationCode}", .public,
             OpenAPIOperation("getKioskData", summary: "Location, services and UI texts for a kiosk or display", tag: tag,
                              query: [.init("lang", "string", "Language of the texts and service names (default nl).")],
                              responses: [.init(200, "Kiosk data", "KioskData")])) { ctx in
            try kioskData(ctx)
        },
        .get("/api/v1/tickets/{ticketId}/qr.svg", .public,
             OpenAPIOperation("getTicketQRCode", summary: "QR code of the ticket's status page", tag: "queue",
                              responses: [.init(200, "SVG image", contentType: "image/svg+xml")])) { ctx in
            let id = try ctx.id("ticketId", "ticket")
            guard try ctx.db.first(TicketExists(ticketID: id)) != nil else {
                throw Problem.notFound("There is no ticket with id \(id).")
            }
            let url = ctx.app.publicBaseURL(ctx.request) + "/t/" + id
            let svg = try QRCode.svg(url, title: url)
            return Response(status: 200, headers: [("Content-Type", "image/svg+xml"), ("Cache-Control", "private, max-age=86400")],
                            body: .bytes(Array(svg.utf8)))
        },
        .post("/api/v1/locations/{locationId}/kiosks", .admin,
              OpenAPIOperation("registerKiosk", summary: "Register a kiosk (returns its device token once)", tag: "administration",
                               body: "KioskCreate", responses: [.init(201, "Registered", "Kiosk")])) { ctx in
            let location = try ctx.id("locationId", "location")
            let b = try ctx.decode(KioskBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 100)
            try v.check()
            let token = Credentials.randomToken()
            return try ctx.transaction { db in
                guard let code = try db.first(KioskLocationCode(id: location))?.code else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                guard let json = try db.first(KioskInsert(locationID: location, name: b.name, tokenHash: .bytes(Credentials.tokenDigest(token))))?.j else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                let created = JSON.parse(json)
                try ctx.audit(db, "kiosk.create", "kiosk", created["id"]?.stringValue, nil)
                guard case .object(var fields) = created else { return raw(json, status: 201) }
                fields.append(("deviceToken", .string(token)))
                fields.append(("kioskPath", .string("/kiosk/\(code)?device=\(token)")))
                return .json(.object(fields), status: 201)
            }
        },
    ]

    /// Everything a kiosk (or display) needs in one request: the location, the services offered there with names
    /// in the chosen language, and the UI texts — so first load stays within 4 requests.
    static func kioskData(_ ctx: RouteContext) throws -> Response {
        let request = ctx.request
        let texts = ctx.app.texts
        let code = request.parameter("locationCode").lowercased()
        let language = texts.language(request.query["lang"])
        guard let row = try ctx.db.first(KioskLocation(code: code, language: language.code, now: ctx.now)) else {
            throw Problem.notFound("There is no location with code \(code).")
        }
        let body = "{\"location\":" + row.location +
            ",\"language\":" + JSONText.quote(language.code) +
            ",\"dir\":" + JSONText.quote(language.direction) +
            ",\"texts\":" + language.publicTexts.serialized +
            ",\"languages\":" + texts.listJSON.serialized +
            ",\"services\":" + row.services + "}"
        // Compressed per request (it depends on the language and the day's closure): ~7 KB becomes ~3 KB, which keeps
        // a kiosk's first load within its 15 KB budget.
        var headers = [("Content-Type", "application/json"), ("Cache-Control", "no-cache"), ("Vary", "Accept-Encoding")]
        let bytes = Array(body.utf8)
        if request.acceptsGzip, let gz = Gzip.compress(bytes, level: 6) {
            headers.append(("Content-Encoding", "gzip"))
            return Response(status: 200, headers: headers, body: .bytes(gz))
        }
        return Response(status: 200, headers: headers, body: .bytes(bytes))
    }
}
