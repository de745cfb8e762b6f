import XCTest
import Core
import Models

final class GenerationTests: XCTestCase {
    static let configs: [DecoderConfig] = [
        .llama(vocabSize: 40, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24),
        .stableLM(vocabSize: 40, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, partialRotaryFactor: 0.5,
                  qkvBias: true, qkLayerNorm: true),
    ]

    /// Larger-than-default weights so greedy choices are not near ties.
    func model(_ c: DecoderConfig) -> CausalLM {
        let m = CausalLM(config: c, seed: 5)
        var rng = SeededRandom(seed: 6)
        for i in 0..<m.parameters.count { m.parameters.valuePointer[i] += 0.4 * rng.nextNormal() }
        return m
    }

    /// Greedy decoding by recomputing the whole sequence each step — the reference for the cached path.
    func greedyByRecompute(_ m: CausalLM, _ prompt: [Int32], _ count: Int) -> [Int32] {
        var ids = prompt
        for _ in 0..<count {
            let logits = Autograd.withNoGrad { m.logits(ids, batch: 1, length: ids.count) }.values
            let last = Array(logits.suffix(m.config.vocabSize))
            ids.append(Int32(last.indices.max { last[$0] < last[$1] }!))
        }
        return Array(ids.dropFirst(prompt.count))
    }

    func testCachedBatchedGreedyMatchesFullRecompute() {
        for c in Self.configs {
            let m = model(c)
            let prompts: [[Int32]] = [[1, 2, 3], [7], [5, 9, 11, 13, 2, 8, 30]]
            let outputs = Generator(model: m).generate(prompts, maxTokens: 12)
            for (p, o) in zip(prompts, outputs) {
                XCTAssertEqual(o.tokens, greedyByRecompute(m, p, 12), "\(c.family) prompt \(p)")
                XCTAssertEqual(o.stop, .maxTokens)
            }
        }
    }

    /// Continuous batching: with 2 slots for 5 prompts (a finished sequence's slot taken by the next prompt,
    /// prefilled beside the others' decoding steps), greedy and seeded sampled outputs equal those of one batch,
    /// and greedy ones the full recompute; the stop token ends sequences at different steps.
    func testContinuousBatchingMatchesOneBatch() {
        let m = model(Self.configs[0])
        let prompts: [[Int32]] = [[1, 2, 3], [7], [5, 9, 11, 13, 2, 8, 30], [4, 4], [20, 1, 33]]
        let all = Generator(model: m).generate(prompts, maxTokens: 10)
        let stop = all[0].tokens[3]
        for sampling in [SamplingOptions(), SamplingOptions(temperature: 1, topK: 8, seed: 9)] {
            let generator = Generator(model: m, stopTokens: [stop])
            let whole = generator.generate(prompts, maxTokens: 10, sampling: sampling)
            let slots = generator.generate(prompts, maxTokens: 10, sampling: sampling, batchSize: 2)
            XCTAssertEqual(slots.map(\.tokens), whole.map(\.tokens))
            XCTAssertEqual(slots.map(\.stop), whole.map(\.stop))
            XCTAssertTrue(whole.contains { $0.stop == .endOfSequence } && whole.contains { $0.stop == .maxTokens })
        }
        for (p, o) in zip(prompts, Generator(model: m).generate(prompts, maxTokens: 10, batchSize: 2)) {
            XCTAssertEqual(o.tokens, greedyByRecompute(m, p, 10))
        }
    }

    func testCachedLogitsMatchFullForward() {
        let m = model(Self.configs[1])
        let ids: [Int32] = [3, 1, 4, 1, 5, 9, 2, 6]
        let full = Autograd.withNoGrad { m.logits(ids, batch: 1, length: ids.count) }.values
        let cache = m.makeCache(capacity: 16)
        _ = m.extend([Array(ids.prefix(5))], caches: [cache])
        var last: [Float] = []
        for t in ids.dropFirst(5) { last = m.extend([[t]], caches: [cache]).values }
        let want = Array(full.suffix(m.config.vocabSize))
        for (a, b) in zip(last, want) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    func testStopTokensAndSamplingDeterminism() {
        let m = model(Self.configs[0])
        let greedy = Generator(model: m).generate([[1, 2]], maxTokens: 6)[0]
        // Stop at the first token that has not appeared before it.
        let cut = greedy.tokens.indices.first { i in i > 0 && !greedy.tokens[..<i].contains(greedy.tokens[i]) }!
        let stopped = Generator(model: m, stopTokens: [greedy.tokens[cut]]).generate([[1, 2]], maxTokens: 6)[0]
        XCTAssertEqual(stopped.tokens, Array(greedy.tokens.prefix(cut)))
        XCTAssertEqual(stopped.stop, .endOfSequence)
        let opts = SamplingOptions(temperature: 1.0, topK: 10, topP: 0.9, seed: 42)
        let a = Generator(model: m).generate([[1, 2]], maxTokens: 8, sampling: opts)[0].tokens
        let b = Generator(model: m).generate([[1, 2]], maxTokens: 8, sampling: opts)[0].tokens
        XCTAssertEqual(a, b, "same seed, same sample")
        let c = (0..<5).map { s -> [Int32] in
            var o = opts; o.seed = UInt64(100 + s)
            return Generator(model: m).generate([[1, 2]], maxTokens: 8, sampling: o)[0].tokens
        }
        XCTAssertTrue(c.contains { $0 != a }, "different seeds should sample differently")
        let topOne = Generator(model: m).generate([[1, 2]], maxTokens: 6, sampling: SamplingOptions(temperature: 2, topK: 1, seed: 1))[0]
        XCTAssertEqual(topOne.tokens, greedy.tokens, "top-k 1 is greedy")
    }
}
