import Foundation
import Models
import ReMask
import Evaluation

/// Generative exact match in the training format, in two greedy stages: the rationale after
/// `<|user|>\n{problem}\n<|rationale|>\n` up to the end of its line, then — with `\n<|answer|>\n` appended —
/// the answer up to the end of its line.
///
/// The answer tag is written for the model rather than generated: a tag added to a model's vocabulary starts at
/// the mean embedding row, and with LoRA (which leaves the embeddings frozen) its logit is the mean of the
/// other logits, so greedy decoding could never choose it. Every objective and model is scored the same way.
struct AnswerScorer {
    let lm: LanguageModel
    let tokenizer: BPETokenizer
    let batchSize: Int
    let maxNewTokens: Int
    static let answerTokens = 16

    /// The report's metric is `exact_match`; its items log each problem's rationale, answer and correctness.
    func score(_ problems: [ArithmeticProblem], idPrefix: String,
               progress: @escaping (String, Int, Int, String) -> Void) throws -> EvalReport {
        let questions = StudyBenchmark.generativeItems(problems, idPrefix: idPrefix)
        let rationales = try generate(questions, maxNewTokens: maxNewTokens, stage: "rationale", progress: progress)
        let answerPrefix = "\n\(PromptFormat.answerTag)\n"
        let answers = try generate(zip(questions, rationales).map { item, rationale in
            var item = item
            item.query += rationale.text + answerPrefix
            return item
        }, maxNewTokens: Self.answerTokens, stage: "answer", progress: progress)

        var correct = 0
        var log: [[String: Any]] = []
        for (i, item) in questions.enumerated() {
            let extracted = AnswerExtraction.taggedAnswer(answerPrefix + answers[i].text, tag: PromptFormat.answerTag)
            let ok = AnswerExtraction.matches(extracted, reference: item.answer)
            correct += ok ? 1 : 0
            log.append([
                "id": item.id, "prompt": item.query, "rationale": rationales[i].text, "rationale_stop": rationales[i].stop.rawValue,
                "output": answers[i].text, "extracted": extracted, "answer": item.answer, "correct": ok,
            ])
        }
        return EvalReport(task: "exact_match", n: questions.count,
                          metrics: [("exact_match", Double(correct) / Double(max(questions.count, 1)))], details: [], items: log)
    }

    private func generate(_ items: [GenerativeItem], maxNewTokens: Int, stage: String,
                          progress: @escaping (String, Int, Int, String) -> Void) throws -> [BatchGenerator.Output] {
        let generator = BatchGenerator(model: lm.model, tokenizer: tokenizer, batchSize: batchSize, maxNewTokens: maxNewTokens)
        let start = Date()
        progress(stage, 0, items.count, "")
        return try generator.generate(items) { done, tokens in
            progress(stage, done, items.count, String(format: "%.1f tok/s", Double(tokens) / max(Date().timeIntervalSince(start), 1e-9)))
        }
    }
}
