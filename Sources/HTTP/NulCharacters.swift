/// Finds U+0000 in request input. PostgreSQL text cannot hold NUL, and C strings end at it, so a value like
/// "a\u0000SECRET" would be silently cut to "a" somewhere below; Loket refuses such input instead, once, here.
enum NulCharacters {
    /// The field path (`name`, `citizen.name`, `items[2]`) of the first JSON string — value or key — that contains
    /// U+0000, written as `\u0000` or as a raw byte; `body` when the NUL is outside any field. Nil when there is none.
    /// This is a tokenizer, not a validator: malformed JSON is left to the decoder's 400.
    static func firstField(inJSON body: [UInt8]) -> String? {
        enum Container { case object(key: String?, expectingKey: Bool), array(index: Int) }
        var stack: [Container] = []
        var i = 0
        func path(appending last: String? = nil) -> String {
            var out = ""
            for c in stack {
                switch c {
                case .object(let key, _):
                    if let key { out += out.isEmpty ? key : "." + key }
                case .array(let index): out += "[\(index)]"
                }
            }
            if let last { out += out.isEmpty ? last : "." + last }
            return out.isEmpty ? "body" : out
        }
        while i < body.count {
            let b = body[i]
            switch b {
            case UInt8(ascii: "{"): stack.append(.object(key: nil, expectingKey: true))
            case UInt8(ascii: "["): stack.append(.array(index: 0))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","):
                switch stack.last {
                case .object(let key, _)?: stack[stack.count - 1] = .object(key: key, expectingKey: true)
                case .array(let index)?: stack[stack.count - 1] = .array(index: index + 1)
                case nil: break
                }
            case UInt8(ascii: ":"):
                if case .object(let key, _)? = stack.last { stack[stack.count - 1] = .object(key: key, expectingKey: false) }
            case 0: return path()
            case UInt8(ascii: "\""):
                let (text, hasNul, end) = readString(body, from: i + 1)
                i = end
                if case .object(_, true)? = stack.last {
                    if hasNul { return path(appending: text.replacingNul) }
                    stack[stack.count - 1] = .object(key: text, expectingKey: false)
                } else if hasNul {
                    return path()
                }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// Reads a JSON string body starting after its opening quote; returns its text (escapes decoded), whether it
    /// holds a NUL, and the index of the closing quote (or the end).
    private static func readString(_ body: [UInt8], from start: Int) -> (String, Bool, Int) {
        var scalars = String.UnicodeScalarView()
        var bytes: [UInt8] = []
        var hasNul = false
        var i = start
        func flush() {
            if !bytes.isEmpty { scalars.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars); bytes = [] }
        }
        while i < body.count {
            let b = body[i]
            if b == UInt8(ascii: "\"") { break }
            if b == 0 { hasNul = true }
            if b == UInt8(ascii: "\\"), i + 1 < body.count {
                let e = body[i + 1]
                if e == UInt8(ascii: "u"), i + 5 < body.count,
                   let v = UInt32(String(decoding: body[(i + 2)...(i + 5)], as: UTF8.self), radix: 16) {
                    flush()
                    if v == 0 { hasNul = true }
                    scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
                    i += 6
                    continue
                }
                flush()
                switch e {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{8}")
                case UInt8(ascii: "f"): scalars.append("\u{C}")
                default: scalars.append(Unicode.Scalar(e))
                }
                i += 2
                continue
            }
            bytes.append(b)
            i += 1
        }
        flush()
        return (String(scalars), hasNul, i)
    }

    /// The name of the first path parameter or query value holding U+0000 (libmicrohttpd decodes `%00`).
    static func firstName(in values: [String: String]) -> String? {
        values.keys.sorted().first { values[$0]!.unicodeScalars.contains("\0") || $0.unicodeScalars.contains("\0") }
    }
}

extension String {
    /// The text with NUL shown as `\u0000`, to name a field whose key holds one.
    var replacingNul: String {
        var out = ""
        for u in unicodeScalars { if u == "\0" { out += "\\u0000" } else { out.unicodeScalars.append(u) } }
        return out
    }
}
