import Foundation
import Core

/// A model ready to run, not to train: the network behind `InferenceModel`, its tokenizer and chat template.
/// A GGUF file keeps its quantized blocks in memory (`QuantizedCausalLM`) unless Float32 weights are asked
/// for; a Hugging Face folder, or a model with LoRA adapters attached, runs as a Float32 `CausalLM`.
public struct RunnableModel: @unchecked Sendable {
    public let engine: any InferenceModel
    /// nil when the source has no tokenizer (a bare safetensors folder).
    public let tokenizer: BPETokenizer?
    public let chatTemplate: String?
    /// Where it came from.
    public let path: String

    /// How the weights are held in memory.
    public enum Weights: String, Sendable, CaseIterable {
        /// As the file stores them (GGUF blocks; Float32 for safetensors).
        case stored
        /// Dequantized to Float32, as training holds them.
        case float32
    }

    public init(engine: any InferenceModel, tokenizer: BPETokenizer?, chatTemplate: String?, path: String) {
        self.engine = engine
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.path = path
    }

    public init(_ lm: LanguageModel) {
        self.init(engine: lm.model, tokenizer: lm.tokenizer, chatTemplate: lm.chatTemplate, path: lm.path)
    }

    /// Loads a GGUF file or a Hugging Face folder, with the LoRA adapters saved in `adapter` attached.
    /// `precision` bf16 needs the stored weights of a GGUF file (the Float32 engine computes in Float32 only).
    public static func load(_ path: String, adapter: String? = nil, weights: Weights = .stored,
                            precision: Precision = .fp32) throws -> RunnableModel {
        var isDirectory: ObjCBool = false
        if weights == .stored, adapter == nil, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            let file = try GGUFFile(path: path)
            let tokenizer = file.metadata.values["tokenizer.ggml.model"] == nil ? nil : try LanguageModel.ggufTokenizer(file)
            let engine = try QuantizedCausalLM.load(file)
            engine.precision = precision
            let template = (try? file.metadata.string("tokenizer.chat_template")) ?? DefaultChatTemplate.template(for: engine.config.family)
            return RunnableModel(engine: engine, tokenizer: tokenizer, chatTemplate: template, path: path)
        }
        if precision != .fp32 {
            let why = adapter != nil ? "with an adapter" : weights == .float32 ? "with --weights float32" : "for a Hugging Face folder"
            throw FileError(path: path, "precision \(precision.rawValue) applies to a GGUF file's stored weights; this model runs in Float32 \(why)")
        }
        let lm = try LanguageModel.load(path)
        if let adapter { _ = try lm.model.attachLoRA(folder: adapter) }
        return RunnableModel(lm)
    }

    /// "quantized (Q4_1, Q8_0)" or "float32", for logs.
    public var weightsDescription: String {
        guard let q = engine as? QuantizedCausalLM else { return "float32" }
        return "stored: " + q.formats.map(\.rawValue).joined(separator: ", ")
    }

    /// The tokenizer, or an error naming the model when it has none.
    public func requireTokenizer() throws -> BPETokenizer {
        guard let tokenizer else { throw FileError(path: path, "the model has no tokenizer (tokenizer.json)") }
        return tokenizer
    }
}
