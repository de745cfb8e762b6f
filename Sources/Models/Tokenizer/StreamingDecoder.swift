/// Decodes ids one at a time for streaming generation, returning only text that is complete: the bytes of a
/// character split across tokens are held back until its last byte arrives. Everything returned by `add`
/// followed by `finish()` equals `decode` of all the ids at once.
public struct StreamingDecoder: Sendable {
    private let tokenizer: BPETokenizer
    private let skipSpecial: Bool
    private var pending: [UInt8] = []
    /// Set until the first byte arrives when the tokenizer drops one leading space, as `decode` does.
    private var stripsLeadingSpace: Bool

    public init(tokenizer: BPETokenizer, skipSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
        stripsLeadingSpace = tokenizer.stripsLeadingSpace
    }

    /// The text completed by `id` (often empty mid-character).
    public mutating func add(_ id: Int32) -> String {
        tokenizer.appendBytes(of: id, skipSpecial: skipSpecial, to: &pending)
        if stripsLeadingSpace, let first = pending.first {
            if first == 0x20 { pending.removeFirst() }
            stripsLeadingSpace = false
        }
        let keep = Self.incompleteSuffixLength(pending)
        let text = String(decoding: pending[..<(pending.count - keep)], as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// Whatever is held back, with an unfinished character shown as U+FFFD; the decoder is then empty.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// How many trailing bytes are the start of a well-formed UTF-8 sequence that is still missing bytes. Only
    /// those can change meaning when more bytes come; anything else decodes the same now as later.
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        guard !bytes.isEmpty else { return 0 }
        for back in 1...min(3, bytes.count) {
            let lead = bytes[bytes.count - back]
            if lead & 0xC0 == 0x80 { continue }  // a continuation byte: the lead is further back
            let length = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0
            guard back < length else { return 0 }
            if back >= 2 {
                // The second byte's range depends on the lead (no overlongs, surrogates or values past U+10FFFF).
                let second = bytes[bytes.count - back + 1]
                let range: ClosedRange<UInt8> = switch lead {
                case 0xE0: 0xA0...0xBF
                case 0xED: 0x80...0x9F
                case 0xF0: 0x90...0xBF
                case 0xF4: 0x80...0x8F
                default: 0x80...0xBF
                }
                guard range.contains(second) else { return 0 }
            }
            return back
        }
        return 0
    }
}
