import Foundation
import ReMask

/// The study's SVG figures (self-contained, no scripts or fonts).
enum StudyPlots {
    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]

    /// Bars of mean test accuracy per objective — exact match and multiple-choice acc_norm side by side —
    /// with 95% confidence intervals as error bars and each seed's value as a dot.
    static func accuracy(_ results: StudyResults) -> String {
        let metrics: [(name: String, stats: (ObjectiveSummary) -> SeedStatistics?, value: (CellResult) -> Double?)] = [
            ("exact match (generative)", { $0.exactMatch }, { $0.exactMatch }),
            ("MC acc_norm (log-likelihood)", { $0.multipleChoiceAccNorm }, { $0.multipleChoiceAccNorm }),
        ]
        let width = 880.0, height = 440.0
        let frame = (x: 70.0, y: 50.0, width: width - 70 - 230, height: height - 50 - 70)
        let top = results.summaries.flatMap { s in metrics.compactMap { $0.stats(s)?.high } }.max() ?? 1
        let yRange = 0.0...min(1, max(0.05, top * 1.1))
        func py(_ y: Double) -> Double { frame.y + frame.height - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * frame.height }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        let bottom = frame.y + frame.height, right = frame.x + frame.width
        var svg = header(width: width, height: height, title: "\(results.name): test accuracy by objective (95% CI across seeds)")
        for t in LossCurvePlot.ticks(yRange) {
            svg += "<line class=\"grid\" x1=\"\(f(frame.x))\" y1=\"\(f(py(t)))\" x2=\"\(f(right))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text class=\"tick\" x=\"\(f(frame.x - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(LossCurvePlot.label(100 * t))</text>\n"
        }
        svg += "<text class=\"axis-label\" transform=\"translate(\(f(frame.x - 45)),\(f(frame.y + frame.height / 2))) rotate(-90)\" text-anchor=\"middle\">accuracy (%)</text>\n"
        let group = frame.width / Double(max(results.summaries.count, 1)), bar = group * 0.3
        for (g, summary) in results.summaries.enumerated() {
            let center = frame.x + group * (Double(g) + 0.5)
            svg += "<text class=\"category\" x=\"\(f(center))\" y=\"\(f(bottom + 18))\" text-anchor=\"middle\">\(LossCurvePlot.escape(summary.objective))</text>\n"
            for (m, metric) in metrics.enumerated() {
                guard let stats = metric.stats(summary) else { continue }
                let x = center + (Double(m) - Double(metrics.count) / 2) * bar * 1.1 + bar * 0.05
                let mid = x + bar / 2
                svg += "<rect class=\"bar\" data-objective=\"\(summary.objective)\" data-metric=\"\(m)\" x=\"\(f(x))\" y=\"\(f(py(stats.mean)))\" width=\"\(f(bar))\" height=\"\(f(bottom - py(stats.mean)))\" fill=\"\(colors[m])\" fill-opacity=\"0.75\"/>\n"
                let low = max(yRange.lowerBound, stats.low), high = min(yRange.upperBound, stats.high)
                svg += "<path class=\"error-bar\" d=\"M\(f(mid)),\(f(py(low)))V\(f(py(high)))M\(f(mid - 6)),\(f(py(low)))h12M\(f(mid - 6)),\(f(py(high)))h12\" stroke=\"black\" fill=\"none\"/>\n"
                let seedValues = results.cells.filter { $0.objective == summary.objective }.compactMap(metric.value)
                for (k, v) in seedValues.enumerated() {
                    let dx = (Double(k) - Double(seedValues.count - 1) / 2) * 5
                    svg += "<circle class=\"seed\" cx=\"\(f(mid + dx))\" cy=\"\(f(py(v)))\" r=\"2.5\" fill=\"black\" fill-opacity=\"0.6\"/>\n"
                }
            }
        }
        svg += "<rect class=\"frame\" x=\"\(f(frame.x))\" y=\"\(f(frame.y))\" width=\"\(f(frame.width))\" height=\"\(f(frame.height))\" fill=\"none\" stroke=\"#888\"/>\n"
        for (m, metric) in metrics.enumerated() {
            let y = frame.y + 12 + Double(m) * 18
            svg += "<g class=\"legend\"><rect x=\"\(f(right + 12))\" y=\"\(f(y - 10))\" width=\"14\" height=\"10\" fill=\"\(colors[m])\" fill-opacity=\"0.75\"/>"
            svg += "<text x=\"\(f(right + 32))\" y=\"\(f(y))\">\(LossCurvePlot.escape(metric.name))</text></g>\n"
        }
        svg += "<text x=\"\(f(right + 12))\" y=\"\(f(frame.y + 66))\">dots: single seeds</text>\n"
        return svg + "</svg>\n"
    }

    /// Loss against step for each objective, averaged over seeds: validation cross-entropy (top) and the
    /// objective's own training loss, smoothed (bottom).
    static func loss(_ results: StudyResults, curves: [(CellResult, [MetricsRow])]) -> String {
        let width = 880.0, panelHeight = 300.0
        let height = 50 + panelHeight + 40 + panelHeight + 50
        func meanCurve(_ objective: String, _ split: MetricsRow.Split) -> [PlotPoint] {
            var sums: [Int: (Double, Int)] = [:]
            for (cell, rows) in curves where cell.objective == objective {
                for row in rows where row.split == split {
                    guard let loss = row.loss, loss.isFinite else { continue }
                    let (s, n) = sums[row.step] ?? (0, 0)
                    sums[row.step] = (s + loss, n + 1)
                }
            }
            return sums.keys.sorted().map { PlotPoint(Double($0), sums[$0]!.0 / Double(sums[$0]!.1)) }
        }
        let objectives = results.summaries.map(\.objective)
        let validation = objectives.enumerated().map { i, o in
            PlotLine(name: o, color: colors[i % colors.count], points: meanCurve(o, .val), opacity: 1, markers: true)
        }
        let train = objectives.enumerated().map { i, o in
            PlotLine(name: o, color: colors[i % colors.count], points: LossCurvePlot.smoothed(meanCurve(o, .train), factor: 0.9), opacity: 1, markers: false)
        }
        let steps = curves.flatMap { $0.1.map { Double($0.step) } }
        let xRange = LossCurvePlot.range(steps, pad: 0)
        var svg = header(width: width, height: height, title: "\(results.name): loss by objective (mean over seeds)")
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
