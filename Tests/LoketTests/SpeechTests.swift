@testable import API
import Foundation
import HTTP
import Postgres
import Speech
import Time
import TestSupport
import XCTest

/// Speech output of the kiosk and display: every spoken text of every language renders to a small Ogg Opus file,
/// and the routes speak only what they may (texts by key, numbers really taken, a desk's current call).
final class SpeechTests: XCTestCase {
    static func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "loket-speech-\(UUID().uuidString)"
    }

    /// Seconds of audio in an Ogg Opus file: the last page's granule position minus the pre-skip, at 48 kHz.
    static func seconds(_ file: [UInt8]) -> Double? {
        let oggs = Array("OggS".utf8), head = Array("OpusHead".utf8)
        guard file.count > 64, Array(file[0..<4]) == oggs,
              let h = (0...(file.count - 12)).first(where: { Array(file[$0..<($0 + 8)]) == head }),
              let last = (0...(file.count - 14)).reversed().first(where: { Array(file[$0..<($0 + 4)]) == oggs })
        else { return nil }
        let preSkip = Int(file[h + 10]) | Int(file[h + 11]) << 8
        var granule = 0
        for i in 0..<8 { granule |= Int(file[last + 6 + i]) << (8 * i) }
        return Double(granule - preSkip) / 48_000
    }

    func testEveryTextKeyInEveryLanguageRendersToASmallOggOpusFile() throws {
        let texts = Translations(files: StaticFiles(root: TestApp.repositoryRoot + "/kiosk"))
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = SpeechCache(directory: directory)
        var files = 0, bytes = 0, audioSeconds = 0.0
        let started = Date()
        for speech in SpeechLanguage.allCases {
            let language = try XCTUnwrap(texts.languages[speech.rawValue], "kiosk/i18n/\(speech.rawValue).json")
            let keys = SpeechService.spokenKeys(language)
            // Every public text is spoken, except those only the call route fills (desk, number, service).
            guard case .object(let fields) = language.texts else { return XCTFail("\(speech) texts are not an object") }
            let expected = fields.filter { key, value in
                !key.hasPrefix("_") && !key.hasPrefix("staff.") && !(value.stringValue ?? "{").replacingAll("{n}", with: "").contains("{")
            }.map(\.0)
            XCTAssertEqual(Set(keys.map(\.key)), Set(expected), "\(speech): spoken keys")
            XCTAssertGreaterThan(keys.count, 50, "\(speech)")
            for (key, n) in keys {
                let text = try XCTUnwrap(SpeechService.text(key, language, n: n))
                let file = try cache.audio([Utterance(text, speech)])
                let what = "\(speech.rawValue) \(key) \"\(text)\""
                XCTAssertEqual(Array(file.bytes.prefix(4)), Array("OggS".utf8), what)
                let seconds = try XCTUnwrap(Self.seconds(file.bytes), what)
                // Sane: a short label lasts a fraction of a second, the longest sentence some seconds; Opus at
                // 16 kbit/s with Ogg framing is ~2.2 KB a second (WAV at espeak's 22,050 Hz would be 44 KB).
                XCTAssertGreaterThan(seconds, 0.2, what)
                XCTAssertLessThan(seconds, 20, what)
                XCTAssertGreaterThan(file.bytes.count, 300, what)
                XCTAssertLessThan(Double(file.bytes.count), 600 + seconds * 3_500, what)
                XCTAssertEqual(FileManager.default.contents(atPath: directory + "/" + file.name + ".opus").map { [UInt8]($0) }, file.bytes, "stored under its content address: \(what)")
                files += 1
                bytes += file.bytes.count
                audioSeconds += seconds
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        print(String(format: "speech: %d files, %.1f s of audio, %d bytes (%.0f bytes/s of audio; WAV 44,100), rendered in %.1f s",
                     files, audioSeconds, bytes, Double(bytes) / audioSeconds, elapsed))
        // A second request is read from the folder: same bytes, no new file.
        let nl = try XCTUnwrap(texts.languages["nl"])
        let again = try cache.audio([Utterance(try XCTUnwrap(SpeechService.text("kiosk.title", nl, n: nil)), .nl)])
        let count = try FileManager.default.contentsOfDirectory(atPath: directory).count
        XCTAssertEqual(count, files - duplicates(texts), "one file per distinct text")
        XCTAssertEqual(try cache.audio([Utterance(texts.languages["nl"]!.texts["kiosk.title"]!.stringValue!, .nl)]).bytes, again.bytes)
    }

    /// Texts that are the same in one language under two keys share a file.
    private func duplicates(_ texts: Translations) -> Int {
        var dup = 0
        for speech in SpeechLanguage.allCases {
            let language = texts.languages[speech.rawValue]!
            let spoken = SpeechService.spokenKeys(language).compactMap { SpeechService.text($0.key, language, n: $0.n) }
            dup += spoken.count - Set(spoken).count
        }
        return dup
    }

    func testRoutesSpeakOnlyKnownTextsRealNumbersAndCurrentCalls() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let t = try TestApp { $0.speechDirectory = directory }
        defer { t.tearDown() }
        let w = try World.make(t)
        let c = t.client

        let title = try c.get("/api/v1/speech/nl/kiosk.title")
        XCTAssertEqual(title.status, 200, title.text)
        XCTAssertEqual(title.header("Content-Type"), "audio/ogg")
        XCTAssertEqual(title.header("Cache-Control"), "public, max-age=604800")
        XCTAssertEqual(Array(title.body.prefix(4)), Array("OggS".utf8))
        let etag = try XCTUnwrap(title.header("ETag"))
        let expected = t.app.speech.cache.name([Utterance("Waarvoor komt u?", .nl)])
        XCTAssertEqual(etag, "\"\(expected)\"", "the file says the Dutch kiosk.title")
        XCTAssertEqual(try c.get("/api/v1/speech/nl/kiosk.title", headers: ["If-None-Match": etag]).status, 304)
        let position = try c.get("/api/v1/speech/ar/position?n=7")
        XCTAssertEqual(position.status, 200, position.text)
        let arabic = try XCTUnwrap(t.app.texts.languages["ar"]?.texts["position"]?.stringValue).replacingAll("{n}", with: "7")
        XCTAssertEqual(position.header("ETag"), "\"\(t.app.speech.cache.name([Utterance(arabic, .ar)]))\"")

        // Nothing else: unknown keys and languages, the desk page's texts, texts with placeholders only the server
        // fills, and numbers out of range. None of these leaves a file behind.
        for path in ["/api/v1/speech/nl/no.such.key", "/api/v1/speech/xx/kiosk.title", "/api/v1/speech/de/kiosk.title",
                     "/api/v1/speech/nl/staff.title", "/api/v1/speech/nl/_name", "/api/v1/speech/nl/display.speak",
                     "/api/v1/speech/nl/status.goTo", "/api/v1/speech/nl/position"] {
            XCTAssertEqual(try c.get(path).status, 404, path)
        }
        for n in ["0", "501", "-1", "abc", "1e3", "99999999999999999999"] {
            XCTAssertEqual(try c.get("/api/v1/speech/nl/position?n=\(n)").status, 400, n)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).count, 2, "only the two spoken texts are stored")

        // A number taken here today, in the kiosk's language.
        let a = try w.take(t, w.serviceA)
        let b = try w.take(t, w.serviceB, language: "tr")
        let numberA = a["number"] as! String, numberB = b["number"] as! String
        let spokenNumber = try c.get("/api/v1/locations/\(w.locationID)/numbers/\(numberB)/speech?lang=tr")
        XCTAssertEqual(spokenNumber.status, 200, spokenNumber.text)
        XCTAssertEqual(spokenNumber.header("ETag"), "\"\(t.app.speech.cache.name([Utterance("Numaranız: S 1.", .tr)]))\"")
        for path in ["/api/v1/locations/\(w.locationID)/numbers/S999/speech", "/api/v1/locations/\(w.locationID)/numbers/S1/speech",
                     "/api/v1/locations/\(w.locationID)/numbers/hello/speech", "/api/v1/locations/\(UUID().uuidString.lowercased())/numbers/\(numberA)/speech",
                     "/api/v1/locations/\(w.locationID)/numbers/\(numberA)/speech?lang=xx"] {
            XCTAssertEqual(try c.get(path).status, 404, path)
        }

        // A service's name as the kiosk shows it (translated where the service has a translation).
        XCTAssertEqual(try t.admin.patch("/api/v1/services/\(w.serviceA)", json: ["translations": ["en": "Unemployment benefit"]]).status, 200)
        let service = try c.get("/api/v1/services/\(w.serviceA)/speech?lang=en")
        XCTAssertEqual(service.status, 200, service.text)
        XCTAssertEqual(service.header("ETag"), "\"\(t.app.speech.cache.name([Utterance("Unemployment benefit", .en)]))\"")
        XCTAssertEqual(try c.get("/api/v1/services/\(w.serviceA)/speech").header("ETag"), "\"\(t.app.speech.cache.name([Utterance("WW", .nl)]))\"")
        XCTAssertEqual(try c.get("/api/v1/services/\(UUID().uuidString.lowercased())/speech").status, 404)

        // A call: only while the desk calls (or serves) that number; Dutch, and the visitor's language when another.
        let callA = "/api/v1/desks/\(w.desks[0])/calls/\(numberA)/speech"
        let callB = "/api/v1/desks/\(w.desks[1])/calls/\(numberB)/speech"
        XCTAssertEqual(try c.get(callA).status, 404, "not called yet")
        XCTAssertEqual(try w.staffA.post("/api/v1/desks/\(w.desks[0])/call-next").object["number"] as? String, numberA)
        XCTAssertEqual(try w.staffB.post("/api/v1/desks/\(w.desks[1])/call-next").object["number"] as? String, numberB)
        let dutch = try c.get(callA)
        XCTAssertEqual(dutch.status, 200, dutch.text)
        XCTAssertEqual(dutch.header("ETag"), "\"\(t.app.speech.cache.name([Utterance("Nummer U 1, Balie 1", .nl)]))\"")
        let both = try c.get(callB)
        XCTAssertEqual(both.status, 200, both.text)
        XCTAssertEqual(both.header("ETag"), "\"\(t.app.speech.cache.name([Utterance("Nummer S 1, Balie 2", .nl), Utterance("Numara S 1, Balie 2", .tr)]))\"")
        let dutchSeconds = try XCTUnwrap(Self.seconds(dutch.body)), bothSeconds = try XCTUnwrap(Self.seconds(both.body))
        XCTAssertGreaterThan(bothSeconds, dutchSeconds + 1, "two announcements take longer than one")
        XCTAssertEqual(try c.get("/api/v1/desks/\(w.desks[0])/calls/\(numberB)/speech").status, 404, "another desk's call")
        XCTAssertEqual(try c.get("/api/v1/desks/\(w.desks[0])/calls/U002/speech").status, 404, "a number not called")
        XCTAssertEqual(try c.get("/api/v1/desks/\(UUID().uuidString.lowercased())/calls/\(numberA)/speech").status, 404)
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(a["id"] as! String)/start").status, 200)
        XCTAssertEqual(try c.get(callA).status, 200, "still at the desk while served")
        XCTAssertEqual(try w.staffA.post("/api/v1/tickets/\(a["id"] as! String)/finish", json: ["outcome": "geholpen"]).status, 200)
        XCTAssertEqual(try c.get(callA).status, 404, "the visitor has gone")
    }
}

extension SpeechTests {
    /// espeak-ng runs one synthesis at a time behind its lock: many first requests at once (distinct texts in every
    /// language) all get their own right file. And speech never waits on the database workers: with the only worker
    /// stuck waiting for a connection, a text is still rendered and served.
    func testParallelRequestsAndOffTheDatabaseWorkers() throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let t = try TestApp { $0.speechDirectory = directory; $0.workerThreads = 1; $0.runJobs = false }
        defer { t.tearDown() }

        let keys = ["kiosk.title", "kiosk.intro", "help", "kiosk.watch"]
        var requests: [(path: String, name: String)] = []
        for speech in SpeechLanguage.allCases {
            let language = try XCTUnwrap(t.app.texts.languages[speech.rawValue])
            for key in keys {
                let text = try XCTUnwrap(SpeechService.text(key, language, n: nil))
                requests.append(("/api/v1/speech/\(speech.rawValue)/\(key)", "\"\(t.app.speech.cache.name([Utterance(text, speech)]))\""))
            }
        }
        let answers = LockedBox<[String: (Int, String?)]>([:])
        DispatchQueue.concurrentPerform(iterations: requests.count) { i in
            let r = try? t.client.get(requests[i].path)
            answers.update { $0[requests[i].path] = (r?.status ?? 0, r?.header("ETag")) }
        }
        for (path, name) in requests {
            XCTAssertEqual(answers.value[path]?.0, 200, path)
            XCTAssertEqual(answers.value[path]?.1, name, "\(path) says its own text")
        }

        // Hold every pooled connection: the one database worker then waits on a request that needs one.
        let pool = t.app.pool
        func holding(_ n: Int, _ body: () throws -> Void) throws {
            if n == 0 { return try body() }
            try pool.withConnection { _ in try holding(n - 1, body) }
        }
        try holding(t.app.configuration.workerThreads + 2) {
            let stuck = LockedBox<Date?>(nil)
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                _ = try? t.client.get("/api/v1/kiosk/centrum")
                stuck.update { $0 = Date() }
                done.signal()
            }
            Thread.sleep(forTimeInterval: 0.3)
            let r = try t.client.get("/api/v1/speech/pl/position?n=42")
            XCTAssertEqual(r.status, 200, r.text)
            XCTAssertNil(stuck.value, "the speech answer came while the database worker was still stuck")
            done.wait()
        }
    }
}

/// A value shared between test threads.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func update(_ body: (inout T) -> Void) { lock.withLock { body(&stored) } }
}

/// One value of every statement type of speech.sql, for `StatementTests`.
enum SpeechStatementSamples {
    static let samples: [any Statement] = [
        SpeechCall(deskID: "00000000-0000-0000-0000-000000000000", number: "U001"),
        SpeechNumber(locationID: "00000000-0000-0000-0000-000000000000", number: "U001", now: Instant(microseconds: 0)),
        SpeechServiceName(serviceID: "00000000-0000-0000-0000-000000000000", language: "nl"),
    ]
}
