import CSpeech

/// Ogg Opus (RFC 7845) files from 16-bit mono samples: what Chromium, Firefox and Safari play natively, at a
/// fraction of WAV's size (espeak's 22,050 Hz 16-bit WAV is ~44 KB a second; this is ~2 KB a second).
public enum OggOpus {
    /// Opus encodes at 24 kHz here: espeak's voices carry little above 10 kHz.
    static let encodingRate = 24_000
    /// 20 ms frames.
    static let frameSamples = encodingRate / 50
    /// Bits per second: speech stays clear at 16 kbit/s in Opus's voice mode.
    public static let bitrate: Int32 = 16_000

    /// The file of `samples` at `sampleRate` Hz.
    public static func encode(_ samples: [Int16], sampleRate: Int) throws -> [UInt8] {
        let pcm = resample(samples, from: sampleRate, to: encodingRate)
        var error: Int32 = 0
        guard let encoder = opus_encoder_create(Int32(encodingRate), 1, OPUS_APPLICATION_VOIP, &error), error == OPUS_OK else {
            throw SpeechError.encoding(error)
        }
        defer { opus_encoder_destroy(encoder) }
        _ = loket_opus_set_bitrate(encoder, bitrate)
        _ = loket_opus_set_signal_voice(encoder)
        var lookahead: Int32 = 0
        _ = loket_opus_lookahead(encoder, &lookahead)
        // Granule positions count 48 kHz samples whatever the encoding rate (RFC 7845 section 4).
        let scale = 48_000 / encodingRate
        let preSkip = Int(lookahead) * scale

        var stream = ogg_stream_state()
        guard ogg_stream_init(&stream, 0x4C4F_4B54) == 0 else { throw SpeechError.encoding(-1) } // "LOKT"
        defer { ogg_stream_clear(&stream) }
        var file: [UInt8] = []
        file.reserveCapacity(pcm.count / 6 + 256)

        var head: [UInt8] = Array("OpusHead".utf8) + [1, 1]
        head += le16(UInt16(preSkip)) + le32(UInt32(sampleRate)) + [0, 0, 0]
        var tags: [UInt8] = Array("OpusTags".utf8)
        let vendor = Array("loket espeak-ng".utf8)
        tags += le32(UInt32(vendor.count)) + vendor + le32(0)
        try packet(&stream, head, number: 0, granule: 0, first: true, last: false)
        flush(&stream, into: &file)
        try packet(&stream, tags, number: 1, granule: 0, first: false, last: false)
        flush(&stream, into: &file)

        // Padding: enough silence after the end that the encoder's lookahead is flushed out too.
        let frames = (pcm.count + Int(lookahead) + frameSamples - 1) / frameSamples
        var frame = [Int16](repeating: 0, count: frameSamples)
        var out = [UInt8](repeating: 0, count: 1500)
        for f in 0..<frames {
            for i in 0..<frameSamples {
                let j = f * frameSamples + i
                frame[i] = j < pcm.count ? pcm[j] : 0
            }
            let n = opus_encode(encoder, frame, Int32(frameSamples), &out, Int32(out.count))
            guard n > 0 else { throw SpeechError.encoding(n) }
            let last = f == frames - 1
            // The last page's granule position marks where the real samples end, so players trim the padding.
            let granule = last ? preSkip + pcm.count * scale : preSkip + (f + 1) * frameSamples * scale
            try packet(&stream, Array(out[0..<Int(n)]), number: 2 + f, granule: granule, first: false, last: last)
            pageOut(&stream, into: &file)
        }
        flush(&stream, into: &file)
        return file
    }

    private static func packet(_ stream: inout ogg_stream_state, _ bytes: [UInt8], number: Int, granule: Int,
                               first: Bool, last: Bool) throws {
        var bytes = bytes
        let code = bytes.withUnsafeMutableBufferPointer { buf -> Int32 in
            var p = ogg_packet(packet: buf.baseAddress, bytes: buf.count, b_o_s: first ? 1 : 0, e_o_s: last ? 1 : 0,
                               granulepos: ogg_int64_t(granule), packetno: ogg_int64_t(number))
            return ogg_stream_packetin(&stream, &p)
        }
        guard code == 0 else { throw SpeechError.encoding(code) }
    }

    private static func flush(_ stream: inout ogg_stream_state, into file: inout [UInt8]) {
        var page = ogg_page()
        while ogg_stream_flush(&stream, &page) != 0 { append(page, to: &file) }
    }

    private static func pageOut(_ stream: inout ogg_stream_state, into file: inout [UInt8]) {
        var page = ogg_page()
        while ogg_stream_pageout(&stream, &page) != 0 { append(page, to: &file) }
    }

    private static func append(_ page: ogg_page, to file: inout [UInt8]) {
        file.append(contentsOf: UnsafeBufferPointer(start: page.header, count: page.header_len))
        file.append(contentsOf: UnsafeBufferPointer(start: page.body, count: page.body_len))
    }

    private static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    /// Linear interpolation: enough for a formant voice going from 22,050 to 24,000 Hz.
    static func resample(_ input: [Int16], from: Int, to: Int) -> [Int16] {
        guard from != to, !input.isEmpty else { return input }
        let count = Int((Int64(input.count) * Int64(to)) / Int64(from))
        var out = [Int16](repeating: 0, count: count)
        let step = Double(from) / Double(to)
        for i in 0..<count {
            let x = Double(i) * step
            let j = Int(x)
            let a = Double(input[min(j, input.count - 1)])
            let b = Double(input[min(j + 1, input.count - 1)])
            out[i] = Int16(clamping: Int((a + (b - a) * (x - Double(j))).rounded()))
        }
        return out
    }
}
