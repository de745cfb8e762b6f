import Core
import Foundation

/// A point of a plotted series: step and value.
public struct PlotPoint: Equatable, Sendable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// A named series of points.
public struct PlotSeries: Equatable, Sendable {
    public var name: String
    public var points: [PlotPoint]
    public init(_ name: String, _ points: [PlotPoint]) { self.name = name; self.points = points }
}

/// The loss curve of a run as a self-contained SVG (no scripts, fonts or external files).
///
/// The top panel shows the training loss twice — raw and faint, and smoothed by a debiased exponential
/// moving average (as TensorBoard does) — and the validation loss as points joined by a line. When there
/// are loss parts (`ce_full`, `ce_masked`, `divergence`), a second panel below shows them, smoothed the
/// same way. Non-finite values are left out.
public struct LossCurvePlot: Sendable {
    public var title: String
    public var train: [PlotPoint]
    public var validation: [PlotPoint]
    public var parts: [PlotSeries]
    /// The EMA factor of the smoothed lines, in [0, 1); 0 draws the raw values.
    public var smoothing: Double

    public init(title: String, train: [PlotPoint], validation: [PlotPoint] = [], parts: [PlotSeries] = [],
                smoothing: Double = 0.9) {
        check(smoothing >= 0 && smoothing < 1, "LossCurvePlot: smoothing must be in [0, 1), got \(smoothing)")
        self.title = title
        self.train = train.filter { $0.x.isFinite && $0.y.isFinite }
        self.validation = validation.filter { $0.x.isFinite && $0.y.isFinite }
        self.parts = parts.map { PlotSeries($0.name, $0.points.filter { $0.x.isFinite && $0.y.isFinite }) }.filter { !$0.points.isEmpty }
        self.smoothing = smoothing
    }

    /// The curves of a metrics log: training and validation loss, and the parts the training rows have.
    public init(title: String, rows: [MetricsRow], smoothing: Double = 0.9) {
        let trainRows = rows.filter { $0.split == .train }
        func series(_ value: (MetricsRow) -> Double?, of rows: [MetricsRow]) -> [PlotPoint] {
            rows.compactMap { row in value(row).map { PlotPoint(Double(row.step), $0) } }
        }
        self.init(title: title,
                  train: series(\.loss, of: trainRows),
                  validation: series(\.loss, of: rows.filter { $0.split == .val }),
                  parts: [PlotSeries("ce_full", series(\.ceFull, of: trainRows)),
                          PlotSeries("ce_masked", series(\.ceMasked, of: trainRows)),
                          PlotSeries("divergence", series(\.divergence, of: trainRows))],
                  smoothing: smoothing)
    }

    /// Writes the SVG atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(Data(svg().utf8), to: url)
    }

    /// The SVG document.
    public func svg() -> String {
        let width = 880.0, panelHeight = 360.0, partsHeight = parts.isEmpty ? 0 : 260.0
        let height = 50 + panelHeight + (parts.isEmpty ? 0 : 40 + partsHeight) + 50
        let allX = (train + validation + parts.flatMap(\.points)).map(\.x)
        let xRange = Self.range(allX, pad: 0)
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text class="title" x="\(Int(width / 2))" y="28" text-anchor="middle" font-size="16">\(Self.escape(title))</text>

        """
        let smoothedName = smoothing > 0 ? "train loss (EMA \(Self.label(smoothing)))" : "train loss"
        var lossLines = [PlotLine(name: "train loss (raw)", color: "#1f77b4", points: train, opacity: 0.3, markers: false)]
        if smoothing > 0 { lossLines.append(PlotLine(name: smoothedName, color: "#1f77b4", points: smoothed(train), opacity: 1, markers: false)) }
        lossLines.append(PlotLine(name: "validation loss", color: "#d62728", points: validation, opacity: 1, markers: true))
        svg += PlotPanel(frame: (x: 70, y: 50, width: width - 70 - 190, height: panelHeight), xRange: xRange,
                     yLabel: "loss", xLabel: parts.isEmpty ? "step" : nil, lines: lossLines).svg()
        if !parts.isEmpty {
            let colors = ["#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
            let lines = parts.enumerated().map { i, s in
                PlotLine(name: s.name, color: colors[i % colors.count], points: smoothed(s.points), opacity: 1, markers: false)
            }
            svg += PlotPanel(frame: (x: 70, y: 50 + panelHeight + 40, width: width - 70 - 190, height: partsHeight),
                         xRange: xRange, yLabel: "loss parts", xLabel: "step", lines: lines).svg()
        }
        return svg + "</svg>\n"
    }

    /// The debiased exponential moving average of `points`.
    func smoothed(_ points: [PlotPoint]) -> [PlotPoint] { Self.smoothed(points, factor: smoothing) }

    /// The debiased exponential moving average of `points` with EMA factor `smoothing`.
    package static func smoothed(_ points: [PlotPoint], factor smoothing: Double) -> [PlotPoint] {
        var average = 0.0, weight = 0.0
        return points.map { p in
            average = smoothing * average + (1 - smoothing) * p.y
            weight = smoothing * weight + (1 - smoothing)
            return PlotPoint(p.x, weight > 0 ? average / weight : p.y)
        }
    }

    /// The span of `values` widened by `pad` of it on each side; a single value gets a unit span.
    package static func range(_ values: [Double], pad: Double) -> ClosedRange<Double> {
        guard let lo = values.min(), let hi = values.max() else { return 0...1 }
        if hi - lo < 1e-12 * max(1, abs(hi)) { return (lo - max(1, abs(lo) * 0.1))...(hi + max(1, abs(hi) * 0.1)) }
        return (lo - pad * (hi - lo))...(hi + pad * (hi - lo))
    }

    /// Round tick values (1, 2 or 5 times a power of ten apart) inside `range`, computed as integers
    /// scaled by a power of ten so that they are the nearest doubles to the decimals they stand for.
    package static func ticks(_ range: ClosedRange<Double>, target: Int = 6) -> [Double] {
        let rough = (range.upperBound - range.lowerBound) / Double(max(target - 1, 1))
        let exponent = floor(log10(rough))
        let magnitude = pow(10, exponent)
        let multiple = [1.0, 2, 5, 10].first { $0 * magnitude >= rough * 0.999 }!
        func value(_ n: Double) -> Double { exponent >= 0 ? n * magnitude : n / pow(10, -exponent) }
        var ticks: [Double] = []
        var k = (range.lowerBound / (multiple * magnitude)).rounded(.up)
        while value(k * multiple) <= range.upperBound + multiple * magnitude * 1e-9 {
            ticks.append(value(k * multiple) + 0)  // + 0 turns -0 into 0
            k += 1
        }
        return ticks
    }

    /// A short number label (`%g`: `120`, `0.25`, `1e-05`).
    package static func label(_ x: Double) -> String { String(format: "%g", x) }

    package static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// A drawn series: a polyline, optionally with a marker at each point.
package struct PlotLine {
    let name: String
    let color: String
    let points: [PlotPoint]
    let opacity: Double
    let markers: Bool
    /// A vertical error bar (low, high) per point, or none.
    let errorBars: [(low: Double, high: Double)]

    package init(name: String, color: String, points: [PlotPoint], opacity: Double, markers: Bool,
                 errorBars: [(low: Double, high: Double)] = []) {
        self.name = name
        self.color = color
        self.points = points
        self.opacity = opacity
        self.markers = markers
        self.errorBars = errorBars
    }
}

/// One chart: frame, grid, tick labels, axis labels, lines and a legend to the right.
package struct PlotPanel {
    let frame: (x: Double, y: Double, width: Double, height: Double)
    let xRange: ClosedRange<Double>
    let yLabel: String
    let xLabel: String?
    let lines: [PlotLine]

    package init(frame: (x: Double, y: Double, width: Double, height: Double), xRange: ClosedRange<Double>, yLabel: String,
                 xLabel: String?, lines: [PlotLine]) {
        self.frame = frame
        self.xRange = xRange
        self.yLabel = yLabel
        self.xLabel = xLabel
        self.lines = lines
    }

    package func svg() -> String {
        let yRange = LossCurvePlot.range(lines.flatMap(\.points).map(\.y) + lines.flatMap { $0.errorBars.flatMap { [$0.low, $0.high] } }, pad: 0.05)
        func px(_ x: Double) -> Double { frame.x + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * frame.width }
        func py(_ y: Double) -> Double { frame.y + frame.height - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * frame.height }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        let bottom = frame.y + frame.height, right = frame.x + frame.width
        var out = "<g class=\"panel\" data-y-label=\"\(LossCurvePlot.escape(yLabel))\">\n"
        for t in LossCurvePlot.ticks(xRange) {
            out += "<line class=\"grid\" x1=\"\(f(px(t)))\" y1=\"\(f(frame.y))\" x2=\"\(f(px(t)))\" y2=\"\(f(bottom))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text class=\"tick\" x=\"\(f(px(t)))\" y=\"\(f(bottom + 16))\" text-anchor=\"middle\">\(LossCurvePlot.label(t))</text>\n"
        }
        for t in LossCurvePlot.ticks(yRange) {
            out += "<line class=\"grid\" x1=\"\(f(frame.x))\" y1=\"\(f(py(t)))\" x2=\"\(f(right))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            out += "<text class=\"tick\" x=\"\(f(frame.x - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(LossCurvePlot.label(t))</text>\n"
        }
        out += "<rect class=\"frame\" x=\"\(f(frame.x))\" y=\"\(f(frame.y))\" width=\"\(f(frame.width))\" height=\"\(f(frame.height))\" fill=\"none\" stroke=\"#888\"/>\n"
        out += "<text class=\"axis-label\" transform=\"translate(\(f(frame.x - 50)),\(f(frame.y + frame.height / 2))) rotate(-90)\" text-anchor=\"middle\">\(LossCurvePlot.escape(yLabel))</text>\n"
        if let xLabel {
            out += "<text class=\"axis-label\" x=\"\(f(frame.x + frame.width / 2))\" y=\"\(f(bottom + 36))\" text-anchor=\"middle\">\(LossCurvePlot.escape(xLabel))</text>\n"
        }
        var legendY = frame.y + 12
        for line in lines where !line.points.isEmpty {
            let name = LossCurvePlot.escape(line.name)
            let coordinates = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline class=\"series\" data-name=\"\(name)\" points=\"\(coordinates)\" fill=\"none\" stroke=\"\(line.color)\" stroke-opacity=\"\(line.opacity)\" stroke-width=\"1.5\"/>\n"
            for (p, bar) in zip(line.points, line.errorBars) {
                out += "<path class=\"error-bar\" data-name=\"\(name)\" d=\"M\(f(px(p.x))),\(f(py(bar.low)))V\(f(py(bar.high)))M\(f(px(p.x) - 4)),\(f(py(bar.low)))h8M\(f(px(p.x) - 4)),\(f(py(bar.high)))h8\" stroke=\"\(line.color)\" fill=\"none\"/>\n"
            }
            if line.markers {
                for p in line.points {
                    out += "<circle class=\"marker\" data-name=\"\(name)\" cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(line.color)\"/>\n"
                }
            }
            out += "<g class=\"legend\"><line x1=\"\(f(right + 12))\" y1=\"\(f(legendY - 4))\" x2=\"\(f(right + 32))\" y2=\"\(f(legendY - 4))\" stroke=\"\(line.color)\" stroke-opacity=\"\(line.opacity)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(f(right + 38))\" y=\"\(f(legendY))\">\(name)</text></g>\n"
            legendY += 18
        }
        return out + "</g>\n"
    }
}
