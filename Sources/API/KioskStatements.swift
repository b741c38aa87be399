import Postgres
import Time

// The statements of `SQL/kiosk.sql`, one type each (see `Postgres/Statement.swift`). Registering a kiosk and
// checking a device token use `KioskInsert` and `KioskDeviceValid` of admin.sql.

/// A statement of `kiosk.sql`.
protocol KioskStatement: Statement {}
extension KioskStatement {
    static var library: SQLLibrary { Statements.kiosk }
    static var libraryName: String { "kiosk" }
}

enum KioskStatements {
    static let all: [any Statement.Type] = [KioskLocation.self, KioskLocationCode.self]
}

/// A location by code, with its services in `language`, both as JSON texts; `now` decides whether it is closed today.
struct KioskLocation: KioskStatement {
    static let sqlName = "kiosk_location"
    struct Row: Decodable, Sendable {
        let location: String
        let services: String
    }
    let code: String
    let language: String
    let now: Instant
}

/// The code of a location (for the kiosk's path).
struct KioskLocationCode: KioskStatement {
    static let sqlName = "location_code"
    struct Row: Decodable, Sendable { let code: String }
    let id: String
}
