import Foundation
import Logging
import Postgres

#if canImport(Glibc)
import Glibc
#endif

/// Recognising a running server on this cluster and removing what a killed one left behind.
extension EmbeddedCluster {

    struct Postmaster {
        let pid: pid_t
        let port: Int?
        let socketDirectory: String?
        let listensOnTCP: Bool
    }

    /// The server named by postmaster.pid, if that process is alive and is a postgres working in this cluster.
    func runningPostmaster(_ layout: Layout) -> Postmaster? {
        guard let lines = Self.pidFileLines(layout.pgdata + "/postmaster.pid"),
            let pid = lines.first.flatMap({ pid_t($0) }).map({ abs($0) }),
            Self.isServerProcess(pid, pgdata: layout.pgdata)
        else { return nil }
        // Lines: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
        func line(_ index: Int) -> String? { index < lines.count ? lines[index] : nil }
        return Postmaster(
            pid: pid, port: line(3).flatMap { Int($0) }, socketDirectory: line(4),
            listensOnTCP: !(line(5) ?? "").isEmpty)
    }

    /// Removes what a killed server leaves behind; no-op for a healthy stopped cluster.
    func cleanUpAfterCrash(_ layout: Layout, orphanGrace: TimeInterval) {
        let pidFile = layout.pgdata + "/postmaster.pid"
        if let lines = Self.pidFileLines(pidFile), let pid = lines.first.flatMap({ pid_t($0) }).map({ abs($0) }),
            !Self.isAlive(pid) || (Self.canInspect(pid) && !Self.isServerProcess(pid, pgdata: layout.pgdata))
        {
            logger.notice(
                "Removing the stale postmaster.pid of a PostgreSQL that is gone (crash?)", metadata: ["pid": "\(pid)"])
            unlink(pidFile)
        }
        // Children of a killed postmaster exit on their own once they notice; wait for them, then SIGQUIT by PID.
        var orphans = Self.serverProcesses(pgdata: layout.pgdata)
        if !orphans.isEmpty {
            logger.notice("Waiting for leftover PostgreSQL processes to exit", metadata: ["pids": "\(orphans)"])
            let deadline = Date().addingTimeInterval(orphanGrace)
            while !orphans.isEmpty && Date() < deadline {
                usleep(100_000)
                orphans = Self.serverProcesses(pgdata: layout.pgdata)
            }
            if !orphans.isEmpty {
                logger.warning("Sending SIGQUIT to leftover PostgreSQL processes", metadata: ["pids": "\(orphans)"])
                for pid in orphans { kill(pid, SIGQUIT) }
                let quitDeadline = Date().addingTimeInterval(5)
                while !Self.serverProcesses(pgdata: layout.pgdata).isEmpty && Date() < quitDeadline { usleep(100_000) }
                // Still there (stopped, or stuck in the kernel): they belong to a dead server, SIGKILL is safe.
                let stuck = Self.serverProcesses(pgdata: layout.pgdata)
                if !stuck.isEmpty { logger.warning("Sending SIGKILL to leftover PostgreSQL processes", metadata: ["pids": "\(stuck)"]) }
                for pid in stuck { kill(pid, SIGKILL) }
                let killDeadline = Date().addingTimeInterval(5)
                while !Self.serverProcesses(pgdata: layout.pgdata).isEmpty && Date() < killDeadline { usleep(100_000) }
            }
        }
        // Socket lock file of a server that is gone (postgres treats a live but unrelated PID there as a conflict).
        let socketLock = layout.socketDirectory + "/.s.PGSQL.\(port).lock"
        if let lines = Self.pidFileLines(socketLock), let pid = lines.first.flatMap({ pid_t($0) }).map({ abs($0) }),
            !Self.isAlive(pid) || (Self.canInspect(pid) && !Self.isPostgresBinary(pid))
        {
            logger.notice("Removing a stale PostgreSQL socket lock file", metadata: ["file": "\(socketLock)"])
            unlink(socketLock)
            unlink(layout.socketDirectory + "/.s.PGSQL.\(port)")
        }
    }

    /// `FATAL: pre-existing shared memory block (key …) is still in use` or
    /// `FATAL: lock file "…" already exists` (data folder or socket lock).
    static func looksLikeStaleLock(_ log: String) -> Bool {
        log.contains("pre-existing shared memory block")
            || log.split(separator: "\n").contains { $0.contains("lock file") && $0.contains("already exists") }
    }

    /// The last lines of the server log, from byte `offset` (where this start began) when given.
    func logTail(_ layout: Layout, from offset: UInt64? = nil) -> String {
        guard let handle = FileHandle(forReadingAtPath: layout.logFile) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        var start = size > 4096 ? size - 4096 : 0
        if let offset, offset <= size { start = max(start, offset) }
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        return Self.tail(String(decoding: data, as: UTF8.self))
    }

    static func fileSize(_ path: String) -> UInt64 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_size) : 0
    }
}
