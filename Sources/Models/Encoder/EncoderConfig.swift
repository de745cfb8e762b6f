import Foundation
import Core

/// The geometry of a BERT-family encoder (bidirectional attention, learned absolute positions, post-LayerNorm
/// blocks, GELU), as Hugging Face's `config.json` gives it.
public struct EncoderConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var intermediate: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float

    public init(vocabSize: Int, hidden: Int, layers: Int, heads: Int, intermediate: Int, maxPositions: Int = 512,
                typeVocabSize: Int = 2, layerNormEps: Float = 1e-12) {
        self.vocabSize = vocabSize; self.hidden = hidden; self.layers = layers; self.heads = heads
        self.intermediate = intermediate; self.maxPositions = maxPositions; self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
    }

    /// Reads `config.json` of model type `bert`; anything that changes the math and is not implemented (another
    /// model type or activation, relative positions) is refused with the file and the key.
    public static func huggingFace(configAt path: String) throws -> EncoderConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, "cannot read the file") }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw FileError(path: path, "not a JSON object") }
        func int(_ key: String, default fallback: Int? = nil) throws -> Int {
            if let v = (json[key] as? NSNumber)?.doubleValue, v == v.rounded(), v > 0, v < 1e9 { return Int(v) }
            if json[key] == nil, let fallback { return fallback }
            throw FileError(path: path, json[key] == nil ? "missing \"\(key)\"" : "\"\(key)\" is not a positive integer")
        }
        let type = json["model_type"] as? String ?? "(missing)"
        guard type == "bert" else {
            throw FileError(path: path, "model_type \"\(type)\" is not an encoder remask implements (bert)")
        }
        if let act = json["hidden_act"] as? String, act != "gelu" {
            throw FileError(path: path, "hidden_act \"\(act)\" is not supported for bert (only gelu)")
        }
        if let positions = json["position_embedding_type"] as? String, positions != "absolute" {
            throw FileError(path: path, "position_embedding_type \"\(positions)\" is not supported (only absolute)")
        }
        let config = EncoderConfig(vocabSize: try int("vocab_size"), hidden: try int("hidden_size"), layers: try int("num_hidden_layers"),
                                   heads: try int("num_attention_heads"), intermediate: try int("intermediate_size"),
                                   maxPositions: try int("max_position_embeddings", default: 512),
                                   typeVocabSize: try int("type_vocab_size", default: 2),
                                   layerNormEps: Float((json["layer_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-12))
        guard config.hidden % config.heads == 0 else {
            throw FileError(path: path, "hidden_size \(config.hidden) is not a multiple of num_attention_heads \(config.heads)")
        }
        return config
    }
}
