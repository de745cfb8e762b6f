import Foundation
import Models
import ReMask

/// A from-scratch starting point: a byte-level BPE tokenizer learned on the training split (digits split
/// one per token, as SmolLM2's pre-tokenizer does, so that numbers are spelled digit by digit) and a
/// Llama-style decoder with weights drawn from a seed.
enum ScratchModel {
    /// Tags the seed format and ReMask's masking use, learned as whole tokens rather than added later.
    static let specials = ["<|endoftext|>"] + PromptFormat.seed.specialTokens + MaskingPolicy.remaskCoT.specialTokens

    static func tokenizer(_ spec: ScratchModelSpec, texts: [String]) throws -> BPETokenizer {
        try BPETrainer.train(texts, merges: spec.merges, preTokenizer: .smollm, specials: specials)
    }

    /// Writes a model with weights from `seed` as a Hugging Face folder at `folder` (unless one is already
    /// there) and returns the folder's path.
    @discardableResult
    static func write(_ spec: ScratchModelSpec, tokenizer: BPETokenizer, seed: UInt64, maxLength: Int, folder: URL) throws -> String {
        let path = folder.path
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer_config.json").path) { return path }  // written last
        let config = DecoderConfig.llama(vocabSize: tokenizer.vocabSize, hidden: spec.hidden, layers: spec.layers,
                                         heads: spec.heads, kvHeads: spec.kvHeads, intermediate: spec.intermediate,
                                         tiedEmbeddings: true, maxPositions: max(maxLength, 256))
        let model = CausalLM(config: config, seed: seed)
        let lm = LanguageModel(model: model, tokenizer: tokenizer, chatTemplate: PromptFormat.seedChatTemplate, path: path)
        try OutputDirectory.prepare(folder)
        try ModelExport.export(lm, to: path, format: .safetensors, dtype: .f32)
        return path
    }
}
