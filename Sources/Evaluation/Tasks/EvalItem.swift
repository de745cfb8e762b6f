/// A multiple-choice question scored by log-likelihood: each choice is a continuation of the context.
public struct MultipleChoiceItem: Sendable, Equatable {
    public var id: String
    /// Few-shot examples (empty for zero-shot), shared by many items, then the question itself.
    public var fewShot: String
    public var query: String
    /// Each choice as it continues the context (with its leading space, if any).
    public var continuations: [String]
    /// Each choice's length in characters (Unicode scalars, as Python's `len(str)` counts them), the acc_norm
    /// divisor (the choice text without the leading space).
    public var normLengths: [Int]
    public var gold: Int

    public init(id: String, fewShot: String, query: String, continuations: [String], normLengths: [Int], gold: Int) {
        self.id = id
        self.fewShot = fewShot
        self.query = query
        self.continuations = continuations
        self.normLengths = normLengths
        self.gold = gold
    }

    public var context: String { fewShot + query }
}

/// A question answered by greedy generation; the output is scored against `answer`.
public struct GenerativeItem: Sendable, Equatable {
    public var id: String
    public var fewShot: String
    public var query: String
    /// The reference answer, normalized as the metric compares it.
    public var answer: String
    /// Generation ends at the first of these strings (which is cut off).
    public var stopStrings: [String]

    public init(id: String, fewShot: String, query: String, answer: String, stopStrings: [String]) {
        self.id = id
        self.fewShot = fewShot
        self.query = query
        self.answer = answer
        self.stopStrings = stopStrings
    }

    public var context: String { fewShot + query }
}
