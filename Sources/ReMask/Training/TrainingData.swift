import Foundation
import Core
import Models

/// The tokenized training and validation sets of a run.
struct TrainingData {
    let train: TokenizedDataset
    let validation: TokenizedDataset?
    /// Lines skipped by `--skip-bad-lines`, over both files.
    let skippedLines: Int

    static func load(_ options: TrainingOptions, encoder: ExampleTokenizer) throws -> TrainingData {
        let file = try JSONLReader.read(options.dataPath, skipBadLines: options.skipBadLines)
        var examples = file.examples, held: [TrainingExample] = []
        var skipped = file.skippedLines
        if let path = options.validationPath {
            let val = try JSONLReader.read(path, skipBadLines: options.skipBadLines)
            held = val.examples
            skipped += val.skippedLines
        } else if options.validationSplit > 0 {
            // A seeded choice of held-out examples, fixed for the data file and seed.
            var order = Array(examples.indices)
            var rng = SeededRandom(seed: options.seed ^ 0x5EED_0F_0A1)
            rng.shuffle(&order)
            let n = max(1, Int((Double(examples.count) * options.validationSplit).rounded()))
            let heldOut = Set(order.prefix(n))
            held = examples.indices.filter(heldOut.contains).map { examples[$0] }
            examples = examples.indices.filter { !heldOut.contains($0) }.map { examples[$0] }
        }
        if let limit = options.validationLimit, held.count > limit { held = Array(held.prefix(limit)) }
        guard !examples.isEmpty else { throw DataError(file: options.dataPath, "no training examples") }
        let train = try encoder.tokenize(examples, skipBadExamples: options.skipBadLines)
        let validation = held.isEmpty ? nil : try encoder.tokenize(held, skipBadExamples: options.skipBadLines)
        guard !train.examples.isEmpty else { throw DataError(file: options.dataPath, "no training example has a label after tokenizing") }
        return TrainingData(train: train, validation: validation, skippedLines: skipped)
    }
}
