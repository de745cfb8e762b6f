import Foundation
import Core
import NN

/// LoRA adapters on disk in PEFT's layout: a folder with `adapter_model.safetensors` (tensors named
/// `base_model.model.<module>.lora_A.weight` / `.lora_B.weight`, and trainable token rows as
/// `base_model.model.<table>.token_adapter.trainable_tokens_delta`) and `adapter_config.json`.
extension LoRAAdapters {
    public static let weightsFileName = "adapter_model.safetensors"
    public static let configFileName = "adapter_config.json"

    /// Writes the adapter weights (F32) and `adapter_config.json` into `folder`, creating it if needed;
    /// `baseModel` becomes `base_model_name_or_path`.
    public func save(folder: String, baseModel: String? = nil) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let dir = URL(fileURLWithPath: folder)
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        for p in parameters.parameters { writer.add(p.name, p.tensor) }
        try writer.write(to: dir.appendingPathComponent(Self.weightsFileName).path)
        try config.peftJSON(baseModel: baseModel).write(to: dir.appendingPathComponent(Self.configFileName), options: .atomic)
    }

    /// Replaces the adapter weights with those of a safetensors file, which must hold exactly these tensors
    /// with these shapes (F32, F16 or BF16). Nothing changes when it does not.
    public func load(weightsAt path: String) throws {
        let file = try SafetensorsFile(path: path)
        for p in parameters.parameters {
            guard let info = file.tensors[p.name] else { throw FileError(path: path, "missing tensor \(p.name)") }
            guard info.shape == p.shape else {
                throw FileError(path: path, "tensor \(p.name) has shape \(info.shape), the adapters expect \(p.shape)")
            }
        }
        if let extra = file.tensorNames.first(where: { parameters[$0] == nil }) {
            throw FileError(path: path, "unexpected tensor \(extra) (not an adapter of the configured targets \(config.orderedTargets.map(\.rawValue)) on this model)")
        }
        let values = try parameters.parameters.map { try file.tensor($0.name) }
        for (p, t) in zip(parameters.parameters, values) { p.tensor.pointer.update(from: t.pointer, count: p.count) }
    }
}

extension CausalLM {
    /// Attaches the adapters saved in `folder` (`adapter_config.json` and `adapter_model.safetensors`), in
    /// evaluation mode. On error the model is left as it was.
    public func attachLoRA(folder: String) throws -> LoRAAdapters {
        let dir = URL(fileURLWithPath: folder)
        let configPath = dir.appendingPathComponent(LoRAAdapters.configFileName).path
        let (config, _) = try LoRAConfig.peft(configAt: configPath)
        if let problem = trainableTokensProblem(config.trainableTokens) { throw FileError(path: configPath, problem) }
        let adapters = attachLoRA(config)
        do {
            try adapters.load(weightsAt: dir.appendingPathComponent(LoRAAdapters.weightsFileName).path)
        } catch {
            adapters.detach()
            throw error
        }
        return adapters
    }
}

extension LoRAConfig {
    /// PEFT's `adapter_config.json` for these settings.
    public func peftJSON(baseModel: String?) throws -> Data {
        let json: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": rank,
            "lora_alpha": Self.jsonNumber(alpha), "lora_dropout": Self.jsonNumber(dropout),
            "target_modules": orderedTargets.map(\.rawValue), "bias": "none", "fan_in_fan_out": false,
            "inference_mode": true, "init_lora_weights": true, "use_rslora": false, "use_dora": false,
            "modules_to_save": NSNull(), "layers_to_transform": NSNull(), "rank_pattern": [String: Any](),
            "alpha_pattern": [String: Any](), "base_model_name_or_path": baseModel ?? NSNull(),
            "trainable_token_indices": trainableTokensJSON,
        ]
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }

    /// PEFT's `trainable_token_indices`: null without any, a list for the embedding alone (which tied
    /// embeddings share with the output projection), else a dictionary by module name.
    private var trainableTokensJSON: Any {
        let t = trainableTokens
        if t.isEmpty { return NSNull() }
        if t.output.isEmpty { return t.embedding }
        var modules: [String: [Int]] = ["lm_head": t.output]
        if !t.embedding.isEmpty { modules["embed_tokens"] = t.embedding }
        return modules
    }

    /// PEFT's `trainable_token_indices` read back: a list (the input embedding's tokens) or a dictionary whose
    /// keys name `embed_tokens` and `lm_head`.
    private static func trainableTokens(_ value: Any?, fail: (String) -> FileError) throws -> TrainableTokenIndices {
        func indices(_ v: Any) throws -> [Int] {
            guard let list = v as? [NSNumber], list.allSatisfy({ $0.doubleValue == $0.doubleValue.rounded() }) else {
                throw fail("\"trainable_token_indices\" must list token indices")
            }
            return list.map(\.intValue)
        }
        var tokens = TrainableTokenIndices()
        switch value {
        case nil, is NSNull: break
        case let modules as [String: Any]:
            for (name, v) in modules {
                let module = name.split(separator: ".").last.map(String.init) ?? name
                switch module {
                case "embed_tokens": tokens.embedding = try indices(v)
                case "lm_head": tokens.output = try indices(v)
                default: throw fail("trainable tokens of module \"\(name)\" are not supported (embed_tokens, lm_head)")
                }
            }
        case let value?: tokens.embedding = try indices(value)
        }
        if let problem = tokens.validationError() { throw fail(problem) }
        return tokens
    }

    /// A Float as the JSON number it prints as (16 rather than 16.0, 0.05 rather than 0.0500000007).
    private static func jsonNumber(_ x: Float) -> NSNumber {
        x == x.rounded() && abs(x) < 1e9 ? NSNumber(value: Int(x)) : NSNumber(value: Double("\(x)") ?? Double(x))
    }

    /// Reads PEFT's `adapter_config.json`: a LoRA adapter on q/k/v/o/gate/up/down projections (a list of
    /// those names, one name, or "all-linear"), with any `trainable_token_indices`. Settings remask does not
    /// implement (DoRA, rsLoRA, bias training, per-module ranks, layer subsets, extra trained modules) are
    /// reported, never ignored.
    public static func peft(configAt path: String) throws -> (config: LoRAConfig, baseModel: String?) {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, "cannot read the file") }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw FileError(path: path, "not a JSON object")
        }
        func fail(_ reason: String) -> FileError { FileError(path: path, reason) }
        func isSet(_ key: String) -> Bool {
            switch json[key] {
            case nil, is NSNull: false
            case let b as Bool: b
            case let s as String: !s.isEmpty && s != "none"
            case let a as [Any]: !a.isEmpty
            case let d as [String: Any]: !d.isEmpty
            default: true
            }
        }
        if let type = json["peft_type"], type as? String != "LORA" { throw fail("peft_type \(type) is not LORA") }
        for key in ["use_dora", "use_rslora", "fan_in_fan_out", "modules_to_save", "layers_to_transform",
                    "rank_pattern", "alpha_pattern"] where isSet(key) {
            throw fail("\"\(key)\" is not supported")
        }
        if isSet("bias") { throw fail("\"bias\": \(json["bias"]!) is not supported (only \"none\")") }
        func number(_ key: String, default fallback: Double) throws -> Double {
            guard let v = json[key] else { return fallback }
            guard let n = v as? NSNumber else { throw fail("\"\(key)\" is not a number") }
            return n.doubleValue
        }
        let rank = try number("r", default: 8), alpha = try number("lora_alpha", default: 8)
        guard rank == rank.rounded(), rank >= 1, rank < 1e6 else { throw fail("\"r\" must be a positive integer, got \(rank)") }
        let names: [String]
        switch json["target_modules"] {
        case let list as [String]: names = list
        case "all-linear" as String: names = LoRATarget.allCases.map(\.rawValue)
        case let one as String: names = [one]
        default: throw fail("\"target_modules\" must be a list of projection names")
        }
        var targets = Set<LoRATarget>()
        for name in names {
            guard let t = LoRATarget(rawValue: name) else {
                throw fail("target module \"\(name)\" is not supported (\(LoRATarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            targets.insert(t)
        }
        let config = LoRAConfig(rank: Int(rank), alpha: Float(alpha), dropout: Float(try number("lora_dropout", default: 0)),
                                targets: targets, trainableTokens: try trainableTokens(json["trainable_token_indices"], fail: fail))
        if let problem = config.validationError() { throw fail(problem) }
        return (config, json["base_model_name_or_path"] as? String)
    }
}
