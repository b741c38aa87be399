import Postgres
import Time

// The statements of `SQL/speech.sql`, one type each (see `Postgres/Statement.swift`).

/// A statement of `speech.sql`.
protocol SpeechStatement: Statement {}
extension SpeechStatement {
    static var library: SQLLibrary { Statements.speech }
    static var libraryName: String { "speech" }
}

enum SpeechStatements {
    static let all: [any Statement.Type] = [SpeechCall.self, SpeechNumber.self, SpeechServiceName.self]
}

/// The desk's name and the language of the ticket with `number` that the desk is calling.
struct SpeechCall: SpeechStatement {
    static let sqlName = "speech_call"
    struct Row: Decodable, Sendable {
        let deskName: String
        let language: String
        enum CodingKeys: String, CodingKey { case deskName = "desk_name", language }
    }
    let deskID: String
    let number: String
}

/// Whether `number` was taken at the location within the last day.
struct SpeechNumber: SpeechStatement {
    static let sqlName = "speech_number"
    struct Row: Decodable, Sendable { let found: Bool }
    let locationID: String
    let number: String
    let now: Instant
}

/// An active service's name as the kiosk shows it in `language`.
struct SpeechServiceName: SpeechStatement {
    static let sqlName = "speech_service"
    struct Row: Decodable, Sendable { let name: String }
    let serviceID: String
    let language: String
}
