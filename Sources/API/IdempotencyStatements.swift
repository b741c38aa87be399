import Postgres
import Time

// The statements of `SQL/idempotency.sql`, one type each (see `Postgres/Statement.swift`), run by `Idempotency.swift`.

/// A statement of `idempotency.sql`.
protocol IdempotencyStatement: Statement {}
extension IdempotencyStatement {
    static var library: SQLLibrary { Statements.idempotency }
    static var libraryName: String { "idempotency" }
}

enum IdempotencyStatements {
    static let all: [any Statement.Type] = [IdempotencyClaim.self, IdempotencyReplay.self, IdempotencyStore.self,
                                            PurgeIdempotencyKeys.self]
}

/// Claims a key for this request (a row back) or finds it held by an earlier one (no row, after waiting for it).
struct IdempotencyClaim: IdempotencyStatement {
    static let sqlName = "idempotency_claim"
    struct Row: Decodable, Sendable { let claimed: Int }
    let scope: String
    let key: String
    /// SHA-256 of the request, `.bytes` of 32.
    let fingerprint: PostgresValue
    let now: Instant
}

/// The answer stored under a key, and whether it was for the same request.
struct IdempotencyReplay: IdempotencyStatement {
    static let sqlName = "idempotency_replay"
    struct Row: Decodable, Sendable {
        let sameRequest: Bool
        let responseStatus: Int?
        let responseContentType: String?
        /// Hex.
        let responseBody: String?
        enum CodingKeys: String, CodingKey {
            case sameRequest = "same_request", responseStatus = "response_status"
            case responseContentType = "response_content_type", responseBody = "response_body"
        }
    }
    let scope: String
    let key: String
    let fingerprint: PostgresValue
}

/// Stores the answer of the request that claimed the key, in its transaction.
struct IdempotencyStore: IdempotencyStatement {
    static let sqlName = "idempotency_store"
    let scope: String
    let key: String
    let status: Int
    let contentType: String?
    /// `.bytes` of the body.
    let body: PostgresValue
}

/// Deletes keys whose 24 hours have passed (the periodic jobs).
struct PurgeIdempotencyKeys: IdempotencyStatement {
    static let sqlName = "purge_idempotency_keys"
    let now: Instant
}
