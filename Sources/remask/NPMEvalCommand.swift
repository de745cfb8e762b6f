import ArgumentParser
import Core
import Foundation
import Models
import NPM
import ReMask

struct NPMEvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Zero-shot evaluation of NPM (retrieval) or the masked-LM baseline (softmax) on task files.",
        discussion: """
            Task files are JSONL as `bash scripts/fetch-npm-data.sh` writes them: classification lines (input with \
            [MASK], label, labels) are scored by each option's occurrences in --index (npm) or its tokens' \
            probabilities at the mask (mlm); cloze lines (input, answers, optional context) are filled from the \
            example's context (or --index) and scored by exact match. --method mlm-oracle-length gives the softmax \
            model as many masks as the answer has tokens.
            """)

    @OptionGroup var encoder: EncoderOptions
    @Option(help: "Index folder of the reference corpus (needed for classification with npm).") var index: String?
    @Option(help: "Task files (.jsonl); repeat for several.") var task: [String]
    @Option(help: "npm, mlm or mlm-oracle-length.") var method = "npm"
    @Option(help: "Examples per task (default: all).") var limit: Int?
    @Option(help: "Nearest tokens retrieved per query (npm).") var k = 1024
    @Option(help: "Write the results as JSON to this file.") var out: String?
    @Flag(help: "Replace --out if it exists.") var overwrite = false

    func validate() throws {
        guard ["npm", "mlm", "mlm-oracle-length"].contains(method) else { throw ValidationError("--method must be npm, mlm or mlm-oracle-length") }
        if task.isEmpty { throw ValidationError("give at least one --task") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        encoder.apply()
        if let out { try OutputPolicy.checkFile(out, inputs: [encoder.model] + task + [index].compactMap { $0 }, overwrite: overwrite) }
        if method != "npm" {
            let weights = encoder.model + "/model.safetensors"
            guard try SafetensorsCheckpoint(path: weights).info("cls.predictions.bias") != nil else {
                throw NPMError.invalidSettings("\(weights) has no masked-LM head (cls.predictions): train the baseline with `remask npm train --objective mlm` first")
            }
        }
        let model = try NPMModel.load(folder: encoder.model, maskedLMHead: method != "npm")
        let phraseIndex = try index.map { try PhraseIndex.load(folder: URL(fileURLWithPath: $0)).index }
        var results: [ZeroShotResult] = []
        for path in task {
            let t = try ZeroShotTask.read(path, limit: limit)
            let progress = ProgressLine("\(t.name) \(method)", total: t.examples.count)
            let r = method == "npm"
                ? try ZeroShotEvaluator.npm(t, model: model, index: phraseIndex, k: k) { progress.update($0) }
                : try ZeroShotEvaluator.mlm(t, model: model, oracleLength: method == "mlm-oracle-length") { progress.update($0) }
            progress.finish()
            let split = r.singleTokenExamples.map { n in
                String(format: " (one-token answers %d/%d, longer %d/%d)", r.singleTokenCorrect ?? 0, n, r.correct - (r.singleTokenCorrect ?? 0), r.examples - n)
            } ?? ""
            print(String(format: "%@\t%@\t%.2f%%\t%d/%d%@\t%.1f s", t.name, method, 100 * r.accuracy, r.correct, r.examples, split, r.seconds))
            results.append(r)
        }
        if let out {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(results), to: URL(fileURLWithPath: out))
        }
    }
}
