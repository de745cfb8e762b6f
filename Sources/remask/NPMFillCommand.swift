import ArgumentParser
import Core
import Foundation
import NPM

struct NPMFillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fill",
        abstract: "Fill each [MASK] of a text with phrases retrieved from an NPM index, and show where they came from.")

    @OptionGroup var encoder: EncoderOptions
    @Option(help: "Index folder (`remask npm index`).") var index: String
    @Option(help: "The text, with one or more [MASK] (default: standard input).") var text: String?
    @Option(help: "Phrases to show per mask.") var top = 5
    @Option(help: "Nearest start and end tokens retrieved per query.") var k = 1024
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1") }
        if k < 1 { throw ValidationError("--k must be at least 1") }
    }

    func run() throws {
        encoder.apply()
        let model = try NPMModel.load(folder: encoder.model)
        let (phraseIndex, _, _) = try PhraseIndex.load(folder: URL(fileURLWithPath: index))
        guard phraseIndex.dim == model.encoder.config.hidden else {
            throw NPMError.invalidSettings("\(index) holds vectors of \(phraseIndex.dim), the model's are \(model.encoder.config.hidden): index the corpus with this model")
        }
        var predictor = NPMPredictor(model: model, index: phraseIndex)
        predictor.k = k
        let input = textArgumentOrStandardInput(text)
        let clock = ContinuousClock.now
        let filled = try predictor.fill(input, top: top)
        let ms = (ContinuousClock.now - clock) / .milliseconds(1)
        if json {
            let rows = filled.enumerated().map { m, phrases in
                ["mask": m, "phrases": phrases.map { ["text": $0.text, "score": $0.score, "occurrence": $0.occurrenceText, "source": $0.source] as [String: Any] }] as [String: Any]
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        for (m, phrases) in filled.enumerated() {
            print("[MASK] \(m + 1):")
            for p in phrases {
                print(String(format: "  %-30@ %.3f  from %@: “%@”", p.text, p.score, p.source, p.occurrenceText))
            }
        }
        Log.info(String(format: "npm fill: %.1f ms over %d indexed tokens", ms, phraseIndex.count))
    }
}
