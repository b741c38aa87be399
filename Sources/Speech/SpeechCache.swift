import Credentials
import Glibc

/// Spoken texts as Ogg Opus files in a folder, named by the SHA-256 of what they say (voice version, languages,
/// texts): rendered on the first request only, the same bytes ever after.
///
/// Callers decide which texts may be spoken (translations by key, real calls): the cache never takes free text
/// from a request, so nobody can fill the disk.
public final class SpeechCache: Sendable {
    public let directory: String
    private let synthesizer: Synthesizer
    private let version: String

    public init(directory: String, synthesizer: Synthesizer = .shared) {
        self.directory = directory
        self.synthesizer = synthesizer
        version = synthesizer.voiceVersion + " opus \(OggOpus.bitrate)"
    }

    /// The content address of `utterances`: also the file's name and a strong ETag.
    public func name(_ utterances: [Utterance]) -> String {
        var key = Array(version.utf8)
        for u in utterances {
            key.append(0)
            key += Array(u.language.rawValue.utf8)
            key.append(0)
            key += Array(u.text.utf8)
        }
        return Credentials.sha256(key).map { b in
            let hex = Array("0123456789abcdef".utf8)
            return String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
        }.joined()
    }

    /// The file of `utterances`: read from the folder, or rendered and stored (written to a temporary name and
    /// renamed, so a reader never sees half a file; two first requests at once both render, one rename wins).
    public func audio(_ utterances: [Utterance]) throws -> (name: String, bytes: [UInt8]) {
        let name = self.name(utterances)
        let path = directory + "/" + name + ".opus"
        if let bytes = Self.read(path) { return (name, bytes) }
        let (samples, rate) = try synthesizer.samples(utterances)
        let bytes = try OggOpus.encode(samples, sampleRate: rate)
        try Self.makeDirectory(directory)
        let temporary = path + ".\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        try Self.write(temporary, bytes)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw SpeechError.file(path, code)
        }
        return (name, bytes)
    }

    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes.isEmpty ? nil : bytes
    }

    static func write(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpeechError.file(path, errno) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let code = errno
                unlink(path)
                throw SpeechError.file(path, code)
            }
            offset += n
        }
    }

    /// `mkdir -p`.
    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw SpeechError.file(prefix, errno) }
        }
    }
}
