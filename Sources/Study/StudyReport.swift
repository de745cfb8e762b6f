import Foundation
import ReMask

/// Writes a study's `results.json`, `results.md`, `accuracy.svg` and `loss.svg`.
struct StudyReport {
    let results: StudyResults
    let folder: URL

    init(_ results: StudyResults, folder: URL) {
        self.results = results
        self.folder = folder
    }

    func write() throws {
        try AtomicFile.write(try results.json(), to: folder.appendingPathComponent("results.json"))
        try AtomicFile.write(Data(markdown().utf8), to: folder.appendingPathComponent("results.md"))
        try AtomicFile.write(Data(StudyPlots.accuracy(results).utf8), to: folder.appendingPathComponent("accuracy.svg"))
        let curves = try results.cells.map { cell in
            (cell, try MetricsLog.read(folder.appendingPathComponent("runs/\(cell.objective)/seed-\(cell.seed)/train/metrics.jsonl")))
        }
        try AtomicFile.write(Data(StudyPlots.loss(results, curves: curves).utf8), to: folder.appendingPathComponent("loss.svg"))
    }

    /// The tables. Everything above "Cost" is reproduced exactly by a rerun with the same seeds.
    func markdown() -> String {
        let seeds = results.summaries.first?.seeds.map(String.init).joined(separator: ", ") ?? ""
        var md = """
            # Study `\(results.name)`

            Test split, seeds \(seeds). Mean ± sample standard deviation across seeds, with the 95% confidence \
            interval of the mean (Student's t). Exact match: after its greedy rationale and the `<|answer|>` tag, the model \
            generates the answer. acc_norm: the right answer is the most likely of the choices per byte, with no rationale.

            | objective | tuned settings | exact match | 95% CI | MC acc_norm | 95% CI | validation loss |
            |---|---|---|---|---|---|---|

            """
        for s in results.summaries {
            md += "| \(s.objective) | \(settings(s.settings)) | \(pm(s.exactMatch)) | \(ci(s.exactMatch)) | "
            md += "\(s.multipleChoiceAccNorm.map(pm) ?? "–") | \(s.multipleChoiceAccNorm.map(ci) ?? "–") | "
            md += "\(s.validationLoss.map { String(format: "%.4f", $0.mean) } ?? "–") |\n"
        }
        md += """

            ## Paired differences against SFT

            The objective's score minus SFT's with the same seed, in percentage points; * marks an interval that excludes 0.

            | objective | Δ exact match | 95% CI | Δ MC acc_norm | 95% CI |
            |---|---|---|---|---|

            """
        for s in results.summaries where s.exactMatchVersusSFT != nil {
            md += "| \(s.objective) | \(s.exactMatchVersusSFT.map(signed) ?? "–") | \(s.exactMatchVersusSFT.map(ci) ?? "–") | "
            md += "\(s.accNormVersusSFT.map(signed) ?? "–") | \(s.accNormVersusSFT.map(ci) ?? "–") |\n"
        }
        md += """

            ## Per seed

            | objective | seed | exact match | MC acc | MC acc_norm | validation loss |
            |---|---|---|---|---|---|

            """
        for c in results.cells.sorted(by: { ($0.objective, $0.seed) < ($1.objective, $1.seed) }) {
            md += "| \(c.objective) | \(c.seed) | \(points(c.exactMatch)) | \(c.multipleChoiceAcc.map(points) ?? "–") | "
            md += "\(c.multipleChoiceAccNorm.map(points) ?? "–") | \(c.validationLoss.map { String(format: "%.4f", $0) } ?? "–") |\n"
        }
        if !results.search.isEmpty {
            let seed = results.search[0].result.seed
            md += """

                ## Hyperparameter search

                Each objective's combinations, trained with seed \(seed) and scored on the validation split (\(results.search[0].result.problems) \
                problems); the best exact match is used for every seed (ties: the lower validation loss, then the first listed).

                | objective | settings | validation exact match | chosen |
                |---|---|---|---|

                """
            for t in results.search {
                md += "| \(t.result.objective) | \(settings(t.result.settings)) | \(points(t.result.exactMatch)) | \(t.chosen ? "✓" : "") |\n"
            }
        }
        md += """

            ## Budget

            Every objective trains on the same examples for the same steps (training tokens). ReMask runs the model \
            twice per token (masked and full), so its token passes, and its compute, are twice the others'.

            | objective | steps | training tokens | token passes |
            |---|---|---|---|

            """
        for s in results.summaries {
            md += "| \(s.objective) | \(s.steps) | \(s.trainingTokens) | \(s.tokenPasses) |\n"
        }
        md += """

            ## Cost

            Wall-clock means per run on the machine that ran the study (these vary between runs and machines).

            | objective | training (s) | training tokens/s | evaluation (s) |
            |---|---|---|---|

            """
        for t in results.timings {
            md += String(format: "| %@ | %.0f | %.0f | %.0f |\n", t.objective, t.trainSeconds, t.tokensPerSecond, t.evalSeconds)
        }
        return md
    }

    private func points(_ x: Double) -> String { String(format: "%.1f", 100 * x) }
    private func pm(_ s: SeedStatistics) -> String { String(format: "%.1f ± %.1f", 100 * s.mean, 100 * s.std) }
    private func ci(_ s: SeedStatistics) -> String { String(format: "[%.1f, %.1f]", 100 * s.low, 100 * s.high) }
    private func signed(_ s: SeedStatistics) -> String {
        String(format: "%+.1f", 100 * s.mean) + (s.excludesZero ? " *" : "")
    }
    private func settings(_ s: [String]) -> String { s.isEmpty ? "–" : s.map { "`\($0)`" }.joined(separator: " ") }
}
