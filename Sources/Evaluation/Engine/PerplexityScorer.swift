import Foundation
import Core
import Models

/// Token-level negative log-likelihood of documents. A document longer than `window` tokens is cut into
/// consecutive windows, each predicting its tokens from the window's earlier ones; a document's first
/// token has no context and is not scored. Windows are batched up to `tokensPerCall` tokens per model call.
public struct PerplexityScorer {
    public let model: any InferenceModel
    public let tokenizer: BPETokenizer
    public var window: Int
    public var tokensPerCall: Int

    public init(model: any InferenceModel, tokenizer: BPETokenizer, window: Int, tokensPerCall: Int = 2048) {
        self.model = model
        self.tokenizer = tokenizer
        self.window = max(1, window)
        self.tokensPerCall = max(tokensPerCall, self.window)
    }

    public struct Score: Sendable {
        /// −Σ log p over the scored tokens (nats).
        public var negativeLogLikelihood: Double
        public var scoredTokens: Int
    }

    public func score(_ documents: [(id: String, text: String)], progress: (Int) -> Void = { _ in }) throws(EvaluationError) -> [Score] {
        let tokens = ModelTokens(tokenizer: tokenizer, vocab: model.config.vocabSize, context: model.config.maxPositions)
        try tokens.checkFits(window, item: documents.first?.id ?? "-", "a perplexity window (--window)")
        var scores = [Score](repeating: Score(negativeLogLikelihood: 0, scoredTokens: 0), count: documents.count)
        // (document, input tokens, target tokens) per window.
        var windows: [(doc: Int, input: [Int32], targets: [Int32])] = []
        for (d, document) in documents.enumerated() {
            let ids = try tokens.encode(document.text, item: document.id, startsSequence: true)
            var start = 0
            while start + 1 < ids.count {
                let end = min(start + window, ids.count - 1)
                windows.append((d, Array(ids[start..<end]), Array(ids[(start + 1)...end])))
                start = end
            }
        }
        let vocab = model.config.vocabSize
        var i = 0, lastDone = -1
        while i < windows.count {
            var batch = [windows[i]]
            var count = windows[i].input.count
            i += 1
            while i < windows.count && count + windows[i].input.count <= tokensPerCall {
                batch.append(windows[i])
                count += windows[i].input.count
                i += 1
            }
            let logits = model.extend(batch.map(\.input), caches: batch.map { model.makeCache(capacity: $0.input.count) }, logits: .allRows)
            var row = 0
            for w in batch {
                for t in w.targets {
                    let r = UnsafeBufferPointer(start: logits.pointer + row * vocab, count: vocab)
                    scores[w.doc].negativeLogLikelihood -= Double(r[Int(t)] - Scoring.logSumExp(r))
                    scores[w.doc].scoredTokens += 1
                    row += 1
                }
            }
            let done = i < windows.count ? windows[i].doc : documents.count
            if done != lastDone { progress(done); lastDone = done }
        }
        return scores
    }
}
