import Core

/// Chooses the spans NPM masks in each block of a batch: whole-word phrases that occur in another block, span
/// lengths drawn from a truncated geometric distribution, up to the token budget; spans neither overlap nor touch
/// (so every `[MASK_s][MASK_e]` pair stands for exactly one span).
public enum SpanMasker {
    /// Draws for at most this many lengths per block before giving up on filling the budget.
    static let attemptsPerBlock = 200

    public static func choose(blocks: [EncodedBlock], phrases: PhraseOccurrences, settings: SpanMaskingSettings,
                              rng: inout SeededRandom) -> [[Span]] {
        blocks.indices.map { b in
            chooseSpans(eligible: phrases.eligibleSpans(in: blocks, block: b), tokens: blocks[b].content.count,
                        settings: settings, rng: &rng)
        }
    }

    /// Spans from `eligible` for a block of `tokens` text tokens, ascending by start.
    static func chooseSpans(eligible: [Span], tokens: Int, settings: SpanMaskingSettings, rng: inout SeededRandom) -> [Span] {
        let budget = Int((Double(tokens) * settings.budget).rounded())
        guard budget >= 1, !eligible.isEmpty else { return [] }
        var byLength = [[Span]](repeating: [], count: settings.maxSpanLength + 1)
        for s in eligible where s.length <= settings.maxSpanLength { byLength[s.length].append(s) }
        var blocked = Set<Int>()  // positions covered by a chosen span or next to one
        var chosen: [Span] = [], masked = 0
        for _ in 0..<attemptsPerBlock {
            if masked >= budget || chosen.count >= settings.maxSpans { break }
            let length = geometricLength(settings, &rng)
            guard masked + length <= budget else { continue }
            let free = byLength[length].filter { s in (s.start..<s.end).allSatisfy { !blocked.contains($0) } }
            guard !free.isEmpty else { continue }
            let span = free[rng.nextInt(below: free.count)]
            chosen.append(span)
            masked += span.length
            for p in (span.start - 1)...span.end { blocked.insert(p) }
        }
        return chosen.sorted()
    }

    /// A length k ≥ 1 with probability ∝ (1-p)^(k-1)·p, at most `maxSpanLength`.
    static func geometricLength(_ settings: SpanMaskingSettings, _ rng: inout SeededRandom) -> Int {
        var length = 1
        while length < settings.maxSpanLength && !rng.nextBool(probability: Float(settings.geometricP)) { length += 1 }
        return length
    }
}
