import CZlib
import Glibc
import Locking

/// Files served from a folder (the kiosk pages and assets), read once at start-up, with a gzip copy made then,
/// so a Raspberry Pi kiosk gets small responses and the server never compresses per request.
public final class StaticFiles: Sendable {
    public struct File: Sendable {
        public let contentType: String
        public let bytes: [UInt8]
        public let gzip: [UInt8]?
        public let etag: String
    }

    public let root: String
    private let files: [String: File]

    /// Loads every file below `root` (relative path → file). Missing folder → no files.
    public init(root: String) {
        self.root = root
        var files: [String: File] = [:]
        for relative in StaticFiles.list(root, "") {
            guard let bytes = StaticFiles.read(root + "/" + relative) else { continue }
            let type = StaticFiles.contentType(for: relative)
            let compressible = type.hasPrefix("text/") || type.contains("json") || type.contains("javascript") || type.contains("svg")
            let gz = compressible && bytes.count > 256 ? Gzip.compress(bytes) : nil
            files[relative] = File(contentType: type, bytes: bytes, gzip: gz.flatMap { $0.count < bytes.count ? $0 : nil },
                                   etag: "\"\(StaticFiles.fnv1a(bytes))\"")
        }
        self.files = files
    }

    public var paths: [String] { files.keys.sorted() }

    public func file(_ relative: String) -> File? { files[relative] }

    /// A response for the file: gzip when the client accepts it, 304 when its ETag still matches.
    public func response(_ relative: String, for request: Request, extraHeaders: [(String, String)] = []) -> Response {
        guard !relative.split(separator: "/").contains(".."), let file = files[relative] else {
            return Problem.notFound("There is no file \(relative).").response
        }
        var headers = extraHeaders + [("Content-Type", file.contentType), ("ETag", file.etag),
                                      ("Cache-Control", "no-cache"), ("Vary", "Accept-Encoding")]
        if request.header("if-none-match") == file.etag {
            return Response(status: 304, headers: headers)
        }
        if let gz = file.gzip, request.acceptsGzip {
            headers.append(("Content-Encoding", "gzip"))
            return Response(status: 200, headers: headers, body: .bytes(gz))
        }
        return Response(status: 200, headers: headers, body: .bytes(file.bytes))
    }

    static func contentType(for path: String) -> String {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "html": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "json": return "application/json"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "wav": return "audio/wav"
        case "mp3": return "audio/mpeg"
        case "ico": return "image/x-icon"
        case "txt": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }

    private static func list(_ root: String, _ prefix: String) -> [String] {
        guard let dir = opendir(prefix.isEmpty ? root : root + "/" + prefix) else { return [] }
        defer { closedir(dir) }
        var out: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            var st = stat()
            guard stat(root + "/" + relative, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                out += list(root, relative)
            } else {
                out.append(relative)
            }
        }
        return out
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n > 0 { out.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        return out
    }

    private static func fnv1a(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return String(h, radix: 16)
    }
}

/// gzip via zlib.
public enum Gzip {
    public static func compress(_ input: [UInt8], level: Int32 = 9) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16 selects the gzip wrapper instead of raw zlib.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        var input = input
        let produced: Int? = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                guard deflate(&stream, Z_FINISH) == Z_STREAM_END else { return nil }
                return outBuf.count - Int(stream.avail_out)
            }
        }
        guard let produced else { return nil }
        return Array(output[0..<produced])
    }
}
