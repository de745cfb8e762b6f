import XCTest
import Core
import Models
@testable import ReMask

final class MaskingTests: XCTestCase {
    static let dataset: TokenizedDataset = {
        var rng = SeededRandom(seed: 31)
        let examples = (0..<400).map { _ in DataFixtures.randomExample(&rng) }
        return try! DataFixtures.seedTokenizer().tokenize(examples)
    }()

    static let tokens = MaskTokens(original: DataFixtures.original, tokenizer: DataFixtures.tokenizer)

    /// All batches of one epoch, packed (several examples per row) or bucketed.
    func batches(packed: Bool) -> [Batch] {
        let p = BatchPlanner(dataset: Self.dataset, strategy: packed ? .packed(rows: 2) : .bucketed(batchSize: 8),
                             padID: DataFixtures.tokenizer.eosID!, seed: 4)
        return p.plan(epoch: 0).map(p.batch)
    }

    func testMaskTokenAndRandomReplacementVocabulary() {
        let t = Self.tokens
        XCTAssertEqual(t.maskID, DataFixtures.tokenizer.id(of: "[mask]"))
        XCTAssertGreaterThanOrEqual(Int(t.maskID!), DataFixtures.original.vocabSize, "a new token")
        let random = Set(t.randomIDs)
        for special in ["<|im_end|>", "<|im_start|>", "<|endoftext|>", "<|user|>", "<|answer|>", "[mask]"] {
            XCTAssertFalse(random.contains(DataFixtures.tokenizer.id(of: special)!), special)
        }
        XCTAssertTrue(random.allSatisfy { Int($0) < DataFixtures.original.vocabSize })
        XCTAssertGreaterThan(random.count, 49_000)
        XCTAssertEqual(MaskingPolicy.remask.specialTokens, ["[mask]"])
        XCTAssertEqual(MaskingPolicy.maskedThought.specialTokens, [])
        XCTAssertEqual(MaskingPolicy.sft.specialTokens, [])
    }

    /// Over hundreds of random examples: masked inputs are only response/rationale tokens (never prompt,
    /// answer or padding), labels are never on prompt tokens, answer labels are never dropped, and unmasked
    /// positions keep their tokens.
    func testMaskingPropertiesUnderReMaskCoT() {
        let randomIDs = Set(Self.tokens.randomIDs)
        for packed in [false, true] {
            for policy in [MaskingPolicy.remaskCoT, MaskingPolicy(rate: 0.9, count: .binomial, replacement: .mix(maskFraction: 0.5))] {
                var rng = SeededRandom(seed: 8)
                var masked = 0
                for (step, b) in batches(packed: packed).enumerated() {
                    let m = policy.apply(b, step: step, totalSteps: 100, tokens: Self.tokens, rng: &rng)
                    let maskedSet = Set(m.maskedPositions)
                    XCTAssertEqual(m.maskedPositions, m.maskedPositions.sorted())
                    XCTAssertEqual(maskedSet.count, m.maskedPositions.count)
                    for i in 0..<b.tokens.count {
                        if maskedSet.contains(i) {
                            XCTAssertTrue(b.roles[i] == .response || b.roles[i] == .rationale, "masked a \(b.roles[i]) token")
                            XCTAssertTrue(m.tokens[i] == Self.tokens.maskID || randomIDs.contains(m.tokens[i]))
                        } else {
                            XCTAssertEqual(m.tokens[i], b.tokens[i])
                        }
                        if m.labels[i] != Tensor.ignoreIndex {
                            XCTAssertEqual(m.labels[i], b.labels[i])
                            XCTAssertTrue(b.roles[i + 1].isSupervised, "label on a \(b.roles[i + 1]) token")
                        } else if b.labels[i] != Tensor.ignoreIndex {
                            XCTAssertEqual(b.roles[i + 1], .rationale, "only rationale labels are dropped")
                        }
                    }
                    masked += maskedSet.count
                }
                XCTAssertGreaterThan(masked, 1000)
            }
        }
    }

    func testMaskedThoughtMasksAnswersToo() {
        var rng = SeededRandom(seed: 2)
        let policy = MaskingPolicy(rate: 0.5, replacement: .randomToken, protectAnswer: false, rationaleLabelDrop: 0, answerOnly: 0)
        var roles: Set<TokenRole> = []
        for b in batches(packed: false) {
            let m = policy.apply(b, step: 0, totalSteps: 1, tokens: Self.tokens, rng: &rng)
            for i in m.maskedPositions { roles.insert(b.roles[i]) }
            XCTAssertEqual(m.labels, b.labels)
        }
        XCTAssertEqual(roles, [.response, .rationale, .answer])
    }

    /// Binomial counts: per example the count has mean rate·n and variance n·rate·(1 − rate); per-token
    /// masking gives the same mean.
    func testBinomialCountMeanAndVariance() {
        let n = 50, rate: Float = 0.4, trials = 4000
        let example = TokenizedExample(tokens: [Int32](repeating: 100, count: n + 2),
                                       roles: [.prompt] + [TokenRole](repeating: .response, count: n) + [.prompt])
        let data = TokenizedDataset(examples: [example], maxLength: 256, truncated: 0, droppedWithoutLabels: 0, skipped: 0, skippedErrors: [])
        let p = BatchPlanner(dataset: data, strategy: .bucketed(batchSize: 1), padID: 0, seed: 0)
        let b = p.batch([[0]])
        for mode in [MaskingPolicy.Count.binomial, .perToken] {
            let policy = MaskingPolicy(rate: rate, count: mode, replacement: .randomToken)
            var rng = SeededRandom(seed: 99)
            let counts = (0..<trials).map { _ in Double(policy.apply(b, step: 0, totalSteps: 1, tokens: Self.tokens, rng: &rng).maskedPositions.count) }
            let mean = counts.reduce(0, +) / Double(trials)
            let variance = counts.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(trials - 1)
            XCTAssertEqual(mean, Double(rate) * Double(n), accuracy: 0.25, "\(mode)")
            XCTAssertEqual(variance, Double(n) * Double(rate) * Double(1 - rate), accuracy: 1.5, "\(mode)")
        }
    }

    /// Rationale labels: 10% of examples lose them all, the rest lose about 10% of them.
    func testRationaleLabelDropRates() {
        var rng = SeededRandom(seed: 17)
        var answerOnly = 0, cotExamples = 0, dropped = 0, kept = 0
        for _ in 0..<10 {
            for b in batches(packed: false) {
                let m = MaskingPolicy.remaskCoT.apply(b, step: 0, totalSteps: 1, tokens: Self.tokens, rng: &rng)
                for s in b.spans {
                    let range = (s.row * b.length + s.start)..<(s.row * b.length + s.start + s.count - 1)
                    let rationale = range.filter { b.labels[$0] != Tensor.ignoreIndex && b.roles[$0 + 1] == .rationale }
                    // Long enough that losing every label by chance (0.1^20) does not happen.
                    guard rationale.count > 20 else { continue }
                    cotExamples += 1
                    let lost = rationale.filter { m.labels[$0] == Tensor.ignoreIndex }.count
                    if lost == rationale.count { answerOnly += 1; continue }
                    dropped += lost
                    kept += rationale.count - lost
                }
            }
        }
        XCTAssertGreaterThan(cotExamples, 500)
        XCTAssertEqual(Double(answerOnly) / Double(cotExamples), 0.1, accuracy: 0.025)
        XCTAssertEqual(Double(dropped) / Double(dropped + kept), 0.1, accuracy: 0.01)
    }

    func testReplacementKinds() {
        let b = batches(packed: false)[0]
        for (replacement, maskShare) in [(MaskingPolicy.Replacement.maskToken, 1.0), (.randomToken, 0.0), (.mix(maskFraction: 0.3), 0.3)] {
            var rng = SeededRandom(seed: 1)
            var masks = 0, total = 0
            for _ in 0..<20 {
                let m = MaskingPolicy(rate: 0.5, replacement: replacement).apply(b, step: 0, totalSteps: 1, tokens: Self.tokens, rng: &rng)
                masks += m.maskedPositions.filter { m.tokens[$0] == Self.tokens.maskID }.count
                total += m.maskedPositions.count
            }
            XCTAssertEqual(Double(masks) / Double(total), maskShare, accuracy: 0.04, "\(replacement)")
        }
    }

    func testRampRisesLinearlyOverTheFraction() {
        let policy = MaskingPolicy(rate: 0.4, rampFraction: 2.0 / 3)
        XCTAssertEqual(policy.rate(step: 0, totalSteps: 300), 0)
        XCTAssertEqual(policy.rate(step: 100, totalSteps: 300), 0.2, accuracy: 1e-6)
        XCTAssertEqual(policy.rate(step: 200, totalSteps: 300), 0.4, accuracy: 1e-6)
        XCTAssertEqual(policy.rate(step: 299, totalSteps: 300), 0.4, accuracy: 1e-6)
        XCTAssertEqual(MaskingPolicy.remask.rate(step: 0, totalSteps: 300), 0.4)
        // At step 0 of a ramp nothing is masked.
        var rng = SeededRandom(seed: 3)
        let b = batches(packed: false)[0]
        XCTAssertEqual(MaskingPolicy.maskedThought.apply(b, step: 0, totalSteps: 10, tokens: Self.tokens, rng: &rng).tokens, b.tokens)
    }

    func testSameSeedSameMasks() {
        let b = batches(packed: true)[0]
        var r1 = SeededRandom(seed: 5), r2 = SeededRandom(seed: 5)
        let m1 = MaskingPolicy.remaskCoT.apply(b, step: 3, totalSteps: 10, tokens: Self.tokens, rng: &r1)
        let m2 = MaskingPolicy.remaskCoT.apply(b, step: 3, totalSteps: 10, tokens: Self.tokens, rng: &r2)
        XCTAssertEqual(m1.tokens, m2.tokens)
        XCTAssertEqual(m1.labels, m2.labels)
        XCTAssertEqual(MaskingPolicy.sft.apply(b, step: 0, totalSteps: 1, tokens: Self.tokens, rng: &r1).tokens, b.tokens)
    }

    /// A micro-batch's masks come from its own stream of the run's seed (made directly, whatever rank computes it):
    /// the same stream gives the same masks, neighbouring streams and seeds give others.
    func testMicroBatchStreamsAreReproducibleAndDistinct() {
        let b = batches(packed: true)[0]
        func masks(seed: UInt64, stream: UInt64) -> [Int32] {
            var rng = SeededRandom(seed: seed, stream: stream)
            return MaskingPolicy.remaskCoT.apply(b, step: 3, totalSteps: 10, tokens: Self.tokens, rng: &rng).tokens
        }
        XCTAssertEqual(masks(seed: 7, stream: 5), masks(seed: 7, stream: 5))
        XCTAssertNotEqual(masks(seed: 7, stream: 5), masks(seed: 7, stream: 6))
        XCTAssertNotEqual(masks(seed: 7, stream: 5), masks(seed: 8, stream: 5))
        var streams = Set<UInt64>()
        for stream in 0..<1000 as Range<UInt64> {
            var rng = SeededRandom(seed: 7, stream: stream)
            streams.insert(rng.next())
        }
        XCTAssertEqual(streams.count, 1000, "streams must not collide")
    }
}
