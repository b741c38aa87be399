import Time

/// A calendar date without time or zone (proleptic Gregorian), e.g. a public holiday or the day a grid belongs to.
///
/// Only dates that exist can be made: `LocalDate(year: 2026, month: 2, day: 29)` is nil. Years 1…9999, as in
/// `YYYY-MM-DD`; arithmetic may leave that range, it just cannot be written that way.
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Nil when the date does not exist (month outside 1…12, day outside the month) or the year is outside 1…9999.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= LocalDate.daysInMonth(year: year, month: month) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (negative: before). `days` must stay well inside ±2^60.
    public init(daysSinceEpoch days: Int) {
        let civil = Instant.civil(fromDays: Int64(days))
        year = Int(civil.year)
        month = Int(civil.month)
        day = Int(civil.day)
    }

    /// The date written `YYYY-MM-DD` (four-digit year, two-digit month and day, nothing else); nil when the text
    /// has another shape or the date does not exist.
    public init?(iso text: String) {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(u[i]) else { return nil }
                n = n * 10 + Int(u[i] - UInt8(ascii: "0"))
            }
            return n
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int { Int(Instant.days(fromCivil: Int64(year), Int64(month), Int64(day))) }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var isoWeekday: Int {
        let r = (daysSinceEpoch + 3) % 7  // 1970-01-01 was a Thursday (4)
        return (r < 0 ? r + 7 : r) + 1
    }

    /// The parity (0 or 1) of the date's ISO week (Monday to Sunday), counting weeks from Monday 1900-01-01 (week 0),
    /// also for earlier dates. The one definition in Swift of the week parity an every-other-week rule alternates
    /// on; it must equal SQL `week_parity` of Migrations/sql/0005_calendars.sql, whose results an exclusion
    /// constraint's index holds (LoketTests' CalendarAPITests compares the two over decades).
    public var isoWeekParity: Int {
        let week = LocalDate.floorDivide(daysSinceEpoch - LocalDate.mondayOfWeekZero, 7)
        return week & 1  // two's complement: -1 & 1 == 1, a floor modulo 2
    }

    /// 1900-01-01, a Monday, in days since 1970-01-01.
    static let mondayOfWeekZero = -25_567

    static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    public func adding(days: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + days) }

    /// Whole days from `self` to `other` (positive when `other` is later).
    public func days(until other: LocalDate) -> Int { other.daysSinceEpoch - daysSinceEpoch }

    public static func isLeapYear(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    /// Number of days of `month` (1…12) in `year`; 0 for a month that does not exist.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2: return isLeapYear(year) ? 29 : 28
        default: return 0
        }
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    /// `YYYY-MM-DD`, as PostgreSQL's `date` prints it (years 0…9999).
    public var description: String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

/// Dutch public holidays as Loket closes for them, computed without any table so every year is known.
public enum DutchHolidays {
    /// Easter Sunday of `year` (Gregorian calendar), by the anonymous Gregorian algorithm (Meeus/Jones/Butcher);
    /// nil outside the Gregorian years 1583…9999.
    public static func easterSunday(year: Int) -> LocalDate? {
        guard (1583...9999).contains(year) else { return nil }
        let a = year % 19
        let b = year / 100, c = year % 100
        let d = b / 4, e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return LocalDate(year: year, month: month, day: day)
    }

    /// The public holidays of `year` in date order, with their Dutch name and a stable English key.
    ///
    /// Always: New Year's Day, Easter Sunday and Monday, King's Day (27 April, or 26 April when the 27th is a
    /// Sunday — the rule since 2014, applied to every year), Ascension Day, Whit Sunday and Monday, Christmas Day
    /// and Boxing Day. Good Friday and Liberation Day (5 May) only when asked: many organisations close on them only
    /// by agreement, or only every fifth year. Empty outside the years 1583…9999.
    public static func list(year: Int, includeGoodFriday: Bool, includeLiberationDay: Bool)
        -> [(date: LocalDate, name: String, key: String)] {
        guard let easter = easterSunday(year: year) else { return [] }
        let kingsDay = LocalDate(year: year, month: 4, day: 27)!
        var days: [(date: LocalDate, name: String, key: String)] = [
            (LocalDate(year: year, month: 1, day: 1)!, "Nieuwjaarsdag", "new-years-day"),
            (easter, "Eerste Paasdag", "easter-sunday"),
            (easter.adding(days: 1), "Tweede Paasdag", "easter-monday"),
            (kingsDay.isoWeekday == 7 ? kingsDay.adding(days: -1) : kingsDay, "Koningsdag", "kings-day"),
            (easter.adding(days: 39), "Hemelvaartsdag", "ascension-day"),
            (easter.adding(days: 49), "Eerste Pinksterdag", "whit-sunday"),
            (easter.adding(days: 50), "Tweede Pinksterdag", "whit-monday"),
            (LocalDate(year: year, month: 12, day: 25)!, "Eerste Kerstdag", "christmas-day"),
            (LocalDate(year: year, month: 12, day: 26)!, "Tweede Kerstdag", "boxing-day"),
        ]
        if includeGoodFriday { days.append((easter.adding(days: -2), "Goede Vrijdag", "good-friday")) }
        if includeLiberationDay {
            days.append((LocalDate(year: year, month: 5, day: 5)!, "Bevrijdingsdag", "liberation-day"))
        }
        // Stable: King's Day and Liberation Day can coincide with Easter- or Ascension-based days.
        return days.enumerated().sorted { ($0.element.date, $0.offset) < ($1.element.date, $1.offset) }.map(\.element)
    }
}
