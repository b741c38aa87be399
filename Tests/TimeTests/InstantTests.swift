import Time
import XCTest

final class InstantTests: XCTestCase {
    func testFormatsAndParsesRoundTrip() {
        let cases: [(String, Int64)] = [
            ("1970-01-01T00:00:00.000000Z", 0),
            ("2026-03-29T01:00:00.000000Z", 1_774_746_000_000_000),
            ("1969-12-31T23:59:59.999999Z", -1),
            ("2000-02-29T12:34:56.123456Z", 951_827_696_123_456),
        ]
        for (text, micros) in cases {
            XCTAssertEqual(Instant(microseconds: micros).rfc3339UTC, text)
            XCTAssertEqual(Instant(rfc3339: text)?.microseconds, micros, text)
        }
    }

    func testParsesOffsetsAndFractions() {
        // 03:00 summer time in Amsterdam is 01:00 UTC.
        XCTAssertEqual(Instant(rfc3339: "2026-03-29T03:00:00+02:00"), Instant(rfc3339: "2026-03-29T01:00:00Z"))
        XCTAssertEqual(Instant(rfc3339: "2026-10-25 02:30:00.5+01")?.microseconds,
                       Instant(rfc3339: "2026-10-25T01:30:00.500000Z")?.microseconds)
        for bad in ["", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "2026-01-01T24:00:00Z",
                    "2026-01-01T00:00:00Zjunk",
                    // Offsets beyond ±18:00 or with 60 minutes or more are typos, not times (+99:99 moved it by four days).
                    "2026-03-10T10:00:00+99:99", "2026-03-10T10:00:00+18:01", "2026-03-10T10:00:00-19:00", "2026-03-10T10:00:00+01:60",
                    "2026-03-10T10:00:00+24"] {
            XCTAssertNil(Instant(rfc3339: bad), bad)
        }
    }

    func testTheWidestOffsetsAreAccepted() {
        XCTAssertEqual(Instant(rfc3339: "2026-03-10T10:00:00+18:00"), Instant(rfc3339: "2026-03-09T16:00:00Z"))
        XCTAssertEqual(Instant(rfc3339: "2026-03-10T10:00:00-18:00"), Instant(rfc3339: "2026-03-11T04:00:00Z"))
        XCTAssertEqual(Instant(rfc3339: "2026-03-10T10:00:00+05:45"), Instant(rfc3339: "2026-03-10T04:15:00Z"), "Nepal")
        XCTAssertEqual(Instant(rfc3339: "2026-03-10T10:00:00+14"), Instant(rfc3339: "2026-03-09T20:00:00Z"), "Kiribati")
    }

    func testManualClockMoves() {
        let clock = ManualClock(Instant(seconds: 100))
        clock.advance(seconds: 60)
        XCTAssertEqual(clock.now(), Instant(seconds: 160))
        XCTAssertGreaterThan(SystemClock().now(), Instant(rfc3339: "2026-01-01T00:00:00Z")!)
    }
}
