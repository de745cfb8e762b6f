import Core

/// How `InferenceModel.extend` packs several sequences into one matrix: sequence i's new tokens are the rows
/// `segments[i].rows`, one after another. Both engines (`CausalLM`, `QuantizedCausalLM`) build their batches here.
enum ExtendRows {
    /// Each sequence's rows with its cache; stops on a count mismatch or an empty token list.
    static func segments(_ tokens: [[Int32]], _ caches: [KVCache], caller: String) -> [(rows: Range<Int>, cache: KVCache)] {
        check(tokens.count == caches.count && !tokens.isEmpty, "\(caller): \(tokens.count) token lists for \(caches.count) caches")
        var segments: [(rows: Range<Int>, cache: KVCache)] = []
        var start = 0
        for (t, c) in zip(tokens, caches) {
            check(!t.isEmpty, "\(caller): empty token list")
            segments.append((start..<start + t.count, c))
            start += t.count
        }
        return segments
    }

    /// The last row of each sequence (where its next token is predicted): [sequences, width] of `x`'s rows.
    static func lastRows(_ x: Tensor, _ tokens: [[Int32]]) -> Tensor {
        let width = x.shape[1]
        let last = Tensor(uninitialized: [tokens.count, width])
        var end = 0
        for (i, t) in tokens.enumerated() {
            end += t.count
            (last.pointer + i * width).update(from: x.pointer + (end - 1) * width, count: width)
        }
        return last
    }
}
