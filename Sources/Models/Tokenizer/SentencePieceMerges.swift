/// The merges a SentencePiece vocabulary with scores implies (GGUF stores no merge list for these), as llama.cpp
/// finds them: two adjacent tokens merge when together they are a token, and merges rank by the score of the
/// token they make, higher first. Merges into equally scored tokens share a rank, so the leftmost pair goes
/// first. Byte tokens are never made by merging. Looked up per pair while encoding: listing all the merges
/// of 262,144 tokens up front would take longer than loading the rest of the tokenizer.
struct ScoredMerges: MergeTable {
    private let index: TokenBytesIndex
    /// Per token: the dense rank of its score (0 for the best), `UInt32.max` for byte tokens.
    private let ranks: [UInt32]

    /// Scores must be finite and one per token (the caller checks).
    init(index: TokenBytesIndex, scores: [Float], types: [Int]) {
        self.index = index
        let rankOfScore = SentencePieceMerges.denseRanks(scores)
        ranks = scores.indices.map { i in types[i] == BPETokenizer.TokenType.byte.rawValue ? .max : UInt32(rankOfScore[scores[i]]!) }
    }

    func merge(_ left: Int32, _ right: Int32) -> UInt64? {
        guard let merged = index.id(joining: left, right), ranks[Int(merged)] != .max else { return nil }
        return UInt64(ranks[Int(merged)]) << 32 | UInt64(UInt32(bitPattern: merged))
    }
}

/// The same merges as a ranked list, for writing a `tokenizer.json`; and scores from a ranked list.
enum SentencePieceMerges {
    struct Merge {
        var left: Int32, right: Int32, merged: Int32, rank: Int
    }

    /// Scores must be finite and one per token (the caller checks). Byte tokens are not cut.
    static func fromScores(tokens: [String], scores: [Float], types: [Int]) -> [Merge] {
        let rankOfScore = denseRanks(scores)
        let index = TokenBytesIndex(tokens)
        var merges: [Merge] = []
        for i in tokens.indices where types[i] != BPETokenizer.TokenType.byte.rawValue {
            let rank = rankOfScore[scores[i]]!
            index.withBytes(of: i) { token in
                // Cut between characters: never before a UTF-8 continuation byte.
                for cut in 1..<max(token.count, 1) where token[cut] & 0xC0 != 0x80 {
                    if let left = index.id(of: UnsafeBufferPointer(rebasing: token[..<cut])),
                       let right = index.id(of: UnsafeBufferPointer(rebasing: token[cut...])) {
                        merges.append(Merge(left: left, right: right, merged: Int32(i), rank: rank))
                    }
                }
            }
        }
        merges.sort { ($0.rank, $0.merged) < ($1.rank, $1.merged) }
        return merges
    }

    /// Each distinct score's rank, 0 for the best.
    static func denseRanks(_ scores: [Float]) -> [Float: Int] {
        let distinct = Array(Set(scores)).sorted(by: >)
        var rankOfScore = [Float: Int](minimumCapacity: distinct.count)
        for (rank, score) in distinct.enumerated() { rankOfScore[score] = rank }
        return rankOfScore
    }

    /// Scores that rank tokens as a merge list does (for writing a tokenizer.json-born tokenizer to GGUF): a
    /// token's score is minus the rank of the first merge that makes it; tokens no merge makes score below all.
    static func scores(vocabularySize: Int, mergedIDs: [Int32]) -> [Float] {
        var scores = [Float](repeating: -Float(mergedIDs.count + 1), count: vocabularySize)
        for (rank, id) in mergedIDs.enumerated().reversed() { scores[Int(id)] = -Float(rank) }
        return scores
    }
}
