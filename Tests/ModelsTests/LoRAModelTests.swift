import XCTest
import Foundation
import Core
import NN
import Models

/// LoRA adapter folders (PEFT layout) on the tiny Llama fixture: a bit-exact round trip, and clear errors for
/// files that do not fit.
final class LoRAModelTests: XCTestCase {
    static let fixture = GoldenModelTests.fixtures.appendingPathComponent("tiny-llama").path
    let tokens: [Int32] = [5, 17, 3, 88, 42, 9, 61, 0]
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("remask-lora-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func logits(_ model: CausalLM) -> [Float] {
        Autograd.withNoGrad { model.logits(tokens, batch: 2, length: 4) }.values
    }

    /// Adapters with random nonzero weights on the fixture, saved to `folder`.
    func saveTrainedAdapters(_ config: LoRAConfig = LoRAConfig(rank: 4, alpha: 16, dropout: 0.1, targets: [.q, .v, .down])) throws -> [Float] {
        let model = try LanguageModel.load(Self.fixture).model
        let adapters = model.attachLoRA(config)
        var rng = SeededRandom(seed: 1)
        for i in 0..<adapters.parameters.count { adapters.parameters.valuePointer[i] = 0.2 * rng.nextNormal() }
        try adapters.save(folder: folder.path, baseModel: "tiny-llama")
        return logits(model)
    }

    func testSaveAndLoadGiveBitIdenticalLogits() throws {
        let expected = try saveTrainedAdapters()
        let model = try LanguageModel.load(Self.fixture).model
        let adapters = try model.attachLoRA(folder: folder.path)
        XCTAssertEqual(adapters.config, LoRAConfig(rank: 4, alpha: 16, dropout: 0.1, targets: [.q, .v, .down]))
        XCTAssertFalse(adapters.isTraining)
        XCTAssertEqual(logits(model), expected)

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))) as! [String: Any]
        XCTAssertEqual(json["peft_type"] as? String, "LORA")
        XCTAssertEqual(json["r"] as? Int, 4)
        XCTAssertEqual(json["lora_alpha"] as? Int, 16)
        XCTAssertEqual(json["lora_dropout"] as? Double, 0.1)
        XCTAssertEqual(json["target_modules"] as? [String], ["q_proj", "v_proj", "down_proj"])
        XCTAssertEqual(json["base_model_name_or_path"] as? String, "tiny-llama")
        XCTAssertEqual(try LoRAConfig.peft(configAt: folder.appendingPathComponent("adapter_config.json").path).baseModel, "tiny-llama")
    }

    /// Rewrites the adapter weights through `edit` (names → tensors), then expects loading to fail with `message`
    /// and to leave the model without adapters and trainable.
    func expectLoadError(_ message: String, file: StaticString = #filePath, line: UInt = #line,
                         _ edit: (inout [String: Tensor]) -> Void) throws {
        _ = try saveTrainedAdapters()
        let path = folder.appendingPathComponent("adapter_model.safetensors").path
        let saved = try SafetensorsFile(path: path)
        var tensors = try Dictionary(uniqueKeysWithValues: saved.tensorNames.map { ($0, try saved.tensor($0)) })
        edit(&tensors)
        var writer = SafetensorsWriter()
        for (name, t) in tensors { writer.add(name, t) }
        try writer.write(to: path)
        try expectFolderError(message, file: file, line: line)
    }

    func expectFolderError(_ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try LanguageModel.load(Self.fixture).model
        XCTAssertThrowsError(try model.attachLoRA(folder: folder.path), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(message), "\(error)", file: file, line: line)
        }
        XCTAssertFalse(model.hasLoRA, file: file, line: line)
        XCTAssertTrue(model.parameters.isTrainable, file: file, line: line)
    }

    func testMissingExtraAndMisshapenTensorsAreNamed() throws {
        let a = "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight"
        try expectLoadError("missing tensor \(a)") { $0[a] = nil }
        try expectLoadError("unexpected tensor base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight") {
            $0["base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight"] = Tensor.zeros([4, 32])
        }
        try expectLoadError("tensor \(a) has shape [4, 31], the adapters expect [4, 32]") { $0[a] = Tensor.zeros([4, 31]) }
    }

    func testUnsupportedAdapterConfigsAreReported() throws {
        let cases: [([String: Any], String)] = [
            (["peft_type": "LORA", "r": 8, "target_modules": ["q_proj", "lm_head"]], "target module \"lm_head\" is not supported"),
            (["peft_type": "LORA", "r": 8, "target_modules": ["q_proj"], "use_dora": true], "\"use_dora\" is not supported"),
            (["peft_type": "IA3", "target_modules": ["q_proj"]], "peft_type IA3 is not LORA"),
            (["peft_type": "LORA", "r": 0, "target_modules": ["q_proj"]], "\"r\" must be a positive integer"),
            (["peft_type": "LORA", "r": 8], "\"target_modules\" must be a list"),
            (["r": 2, "target_modules": ["q_proj"], "trainable_token_indices": ["norm": [1]]],
             "trainable tokens of module \"norm\" are not supported"),
            (["r": 2, "target_modules": ["q_proj"], "trainable_token_indices": [500]],
             "trainable token index 500 is outside the vocabulary of 96"),
            (["r": 2, "target_modules": ["q_proj"], "trainable_token_indices": [1, 1]], "trainable embedding token indices repeat"),
        ]
        _ = try saveTrainedAdapters()
        for (json, message) in cases {
            try JSONSerialization.data(withJSONObject: json).write(to: folder.appendingPathComponent("adapter_config.json"))
            try expectFolderError(message)
        }
        // "all-linear" is every projection, with PEFT's defaults for alpha and dropout.
        let path = folder.appendingPathComponent("adapter_config.json")
        try JSONSerialization.data(withJSONObject: ["r": 2, "target_modules": "all-linear"]).write(to: path)
        XCTAssertEqual(try LoRAConfig.peft(configAt: path.path).config, LoRAConfig(rank: 2, alpha: 8, dropout: 0))
        // A list of trainable tokens is the input embedding's (PEFT's meaning); a dictionary names the modules.
        try JSONSerialization.data(withJSONObject: ["r": 2, "target_modules": ["q_proj"], "trainable_token_indices": [4, 9]]).write(to: path)
        XCTAssertEqual(try LoRAConfig.peft(configAt: path.path).config.trainableTokens, TrainableTokenIndices(embedding: [4, 9]))
        try JSONSerialization.data(withJSONObject: ["r": 2, "target_modules": ["q_proj"],
                                                    "trainable_token_indices": ["model.embed_tokens": [4], "lm_head": [7, 2]]]).write(to: path)
        XCTAssertEqual(try LoRAConfig.peft(configAt: path.path).config.trainableTokens, TrainableTokenIndices(embedding: [4], output: [7, 2]))
    }

    /// Trainable token rows (untied fixture: rows of the embedding and of lm_head) round-trip under PEFT's
    /// names and `trainable_token_indices`.
    func testTrainableTokenRowsRoundTripInPEFTLayout() throws {
        let config = LoRAConfig(rank: 2, alpha: 4, dropout: 0, targets: [.q],
                                trainableTokens: TrainableTokenIndices(embedding: [5, 88], output: [88, 3]))
        let expected = try saveTrainedAdapters(config)
        let names = try SafetensorsFile(path: folder.appendingPathComponent("adapter_model.safetensors").path).tensorNames
        XCTAssertTrue(names.contains("base_model.model.model.embed_tokens.token_adapter.trainable_tokens_delta"), "\(names)")
        XCTAssertTrue(names.contains("base_model.model.lm_head.token_adapter.trainable_tokens_delta"), "\(names)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("adapter_config.json"))) as! [String: Any]
        XCTAssertEqual(json["trainable_token_indices"] as? [String: [Int]], ["embed_tokens": [5, 88], "lm_head": [88, 3]])
        let model = try LanguageModel.load(Self.fixture).model
        let adapters = try model.attachLoRA(folder: folder.path)
        XCTAssertEqual(adapters.config, config)
        XCTAssertEqual(logits(model), expected)
    }
}
