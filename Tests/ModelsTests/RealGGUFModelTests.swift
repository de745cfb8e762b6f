import Core
import Foundation
import Models
import XCTest

/// The default model's file, when it has been downloaded.
final class RealGGUFModelTests: XCTestCase {
    static var modelPath: String {
        FileManager.default.homeDirectoryForCurrentUser
            .appendingPathComponent(".cache/remask/models/SmolLM2-135M-Instruct.Q4_1.gguf").path
    }

    func testSmolLM2Q4_1ParsesAndDequantizes() throws {
        let path = Self.modelPath
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "\(path) is not downloaded")
        let start = Date()
        let file = try GGUFFile(path: path)
        let parsed = Date()
        var tensors: [String: Tensor] = [:]
        for t in file.tensors { tensors[t.name] = try file.tensor(t.name) }
        let done = Date()
        print(String(format: "SmolLM2 Q4_1 GGUF: parse %.3f s, dequantize all %d tensors %.3f s, total %.3f s",
                     parsed.timeIntervalSince(start), file.tensors.count, done.timeIntervalSince(parsed),
                     done.timeIntervalSince(start)))

        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(file.tensors.count, 272)
        XCTAssertEqual(try file.metadata.int("llama.block_count"), 30)
        XCTAssertEqual(try file.metadata.int("llama.embedding_length"), 576)
        XCTAssertEqual(try file.metadata.int("llama.attention.head_count_kv"), 3)
        XCTAssertEqual(try file.metadata.float("llama.rope.freq_base"), 100_000)
        XCTAssertEqual(try file.metadata.string("tokenizer.ggml.model"), "gpt2")
        XCTAssertEqual(try file.metadata.stringArray("tokenizer.ggml.tokens").count, 49152)
        XCTAssertEqual(try file.metadata.stringArray("tokenizer.ggml.tokens")[1], "<|im_start|>")
        XCTAssertEqual(try file.metadata.intArray("tokenizer.ggml.token_type").count, 49152)
        XCTAssertEqual(try file.metadata.stringArray("tokenizer.ggml.merges").count, 48900)
        XCTAssertEqual(try file.metadata.bool("tokenizer.ggml.add_bos_token"), false)

        let embedding = try XCTUnwrap(file.info("token_embd.weight"))
        XCTAssertEqual(embedding.type, .q8_0)
        XCTAssertEqual(embedding.shape, [49152, 576])
        XCTAssertEqual(file.tensors.filter { $0.type == .q4_1 }.count, 210)
        XCTAssertEqual(file.tensors.filter { $0.type == .f32 }.count, 61)
        XCTAssertNil(file.info("output.weight"))  // tied to the embedding
        XCTAssertEqual(file.info("blk.0.ffn_down.weight")?.shape, [576, 1536])

        let norm = try XCTUnwrap(tensors["output_norm.weight"])
        XCTAssertEqual(norm.shape, [576])
        XCTAssertTrue(norm.values.allSatisfy(\.isFinite))
        XCTAssertEqual(Array(norm.values.prefix(3)), [1.7578125, 1.8203125, 1.78125])

        // Values computed independently with numpy from the file's bytes.
        let emb = try XCTUnwrap(tensors["token_embd.weight"]).values
        XCTAssertEqual(Array(emb[576..<580]), [-0.0238037109375, -0.015869140625, -0.0396728515625, 0.015869140625])
        XCTAssertEqual(Array(emb.suffix(2)), [-0.11989402770996094, -0.0417022705078125])
        let down = try XCTUnwrap(tensors["blk.0.ffn_down.weight"]).values
        XCTAssertEqual(Array(down[1536..<1540]), [0.17236328125, -0.1959228515625, 0.0145263671875, -0.0906982421875])
        XCTAssertEqual(Array(down.suffix(3)), [-0.2421875, -0.0901336669921875, -0.181365966796875])
    }
}
