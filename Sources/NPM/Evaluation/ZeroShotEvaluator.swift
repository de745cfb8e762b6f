import Foundation
import Core
import Models

/// Zero-shot evaluation of NPM and of the masked-LM baseline on the same tasks.
public enum ZeroShotEvaluator {
    /// NPM: classification by `scoreOptions` over `index`; cloze by `fill`, over the example's own context when it
    /// has one (indexed on the fly), else over `index`.
    public static func npm(_ task: ZeroShotTask, model: NPMModel, index: PhraseIndex?, k: Int = 1024,
                           progress: (Int) -> Void = { _ in }) throws -> ZeroShotResult {
        let clock = ContinuousClock.now
        let functionWords = FunctionWords.tokenIDs(model.tokenizer)
        var correct = 0, single = 0, singleCorrect = 0
        for (n, example) in task.examples.enumerated() {
            switch example {
            case .classification(let input, let label, let options):
                guard let index else { throw NPMError.invalidSettings("\(task.name): classification needs a reference corpus index (--index)") }
                var predictor = NPMPredictor(model: model, index: index, functionWords: functionWords)
                predictor.k = k
                let scores = try predictor.scoreOptions(input, options: options)
                if argmax(scores) == label { correct += 1 }
            case .cloze(let input, let answers, let context):
                let local = try context.map { PhraseIndex.build(model: model, documents: [CorpusDocument(text: $0, source: .init(file: task.name, line: n + 1))],
                                                                blockLength: min(256, model.encoder.config.maxPositions)) }
                guard let reference = local ?? index else { throw NPMError.invalidSettings("\(task.name): cloze without a context needs --index") }
                var predictor = NPMPredictor(model: model, index: reference, functionWords: functionWords)
                predictor.k = k
                let best = try predictor.fill(input, top: 1).first?.first?.text ?? ""
                let hit = isCorrect(best, answers)
                if hit { correct += 1 }
                if isSingleToken(answers[0], model.tokenizer) { single += 1; if hit { singleCorrect += 1 } }
            }
            progress(n + 1)
        }
        return result(task, "npm", correct, single, singleCorrect, clock)
    }

    /// The masked-LM baseline: the softmax over the vocabulary at the mask. Classification scores an option of n
    /// tokens by the summed log-probabilities of its tokens at n masks; cloze takes the most probable token at one
    /// mask (with `oracleLength`, at as many masks as the first answer has tokens, each position's best token).
    public static func mlm(_ task: ZeroShotTask, model: NPMModel, oracleLength: Bool = false,
                           progress: (Int) -> Void = { _ in }) throws -> ZeroShotResult {
        guard model.encoder.hasMaskedLMHead else { throw NPMError.invalidSettings("the masked-LM baseline needs a model with a masked-LM head") }
        let clock = ContinuousClock.now
        let tokenizer = model.tokenizer
        var correct = 0, single = 0, singleCorrect = 0
        for (n, example) in task.examples.enumerated() {
            switch example {
            case .classification(let input, let label, let options):
                var byMasks: [Int: [[Float]]] = [:]  // one encoder pass per option length
                let scores = try options.map { option -> Double in
                    let ids = tokenizer.encode(option, addSpecialTokens: false)
                    guard !ids.isEmpty else { throw NPMError.data("\(task.name): the option \"\(option)\" has no tokens") }
                    if byMasks[ids.count] == nil { byMasks[ids.count] = try maskedLogProbs(input, masks: ids.count, model: model) }
                    return zip(byMasks[ids.count]!, ids).reduce(0) { $0 + Double($1.0[Int($1.1)]) }
                }
                if argmax(scores) == label { correct += 1 }
            case .cloze(let input, let answers, _):
                let masks = oracleLength ? max(1, tokenizer.encode(answers[0], addSpecialTokens: false).count) : 1
                let logProbs = try maskedLogProbs(input, masks: masks, model: model)
                let specials = Set([tokenizer.clsID, tokenizer.sepID, tokenizer.padID, tokenizer.maskID, tokenizer.unkID])
                let ids = logProbs.map { row in Int32(row.indices.filter { !specials.contains(Int32($0)) }.max { row[$0] < row[$1] } ?? 0) }
                let hit = isCorrect(tokenizer.decode(ids), answers)
                if hit { correct += 1 }
                if isSingleToken(answers[0], tokenizer) { single += 1; if hit { singleCorrect += 1 } }
            }
            progress(n + 1)
        }
        return result(task, oracleLength ? "mlm-oracle-length" : "mlm", correct, single, singleCorrect, clock)
    }

    /// Log-softmax rows over the vocabulary at `masks` masks put in place of the text's first `[MASK]`.
    static func maskedLogProbs(_ input: String, masks: Int, model: NPMModel) throws -> [[Float]] {
        let t = model.tokenizer
        var ids: [Int32] = [], first: Int?
        for id in t.encode(input) {
            if id == t.maskID && first == nil { first = ids.count; ids += [Int32](repeating: id, count: masks) } else { ids.append(id) }
        }
        guard let first else { throw NPMError.data("no [MASK] in: \(input.prefix(80))") }
        let (fitted, kept) = model.fittingPositions(ids, [first])
        guard let position = kept.first else {
            throw NPMError.data("the [MASK] lies beyond the model's \(model.encoder.config.maxPositions) positions: \(input.prefix(80))")
        }
        ids = fitted
        return Autograd.withNoGrad {
            let hidden = model.encoder.hiddenStates(ids, batch: 1, length: ids.count, lengths: [ids.count])
            let logits = model.encoder.maskedLMLogits(hidden.gatheringRows((position..<position + masks).map(Int32.init))).contiguous()
            let v = logits.shape[1]
            return (0..<masks).map { r in
                let row = Array(UnsafeBufferPointer(start: logits.pointer + r * v, count: v))
                let lse = Float(logSumExp(row.map(Double.init)))
                return row.map { $0 - lse }
            }
        }
    }

    static func isCorrect(_ prediction: String, _ answers: [String]) -> Bool {
        let p = normalizedAnswer(prediction)
        return !p.isEmpty && answers.contains { normalizedAnswer($0) == p }
    }

    static func isSingleToken(_ answer: String, _ tokenizer: WordPieceTokenizer) -> Bool {
        tokenizer.encode(answer, addSpecialTokens: false).count == 1
    }

    static func argmax(_ values: [Double]) -> Int { values.indices.max { values[$0] < values[$1] } ?? 0 }

    static func result(_ task: ZeroShotTask, _ method: String, _ correct: Int, _ single: Int, _ singleCorrect: Int,
                       _ clock: ContinuousClock.Instant) -> ZeroShotResult {
        let isCloze = task.examples.contains { if case .cloze = $0 { return true } else { return false } }
        return ZeroShotResult(task: task.name, method: method, examples: task.examples.count, correct: correct,
                              singleTokenExamples: isCloze ? single : nil, singleTokenCorrect: isCloze ? singleCorrect : nil,
                              seconds: (ContinuousClock.now - clock) / .seconds(1))
    }
}
