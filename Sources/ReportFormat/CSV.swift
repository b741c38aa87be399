/// CSV as RFC 4180 writes it: fields separated by commas, records ended by CRLF, a field quoted when it holds a comma,
/// a quote, CR or LF or starts/ends with a space, and quotes inside doubled. Pure: no I/O, no Foundation.
///
/// Text fields that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a leading
/// apostrophe (OWASP's advice against CSV injection); numbers are written as they are.
public struct CSVWriter: Sendable {
    public private(set) var text = ""

    public init(header: [String]) {
        append(header.map { .text($0) })
    }

    /// One field of a record.
    public enum Field: Sendable, Equatable {
        case text(String)
        case integer(Int)
        case decimal(Double)
        /// An empty field (no value: e.g. a percentile of no data).
        case empty
    }

    public mutating func append(_ fields: [Field]) {
        text += fields.map(Self.encode).joined(separator: ",")
        text += "\r\n"
    }

    public static func encode(_ field: Field) -> String {
        switch field {
        case .empty: return ""
        case .integer(let n): return String(n)
        case .decimal(let d): return decimal(d)
        case .text(var s):
            if let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { s = "'" + s }
            let needsQuotes = s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
                || s.hasPrefix(" ") || s.hasSuffix(" ")
            guard needsQuotes else { return s }
            var out = "\""
            for c in s { if c == "\"" { out += "\"\"" } else { out.append(c) } }
            return out + "\""
        }
    }

    /// A decimal with at most one digit after the point and a point as separator (never a locale's comma), so
    /// every spreadsheet reads it the same way.
    public static func decimal(_ d: Double) -> String {
        guard d.isFinite else { return "" }
        let tenths = (d * 10).rounded()
        let whole = Int(tenths / 10)
        let rest = Int(abs(tenths)) % 10
        if rest == 0 { return String(whole) }
        return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(rest)"
    }
}
