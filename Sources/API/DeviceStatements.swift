import Postgres

// The statements of `SQL/devices.sql`, one type each (see `Postgres/Statement.swift`).

/// A statement of `devices.sql`.
protocol DeviceStatement: Statement {}
extension DeviceStatement {
    static var library: SQLLibrary { Statements.devices }
    static var libraryName: String { "devices" }
}

enum DeviceStatements {
    static let all: [any Statement.Type] = [KioskList.self, KioskRevoke.self]
}

/// The kiosks registered at a location (one row: a JSON array); revoked ones only with `includeInactive`.
struct KioskList: DeviceStatement {
    static let sqlName = "kiosk_list"
    typealias Row = JSONRow
    let locationID: String
    let includeInactive: Bool
}

/// Revokes a kiosk's device token; no row when there is no such kiosk.
struct KioskRevoke: DeviceStatement {
    static let sqlName = "kiosk_revoke"
    typealias Row = JSONRow
    let id: String
}
