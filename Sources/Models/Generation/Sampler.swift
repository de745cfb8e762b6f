import Foundation
import Core

/// How the next token is chosen.
public struct SamplingOptions: Sendable {
    /// 0 picks the most likely token (greedy); otherwise logits are divided by it before sampling.
    public var temperature: Float = 0
    /// Keep only the k most likely tokens (0: all).
    public var topK: Int = 0
    /// Keep the smallest set of most likely tokens whose probability reaches p (1: all).
    public var topP: Float = 1
    public var seed: UInt64 = 0

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature; self.topK = topK; self.topP = topP; self.seed = seed
    }
}

/// Picks tokens from logits with a seeded generator.
public struct Sampler: Sendable {
    public let options: SamplingOptions
    private var rng: SeededRandom

    public init(_ options: SamplingOptions) {
        self.options = options
        rng = SeededRandom(seed: options.seed)
    }

    /// The next token from one row of logits.
    public mutating func sample(_ logits: UnsafePointer<Float>, count: Int) -> Int32 {
        if options.temperature <= 0 { return Int32(argmax(logits, count)) }
        var candidates = (0..<count).map { (id: $0, logit: logits[$0] / options.temperature) }
        candidates.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        if options.topK > 0 && options.topK < candidates.count { candidates.removeLast(candidates.count - options.topK) }
        let top = candidates[0].logit
        var probs = candidates.map { Foundation.exp(Double($0.logit - top)) }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        if options.topP < 1 {
            var cumulative = 0.0, keep = 0
            while keep < probs.count { cumulative += probs[keep]; keep += 1; if cumulative >= Double(options.topP) { break } }
            probs.removeLast(probs.count - keep)
            let kept = probs.reduce(0, +)
            probs = probs.map { $0 / kept }
        }
        var u = Double(rng.nextFloat())
        for (i, p) in probs.enumerated() {
            u -= p
            if u < 0 { return Int32(candidates[i].id) }
        }
        return Int32(candidates[probs.count - 1].id)
    }
}

/// Index of the largest value (the first on ties).
public func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
    var best = 0
    for i in 1..<max(n, 1) where p[i] > p[best] { best = i }
    return best
}
