import HTTP
import Locking
import Queue
import Speech

// Speech output of the kiosk and the call display (EN 301 549: a kiosk is closed functionality and must speak).
//
// Audio is rendered on the server by espeak-ng into small Ogg Opus files, cached on disk by what they say, and
// fetched only when a visitor presses "listen" or a call is announced: the kiosk's first load is unchanged and no
// screen depends on the voices its browser may have. What may be spoken is decided here, never taken from the
// request: a text of kiosk/i18n/<lang>.json by its key, a service's name, a number taken at the location, a desk's
// current call. So
// nobody can make the server say something else or fill its disk.
//
// The routes run on a small pool of their own (`SpeechService.pool`), never on the database workers: synthesis
// costs tens of milliseconds of a core and espeak-ng runs one synthesis at a time (`Synthesizer`).

/// The speech cache and the threads speech requests run on.
final class SpeechService: Sendable {
    let cache: SpeechCache
    /// Two threads and a short queue: more would only wait on espeak-ng's lock; when full, a request gets 503.
    let pool = WorkerPool(threads: 2, maxQueued: 32, name: "loket-speech")

    init(directory: String) {
        cache = SpeechCache(directory: directory)
    }

    func shutdown() { pool.shutdown() }

    /// Numbers in texts with `{n}` (a place in the queue, minutes of waiting) go up to this: the files they make
    /// stay bounded (a few keys × six languages × this).
    static let largestN = 500

    /// The text of `key` in `language` as spoken, with `{n}` filled in; nil when the key is not a spoken public
    /// text (unknown, the desk page's, or one with another placeholder, which only the call route fills).
    static func text(_ key: String, _ language: Translations.Language, n: Int?) -> String? {
        guard !key.hasPrefix("_"), !key.hasPrefix("staff."), let text = language.texts[key]?.stringValue,
              !text.allSatisfy({ $0 == " " }) else { return nil }
        var spoken = text
        if spoken.contains("{n}") {
            guard let n else { return nil }
            spoken = spoken.replacingAll("{n}", with: String(n))
        }
        return spoken.contains("{") ? nil : spoken
    }

    /// Every key of `language` that `text` speaks, with a sample `n` for those that need one (for the test that
    /// renders them all).
    static func spokenKeys(_ language: Translations.Language) -> [(key: String, n: Int?)] {
        guard case .object(let fields) = language.texts else { return [] }
        return fields.compactMap { key, value in
            guard let s = value.stringValue else { return nil }
            let n: Int? = s.contains("{n}") ? 12 : nil
            return text(key, language, n: n) == nil ? nil : (key, n)
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation in this target).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    fileprivate func range(of target: String) -> Range<Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) { return i..<index(i, offsetBy: target.count) }
            i = index(after: i)
        }
        return nil
    }
}

enum SpeechRoutes: RouteCollection {
    static let tag = "speech"
    static let audio = OpenAPIOperation.Response(200, "Ogg Opus audio", contentType: "audio/ogg")

    static var routes: [DeclaredRoute] {
        [
            .get("/api/v1/speech/{lang}/{key}", .public,
                 OpenAPIOperation("getSpokenText", summary: "A kiosk text spoken in a language (Ogg Opus)", tag: tag,
                                  query: [.init("n", "integer", "The number for texts with {n} (a place in the queue, minutes), 1–\(SpeechService.largestN).")],
                                  responses: [audio, .init(304, "Not modified"), .init(400, "Bad n", "Problem"), .init(404, "No such text", "Problem"),
                                              .init(503, "Speech is not available", "Problem")]),
                 execution: .pool { $0.speech.pool }, database: DatabaseUse.none) { ctx in
                let language = try spokenLanguage(ctx, ctx.request.parameter("lang"))
                let key = ctx.request.parameter("key")
                var n: Int?
                if let raw = ctx.request.query["n"] {
                    guard raw.utf8.count <= 3, let value = Int(raw), (1...SpeechService.largestN).contains(value) else {
                        throw Problem.badRequest("n must be a whole number from 1 to \(SpeechService.largestN).")
                    }
                    n = value
                }
                guard let text = SpeechService.text(key, language.texts, n: n) else {
                    throw Problem.notFound("There is no spoken text \(key) in \(language.code)" + (n == nil ? " (does it need n?)." : "."))
                }
                return try speak(ctx, [Utterance(text, language.speech)], cacheControl: "public, max-age=604800")
            },
            .get("/api/v1/locations/{locationId}/numbers/{number}/speech", .public,
                 OpenAPIOperation("getSpokenNumber", summary: "\"Your number: U 7\" for a number taken here today (Ogg Opus)", tag: tag,
                                  query: [.init("lang", "string", "Language (default nl).")],
                                  responses: [audio, .init(304, "Not modified"), .init(404, "No such number", "Problem"),
                                              .init(503, "Speech is not available", "Problem")]),
                 execution: .pool { $0.speech.pool }, database: .brief) { ctx in
                let locationID = try ctx.id("locationId", "location")
                let language = try spokenLanguage(ctx, ctx.request.query["lang"] ?? "nl")
                let raw = ctx.request.parameter("number")
                guard let number = TicketNumber(parsing: raw),
                      try ctx.withConnection({ try $0.first(SpeechNumber(locationID: locationID, number: number.text, now: ctx.now)) }) != nil
                else { throw Problem.notFound("No number \(raw) was taken here today.") }
                let label = language.texts.texts["number"]?.stringValue ?? "Nummer"
                return try speak(ctx, [Utterance("\(label): \(number.spoken).", language.speech)], cacheControl: "public, max-age=86400")
            },
            .get("/api/v1/services/{serviceId}/speech", .public,
                 OpenAPIOperation("getSpokenService", summary: "An active service's name as the kiosk shows it (Ogg Opus)", tag: tag,
                                  query: [.init("lang", "string", "Language (default nl).")],
                                  responses: [audio, .init(304, "Not modified"), .init(404, "No such service", "Problem"),
                                              .init(503, "Speech is not available", "Problem")]),
                 execution: .pool { $0.speech.pool }, database: .brief) { ctx in
                let serviceID = try ctx.id("serviceId", "service")
                let language = try spokenLanguage(ctx, ctx.request.query["lang"] ?? "nl")
                guard let row = try ctx.withConnection({ try $0.first(SpeechServiceName(serviceID: serviceID, language: language.code)) })
                else { throw Problem.notFound("There is no service with id \(serviceID).") }
                return try speak(ctx, [Utterance(row.name, language.speech)], cacheControl: "public, max-age=86400")
            },
            .get("/api/v1/desks/{deskId}/calls/{number}/speech", .public,
                 OpenAPIOperation("getSpokenCall", summary: "The announcement of a desk's current call: in Dutch, then in the visitor's language (Ogg Opus)", tag: tag,
                                  responses: [audio, .init(304, "Not modified"), .init(404, "The desk is not calling this number", "Problem"),
                                              .init(503, "Speech is not available", "Problem")]),
                 execution: .pool { $0.speech.pool }, database: .brief) { ctx in
                let deskID = try ctx.id("deskId", "desk")
                let raw = ctx.request.parameter("number")
                guard let number = TicketNumber(parsing: raw),
                      let call = try ctx.withConnection({ try $0.first(SpeechCall(deskID: deskID, number: number.text)) })
                else { throw Problem.notFound("This desk is not calling \(raw).") }
                // Dutch always; the visitor's own language too when it is another. The display only ever plays this
                // file, so an onlooker learns the language by hearing it, as with a human caller, and nothing more.
                var utterances: [Utterance] = []
                for code in call.language == "nl" ? ["nl"] : ["nl", call.language] {
                    guard let speech = SpeechLanguage(rawValue: code), let texts = ctx.app.texts.languages[code],
                          let template = texts.texts["display.speak"]?.stringValue else { continue }
                    let text = template.replacingAll("{number}", with: number.spoken).replacingAll("{desk}", with: call.deskName)
                    utterances.append(Utterance(text, speech))
                }
                return try speak(ctx, utterances, cacheControl: "private, max-age=600")
            },
        ]
    }

    static var constraints: [String: Problem] { [:] }

    /// A language both the texts and espeak-ng have, or 404.
    static func spokenLanguage(_ ctx: RouteContext, _ code: String) throws -> (code: String, texts: Translations.Language, speech: SpeechLanguage) {
        guard let speech = SpeechLanguage(rawValue: code), let texts = ctx.app.texts.languages[code] else {
            throw Problem.notFound("Speech in \(code.prefix(16)) is not available.")
        }
        return (code, texts, speech)
    }

    /// The cached file (rendered now if it is the first request), with its content address as a strong ETag.
    static func speak(_ ctx: RouteContext, _ utterances: [Utterance], cacheControl: String) throws -> Response {
        let file: (name: String, bytes: [UInt8])
        do {
            file = try ctx.app.speech.cache.audio(utterances)
        } catch let error as SpeechError {
            ctx.app.logger.error("speech: \(error)")
            throw Problem.unavailable("Speech is not available right now.", retryAfterSeconds: 60)
        }
        let etag = "\"\(file.name)\""
        if ctx.request.header("If-None-Match") == etag {
            return Response(status: 304, headers: [("ETag", etag), ("Cache-Control", cacheControl)])
        }
        return Response(status: 200, headers: [("Content-Type", "audio/ogg"), ("Cache-Control", cacheControl), ("ETag", etag)],
                        body: .bytes(file.bytes))
    }
}
