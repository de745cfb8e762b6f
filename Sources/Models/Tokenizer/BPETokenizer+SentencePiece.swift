extension BPETokenizer {
    /// The `<0xXX>` token of each byte, found among the byte-typed tokens; every byte must have one.
    static func byteTokenIDs(tokens: [String], types: [Int]) throws -> [Int32] {
        var ids = [Int32](repeating: -1, count: 256)
        for (i, t) in tokens.enumerated() where types[i] == TokenType.byte.rawValue {
            guard let byte = SentencePieceLayout.byte(ofTokenName: t) else {
                throw TokenizerError(field: "tokens[\(i)]", "\"\(t)\" has the byte type but is not spelled <0xXX>")
            }
            if ids[Int(byte)] < 0 { ids[Int(byte)] = Int32(i) }
        }
        if let missing = ids.firstIndex(of: -1) {
            throw TokenizerError(field: "tokens", "there is no byte token \(SentencePieceLayout.byteTokenName(UInt8(missing))) for byte fallback")
        }
        return ids
    }

    static func checkScores(_ scores: [Float], tokenCount: Int, merges: Int) throws {
        guard scores.count == tokenCount else {
            throw TokenizerError(field: "scores", "\(scores.count) scores for \(tokenCount) tokens")
        }
        if let bad = scores.firstIndex(where: { !$0.isFinite }) {
            throw TokenizerError(field: "scores[\(bad)]", "\(scores[bad]) is not a finite score")
        }
        guard merges == 0 else { throw TokenizerError(field: "merges", "merges are given as well as scores, which imply them") }
    }
}
