import Foundation
import Core

extension EncoderModel {
    /// Loads a Hugging Face encoder folder (`config.json`, `model.safetensors`). Tensors are matched by name,
    /// with or without a `bert.` prefix; the pooler and the position-id buffer are not used. A missing tensor, a
    /// wrong shape or a tensor the encoder does not know is an error naming the file. With `maskedLMHead`, the
    /// model gets BERT's masked-LM head: the file's (`cls.predictions.*`) when it has one, else a fresh one drawn
    /// from `seed` (sentence encoders such as all-MiniLM-L6-v2 ship without it).
    public static func load(folder: String, maskedLMHead: Bool = false, seed: UInt64 = 0) throws -> EncoderModel {
        let dir = URL(fileURLWithPath: folder)
        let config = try EncoderConfig.huggingFace(configAt: dir.appendingPathComponent("config.json").path)
        let checkpoint = try SafetensorsCheckpoint(path: dir.appendingPathComponent("model.safetensors").path)
        let fileHasHead = checkpoint.info(MaskedLMHead.prefix + ".bias") != nil
        let encoder = EncoderModel(config: config, seed: maskedLMHead && !fileHasHead ? seed : nil, maskedLMHead: maskedLMHead)
        let prefix = checkpoint.info("bert.embeddings.word_embeddings.weight") != nil ? "bert." : ""
        var used: Set<String> = []
        for p in encoder.parameters.parameters {
            let isHead = p.name.hasPrefix(MaskedLMHead.prefix)
            if isHead && !fileHasHead { continue }
            let name = isHead ? p.name : prefix + p.name
            guard checkpoint.info(name) != nil else { throw FileError(path: checkpoint.path, "missing tensor \(name)") }
            let t = try checkpoint.tensor(name)
            guard t.shape == p.shape else {
                throw FileError(path: checkpoint.path, "tensor \(name) has shape \(t.shape), the encoder expects \(p.shape)")
            }
            p.tensor.pointer.update(from: t.pointer, count: p.count)
            used.insert(name)
        }
        let ignorable = ["embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"].map { prefix + $0 }
        // The decoder is tied to the word embeddings; an unused head is not an error.
        func ignored(_ name: String) -> Bool {
            ignorable.contains(name) || name.hasPrefix(MaskedLMHead.prefix + ".decoder") || (!maskedLMHead && name.hasPrefix(MaskedLMHead.prefix))
        }
        if let unknown = checkpoint.tensorNames.first(where: { !used.contains($0) && !ignored($0) }) {
            throw FileError(path: checkpoint.path, "tensor \(unknown) is not part of a BERT encoder; the model needs what remask does not implement")
        }
        return encoder
    }
}
