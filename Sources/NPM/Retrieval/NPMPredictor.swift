import Foundation
import Core
import Models

/// A phrase NPM retrieved for a masked span: its text, its score (summed over identical phrases), and its
/// best-scoring occurrence in the reference corpus.
public struct RetrievedPhrase: Sendable, Equatable {
    public var text: String
    public var score: Double
    public var occurrenceText: String
    public var document: Int
    public var source: String
}

/// NPM inference over a phrase index: each `[MASK]` of a text becomes `[MASK_s][MASK_e]`; their output vectors
/// retrieve the `k` nearest start tokens and end tokens of the corpus; a span from a retrieved start to a
/// retrieved end (whole words, one block, at most `maxSpanLength` tokens) scores P_start + P_end (softmaxes over
/// the retrieved), summed over identical phrases. Closed sets score each option by its occurrences instead.
public struct NPMPredictor: Sendable {
    public let model: NPMModel
    public let index: PhraseIndex
    public var k = 1024
    public var maxSpanLength = 10
    /// Tokens that make no phrase alone (`FunctionWords`): a retrieved span needs one other token.
    public let functionWords: Set<Int32>

    public init(model: NPMModel, index: PhraseIndex) {
        self.model = model
        self.index = index
        functionWords = FunctionWords.tokenIDs(model.tokenizer)
    }

    /// Whether tokens `i...j` of the index are a phrase worth returning.
    func isCandidate(_ i: Int, _ j: Int, _ specials: Set<Int32>) -> Bool {
        index.isPhrase(i, j, specials: specials) && index.tokenIDs[i...j].contains { !functionWords.contains($0) }
    }

    var specials: Set<Int32> {
        let t = model.tokenizer
        return [t.clsID, t.sepID, t.padID, t.maskID]
    }

    /// The start and end query vectors of each `[MASK]` of `text`: [2·masks, dim], start then end per mask.
    public func queries(for text: String) throws -> Tensor {
        let tokenizer = model.tokenizer
        var ids: [Int32] = [], positions: [Int] = []
        for id in tokenizer.encode(text) {
            if id == tokenizer.maskID { positions.append(ids.count); ids += [id, id] } else { ids.append(id) }
        }
        let limit = model.encoder.config.maxPositions
        if ids.count > limit {  // keep [CLS] and the end of the text, where the mask usually is
            let dropped = ids.count - limit
            ids = [ids[0]] + ids.suffix(limit - 1)
            positions = positions.map { $0 - dropped }.filter { $0 >= 1 }
        }
        guard !positions.isEmpty else { throw NPMError.data("the text has no [MASK] to fill (within the model's \(limit) positions): \(text.prefix(80))") }
        let hidden = Autograd.withNoGrad { model.encoder.hiddenStates(ids, batch: 1, length: ids.count, lengths: [ids.count]) }
        return hidden.gatheringRows(positions.flatMap { [Int32($0), Int32($0 + 1)] }).detached()
    }

    /// The best `top` phrases for each `[MASK]` of `text`.
    public func fill(_ text: String, top: Int = 5) throws -> [[RetrievedPhrase]] {
        let q = try queries(for: text)
        let scores = index.scores(q)
        return (0..<q.shape[0] / 2).map { m in
            phrases(start: scores.pointer + 2 * m * index.count, end: scores.pointer + (2 * m + 1) * index.count, top: top)
        }
    }

    func phrases(start: UnsafePointer<Float>, end: UnsafePointer<Float>, top: Int) -> [RetrievedPhrase] {
        let starts = softmaxOverTop(start), ends = softmaxOverTop(end)
        let specials = specials
        var byPhrase: [[Int32]: (score: Double, best: Double, i: Int, j: Int)] = [:]
        func add(_ i: Int, _ j: Int, _ score: Double) {
            let key = Array(index.tokenIDs[i...j])
            var entry = byPhrase[key] ?? (0, -1, i, j)
            entry.score += score
            if score > entry.best { entry.best = score; entry.i = i; entry.j = j }
            byPhrase[key] = entry
        }
        for (i, ps) in starts {
            for j in i..<min(i + maxSpanLength, index.count) {
                if let pe = ends[j], isCandidate(i, j, specials) { add(i, j, ps + pe) }
            }
        }
        if byPhrase.isEmpty {  // no retrieved start reaches a retrieved end: fall back to the single words retrieved
            for (i, ps) in starts { if let j = wordEnd(from: i, specials) { add(i, j, ps) } }
            for (j, pe) in ends { if let i = wordStart(to: j, specials) { add(i, j, pe) } }
        }
        return byPhrase.sorted { ($0.value.score, $1.key.count) > ($1.value.score, $0.key.count) }.prefix(top).map { key, entry in
            let document = Int(index.document[entry.i])
            return RetrievedPhrase(text: model.tokenizer.decode(key), score: entry.score, occurrenceText: index.text(entry.i, entry.j),
                                   document: document, source: index.documents[document].source.description)
        }
    }

    /// Softmax over the `k` highest scores, by token.
    func softmaxOverTop(_ scores: UnsafePointer<Float>) -> [Int: Double] {
        let best = topK(scores, index.count, k)
        guard let first = best.first else { return [:] }
        let m = Double(scores[first])
        let weights = best.map { Foundation.exp(Double(scores[$0]) - m) }
        let total = weights.reduce(0, +)
        return Dictionary(uniqueKeysWithValues: zip(best, weights.map { $0 / total }))
    }

    private func wordEnd(from i: Int, _ specials: Set<Int32>) -> Int? {
        (i..<min(i + maxSpanLength, index.count)).first { isCandidate(i, $0, specials) }
    }

    private func wordStart(to j: Int, _ specials: Set<Int32>) -> Int? {
        stride(from: j, through: max(0, j - maxSpanLength + 1), by: -1).first { isCandidate($0, j, specials) }
    }

    /// Closed-set scores of `options` for the first `[MASK]` of `text`: for each option, the log of its
    /// occurrences' share of the start softmax plus that of the end softmax over the whole index (unnormalized:
    /// the normalizers are the same for every option). An option that occurs nowhere in the index is scored by
    /// the vectors of the option encoded alone.
    public func scoreOptions(_ text: String, options: [String]) throws -> [Double] {
        let q = try queries(for: text)
        let scores = index.scores(q.gatheringRows([0, 1]))
        let d = Float(index.dim).squareRoot()
        return options.map { option in
            let ids = model.tokenizer.encode(option, addSpecialTokens: false)
            let found = occurrences(of: ids)
            if found.isEmpty {
                let alone = model.tokenVectors([EncodedBlock(ids: [model.tokenizer.clsID] + ids + [model.tokenizer.sepID],
                                                             startsWord: [Bool](repeating: true, count: ids.count + 2))])
                let qs = q.pointer, qe = q.pointer + index.dim
                var s = 0.0, e = 0.0
                for t in 0..<index.dim {
                    s += Double(qs[t] * alone.pointer[index.dim + t])
                    e += Double(qe[t] * alone.pointer[ids.count * index.dim + t])
                }
                return (s + e) / Double(d)
            }
            return logSumExp(found.map { Double(scores.pointer[$0]) })
                + logSumExp(found.map { Double(scores.pointer[index.count + $0 + ids.count - 1]) })
        }
    }

    /// Token positions where `ids` occurs in the index as a phrase.
    public func occurrences(of ids: [Int32]) -> [Int] {
        guard let first = ids.first else { return [] }
        let specials = specials
        return (0..<max(0, index.count - ids.count)).filter { i in
            index.tokenIDs[i] == first && index.tokenIDs[i..<i + ids.count].elementsEqual(ids)
                && index.isPhrase(i, i + ids.count - 1, specials: specials)
        }
    }
}

func logSumExp(_ values: [Double]) -> Double {
    guard let m = values.max() else { return -.infinity }
    return m + Foundation.log(values.reduce(0) { $0 + Foundation.exp($1 - m) })
}
