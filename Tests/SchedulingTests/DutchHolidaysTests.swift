import Scheduling
import XCTest

final class DutchHolidaysTests: XCTestCase {
    func date(_ y: Int, _ m: Int, _ d: Int) -> LocalDate { LocalDate(year: y, month: m, day: d)! }

    func testEasterSundays() {
        let known = [(2024, 3, 31), (2025, 4, 20), (2026, 4, 5), (2027, 3, 28), (2038, 4, 25), (2285, 3, 22),
                     (2000, 4, 23), (1818, 3, 22), (2011, 4, 24)]
        for (y, m, d) in known {
            XCTAssertEqual(DutchHolidays.easterSunday(year: y), date(y, m, d), "\(y)")
            XCTAssertEqual(DutchHolidays.easterSunday(year: y)?.isoWeekday, 7, "\(y)")
        }
        // Every year of the supported range: a Sunday between 22 March and 25 April.
        for y in 1583...9999 {
            guard let easter = DutchHolidays.easterSunday(year: y) else { XCTFail("\(y)"); continue }
            XCTAssertEqual(easter.isoWeekday, 7, "\(y)")
            XCTAssertTrue(easter >= date(y, 3, 22) && easter <= date(y, 4, 25), "\(y)")
        }
        for y in [Int.min, -1, 0, 1582, 10_000, Int.max] {
            XCTAssertNil(DutchHolidays.easterSunday(year: y))
            XCTAssertTrue(DutchHolidays.list(year: y, includeGoodFriday: true, includeLiberationDay: true).isEmpty)
        }
    }

    func testList2025WithEverything() {
        let list = DutchHolidays.list(year: 2025, includeGoodFriday: true, includeLiberationDay: true)
        let expected: [(String, String, String)] = [
            ("2025-01-01", "Nieuwjaarsdag", "new-years-day"),
            ("2025-04-18", "Goede Vrijdag", "good-friday"),
            ("2025-04-20", "Eerste Paasdag", "easter-sunday"),
            ("2025-04-21", "Tweede Paasdag", "easter-monday"),
            ("2025-04-26", "Koningsdag", "kings-day"),  // 27 April 2025 is a Sunday
            ("2025-05-05", "Bevrijdingsdag", "liberation-day"),
            ("2025-05-29", "Hemelvaartsdag", "ascension-day"),
            ("2025-06-08", "Eerste Pinksterdag", "whit-sunday"),
            ("2025-06-09", "Tweede Pinksterdag", "whit-monday"),
            ("2025-12-25", "Eerste Kerstdag", "christmas-day"),
            ("2025-12-26", "Tweede Kerstdag", "boxing-day"),
        ]
        XCTAssertEqual(list.map { "\($0.date) \($0.name) \($0.key)" }, expected.map { "\($0.0) \($0.1) \($0.2)" })
    }

    func testOptionalDaysOnlyWhenAsked() {
        let list = DutchHolidays.list(year: 2026, includeGoodFriday: false, includeLiberationDay: false)
        XCTAssertEqual(list.map(\.key), ["new-years-day", "easter-sunday", "easter-monday", "kings-day", "ascension-day",
                                         "whit-sunday", "whit-monday", "christmas-day", "boxing-day"])
        XCTAssertEqual(list.first { $0.key == "kings-day" }?.date, date(2026, 4, 27))  // a Monday
        XCTAssertEqual(list.first { $0.key == "ascension-day" }?.date, date(2026, 5, 14))
        XCTAssertEqual(list.first { $0.key == "whit-monday" }?.date, date(2026, 5, 25))
        XCTAssertEqual(DutchHolidays.list(year: 2026, includeGoodFriday: true, includeLiberationDay: false)
            .first { $0.key == "good-friday" }?.date, date(2026, 4, 3))
        // Sorted even when Liberation Day falls on Ascension Day (2016: both 5 May).
        let y2016 = DutchHolidays.list(year: 2016, includeGoodFriday: false, includeLiberationDay: true)
        XCTAssertEqual(y2016.map(\.date), y2016.map(\.date).sorted())
        XCTAssertEqual(y2016.filter { $0.date == date(2016, 5, 5) }.map(\.key), ["ascension-day", "liberation-day"])
    }

    func testLocalDateValidationWeekdaysAndArithmetic() {
        XCTAssertNil(LocalDate(year: 2026, month: 2, day: 29))
        XCTAssertNotNil(LocalDate(year: 2028, month: 2, day: 29))
        XCTAssertNil(LocalDate(year: 2100, month: 2, day: 29))
        XCTAssertNotNil(LocalDate(year: 2000, month: 2, day: 29))
        XCTAssertNil(LocalDate(year: 2026, month: 4, day: 31))
        XCTAssertNil(LocalDate(year: 2026, month: 13, day: 1))
        XCTAssertNil(LocalDate(year: 2026, month: 0, day: 1))
        XCTAssertNil(LocalDate(year: 2026, month: 1, day: 0))
        XCTAssertNil(LocalDate(year: 0, month: 1, day: 1))
        XCTAssertNil(LocalDate(year: Int.max, month: 1, day: 1))
        XCTAssertNotNil(LocalDate(year: 9999, month: 12, day: 31))
        XCTAssertEqual(date(1970, 1, 1).daysSinceEpoch, 0)
        XCTAssertEqual(date(1970, 1, 1).isoWeekday, 4)
        XCTAssertEqual(date(2026, 11, 30).isoWeekday, 1)  // Monday
        XCTAssertEqual(date(2026, 11, 29).isoWeekday, 7)  // Sunday
        XCTAssertEqual(date(1969, 12, 28).isoWeekday, 7)
        XCTAssertEqual(date(2026, 12, 31).adding(days: 1), date(2027, 1, 1))
        XCTAssertEqual(date(2028, 3, 1).adding(days: -1), date(2028, 2, 29))
        XCTAssertEqual(date(2026, 1, 1).days(until: date(2027, 1, 1)), 365)
        XCTAssertEqual(date(5, 3, 7).description, "0005-03-07")
        // Round trip over a long stretch, with weekdays advancing one by one.
        var d = date(1899, 12, 25)
        for _ in 0..<200_000 {
            let next = d.adding(days: 1)
            XCTAssertEqual(LocalDate(daysSinceEpoch: next.daysSinceEpoch), next)
            XCTAssertEqual(next.isoWeekday, d.isoWeekday % 7 + 1)
            XCTAssertTrue(d < next)
            XCTAssertNotNil(LocalDate(year: next.year, month: next.month, day: next.day))
            d = next
        }
    }
}
