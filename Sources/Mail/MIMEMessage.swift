import Time

/// An e-mail as sent: headers, a UTF-8 text body and optional attachments (RFC 5322, 2045–2047, 2231).
///
/// Everything leaves as 7-bit lines ≤ 78 octets ending in CRLF: the body and attachments in base64 (Arabic,
/// Ukrainian and Turkish texts would make quoted-printable longer and no more readable), non-ASCII header words as
/// RFC 2047 encoded-words. So any SMTP server takes it without 8BITMIME, and nothing in it needs dot-stuffing
/// (no line starts with a dot: base64 has no dots and headers start with a name).
public struct MIMEMessage: Sendable {
    public struct Address: Sendable, Equatable {
        public var email: String
        /// Shown name (may be non-ASCII; encoded on output).
        public var name: String?
        public init(email: String, name: String? = nil) {
            self.email = email
            self.name = name
        }
    }

    public struct Attachment: Sendable {
        /// E.g. `text/calendar; charset=utf-8; method=PUBLISH`.
        public var contentType: String
        public var filename: String
        public var bytes: [UInt8]
        public init(contentType: String, filename: String, bytes: [UInt8]) {
            self.contentType = contentType
            self.filename = filename
            self.bytes = bytes
        }
    }

    public var from: Address
    public var to: Address
    public var subject: String
    public var text: String
    public var attachments: [Attachment]
    /// Without angle brackets, e.g. `4f1c…@loket.example.nl`. Stable per outbox message, so a message sent again
    /// after a crash carries the same id and mail programs can recognise the copy.
    public var messageID: String
    public var date: Instant

    public init(from: Address, to: Address, subject: String, text: String, attachments: [Attachment] = [], messageID: String, date: Instant) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.attachments = attachments
        self.messageID = messageID
        self.date = date
    }

    /// The message as SMTP DATA (CRLF line ends, without the terminating dot).
    public func serialized() -> [UInt8] {
        var lines: [String] = []
        lines.append("Date: " + MIMEMessage.rfc5322Date(date))
        lines.append(MIMEMessage.header("From", MIMEMessage.address(from)))
        lines.append(MIMEMessage.header("To", MIMEMessage.address(to)))
        lines.append("Message-ID: <" + MIMEMessage.headerSafe(messageID) + ">")
        lines.append(MIMEMessage.header("Subject", MIMEMessage.encodedWords(subject)))
        lines.append("MIME-Version: 1.0")
        // Automatic mail: out-of-office replies should not answer it (RFC 3834).
        lines.append("Auto-Submitted: auto-generated")
        let textPart = ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", ""]
            + MIMEMessage.base64Lines(Array(MIMEMessage.crlf(text).utf8))
        if attachments.isEmpty {
            lines += textPart
        } else {
            let boundary = "=_loket_" + MIMEMessage.headerSafe(messageID).filter { $0.isLetter || $0.isNumber }.prefix(24)
            lines.append("Content-Type: multipart/mixed; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a MIME message.")
            lines.append("--" + boundary)
            lines += textPart
            for a in attachments {
                lines.append("--" + boundary)
                let name = MIMEMessage.headerSafe(a.filename).filter { $0.isASCII && $0 != "\"" && $0 != "\\" }
                lines.append(MIMEMessage.header("Content-Type", MIMEMessage.headerSafe(a.contentType) + "; name=\"\(name)\""))
                lines.append(MIMEMessage.header("Content-Disposition", "attachment; filename=\"\(name)\""))
                lines.append("Content-Transfer-Encoding: base64")
                lines.append("")
                lines += MIMEMessage.base64Lines(a.bytes)
            }
            lines.append("--" + boundary + "--")
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    // MARK: Pieces (internal for the tests)

    /// CR and LF would start a new header: a header value never contains them.
    static func headerSafe(_ s: String) -> String {
        String(s.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != "\0" })
    }

    /// `Name: value`, folded at spaces so no line passes 78 octets where that is possible.
    static func header(_ name: String, _ value: String) -> String {
        var out = name + ":"
        var lineLength = out.utf8.count
        for word in value.split(separator: " ", omittingEmptySubsequences: true) {
            // Never before the first word: some readers keep the folding space as part of the value.
            if lineLength + 1 + word.utf8.count > 78 && lineLength > name.utf8.count + 1 {
                out += "\r\n"
                lineLength = 0
            }
            out += " " + word
            lineLength += 1 + word.utf8.count
        }
        return out
    }

    /// `"Name" <a@b>` with a non-ASCII name as encoded-words, or `<a@b>`.
    static func address(_ a: Address) -> String {
        let email = "<" + headerSafe(a.email).filter { $0 != "<" && $0 != ">" && $0 != " " } + ">"
        guard let name = a.name.map(headerSafe), !name.isEmpty else { return email }
        if name.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 }) {
            let quoted = name.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
            return "\"" + quoted + "\" " + email
        }
        return encodedWords(name) + " " + email
    }

    /// Plain ASCII stays as it is; anything else becomes RFC 2047 `=?UTF-8?B?…?=` words of at most 75 octets,
    /// split between characters (a character's bytes are never divided over two words).
    static func encodedWords(_ text: String) -> String {
        let clean = headerSafe(text)
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 32 && $0.value < 127 }) { return clean }
        // 39 bytes of UTF-8 → 52 base64 characters → words of 64 octets: within RFC 2047's 75, and short enough that
        // `Subject: ` and the first word fit on one 78-octet line (no fold before the first word).
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in clean {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > 39 && !chunk.isEmpty {
                words.append("=?UTF-8?B?" + base64(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + base64(chunk) + "?=") }
        return words.joined(separator: " ")
    }

    /// Every line end as CRLF.
    static func crlf(_ text: String) -> String {
        var out = ""
        for ch in text {
            // "\r\n" is one Character in Swift; a lone CR or LF becomes CRLF too.
            if ch == "\r\n" || ch == "\n" || ch == "\r" { out += "\r\n" } else { out.append(ch) }
        }
        return out
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], 61, 61]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], 61]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Base64 in lines of 76 characters (RFC 2045).
    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let all = Array(base64(bytes).utf8)
        var lines: [String] = []
        var i = 0
        while i < all.count {
            lines.append(String(decoding: all[i..<min(i + 76, all.count)], as: UTF8.self))
            i += 76
        }
        return lines
    }

    /// `Mon, 30 Nov 2026 02:29:40 +0000` (UTC; the zone of the text is the citizen's, not the header's).
    public static func rfc5322Date(_ instant: Instant) -> String {
        let seconds = instant.microseconds >= 0 ? instant.microseconds / 1_000_000 : (instant.microseconds - 999_999) / 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = Instant.civil(fromDays: days)
        // 1970-01-01 was a Thursday.
        let weekday = ((days % 7) + 7 + 4) % 7
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(names[Int(weekday)]), \(d) \(months[Int(m) - 1]) \(y) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
    }
}
