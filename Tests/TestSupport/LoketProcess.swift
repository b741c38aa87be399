import Foundation
import Glibc

/// A `loket serve` child process (the real binary), for tests that kill it or run two of them.
public final class LoketProcess: @unchecked Sendable {
    public let port: Int
    public let process: Process
    public let logPath: String

    public init(databaseURL: String, extraEnvironment: [String: String] = [:]) throws {
        port = LoketProcess.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: TestApp.loketBinary)
        process.arguments = ["serve"]
        var env = ProcessInfo.processInfo.environment
        env["LOKET_DATABASE_URL"] = databaseURL
        env["LOKET_PORT"] = String(port)
        env["LOKET_ADMIN_TOKEN"] = TestApp.adminToken
        env["LOKET_TICKET_RATE_PER_MINUTE"] = "0"
        env["LOKET_BOOKING_RATE_PER_MINUTE"] = "0"
        env["LOKET_HOLDS_PER_ADDRESS"] = "0"
        env["LOKET_KIOSK_DIR"] = TestApp.repositoryRoot + "/kiosk"
        for (k, v) in extraEnvironment { env[k] = v }
        process.environment = env
        logPath = "/tmp/loket-process-\(port).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let client = HTTPClient(port: port)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let r = try? client.get("/readyz"), r.status == 200 { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        throw NSError(domain: "LoketProcess", code: 1, userInfo: [NSLocalizedDescriptionKey:
            "loket serve did not become ready: " + ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")])
    }

    public var client: HTTPClient { HTTPClient(port: port) }

    /// SIGKILL: no graceful anything, like a power cut of the process.
    public func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait for a graceful stop; returns the exit status.
    @discardableResult
    public func terminate() -> Int32 {
        Glibc.kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
