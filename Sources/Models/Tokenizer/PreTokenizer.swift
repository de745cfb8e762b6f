/// How text is cut into words before byte-level BPE runs on each word separately. The scanners implement the
/// regular expressions below exactly (alternatives tried in order, first match wins), over Unicode scalars.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// SmolLM2: every `\p{N}` scalar is a word of its own, and the GPT-2 pattern cuts the text between them.
    case smollm
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case llama3
    /// Qwen2 / Qwen2.5: Llama 3's pattern with `\p{N}` for `\p{N}{1,3}` (every digit a word of its own).
    case qwen2

    /// The regular expression as `tokenizer.json` files spell it in a `Split` step (nil for SmolLM2's, which is
    /// a `Digits` step before GPT-2's).
    public var regex: String? {
        switch self {
        case .gpt2: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .smollm: nil
        case .llama3: #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2: #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The GGUF `tokenizer.ggml.pre` name llama.cpp knows this pattern by (what `init(ggufName:)` reads back).
    public var ggufName: String {
        switch self {
        case .gpt2: "gpt-2"
        case .smollm: "smollm"
        case .llama3: "llama-bpe"
        case .qwen2: "qwen2"
        }
    }

    /// The pre-tokenizer for a GGUF `tokenizer.ggml.pre` name (as llama.cpp writes them), or nil for names whose
    /// pattern is not one of these.
    public init?(ggufName name: String) {
        switch name {
        case "gpt-2", "gpt2": self = .gpt2
        case "smollm": self = .smollm
        case "llama3", "llama-v3", "llama-bpe": self = .llama3
        case "qwen2": self = .qwen2
        default: return nil
        }
    }

    /// The words of `text`, in order; they concatenate back to `text`.
    public func split(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            let scalars = ScalarText(bytes)
            var words: [String] = []
            var start = 0
            for end in wordEnds(scalars) {
                let range = scalars.offsets[start]..<scalars.offsets[end]
                words.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
                start = end
            }
            return words
        }
    }

    /// Where each word ends, as scalar indices in increasing order; the last is `scalars.count`. Every pattern
    /// matches at every position, so the words cover the text without gaps.
    func wordEnds(_ scalars: ScalarText) -> [Int] {
        var ends: [Int] = []
        ends.reserveCapacity(scalars.count / 3 + 1)
        switch self {
        case .gpt2:
            GPT2Pattern.split(scalars, 0, scalars.count, into: &ends)
        case .llama3:
            Llama3Pattern.split(scalars, 0, scalars.count, digits: 3, into: &ends)
        case .qwen2:
            Llama3Pattern.split(scalars, 0, scalars.count, digits: 1, into: &ends)
        case .smollm:
            var start = 0
            for i in 0..<scalars.count where scalars.classes[i] == .number {
                GPT2Pattern.split(scalars, start, i, into: &ends)
                ends.append(i + 1)
                start = i + 1
            }
            GPT2Pattern.split(scalars, start, scalars.count, into: &ends)
        }
        return ends
    }
}
