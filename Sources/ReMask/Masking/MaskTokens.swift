import Models

/// The ids that replace masked inputs: the `[mask]` token, and the ordinary tokens random replacement draws
/// from.
public struct MaskTokens: Sendable, Equatable {
    /// The mask token's text. Added to the tokenizer as a special token (see `MaskingPolicy.specialTokens`),
    /// its embedding row starts as the mean of the others, as in Masked Thought.
    public static let maskToken = "[mask]"

    /// The `[mask]` id; nil when the tokenizer has none (random replacement only).
    public var maskID: Int32?
    /// Random replacements: every ordinary (normal or byte) token of the original vocabulary, never a control
    /// token, a chat tag or `[mask]`.
    public var randomIDs: [Int32]

    public init(maskID: Int32?, randomIDs: [Int32]) {
        self.maskID = maskID
        self.randomIDs = randomIDs
    }

    /// The tokens of `tokenizer` (after the special tokens were added), drawing random replacements from
    /// `original` (the tokenizer before).
    public init(original: BPETokenizer, tokenizer: BPETokenizer) {
        let ordinary: Set = [BPETokenizer.TokenType.normal.rawValue, BPETokenizer.TokenType.byte.rawValue]
        // Ordinary in both: an existing token made special (an old "[mask]") is not drawn either.
        let ids = original.tokenTypes.indices.filter {
            ordinary.contains(original.tokenTypes[$0]) && ordinary.contains(tokenizer.tokenTypes[$0])
        }
        self.init(maskID: tokenizer.id(of: Self.maskToken), randomIDs: ids.map(Int32.init))
    }
}
