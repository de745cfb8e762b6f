import Foundation
import Core

/// Log-probabilities of a token sequence under a model.
public enum Scoring {
    public struct Result: Sendable {
        /// log p(ids[i] | ids[..<i]); nil for the first token.
        public var logprobs: [Float?]
        /// The most likely tokens after the last one, best first.
        public var next: [(id: Int32, logprob: Float)]
    }

    public static func logprobs(_ model: any InferenceModel, _ ids: [Int32], top: Int) -> Result {
        let logits = model.extend([ids], caches: [model.makeCache(capacity: ids.count)], logits: .allRows)
        let v = model.config.vocabSize
        var lps: [Float?] = [nil]
        var lastRow: [Float] = []
        for i in 0..<ids.count {
            let row = UnsafeBufferPointer(start: logits.pointer + i * v, count: v)
            let lse = logSumExp(row)
            if i + 1 < ids.count { lps.append(row[Int(ids[i + 1])] - lse) } else { lastRow = row.map { $0 - lse } }
        }
        let best = lastRow.indices.sorted { lastRow[$0] > lastRow[$1] || (lastRow[$0] == lastRow[$1] && $0 < $1) }.prefix(top)
        return Result(logprobs: lps, next: best.map { (Int32($0), lastRow[$0]) })
    }

    /// log Σ exp(row), accumulated in Double.
    public static func logSumExp(_ row: UnsafeBufferPointer<Float>) -> Float {
        let m = row.max() ?? 0
        var s = 0.0
        for x in row { s += Foundation.exp(Double(x - m)) }
        return m + Float(Foundation.log(s))
    }
}
