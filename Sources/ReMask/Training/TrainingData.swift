import Foundation
import Core
import Models

/// The tokenized training and validation sets of a run.
struct TrainingData {
    let train: TokenizedDataset
    let validation: TokenizedDataset?
    /// Lines skipped by `--skip-bad-lines`, over both files.
    let skippedLines: Int

    static func load(_ settings: TrainingSettings, encoder: ExampleTokenizer) throws -> TrainingData {
        let file = try JSONLReader.read(settings.data.train, skipBadLines: settings.data.skipBadLines)
        var examples = file.examples, held: [TrainingExample] = []
        var skipped = file.skippedLines
        if let path = settings.data.val {
            let val = try JSONLReader.read(path, skipBadLines: settings.data.skipBadLines)
            held = val.examples
            skipped += val.skippedLines
        } else if settings.data.valSplit > 0 {
            // A seeded choice of held-out examples, fixed for the data file and seed.
            var order = Array(examples.indices)
            var rng = SeededRandom(seed: settings.run.seed ^ 0x5EED_0F_0A1)
            rng.shuffle(&order)
            let n = max(1, Int((Double(examples.count) * settings.data.valSplit).rounded()))
            let heldOut = Set(order.prefix(n))
            held = examples.indices.filter(heldOut.contains).map { examples[$0] }
            examples = examples.indices.filter { !heldOut.contains($0) }.map { examples[$0] }
        }
        if let limit = settings.data.valLimit, held.count > limit { held = Array(held.prefix(limit)) }
        guard !examples.isEmpty else { throw FileError(path: settings.data.train, "no training examples") }
        let train = try encoder.tokenize(examples, skipBadExamples: settings.data.skipBadLines)
        let validation = held.isEmpty ? nil : try encoder.tokenize(held, skipBadExamples: settings.data.skipBadLines)
        guard !train.examples.isEmpty else { throw FileError(path: settings.data.train, "no training example has a label after tokenizing") }
        return TrainingData(train: train, validation: validation, skippedLines: skipped)
    }
}
