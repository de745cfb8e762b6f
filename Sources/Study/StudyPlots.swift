import Foundation
import ReMask

/// The study's SVG figures (self-contained, no scripts or fonts).
enum StudyPlots {
    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// Free-running exact match against the number of steps, one line per arm of `regime`, with 95% confidence
    /// intervals across seeds as error bars: exposure bias shows as a steeper fall.
    static func accuracyByLength(_ results: StudyResults, regime: String) -> String {
        let arms = results.summaries.filter { $0.regime == regime && $0.maskRate == nil }
        let lines = arms.enumerated().map { i, arm in
            PlotLine(name: arm.arm, color: colors[i % colors.count],
                     points: arm.exactMatchBySteps.map { PlotPoint(Double($0.steps) + 0.04 * (Double(i) - Double(arms.count - 1) / 2), 100 * $0.exactMatch.mean) },
                     opacity: 1, markers: true,
                     errorBars: arm.exactMatchBySteps.map { (100 * $0.exactMatch.low, 100 * $0.exactMatch.high) })
        }
        let steps = arms.flatMap { $0.exactMatchBySteps.map { Double($0.steps) } }
        let xRange = (steps.min() ?? 1) - 0.3...(steps.max() ?? 2) + 0.3
        let width = 880.0, height = 440.0
        var svg = header(width: width, height: height, title: "\(results.name), \(regime): exact match by chain length (95% CI across seeds)")
        svg += PlotPanel(frame: (x: 70, y: 50, width: width - 70 - 190, height: height - 50 - 60), xRange: xRange,
                         yLabel: "exact match (%)", xLabel: "steps in the chain", lines: lines).svg()
        return svg + "</svg>\n"
    }

    /// Validation loss (clean inputs) against step for each arm of `regime`, averaged over seeds, and the arm's
    /// own training loss, smoothed.
    static func loss(_ results: StudyResults, regime: String, curves: [(CellResult, [MetricsRow])]) -> String {
        let width = 880.0, panelHeight = 300.0
        let height = 50 + panelHeight + 40 + panelHeight + 50
        let inRegime = curves.filter { $0.0.regime == regime }
        func meanCurve(_ arm: String, _ split: MetricsRow.Split) -> [PlotPoint] {
            var sums: [Int: (Double, Int)] = [:]
            for (cell, rows) in inRegime where cell.arm == arm {
                for row in rows where row.split == split {
                    guard let loss = row.loss, loss.isFinite else { continue }
                    let (s, n) = sums[row.step] ?? (0, 0)
                    sums[row.step] = (s + loss, n + 1)
                }
            }
            return sums.keys.sorted().map { PlotPoint(Double($0), sums[$0]!.0 / Double(sums[$0]!.1)) }
        }
        let arms = results.summaries.filter { $0.regime == regime && $0.maskRate == nil }.map(\.arm)
        let validation = arms.enumerated().map { i, a in
            PlotLine(name: a, color: colors[i % colors.count], points: meanCurve(a, .val), opacity: 1, markers: true)
        }
        let train = arms.enumerated().map { i, a in
            PlotLine(name: a, color: colors[i % colors.count], points: LossCurvePlot.smoothed(meanCurve(a, .train), factor: 0.9), opacity: 1, markers: false)
        }
        let xRange = LossCurvePlot.range(inRegime.flatMap { $0.1.map { Double($0.step) } }, pad: 0)
        var svg = header(width: width, height: height, title: "\(results.name), \(regime): loss by arm (mean over seeds)")
        svg += PlotPanel(frame: (x: 70, y: 50, width: width - 70 - 190, height: panelHeight), xRange: xRange,
                         yLabel: "validation cross-entropy", xLabel: nil, lines: validation).svg()
        svg += PlotPanel(frame: (x: 70, y: 50 + panelHeight + 40, width: width - 70 - 190, height: panelHeight), xRange: xRange,
                         yLabel: "training loss (objective, EMA 0.9)", xLabel: "step", lines: train).svg()
        return svg + "</svg>\n"
    }

    private static func header(width: Double, height: Double, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text class="title" x="\(Int(width / 2))" y="28" text-anchor="middle" font-size="16">\(LossCurvePlot.escape(title))</text>

        """
    }
}
