import Foundation
import Logging
import CEmbeddedSupport

#if canImport(Glibc)
import Glibc
#endif

/// Running initdb, pg_ctl and friends as child processes (as `postgres` when root).
extension EmbeddedCluster {

    struct CommandResult {
        let status: Int32
        /// stdout then stderr.
        let output: String
    }

    /// Runs a command and waits for it (as `postgres` through runuser when `layout` has a server user).
    ///
    /// Not Foundation `Process`: on Linux it learns that a child exited through a socket the child inherits, and
    /// pg_ctl passes that socket on to the server it leaves running, so `waitUntilExit()` would wait for the
    /// server to stop. Instead: posix_spawn with every descriptor above 2 closed (the server must not keep any of
    /// ours: sockets, pipes, other children's sockets), default signal handlers and an empty signal mask (loket
    /// ignores or blocks SIGINT/SIGTERM for its own handling), stdin from /dev/null, working folder `/` (the
    /// caller's may be private), PG* variables removed, output captured in unlinked temporary files; waitpid.
    func run(_ executable: String, _ arguments: [String], layout: Layout?) throws -> CommandResult {
        var argv = [executable] + arguments
        var path = executable
        if let user = layout?.serverUser {
            guard let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
            else {
                throw EmbeddedClusterError("runuser (util-linux) is needed to run PostgreSQL as \(user.name)")
            }
            path = runuser
            argv = [runuser, "-u", user.name, "--"] + argv
        }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["LC_MESSAGES"] = "C"
        environment.removeValue(forKey: "LANGUAGE")
        let envp = environment.map { "\($0.key)=\($0.value)" }
        logger.debug("run", metadata: ["command": "\(argv.joined(separator: " "))"])

        let stdout = try Self.scratchFile()
        defer { close(stdout) }
        let stderr = try Self.scratchFile()
        defer { close(stderr) }
        let pid = try Self.spawn(path: path, argv: argv, envp: envp, stdout: stdout, stderr: stderr)
        var status: Int32 = 0
        var waited: pid_t
        repeat { waited = waitpid(pid, &status, 0) } while waited < 0 && errno == EINTR
        let exitStatus: Int32
        if waited < 0 {
            exitStatus = 0  // ECHILD: the host reaps children itself (SIGCHLD ignored); judge by the effects.
        } else if status & 0x7f == 0 {
            exitStatus = (status >> 8) & 0xff  // WIFEXITED / WEXITSTATUS
        } else {
            exitStatus = 128 + (status & 0x7f)  // killed by a signal
        }
        return CommandResult(status: exitStatus, output: Self.readAll(stdout) + Self.readAll(stderr))
    }

    static func spawn(path: String, argv: [String], envp: [String], stdout: Int32, stderr: Int32) throws
        -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // glibc's posix_spawn_file_actions_addclosefrom_np (2.34+) and addchdir_np (2.29+) need _GNU_SOURCE,
        // so they are reached through the C shim, which reports whether this glibc has them.
        if loket_spawn_add_closefrom(&actions, 3) != 0 {
            // Older glibc: close what is open now (descriptors opened later by other threads may leak).
            let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [])
                .compactMap { Int32($0) }.filter { $0 > 2 && fcntl($0, F_GETFD) >= 0 }
            for fd in open { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        _ = loket_spawn_add_chdir(&actions, "/")

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = envp.map { strdup($0) } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, cArguments, cEnvironment)
        guard result == 0 else {
            throw EmbeddedClusterError("Cannot run \(path): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// An unlinked temporary file (O_CLOEXEC), for a child's output.
    static func scratchFile() throws -> Int32 {
        var template = Array((NSTemporaryDirectory() + "/loket-cmd-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw EmbeddedClusterError("Cannot create a temporary file: \(errnoText())") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return fd
    }

    static func readAll(_ fd: Int32) -> String {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            data += buffer[0..<count]
            offset += off_t(count)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
