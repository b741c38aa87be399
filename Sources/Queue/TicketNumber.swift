/// The number a visitor holds and the display shows, such as `U007`.
///
/// The prefix letter is the service's (so a visitor can tell their queue at a glance); the sequence restarts at 1
/// every day per location and prefix. Every number has exactly one spelling — at least three digits, zero-padded —
/// so the text can be compared, stored and looked up without normalising.
///
/// Encoded (Codable) as its text, because that is what clients show and send back.
public struct TicketNumber: Sendable, Hashable, Comparable, Codable, CustomStringConvertible,
    LosslessStringConvertible
{
    /// One ASCII uppercase letter, `A`…`Z`.
    public let prefix: String
    /// The day's running number for this prefix, from 1.
    public let sequence: Int

    /// Shorter sequences are zero-padded to this many digits, so numbers on a display line up.
    public static let minimumDigits = 3

    public init(prefix: String, sequence: Int) throws(TicketNumberError) {
        guard Self.isValidPrefix(prefix) else { throw .invalidPrefix(prefix) }
        guard sequence >= 1 else { throw .invalidSequence(sequence) }
        self.prefix = prefix
        self.sequence = sequence
    }

    /// Reads the canonical spelling (`U007`, `U1234`); anything else — lowercase, missing or extra zero padding,
    /// signs, spaces — is nil, so two different texts never name the same ticket.
    public init?(parsing text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 1 + Self.minimumDigits, Self.isUppercaseASCIILetter(bytes[0]) else { return nil }
        let digits = bytes[1...]
        // A leading zero is only padding: "U0123" would be a second spelling of "U123".
        guard digits.count == Self.minimumDigits || digits.first != UInt8(ascii: "0") else { return nil }
        var sequence = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (shifted, overflow1) = sequence.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            sequence = next
        }
        guard let number = try? TicketNumber(prefix: String(decoding: bytes[..<1], as: UTF8.self), sequence: sequence)
        else { return nil }
        self = number
    }

    public init?(_ description: String) {
        self.init(parsing: description)
    }

    /// Whether `prefix` can be a service's ticket prefix: exactly one ASCII letter `A`…`Z`.
    public static func isValidPrefix(_ prefix: String) -> Bool {
        var bytes = prefix.utf8.makeIterator()
        guard let first = bytes.next(), bytes.next() == nil else { return false }
        return isUppercaseASCIILetter(first)
    }

    private static func isUppercaseASCIILetter(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
    }

    /// The visible number: `U007`, `U1234`.
    public var text: String {
        let digits = String(sequence)
        let padding = String(repeating: "0", count: max(0, Self.minimumDigits - digits.count))
        return prefix + padding + digits
    }

    /// What a display's speech synthesiser reads out: `U 7`. The space makes it say the letter and then the number
    /// ("U seven"), and without the padding it does not say "zero zero seven".
    public var spoken: String {
        "\(prefix) \(sequence)"
    }

    public var description: String { text }

    /// By prefix, then numerically by sequence, so that `U999` comes before `U1000`.
    public static func < (a: TicketNumber, b: TicketNumber) -> Bool {
        (a.prefix, a.sequence) < (b.prefix, b.sequence)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let number = TicketNumber(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "Expected a ticket number like U007 (a letter A–Z and at least 3 digits): \(text)"
            )
        }
        self = number
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// Why a ticket number could not be made; `message` is phrased for an administrator configuring a service.
public enum TicketNumberError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidPrefix(String)
    case invalidSequence(Int)

    public var message: String {
        switch self {
        case let .invalidPrefix(prefix):
            "A ticket prefix must be one capital letter A to Z, not \"\(prefix)\"."
        case let .invalidSequence(sequence):
            "A ticket sequence number starts at 1, so \(sequence) is not possible."
        }
    }

    public var description: String { message }
}
