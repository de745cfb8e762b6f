import Models

/// A problem that stops an evaluation: an unknown task, a bad option, a model the task cannot use.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Tokenizing for a model whose vocabulary may be smaller than the tokenizer's (a mismatched folder), and
/// whose context window an item must fit.
struct ModelTokens {
    let tokenizer: BPETokenizer
    let vocab: Int
    /// The model's context window in tokens (`max_position_embeddings`, GGUF `context_length`).
    let context: Int

    /// Refuses an item that needs more positions than the model has, rather than running past them.
    func checkFits(_ count: Int, item: String, _ what: String) throws(EvaluationError) {
        guard count <= context else {
            throw EvaluationError("item \(item): \(what) needs \(count) tokens, more than the model's context of \(context)")
        }
    }

    /// The tokens of `text`; a text that `startsSequence` (a context, a document) begins with BOS when the
    /// tokenizer asks for one (Gemma; not SmolLM2), as llama.cpp and the harness's Gemma models do.
    func encode(_ text: String, item: String, startsSequence: Bool = false) throws(EvaluationError) -> [Int32] {
        var ids = tokenizer.encode(text)
        if startsSequence, tokenizer.addBOS, let bos = tokenizer.bosID { ids.insert(bos, at: 0) }
        if let bad = ids.first(where: { Int($0) >= vocab || $0 < 0 }) {
            throw EvaluationError("item \(item): token id \(bad) is outside the model's vocabulary of \(vocab); the tokenizer does not belong to this model")
        }
        return ids
    }
}
