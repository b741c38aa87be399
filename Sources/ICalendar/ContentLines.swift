import Time

/// RFC 5545 content lines: `NAME;PARAM=value:VALUE`, each ended by CRLF and folded so that no physical line is
/// longer than 75 octets (continuation lines start with one space), never inside a UTF-8 sequence.
public struct ContentLines: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// The longest physical line in octets, CRLF not counted (RFC 5545 §3.1).
    public static let maxLineOctets = 75

    /// Appends one content line, folded. `value` is written as given: escape TEXT values with `escapeText` first.
    public mutating func add(_ name: String, _ parameters: [(String, String)], _ value: String) {
        var line = name
        for (key, parameterValue) in parameters { line += ";" + key + "=" + Self.parameterValue(parameterValue) }
        line += ":" + value
        bytes += Self.fold(Array(line.utf8))
    }

    /// Appends one content line without parameters.
    public mutating func add(_ name: String, _ value: String) { add(name, [], value) }

    /// Appends a TEXT property (escaped).
    public mutating func text(_ name: String, _ value: String, _ parameters: [(String, String)] = []) {
        add(name, parameters, Self.escapeText(value))
    }

    /// A UTC DATE-TIME: `20261025T003000Z` (whole seconds).
    public static func utc(_ instant: Instant) -> String {
        let s = floorDivide(instant.microseconds, 1_000_000).0
        return LocalDateTime(wallSeconds: s).description + "Z"
    }

    /// Splits one unfolded line (without CRLF) into physical lines of at most 75 octets, each ended by CRLF. A cut
    /// never falls before a UTF-8 continuation byte (10xxxxxx), so every physical line is valid UTF-8 on its own.
    public static func fold(_ line: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(line.count + line.count / 70 * 3 + 2)
        var start = 0
        var limit = maxLineOctets  // the first line has no leading space
        while line.count - start > limit {
            var cut = start + limit
            while cut > start, line[cut] & 0xC0 == 0x80 { cut -= 1 }
            out += line[start..<cut]
            out += [13, 10, 32]
            start = cut
            limit = maxLineOctets - 1
        }
        out += line[start...]
        out += [13, 10]
        return out
    }

    /// TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon and comma get a backslash; every line break (CRLF, CR
    /// or LF) becomes `\n`. Other control characters (not allowed in TEXT) are dropped; a tab stays.
    public static func escapeText(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var previousCR = false
        for scalar in text.unicodeScalars {
            defer { previousCR = scalar == "\r" }
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\r": out += "\\n"
            case "\n": if !previousCR { out += "\\n" }
            case "\t": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A parameter value (RFC 5545 §3.2): quoted when it holds `:`, `;` or `,`; a double quote and control
    /// characters cannot appear in one at all and are dropped.
    public static func parameterValue(_ value: String) -> String {
        var clean = ""
        var needsQuotes = false
        for scalar in value.unicodeScalars {
            if scalar == "\"" || scalar.value < 0x20 || scalar.value == 0x7F { continue }
            if scalar == ":" || scalar == ";" || scalar == "," { needsQuotes = true }
            clean.unicodeScalars.append(scalar)
        }
        return needsQuotes ? "\"" + clean + "\"" : clean
    }

    /// A `mailto:` URI for an e-mail address, percent-encoding everything but unreserved characters, `@` and the
    /// sub-delimiters an address may hold, so the value never carries a character with meaning in a content line.
    public static func mailto(_ address: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'*+=@".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = Array("mailto:".utf8)
        for byte in address.utf8 {
            if allowed.contains(byte) { out.append(byte) } else { out += [37, hex[Int(byte >> 4)], hex[Int(byte & 15)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
