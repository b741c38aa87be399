import Scheduling
import XCTest

/// `LocalDate` parsing of `YYYY-MM-DD` and the ISO week parity every-other-week rules alternate on (LoketTests'
/// CalendarAPITests checks the parity against SQL `week_parity` over decades).
final class LocalDateTests: XCTestCase {
    func testParsesOnlyDatesThatExistInTheOneShape() {
        XCTAssertEqual(LocalDate(iso: "2026-03-02"), LocalDate(year: 2026, month: 3, day: 2))
        XCTAssertEqual(LocalDate(iso: "2024-02-29"), LocalDate(year: 2024, month: 2, day: 29))
        XCTAssertEqual(LocalDate(iso: "0001-01-01"), LocalDate(year: 1, month: 1, day: 1))
        for bad in ["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-3-02", "2026-03-2", "26-03-02", "2026/03/02",
                    "2026-03-02 ", " 2026-03-02", "2026-03-0a", "+026-03-02", "-026-03-02", "0000-01-01", "", "2026-03-02T00:00"] {
            XCTAssertNil(LocalDate(iso: bad), bad)
        }
        // Round trip through the text PostgreSQL prints, over every day of four centuries (all leap-year rules).
        var d = LocalDate(year: 1800, month: 1, day: 1)!
        while d.year < 2200 {
            XCTAssertEqual(LocalDate(iso: d.description), d, d.description)
            d = d.adding(days: 1)
        }
    }

    func testWeekParityChangesOnMondaysFromWeekZeroOn() {
        func parity(_ s: String) -> Int { LocalDate(iso: s)!.isoWeekParity }
        XCTAssertEqual(parity("1900-01-01"), 0, "Monday of week 0")
        XCTAssertEqual(parity("1900-01-07"), 0, "its Sunday")
        XCTAssertEqual(parity("1900-01-08"), 1)
        XCTAssertEqual(parity("1899-12-31"), 1, "the Sunday before week 0 is week -1: odd")
        XCTAssertEqual(parity("1899-12-24"), 0, "week -2")
        // Each ISO week has one parity, and consecutive weeks alternate.
        var d = LocalDate(year: 1850, month: 1, day: 1)!
        while d.year < 2100 {
            let next = d.adding(days: 1)
            if next.isoWeekday == 1 {
                XCTAssertNotEqual(next.isoWeekParity, d.isoWeekParity, "\(d) → \(next)")
            } else {
                XCTAssertEqual(next.isoWeekParity, d.isoWeekParity, "\(d) → \(next)")
            }
            d = next
        }
    }
}
