import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Small file-system and process helpers.
extension EmbeddedCluster {

    static func tail(_ text: String, lines: Int = 20) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    static func pidFileLines(_ path: String) -> [String]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
    }

    /// Alive and not a zombie.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether /proc tells us what `pid` runs (false for other users' processes when not root).
    static func canInspect(_ pid: pid_t) -> Bool {
        readLink("/proc/\(pid)/exe") != nil
    }

    static func isPostgresBinary(_ pid: pid_t) -> Bool {
        guard isAlive(pid), let exe = readLink("/proc/\(pid)/exe") else { return false }
        return (exe as NSString).lastPathComponent.hasPrefix("postgres")
    }

    /// A live postgres process whose working directory is this cluster (postgres chdirs into its data folder).
    static func isServerProcess(_ pid: pid_t, pgdata: String) -> Bool {
        guard pid > 0, pid != getpid(), isPostgresBinary(pid), let cwd = readLink("/proc/\(pid)/cwd") else {
            return false
        }
        return cwd == canonicalPath(pgdata)
    }

    static func serverProcesses(pgdata: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { isServerProcess($0, pgdata: pgdata) }
    }

    static func ownerOf(_ path: String) -> uid_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_uid : nil
    }

    static func lookUpUser(_ name: String) -> ServerUser? {
        guard let entry = getpwnam(name) else { return nil }
        return ServerUser(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// Whether `user` can traverse `path` and each of its existing parents (folders still to be made get 0755).
    /// Plain mode bits: ACLs are not consulted.
    static func canTraverse(_ path: String, as user: ServerUser) -> Bool {
        var groupCount: Int32 = 256
        var groups = [gid_t](repeating: 0, count: 256)
        if getgrouplist(user.name, user.gid, &groups, &groupCount) < 0 { groupCount = 0 }
        let memberOf = Set(groups.prefix(Int(max(0, groupCount)))).union([user.gid])
        var prefixes = ["/"]
        for component in path.split(separator: "/") {
            prefixes.append((prefixes.count == 1 ? "" : prefixes[prefixes.count - 1]) + "/" + component)
        }
        for prefix in prefixes {
            var info = stat()
            guard stat(prefix, &info) == 0 else { return true }  // the rest does not exist yet: we create it
            guard (info.st_mode & S_IFMT) == S_IFDIR else { return false }
            let mode = info.st_mode
            let allowed: Bool
            if info.st_uid == user.uid {
                allowed = mode & S_IXUSR != 0
            } else if memberOf.contains(info.st_gid) {
                allowed = mode & S_IXGRP != 0
            } else {
                allowed = mode & S_IXOTH != 0
            }
            if !allowed { return false }
        }
        return true
    }

    /// Absolute path with symlinks resolved for the part that exists.
    static func canonicalPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var existing = URL(fileURLWithPath: absolute).standardizedFileURL.path
        var rest: [String] = []
        while existing != "/" {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                let base = String(cString: resolved)
                return rest.isEmpty ? base : (base == "/" ? "" : base) + "/" + rest.reversed().joined(separator: "/")
            }
            rest.append((existing as NSString).lastPathComponent)
            existing = (existing as NSString).deletingLastPathComponent
        }
        return "/" + rest.reversed().joined(separator: "/")
    }

    /// First 12 hex digits of the FNV-1a 64-bit hash: stable across runs and machines.
    static func shortHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String((String(repeating: "0", count: 16 - hex.count) + hex).prefix(12))
    }

    static func localeAvailable(_ name: String) -> Bool {
        guard let locale = newlocale((1 << LC_CTYPE) | (1 << LC_COLLATE), name, nil) else { return false }
        freelocale(locale)
        return true
    }

    /// mkdir -p; folders it makes get `mode` exactly (umask notwithstanding).
    static func makeDirectories(_ path: String, mode: mode_t) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw EmbeddedClusterError("\(path) exists and is not a folder") }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if parent != path && !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw EmbeddedClusterError("Cannot create \(path): \(errnoText())")
        }
        chmod(path, mode)
    }
}

/// An exclusive advisory lock on a file, held until `unlock()`.
struct FileLock {
    let fd: Int32

    init(path: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EmbeddedClusterError("Cannot open \(path): \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
    }

    func unlock() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

