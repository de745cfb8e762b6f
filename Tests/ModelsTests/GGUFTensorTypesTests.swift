import XCTest
@testable import Models

/// The types a GGUF export gives each tensor: llama-quantize's choices for q6_k and q4_k_m.
final class GGUFTensorTypesTests: XCTestCase {
    func testQ4KMGivesQ6KToAttnVAndFFNDownInHalfTheLayers() {
        let types = GGUFTensorTypes(dtype: .q4_k_m, layers: 8, tiedEmbeddings: false)
        // use_more_bits(i, 8): i < 1, i >= 7, or (i - 1) % 3 == 2.
        let moreBits: Set = [0, 3, 6, 7]
        for layer in 0..<8 {
            let want: GGMLType = moreBits.contains(layer) ? .q6_K : .q4_K
            XCTAssertEqual(types.type(of: "blk.\(layer).attn_v.weight", shape: [256, 512]), want, "layer \(layer)")
            XCTAssertEqual(types.type(of: "blk.\(layer).ffn_down.weight", shape: [256, 512]), want, "layer \(layer)")
            for name in ["attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"] {
                XCTAssertEqual(types.type(of: "blk.\(layer).\(name).weight", shape: [256, 512]), .q4_K, "\(name) \(layer)")
            }
            XCTAssertEqual(types.type(of: "blk.\(layer).attn_norm.weight", shape: [256]), .f32)
        }
        XCTAssertEqual(types.type(of: "output.weight", shape: [1000, 512]), .q6_K)
        XCTAssertEqual(types.type(of: "token_embd.weight", shape: [1000, 512]), .q4_K)
    }

    func testATiedEmbeddingIsTheOutputMatrix() {
        XCTAssertEqual(GGUFTensorTypes(dtype: .q4_k_m, layers: 30, tiedEmbeddings: true).type(of: "token_embd.weight", shape: [1000, 512]), .q6_K)
        XCTAssertEqual(GGUFTensorTypes(dtype: .q6_k, layers: 30, tiedEmbeddings: true).type(of: "token_embd.weight", shape: [1000, 576]), .q8_0)
    }

    /// Rows that are not whole blocks of 256 (SmolLM2's 576) fall back as llama.cpp's do, to f16 when not
    /// whole blocks of 32 either.
    func testRowsThatAreNotWholeBlocksFallBack() {
        let q4KM = GGUFTensorTypes(dtype: .q4_k_m, layers: 8, tiedEmbeddings: true)
        XCTAssertEqual(q4KM.type(of: "blk.1.attn_q.weight", shape: [576, 576]), .q5_0)
        XCTAssertEqual(q4KM.type(of: "blk.0.attn_v.weight", shape: [192, 576]), .q8_0)
        XCTAssertEqual(q4KM.type(of: "blk.0.ffn_down.weight", shape: [576, 1536]), .q6_K)
        XCTAssertEqual(q4KM.type(of: "blk.1.ffn_down.weight", shape: [576, 1536]), .q4_K)
        XCTAssertEqual(q4KM.type(of: "blk.1.ffn_up.weight", shape: [64, 100]), .f16)
        XCTAssertEqual(q4KM.type(of: "token_embd.weight", shape: [1000, 100]), .f16)
        let q6K = GGUFTensorTypes(dtype: .q6_k, layers: 8, tiedEmbeddings: true)
        XCTAssertEqual(q6K.type(of: "blk.1.attn_q.weight", shape: [576, 576]), .q8_0)
        XCTAssertEqual(q6K.type(of: "blk.1.ffn_down.weight", shape: [576, 1536]), .q6_K)
    }

    func testLegacyTypesKeepTheirRules() {
        let q4 = GGUFTensorTypes(dtype: .q4_0, layers: 2, tiedEmbeddings: true)
        XCTAssertEqual(q4.type(of: "token_embd.weight", shape: [100, 64]), .q8_0)
        XCTAssertEqual(q4.type(of: "blk.0.attn_q.weight", shape: [64, 64]), .q4_0)
        XCTAssertEqual(q4.type(of: "blk.0.attn_q.weight", shape: [64, 40]), .f32)
        XCTAssertEqual(GGUFTensorTypes(dtype: .f16, layers: 2, tiedEmbeddings: true).type(of: "output_norm.weight", shape: [64]), .f32)
    }
}
