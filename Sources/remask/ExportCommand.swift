import ArgumentParser
import Foundation
import Models
import ReMask

extension ModelExport.Format: ExpressibleByArgument {}
extension ModelExport.DType: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model as a Hugging Face safetensors folder or a GGUF file.",
        discussion: """
            safetensors: OUT is a folder with config.json, model.safetensors, tokenizer.json and tokenizer_config.json \
            (transformers' from_pretrained loads it). gguf: OUT is one file with metadata, tokenizer and chat template \
            (llama.cpp's layout). Norms and biases stay f32 in GGUF whatever --dtype says; the quantized types are ggml's \
            reference quantizers, bit for bit; with q4_0 and q4_1 the embedding and output matrices take q8_0. q6_k and \
            q4_k_m give each matrix the type llama-quantize would (q4_k_m: Q4_K, with Q6_K for the output matrix and for \
            attn_v and ffn_down in half the layers); a matrix whose rows are not whole blocks of 256 falls back as \
            llama.cpp does: Q4_K to Q5_0, Q6_K to Q8_0 (f16 if not whole blocks of 32 either).
            """)

    @OptionGroup var options: ModelOptions
    @Option(help: "Output folder (safetensors) or file (gguf).") var out: String
    @Option(help: "safetensors or gguf.") var format: ModelExport.Format
    @Option(help: "f32, f16, or (gguf only) q8_0, q4_0, q4_1, q6_k or q4_k_m.") var dtype: ModelExport.DType = .f32
    @Flag(help: "Replace an existing --out file, or write into a non-empty folder remask did not create (never over the input model).")
    var overwrite = false

    func validate() throws {
        if format == .safetensors && dtype.isQuantized { throw ValidationError("--dtype \(dtype.rawValue) needs --format gguf") }
    }

    func run() throws {
        // Checked before the model loads: never over the input, never over a file or folder the user owns.
        let inputs = [options.model ?? LanguageModel.defaultPath]
        var lock: FileLock?
        switch format {
        case .gguf: try OutputPolicy.checkFile(out, inputs: inputs, overwrite: overwrite)
        case .safetensors: lock = try OutputPolicy.claimFolder(out, inputs: inputs, overwrite: overwrite, command: "remask export")
        }
        defer { lock?.unlock() }
        let lm = try options.load()
        let start = Date()
        try ModelExport.export(lm, to: out, format: format, dtype: dtype)
        Log.info(String(format: "wrote %@ (%@, %@) in %.1f s", out, format.rawValue, dtype.rawValue, Date().timeIntervalSince(start)))
    }
}
