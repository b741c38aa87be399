@testable import Mail
import Time
import XCTest

/// The MIME message as an SMTP server and a mail program read it: headers, encodings, line lengths, attachment.
final class MIMEMessageTests: XCTestCase {
    let date = Instant(rfc3339: "2026-03-29T01:30:05Z")!

    func message(subject: String = "Uw afspraak is gemaakt (ABC234)", text: String = "Hallo,\nTot ziens.",
                 attachments: [MIMEMessage.Attachment] = []) -> MIMEMessage {
        MIMEMessage(from: .init(email: "no-reply@loket.example.nl", name: "Loket"), to: .init(email: "citizen@example.org"),
                    subject: subject, text: text, attachments: attachments, messageID: "4f1c9e2a-0000-4000-8000-000000000001@loket.example.nl",
                    date: date)
    }

    func testHeadersOfAPlainMessage() {
        let text = String(decoding: message().serialized(), as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n")[0]
        XCTAssertTrue(head.contains("Date: Sun, 29 Mar 2026 01:30:05 +0000"), head)
        XCTAssertTrue(head.contains("From: \"Loket\" <no-reply@loket.example.nl>"), head)
        XCTAssertTrue(head.contains("To: <citizen@example.org>"), head)
        XCTAssertTrue(head.contains("Message-ID: <4f1c9e2a-0000-4000-8000-000000000001@loket.example.nl>"), head)
        XCTAssertTrue(head.contains("Subject: Uw afspraak is gemaakt (ABC234)"), head)
        XCTAssertTrue(head.contains("MIME-Version: 1.0"), head)
        XCTAssertTrue(head.contains("Content-Type: text/plain; charset=utf-8"), head)
        XCTAssertTrue(head.contains("Content-Transfer-Encoding: base64"), head)
    }

    func testEveryLineIsSevenBitCRLFAndShort() {
        let long = String(repeating: "Дякуємо за ваш запис. ", count: 40) + "\n" + String(repeating: "شكراً ", count: 50)
        let ics = Array(("BEGIN:VCALENDAR\r\n" + String(repeating: "X", count: 500) + "\r\nEND:VCALENDAR\r\n").utf8)
        let bytes = message(subject: "Ваш запис підтверджено (ABC234) — " + String(repeating: "ü", count: 60), text: long,
                            attachments: [.init(contentType: "text/calendar; charset=utf-8; method=PUBLISH", filename: "afspraak-ABC234.ics", bytes: ics)])
            .serialized()
        XCTAssertTrue(bytes.allSatisfy { $0 < 128 }, "7-bit only")
        // Every LF is preceded by CR, and no bare CR.
        for (i, b) in bytes.enumerated() {
            if b == 10 { XCTAssertEqual(bytes[i - 1], 13, "bare LF at \(i)") }
            if b == 13 { XCTAssertEqual(bytes[i + 1], 10, "bare CR at \(i)") }
        }
        let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
        for line in lines { XCTAssertLessThanOrEqual(line.utf8.count, 78, line) }
        XCTAssertFalse(lines.contains { $0.hasPrefix(".") }, "nothing to dot-stuff")
    }

    func testNonASCIISubjectIsEncodedWordsSplitBetweenCharacters() {
        let subject = "Ваш запис підтверджено (ABC234) — нагадування про ваш запис у п'ятницю"
        let encoded = MIMEMessage.encodedWords(subject)
        let words = encoded.split(separator: " ")
        XCTAssertGreaterThan(words.count, 1)
        var decoded: [UInt8] = []
        for w in words {
            XCTAssertLessThanOrEqual(w.utf8.count, 75, String(w))
            XCTAssertTrue(w.hasPrefix("=?UTF-8?B?") && w.hasSuffix("?="), String(w))
            let payload = Array(w.dropFirst(10).dropLast(2).utf8)
            let chunk = base64Decode(payload)
            XCTAssertNotNil(String(validatingUTF8: chunk.map { CChar(bitPattern: $0) } + [0]), "each word is whole characters")
            decoded += chunk
        }
        XCTAssertEqual(String(decoding: decoded, as: UTF8.self), subject)
        XCTAssertEqual(MIMEMessage.encodedWords("Plain ASCII"), "Plain ASCII")
        XCTAssertEqual(MIMEMessage.encodedWords("no\r\nBcc: x@y.z"), "noBcc: x@y.z", "no header injection")
    }

    func testBodyAndAttachmentRoundTrip() {
        let ics = Array("BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n".utf8)
        let text = "Hallo Ayşe,\nUw afspraak: maandag 30 maart om 09:15.\n"
        let raw = String(decoding: message(text: text, attachments: [.init(contentType: "text/calendar; charset=utf-8; method=PUBLISH",
                                                                            filename: "afspraak-ABC234.ics", bytes: ics)]).serialized(), as: UTF8.self)
        XCTAssertTrue(raw.contains("Content-Type: multipart/mixed; boundary=\""), raw)
        let boundary = String(raw.components(separatedBy: "boundary=\"")[1].prefix { $0 != "\"" })
        let parts = raw.components(separatedBy: "--" + boundary)
        XCTAssertEqual(parts.count, 4, "preamble, text, attachment, end")
        XCTAssertTrue(parts[3].hasPrefix("--"))
        func body(_ part: String) -> [UInt8] {
            let b64 = part.components(separatedBy: "\r\n\r\n")[1].replacingOccurrences(of: "\r\n", with: "")
            return base64Decode(Array(b64.utf8))
        }
        XCTAssertEqual(String(decoding: body(parts[1]), as: UTF8.self), text.replacingOccurrences(of: "\n", with: "\r\n"))
        XCTAssertTrue(parts[2].contains("Content-Type: text/calendar; charset=utf-8; method=PUBLISH;\r\n name=\"afspraak-ABC234.ics\""), parts[2])
        XCTAssertTrue(parts[2].contains("Content-Disposition: attachment; filename=\"afspraak-ABC234.ics\""), parts[2])
        XCTAssertEqual(body(parts[2]), ics)
    }

    func testBase64AndDates() {
        XCTAssertEqual(MIMEMessage.base64(Array("".utf8)), "")
        XCTAssertEqual(MIMEMessage.base64(Array("f".utf8)), "Zg==")
        XCTAssertEqual(MIMEMessage.base64(Array("fo".utf8)), "Zm8=")
        XCTAssertEqual(MIMEMessage.base64(Array("foobar".utf8)), "Zm9vYmFy")
        XCTAssertEqual(MIMEMessage.rfc5322Date(Instant(seconds: 0)), "Thu, 1 Jan 1970 00:00:00 +0000")
        XCTAssertEqual(MIMEMessage.rfc5322Date(Instant(rfc3339: "2026-11-30T23:59:59Z")!), "Mon, 30 Nov 2026 23:59:59 +0000")
    }

    func testSMTPURLConventions() throws {
        XCTAssertEqual(try SMTPConfiguration(url: "smtp://127.0.0.1:2525").tls, SMTPConfiguration.TLS.none)
        let starttls = try SMTPConfiguration(url: "smtp://mail.example.nl:587?starttls=required")
        XCTAssertEqual(starttls.tls, .required)
        XCTAssertEqual(starttls.url, "smtp://mail.example.nl:587", "the option is not passed to libcurl")
        XCTAssertEqual(try SMTPConfiguration(url: "smtp://h:587?starttls=try").tls, .ifOffered)
        XCTAssertEqual(try SMTPConfiguration(url: "smtps://user:secret@h:465").redacted, "smtps://…@h:465")
        XCTAssertThrowsError(try SMTPConfiguration(url: "http://h"))
        XCTAssertThrowsError(try SMTPConfiguration(url: "smtp://h?tls=yes"))
        XCTAssertThrowsError(try SMTPConfiguration(url: "smtps://h?starttls=required"))
        XCTAssertThrowsError(try SMTPConfiguration(url: "smtp://"))
    }

    /// A server that is not there is a typed error, not a crash or a hang.
    func testUnreachableServerIsATypedError() {
        let client = SMTPClient(configuration: try! SMTPConfiguration(url: "smtp://127.0.0.1:1"), timeoutSeconds: 5)
        XCTAssertThrowsError(try client.send(message())) { error in
            guard case SMTPError.unreachable = error else { return XCTFail("\(error)") }
        }
    }

    func base64Decode(_ chars: [UInt8]) -> [UInt8] {
        var table = [UInt8: UInt32]()
        for (i, c) in MIMEMessage.alphabet.enumerated() { table[c] = UInt32(i) }
        var out: [UInt8] = [], buffer: UInt32 = 0, bits = 0
        for c in chars where c != 61 {
            guard let v = table[c] else { continue }
            buffer = buffer << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(buffer >> UInt32(bits) & 0xFF))
            }
        }
        return out
    }
}
