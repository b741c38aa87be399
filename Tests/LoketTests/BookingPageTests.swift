@testable import API
import Foundation
import TestSupport
import XCTest

/// The citizen's booking and manage pages over real HTTP: both are served (with the strict page headers) whatever the
/// code or token — the page itself asks the API and says plainly when a location or link does not exist — and the
/// booking page's texts in `kiosk/i18n/booking/` stay out of the kiosk's language list.
final class BookingPageTests: XCTestCase, UsesTestApp {
    var t: TestApp!

    override func setUpWithError() throws { t = try TestApp() }
    override func tearDown() { t.tearDown() }

    func testBookingAndManagePagesAreServedWithThePageHeaders() throws {
        for (path, marker) in [("/afspraak/centrum", "data-page=\"book\""), ("/mijn-afspraak/some-token-of-43-characters-xxxxxxxxxxxxxxxxx", "data-page=\"manage\"")] {
            let r = try t.client.get(path)
            XCTAssertEqual(r.status, 200, path)
            XCTAssertEqual(r.header("content-type"), "text/html; charset=utf-8", path)
            XCTAssertTrue(r.text.contains(marker), "\(path) serves its own page")
            XCTAssertTrue(r.text.contains("/assets/booking.js"), path)
            let csp = r.header("content-security-policy") ?? ""
            XCTAssertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), csp)
            XCTAssertEqual(r.header("referrer-policy"), "no-referrer", "the manage token in the URL never leaves as a Referer")
        }
        for lang in ["nl", "en", "ar", "tr", "pl", "uk"] {
            let r = try t.client.get("/assets/i18n/booking/\(lang).json")
            XCTAssertEqual(r.status, 200, lang)
            let texts = r.object
            XCTAssertEqual(texts["_dir"] as? String, lang == "ar" ? "rtl" : "ltr", lang)
            XCTAssertNotNil(texts["done.ics"], lang)
        }
    }

    /// Every booking text exists in all six languages (a missing key would show its name to a citizen).
    func testBookingTextsHaveTheSameKeysInEveryLanguage() throws {
        func keys(_ lang: String) throws -> Set<String> {
            Set(try t.client.get("/assets/i18n/booking/\(lang).json").object.keys)
        }
        let dutch = try keys("nl")
        XCTAssertGreaterThan(dutch.count, 40)
        for lang in ["en", "ar", "tr", "pl", "uk"] {
            XCTAssertEqual(try keys(lang), dutch, lang)
        }
    }

    func testBookingTextsStayOutOfTheKioskLanguages() throws {
        XCTAssertEqual(Set(t.app.texts.languages.keys), ["nl", "en", "ar", "tr", "pl", "uk"])
        guard case .array(let list) = t.app.texts.listJSON else { return XCTFail("a list") }
        XCTAssertEqual(list.count, 6)
    }
}
