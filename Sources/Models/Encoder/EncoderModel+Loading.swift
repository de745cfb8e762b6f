import Foundation
import Core

extension EncoderModel {
    /// Loads a Hugging Face encoder folder (`config.json`, `model.safetensors`). Tensors are matched by name,
    /// with or without a `bert.` prefix; the pooler and the position-id buffer are not used. A missing tensor, a
    /// wrong shape or a tensor the encoder does not know is an error naming the file.
    public static func load(folder: String) throws -> EncoderModel {
        let dir = URL(fileURLWithPath: folder)
        let config = try EncoderConfig.huggingFace(configAt: dir.appendingPathComponent("config.json").path)
        let checkpoint = try SafetensorsCheckpoint(path: dir.appendingPathComponent("model.safetensors").path)
        let encoder = EncoderModel(config: config, seed: nil)
        let prefix = checkpoint.info("bert.embeddings.word_embeddings.weight") != nil ? "bert." : ""
        var used: Set<String> = []
        for p in encoder.parameters.parameters {
            let name = prefix + p.name
            guard checkpoint.info(name) != nil else { throw FileError(path: checkpoint.path, "missing tensor \(name)") }
            let t = try checkpoint.tensor(name)
            guard t.shape == p.shape else {
                throw FileError(path: checkpoint.path, "tensor \(name) has shape \(t.shape), the encoder expects \(p.shape)")
            }
            p.tensor.pointer.update(from: t.pointer, count: p.count)
            used.insert(name)
        }
        let ignorable = ["embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"].map { prefix + $0 }
        if let unknown = checkpoint.tensorNames.first(where: { !used.contains($0) && !ignorable.contains($0) }) {
            throw FileError(path: checkpoint.path, "tensor \(unknown) is not part of a BERT encoder; the model needs what remask does not implement")
        }
        return encoder
    }
}
