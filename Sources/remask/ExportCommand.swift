import ArgumentParser
import Foundation
import Models

extension ModelExport.Format: ExpressibleByArgument {}
extension ModelExport.DType: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a model as a Hugging Face safetensors folder or a GGUF file.",
        discussion: """
            safetensors: OUT is a folder with config.json, model.safetensors, tokenizer.json and tokenizer_config.json \
            (transformers' from_pretrained loads it). gguf: OUT is one file with metadata, tokenizer and chat template \
            (llama.cpp's layout). Norms and biases stay f32 in GGUF whatever --dtype says.
            """)

    @OptionGroup var options: ModelOptions
    @Option(help: "Output folder (safetensors) or file (gguf).") var out: String
    @Option(help: "safetensors or gguf.") var format: ModelExport.Format
    @Option(help: "f32, f16, or q8_0 (gguf only).") var dtype: ModelExport.DType = .f32

    func validate() throws {
        if format == .safetensors && dtype == .q8_0 { throw ValidationError("--dtype q8_0 needs --format gguf") }
    }

    func run() throws {
        let lm = try options.load()
        let start = Date()
        try ModelExport.export(lm, to: out, format: format, dtype: dtype)
        Log.info(String(format: "wrote %@ (%@, %@) in %.1f s", out, format.rawValue, dtype.rawValue, Date().timeIntervalSince(start)))
    }
}
