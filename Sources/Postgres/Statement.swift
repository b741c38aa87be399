import Locking

/// Statements as typed values (postgres-nio's `PostgresPreparedStatement` is the model).
///
/// The SQL stays in a named `.sql` file (`-- name: agency_get`). Each statement gets one Swift type:
///
/// ```swift
/// struct AgencyGet: AdminStatement {          // AdminStatement fixes the library (admin.sql)
///     static let sqlName = "agency_get"
///     struct Row: Decodable, Sendable { let j: String }   // columns by name; `NoRows` for commands
///     let id: String                          // $1 — stored properties are the parameters, in $n order
/// }
/// let row = try db.first(AgencyGet(id: id))   // AgencyGet.Row?
/// ```
///
/// A new feature adds one file of these next to its `.sql` file, lists every type in its `all` array, and the
/// statement test (StatementTests) then checks that each type names an existing statement, that every statement
/// of the file has a type, that the parameter counts agree, and that everything PREPAREs on a migrated database.
/// A name that does not exist throws `StatementError.missing` (a 500 for the client, logged), never a trap.
public protocol Statement: Sendable {
    /// What one result row decodes to (by column name). Use `NoRows` for statements that return nothing.
    associatedtype Row: Decodable & Sendable = NoRows
    /// The library (one `.sql` file) the statement lives in.
    static var library: SQLLibrary { get }
    /// The file's name for messages, e.g. "admin".
    static var libraryName: String { get }
    /// The `-- name:` of the statement in that file.
    static var sqlName: String { get }
    /// The values bound to `$1`, `$2`, …; by default the stored properties in declaration order.
    var bindings: [PostgresValue] { get }
}

/// The row type of a statement that returns no rows (INSERT/UPDATE/DELETE without RETURNING).
public struct NoRows: Decodable, Sendable {}

/// Why a typed statement could not be run (before the database saw it) or its rows not decoded.
public enum StatementError: Error, CustomStringConvertible, Sendable {
    /// No statement of that name in the file: a programming error the statement test catches.
    case missing(library: String, name: String)
    /// A stored property of the statement type cannot be bound (not `PostgresEncodable`).
    case unbindable(statement: String, property: String)

    public var description: String {
        switch self {
        case .missing(let library, let name): return "no SQL statement named \(name) in \(library).sql"
        case .unbindable(let statement, let property): return "\(statement).\(property) cannot be bound as a parameter"
        }
    }
}

extension SQLLibrary {
    /// The statement's text, or `StatementError.missing` (never a trap).
    public func sql(named name: String, library: String) throws -> SQL {
        guard let sql = statements[name] else { throw StatementError.missing(library: library, name: name) }
        return sql
    }
}

extension Statement {
    /// The SQL text of this statement type.
    public static func sql() throws -> SQL { try library.sql(named: sqlName, library: libraryName) }

    /// The stored properties, in declaration order, as `$1…$n`. Reflection keeps the declaration the single source
    /// of the parameter order; an unbindable property is reported instead of silently skipped.
    public var bindings: [PostgresValue] {
        Mirror(reflecting: self).children.map { child in
            (child.value as? any PostgresEncodable)?.postgresValue ?? .null
        }
    }

    /// Labels of stored properties that cannot be bound (the statement test asserts there are none).
    public var unbindableProperties: [String] {
        Mirror(reflecting: self).children.compactMap { child in
            child.value is any PostgresEncodable ? nil : (child.label ?? "?")
        }
    }

    /// The bound query, for the untyped APIs (`Connection.query`).
    public func query() throws -> Query {
        // Whether a type has unbindable properties depends on its declaration only: checked once per type, not on
        // every request (reflection is the dearest part of binding on hot paths such as take-a-number).
        if !BindableTypes.checked(Self.self) {
            if let first = unbindableProperties.first { throw StatementError.unbindable(statement: "\(Self.self)", property: first) }
            BindableTypes.remember(Self.self)
        }
        return Query(try Self.sql(), parameters: bindings)
    }
}

/// Statement types whose stored properties were all found bindable.
enum BindableTypes {
    private static let types = LockedValue(Set<ObjectIdentifier>())
    static func checked(_ type: Any.Type) -> Bool { types.withValue { $0.contains(ObjectIdentifier(type)) } }
    static func remember(_ type: Any.Type) { types.withValue { _ = $0.insert(ObjectIdentifier(type)) } }
}

/// The rows of a typed statement, decoded, with the count of rows it changed.
public struct StatementResult<Row: Sendable>: Sendable {
    public let rows: [Row]
    public let affected: Int
}

extension Connection {
    /// Runs a typed statement and decodes every row.
    @discardableResult
    public func run<S: Statement>(_ statement: S) throws -> StatementResult<S.Row> {
        let rows = try query(try statement.query())
        return StatementResult(rows: try rows.map { try RowDecoder.decode(S.Row.self, from: $0) }, affected: rows.affected)
    }

    /// The first row of a typed statement, or nil when it returned none.
    public func first<S: Statement>(_ statement: S) throws -> S.Row? {
        try run(statement).rows.first
    }

    /// All rows of a typed statement.
    public func all<S: Statement>(_ statement: S) throws -> [S.Row] {
        try run(statement).rows
    }
}

// MARK: - Rows into Decodable structs

/// Decodes one row into a `Decodable` struct by column name: `String`, `Int`, `Double`, `Bool`, `[String]`
/// (PostgreSQL arrays) and optionals of them. Anything else is a `PostgresError.decoding`.
public enum RowDecoder {
    public static func decode<T: Decodable>(_ type: T.Type, from row: Row) throws -> T {
        try T(from: Decoder(row: row))
    }

    struct Decoder: Swift.Decoder {
        let row: Row
        var codingPath: [CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            KeyedDecodingContainer(Container(row: row))
        }
        func unkeyedContainer() throws -> UnkeyedDecodingContainer {
            throw PostgresError.decoding("a row decodes into a struct with one property per column")
        }
        func singleValueContainer() throws -> SingleValueDecodingContainer {
            throw PostgresError.decoding("a row decodes into a struct with one property per column")
        }
    }

    struct Container<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: Row
        var codingPath: [CodingKey] { [] }
        var allKeys: [Key] { row.columns.keys.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { row.columns[key.stringValue] != nil }
        func decodeNil(forKey key: Key) throws -> Bool { try row.isNull(key.stringValue) }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try row.bool(key.stringValue) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try row.string(key.stringValue) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try row.double(key.stringValue) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try row.int(key.stringValue) }
        // Optional columns in one dictionary lookup each; the protocol's defaults ask `contains`, `decodeNil` and
        // `decode` (three), which showed in the take-a-number profile. Same answers: a missing or NULL column is nil.
        private func present(_ key: Key) -> String? {
            guard let i = row.columns[key.stringValue] else { return nil }
            return row.values[i]
        }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { present(key) }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
            guard let v = present(key) else { return nil }
            guard let i = Int(v) else { throw PostgresError.decoding("\(key.stringValue) is not an integer") }
            return i
        }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
            guard let v = present(key) else { return nil }
            guard let d = Double(v) else { throw PostgresError.decoding("\(key.stringValue) is not a number") }
            return d
        }
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
            guard contains(key) else { return nil }
            return try decodeNil(forKey: key) ? nil : try row.bool(key.stringValue)
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            if T.self == [String].self, let v = try row.stringArray(key.stringValue) as? T { return v }
            throw PostgresError.decoding("column \(key.stringValue): \(T.self) is not a column type")
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw PostgresError.decoding("column \(key.stringValue) is not nested")
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            throw PostgresError.decoding("column \(key.stringValue) is not nested")
        }
        func superDecoder() throws -> Swift.Decoder { Decoder(row: row) }
        func superDecoder(forKey key: Key) throws -> Swift.Decoder { Decoder(row: row) }
        // Integer widths other than Int are not column types here; the defaults of the protocol throw for them.
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try row.double(key.stringValue)) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { throw unsupported(key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { throw unsupported(key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { Int32(try row.int(key.stringValue)) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { Int64(try row.int(key.stringValue)) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { throw unsupported(key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { throw unsupported(key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { throw unsupported(key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { throw unsupported(key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { throw unsupported(key) }
        private func unsupported(_ key: Key) -> PostgresError { .decoding("column \(key.stringValue): unsupported integer width") }
    }
}
