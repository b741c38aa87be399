/// The rows a statement returned, decoded from libpq's text format. Times are formatted by PostgreSQL itself
/// (`rfc3339(ts, zone)` in SQL), in the location's zone, so they arrive as text.
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

    public func double(_ column: String) throws -> Double {
        guard let v = try raw(column), let d = Double(v) else { throw PostgresError.decoding("\(column) is not a number") }
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
}
