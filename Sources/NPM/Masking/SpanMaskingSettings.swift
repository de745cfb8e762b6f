/// How NPM chooses the spans to mask (Min et al. 2022): a budget of 15% of each block's tokens, span lengths
/// from a geometric distribution with p = 0.5 truncated at 10 tokens, at most 64 spans a block.
public struct SpanMaskingSettings: Sendable, Equatable, Codable {
    /// The share of a block's text tokens to mask.
    public var budget: Double = 0.15
    /// The geometric distribution's p: a span has length k with probability (1-p)^(k-1)·p (truncated).
    public var geometricP: Double = 0.5
    /// The longest span, in tokens.
    public var maxSpanLength: Int = 10
    /// The most spans in one block.
    public var maxSpans: Int = 64

    public init() {}

    /// The first setting out of range, named as its flag; nil when all are valid.
    public var problem: String? {
        if !(budget > 0 && budget < 1) { return "--mask-budget must be between 0 and 1 (exclusive), got \(budget)" }
        if !(geometricP > 0 && geometricP <= 1) { return "--span-p must be in (0, 1], got \(geometricP)" }
        if maxSpanLength < 1 || maxSpanLength > 32 { return "--max-span-length must be 1…32, got \(maxSpanLength)" }
        if maxSpans < 1 { return "--max-spans must be at least 1, got \(maxSpans)" }
        return nil
    }
}
