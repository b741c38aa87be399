/// Named statements from a `.sql` file compiled into the binary (River/Oban style: SQL lives in SQL files).
///
/// File format: each statement starts with a line `-- name: some_name`; everything up to the next such line is
/// its text. Looking up a name that does not exist is a programming error caught by the test suite, which
/// prepares every statement against a real database; at run time it fails the request (500), never the process.
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

    /// The statement's text by name. The app itself runs typed statements (`Statement`, which throws
    /// `StatementError.missing` for an unknown name); only tests still use this, to run a statement with parameters
    /// no typed statement takes (e.g. a literal time text). A missing name yields SQL that PostgreSQL refuses when
    /// preparing (an undefined column named after the statement), so a mistake fails loudly, never silently.
    public subscript(name: String) -> SQL {
        if let sql = statements[name] { return sql }
        let safe = String(name.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }.map(Character.init))
        return SQL(unsafeUnchecked: "SELECT missing_sql_statement_\(safe)")
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
