/// What a token is, for labels and masking.
public enum TokenRole: UInt8, Sendable {
    /// System and user text, role tags, everything the model is given: never a label, never masked.
    case prompt
    /// An assistant's response (chat and completion records), with its end-of-turn token.
    case response
    /// A chain of thought's reasoning.
    case rationale
    /// A chain of thought's final answer: the `\n<|answer|>\n` that introduces it, the answer and its
    /// end-of-turn token.
    case answer
    /// Filler after the examples of a row.
    case padding

    /// Whether a token of this role is a training target.
    public var isSupervised: Bool { self == .response || self == .rationale || self == .answer }
}
