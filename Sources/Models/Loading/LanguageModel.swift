import Foundation
import Core

/// A model ready to use: the network, its tokenizer and its chat template, loaded from a GGUF file or a
/// Hugging Face folder (`config.json`, `model.safetensors` or a sharded index, `tokenizer.json`).
public struct LanguageModel: @unchecked Sendable {
    public let model: CausalLM
    /// nil when the source has no tokenizer (a bare safetensors folder).
    public let tokenizer: BPETokenizer?
    /// The Jinja source of the chat template, when the model has one.
    public let chatTemplate: String?
    /// Where it came from.
    public let path: String

    public init(model: CausalLM, tokenizer: BPETokenizer?, chatTemplate: String?, path: String) {
        self.model = model
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.path = path
    }

    /// The default model: `$REMASK_MODEL`, else SmolLM2-135M-Instruct in remask's cache
    /// (`scripts/fetch-model.sh` puts it there).
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let p = env["REMASK_MODEL"], !p.isEmpty { return p }
        let cache = env["REMASK_CACHE"] ?? (NSHomeDirectory() + "/.cache/remask")
        return cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
    }

    /// Loads a GGUF file or a Hugging Face folder.
    public static func load(_ path: String) throws -> LanguageModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            let hint = path == defaultPath ? " (fetch the default model with `bash scripts/fetch-model.sh`)" : ""
            throw FileError(path: path, "no such file or folder\(hint)")
        }
        return isDirectory.boolValue ? try loadHuggingFace(folder: path) : try loadGGUF(path)
    }

    /// The tokenizer, or an error naming the model when it has none.
    public func requireTokenizer() throws -> BPETokenizer {
        guard let tokenizer else { throw FileError(path: path, "the model has no tokenizer (tokenizer.json)") }
        return tokenizer
    }

    static func loadGGUF(_ path: String) throws -> LanguageModel {
        let file = try GGUFFile(path: path)
        let config = try DecoderConfig.gguf(file)
        try ModelSizeCheck.check(config, tensorShapes: file.tensors.map(\.shape), path: path)
        let model = CausalLM(config: config, seed: nil)
        let permute = try file.metadata.string("general.architecture") == "llama"
        var used: Set<String> = [TensorNames.ggufRopeFactors]  // read by DecoderConfig.gguf
        var fused = FusedTensors { try file.tensor($0) }
        for p in model.parameters.parameters {
            if let slice = TensorNames.fused(p.name, config) {
                used.insert(slice.gguf)
                try fused.copy(slice, name: slice.gguf, into: p, path: path)
                continue
            }
            if let (stack, head) = perHeadNorm(p.name) {
                used.insert(stack)
                let stacked = try file.tensor(stack)
                let hd = config.headDim
                guard stacked.count >= (head + 1) * hd else {
                    throw FileError(path: path, "tensor \(stack) has \(stacked.count) values, too few for head \(head)")
                }
                p.tensor.pointer.update(from: stacked.pointer + head * hd, count: hd)
                continue
            }
            guard let name = TensorNames.gguf(p.name, config.family) else { throw FileError(path: path, "no GGUF name for parameter \(p.name)") }
            used.insert(name)
            let t = try file.tensor(name)
            try checkShape(t.shape, p, name, path)
            if permute && TensorNames.isPermuted(p.name) {
                let heads = p.name.contains("q_proj") ? config.heads : config.kvHeads
                permuteRotaryRows(t.pointer, p.tensor.pointer, heads: heads, headDim: config.headDim,
                                  rowWidth: p.shape.count == 2 ? p.shape[1] : 1, toHuggingFace: true)
            } else {
                p.tensor.pointer.update(from: t.pointer, count: p.count)
            }
            let shift = TensorNames.ggufShift(p.name, config.family)
            if shift != 0 { for i in 0..<p.count { p.tensor.pointer[i] -= shift } }
        }
        if let unused = file.tensors.first(where: { !used.contains($0.name) }) {
            throw FileError(path: path, "tensor \(unused.name) is not part of this \(config.family.rawValue) geometry; the model needs what remask does not implement")
        }
        let template = (try? file.metadata.string("tokenizer.chat_template")) ?? DefaultChatTemplate.template(for: config.family)
        let tokenizer = file.metadata.values["tokenizer.ggml.model"] == nil ? nil : try ggufTokenizer(file)
        return LanguageModel(model: model, tokenizer: tokenizer, chatTemplate: template, path: path)
    }

    /// Tensors a checkpoint may carry that change nothing: rotary frequency buffers, and the output projection
    /// of a model whose embeddings are tied (a copy of the embedding).
    static func ignorableHuggingFaceTensor(_ name: String, _ config: DecoderConfig) -> Bool {
        name.hasSuffix(".rotary_emb.inv_freq") || (config.tiedEmbeddings && name == "lm_head.weight")
    }

    /// (stacked GGUF tensor, head) for StableLM's per-head q/k norm parameters.
    static func perHeadNorm(_ hf: String) -> (String, Int)? {
        let parts = hf.split(separator: ".").map(String.init)
        guard parts.count == 8, parts[3] == "self_attn", parts[5] == "norms", let layer = Int(parts[2]), let head = Int(parts[6]) else { return nil }
        return (TensorNames.ggufHeadNorm(layer: layer, query: parts[4] == "q_layernorm"), head)
    }

    static func loadHuggingFace(folder: String) throws -> LanguageModel {
        let dir = URL(fileURLWithPath: folder)
        let config = try DecoderConfig.huggingFace(configAt: dir.appendingPathComponent("config.json").path)
        let index = dir.appendingPathComponent("model.safetensors.index.json").path
        let single = dir.appendingPathComponent("model.safetensors").path
        let checkpoint = try SafetensorsCheckpoint(path: FileManager.default.fileExists(atPath: index) ? index : single)
        try ModelSizeCheck.check(config, tensorShapes: checkpoint.tensorNames.compactMap { checkpoint.info($0)?.shape }, path: checkpoint.path)
        let model = CausalLM(config: config, seed: nil)
        var used: Set<String> = []
        var fused = FusedTensors { try checkpoint.tensor($0) }
        for p in model.parameters.parameters {
            if let slice = TensorNames.fused(p.name, config) {
                guard checkpoint.info(slice.huggingFace) != nil else { throw FileError(path: checkpoint.path, "missing tensor \(slice.huggingFace)") }
                used.insert(slice.huggingFace)
                try fused.copy(slice, name: slice.huggingFace, into: p, path: checkpoint.path)
                continue
            }
            used.insert(p.name)
            guard checkpoint.info(p.name) != nil else { throw FileError(path: checkpoint.path, "missing tensor \(p.name)") }
            let t = try checkpoint.tensor(p.name)
            try checkShape(t.shape, p, p.name, checkpoint.path)
            p.tensor.pointer.update(from: t.pointer, count: p.count)
        }
        // A tensor the model does not use means a geometry remask would get wrong (a bias, a rope table).
        if let unused = checkpoint.tensorNames.first(where: { !used.contains($0) && !Self.ignorableHuggingFaceTensor($0, config) }) {
            throw FileError(path: checkpoint.path, "tensor \(unused) is not part of this \(config.family.rawValue) geometry; the model needs what remask does not implement")
        }
        let tokenizerURL = dir.appendingPathComponent("tokenizer.json")
        var tokenizer: BPETokenizer?
        if FileManager.default.fileExists(atPath: tokenizerURL.path) {
            do { tokenizer = try BPETokenizer(tokenizerJSON: tokenizerURL) } catch let e as TokenizerError {
                throw FileError(path: tokenizerURL.path, "\(e)")
            }
        }
        return LanguageModel(model: model, tokenizer: tokenizer,
                             chatTemplate: huggingFaceChatTemplate(dir) ?? DefaultChatTemplate.template(for: config.family), path: folder)
    }

    /// `chat_template.jinja`, else `chat_template` in `tokenizer_config.json`.
    static func huggingFaceChatTemplate(_ dir: URL) -> String? {
        if let s = try? String(contentsOf: dir.appendingPathComponent("chat_template.jinja"), encoding: .utf8) { return s }
        guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent("tokenizer_config.json").path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return json["chat_template"] as? String
    }

    private static func checkShape(_ shape: [Int], _ p: NN.Parameter, _ name: String, _ path: String) throws {
        guard shape == p.shape else {
            throw FileError(path: path, "tensor \(name) has shape \(shape), the model expects \(p.shape)")
        }
    }
}

import NN

/// Fused checkpoint tensors (Phi-3's q/k/v and gate/up), read once and handed out by rows.
private struct FusedTensors {
    let read: (String) throws -> Tensor
    var loaded: [String: Tensor] = [:]

    init(_ read: @escaping (String) throws -> Tensor) { self.read = read }

    /// Copies `slice`'s rows of tensor `name` into parameter `p`.
    mutating func copy(_ slice: TensorNames.FusedSlice, name: String, into p: NN.Parameter, path: String) throws {
        let t = try loaded[name] ?? read(name)
        loaded[name] = t
        let columns = p.shape.count == 2 ? p.shape[1] : 1
        guard t.shape == [slice.totalRows, columns] else {
            throw FileError(path: path, "tensor \(name) has shape \(t.shape), the model expects [\(slice.totalRows), \(columns)]")
        }
        p.tensor.pointer.update(from: t.pointer + slice.rows.lowerBound * columns, count: p.count)
    }
}
