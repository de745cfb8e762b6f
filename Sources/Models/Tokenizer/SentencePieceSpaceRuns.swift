/// Gemma's GGUF files store its tokens for runs of 2 to 31 spaces with plain spaces ("  ") and mark them
/// user-defined, so llama.cpp matches them whole in the raw text. transformers instead spells them "▁▁" and
/// merges them before any other piece, in file order (Gemma's `tokenizer.json` lists them first), which differs from
/// llama.cpp on a space next to a literal "▁" and on runs longer than 31. This follows transformers: such
/// tokens become normal "▁" pieces that score above every other token.
enum SentencePieceSpaceRuns {
    static func respell(tokens: inout [String], types: inout [Int], scores: inout [Float]) {
        let runs = tokens.indices.filter { i in
            types[i] == BPETokenizer.TokenType.userDefined.rawValue && !tokens[i].isEmpty && tokens[i].utf8.allSatisfy { $0 == 0x20 }
        }
        guard !runs.isEmpty, scores.count == tokens.count else { return }
        let top = scores.filter(\.isFinite).max() ?? 0
        for (k, i) in runs.enumerated() {
            tokens[i] = String(repeating: "\u{2581}", count: tokens[i].utf8.count)
            types[i] = BPETokenizer.TokenType.normal.rawValue
            scores[i] = top + Float(runs.count - k)
        }
    }
}
