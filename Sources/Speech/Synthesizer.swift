import CSpeech
import Glibc
import Locking

/// The languages the kiosk and display speak, each an espeak-ng voice of Debian's `espeak-ng-data`.
public enum SpeechLanguage: String, Sendable, CaseIterable {
    case nl, en, ar, tr, pl, uk

    /// The espeak-ng voice name (`en` is British English).
    var voice: String { rawValue }
}

/// Why a text could not be spoken.
public enum SpeechError: Error, Equatable, CustomStringConvertible {
    /// espeak-ng did not start (its data folder is missing: install `espeak-ng-data`).
    case unavailable
    /// espeak-ng refused the text or voice (its error code).
    case synthesis(Int32)
    /// libopus or libogg failed (their error code).
    case encoding(Int32)
    /// Reading or writing the cache folder failed (errno).
    case file(String, Int32)

    public var description: String {
        switch self {
        case .unavailable: return "espeak-ng could not start (is espeak-ng-data installed?)"
        case .synthesis(let code): return "espeak-ng failed with code \(code)"
        case .encoding(let code): return "Opus encoding failed with code \(code)"
        case .file(let path, let code): return "\(path): \(String(cString: strerror(code)))"
        }
    }
}

/// One spoken sentence: its text and the language to speak it in.
public struct Utterance: Sendable, Equatable {
    public let text: String
    public let language: SpeechLanguage
    public init(_ text: String, _ language: SpeechLanguage) {
        self.text = text
        self.language = language
    }
}

/// Speech synthesis with espeak-ng: the one place its C calls are made.
///
/// espeak-ng keeps global state and is not thread-safe, so every synthesis in the process runs under one lock
/// (`shared`). Callers keep it off the database workers: a sentence costs tens of milliseconds of a core.
public final class Synthesizer: Sendable {
    /// The process's synthesizer (espeak-ng has one global instance).
    public static let shared = Synthesizer()

    private let lock = Mutex()
    private let state = LockedValue<Int32?>(nil)

    /// Slightly slower than espeak's 175 words per minute: the kiosk is for people who do not read well.
    public static let wordsPerMinute: Int32 = 150

    /// What makes the same text sound different: part of every cache key.
    public var voiceVersion: String {
        lock.withLock { "espeak-ng \(String(cString: loket_espeak_version())) rate \(Self.wordsPerMinute)" }
    }

    /// 16-bit mono samples of `utterances` spoken one after another with a short pause between them, and their
    /// sample rate.
    public func samples(_ utterances: [Utterance]) throws -> (samples: [Int16], sampleRate: Int) {
        try lock.withLock {
            let rate = try started()
            var out: [Int16] = []
            for (i, u) in utterances.enumerated() {
                if i > 0 { out.append(contentsOf: repeatElement(0, count: Int(rate) * 2 / 5)) }
                var buffer: UnsafeMutablePointer<Int16>?
                var count = 0
                // Text from the caller never carries SSML: espeak reads it as plain text (no espeakSSML flag).
                let code = loket_espeak_speak(u.language.voice, u.text, Self.wordsPerMinute, &buffer, &count)
                guard code == 0 else { throw SpeechError.synthesis(code) }
                if let buffer {
                    out.append(contentsOf: UnsafeBufferPointer(start: buffer, count: count))
                    free(buffer)
                }
            }
            return (out, Int(rate))
        }
    }

    /// Starts espeak-ng once (under the lock).
    private func started() throws -> Int32 {
        if let rate = state.get() { return rate }
        let rate = loket_espeak_init()
        guard rate > 0 else { throw SpeechError.unavailable }
        state.set(rate)
        return rate
    }
}
