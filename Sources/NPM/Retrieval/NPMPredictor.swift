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
/// retrieve the `k` nearest start tokens and end tokens of the corpus, and the phrases beginning or ending there
/// are scored (`phrases`). Closed sets score each option by its occurrences instead.
public struct NPMPredictor: Sendable {
    public let model: NPMModel
    public let index: PhraseIndex
    public var k = 1024
    public var maxSpanLength = 10
    /// Function words and punctuation (`FunctionWords`): a retrieved phrase holds none, as in NPM's search.
    public let functionWords: Set<Int32>

    /// `functionWords` defaults to `FunctionWords.tokenIDs` of the model's tokenizer (a pass over the vocabulary:
    /// pass it in when making many predictors).
    public init(model: NPMModel, index: PhraseIndex, functionWords: Set<Int32>? = nil) {
        self.model = model
        self.index = index
        self.functionWords = functionWords ?? FunctionWords.tokenIDs(model.tokenizer)
    }

    /// Whether tokens `i...j` of the index are a phrase worth returning.
    func isCandidate(_ i: Int, _ j: Int, _ specials: Set<Int32>) -> Bool {
        index.isPhrase(i, j, specials: specials) && !index.tokenIDs[i...j].contains { functionWords.contains($0) }
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
        (ids, positions) = model.fittingPositions(ids, positions)
        guard !positions.isEmpty else {
            throw NPMError.data("the text has no [MASK] to fill (within the model's \(model.encoder.config.maxPositions) positions): \(text.prefix(80))")
        }
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

    /// NPM's span search: the phrases (whole words, no function word, at most `maxSpanLength` tokens, one block)
    /// that begin at one of the `k` retrieved starts or end at one of the `k` retrieved ends; each scores
    /// P_start(first token) + P_end(last token), softmaxes over the candidates' first and last tokens, summed over
    /// identical phrases.
    func phrases(start: UnsafePointer<Float>, end: UnsafePointer<Float>, top: Int) -> [RetrievedPhrase] {
        let specials = specials
        var spans = Set<Span>()
        for i in topK(start, index.count, k) {
            for j in i..<min(i + maxSpanLength, index.count) where isCandidate(i, j, specials) { spans.insert(Span(start: i, length: j - i + 1)) }
        }
        for j in topK(end, index.count, k) {
            for i in stride(from: j, through: max(0, j - maxSpanLength + 1), by: -1) where isCandidate(i, j, specials) {
                spans.insert(Span(start: i, length: j - i + 1))
            }
        }
        let pStart = softmax(Set(spans.map(\.start)), start), pEnd = softmax(Set(spans.map { $0.end - 1 }), end)
        var byPhrase: [[Int32]: (score: Double, best: Double, span: Span)] = [:]
        for span in spans.sorted() {
            let score = pStart[span.start]! + pEnd[span.end - 1]!
            let key = Array(index.tokenIDs[span.start..<span.end])
            var entry = byPhrase[key] ?? (0, -1, span)
            entry.score += score
            if score > entry.best { entry.best = score; entry.span = span }
            byPhrase[key] = entry
        }
        return byPhrase.sorted { ($0.value.score, $1.key.count) > ($1.value.score, $0.key.count) }.prefix(top).map { key, entry in
            let document = Int(index.document[entry.span.start])
            return RetrievedPhrase(text: model.tokenizer.decode(key), score: entry.score,
                                   occurrenceText: index.text(entry.span.start, entry.span.end - 1),
                                   document: document, source: index.documents[document].source.description)
        }
    }

    /// Softmax of `scores` over the tokens `positions`.
    func softmax(_ positions: Set<Int>, _ scores: UnsafePointer<Float>) -> [Int: Double] {
        guard let m = positions.map({ Double(scores[$0]) }).max() else { return [:] }
        let weights = positions.map { ($0, Foundation.exp(Double(scores[$0]) - m)) }
        let total = weights.reduce(0) { $0 + $1.1 }
        return Dictionary(uniqueKeysWithValues: weights.map { ($0.0, $0.1 / total) })
    }

    /// Closed-set scores of `options` for the first `[MASK]` of `text`, as NPM scores them: the `k` nearest start
    /// tokens and the `k` nearest end tokens under one softmax (2k scores); an option's probability is the mass of
    /// the retrieved starts where it begins as a phrase plus that of the retrieved ends where it ends. When no
    /// option is retrieved at all, the options are ranked instead by their occurrences' exact scores over the whole
    /// index (log Σ exp over their first tokens plus over their last; an option that occurs nowhere by its own
    /// vectors, encoded alone), returned below 0 so that they never outrank a probability.
    public func scoreOptions(_ text: String, options: [String]) throws -> [Double] {
        let q = try queries(for: text)
        let scores = index.scores(q.gatheringRows([0, 1]))
        let start = scores.pointer, end = scores.pointer + index.count
        let starts = topK(start, index.count, k), ends = topK(end, index.count, k)
        let m = Double(max(starts.first.map { start[$0] } ?? -.infinity, ends.first.map { end[$0] } ?? -.infinity))
        let total = starts.reduce(0) { $0 + Foundation.exp(Double(start[$1]) - m) } + ends.reduce(0) { $0 + Foundation.exp(Double(end[$1]) - m) }
        let specials = specials
        let tokenized = try options.map { option -> [Int32] in
            let ids = model.tokenizer.encode(option, addSpecialTokens: false)
            guard !ids.isEmpty else { throw NPMError.data("the option \"\(option)\" has no tokens") }
            return ids
        }
        func isOption(_ ids: [Int32], at i: Int) -> Bool {
            i >= 0 && i + ids.count <= index.count && index.tokenIDs[i..<i + ids.count].elementsEqual(ids)
                && index.isPhrase(i, i + ids.count - 1, specials: specials)
        }
        let probabilities = tokenized.map { ids in
            (starts.filter { isOption(ids, at: $0) }.reduce(0) { $0 + Foundation.exp(Double(start[$1]) - m) }
                + ends.filter { isOption(ids, at: $0 - ids.count + 1) }.reduce(0) { $0 + Foundation.exp(Double(end[$1]) - m) }) / total
        }
        if probabilities.contains(where: { $0 > 0 }) { return probabilities }
        return tokenized.map { ids in exactScore(ids, q, scores) - 1e6 }
    }

    /// An option's occurrences' scores over the whole index: log Σ exp over their first tokens plus over their last.
    func exactScore(_ ids: [Int32], _ q: Tensor, _ scores: Tensor) -> Double {
        let found = occurrences(of: ids)
        guard found.isEmpty else {
            return logSumExp(found.map { Double(scores.pointer[$0]) })
                + logSumExp(found.map { Double(scores.pointer[index.count + $0 + ids.count - 1]) })
        }
        let alone = model.tokenVectors([EncodedBlock(ids: [model.tokenizer.clsID] + ids + [model.tokenizer.sepID],
                                                     startsWord: [Bool](repeating: true, count: ids.count + 2))])
        var s = 0.0, e = 0.0
        for t in 0..<index.dim {
            s += Double(q.pointer[t] * alone.pointer[index.dim + t])
            e += Double(q.pointer[index.dim + t] * alone.pointer[ids.count * index.dim + t])
        }
        return (s + e) / Double(index.dim).squareRoot()
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
