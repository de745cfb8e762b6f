import XCTest
import Models

final class DecoderConfigTests: XCTestCase {
    func testSmolLM2GeometryHasTheKnownParameterCount() {
        XCTAssertEqual(DecoderConfig.smolLM2_135M.parameterCount, 134_515_008)
        XCTAssertNil(DecoderConfig.smolLM2_135M.validationError())
    }

    func testParameterCountMatchesWhatTheModelAllocates() {
        let configs: [DecoderConfig] = [
            .llama(vocabSize: 50, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, tiedEmbeddings: false),
            .stableLM(vocabSize: 50, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, partialRotaryFactor: 0.5, qkvBias: true),
            .stableLM(vocabSize: 50, hidden: 16, layers: 3, heads: 4, kvHeads: 4, intermediate: 24, partialRotaryFactor: 0.5, qkLayerNorm: true,
                      parallelResidual: true),
        ]
        for c in configs { XCTAssertEqual(CausalLM(config: c).parameters.count, c.parameterCount, "\(c)") }
    }

    func testInvalidGeometriesAreExplained() {
        var c = DecoderConfig.smolLM2_135M
        c.kvHeads = 4
        XCTAssertEqual(c.validationError(), "9 heads are not a multiple of the 4 key/value heads")
        c = .smolLM2_135M
        c.rotaryDim = 63
        XCTAssertEqual(c.validationError(), "rotary dimension 63 must be even and at most the head dimension 64")
        XCTAssertEqual(DecoderConfig.llama(vocabSize: 10, hidden: 577, layers: 1, heads: 9, kvHeads: 3, intermediate: 8).validationError(),
                       "hidden size 577 is not a multiple of the 9 heads")
    }
}
