import CQREncode

/// Errors from libqrencode.
public enum QRCodeError: Error, Equatable {
    case encodingFailed
}

/// QR codes made by libqrencode, rendered as a compact SVG (one path, a 4-module quiet zone) that prints sharply
/// on an 80 mm thermal printer at any resolution.
public enum QRCode {
    /// The modules of a QR code for `text` (error correction M), row by row; true is dark.
    public static func modules(_ text: String) throws -> [[Bool]] {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else { throw QRCodeError.encodingFailed }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        var rows: [[Bool]] = []
        rows.reserveCapacity(width)
        for y in 0..<width {
            rows.append((0..<width).map { x in code.pointee.data[y * width + x] & 1 == 1 })
        }
        return rows
    }

    /// An SVG image of the QR code for `text`.
    public static func svg(_ text: String, title: String? = nil) throws -> String {
        let rows = try modules(text)
        let quiet = 4
        let size = rows.count + 2 * quiet
        var path = ""
        for (y, row) in rows.enumerated() {
            var x = 0
            while x < row.count {
                guard row[x] else { x += 1; continue }
                let start = x
                while x < row.count && row[x] { x += 1 }
                path += "M\(start + quiet) \(y + quiet)h\(x - start)v1h-\(x - start)z"
            }
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(size) \(size)\" shape-rendering=\"crispEdges\" role=\"img\""
        if let title { svg += " aria-label=\"\(escape(title))\"><title>\(escape(title))</title>" } else { svg += ">" }
        svg += "<rect width=\"\(size)\" height=\"\(size)\" fill=\"#fff\"/><path fill=\"#000\" d=\"\(path)\"/></svg>"
        return svg
    }

    private static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
