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
            .qwen(.qwen3, vocabSize: 50, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, headDim: 8),
            .gemma3(vocabSize: 50, hidden: 16, layers: 6, heads: 4, kvHeads: 1, intermediate: 24, headDim: 8),
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

    /// Gemma 3 270M's geometry (the GGUF's tensors hold 268,098,176 values) and its layer pattern: every sixth
    /// layer global with the global rope base, the others a 512-token window with base 10,000.
    func testGemma3LayersAlternateWindowsAndRopeBases() {
        let c = DecoderConfig.gemma3(vocabSize: 262_144, hidden: 640, layers: 18, heads: 4, kvHeads: 1, intermediate: 2048, headDim: 256)
        XCTAssertNil(c.validationError())
        XCTAssertEqual(c.parameterCount, 268_098_176)
        XCTAssertEqual((0..<18).filter { c.window(layer: $0) == nil }, [5, 11, 17])
        XCTAssertEqual(c.window(layer: 0), 512)
        XCTAssertEqual(c.rope(layer: 0).base, 10000)
        XCTAssertEqual(c.rope(layer: 5).base, 1_000_000)
        XCTAssertEqual(c.embeddingScale!, Float(640).squareRoot(), accuracy: 1e-4)
    }
}
