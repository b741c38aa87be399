import Time

/// SQL text that came from the program itself, never from a request. Built from a string literal
/// (`StaticString` cannot contain interpolated values) or from the SQL files compiled into the binary.
/// Anything else must go through the explicitly named `SQL(unsafeUnchecked:)`.
public struct SQL: Sendable, Hashable, ExpressibleByStringLiteral {
    public let text: String

    public init(stringLiteral value: StaticString) {
        text = value.description
    }

    /// Escape hatch for SQL assembled at run time (migrations, tests). Values must still be bound, never spliced.
    public init(unsafeUnchecked text: String) {
        self.text = text
    }
}

/// A value bound to a `$n` parameter. Values travel separately from the SQL text, so they can never change its
/// meaning (no injection), whatever they contain.
public enum PostgresValue: Sendable, Hashable {
    case null
    case text(String)
    case bytes([UInt8])

    /// A `text[]`/`uuid[]` literal, quoted element by element.
    public static func array(_ items: [String]) -> PostgresValue {
        let quoted = items.map { item -> String in
            var s = "\""
            for c in item {
                if c == "\"" || c == "\\" { s.append("\\") }
                s.append(c)
            }
            return s + "\""
        }
        return .text("{" + quoted.joined(separator: ",") + "}")
    }
}

/// Swift values that can be bound as parameters.
public protocol PostgresEncodable: Sendable {
    var postgresValue: PostgresValue { get }
}

extension String: PostgresEncodable { public var postgresValue: PostgresValue { .text(self) } }
extension Int: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Int64: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Int32: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Double: PostgresEncodable { public var postgresValue: PostgresValue { .text(String(self)) } }
extension Bool: PostgresEncodable { public var postgresValue: PostgresValue { .text(self ? "t" : "f") } }
extension PostgresValue: PostgresEncodable { public var postgresValue: PostgresValue { self } }
extension Array: PostgresEncodable where Element == String { public var postgresValue: PostgresValue { .array(self) } }
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}

/// A statement with its bound parameters: `Query("SELECT … WHERE id = $1", id)`.
public struct Query: Sendable {
    public let sql: SQL
    public let parameters: [PostgresValue]

    public init(_ sql: SQL, _ parameters: any PostgresEncodable...) {
        self.sql = sql
        self.parameters = parameters.map(\.postgresValue)
    }

    public init(_ sql: SQL, parameters: [any PostgresEncodable]) {
        self.sql = sql
        self.parameters = parameters.map(\.postgresValue)
    }
}

extension Instant: PostgresEncodable {
    /// Bound as RFC 3339 UTC text; write the parameter as `$n::timestamptz`.
    public var postgresValue: PostgresValue { .text(rfc3339UTC) }
}
