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
            reference quantizers, bit for bit; with q4_0 and q4_1 the embedding and output matrices take q8_0.
            """)

    @OptionGroup var options: ModelOptions
    @Option(help: "Output folder (safetensors) or file (gguf).") var out: String
    @Option(help: "safetensors or gguf.") var format: ModelExport.Format
    @Option(help: "f32, f16, or (gguf only) q8_0, q4_0 or q4_1.") var dtype: ModelExport.DType = .f32
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
