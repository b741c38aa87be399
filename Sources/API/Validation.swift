import HTTP

/// Collects field complaints and throws one 422 problem listing them all, so a form can show every error at once.
struct Validator {
    private(set) var problems: [Problem.InvalidParam] = []

    mutating func require(_ condition: Bool, _ name: String, _ reason: String) {
        if !condition { problems.append(.init(name: name, reason: reason)) }
    }

    mutating func text(_ value: String?, _ name: String, max: Int, required: Bool = true) {
        guard let value else {
            if required { problems.append(.init(name: name, reason: "is required")) }
            return
        }
        let trimmed = value.trimmingSpaces
        if trimmed.isEmpty { problems.append(.init(name: name, reason: "must not be empty")) }
        else if trimmed.count > max { problems.append(.init(name: name, reason: "must be at most \(max) characters")) }
    }

    mutating func code(_ value: String?, _ name: String, max: Int = 32, required: Bool = true) {
        guard let value else {
            if required { problems.append(.init(name: name, reason: "is required")) }
            return
        }
        let ok = !value.isEmpty && value.count <= max && value.first.map { $0.isLowercaseASCIIAlnum } == true
            && value.allSatisfy { $0.isLowercaseASCIIAlnum || $0 == "-" }
        if !ok { problems.append(.init(name: name, reason: "must be 1–\(max) lowercase letters, digits or dashes, starting with a letter or digit")) }
    }

    mutating func id(_ value: String?, _ name: String, required: Bool = true) {
        guard let value else {
            if required { problems.append(.init(name: name, reason: "is required")) }
            return
        }
        if !isUUID(value) { problems.append(.init(name: name, reason: "is not a valid id")) }
    }

    func check(_ detail: String = "Some fields are not valid.") throws {
        if !problems.isEmpty { throw Problem.unprocessable(detail, invalidParams: problems) }
    }
}

extension Character {
    var isLowercaseASCIIAlnum: Bool { ("a"..."z").contains(self) || ("0"..."9").contains(self) }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

/// Ids are UUIDs; anything else in a path is simply "not found" without asking the database.
func isUUID(_ s: String) -> Bool {
    let u = Array(s.utf8)
    guard u.count == 36 else { return false }
    for (i, c) in u.enumerated() {
        if i == 8 || i == 13 || i == 18 || i == 23 {
            if c != UInt8(ascii: "-") { return false }
        } else if !((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)) {
            return false
        }
    }
    return true
}

/// The id from a path parameter, or a 404 naming what was looked for.
func pathID(_ request: Request, _ name: String, _ what: String) throws -> String {
    let value = request.parameter(name)
    guard isUUID(value) else { throw Problem.notFound("There is no \(what) with id \(value).") }
    return value.lowercased()
}
