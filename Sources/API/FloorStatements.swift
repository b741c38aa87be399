import Postgres
import Time

// The statements of `SQL/floor.sql`, one type each (see `Postgres/Statement.swift`).

/// A statement of `floor.sql`.
protocol FloorStatement: Statement {}
extension FloorStatement {
    static var library: SQLLibrary { Statements.floor }
    static var libraryName: String { "floor" }
}

enum FloorStatements {
    static let all: [any Statement.Type] = [FloorSnapshot.self]
}

/// The floor view of a location as one JSON text: desks, waiting line per service, urgent tickets, today's
/// appointments. No row when the location does not exist.
struct FloorSnapshot: FloorStatement {
    static let sqlName = "floor_snapshot"
    typealias Row = JSONRow
    let locationID: String
    let now: Instant
}
