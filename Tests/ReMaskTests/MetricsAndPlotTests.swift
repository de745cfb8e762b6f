import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Core
@testable import ReMask
import XCTest
import TestSupport

final class MetricsAndPlotTests: XCTestCase {
    private func row(_ step: Int, loss: Double, split: MetricsRow.Split = .train) -> MetricsRow {
        MetricsRow(split: split, step: step, epoch: 0, learningRate: split == .train ? 1e-5 : nil, loss: loss,
                   ceFull: split == .train ? loss + 0.5 : nil, ceMasked: split == .train ? loss + 1 : nil,
                   divergence: split == .train ? 0.25 : nil, tokens: split == .train ? 256 * step : nil)
    }

    func testRowsAreOneJSONObjectPerLine() throws {
        let r = MetricsRow(step: 12, epoch: 1, learningRate: 1e-5, loss: 2.5, ceFull: .nan, gradNorm: 0.75,
                           tokens: 3072, tokensPerSecond: 812.5, elapsedSeconds: 3.75)
        XCTAssertEqual(r.jsonLine, #"{"split":"train","step":12,"epoch":1,"lr":1e-05,"loss":2.5,"ce_full":null,"grad_norm":0.75,"tokens":3072,"tokens_per_s":812.5,"elapsed_s":3.75}"#)
        var expected = r
        expected.ceFull = nil  // JSON has no NaN
        XCTAssertEqual(try JSONDecoder().decode(MetricsRow.self, from: Data(r.jsonLine.utf8)), expected)
        XCTAssertEqual(MetricsRow(split: .val, step: 3, loss: 1.5).jsonLine, #"{"split":"val","step":3,"loss":1.5}"#)
    }

    func testResumeDropsRowsAfterTheCheckpointAndATornLine() throws {
        let url = try makeScratchFolder().appendingPathComponent("metrics.jsonl")
        var log: MetricsLog? = try MetricsLog(url: url)
        for step in 1...5 { try log!.append(row(step, loss: Double(step))) }
        try log!.append(row(4, loss: 0.5, split: .val))
        log = nil
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8).split(separator: "\n").count, 6)
        // A crash in the middle of a line.
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"split":"train","st"#.utf8))
        try handle.close()
        XCTAssertEqual(try MetricsLog.read(url).count, 6)

        log = try MetricsLog(url: url, resumingFrom: 4)
        try log!.append(row(5, loss: 9))
        log = nil
        let rows = try MetricsLog.read(url)
        XCTAssertEqual(rows.map(\.step), [1, 2, 3, 4, 4, 5])
        XCTAssertEqual(rows.map(\.split), [.train, .train, .train, .train, .val, .train])
        XCTAssertEqual(rows.last?.loss, 9)

        _ = try MetricsLog(url: url)  // a fresh run starts an empty log
        XCTAssertEqual(try MetricsLog.read(url), [])
    }

    func testACorruptLineInTheMiddleIsAnError() throws {
        let url = try makeScratchFolder().appendingPathComponent("metrics.jsonl")
        try Data("\(row(1, loss: 1).jsonLine)\nnot json\n\(row(2, loss: 1).jsonLine)\n".utf8).write(to: url)
        XCTAssertThrowsError(try MetricsLog(url: url, resumingFrom: 2)) {
            XCTAssertEqual("\($0)", "\(url.path): line 2 is not a metrics row: not json")
        }
    }

    /// Well-formedness and the elements of an SVG document.
    private final class SVGReader: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append((name, attributes))
        }

        static func read(_ svg: String) throws -> SVGReader {
            let parser = XMLParser(data: Data(svg.utf8)), reader = SVGReader()
            parser.delegate = reader
            let ok = parser.parse()
            XCTAssertTrue(ok && parser.parserError == nil, "not well-formed XML: \(String(describing: parser.parserError))")
            return reader
        }

        func series(_ name: String) -> [String] {
            elements.first { $0.name == "polyline" && $0.attributes["data-name"] == name }?.attributes["points"]?
                .split(separator: " ").map(String.init) ?? []
        }
    }

    func testPlotIsWellFormedSVGWithEveryPoint() throws {
        var rows = (1...40).map { row($0, loss: 3 / Double($0)) }
        rows[7].loss = .nan
        rows += [10, 20, 30].map { row($0, loss: 0.4, split: .val) }
        let plot = LossCurvePlot(title: "SmolLM2 <remask> & friends", rows: rows)
        let svg = try SVGReader.read(plot.svg())

        XCTAssertEqual(svg.elements.first?.name, "svg")
        XCTAssertEqual(svg.series("train loss (raw)").count, 39)
        XCTAssertEqual(svg.series("train loss (EMA 0.9)").count, 39)
        XCTAssertEqual(svg.series("validation loss").count, 3)
        XCTAssertEqual(svg.elements.filter { $0.name == "circle" }.count, 3)
        for part in ["ce_full", "ce_masked", "divergence"] { XCTAssertEqual(svg.series(part).count, 40, part) }
        XCTAssertEqual(svg.elements.filter { $0.attributes["class"] == "panel" }.count, 2)
        XCTAssertEqual(svg.elements.filter { $0.attributes["class"] == "legend" }.count, 6)
        XCTAssertTrue(plot.svg().contains("SmolLM2 &lt;remask&gt; &amp; friends"))

        let sftOnly = try SVGReader.read(LossCurvePlot(title: "SFT", rows: [1, 2, 3].map { MetricsRow(step: $0, loss: 1) }).svg())
        XCTAssertEqual(sftOnly.elements.filter { $0.attributes["class"] == "panel" }.count, 1)
        XCTAssertEqual(sftOnly.series("train loss (raw)").count, 3)

        let url = try makeScratchFolder().appendingPathComponent("loss.svg")
        try plot.write(to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), plot.svg())
    }

    func testSmoothingTicksAndProgressLine() {
        let plot = LossCurvePlot(title: "", train: [])
        XCTAssertEqual(plot.smoothed([PlotPoint(1, 2), PlotPoint(2, 2), PlotPoint(3, 2)]).map(\.y), [2, 2, 2])  // debiased
        XCTAssertEqual(plot.smoothed([PlotPoint(1, 0), PlotPoint(2, 1)]).map(\.y)[1], 1 / 1.9, accuracy: 1e-12)
        XCTAssertEqual(LossCurvePlot.ticks(0...1), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(LossCurvePlot.ticks(1...400), [100, 200, 300, 400])
        XCTAssertEqual(LossCurvePlot.ticks(-0.13...0.12), [-0.1, -0.05, 0, 0.05, 0.1])
        XCTAssertEqual(ProgressLine.text("train", done: 120, total: 400, status: "loss 2.3145 div 0.1000 | 812 tok/s", eta: 185),
                       "train ██████░░░░░░░░░░░░░░ 120/400 30% loss 2.3145 div 0.1000 | 812 tok/s | ETA 3:05")
        XCTAssertEqual(ProgressLine.clock(3725), "1:02:05")
        XCTAssertEqual(ProgressLine.text("eval", done: 0, total: 8, status: "", eta: nil), "eval ░░░░░░░░░░░░░░░░░░░░ 0/8 0% | ETA --:--")
    }
}
