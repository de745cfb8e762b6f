import Core
import Foundation
import Models
import NPM
import TestSupport
import XCTest

/// NPM's span selection, masked batch and contrastive loss against an independent PyTorch reference on a tiny
/// random BERT (`tools/make_npm_fixture.py` → `Tests/Fixtures/npm_contrastive_tiny.json`).
final class ContrastiveReferenceTests: XCTestCase {
    struct Reference: Decodable {
        struct Config: Decodable {
            let vocab_size, hidden_size, num_hidden_layers, num_attention_heads, intermediate_size, max_position_embeddings: Int
        }
        let config: Config
        let mask_id, pad_id: Int32
        let max_span_length: Int
        let function_words: [Int32]
        let blocks: [[Int32]]
        let starts_word: [[Bool]]
        let eligible, spans: [[[Int]]]
        let length: Int
        let ids: [[Int32]]
        let lengths: [Int]
        let query_rows, query_block: [Int32]
        let positives: [[Int32]]
        let start_queries: Int
        let candidate_rows, candidate_block: [Int32]
        let loss, loss_start, loss_end: Double
        let weights, gradients: [String: [Float]]
    }

    func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixturesDirectory.appendingPathComponent("npm_contrastive_tiny.json")))
    }

    func blocks(_ r: Reference) -> [EncodedBlock] {
        zip(r.blocks, r.starts_word).map { EncodedBlock(ids: $0, startsWord: $1) }
    }

    /// The phrases that may be masked in each block are the reference's.
    func testEligibleSpansMatchTheReference() throws {
        let r = try reference()
        let blocks = blocks(r)
        let phrases = PhraseOccurrences(blocks: blocks, maxLength: r.max_span_length, functionWords: Set(r.function_words))
        for b in blocks.indices {
            XCTAssertEqual(phrases.eligibleSpans(in: blocks, block: b), r.eligible[b].map { Span(start: $0[0], length: $0[1]) }, "block \(b)")
        }
    }

    /// Given the reference's spans, the masked rows, the queries and their positives are the reference's.
    func testMaskedBatchMatchesTheReference() throws {
        let r = try reference()
        let batch = try makeBatch(r)
        XCTAssertEqual(batch.length, r.length)
        XCTAssertEqual(batch.ids, r.ids.flatMap { $0 })
        XCTAssertEqual(batch.lengths, r.lengths)
        XCTAssertEqual(batch.queryRows, r.query_rows)
        XCTAssertEqual(batch.queryBlock, r.query_block)
        XCTAssertEqual(batch.positives, r.positives)
        XCTAssertEqual(batch.startQueries, r.start_queries)
        XCTAssertEqual(batch.candidateRows, r.candidate_rows)
        XCTAssertEqual(batch.candidateBlock, r.candidate_block)
    }

    /// The loss, its halves, and the gradient of every encoder parameter within 1e-5 of PyTorch's (float64).
    func testLossAndGradientsMatchPyTorch() throws {
        let r = try reference()
        let c = r.config
        let encoder = EncoderModel(config: EncoderConfig(vocabSize: c.vocab_size, hidden: c.hidden_size, layers: c.num_hidden_layers,
                                                         heads: c.num_attention_heads, intermediate: c.intermediate_size,
                                                         maxPositions: c.max_position_embeddings), seed: nil)
        for p in encoder.parameters.parameters {
            let values = try XCTUnwrap(r.weights[p.name], "the reference has no \(p.name)")
            XCTAssertEqual(values.count, p.count, p.name)
            p.tensor.pointer.update(from: values, count: p.count)
        }
        let batch = try makeBatch(r)
        encoder.parameters.zeroGrad()
        let hidden = encoder.hiddenStates(batch.ids, batch: 2 * batch.blocks, length: batch.length, lengths: batch.lengths)
        let (loss, parts) = try XCTUnwrap(ContrastiveLoss.loss(hidden: hidden, batch: batch))
        XCTAssertEqual(Double(loss.item), r.loss, accuracy: 1e-5)
        XCTAssertEqual(parts.start, r.loss_start, accuracy: 1e-5)
        XCTAssertEqual(parts.end, r.loss_end, accuracy: 1e-5)
        loss.backward()
        var worst: Float = 0, largest: Float = 0
        for p in encoder.parameters.parameters {
            let expected = try XCTUnwrap(r.gradients[p.name])
            let got = try XCTUnwrap(p.tensor.grad, "no gradient for \(p.name)").values
            for (a, b) in zip(got, expected) { worst = max(worst, abs(a - b)); largest = max(largest, abs(b)) }
        }
        print("NPM contrastive loss: loss \(loss.item) (PyTorch \(r.loss)); largest gradient difference \(worst), largest gradient \(largest)")
        XCTAssertLessThan(worst, 1e-5)
        XCTAssertGreaterThan(largest, 1e-2, "the reference gradients are not trivially small")
    }

    private func makeBatch(_ r: Reference) throws -> ContrastiveBatch {
        let blocks = blocks(r)
        let phrases = PhraseOccurrences(blocks: blocks, maxLength: r.max_span_length, functionWords: Set(r.function_words))
        let spans = r.spans.map { $0.map { Span(start: $0[0], length: $0[1]) } }
        return ContrastiveBatch(blocks: blocks, spans: spans, phrases: phrases, maskID: r.mask_id, padID: r.pad_id)
    }
}
