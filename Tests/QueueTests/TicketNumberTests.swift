import Foundation
import Queue
import XCTest

final class TicketNumberTests: XCTestCase {
    private func number(_ prefix: String, _ sequence: Int) -> TicketNumber {
        do {
            return try TicketNumber(prefix: prefix, sequence: sequence)
        } catch {
            fatalError("\(prefix)\(sequence) should be valid: \(error)")
        }
    }

    func testTextPadsToThreeDigits() {
        XCTAssertEqual(number("U", 1).text, "U001")
        XCTAssertEqual(number("U", 7).text, "U007")
        XCTAssertEqual(number("U", 42).text, "U042")
        XCTAssertEqual(number("U", 999).text, "U999")
    }

    func testTextGrowsBeyondThreeDigitsWithoutPadding() {
        XCTAssertEqual(number("U", 1000).text, "U1000")
        XCTAssertEqual(number("U", 1234).text, "U1234")
        XCTAssertEqual(number("B", 1_000_000).text, "B1000000")
        XCTAssertEqual(number("U", 1234).description, "U1234")
    }

    func testSpokenHasNoPaddingAndASpace() {
        XCTAssertEqual(number("U", 7).spoken, "U 7")
        XCTAssertEqual(number("A", 1234).spoken, "A 1234")
    }

    func testAcceptsEveryUppercaseASCIILetter() {
        for scalar in UnicodeScalar("A").value...UnicodeScalar("Z").value {
            let prefix = String(UnicodeScalar(scalar)!)
            XCTAssertTrue(TicketNumber.isValidPrefix(prefix), prefix)
            XCTAssertEqual(number(prefix, 1).prefix, prefix)
        }
    }

    func testRejectsInvalidPrefixes() {
        // "@" and "[" border A and Z in ASCII; the rest look like letters but are not one ASCII capital.
        let invalid = ["", "a", "u", "z", "UU", "1", "@", "[", " ", "U ", " U",
                       "Ä", "É", "U\u{301}", "Ｕ", "-", "Σ"]
        for prefix in invalid {
            XCTAssertFalse(TicketNumber.isValidPrefix(prefix), prefix)
            XCTAssertThrowsError(try TicketNumber(prefix: prefix, sequence: 1), prefix) { error in
                XCTAssertEqual(error as? TicketNumberError, .invalidPrefix(prefix))
            }
        }
    }

    func testRejectsSequencesBelowOne() {
        for sequence in [0, -1, Int.min] {
            XCTAssertThrowsError(try TicketNumber(prefix: "U", sequence: sequence)) { error in
                XCTAssertEqual(error as? TicketNumberError, .invalidSequence(sequence))
            }
        }
    }

    func testErrorMessages() {
        XCTAssertEqual(TicketNumberError.invalidPrefix("u").message,
                       "A ticket prefix must be one capital letter A to Z, not \"u\".")
        XCTAssertEqual(TicketNumberError.invalidSequence(0).description,
                       "A ticket sequence number starts at 1, so 0 is not possible.")
    }

    func testParsesCanonicalText() {
        XCTAssertEqual(TicketNumber(parsing: "U007"), number("U", 7))
        XCTAssertEqual(TicketNumber(parsing: "A001"), number("A", 1))
        XCTAssertEqual(TicketNumber(parsing: "Z999"), number("Z", 999))
        XCTAssertEqual(TicketNumber(parsing: "U1000"), number("U", 1000))
        XCTAssertEqual(TicketNumber(parsing: "U1234"), number("U", 1234))
        XCTAssertEqual(TicketNumber(parsing: "xU042y".dropFirst().dropLast()), number("U", 42))
        XCTAssertEqual(TicketNumber("B010"), number("B", 10))
    }

    func testTextAndParsingRoundTrip() {
        for sequence in [1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 123_456, Int.max] {
            let original = number("K", sequence)
            XCTAssertEqual(TicketNumber(parsing: original.text), original, original.text)
        }
    }

    func testRejectsNonCanonicalText() {
        let invalid = [
            "", "U", "U7", "U07", "007", "u007", "UU007", "1007",
            "U0007", "U01000", "U000", "U0000",                   // extra padding or sequence zero
            "U+07", "U-07", "U+007", " U007", "U007 ", "U 007", "U00 7",
            "U007\n", "U0x7", "Ä007", "U１２３", "U٠٠٧",          // fullwidth and Arabic-Indic digits
            "U99999999999999999999999",                           // overflows Int
        ]
        for text in invalid {
            XCTAssertNil(TicketNumber(parsing: text), text)
        }
    }

    func testOrdersByPrefixThenNumerically() {
        XCTAssertLessThan(number("U", 999), number("U", 1000))
        XCTAssertLessThan(number("U", 7), number("U", 10))
        XCTAssertLessThan(number("A", 999), number("B", 1))
        XCTAssertFalse(number("U", 7) < number("U", 7))
        let shuffled = [number("U", 1000), number("B", 2), number("U", 999), number("U", 1), number("B", 10)]
        XCTAssertEqual(shuffled.sorted().map(\.text), ["B002", "B010", "U001", "U999", "U1000"])
    }

    func testCodableAsText() throws {
        let encoded = try JSONEncoder().encode([number("U", 7), number("U", 1234)])
        XCTAssertEqual(String(decoding: encoded, as: UTF8.self), #"["U007","U1234"]"#)
        XCTAssertEqual(try JSONDecoder().decode([TicketNumber].self, from: encoded),
                       [number("U", 7), number("U", 1234)])
        XCTAssertThrowsError(try JSONDecoder().decode([TicketNumber].self, from: Data(#"["U7"]"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode([TicketNumber].self, from: Data("[7]".utf8)))
    }
}
