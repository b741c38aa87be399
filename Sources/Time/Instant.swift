/// A point in time as whole microseconds since 1970-01-01T00:00:00Z (PostgreSQL's `timestamptz` resolution).
///
/// Pure and Foundation-free, so domain modules (queue order, slot search) can compute with instants as integers.
/// Time zones never appear here: turning local wall-clock times into instants is PostgreSQL's job (`AT TIME ZONE`).
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Int64) { self.microseconds = seconds * 1_000_000 }

    public static func < (a: Instant, b: Instant) -> Bool { a.microseconds < b.microseconds }

    public func adding(seconds: Int64) -> Instant { Instant(microseconds: microseconds + seconds * 1_000_000) }
    public func adding(minutes: Int64) -> Instant { adding(seconds: minutes * 60) }

    /// RFC 3339 in UTC with microseconds, e.g. `2026-03-29T01:00:00.000000Z`: what a `$n::timestamptz` parameter takes.
    public var rfc3339UTC: String {
        let (days, micros) = Self.floorDivide(microseconds, 86_400_000_000)
        let (y, m, d) = Self.civil(fromDays: days)
        let secondsOfDay = micros / 1_000_000
        let fraction = micros % 1_000_000
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay / 60 % 60, 2)):"
            + "\(pad(secondsOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }

    public var description: String { rfc3339UTC }

    /// Parses what PostgreSQL or a client sends: `YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)` (a space may stand for `T`).
    /// The widest UTC offset a date-time may carry: ±18:00.
    public static let maxOffsetSeconds: Int64 = 18 * 3600

    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for c in b[from..<(from + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard b.count >= 20, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b[13] == 58, let mi = num(14, 2),
              b[16] == 58, let s = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        var micros: Int64 = 0
        if i < b.count, b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offset: Int64 = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45 {
            let sign: Int64 = b[i] == 45 ? -1 : 1
            if let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = num(i + 4, 2) {
                guard om < 60 else { return nil }
                offset = sign * (oh * 3600 + om * 60)
                i += 6
            } else if let oh = num(i + 1, 2), i + 3 == b.count {
                offset = sign * oh * 3600
                i += 3
            } else {
                return nil
            }
            // No offset lies beyond ±18:00 (the widest any date-time library accepts; real zones stay within ±14:00),
            // and minutes stop at 59: "+99:99" is a typo, and taken at its word it moved the time by four days.
            guard abs(offset) <= Self.maxOffsetSeconds else { return nil }
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Self.days(fromCivil: y, mo, d)
        let seconds = days * 86_400 + h * 3600 + mi * 60 + s - offset
        self.init(microseconds: seconds * 1_000_000 + micros)
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// Days since 1970-01-01 → proleptic Gregorian (year, month, day). Howard Hinnant's algorithm; the one copy of
    /// it (calendar dates in Scheduling use it too).
    public static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Proleptic Gregorian (year, month, day) → days since 1970-01-01 (the inverse of `civil(fromDays:)`).
    public static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
