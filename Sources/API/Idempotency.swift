import Credentials
import Foundation
import HTTP
import Postgres
import Time

// `Idempotency-Key` on POSTs (issue 9): a client that retries after a network glitch (a kiosk taking a number, a
// phone booking an appointment) gets the first answer again, never a second ticket or booking.
//
// A route opts in with one declaration option, `idempotency: .keyed(scope: "ticket")`; the framework does the rest
// (`App.serve`). Without the header the route runs exactly as before, at no extra cost. With it, on the request's
// own connection, in one transaction:
//
// 1. claim the key (`idempotency_claim`: INSERT … ON CONFLICT on the primary key (scope, key));
// 2. claimed: run the handler on the same connection (its `ctx.transaction` steps become savepoints), store a 2xx
//    answer, commit: claim, operation and answer commit together. Any other answer or error rolls back everything,
//    the claim included, so a corrected retry with the same key runs normally (4xx and 5xx are never stored);
// 3. not claimed: a concurrent request with the same key waited on the primary key until the first one committed;
//    its stored answer is returned (same status, content type and body, plus `Idempotent-Replayed: true`), or 422
//    when the key came with another request (method, path, query or body differ).
//
// The scope is the route's scope and who asks: the staff member, the kiosk device (`Loket-Device`), or for anonymous
// callers the route alone, so anonymous clients must use random keys (a UUID). Keys live 24 hours by the app's
// clock; after that the same key is a new request, and the periodic jobs purge it.
//
// The stored answer can hold a secret: a public booking's answer carries the citizen's manage token, which the
// appointment itself keeps only as SHA-256. So the table keeps neither key nor answer readable: the key column holds
// the key's SHA-256 (`storedKey`) and the answer is sealed (libsodium secretbox) with a key derived from the
// Idempotency-Key (`answerKey`). Only a client that still has the Idempotency-Key can read its answer back; a copy
// of the table gives no working manage link and no citizen's details.

/// Whether a declared route honours `Idempotency-Key` (POST routes that create something).
enum Idempotency: Sendable, Equatable {
    /// The header is ignored.
    case none
    /// The header makes retries safe; `scope` names what the route creates ("ticket", "appointment"), so keys of
    /// different routes never meet. The route must use the database `.perRequest`.
    case keyed(scope: String)
}

extension Idempotency {
    static let headerName = "Idempotency-Key"
    /// Set on an answer that was stored by an earlier request with the same key.
    static let replayedHeader = "Idempotent-Replayed"

    /// Scopes whose stored answer shows personal data to a signed-in caller (a staff booking answers with the
    /// citizen's fields): a replay to staff or a helper shows it again, so it is audited as a read of the subject
    /// named by the answer's `id`, with `replay: true`. Anonymous callers get back only what they sent.
    static let personalReplays: [String: (action: String, subjectType: String)] = [
        "appointment": ("appointment.read", "appointment"),
    ]

    /// The key of a request, validated: 1–255 printable ASCII characters. Nil when the request carries none.
    static func key(of request: Request) throws -> String? {
        guard let key = request.header(headerName) else { return nil }
        guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
            throw Problem(status: 400, title: "Bad request",
                          detail: "The Idempotency-Key header must be 1 to 255 printable ASCII characters, e.g. a random UUID.",
                          invalidParams: [.init(name: headerName, reason: "must be 1 to 255 printable ASCII characters")])
        }
        return key
    }

    /// Who the key belongs to, next to the route's scope.
    static func owner(_ request: Request, _ actor: Actor?) -> String {
        if let actor { return actor.staffID.map { "staff:" + $0 } ?? "admin" }
        // Only the device token's digest is kept, as everywhere else. An invalid token is refused by the route
        // itself (a 403 is never stored), so it cannot be used to read another scope's answers.
        if let device = request.header("loket-device"), !device.isEmpty {
            return "device:" + hexString(Credentials.tokenDigest(device))
        }
        return "anonymous"
    }

    /// What the key column stores: the key's SHA-256, never the key (71 printable characters).
    static func storedKey(_ key: String) -> String { "sha256:" + hexString(Credentials.sha256(Array(key.utf8))) }

    /// The secretbox key that seals the stored answer: derived from the Idempotency-Key, which only the client has.
    static func answerKey(_ key: String) -> [UInt8] { Credentials.sha256(Array("loket idempotent answer\n".utf8) + Array(key.utf8)) }

    /// SHA-256 of method, path, query (sorted) and body.
    static func fingerprint(_ request: Request) -> [UInt8] {
        var bytes = Array(request.method.utf8) + [0x0A] + Array(request.path.utf8) + [0x0A]
        for (name, value) in request.query.sorted(by: { $0.key < $1.key }) {
            bytes += Array(name.utf8) + [0x3D] + Array(value.utf8) + [0x26]
        }
        return Credentials.sha256(bytes + [0x0A] + request.body)
    }

    /// The OpenAPI header parameter of an opted-in route.
    static let documentation = OpenAPIOperation.HeaderParameter(
        headerName, maxLength: 255,
        "Makes retries safe (e.g. after a network error): a random value (a UUID) per attempt, sent again on its " +
        "retries. The same key with the same request within 24 hours returns the first successful answer again " +
        "(header `Idempotent-Replayed: true`) and never acts twice; the same key with another request is a 422. " +
        "Refusals (4xx) and errors are not stored: a corrected retry may reuse the key.")
}

/// An answer that must not be stored (not 2xx): it leaves the transaction as an error so everything rolls back.
private struct UnstoredAnswer: Error { let response: Response }

extension App {
    /// Runs an opted-in route's handler under its key (see the top of this file), on the request's connection `db`.
    func serveIdempotent(_ route: DeclaredRoute, scope: String, key: String, _ ctx: RouteContext, _ db: Connection) throws -> Response {
        let owned = scope + " " + Idempotency.owner(ctx.request, ctx.principal ?? ctx.helper)
        let secret = Idempotency.answerKey(key)
        let key = Idempotency.storedKey(key)
        let fingerprint = PostgresValue.bytes(Idempotency.fingerprint(ctx.request))
        let now = ctx.now
        var inner = ctx
        inner.inTransaction = true
        do {
            let (response, replayed) = try db.transaction { db -> (Response, Bool) in
                if try db.first(IdempotencyClaim(scope: owned, key: key, fingerprint: fingerprint, now: now)) != nil {
                    let response = try route.handler(inner)
                    guard (200...299).contains(response.status), case .bytes(let body) = response.body else {
                        throw UnstoredAnswer(response: response)
                    }
                    try db.run(IdempotencyStore(scope: owned, key: key, status: response.status,
                                                contentType: response.header("Content-Type"), body: .bytes(Credentials.seal(body, key: secret))))
                    return (response, false)
                }
                let answer = try replay(db, scope: owned, key: key, secret: secret, fingerprint: fingerprint)
                try auditReplay(db, scope: scope, answer, ctx)
                return (answer, true)
            }
            // The handler's own wake-up came before the commit; this one finds its events committed.
            if !replayed { events.didWrite() }
            return response
        } catch let unstored as UnstoredAnswer {
            return unstored.response
        }
    }

    /// Audits a replayed answer that shows personal data to staff or a helper again (`Idempotency.personalReplays`).
    private func auditReplay(_ db: Connection, scope: String, _ answer: Response, _ ctx: RouteContext) throws {
        guard let audit = Idempotency.personalReplays[scope], let actor = ctx.principal ?? ctx.helper,
              case .bytes(let body) = answer.body else { return }
        struct Subject: Decodable { let id: String }
        guard let subject = try? JSONDecoder().decode(Subject.self, from: Data(body)) else { return }
        try db.run(AuditInsert(staffID: actor.staffID, agencyID: actor.agencyID, action: audit.action, subjectType: audit.subjectType,
                               subjectID: subject.id, detail: JSON.object([("replay", .bool(true))]).serialized))
    }

    /// The answer stored under a key that an earlier request claimed and committed.
    private func replay(_ db: Connection, scope: String, key: String, secret: [UInt8], fingerprint: PostgresValue) throws -> Response {
        guard let stored = try db.first(IdempotencyReplay(scope: scope, key: key, fingerprint: fingerprint)) else {
            // Purged between claim and read (it expired in that instant): the client's retry claims it anew.
            throw Problem.conflict("This Idempotency-Key just expired. Send the request again.")
        }
        guard stored.sameRequest else {
            throw Problem.unprocessable("This Idempotency-Key was used for a different request. Use a new key for a new request.",
                                        invalidParams: [.init(name: Idempotency.headerName, reason: "was used for a different request")])
        }
        guard let status = stored.responseStatus, let hex = stored.responseBody, let sealed = bytes(hex: hex),
              let body = Credentials.open(sealed, key: secret) else {
            // Cannot happen for committed rows (the answer is stored, sealed with this key's secret, before commit);
            // refuse rather than guess.
            throw Problem.conflict("A request with this Idempotency-Key is still being processed. Try again in a moment.")
        }
        var headers: [(String, String)] = []
        if let type = stored.responseContentType { headers.append(("Content-Type", type)) }
        headers.append((Idempotency.replayedHeader, "true"))
        return Response(status: status, headers: headers, body: .bytes(body))
    }

    private func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let high = value(digits[i]), let low = value(digits[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
