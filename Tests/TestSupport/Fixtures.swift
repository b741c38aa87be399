import Foundation

/// A small shared-loket world made through the admin API: one location, two agencies, services and desks, and a
/// logged-in staff member per agency.
public struct World {
    public let locationID: String
    public let agencyA: String
    public let agencyB: String
    /// Agency A: normal service (prefix U) and urgent service (prefix N). Agency B: service (prefix S).
    public let serviceA: String
    public let urgentA: String
    public let serviceB: String
    public let desks: [String]
    public let staffA: HTTPClient
    public let staffB: HTTPClient
    public let staffAID: String
    public let staffBID: String

    public enum SetupError: Error { case failed(String) }

    public static func make(_ t: TestApp, desks deskCount: Int = 2, code: String = "centrum") throws -> World {
        let admin = t.admin
        func create(_ path: String, _ body: [String: Any]) throws -> String {
            let r = try admin.post(path, json: body)
            guard r.status == 201, let id = r.object["id"] as? String else { throw SetupError.failed("\(path): \(r.status) \(r.text)") }
            return id
        }
        let location = try create("/api/v1/locations", ["code": code, "name": "Stadswinkel \(code)", "timeZone": "Europe/Amsterdam"])
        let a = try create("/api/v1/agencies", ["code": "uwv-\(code)", "name": "UWV"])
        let b = try create("/api/v1/agencies", ["code": "svb-\(code)", "name": "SVB"])
        let sA = try create("/api/v1/services", ["agencyId": a, "code": "ww-\(code)", "name": "WW", "ticketPrefix": "U",
                                                  "durationMinutes": 10, "urgent": false, "locationIds": [location], "lifeQuestion": "work"])
        let uA = try create("/api/v1/services", ["agencyId": a, "code": "nood-\(code)", "name": "Noodgeval", "ticketPrefix": "N",
                                                  "durationMinutes": 10, "urgent": true, "locationIds": [location], "lifeQuestion": "money"])
        let sB = try create("/api/v1/services", ["agencyId": b, "code": "aow-\(code)", "name": "AOW", "ticketPrefix": "S",
                                                  "durationMinutes": 10, "urgent": false, "locationIds": [location], "lifeQuestion": "money"])
        var desks: [String] = []
        for i in 0..<deskCount { desks.append(try create("/api/v1/locations/\(location)/desks", ["name": "Balie \(i + 1)"])) }
        let staffAID = try create("/api/v1/staff", ["agencyId": a, "username": "anna-\(code)", "password": "correct horse battery",
                                                     "displayName": "Anna", "role": "staff", "serviceIds": [sA, uA]])
        let staffBID = try create("/api/v1/staff", ["agencyId": b, "username": "bram-\(code)", "password": "correct horse battery",
                                                     "displayName": "Bram", "role": "staff", "serviceIds": [sB]])
        return World(locationID: location, agencyA: a, agencyB: b, serviceA: sA, urgentA: uA, serviceB: sB, desks: desks,
                     staffA: try login(t, "anna-\(code)"), staffB: try login(t, "bram-\(code)"), staffAID: staffAID, staffBID: staffBID)
    }

    /// Makes the world in a database through a short-lived in-process server, for tests that then run separate
    /// `loket serve` processes on it. Logins made here stay valid for those processes (sessions live in the database).
    public static func prepare(databaseURL: String, desks: Int = 1) throws -> World {
        let setup = try TestApp(databaseURL: databaseURL) { $0.runJobs = false }
        defer { setup.stop() }
        return try make(setup, desks: desks)
    }

    public static func login(_ t: TestApp, _ username: String, password: String = "correct horse battery") throws -> HTTPClient {
        let r = try t.client.post("/api/v1/sessions", json: ["username": username, "password": password])
        guard r.status == 201, let token = r.object["token"] as? String else { throw SetupError.failed("login \(username): \(r.status) \(r.text)") }
        return t.client.with(bearer: token)
    }

    /// Takes a number anonymously; returns the response object.
    @discardableResult
    public func take(_ t: TestApp, _ service: String, language: String? = nil) throws -> [String: Any] {
        var body: [String: Any] = ["serviceId": service]
        if let language { body["language"] = language }
        let r = try t.client.post("/api/v1/locations/\(locationID)/tickets", json: body)
        guard r.status == 201 else { throw SetupError.failed("take: \(r.status) \(r.text)") }
        return r.object
    }
}
