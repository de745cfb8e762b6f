/// Learns a byte-level BPE vocabulary from a corpus, for models trained from scratch (the study's small
/// decoder). The vocabulary is the 256 bytes, then one token per merge in rank order, then the special tokens
/// (control tokens, matched whole in text). Deterministic: ties between pairs go to the lexicographically
/// smallest pair, so the same corpus always gives the same tokenizer.
public enum BPETrainer {
    /// Learns up to `merges` merges from `texts`, each merge the most frequent adjacent pair of tokens within
    /// the pre-tokenizer's words, stopping early when no pair occurs `minFrequency` times. The first of
    /// `specials` is the end-of-sequence token.
    public static func train(_ texts: [String], merges: Int, minFrequency: Int = 2, preTokenizer: PreTokenizer = .smollm,
                             specials: [String]) throws -> BPETokenizer {
        // Each distinct word once, as a list of symbols, with its frequency; sorted so the result is independent
        // of dictionary order.
        var counts: [String: Int] = [:]
        for text in texts {
            for word in preTokenizer.split(text) { counts[word, default: 0] += 1 }
        }
        var words = counts.sorted { $0.key < $1.key }.map { entry in
            (symbols: Array(ByteLevel.string(entry.key.utf8)).map(String.init), count: entry.value)
        }

        var rules: [(String, String)] = []
        while rules.count < merges {
            var pairs: [Pair: Int] = [:]
            for word in words where word.symbols.count > 1 {
                for i in 0..<(word.symbols.count - 1) {
                    pairs[Pair(left: word.symbols[i], right: word.symbols[i + 1]), default: 0] += word.count
                }
            }
            guard let best = pairs.max(by: { a, b in a.value != b.value ? a.value < b.value : b.key < a.key }),
                  best.value >= minFrequency else { break }
            rules.append((best.key.left, best.key.right))
            let merged = best.key.left + best.key.right
            for w in words.indices where words[w].symbols.count > 1 {
                var out: [String] = [], i = 0
                let symbols = words[w].symbols
                while i < symbols.count {
                    if i + 1 < symbols.count && symbols[i] == best.key.left && symbols[i + 1] == best.key.right {
                        out.append(merged)
                        i += 2
                    } else {
                        out.append(symbols[i])
                        i += 1
                    }
                }
                words[w].symbols = out
            }
        }

        // Two merges can spell the same token ("ab"+"c", "a"+"bc"): it is listed once.
        var tokens = ByteLevel.scalarForByte.map { String(Character($0)) }
        var known = Set(tokens)
        for (left, right) in rules where known.insert(left + right).inserted { tokens.append(left + right) }
        let normal = tokens.count
        tokens += specials
        let types = [Int](repeating: BPETokenizer.TokenType.normal.rawValue, count: normal)
            + [Int](repeating: BPETokenizer.TokenType.control.rawValue, count: specials.count)
        return try BPETokenizer(tokens: tokens, merges: rules, tokenTypes: types,
                                eosID: specials.isEmpty ? nil : Int32(normal), preTokenizer: preTokenizer)
    }

    private struct Pair: Hashable, Comparable {
        let left: String, right: String
        static func < (a: Pair, b: Pair) -> Bool { (a.left, a.right) < (b.left, b.right) }
    }
}
