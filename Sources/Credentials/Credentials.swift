import CSodium

/// Errors from the cryptographic layer (libsodium).
public enum CredentialsError: Error, Equatable {
    case libraryUnavailable
    case hashingFailed
}

/// Password hashing with Argon2id (libsodium's `crypto_pwhash_str`), and random tokens with their digests.
///
/// Passwords are never stored or compared as text: only the Argon2id string, which carries its own salt and cost.
/// Bearer tokens are 32 random bytes; only their SHA-256 is stored, so a copy of the database cannot log anyone in.
public enum Credentials {
    private static let ready: Bool = sodium_init() >= 0

    /// Argon2id with libsodium's "interactive" cost (64 MiB, 2 passes): strong, yet a login stays well under a second.
    public static func hashPassword(_ password: String) throws -> String {
        guard ready else { throw CredentialsError.libraryUnavailable }
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        let bytes = Array(password.utf8)
        let rc = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(bytes.count, 1)) { p in
                crypto_pwhash_str(&out, p, UInt64(bytes.count),
                                  UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), Int(crypto_pwhash_MEMLIMIT_INTERACTIVE))
            }
        }
        guard rc == 0 else { throw CredentialsError.hashingFailed }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Constant-time verification of a password against a stored Argon2id string.
    public static func verifyPassword(_ password: String, hash: String) -> Bool {
        guard ready else { return false }
        let bytes = Array(password.utf8) + [0]
        return hash.withCString { h in
            bytes.withUnsafeBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { p in
                    crypto_pwhash_str_verify(h, p, UInt64(bytes.count - 1)) == 0
                }
            }
        }
    }

    /// A hash to verify against when the username does not exist, so a wrong username costs as long as a wrong
    /// password and response times do not reveal which accounts exist.
    public static let decoyHash: String = (try? hashPassword("decoy-\(randomToken())")) ?? ""

    /// `count` cryptographically random bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        var out = [UInt8](repeating: 0, count: count)
        randombytes_buf(&out, count)
        return out
    }

    /// A random URL-safe token (256 bits) for bearer sessions and device tokens.
    public static func randomToken() -> String {
        base64URL(randomBytes(32))
    }

    /// SHA-256 of the token's UTF-8 bytes: what the database stores instead of the token.
    public static func tokenDigest(_ token: String) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        let bytes = Array(token.utf8)
        crypto_hash_sha256(&out, bytes, UInt64(bytes.count))
        return out
    }

    /// SHA-256 of bytes (request fingerprints of `Idempotency-Key`).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        var out = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        crypto_hash_sha256(&out, bytes, UInt64(bytes.count))
        return out
    }

    /// Constant-time comparison of two byte strings of equal length.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        return sodium_memcmp(a, b, a.count) == 0
    }

    /// `plaintext` encrypted and authenticated with the 32-byte `key` (libsodium's secretbox, XSalsa20-Poly1305),
    /// as random nonce followed by the box: for secrets that must be kept but may only be read back by whoever
    /// holds the key (an Idempotency-Key's stored answer holds the manage token of a booking).
    public static func seal(_ plaintext: [UInt8], key: [UInt8]) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        precondition(key.count == crypto_secretbox_keybytes(), "a secretbox key is 32 bytes")
        let nonce = randomBytes(crypto_secretbox_noncebytes())
        var box = [UInt8](repeating: 0, count: plaintext.count + crypto_secretbox_macbytes())
        _ = crypto_secretbox_easy(&box, plaintext, UInt64(plaintext.count), nonce, key)
        return nonce + box
    }

    /// The plaintext of `seal`, or nil when `sealed` was not sealed with `key` or was altered.
    public static func open(_ sealed: [UInt8], key: [UInt8]) -> [UInt8]? {
        precondition(ready, "libsodium failed to initialise")
        let n = crypto_secretbox_noncebytes(), mac = crypto_secretbox_macbytes()
        guard key.count == crypto_secretbox_keybytes(), sealed.count >= n + mac else { return nil }
        let nonce = Array(sealed[..<n]), box = Array(sealed[n...])
        var out = [UInt8](repeating: 0, count: box.count - mac)
        guard crypto_secretbox_open_easy(&out, box, UInt64(box.count), nonce, key) == 0 else { return nil }
        return out
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
