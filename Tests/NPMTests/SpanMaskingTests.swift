import Core
import NPM
import XCTest

/// The span sampler keeps NPM's rules on random batches, and the contrastive loss's gradient agrees with finite
/// differences.
final class SpanMaskingTests: XCTestCase {
    /// Random blocks over a small vocabulary (so phrases repeat across blocks); about one token in four a `##` piece.
    func randomBlocks(_ rng: inout SeededRandom, count: Int, length: Int) -> [EncodedBlock] {
        (0..<count).map { _ in
            var ids: [Int32] = [2], starts = [true]
            for _ in 0..<length {
                let continuation = rng.nextFloat() < 0.25
                ids.append(Int32(continuation ? 40 + rng.nextInt(below: 4) : 5 + rng.nextInt(below: 12)))
                starts.append(!continuation)
            }
            starts[1] = true
            return EncodedBlock(ids: ids + [3], startsWord: starts + [true])
        }
    }

    func testChosenSpansKeepTheRules() {
        var rng = SeededRandom(seed: 11)
        let settings = SpanMaskingSettings()
        var lengthCounts = [Int](repeating: 0, count: settings.maxSpanLength + 1)
        var maskedTokens = 0, textTokens = 0
        for _ in 0..<40 {
            let blocks = randomBlocks(&rng, count: 8, length: 60)
            let phrases = PhraseOccurrences(blocks: blocks, maxLength: settings.maxSpanLength)
            let chosen = SpanMasker.choose(blocks: blocks, phrases: phrases, settings: settings, rng: &rng)
            for (b, spans) in chosen.enumerated() {
                let eligible = Set(phrases.eligibleSpans(in: blocks, block: b))
                let budget = Int((Double(blocks[b].content.count) * settings.budget).rounded())
                XCTAssertLessThanOrEqual(spans.reduce(0) { $0 + $1.length }, budget)
                XCTAssertLessThanOrEqual(spans.count, settings.maxSpans)
                XCTAssertEqual(spans, spans.sorted())
                for (i, s) in spans.enumerated() {
                    XCTAssertTrue(eligible.contains(s), "block \(b): \(s) is not an eligible span")
                    XCTAssertTrue(blocks[b].isWholeWords(start: s.start, length: s.length))
                    XCTAssertFalse(phrases.occurrences(of: blocks[b].ids[s.start..<s.end], outside: b).isEmpty)
                    if i > 0 { XCTAssertGreaterThan(s.start, spans[i - 1].end, "spans overlap or touch") }
                    lengthCounts[s.length] += 1
                }
                maskedTokens += spans.reduce(0) { $0 + $1.length }
                textTokens += blocks[b].content.count
            }
        }
        let spans = lengthCounts.reduce(0, +)
        print("span lengths \(lengthCounts), masked \(maskedTokens) of \(textTokens) tokens")
        XCTAssertGreaterThan(Double(maskedTokens) / Double(textTokens), 0.10, "the budget is mostly filled")
        XCTAssertGreaterThan(Double(lengthCounts[1]) / Double(spans), 0.4, "about half the spans are one token (p = 0.5)")
        XCTAssertGreaterThan(lengthCounts[2...].reduce(0, +), spans / 5, "longer spans occur too")
    }

    func testSameSeedSameSpans() {
        var data = SeededRandom(seed: 5)
        let blocks = randomBlocks(&data, count: 6, length: 40)
        let phrases = PhraseOccurrences(blocks: blocks, maxLength: 10)
        var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9), c = SeededRandom(seed: 10)
        let first = SpanMasker.choose(blocks: blocks, phrases: phrases, settings: SpanMaskingSettings(), rng: &a)
        XCTAssertEqual(first, SpanMasker.choose(blocks: blocks, phrases: phrases, settings: SpanMaskingSettings(), rng: &b))
        XCTAssertNotEqual(first, SpanMasker.choose(blocks: blocks, phrases: phrases, settings: SpanMaskingSettings(), rng: &c))
    }

    /// A block whose phrases occur nowhere else gets no span, and the batch then has no query.
    func testNoSharedPhraseNoSpan() {
        let blocks = [EncodedBlock(ids: [2, 5, 6, 3], startsWord: [true, true, true, true]),
                      EncodedBlock(ids: [2, 7, 8, 3], startsWord: [true, true, true, true])]
        let phrases = PhraseOccurrences(blocks: blocks, maxLength: 10)
        var rng = SeededRandom(seed: 1)
        let spans = SpanMasker.choose(blocks: blocks, phrases: phrases, settings: SpanMaskingSettings(), rng: &rng)
        XCTAssertEqual(spans, [[], []])
        let batch = ContrastiveBatch(blocks: blocks, spans: spans, phrases: phrases, maskID: 4, padID: 0)
        XCTAssertTrue(batch.queryRows.isEmpty)
        XCTAssertNil(ContrastiveLoss.loss(hidden: Tensor.zeros([batch.ids.count, 4]), batch: batch))
    }

    /// d loss / d score against central differences, with several positives and a query's own block excluded.
    func testContrastiveGradientMatchesFiniteDifferences() {
        var rng = SeededRandom(seed: 3)
        let nq = 4, n = 9
        let values = (0..<(nq * n)).map { _ in rng.nextNormal() * 2 }
        let queryBlock: [Int32] = [0, 1, 0, 2]
        let candidateBlock: [Int32] = [0, 0, 0, 1, 1, 1, 2, 2, 2]
        let positives: [[Int32]] = [[3, 7], [0], [5], [1, 4]]
        func loss(_ v: [Float]) -> Double {
            Double(ContrastiveLoss.loss(scores: Tensor(v, shape: [nq, n]), queryBlock: queryBlock, candidateBlock: candidateBlock,
                                        positives: positives, startQueries: 2).loss.item)
        }
        let scores = Tensor(values, shape: [nq, n], requiresGrad: true)
        let (l, parts) = ContrastiveLoss.loss(scores: scores, queryBlock: queryBlock, candidateBlock: candidateBlock,
                                              positives: positives, startQueries: 2)
        XCTAssertEqual(Double(l.item), parts.start + parts.end, accuracy: 1e-6)
        l.backward()
        let analytic = scores.grad!.values
        for i in 0..<(nq * n) {
            var up = values, down = values
            up[i] += 1e-2; down[i] -= 1e-2
            let numeric = (loss(up) - loss(down)) / 2e-2
            XCTAssertEqual(Double(analytic[i]), numeric, accuracy: 2e-3, "score \(i)")
            if candidateBlock[i % n] == queryBlock[i / n] { XCTAssertEqual(analytic[i], 0, "own block \(i)") }
        }
    }
}
