/// Named statements from a `.sql` file compiled into the binary (River/Oban style: SQL lives in SQL files).
///
/// File format: each statement starts with a line `-- name: some_name`; everything up to the next such line is
/// its text. Looking up a name that does not exist is a programming error caught by the test suite, which
/// prepares every statement against a real database.
public struct SQLLibrary: Sendable {
    public let statements: [String: SQL]

    public init(_ bytes: [UInt8]) {
        self.init(text: String(decoding: bytes, as: UTF8.self))
    }

    public init(text: String) {
        var statements: [String: SQL] = [:]
        var name: String?
        var body: [Substring] = []
        func flush() {
            if let name {
                let sql = body.joined(separator: "\n").trimmingCharacters
                statements[name] = SQL(unsafeUnchecked: sql)
            }
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-- name:") {
                flush()
                name = String(line.dropFirst("-- name:".count).filter { $0 != " " })
                body = []
            } else {
                body.append(line)
            }
        }
        flush()
        self.statements = statements
    }

    public subscript(name: String) -> SQL {
        guard let sql = statements[name] else {
            preconditionFailure("no SQL statement named \(name)")
        }
        return sql
    }
}

extension String {
    var trimmingCharacters: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace || l == ";" { s = s.dropLast() }
        return String(s)
    }
}
