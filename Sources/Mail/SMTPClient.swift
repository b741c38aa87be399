import CCurl

/// Why a message was not handed over; the outbox keeps the description as `last_error` (never the message itself).
public enum SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `LOKET_SMTP_URL` is not a usable smtp:// or smtps:// URL.
    case badURL(String)
    /// The server could not be reached (name, connection refused, timed out).
    case unreachable(String)
    /// TLS was required and could not be set up, or the certificate was not trusted.
    case tls(String)
    /// The server refused the login.
    case login(String)
    /// The server answered with a 4xx/5xx reply (to MAIL FROM, RCPT TO, DATA or the message).
    case refused(code: Int, String)
    /// Anything else libcurl reported.
    case transfer(code: Int, String)

    public var description: String {
        switch self {
        case .badURL(let m): return "bad SMTP URL: \(m)"
        case .unreachable(let m): return "SMTP server unreachable: \(m)"
        case .tls(let m): return "TLS failed: \(m)"
        case .login(let m): return "SMTP login refused: \(m)"
        case .refused(let code, let m): return "SMTP server refused (\(code)): \(m)"
        case .transfer(let code, let m): return "SMTP transfer failed (curl \(code)): \(m)"
        }
    }
}

/// Where and how to submit mail, from `LOKET_SMTP_URL`:
///
/// - `smtp://host:port` — plain SMTP (a relay on the same host or network);
/// - `smtp://host:587?starttls=required` — STARTTLS, refusing to send if the server does not offer it
///   (`?starttls=try`: use it when offered);
/// - `smtps://host:465` — TLS from the first byte;
/// - `user:password@` in the URL logs in (URL-encode special characters).
///
/// The query is Loket's convention and is removed before libcurl sees the URL.
public struct SMTPConfiguration: Sendable, Equatable {
    public enum TLS: Int32, Sendable { case none = 0, ifOffered = 1, required = 2 }
    public let url: String
    public let tls: TLS

    public init(url text: String) throws {
        let lower = text.lowercased()
        guard lower.hasPrefix("smtp://") || lower.hasPrefix("smtps://") else {
            throw SMTPError.badURL("must start with smtp:// or smtps://")
        }
        var base = Substring(text), tls = TLS.none
        if let q = text.firstIndex(of: "?") {
            base = text[..<q]
            for pair in text[text.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, kv[0] == "starttls" else { throw SMTPError.badURL("unknown option \(pair) (only starttls=required or starttls=try)") }
                switch kv[1] {
                case "required": tls = .required
                case "try": tls = .ifOffered
                default: throw SMTPError.badURL("starttls must be required or try")
                }
            }
            if lower.hasPrefix("smtps://") && tls != .none { throw SMTPError.badURL("smtps:// is TLS already; starttls applies to smtp://") }
        }
        guard base.count > (lower.hasPrefix("smtps") ? 8 : 7) else { throw SMTPError.badURL("names no host") }
        url = String(base)
        self.tls = tls
    }

    /// The URL without a password, for logs and the readiness answer.
    public var redacted: String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.firstRange(of: "://") else { return url }
        return String(url[..<scheme.upperBound]) + "…@" + url[url.index(after: at)...]
    }
}

/// Hands messages to an SMTP server with libcurl: the single place that talks SMTP (and the only caller of CCurl).
/// Blocking: call it from a job thread, never from the HTTP threads.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    /// The whole transfer's limit; keep it well below the outbox lease so a slow server cannot outlive the claim.
    public let timeoutSeconds: Int

    public init(configuration: SMTPConfiguration, timeoutSeconds: Int = 60) {
        self.configuration = configuration
        self.timeoutSeconds = max(1, timeoutSeconds)
    }

    /// Sends `message` from its `from` address to its `to` address (the envelope follows the headers).
    public func send(_ message: MIMEMessage) throws(SMTPError) {
        let data = message.serialized()
        let from = "<" + message.from.email + ">"
        let to = "<" + message.to.email + ">"
        var responseCode = 0
        var errorBuffer = [CChar](repeating: 0, count: 512)
        let rc: Int32 = configuration.url.withCString { url in
            from.withCString { fromPtr in
                to.withCString { toPtr in
                    var recipients: [UnsafePointer<CChar>?] = [toPtr]
                    return recipients.withUnsafeMutableBufferPointer { rcpt in
                        data.withUnsafeBufferPointer { bytes in
                            errorBuffer.withUnsafeMutableBufferPointer { err in
                                loket_smtp_send(url, fromPtr, rcpt.baseAddress, 1, bytes.baseAddress, bytes.count,
                                                Int32(configuration.tls.rawValue), timeoutSeconds, &responseCode, err.baseAddress, err.count)
                            }
                        }
                    }
                }
            }
        }
        guard rc != Int32(LOKET_CURLE_OK) else { return }
        let text = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch rc {
        case Int32(LOKET_CURLE_COULDNT_RESOLVE_HOST), Int32(LOKET_CURLE_COULDNT_CONNECT), Int32(LOKET_CURLE_OPERATION_TIMEDOUT):
            throw .unreachable(text)
        case Int32(LOKET_CURLE_SSL_CONNECT_ERROR), Int32(LOKET_CURLE_PEER_FAILED_VERIFICATION), Int32(LOKET_CURLE_USE_SSL_FAILED):
            throw .tls(text)
        case Int32(LOKET_CURLE_LOGIN_DENIED):
            throw .login(text)
        default:
            if responseCode >= 400 { throw .refused(code: responseCode, text) }
            throw .transfer(code: Int(rc), text)
        }
    }
}
