/// An RFC 9457 problem: every error Loket answers is one of these, serialised as `application/problem+json`.
///
/// Handlers throw `Problem`; the server turns any other thrown error into a 500 problem without details, so no
/// internal text (SQL, stack) reaches a client.
public struct Problem: Error, Sendable, Equatable {
    public var status: Int
    public var title: String
    public var detail: String?
    /// A URI reference naming the kind of problem (relative to the API docs), e.g. `/problems/validation`.
    public var type: String
    /// Field-level complaints for validation problems (NL GOV API Design Rules: `invalidParams`).
    public var invalidParams: [InvalidParam]
    /// Extra headers, e.g. `Retry-After` on 429 and 503.
    public var headers: [(String, String)]

    public struct InvalidParam: Sendable, Equatable {
        public var name: String
        public var reason: String
        public init(name: String, reason: String) { self.name = name; self.reason = reason }
    }

    public init(status: Int, title: String, detail: String? = nil, type: String? = nil,
                invalidParams: [InvalidParam] = [], headers: [(String, String)] = []) {
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type ?? "about:blank"
        self.invalidParams = invalidParams
        self.headers = headers
    }

    public static func == (a: Problem, b: Problem) -> Bool {
        a.status == b.status && a.title == b.title && a.detail == b.detail && a.type == b.type && a.invalidParams == b.invalidParams
    }

    public static func badRequest(_ detail: String) -> Problem {
        Problem(status: 400, title: "Bad request", detail: detail)
    }
    public static func unauthorized(_ detail: String = "Log in first: send a valid bearer token.") -> Problem {
        Problem(status: 401, title: "Unauthorized", detail: detail, headers: [("WWW-Authenticate", "Bearer")])
    }
    public static func forbidden(_ detail: String) -> Problem {
        Problem(status: 403, title: "Forbidden", detail: detail)
    }
    public static func notFound(_ detail: String) -> Problem {
        Problem(status: 404, title: "Not found", detail: detail)
    }
    public static func conflict(_ detail: String) -> Problem {
        Problem(status: 409, title: "Conflict", detail: detail)
    }
    public static func unprocessable(_ detail: String, invalidParams: [InvalidParam] = []) -> Problem {
        Problem(status: 422, title: "Unprocessable content", detail: detail, invalidParams: invalidParams)
    }
    public static func tooManyRequests(_ detail: String, retryAfterSeconds: Int) -> Problem {
        Problem(status: 429, title: "Too many requests", detail: detail, headers: [("Retry-After", String(retryAfterSeconds))])
    }
    public static func unavailable(_ detail: String, retryAfterSeconds: Int = 5) -> Problem {
        Problem(status: 503, title: "Service unavailable", detail: detail, headers: [("Retry-After", String(retryAfterSeconds))])
    }
    public static let internalError = Problem(status: 500, title: "Internal server error",
                                              detail: "Something went wrong on our side. Please try again.")

    /// The JSON body.
    public var json: String {
        var s = "{\"type\":\(JSONText.quote(type)),\"title\":\(JSONText.quote(title)),\"status\":\(status)"
        if let detail { s += ",\"detail\":\(JSONText.quote(detail))" }
        if !invalidParams.isEmpty {
            s += ",\"invalidParams\":["
            s += invalidParams.map { "{\"name\":\(JSONText.quote($0.name)),\"reason\":\(JSONText.quote($0.reason))}" }
                .joined(separator: ",")
            s += "]"
        }
        return s + "}"
    }

    public var response: Response {
        var r = Response(status: status, contentType: "application/problem+json", body: Array(json.utf8))
        for (k, v) in headers { r.headers.append((k, v)) }
        return r
    }
}

/// Minimal JSON string quoting, for the few bodies built without Foundation.
public enum JSONText {
    public static func quote(_ s: String) -> String {
        // Most strings (ids, numbers, times) need no escape: one pass over the bytes instead of one append per scalar
        // (perf: quoting was most of encoding a take-a-number answer).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + s + "\"" }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
