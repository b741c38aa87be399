import Time

/// A wall-clock date and time without a zone, as iCalendar writes it after `TZID=…:` (`20261025T023000`).
public struct LocalDateTime: Sendable, Hashable, CustomStringConvertible {
    public let year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64

    public init(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64 = 0) {
        self.year = year; self.month = month; self.day = day; self.hour = hour; self.minute = minute; self.second = second
    }

    /// The wall-clock reading of `seconds` since 1970-01-01T00:00:00 (read as if that were the zone's origin).
    init(wallSeconds s: Int64) {
        let (days, secondsOfDay) = floorDivide(s, 86_400)
        let civil = Instant.civil(fromDays: days)
        self.init(year: civil.year, month: civil.month, day: civil.day,
                  hour: secondsOfDay / 3600, minute: secondsOfDay / 60 % 60, second: secondsOfDay % 60)
    }

    /// Seconds since 1970-01-01T00:00:00 of this wall-clock reading (no zone applied).
    var wallSeconds: Int64 { Instant.days(fromCivil: year, month, day) * 86_400 + hour * 3600 + minute * 60 + second }

    /// iCalendar's DATE-TIME form without `Z`: `YYYYMMDDTHHMMSS`.
    public var description: String { pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(hour, 2) + pad(minute, 2) + pad(second, 2) }
}

/// Central European Time as the European Union's summer-time rule defines it (Directive 2000/84/EC, in force in
/// this form since 1996): UTC+1 (CET), and UTC+2 (CEST) from the last Sunday of March 01:00 UTC to the last Sunday
/// of October 01:00 UTC — in Amsterdam 02:00 → 03:00 in spring and 03:00 → 02:00 in autumn.
///
/// This is the one source of local times in invitations: the instants come from the database, and the wall-clock
/// times next to `TZID=Europe/Amsterdam` are computed here, so they agree with the VTIMEZONE the same file carries
/// (which states exactly this rule). Instants before 1996 are outside the rule and are not expected in invitations.
public enum CentralEuropeanTime {
    /// The zones this rule describes; other zones are written in UTC (see `ICalendarDocument`).
    public static let zoneIDs: Set<String> = ["Europe/Amsterdam"]

    /// Seconds since the epoch at which summer time starts in `year`: the last Sunday of March, 01:00 UTC.
    public static func summerTimeStart(year: Int64) -> Int64 { lastSunday(year: year, month: 3) * 86_400 + 3600 }

    /// Seconds since the epoch at which summer time ends in `year`: the last Sunday of October, 01:00 UTC.
    public static func summerTimeEnd(year: Int64) -> Int64 { lastSunday(year: year, month: 10) * 86_400 + 3600 }

    /// Days since the epoch of the last Sunday of `month` (a month of 31 days: March or October).
    static func lastSunday(year: Int64, month: Int64) -> Int64 {
        let last = Instant.days(fromCivil: year, month, 31)
        let weekday = floorDivide(last + 4, 7).1  // 1970-01-01 was a Thursday: 0 = Sunday
        return last - weekday
    }

    /// The offset from UTC in seconds at `instant`: 3600 (CET) or 7200 (CEST).
    public static func offsetSeconds(at instant: Instant) -> Int64 {
        let s = floorDivide(instant.microseconds, 1_000_000).0
        let year = Instant.civil(fromDays: floorDivide(s, 86_400).0).year
        return s >= summerTimeStart(year: year) && s < summerTimeEnd(year: year) ? 7200 : 3600
    }

    /// The wall-clock time in Amsterdam at `instant` (whole seconds, rounded down).
    public static func localTime(at instant: Instant) -> LocalDateTime {
        let s = floorDivide(instant.microseconds, 1_000_000).0
        return LocalDateTime(wallSeconds: s + offsetSeconds(at: instant))
    }

    /// The instant a calendar reads from `TZID=Europe/Amsterdam:<local>` (RFC 5545 §3.3.5): a time that occurs twice
    /// (the autumn hour 02:00–03:00) is its first occurrence, still in summer time; a time that does not occur (the
    /// spring hour 02:00–03:00) is read with the offset before the gap, UTC+1.
    public static func instant(local: LocalDateTime) -> Instant {
        let wall = local.wallSeconds
        let summer = wall - 7200, winter = wall - 3600
        if offsetSeconds(at: Instant(seconds: summer)) == 7200 { return Instant(seconds: summer) }
        return Instant(seconds: winter)
    }

    /// Whether writing `instant` as its Amsterdam wall-clock time reads back as the same instant. False only for the
    /// second occurrence of the autumn hour (02:00–03:00 CET), which a local time cannot name, and for instants with
    /// a fraction of a second.
    public static func localTimeRoundTrips(_ instant: Instant) -> Bool {
        instant.microseconds % 1_000_000 == 0 && self.instant(local: localTime(at: instant)) == instant
    }
}

func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
    let q = a / b, r = a % b
    return r < 0 ? (q - 1, r + b) : (q, r)
}

func pad(_ v: Int64, _ width: Int) -> String {
    let s = String(v)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}
