import HTTP

/// UI texts of the public screens, from `kiosk/i18n/*.json` (Dutch first; Arabic right-to-left).
struct Translations: Sendable {
    struct Language: Sendable {
        let code: String
        let name: String
        let direction: String
        let texts: JSON

        /// The texts of the public screens: the desk page's own (`staff.*`) stay out of the kiosk's payload, and so do
        /// the check-in screen's (`checkin.*`), which `checkin.js` loads with the screen on the first tap (the kiosk's
        /// first-load budget), and the contact-code screen's (`contact.*`), which is the same screen in another mode.
        var publicTexts: JSON {
            guard case .object(let fields) = texts else { return texts }
            return .object(fields.filter { !$0.0.hasPrefix("staff.") && !$0.0.hasPrefix("checkin.") && !$0.0.hasPrefix("contact.") })
        }
    }

    /// Dutch first, then the others in a fixed order.
    static let order = ["nl", "en", "ar", "tr", "pl", "uk"]
    let languages: [String: Language]

    init(files: StaticFiles) {
        var languages: [String: Language] = [:]
        // Only the files right in i18n/: subfolders (i18n/booking/) hold other pages' texts, loaded by those pages.
        for path in files.paths where path.hasPrefix("i18n/") && path.hasSuffix(".json") && !path.dropFirst(5).contains("/") {
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

extension App {
    func publicBaseURL(_ request: Request) -> String {
        if let configured = configuration.publicURL, !configured.isEmpty {
            return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
        }
        let host = request.header("host") ?? "127.0.0.1:\(port)"
        return "http://\(host)"
    }
}
