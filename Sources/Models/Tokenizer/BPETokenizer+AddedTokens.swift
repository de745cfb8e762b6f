extension BPETokenizer {
    /// A tokenizer that also knows `specials` (`<|user|>`, `[mask]`, …) as control tokens, matched whole in any
    /// text, with the ids of `specials` in order. Strings already in the vocabulary keep their ids (a normal
    /// token among them becomes a control token, so it too is matched whole); the others are appended after
    /// the last id, in order. Everything else (merges, BOS/EOS, pre-tokenizer) is unchanged.
    public func addingSpecialTokens(_ specials: [String]) throws -> (tokenizer: BPETokenizer, ids: [Int32]) {
        var tokens = vocabulary, types = tokenTypes
        var known: [String: Int32] = [:]
        var ids: [Int32] = []
        for s in specials {
            guard !s.isEmpty else { throw TokenizerError(field: "specials", "an added token is empty") }
            let id: Int32
            if let existing = self.id(of: s) ?? known[s] {
                id = existing
            } else {
                id = Int32(tokens.count)
                tokens.append(s)
                types.append(TokenType.normal.rawValue)
                known[s] = id
            }
            if types[Int(id)] != TokenType.userDefined.rawValue { types[Int(id)] = TokenType.control.rawValue }
            ids.append(id)
        }
        if tokens.count == vocabSize && types == tokenTypes { return (self, ids) }
        // Scores imply the merges: the added tokens score below every other, so no merge makes them.
        var layout = sentencePiece
        if let scores = layout?.scores {
            layout?.scores = scores + Array(repeating: (scores.min() ?? 0) - 1, count: tokens.count - vocabSize)
        }
        // `ignoreMerges` is set for exactly the Llama 3 pre-tokenizer, as in the exported tokenizer.json.
        let grown = try BPETokenizer(tokens: tokens, merges: layout?.scores == nil ? mergeRules.map { ($0.left, $0.right) } : [],
                                     tokenTypes: types, bosID: bosID, eosID: eosID, unkID: unkID, padID: padID,
                                     addBOS: addBOS, addEOS: addEOS, preTokenizer: preTokenizer,
                                     ignoreMerges: preTokenizer == .llama3, normalizesNFC: normalizesNFC, sentencePiece: layout)
        return (grown, ids)
    }
}
