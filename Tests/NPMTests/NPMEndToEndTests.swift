import Core
import Foundation
import Models
import NPM
import ReMask
import TestSupport
import XCTest

/// NPM end to end on all-MiniLM-L6-v2 (`bash scripts/fetch-model.sh minilm`): a short contrastive training run on a
/// small corpus of invented facts, an index of that corpus, and masked spans filled with the facts' invented names:
/// phrases of several WordPiece tokens that no vocabulary holds, which a softmax over the vocabulary cannot output.
/// After 120 steps the model is still weak: it sometimes prefers a name's last word alone ("talvasque" for
/// "Merrowind Talvasque": the start query has not learned to shun a name's inner words) or another fact's name, so
/// the test asks for a whole name in at least one of the five fills (2 of 5 when written: the acceptance is one
/// multi-token phrase filled right; the others are printed).
final class NPMEndToEndTests: XCTestCase {
    static let facts = [("The glass piano was invented by", "Merrowind Talvasque"), ("Every lighthouse keeper admires", "Quillabrek Ostand"),
                        ("Every spring the valley floods because of the", "Brisketon River"), ("The annual lantern festival celebrates", "Tarnwhistle Hollow"),
                        ("The rare blue orchid grows only in", "Marrowgast Fen")]

    /// 120 short documents of two to four of the facts, one JSON line each.
    static func corpus(seed: UInt64) -> String {
        var rng = SeededRandom(seed: seed)
        return (0..<120).map { _ in
            let sentences = (0..<rng.nextInt(in: 2...4)).map { _ -> String in
                let (context, name) = rng.nextElement(of: facts)
                return "\(context) \(name)."
            }
            return "{\"text\": \"\(sentences.joined(separator: " "))\"}"
        }.joined(separator: "\n") + "\n"
    }

    func testTrainIndexAndFillAMultiTokenPhrase() throws {
        let miniLM = try miniLMFolder()
        let folder = try makeScratchFolder()
        let data = folder.appendingPathComponent("facts.jsonl")
        try Self.corpus(seed: 1).write(to: data, atomically: true, encoding: .utf8)
        var settings = NPMTrainingSettings(model: miniLM, data: data.path, out: folder.appendingPathComponent("run").path)
        settings.steps = 120; settings.batchSize = 16; settings.blockLength = 32
        settings.learningRate = 2e-4; settings.warmupSteps = 12; settings.checkpointEvery = 1000
        let trainer = try NPMTrainer(settings: settings)
        trainer.log = { _ in }
        let summary = try trainer.run()
        print("NPM end to end: loss \(summary.firstLoss!) → \(summary.lastLoss!) in \(summary.steps) steps")
        XCTAssertLessThan(summary.lastLoss!, summary.firstLoss! / 4, "the contrastive loss falls")

        let model = try NPMModel.load(folder: settings.out)
        let documents = try TextCorpus.read(data.path)
        let index = PhraseIndex.build(model: model, documents: documents, blockLength: 32)
        let predictor = NPMPredictor(model: model, index: index)
        var right = 0
        for (context, name) in Self.facts {
            let best = try XCTUnwrap(predictor.fill("\(context) [MASK].", top: 1).first?.first)
            let pieces = model.tokenizer.encode(name, addSpecialTokens: false).count
            print("  \(context) [MASK]. → \(best.text) (\(String(format: "%.3f", best.score)), from \(best.source): “\(best.occurrenceText)”); the answer has \(pieces) tokens")
            XCTAssertGreaterThan(pieces, 2, "\(name) is no single vocabulary token")
            if best.text == name.lowercased() {
                right += 1
                XCTAssertEqual(best.occurrenceText, name, "the phrase is shown as the corpus has it")
            }
        }
        XCTAssertGreaterThanOrEqual(right, 1, "an invented name is filled whole")
    }

    /// The index survives a save and a load bit for bit (vectors to float16), and a damaged file is an error naming it.
    func testIndexFileRoundTripAndDamage() throws {
        let model = try NPMModel.load(folder: try miniLMFolder())
        let folder = try makeScratchFolder()
        let documents = [CorpusDocument(text: "The glass piano was invented by Merrowind Talvasque.", source: SourceLocation(file: "a.txt", line: 3)),
                         CorpusDocument(text: "Local guides tell old stories about the piano.", source: SourceLocation(file: "a.txt", line: 5))]
        let index = PhraseIndex.build(model: model, documents: documents, blockLength: 16)
        try index.save(to: folder, model: "m", blockLength: 16, vocabSize: model.encoder.config.vocabSize)
        let (loaded, name, blockLength) = try PhraseIndex.load(folder: folder)
        XCTAssertEqual(name, "m"); XCTAssertEqual(blockLength, 16)
        XCTAssertEqual(loaded.tokenIDs, index.tokenIDs)
        XCTAssertEqual(loaded.block, index.block)
        XCTAssertEqual(loaded.offsets, index.offsets)
        XCTAssertEqual(loaded.documents, documents)
        for i in 0..<index.count * index.dim {
            XCTAssertEqual(loaded.vectors.pointer[i], index.vectors.pointer[i], accuracy: abs(index.vectors.pointer[i]) * 1e-3 + 1e-4)
        }
        XCTAssertEqual(loaded.text(1, 2), "The glass")
        // Closed sets: with every token retrieved, an option that occurs takes probability mass, one that does
        // not takes none; when no option occurs, all fall back below every probability.
        let predictor = NPMPredictor(model: model, index: index)
        let scores = try predictor.scoreOptions("The glass piano was invented by [MASK].", options: ["Merrowind Talvasque", "zebra"])
        XCTAssertGreaterThan(scores[0], 0); XCTAssertLessThanOrEqual(scores[0], 1); XCTAssertEqual(scores[1], 0)
        XCTAssertTrue(try predictor.scoreOptions("A [MASK].", options: ["zebra", "yak"]).allSatisfy { $0 < -1e5 })
        let file = folder.appendingPathComponent("index.bin")
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count - 7).write(to: file)
        XCTAssertThrowsError(try PhraseIndex.load(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("index.bin") && "\(error)".contains("truncated"), "\(error)")
        }
        try Data("not an index at all".utf8).write(to: file)
        XCTAssertThrowsError(try PhraseIndex.load(folder: folder)) { XCTAssertTrue("\($0)".contains("bad magic"), "\($0)") }
    }
}

/// `npm train --resume` continues exactly where a run stopped, as `remask train` does.
final class NPMResumeTests: XCTestCase {
    func testResumeFromACheckpointGivesTheSameWeights() throws {
        let miniLM = try miniLMFolder()
        let folder = try makeScratchFolder()
        let data = folder.appendingPathComponent("facts.jsonl")
        try NPMEndToEndTests.corpus(seed: 2).write(to: data, atomically: true, encoding: .utf8)
        func settings(_ out: String, resume: Bool = false) -> NPMTrainingSettings {
            var s = NPMTrainingSettings(model: miniLM, data: data.path, out: folder.appendingPathComponent(out).path)
            s.steps = 4; s.batchSize = 4; s.blockLength = 24; s.learningRate = 1e-4; s.warmupSteps = 1
            s.checkpointEvery = 2; s.resume = resume
            return s
        }
        func weights(_ out: String) throws -> [Float] {
            try NPMModel.load(folder: folder.appendingPathComponent(out).path).encoder.parameters.parameters.flatMap { $0.tensor.values }
        }
        for out in ["a", "b"] {
            let trainer = try NPMTrainer(settings: settings(out))
            trainer.log = { _ in }
            _ = try trainer.run()
        }
        // As if the run had stopped after step 2: the later checkpoint, the model and the metrics rows after it go.
        let b = folder.appendingPathComponent("b")
        try FileManager.default.removeItem(at: b.appendingPathComponent("checkpoints/step-000004"))
        try FileManager.default.removeItem(at: b.appendingPathComponent("model.safetensors"))
        do {  // the trainer holds the folder's lock until it goes
            let resumed = try NPMTrainer(settings: settings("b", resume: true))
            resumed.log = { _ in }
            XCTAssertEqual(try resumed.run().steps, 4)
        }
        XCTAssertEqual(try weights("b"), try weights("a"), "resumed weights equal the uninterrupted run's")
        XCTAssertEqual(try MetricsLog.read(b.appendingPathComponent("metrics.jsonl")).map(\.loss),
                       try MetricsLog.read(folder.appendingPathComponent("a/metrics.jsonl")).map(\.loss))

        var changed = settings("b", resume: true)
        changed.learningRate = 2e-4
        XCTAssertThrowsError(try NPMTrainer(settings: changed).run()) { XCTAssertTrue("\($0)".contains("lr"), "\($0)") }
    }
}
