/// The merges a SentencePiece vocabulary with scores implies (GGUF stores no merge list for these): every way
/// to cut a token into two tokens is a merge, and merges rank by the score of the token they make, higher
/// first. Merges into equally scored tokens share a rank, so the leftmost pair goes first, as in llama.cpp.
enum SentencePieceMerges {
    struct Merge {
        var left: Int32, right: Int32, merged: Int32, rank: Int
    }

    /// Scores must be finite and one per token (the caller checks). Byte tokens are not cut.
    static func fromScores(tokens: [String], scores: [Float], types: [Int], ids: [String: Int32]) -> [Merge] {
        // Dense ranks: the best score is rank 0.
        let distinct = Array(Set(scores)).sorted(by: >)
        var rankOfScore = [Float: Int](minimumCapacity: distinct.count)
        for (rank, score) in distinct.enumerated() { rankOfScore[score] = rank }

        var merges: [Merge] = []
        for (i, token) in tokens.enumerated() where types[i] != BPETokenizer.TokenType.byte.rawValue {
            let rank = rankOfScore[scores[i]]!
            let scalars = token.unicodeScalars
            var cut = scalars.index(after: scalars.startIndex)
            while cut < scalars.endIndex {
                if let left = ids[String(scalars[..<cut])], let right = ids[String(scalars[cut...])] {
                    merges.append(Merge(left: left, right: right, merged: Int32(i), rank: rank))
                }
                cut = scalars.index(after: cut)
            }
        }
        merges.sort { ($0.rank, $0.merged) < ($1.rank, $1.merged) }
        return merges
    }

    /// Scores that rank tokens as a merge list does (for writing a tokenizer.json-born tokenizer to GGUF): a
    /// token's score is minus the rank of the first merge that makes it; tokens no merge makes score below all.
    static func scores(vocabularySize: Int, mergedIDs: [Int32]) -> [Float] {
        var scores = [Float](repeating: -Float(mergedIDs.count + 1), count: vocabularySize)
        for (rank, id) in mergedIDs.enumerated().reversed() { scores[Int(id)] = -Float(rank) }
        return scores
    }
}
