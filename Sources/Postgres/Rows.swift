/// The rows a statement returned, decoded from libpq's text format.
public struct Rows: Sendable, Sequence {
    public let columns: [String]
    let values: [[String?]]
    /// Rows changed by INSERT/UPDATE/DELETE.
    public let affected: Int

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }
    public var first: Row? { values.isEmpty ? nil : Row(columns: columnIndex, values: values[0]) }

    private let columnIndex: [String: Int]

    init(columns: [String], values: [[String?]], affected: Int) {
        self.columns = columns
        self.values = values
        self.affected = affected
        var index: [String: Int] = [:]
        for (i, c) in columns.enumerated() { index[c] = i }
        self.columnIndex = index
    }

    public subscript(i: Int) -> Row { Row(columns: columnIndex, values: values[i]) }

    public func makeIterator() -> AnyIterator<Row> {
        var i = 0
        return AnyIterator {
            guard i < values.count else { return nil }
            defer { i += 1 }
            return Row(columns: columnIndex, values: values[i])
        }
    }
}

/// One row. Decoding is by column name and throws a clear error on a type mismatch or a missing column.
public struct Row: Sendable {
    let columns: [String: Int]
    let values: [String?]

    public func isNull(_ column: String) throws -> Bool { try raw(column) == nil }

    public func raw(_ column: String) throws -> String? {
        guard let i = columns[column] else { throw PostgresError.decoding("no column \(column)") }
        return values[i]
    }

    public func string(_ column: String) throws -> String {
        guard let v = try raw(column) else { throw PostgresError.decoding("\(column) is null") }
        return v
    }

    public func optionalString(_ column: String) throws -> String? { try raw(column) }

    public func int(_ column: String) throws -> Int {
        guard let v = try raw(column), let i = Int(v) else { throw PostgresError.decoding("\(column) is not an integer") }
        return i
    }

    public func optionalInt(_ column: String) throws -> Int? {
        guard let v = try raw(column) else { return nil }
        guard let i = Int(v) else { throw PostgresError.decoding("\(column) is not an integer") }
        return i
    }

    public func double(_ column: String) throws -> Double {
        guard let v = try raw(column), let d = Double(v) else { throw PostgresError.decoding("\(column) is not a number") }
        return d
    }

    public func optionalDouble(_ column: String) throws -> Double? {
        guard let v = try raw(column) else { return nil }
        guard let d = Double(v) else { throw PostgresError.decoding("\(column) is not a number") }
        return d
    }

    public func bool(_ column: String) throws -> Bool {
        switch try raw(column) {
        case "t": return true
        case "f": return false
        default: throw PostgresError.decoding("\(column) is not a boolean")
        }
    }

    /// A one-dimensional array column (`text[]`, `uuid[]`, `float8[]`) in PostgreSQL's text format: elements are
    /// bare or double-quoted with backslash escapes; NULL elements are skipped.
    public func stringArray(_ column: String) throws -> [String] {
        guard let v = try raw(column) else { return [] }
        let chars = Array(v.unicodeScalars)
        guard chars.first == "{", chars.last == "}" else { throw PostgresError.decoding("\(column) is not an array") }
        var out: [String] = []
        var i = 1
        let end = chars.count - 1
        while i < end {
            var element = String.UnicodeScalarView()
            if chars[i] == "\"" {
                i += 1
                while i < end && chars[i] != "\"" {
                    if chars[i] == "\\" { i += 1 }
                    if i < end { element.append(chars[i]) }
                    i += 1
                }
                i += 1
                out.append(String(element))
            } else {
                while i < end && chars[i] != "," { element.append(chars[i]); i += 1 }
                let text = String(element)
                if text != "NULL" { out.append(text) }
            }
            if i < end && chars[i] == "," { i += 1 }
        }
        return out
    }

    /// A `timestamptz` column as microseconds since the Unix epoch. The connection runs with TimeZone=UTC.
    public func timestamp(_ column: String) throws -> Timestamp {
        guard let v = try raw(column) else { throw PostgresError.decoding("\(column) is null") }
        guard let t = Timestamp(postgres: v) else { throw PostgresError.decoding("\(column) is not a timestamp: \(v)") }
        return t
    }

    public func optionalTimestamp(_ column: String) throws -> Timestamp? {
        guard try raw(column) != nil else { return nil }
        return try timestamp(column)
    }
}

/// An instant, in microseconds since 1970-01-01T00:00:00Z.
public struct Timestamp: Sendable, Hashable, Comparable {
    public let microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    /// Parses PostgreSQL's text output in UTC: `2026-11-29 15:50:00.123456+00`.
    public init?(postgres s: String) {
        let u = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= u.count else { return nil }
            var n = 0
            for i in from..<(from + len) {
                guard u[i] >= 48, u[i] <= 57 else { return nil }
                n = n * 10 + Int(u[i] - 48)
            }
            return n
        }
        guard u.count >= 19, let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2) else { return nil }
        var i = 19
        var micros = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 6 { micros = micros * 10 + Int(u[i] - 48); digits += 1 }
                i += 1
            }
            while digits < 6 { micros *= 10; digits += 1 }
        }
        var offset = 0
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            let sign = u[i] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = num(i + 1, 2) else { return nil }
            var om = 0
            if i + 3 < u.count, u[i + 3] == UInt8(ascii: ":"), let m = num(i + 4, 2) { om = m }
            offset = sign * (oh * 3600 + om * 60)
        }
        let days = Timestamp.daysFromCivil(y, mo, d)
        let seconds = Int64(days) * 86400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offset)
        microseconds = seconds * 1_000_000 + Int64(micros)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date of a day count since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// RFC 3339 with the given UTC offset in seconds, e.g. `2026-03-29T03:00:00+02:00`.
    public func rfc3339(offsetSeconds: Int) -> String {
        let local = microseconds / 1_000_000 + Int64(offsetSeconds)
        var days = Int(local / 86400)
        var secs = Int(local % 86400)
        if secs < 0 { secs += 86400; days -= 1 }
        let (y, m, d) = Timestamp.civilFromDays(days)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var s = "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))"
        if offsetSeconds == 0 { return s + "Z" }
        let sign = offsetSeconds < 0 ? "-" : "+"
        let a = abs(offsetSeconds)
        s += "\(sign)\(two(a / 3600)):\(two(a / 60 % 60))"
        return s
    }
}
