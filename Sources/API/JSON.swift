import Foundation
import HTTP

/// A JSON value written by hand rather than through `Encodable`, because the API contract wants explicit
/// `null`s (e.g. `estimatedWaitMinutes: null` means "no history, no estimate") and stable key order.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool { a.serialized == b.serialized }

    public var serialized: String {
        var out = ""
        write(into: &out)
        return out
    }

    public var bytes: [UInt8] { Array(serialized.utf8) }

    func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .string(let s): out += JSONText.quote(s)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, (k, v)) in fields.enumerated() {
                if i > 0 { out += "," }
                out += JSONText.quote(k)
                out += ":"
                v.write(into: &out)
            }
            out += "}"
        }
    }

    public static func optional(_ s: String?) -> JSON { s.map(JSON.string) ?? .null }
    public static func optional(_ i: Int?) -> JSON { i.map(JSON.int) ?? .null }
    public static func strings(_ a: [String]) -> JSON { .array(a.map(JSON.string)) }

    /// Parses JSON text (used for jsonb columns, whose text PostgreSQL produces).
    public static func parse(_ text: String) -> JSON {
        guard let data = text.data(using: .utf8),
              let any = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return .null }
        return JSON(any: any)
    }

    init(any: Any) {
        switch any {
        case let n as NSNumber where String(cString: n.objCType) == "c": self = .bool(n.boolValue)
        case let b as Bool: self = .bool(b)
        case let i as Int: self = .int(i)
        case let d as Double: self = .double(d)
        case let s as String: self = .string(s)
        case let a as [Any]: self = .array(a.map(JSON.init(any:)))
        case let o as [String: Any]: self = .object(o.keys.sorted().map { ($0, JSON(any: o[$0]!)) })
        default: self = .null
        }
    }

    public subscript(key: String) -> JSON? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
}

extension Response {
    /// A JSON response.
    public static func json(_ value: JSON, status: Int = 200, headers: [(String, String)] = []) -> Response {
        Response(status: status, headers: [("Content-Type", "application/json")] + headers, body: .bytes(value.bytes))
    }
}

extension Request {
    /// Decodes the JSON body; malformed JSON or wrong field types are a 400 with a message naming the field.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard !body.isEmpty else { throw Problem.badRequest("The request needs a JSON body.") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let DecodingError.keyNotFound(key, context) {
            throw Problem.badRequest("The field \(path(context.codingPath + [key])) is missing.")
        } catch let DecodingError.typeMismatch(expected, context) {
            throw Problem.badRequest("The field \(path(context.codingPath)) must be \(describe(expected)).")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw Problem.badRequest("The field \(path(context.codingPath)) must be \(describe(expected)), not null.")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw Problem.badRequest("The field \(path(context.codingPath)) has an invalid value.")
        } catch {
            throw Problem.badRequest("The request body is not valid JSON.")
        }
    }

    private func path(_ keys: [CodingKey]) -> String {
        "'" + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "'"
    }

    private func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type: return "a whole number"
        case is Bool.Type: return "true or false"
        case is [String].Type: return "a list of strings"
        default: return "of another type"
        }
    }
}
