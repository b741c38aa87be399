import Credentials
import HTTP
import Postgres
import QRCode

/// UI texts of the public screens, from `kiosk/i18n/*.json` (Dutch first; Arabic right-to-left).
struct Translations: Sendable {
    struct Language: Sendable {
        let code: String
        let name: String
        let direction: String
        let texts: JSON

        /// The texts of the public screens: the desk page's own (`staff.*`) stay out of the kiosk's payload.
        var publicTexts: JSON {
            guard case .object(let fields) = texts else { return texts }
            return .object(fields.filter { !$0.0.hasPrefix("staff.") })
        }
    }

    /// Dutch first, then the others in a fixed order.
    static let order = ["nl", "en", "ar", "tr", "pl", "uk"]
    let languages: [String: Language]

    init(files: StaticFiles) {
        var languages: [String: Language] = [:]
        for path in files.paths where path.hasPrefix("i18n/") && path.hasSuffix(".json") {
            let code = String(path.dropFirst(5).dropLast(5))
            guard let file = files.file(path) else { continue }
            let texts = JSON.parse(String(decoding: file.bytes, as: UTF8.self))
            languages[code] = Language(code: code, name: texts["_name"]?.stringValue ?? code,
                                       direction: texts["_dir"]?.stringValue ?? "ltr", texts: texts)
        }
        self.languages = languages
    }

    var available: [Language] {
        Self.order.compactMap { languages[$0] } + languages.values.filter { !Self.order.contains($0.code) }.sorted { $0.code < $1.code }
    }

    func language(_ requested: String?) -> Language {
        if let requested, let l = languages[requested] { return l }
        return languages["nl"] ?? Language(code: "nl", name: "Nederlands", direction: "ltr", texts: .object([]))
    }

    var listJSON: JSON {
        .array(available.map { .object([("code", .string($0.code)), ("name", .string($0.name)), ("dir", .string($0.direction))]) })
    }
}

/// Security headers of every page: a strict Content-Security-Policy (no inline script or style, nothing from
/// other origins), no framing, no referrer leaking ticket ids.
let pageHeaders: [(String, String)] = [
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' data:; connect-src 'self'; " +
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
]

struct KioskBody: Decodable { let name: String? }

extension App {
    func registerPageRoutes(_ r: inout RouteBuilder) {
        let files = self.files
        r.get("/", execution: .inline) { _ in
            Response(status: 302, headers: [("Location", "/staff")])
        }
        r.get("/kiosk/{locationCode}", execution: .inline) { files.response("kiosk.html", for: $0, extraHeaders: pageHeaders) }
        r.get("/display/{locationCode}", execution: .inline) { files.response("display.html", for: $0, extraHeaders: pageHeaders) }
        r.get("/t/{ticketId}", execution: .inline) { files.response("status.html", for: $0, extraHeaders: pageHeaders) }
        r.get("/staff", execution: .inline) { files.response("staff.html", for: $0, extraHeaders: pageHeaders) }
        r.get("/assets/{path...}", execution: .inline) { req in
            files.response(req.parameter("path"), for: req, extraHeaders: [("X-Content-Type-Options", "nosniff")])
        }
        r.get("/api/v1/kiosk/{locationCode}") { [self] in try kioskData($0) }
        r.get("/api/v1/tickets/{ticketId}/qr.svg") { [self] in try ticketQR($0) }
        r.post("/api/v1/locations/{locationId}/kiosks") { [self] req in
            let location = try pathID(req, "locationId", "location")
            let b = try req.decode(KioskBody.self)
            var v = Validator()
            v.text(b.name, "name", max: 100)
            try v.check()
            let token = Credentials.randomToken()
            return try pool.transaction { db in
                let actor = try authenticator.require(.admin, req, db)
                guard let code = try db.query(Query(Statements.kiosk["location_code"], location)).first?.string("code") else {
                    throw Problem.notFound("There is no location with id \(location).")
                }
                let json = try db.query(Query(Statements.admin["kiosk_insert"], location, b.name,
                                              PostgresValue.bytes(Credentials.tokenDigest(token)))).first!.string("j")
                let created = JSON.parse(json)
                try audit(db, actor, "kiosk.create", "kiosk", created["id"]?.stringValue, nil)
                guard case .object(var fields) = created else { return raw(json, status: 201) }
                fields.append(("deviceToken", .string(token)))
                fields.append(("kioskPath", .string("/kiosk/\(code)?device=\(token)")))
                return .json(.object(fields), status: 201)
            }
        }
    }

    /// Everything a kiosk (or display) needs in one request: the location, the services offered there with names
    /// in the chosen language, and the UI texts — so first load stays within 4 requests.
    func kioskData(_ request: Request) throws -> Response {
        let code = request.parameter("locationCode").lowercased()
        let language = texts.language(request.query["lang"])
        guard let row = try pool.query(Query(Statements.kiosk["kiosk_location"], code, language.code)).first else {
            throw Problem.notFound("There is no location with code \(code).")
        }
        let body = "{\"location\":" + (try row.string("location")) +
            ",\"language\":" + JSONText.quote(language.code) +
            ",\"dir\":" + JSONText.quote(language.direction) +
            ",\"texts\":" + language.publicTexts.serialized +
            ",\"languages\":" + texts.listJSON.serialized +
            ",\"services\":" + (try row.string("services")) + "}"
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

    /// The QR code printed on a ticket: the absolute URL of the phone status page.
    func ticketQR(_ request: Request) throws -> Response {
        let id = try pathID(request, "ticketId", "ticket")
        guard try pool.query(Query(Statements.tickets["ticket_public"], id, configuration.clock.now())).first != nil else {
            throw Problem.notFound("There is no ticket with id \(id).")
        }
        let url = publicBaseURL(request) + "/t/" + id
        let svg = try QRCode.svg(url, title: url)
        return Response(status: 200, headers: [("Content-Type", "image/svg+xml"), ("Cache-Control", "private, max-age=86400")],
                        body: .bytes(Array(svg.utf8)))
    }

    func publicBaseURL(_ request: Request) -> String {
        if let configured = configuration.publicURL, !configured.isEmpty {
            return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        }
        let host = request.header("host") ?? "127.0.0.1:\(port)"
        return "http://\(host)"
    }
}
