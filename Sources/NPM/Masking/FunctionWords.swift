import Models

/// Tokens that make no phrase on their own: English function words (NLTK's stop-word list) and punctuation.
/// A span of nothing but these is neither masked in training nor retrieved at inference, as NPM does: "the" or
/// "." recur in every block, so they would crowd out the phrases worth learning.
public enum FunctionWords {
    public static let english: [String] = """
        i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself \
        it its itself they them their theirs themselves what which who whom this that these those am is are was were be \
        been being have has had having do does did doing a an the and but if or because as until while of at by for with \
        about against between into through during before after above below to from up down in out on off over under \
        again further then once here there when where why how all any both each few more most other some such no nor not \
        only own same so than too very s t can will just don should now d ll m o re ve y ain aren couldn didn doesn hadn \
        hasn haven isn ma mightn mustn needn shan shouldn wasn weren won wouldn
        """.split(separator: " ").map(String.init)

    /// The ids of the tokenizer's function-word tokens and its pieces made only of punctuation or symbols.
    public static func tokenIDs(_ tokenizer: WordPieceTokenizer) -> Set<Int32> {
        var ids = Set<Int32>()
        for word in english {
            let encoded = tokenizer.encode(word, addSpecialTokens: false)
            if encoded.count == 1 { ids.insert(encoded[0]) }
        }
        for id in 0..<Int32(tokenizer.vocabSize) {
            guard let token = tokenizer.token(for: id) else { continue }
            let text = token.hasPrefix(tokenizer.continuingSubwordPrefix) ? String(token.dropFirst(tokenizer.continuingSubwordPrefix.count)) : token
            if !text.isEmpty && text.unicodeScalars.allSatisfy({ $0.properties.generalCategory.isPunctuationOrSymbol }) { ids.insert(id) }
        }
        return ids
    }
}

extension Unicode.GeneralCategory {
    var isPunctuationOrSymbol: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation,
             .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: return true
        default: return false
        }
    }
}
