import Foundation
import ReMask
import Core

/// Writes a study's `results.json`, `results.md` and, per regime, `accuracy-by-length-<regime>.svg` and
/// `loss-<regime>.svg`.
struct StudyReport {
    let results: StudyResults
    let folder: URL

    init(_ results: StudyResults, folder: URL) {
        self.results = results
        self.folder = folder
    }

    var regimes: [String] {
        var names: [String] = []
        for s in results.summaries where !names.contains(s.regime) { names.append(s.regime) }
        return names
    }

    func write() throws {
        try AtomicFile.write(try results.json(), to: folder.appendingPathComponent("results.json"))
        try AtomicFile.write(Data(markdown().utf8), to: folder.appendingPathComponent("results.md"))
        let curves = try results.cells.map { cell in
            (cell, try MetricsLog.read(folder.appendingPathComponent("runs/\(cell.regime)/\(cell.arm)/seed-\(cell.seed)/train/metrics.jsonl")))
        }
        for regime in regimes {
            try AtomicFile.write(Data(StudyPlots.accuracyByLength(results, regime: regime).utf8),
                                 to: folder.appendingPathComponent("accuracy-by-length-\(regime).svg"))
            try AtomicFile.write(Data(StudyPlots.loss(results, regime: regime, curves: curves).utf8),
                                 to: folder.appendingPathComponent("loss-\(regime).svg"))
        }
    }

    /// The tables. Everything above "Cost" is reproduced exactly by a rerun with the same seeds.
    func markdown() -> String {
        let seeds = results.summaries.first?.seeds.map(String.init).joined(separator: ", ") ?? ""
        let problems = results.cells.first?.scores.problems ?? 0
        var md = """
            # Study `\(results.name)`

            \(problems) test problems, seeds \(seeds). Mean ± sample standard deviation across seeds; 95% confidence \
            intervals of the mean (Student's t); paired differences against SFT seed by seed with an exact sign-flip \
            permutation p-value. Exact match is free-running: the model writes its rationale, the `<|answer|>` tag and \
            the answer.\(results.cells.count < results.plannedCells ? " **Partial report: \(results.cells.count) of the \(results.plannedCells) planned cells have finished.**" : "") Steps right: the share of steps whose value the model's own rationale states right \
            (free-running) or predicts right given the reference prefix (teacher-forced); the gap between them is what \
            exposure bias costs.


            """
        if let gate = results.gate {
            md += String(format: """
                ## Base model (stage 0)

                Trained once with SFT on the base problems (%d steps, %d tokens), shared by every cell. On held-out base problems, \
                teacher-forced: look-up %.1f%% (required %.0f%%), arithmetic %.1f%% (required %.0f%%); free-running \
                exact match %.1f%%.


                """, gate.steps, gate.trainingTokens, 100 * gate.lookup, 100 * (gate.required["lookup"] ?? 0),
                                 100 * gate.arithmetic, 100 * (gate.required["arithmetic"] ?? 0), 100 * gate.exactMatch)
        }
        if let p = results.primary {
            md += "## Primary comparison (pre-registered)\n\n"
            md += "\(p.result.arm) − \(p.result.baseline), exact match, regime `\(p.regime)`: \(signed(p.result.meanDifference)) points, "
            md += "95% CI \(ci(p.result.differences)), p = \(pValue(p.result.pPermutation)) (exact sign-flip, \(p.result.n) seeds). "
            if let mde = p.result.mde80 {
                md += String(format: "With the observed spread of the paired differences, this design detects a true difference of %.1f points with 80%% power (two-sided α = 0.05).", 100 * mde)
            }
            md += "\n\n"
        }
        for regime in regimes {
            let arms = results.summaries.filter { $0.regime == regime }
            md += """
                ## Regime `\(regime)`

                | arm | exact match | 95% CI | Δ vs SFT | p | p (Holm) | steps right, free | steps right, teacher-forced | gap | look-up (TF) | arithmetic (TF) | chain (TF) | MC acc_norm | validation loss |
                |---|---|---|---|---|---|---|---|---|---|---|---|---|---|

                """
            for s in arms {
                let c = comparison(regime, s.arm, "exact_match")
                md += "| \(s.arm) | \(pm(s.exactMatch)) | \(ci(s.exactMatch)) | \(c.map { signed($0.result.meanDifference) } ?? "–") | "
                md += "\(c.map { pValue($0.result.pPermutation) } ?? "–") | \(c?.result.pHolm.map(pValue) ?? (c?.role == "primary" ? "primary" : "–")) | "
                md += "\(pm(s.freeStepAccuracy)) | \(pm(s.teacherStepAccuracy)) | \(pm(s.exposureGap)) | \(pm(s.teacherLookup)) | "
                md += "\(pm(s.teacherArithmetic)) | \(pm(s.teacherChain)) | \(pm(s.multipleChoiceAccNorm)) | "
                md += "\(s.validationLoss.map { String(format: "%.4f", $0.mean) } ?? "–") |\n"
            }
            let lengths = arms.first?.exactMatchBySteps.map(\.steps) ?? []
            md += "\nExact match by number of steps (mean [95% CI]); n per length: "
            md += (arms.first?.exactMatchBySteps.map { "\($0.steps): \($0.n)" }.joined(separator: ", ") ?? "") + "\n\n"
            md += "| arm | " + lengths.map { "\($0) steps" }.joined(separator: " | ") + " |\n"
            md += "|---|" + lengths.map { _ in "---|" }.joined() + "\n"
            for s in arms {
                md += "| \(s.arm) | " + s.exactMatchBySteps.map { "\(points($0.exactMatch.mean)) \(ci($0.exactMatch))" }.joined(separator: " | ") + " |\n"
            }
            let exploratory = results.comparisons.filter { $0.regime == regime && $0.role == "exploratory" }
            if !exploratory.isEmpty {
                md += "\nExploratory paired differences against SFT (uncorrected):\n\n| arm | metric | Δ | 95% CI | p |\n|---|---|---|---|---|\n"
                for c in exploratory {
                    md += "| \(c.result.arm) | \(c.metric) | \(signed(c.result.meanDifference)) | \(ci(c.result.differences)) | \(pValue(c.result.pPermutation)) |\n"
                }
            }
            md += "\n"
        }
        md += """
            ## Budget

            Every arm of a regime trains on the same examples in the same order per seed for the same steps. ReMask runs \
            the model twice per token (masked and full), so its token passes are twice the others'.

            | regime | arm | steps | training tokens | token passes |
            |---|---|---|---|---|

            """
        for s in results.summaries {
            md += "| \(s.regime) | \(s.arm) | \(s.steps) | \(s.trainingTokens) | \(s.tokenPasses) |\n"
        }
        md += """

            ## Per seed

            | regime | arm | seed | exact match | steps right (free / TF) | MC acc_norm | validation loss |
            |---|---|---|---|---|---|---|

            """
        for c in results.cells {
            md += "| \(c.regime) | \(c.arm) | \(c.seed) | \(points(c.scores.exactMatch)) | \(points(c.scores.freeStepAccuracy)) / "
            md += "\(points(c.scores.teacherStepAccuracy)) | \(points(c.multipleChoiceAccNorm)) | \(c.validationLoss.map { String(format: "%.4f", $0) } ?? "–") |\n"
        }
        md += """

            ## Cost

            Wall-clock means per run on the machine that ran the study (these vary between runs and machines)\
            \(results.gate.map { String(format: "; the base model trained for %.0f s", $0.trainSeconds) } ?? "").

            | regime | arm | training (s) | training tokens/s | evaluation (s) |
            |---|---|---|---|---|

            """
        for t in results.timings {
            md += String(format: "| %@ | %@ | %.0f | %.0f | %.0f |\n", t.regime, t.arm, t.trainSeconds, t.tokensPerSecond, t.evalSeconds)
        }
        return md
    }

    private func comparison(_ regime: String, _ arm: String, _ metric: String) -> Comparison? {
        results.comparisons.first { $0.regime == regime && $0.result.arm == arm && $0.metric == metric }
    }
    private func points(_ x: Double) -> String { String(format: "%.1f", 100 * x) }
    private func pm(_ s: SeedStatistics) -> String { String(format: "%.1f ± %.1f", 100 * s.mean, 100 * s.std) }
    private func ci(_ s: SeedStatistics) -> String { String(format: "[%.1f, %.1f]", 100 * s.low, 100 * s.high) }
    private func signed(_ x: Double) -> String { String(format: "%+.1f", 100 * x) }
    private func pValue(_ p: Double) -> String { p < 0.001 ? "<0.001" : String(format: "%.3f", p) }
}
