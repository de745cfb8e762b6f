extension LanguageModel {
    /// The model with `specials` added to its tokenizer as control tokens (matched whole in text) and, where
    /// they are new, embedding rows (and output rows when untied) set to the mean of the existing tokens'
    /// rows; returns the ids of `specials` in order. Existing tokens keep their ids. A model whose vocabulary
    /// already has spare rows beyond its tokenizer's uses those first. Throws when the model has no tokenizer.
    public func addingTokens(_ specials: [String]) throws -> (model: LanguageModel, ids: [Int32]) {
        let old = try requireTokenizer()
        let (tokenizer, ids) = try old.addingSpecialTokens(specials)
        guard tokenizer !== old else { return (self, ids) }
        var grown = model
        if tokenizer.vocabSize > old.vocabSize {
            grown = model.resizingVocabulary(to: max(model.config.vocabSize, tokenizer.vocabSize),
                                             meanInitialized: old.vocabSize..<tokenizer.vocabSize)
        }
        return (LanguageModel(model: grown, tokenizer: tokenizer, chatTemplate: chatTemplate, path: path), ids)
    }

    /// The same model with another chat template (e.g. the one its fine-tuning data was rendered in), so that
    /// `remask chat`/`generate --chat` and exports use it.
    public func withChatTemplate(_ source: String?) -> LanguageModel {
        LanguageModel(model: model, tokenizer: tokenizer, chatTemplate: source, path: path)
    }
}
