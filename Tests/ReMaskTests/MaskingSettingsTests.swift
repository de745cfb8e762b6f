import XCTest
import Core
import Models
@testable import ReMask

/// The masking settings (`remask train`'s masking flags) resolved per objective, and the policies they give at work.
final class MaskingSettingsTests: XCTestCase {
    func policy(_ settings: MaskingSettings, _ objective: Objective) throws -> MaskingPolicy {
        try settings.policy(for: objective)
    }

    func testEachObjectivePicksItsOwnDefaults() throws {
        XCTAssertEqual(try policy(MaskingSettings(), .sft), .sft)
        XCTAssertEqual(try policy(MaskingSettings(), .maskedThought), .maskedThought)
        XCTAssertEqual(try policy(MaskingSettings(), .remask), .remaskCoT)
        let mt = MaskingPolicy.maskedThought
        XCTAssertEqual(mt.count, .binomial)
        XCTAssertEqual(mt.replacement, .randomToken)
        XCTAssertEqual(mt.rampFraction, 2.0 / 3, accuracy: 1e-7)
        XCTAssertFalse(mt.protectAnswer)
        XCTAssertEqual([mt.rate, mt.rationaleLabelDrop, mt.answerOnly], [0.4, 0, 0])
        let cot = MaskingPolicy.remaskCoT
        XCTAssertEqual(cot.count, .perToken)
        XCTAssertEqual(cot.replacement, .maskToken)
        XCTAssertTrue(cot.protectAnswer)
        XCTAssertEqual([cot.rate, cot.rampFraction, cot.rationaleLabelDrop, cot.answerOnly], [0.4, 0, 0.1, 0.1])
        XCTAssertEqual(MaskingPolicy.sft.rate, 0)
        XCTAssertEqual([MaskingPolicy.sft.rationaleLabelDrop, MaskingPolicy.sft.answerOnly], [0, 0])
        for objective in Objective.allCases { XCTAssertEqual(MaskingPolicy.default(for: objective), try policy(MaskingSettings(), objective)) }
    }

    /// The ReMask card's own Masked Thought baseline: ReMask's masking and CoT label rules, one pass, no divergence.
    func testEveryFlagOverridesForMaskedThought() throws {
        let explicit = MaskingSettings(rate: 0.4, count: .perToken, replacement: .maskToken, rampFraction: 0, protectAnswer: true,
                                       rationaleLabelDrop: 0.1, answerOnly: 0.1)
        XCTAssertEqual(try policy(explicit, .maskedThought), .remaskCoT)
        XCTAssertEqual(try policy(MaskingSettings(preset: .remaskCoT), .maskedThought), .remaskCoT)
        XCTAssertEqual(try policy(MaskingSettings(cotRules: true), .maskedThought),
                       MaskingPolicy(rate: 0.4, count: .binomial, replacement: .randomToken, rampFraction: 2.0 / 3, protectAnswer: true,
                                     rationaleLabelDrop: 0.1, answerOnly: 0.1))
        // Label rules alone keep Chen et al.'s input masking.
        var expected = MaskingPolicy.maskedThought
        expected.rationaleLabelDrop = 0.2
        expected.answerOnly = 0.05
        XCTAssertEqual(try policy(MaskingSettings(rationaleLabelDrop: 0.2, answerOnly: 0.05), .maskedThought), expected)
        // A preset, then single flags over it.
        let p = try policy(MaskingSettings(preset: .maskedThought, rate: 0.2, protectAnswer: true), .remask)
        XCTAssertEqual(p, MaskingPolicy(rate: 0.2, count: .binomial, replacement: .randomToken, rampFraction: 2.0 / 3, protectAnswer: true,
                                        rationaleLabelDrop: 0, answerOnly: 0))
        XCTAssertEqual(try policy(MaskingSettings(replacement: .mix(maskFraction: 0.5), mixFraction: 0.3), .remask).replacement,
                       .mix(maskFraction: 0.3))
        XCTAssertThrowsError(try policy(MaskingSettings(mixFraction: 0.3), .remask)) { error in
            XCTAssertTrue("\(error)".contains("--mask-mix"), "\(error)")
        }
    }

    /// `--no-cot-rules`: answers maskable and no label rules, unless those settings are given themselves.
    func testCoTRulesOffTurnsOffAnswerProtectionAndLabelRules() throws {
        XCTAssertEqual(try policy(MaskingSettings(cotRules: false), .remask), .remask)
        XCTAssertFalse(MaskingPolicy.remask.protectAnswer)
        XCTAssertEqual([MaskingPolicy.remask.rationaleLabelDrop, MaskingPolicy.remask.answerOnly], [0, 0])
        let some = try policy(MaskingSettings(cotRules: false, protectAnswer: true, rationaleLabelDrop: 0.2), .remask)
        XCTAssertTrue(some.protectAnswer)
        XCTAssertEqual([some.rationaleLabelDrop, some.answerOnly], [0.2, 0])
    }

    func testSFTRejectsInputMaskingButTakesLabelRules() throws {
        let rejected: [(MaskingSettings, String)] = [
            (MaskingSettings(rate: 0.4), "--mask-rate"), (MaskingSettings(count: .binomial), "--mask-count"),
            (MaskingSettings(replacement: .randomToken), "--mask-replacement"), (MaskingSettings(mixFraction: 0.5), "--mask-mix"),
            (MaskingSettings(rampFraction: 0.5), "--mask-ramp"), (MaskingSettings(protectAnswer: false), "--protect-answer"),
            (MaskingSettings(preset: .remaskCoT), "--masking remask-cot"), (MaskingSettings(preset: .maskedThought), "--masking masked-thought"),
        ]
        for (settings, flag) in rejected {
            XCTAssertThrowsError(try policy(settings, .sft), flag) { error in
                XCTAssertTrue("\(error)".contains("sft masks no inputs") && "\(error)".contains(flag), "\(error)")
            }
        }
        XCTAssertEqual(try policy(MaskingSettings(preset: MaskingSettings.Preset.none, rate: 0), .sft), .sft)
        let labels = try policy(MaskingSettings(rationaleLabelDrop: 0.1, answerOnly: 0.1), .sft)
        XCTAssertEqual(labels, MaskingPolicy(rate: 0, rationaleLabelDrop: 0.1, answerOnly: 0.1))
        XCTAssertEqual(try policy(MaskingSettings(cotRules: true), .sft), labels)
        XCTAssertEqual(labels.specialTokens, [], "no [mask] token without input masking")
    }

    func testTrainingSettingsMaskingFollowsTheObjective() throws {
        var s = TrainingSettings(data: "d.jsonl", out: "out")
        XCTAssertEqual(try s.maskingPolicy(), .remaskCoT)
        XCTAssertNil(s.clipNorm, "no gradient clipping by default, as in the ReMask recipe")
        XCTAssertNil(s.fingerprint["optimizer.clip-norm"])
        s.objective.name = .maskedThought
        XCTAssertEqual(try s.maskingPolicy(), .maskedThought)
        s.objective.name = .sft
        XCTAssertEqual(try s.maskingPolicy(), .sft)
        XCTAssertNoThrow(try s.validate())
        s.masking.rationaleLabelDrop = 0.3
        XCTAssertEqual(try s.maskingPolicy(), MaskingPolicy(rate: 0, rationaleLabelDrop: 0.3, answerOnly: 0))
        XCTAssertEqual(s.fingerprint["masking.label-mask-rate"], "0.3", "the fingerprint records the masking settings given")
        s.objective.name = .remask
        XCTAssertEqual(try s.maskingPolicy().rationaleLabelDrop, 0.3, "once set, the setting stays")
        s.objective.name = .sft
        s.masking.rate = 0.4
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("sft masks no inputs"), "\($0)") }
        s.objective.name = .remask
        s.masking = MaskingSettings(replacement: .mix(maskFraction: 1.5))
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("--mask-mix"), "\($0)") }
        s.masking = MaskingSettings()
        s.optimizer.clipNorm = 1
        XCTAssertEqual(s.fingerprint["optimizer.clip-norm"], "1")
    }

    // MARK: - The resolved policies at work

    static let dataset: TokenizedDataset = {
        var rng = SeededRandom(seed: 31)
        let examples = (0..<200).map { _ in DataFixtures.randomExample(&rng) }
        return try! DataFixtures.seedTokenizer().tokenize(examples)
    }()

    static let tokens = MaskTokens(original: DataFixtures.original, tokenizer: DataFixtures.tokenizer)

    func batches() -> [Batch] {
        let p = BatchPlanner(dataset: Self.dataset, strategy: .bucketed(batchSize: 8), padID: DataFixtures.tokenizer.eosID!, seed: 4)
        return p.plan(epoch: 0).map(p.batch)
    }

    /// Counts over every batch: masked inputs by role, and labels dropped by the role of the token they target.
    func run(_ policy: MaskingPolicy, step: Int = 0, totalSteps: Int = 1) -> (masked: [TokenRole: Int], dropped: [TokenRole: Int], rationaleLabels: Int) {
        var rng = SeededRandom(seed: 12)
        var masked: [TokenRole: Int] = [:], dropped: [TokenRole: Int] = [:], rationaleLabels = 0
        for b in batches() {
            let m = policy.apply(b, step: step, totalSteps: totalSteps, tokens: Self.tokens, rng: &rng)
            for i in m.maskedPositions { masked[b.roles[i], default: 0] += 1 }
            for i in b.labels.indices where b.labels[i] != Tensor.ignoreIndex {
                if b.roles[i + 1] == .rationale { rationaleLabels += 1 }
                if m.labels[i] == Tensor.ignoreIndex { dropped[b.roles[i + 1], default: 0] += 1 }
            }
        }
        return (masked, dropped, rationaleLabels)
    }

    /// `--objective masked-thought --label-mask-rate 0.1 --answer-only-rate 0.1`: labels really are dropped
    /// (rationale only), while the inputs keep Chen et al.'s masking (answers included).
    func testLabelRulesDropLabelsUnderMaskedThought() throws {
        let p = try policy(MaskingSettings(rationaleLabelDrop: 0.1, answerOnly: 0.1), .maskedThought)
        let (masked, dropped, rationaleLabels) = run(p, step: 9, totalSteps: 10)
        XCTAssertEqual(Set(dropped.keys), [.rationale], "only rationale labels are dropped")
        let share = Double(dropped[.rationale]!) / Double(rationaleLabels)
        XCTAssertGreaterThan(share, 0.1, "10% per label plus 10% of examples answer-only: about 0.19")
        XCTAssertLessThan(share, 0.3)
        XCTAssertGreaterThan(masked[.answer] ?? 0, 0, "masked-thought masks answers")
        // Without the label rules nothing is dropped.
        XCTAssertTrue(run(.maskedThought, step: 9, totalSteps: 10).dropped.isEmpty)
    }

    /// SFT with label rules: inputs untouched, rationale labels dropped.
    func testLabelRulesDropLabelsUnderSFT() throws {
        let p = try policy(MaskingSettings(cotRules: true), .sft)
        let (masked, dropped, _) = run(p)
        XCTAssertTrue(masked.isEmpty)
        XCTAssertEqual(Set(dropped.keys), [.rationale])
    }

    /// `--no-cot-rules` under remask masks answer tokens; the default (ReMask-CoT) never does.
    func testCoTRulesOffMasksAnswers() throws {
        let off = run(try policy(MaskingSettings(cotRules: false), .remask))
        XCTAssertGreaterThan(off.masked[.answer] ?? 0, 0)
        XCTAssertTrue(off.dropped.isEmpty, "no label rules")
        let on = run(try policy(MaskingSettings(), .remask))
        XCTAssertNil(on.masked[.answer])
        XCTAssertGreaterThan(on.dropped[.rationale] ?? 0, 0)
        let protected = run(try policy(MaskingSettings(cotRules: false, protectAnswer: true), .remask))
        XCTAssertNil(protected.masked[.answer], "--protect-answer wins over --no-cot-rules")
    }
}
