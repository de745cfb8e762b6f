import Foundation

/// Plain-text table of benchmark results.
public enum BenchTable {
    public static func render(_ rows: [BenchResult]) -> String {
        let header = ["benchmark", "tokens/s", "GFLOP/s", "of peak", "OpenBLAS GFLOP/s", "op/BLAS", "median s", "peak RSS MiB"]
        let body = rows.map { r -> [String] in
            [r.name,
             r.tokensPerSecond.map { String(format: "%.1f", $0) } ?? "",
             r.gflops.map { String(format: "%.1f", $0) } ?? "",
             (r.gflops != nil && r.peakGflops != nil) ? String(format: "%.0f%%", 100 * r.gflops! / r.peakGflops!) : "",
             r.blasGflops.map { String(format: "%.1f", $0) } ?? "",
             (r.gflops != nil && r.blasGflops != nil) ? String(format: "%.0f%%", 100 * r.gflops! / r.blasGflops!) : "",
             String(format: "%.3f", r.secondsMedian),
             String(format: "%.0f", Double(r.peakRssBytes) / 1_048_576)]
        }
        let widths = header.indices.map { i in ([header] + body).map { $0[i].count }.max()! }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == 0 ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                                                    : String(repeating: " ", count: widths[i] - c.count) + c }
                .joined(separator: "  ")
        }
        return ([line(header), widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")] + body.map(line))
            .joined(separator: "\n")
    }
}
