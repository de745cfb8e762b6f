import XCTest
import Foundation
import Core
import Models

/// Loading a model that cannot work: each case names the file and what is wrong.
final class ModelLoadingErrorTests: XCTestCase {
    let tiny = GoldenModelTests.fixtures.appendingPathComponent("tiny-llama")

    func copyOfTiny() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("remask-load-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: tiny, to: dir)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func assertLoadFails(_ path: String, containing expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try LanguageModel.load(path), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "“\(error)” should mention “\(expected)”", file: file, line: line)
        }
    }

    func testMissingPath() {
        assertLoadFails("/nonexistent/model.gguf", containing: "/nonexistent/model.gguf: no such file or folder")
    }

    func testUnknownArchitectureInConfig() throws {
        let dir = try copyOfTiny()
        let config = dir.appendingPathComponent("config.json")
        var text = try String(contentsOf: config, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"model_type\": \"llama\"", with: "\"model_type\": \"gpt9\"")
        try text.write(to: config, atomically: true, encoding: .utf8)
        assertLoadFails(dir.path, containing: "config.json: model_type \"gpt9\" is not supported")
    }

    /// A copy of the tiny model whose weights file is rewritten: `edit` returns each tensor's replacement
    /// (nil drops it).
    func tinyWithWeights(_ edit: (String, Tensor) -> Tensor?) throws -> URL {
        let dir = try copyOfTiny()
        let weights = dir.appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(path: weights.path)
        var writer = SafetensorsWriter()
        for name in file.tensorNames { if let t = edit(name, try file.tensor(name)) { writer.add(name, t) } }
        try writer.write(to: weights.path)
        return dir
    }

    func testMissingTensor() throws {
        let dir = try tinyWithWeights { name, t in name == "model.layers.1.mlp.up_proj.weight" ? nil : t }
        assertLoadFails(dir.path, containing: "missing tensor model.layers.1.mlp.up_proj.weight")
    }

    func testWrongTensorShape() throws {
        let dir = try tinyWithWeights { name, t in name == "model.norm.weight" ? Tensor.zeros([7]) : t }
        assertLoadFails(dir.path, containing: "tensor model.norm.weight has shape [7], the model expects [32]")
    }

    func testUnknownArchitectureInGGUF() throws {
        var w = GGUFWriter()
        w.set("general.architecture", .string("gpt9"))
        w.set("gpt9.attention.head_count", .uint32(4))
        w.set("gpt9.embedding_length", .uint32(32))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("remask-\(UUID().uuidString).gguf").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        try w.write(to: path)
        assertLoadFails(path, containing: "architecture \"gpt9\" is not supported")
    }

    func testTruncatedGGUFNamesTheFile() throws {
        let src = GoldenModelTests.fixtures.appendingPathComponent("tiny-llama")
        let lm = try LanguageModel.load(src.path)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("remask-\(UUID().uuidString).gguf").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        try ModelExport.export(lm, to: path, format: .gguf, dtype: .f32)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count - 100).write(to: URL(fileURLWithPath: path))
        assertLoadFails(path, containing: path)
    }

    /// Sizes in config.json or GGUF metadata far beyond what the file holds are refused before anything is
    /// allocated (a million layers in a few kilobytes), and so is a model larger than this machine's memory.
    func testSizesBeyondTheFileAreRefusedBeforeAllocating() throws {
        for (key, value) in [("num_hidden_layers", "1000000"), ("intermediate_size", "900000000"), ("vocab_size", "900000000"),
                             ("hidden_size", "65536")] {
            let dir = try copyOfTiny()
            let config = dir.appendingPathComponent("config.json")
            var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
            json[key] = Int(value)!
            if key == "hidden_size" { json["head_dim"] = 65536 / (json["num_attention_heads"] as! Int) }
            try JSONSerialization.data(withJSONObject: json).write(to: config)
            assertLoadFails(dir.path, containing: "but its tensors hold only")
        }

        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        for (key, value) in [("block_count", 1_000_000), ("embedding_length", 64), ("feed_forward_length", 1_000_000_000),
                             ("attention.head_count", 4), ("attention.head_count_kv", 4), ("context_length", 64)] {
            w.set("llama.\(key)", .uint32(UInt32(value)))
        }
        w.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
        w.set("llama.vocab_size", .uint32(100))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("remask-\(UUID().uuidString).gguf").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        try w.write(to: path)
        assertLoadFails(path, containing: "but its tensors hold only 0 values")
    }

    /// Settings of the newer architectures that remask does not implement, or that do not fit the model, stop
    /// with the setting named: sliding-window attention in a Qwen config.json; in GGUF, a RoPE scaling type
    /// other than linear, and rope factors of the wrong count.
    func testUnsupportedSlidingWindowsAndRopeScalingsAreRefused() throws {
        for (changes, expected) in [(["model_type": "qwen2", "use_sliding_window": true] as [String: Any], "sliding-window attention"),
                                    (["model_type": "qwen3", "layer_types": ["sliding_attention", "full_attention"]], "sliding-window attention")] {
            let dir = try copyOfTiny()
            let config = dir.appendingPathComponent("config.json")
            var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
            json.merge(changes) { $1 }
            try JSONSerialization.data(withJSONObject: json).write(to: config)
            assertLoadFails(dir.path, containing: expected)
        }
        func gguf(_ extra: (inout GGUFWriter) -> Void) throws -> String {
            var w = GGUFWriter()
            w.set("general.architecture", .string("llama"))
            for (key, value) in [("block_count", 1), ("embedding_length", 64), ("feed_forward_length", 128),
                                 ("attention.head_count", 4), ("attention.head_count_kv", 4), ("context_length", 64)] {
                w.set("llama.\(key)", .uint32(UInt32(value)))
            }
            w.set("llama.attention.layer_norm_rms_epsilon", .float32(1e-5))
            w.set("llama.vocab_size", .uint32(100))
            extra(&w)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("remask-\(UUID().uuidString).gguf").path
            addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
            try w.write(to: path)
            return path
        }
        assertLoadFails(try gguf { $0.set("llama.rope.scaling.type", .string("yarn")) },
                        containing: "llama.rope.scaling.type \"yarn\" is not supported")
        // Heads of 16 rotate 8 frequencies.
        assertLoadFails(try gguf { $0.add("rope_freqs.weight", Tensor([1, 2, 3], shape: [3]), as: .f32) },
                        containing: "3 rope frequency factors for 8 frequencies")
    }

    /// config.json settings that change the math and that remask does not implement are refused, as are
    /// tensors the geometry does not use; a tied model's spare lm_head and rotary buffers are fine.
    func testUnimplementedSettingsAndUnusedTensorsAreRefused() throws {
        for (key, value, expected) in [("rope_scaling", ["rope_type": "yarn", "factor": 4.0] as Any, "rope_scaling of type \"yarn\" is not supported"),
                                       ("rope_parameters", ["rope_type": "dynamic", "factor": 2.0] as Any, "rope_parameters of type \"dynamic\""),
                                       ("rope_scaling", ["rope_type": "llama3", "factor": 8.0] as Any, "rope_scaling needs \"low_freq_factor\""),
                                       ("rope_scaling", ["type": "linear", "factor": -2.0] as Any, "rope scaling factor -2.0 must be positive"),
                                       ("attention_bias", true as Any, "attention_bias: true is not supported"),
                                       ("mlp_bias", true as Any, "mlp_bias: true is not supported")] {
            let dir = try copyOfTiny()
            let config = dir.appendingPathComponent("config.json")
            var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
            json[key] = value
            try JSONSerialization.data(withJSONObject: json).write(to: config)
            assertLoadFails(dir.path, containing: expected)
        }
        let extra = try tinyWithWeights { _, t in t }
        var writer = SafetensorsWriter()
        let file = try SafetensorsFile(path: extra.appendingPathComponent("model.safetensors").path)
        for name in file.tensorNames { writer.add(name, try file.tensor(name)) }
        writer.add("model.layers.0.self_attn.o_proj.bias", Tensor.zeros([32]))
        writer.add("model.layers.0.self_attn.rotary_emb.inv_freq", Tensor.zeros([4]))
        try writer.write(to: extra.appendingPathComponent("model.safetensors").path)
        assertLoadFails(extra.path, containing: "tensor model.layers.0.self_attn.o_proj.bias is not part of this llama geometry")
    }

    /// Gemma 3 settings remask does not implement stop with the setting named; the multimodal checkpoint is
    /// pointed to the text-only one.
    func testUnsupportedGemmaSettingsAreRefused() throws {
        let cases: [([String: Any], String)] = [
            (["final_logit_softcapping": 30.0], "final_logit_softcapping is not supported"),
            (["attn_logit_softcapping": 50.0], "attn_logit_softcapping is not supported"),
            (["query_pre_attn_scalar": 8], "query_pre_attn_scalar 8 differs from head_dim 16"),
            (["use_bidirectional_attention": true], "use_bidirectional_attention: true is not supported"),
            (["hidden_activation": "silu"], "hidden_activation \"silu\" is not supported for gemma3_text"),
            (["layer_types": ["sliding_attention", "chunked_attention", "full_attention", "sliding_attention",
                              "sliding_attention", "full_attention"]], "layer_types holds \"chunked_attention\""),
            (["layer_types": ["full_attention"]], "1 layer attention types for 6 layers"),
            (["model_type": "gemma3"], "the multimodal Gemma 3"),
            (["rope_parameters": ["sliding_attention": ["rope_type": "linear", "factor": 8.0],
                                  "full_attention": ["rope_type": "default", "rope_theta": 1e6]]],
             "rope_parameters.sliding_attention of type \"linear\" is not supported"),
        ]
        for (changes, expected) in cases {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("remask-gemma-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: GoldenModelTests.fixtures.appendingPathComponent("tiny-gemma3"), to: dir)
            addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
            let config = dir.appendingPathComponent("config.json")
            var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
            json.merge(changes) { $1 }
            try JSONSerialization.data(withJSONObject: json).write(to: config)
            assertLoadFails(dir.path, containing: expected)
        }
    }

    /// Mistral v0.1's sliding window is read, not dropped: its config.json sets 4096 positions.
    func testMistralSlidingWindowIsRead() throws {
        let dir = try copyOfTiny()
        let config = dir.appendingPathComponent("config.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        json["model_type"] = "mistral"
        json["sliding_window"] = 4
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        let config4 = try LanguageModel.load(dir.path).model.config
        XCTAssertEqual(config4.slidingWindow, 4)
        XCTAssertEqual((0..<config4.layers).map { config4.window(layer: $0) }, [4, 4])
        json["sliding_window"] = NSNull()
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        XCTAssertNil(try LanguageModel.load(dir.path).model.config.slidingWindow)
    }
}
