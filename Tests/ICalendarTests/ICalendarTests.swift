import Foundation
import ICalendar
import Time
import XCTest

/// The pure iCalendar writer: folding (also inside multi-byte text), TEXT escaping, the EU summer-time rule at both
/// change-over Sundays, and the shape of a whole file.
final class ICalendarTests: XCTestCase {
    func at(_ text: String) -> Instant { Instant(rfc3339: text)! }

    // MARK: Folding

    /// Physical lines (without CRLF) of a folded byte stream; fails when a line does not end in CRLF.
    func physicalLines(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [[UInt8]] {
        var lines: [[UInt8]] = [], current: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 13, i + 1 < bytes.count, bytes[i + 1] == 10 {
                lines.append(current); current = []; i += 2; continue
            }
            XCTAssertNotEqual(bytes[i], 10, "bare LF", file: file, line: line)
            XCTAssertNotEqual(bytes[i], 13, "bare CR", file: file, line: line)
            current.append(bytes[i]); i += 1
        }
        XCTAssertEqual(current, [], "the last line ends in CRLF", file: file, line: line)
        return lines
    }

    func unfold(_ lines: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, l) in lines.enumerated() { out += i == 0 ? l : Array(l.dropFirst()) }
        return out
    }

    func testFoldingKeepsLinesWithin75OctetsAndNeverSplitsAUTF8Sequence() {
        // 1-, 2-, 3- and 4-byte characters at every alignment against the 75-octet boundary.
        for text in ["a", "é", "€", "🙂", "aé€🙂"] {
            for prefix in 0..<5 {
                let value = String(repeating: "x", count: prefix) + String(repeating: text, count: 90)
                let line = Array(("DESCRIPTION:" + value).utf8)
                let folded = ContentLines.fold(line)
                let lines = physicalLines(folded)
                XCTAssertGreaterThan(lines.count, 1)
                for (i, l) in lines.enumerated() {
                    XCTAssertLessThanOrEqual(l.count, 75, "line \(i) of \(text)/\(prefix)")
                    if i > 0 { XCTAssertEqual(l.first, 32, "a continuation line starts with a space") }
                    XCTAssertNotNil(String(validating: l, as: UTF8.self), "line \(i) is valid UTF-8 on its own")
                    XCTAssertNotEqual((i > 0 ? l.dropFirst().first : l.first).map { $0 & 0xC0 }, 0x80, "no line starts inside a character")
                }
                // Lines are filled: only a multi-byte character that does not fit makes one shorter than 75.
                for l in lines.dropLast() { XCTAssertGreaterThanOrEqual(l.count, 72) }
                XCTAssertEqual(unfold(lines), line, "unfolding gives the line back")
            }
        }
    }

    func testShortLinesAreNotFoldedAndA75OctetLineFitsExactly() {
        let exact = Array(("SUMMARY:" + String(repeating: "y", count: 67)).utf8)
        XCTAssertEqual(exact.count, 75)
        XCTAssertEqual(ContentLines.fold(exact), exact + [13, 10])
        let over = exact + [121]
        XCTAssertEqual(physicalLines(ContentLines.fold(over)).map(\.count), [75, 2])
    }

    // MARK: Escaping

    func testTextEscaping() {
        XCTAssertEqual(ContentLines.escapeText(#"a\b;c,d"#), #"a\\b\;c\,d"#)
        XCTAssertEqual(ContentLines.escapeText("one\ntwo\r\nthree\rfour"), #"one\ntwo\nthree\nfour"#)
        XCTAssertEqual(ContentLines.escapeText("tab\there\u{7}bell\u{0}"), "tab\there" + "bell")
        XCTAssertEqual(ContentLines.escapeText("Stadswinkel: Coolsingel 40, 3011 AD Rotterdam"), #"Stadswinkel: Coolsingel 40\, 3011 AD Rotterdam"#)
        XCTAssertEqual(ContentLines.escapeText("ü€🙂"), "ü€🙂")
    }

    func testParameterValuesAreQuotedWhenNeededAndMailtoIsEncoded() {
        XCTAssertEqual(ContentLines.parameterValue("Anna"), "Anna")
        XCTAssertEqual(ContentLines.parameterValue("de Vries, Anna"), "\"de Vries, Anna\"")
        XCTAssertEqual(ContentLines.parameterValue("say \"hi\": now"), "\"say hi: now\"")
        XCTAssertEqual(ContentLines.mailto("anna.de-vries+loket@uwv.nl"), "mailto:anna.de-vries+loket@uwv.nl")
        XCTAssertEqual(ContentLines.mailto("a;b,c:d@x.nl"), "mailto:a%3Bb%2Cc%3Ad@x.nl")
    }

    // MARK: Summer time

    func testOffsetsAroundBothChangeOverSundays() {
        // 2026: 29 March and 25 October; 2025: 30 March and 26 October; 2027: 28 March and 31 October.
        for (spring, autumn) in [("2026-03-29", "2026-10-25"), ("2025-03-30", "2025-10-26"), ("2027-03-28", "2027-10-31")] {
            XCTAssertEqual(CentralEuropeanTime.offsetSeconds(at: at(spring + "T00:59:59Z")), 3600, spring)
            XCTAssertEqual(CentralEuropeanTime.offsetSeconds(at: at(spring + "T01:00:00Z")), 7200, spring)
            XCTAssertEqual(CentralEuropeanTime.offsetSeconds(at: at(autumn + "T00:59:59Z")), 7200, autumn)
            XCTAssertEqual(CentralEuropeanTime.offsetSeconds(at: at(autumn + "T01:00:00Z")), 3600, autumn)
        }
        XCTAssertEqual(CentralEuropeanTime.offsetSeconds(at: at("2026-01-15T12:00:00Z")), 3600)
        XCTAssertEqual(CentralEuropeanTime.offsetSeconds(at: at("2026-07-15T12:00:00Z")), 7200)
        XCTAssertEqual(CentralEuropeanTime.offsetSeconds(at: at("2026-12-31T23:30:00Z")), 3600)
    }

    func testLocalTimesOnTheChangeOverSundays() {
        let local = { (s: String) in CentralEuropeanTime.localTime(at: self.at(s)).description }
        // Spring: 01:59:59 CET, then 03:00 CEST.
        XCTAssertEqual(local("2026-03-29T00:59:59Z"), "20260329T015959")
        XCTAssertEqual(local("2026-03-29T01:00:00Z"), "20260329T030000")
        // Autumn: 02:30 happens twice.
        XCTAssertEqual(local("2026-10-25T00:30:00Z"), "20261025T023000")
        XCTAssertEqual(local("2026-10-25T01:30:00Z"), "20261025T023000")
        XCTAssertEqual(local("2026-10-25T02:00:00Z"), "20261025T030000")
        XCTAssertEqual(local("2026-12-31T23:30:00Z"), "20270101T003000")
    }

    func testReadingLocalTimesBackFollowsRFC5545() {
        let back = { (l: LocalDateTime) in CentralEuropeanTime.instant(local: l).rfc3339UTC }
        // The first occurrence of an autumn time that happens twice.
        XCTAssertEqual(back(LocalDateTime(year: 2026, month: 10, day: 25, hour: 2, minute: 30)), "2026-10-25T00:30:00.000000Z")
        XCTAssertEqual(back(LocalDateTime(year: 2026, month: 10, day: 25, hour: 3, minute: 0)), "2026-10-25T02:00:00.000000Z")
        // A spring time that does not happen: the offset before the gap.
        XCTAssertEqual(back(LocalDateTime(year: 2026, month: 3, day: 29, hour: 2, minute: 30)), "2026-03-29T01:30:00.000000Z")
        XCTAssertEqual(back(LocalDateTime(year: 2026, month: 3, day: 29, hour: 3, minute: 0)), "2026-03-29T01:00:00.000000Z")
        XCTAssertEqual(back(LocalDateTime(year: 2026, month: 7, day: 1, hour: 10, minute: 0)), "2026-07-01T08:00:00.000000Z")
        XCTAssertTrue(CentralEuropeanTime.localTimeRoundTrips(at("2026-10-25T00:30:00Z")))
        XCTAssertFalse(CentralEuropeanTime.localTimeRoundTrips(at("2026-10-25T01:30:00Z")), "the second 02:30 has no local name")
        // Every quarter hour of both Sundays but the repeated hour's second pass reads back as itself.
        for day in ["2026-03-28T22:00:00Z", "2026-10-24T22:00:00Z"] {
            for q in 0..<(26 * 4) {
                let i = at(day).adding(minutes: Int64(q * 15))
                let repeated = i >= at("2026-10-25T01:00:00Z") && i < at("2026-10-25T02:00:00Z")
                XCTAssertEqual(CentralEuropeanTime.localTimeRoundTrips(i), !repeated, i.rfc3339UTC)
            }
        }
    }

    // MARK: Whole files

    func testAnInvitationAcrossTheAutumnChange() {
        let event = CalendarEvent(uid: "0b6a@loket.example.nl", sequence: 2, stamp: at("2026-10-01T09:15:42.5Z"),
                                  start: at("2026-10-25T00:30:00Z"), end: at("2026-10-25T02:00:00Z"),
                                  timeZone: "Europe/Amsterdam", summary: "Afspraak ABC234", description: "Referentie: ABC234\nMet: UWV, SVB",
                                  location: "Stadswinkel, Coolsingel 40", organizer: CalendarAddress(email: "loket@rotterdam.nl", commonName: "Stadswinkel"),
                                  attendees: [CalendarAddress(email: "anna@uwv.nl", commonName: "Anna")])
        let text = String(decoding: ICalendarDocument(method: .request, events: [event]).serialized(), as: UTF8.self)
        let lines = text.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n")
        XCTAssertEqual(lines.first, "BEGIN:VCALENDAR")
        XCTAssertEqual(lines.suffix(2), ["END:VCALENDAR", ""])
        for expected in ["METHOD:REQUEST", "UID:0b6a@loket.example.nl", "SEQUENCE:2", "DTSTAMP:20261001T091542Z",
                         "DTSTART;TZID=Europe/Amsterdam:20261025T023000", "DTEND;TZID=Europe/Amsterdam:20261025T030000",
                         "DESCRIPTION:Referentie: ABC234\\nMet: UWV\\, SVB", "LOCATION:Stadswinkel\\, Coolsingel 40",
                         "ORGANIZER;CN=Stadswinkel:mailto:loket@rotterdam.nl", "TZID:Europe/Amsterdam",
                         "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
                         "BEGIN:STANDARD", "BEGIN:DAYLIGHT", "STATUS:CONFIRMED"] {
            XCTAssertTrue(lines.contains(expected), expected)
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("ATTENDEE;CN=Anna;") && $0.hasSuffix(":mailto:anna@uwv.nl") })
    }

    func testTheSecondPassThroughTheAutumnHourAndOtherZonesAreWrittenInUTC() {
        var second = CalendarEvent(uid: "u", sequence: 0, stamp: at("2026-10-01T00:00:00Z"), start: at("2026-10-25T01:30:00Z"),
                                   end: at("2026-10-25T02:30:00Z"), timeZone: "Europe/Amsterdam", summary: "s")
        let text = String(decoding: ICalendarDocument(method: .publish, events: [second]).serialized(), as: UTF8.self)
        XCTAssertTrue(text.contains("\r\nDTSTART:20261025T013000Z\r\n"))
        XCTAssertTrue(text.contains("\r\nDTEND;TZID=Europe/Amsterdam:20261025T033000\r\n"))
        XCTAssertTrue(text.contains("BEGIN:VTIMEZONE"), "DTEND uses the TZID")

        second.timeZone = "Europe/London"
        let london = String(decoding: ICalendarDocument(method: .publish, events: [second]).serialized(), as: UTF8.self)
        XCTAssertTrue(london.contains("\r\nDTSTART:20261025T013000Z\r\n"))
        XCTAssertTrue(london.contains("\r\nDTEND:20261025T023000Z\r\n"))
        XCTAssertFalse(london.contains("VTIMEZONE"), "no VTIMEZONE without a TZID")
        XCTAssertFalse(london.contains("TZID"))
    }

    func testFeedPropertiesAndCancellation() {
        let e = CalendarEvent(uid: "u", sequence: 3, stamp: at("2026-10-01T00:00:00Z"), start: at("2026-07-01T08:00:00Z"),
                              end: at("2026-07-01T08:30:00Z"), timeZone: "Europe/Amsterdam", summary: "s", status: .cancelled)
        let feed = String(decoding: ICalendarDocument(method: .publish, name: "Kamer 2", refreshMinutes: 60,
                                                      events: [e]).serialized(), as: UTF8.self)
        XCTAssertTrue(feed.contains("\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\n"))
        XCTAssertTrue(feed.contains("\r\nX-WR-CALNAME:Kamer 2\r\n"))
        XCTAssertTrue(feed.contains("\r\nSTATUS:CANCELLED\r\n"))
        XCTAssertTrue(feed.contains("\r\nDTSTART;TZID=Europe/Amsterdam:20260701T100000\r\n"))
    }
}
