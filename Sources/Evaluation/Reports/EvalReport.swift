import Foundation

/// A setting or measurement reported beside the metrics: text, a count, or a number printed to `decimals` places.
public enum EvalDetail: CustomStringConvertible, Sendable {
    case text(String)
    case count(Int)
    case number(Double, decimals: Int)

    public var description: String {
        switch self {
        case .text(let s): s
        case .count(let n): "\(n)"
        case .number(let x, let decimals): String(format: "%.\(decimals)f", x)
        }
    }

    var json: Any {
        switch self {
        case .text(let s): s
        case .count(let n): n
        case .number(let x, let decimals): x.isFinite ? (x * pow(10, Double(decimals))).rounded() / pow(10, Double(decimals)) : NSNull()
        }
    }
}

/// A finished evaluation: the metrics, the settings that produced them, and one log record per item.
public struct EvalReport {
    public var task: String
    public var n: Int
    /// Metric name → value, in the order they are reported (acc, acc_norm, strict_match, ...).
    public var metrics: [(name: String, value: Double)]
    /// Settings and measurements: model, shots, few-shot source, seconds, tokens per second...
    public var details: [(name: String, value: EvalDetail)]
    /// One JSON object per item (prompt, output or scores, extracted answer, correctness).
    public var items: [[String: Any]]

    public init(task: String, n: Int, metrics: [(name: String, value: Double)], details: [(name: String, value: EvalDetail)], items: [[String: Any]]) {
        self.task = task
        self.n = n
        self.metrics = metrics
        self.details = details
        self.items = items
    }

    /// The results object: `task`, `n`, each metric by name, and the details.
    public func json() -> Data {
        var object: [String: Any] = ["task": task, "n": n]
        for m in metrics { object[m.name] = m.value.isFinite ? m.value : NSNull() }
        var settings: [String: Any] = [:]
        for d in details { settings[d.name] = d.value.json }
        object["details"] = settings
        return Self.encode(object, pretty: true)
    }

    /// The per-item log, one JSON object per line.
    public func itemsJSONL() -> Data {
        var out = Data()
        for item in items {
            out.append(Self.encode(item, pretty: false))
            out.append(0x0A)
        }
        return out
    }

    /// A table for people: one line per metric, then the details.
    public func table() -> String {
        var lines = ["\(task) (n = \(n))"]
        let width = max(metrics.map(\.name.count).max() ?? 0, details.map(\.name.count).max() ?? 0)
        for m in metrics {
            let value = m.name == "perplexity" || m.name == "bits_per_byte" ? String(format: "%.4f", m.value) : String(format: "%.2f%%", 100 * m.value)
            lines.append("  " + m.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
        }
        for d in details { lines.append("  " + d.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + d.value.description) }
        return lines.joined(separator: "\n")
    }

    static func encode(_ object: Any, pretty: Bool) -> Data {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        // Only strings, numbers, booleans, arrays and objects are ever put in, so this cannot fail.
        return (try? JSONSerialization.data(withJSONObject: object, options: options)) ?? Data("{}".utf8)
    }
}
