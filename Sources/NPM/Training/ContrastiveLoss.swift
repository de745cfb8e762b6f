import Foundation
import Core

/// The loss's two halves, each a mean over its queries.
public struct ContrastiveLossParts: Sendable, Equatable {
    public var start: Double, end: Double
    public var queries: Int
    public var total: Double { start + end }
}

/// NPM's in-batch contrastive loss. Each query (a `[MASK_s]` or `[MASK_e]` output) scores every candidate
/// token of the other blocks by a scaled inner product, `q·c/√d`; with P the candidates of the query's phrase
/// occurrences and A all candidates outside the query's own block,
/// `L = −logsumexp_{c∈P} s(q,c) + logsumexp_{c∈A} s(q,c)`; the loss is the mean L of the start queries plus the
/// mean L of the end queries.
public enum ContrastiveLoss {
    /// The loss over the encoder's output `hidden` [2·B·length, d] for `batch`; nil when the batch has no query.
    public static func loss(hidden: Tensor, batch: ContrastiveBatch) -> (loss: Tensor, parts: ContrastiveLossParts)? {
        guard !batch.queryRows.isEmpty else { return nil }
        let d = hidden.shape[1]
        let queries = hidden.gatheringRows(batch.queryRows)
        let candidates = hidden.gatheringRows(batch.candidateRows)
        let scores = queries.matmul(candidates.transposed()) * (1 / Float(d).squareRoot())
        return loss(scores: scores, queryBlock: batch.queryBlock, candidateBlock: batch.candidateBlock,
                    positives: batch.positives, startQueries: batch.startQueries)
    }

    /// The loss over precomputed scores [queries, candidates] (a custom op: the gradient is computed with the
    /// loss, backward only scales it).
    public static func loss(scores: Tensor, queryBlock: [Int32], candidateBlock: [Int32], positives: [[Int32]],
                            startQueries: Int) -> (loss: Tensor, parts: ContrastiveLossParts) {
        let s = scores.contiguous()
        let nq = s.shape[0], n = s.shape[1]
        check(queryBlock.count == nq && positives.count == nq && candidateBlock.count == n && startQueries <= nq,
              "ContrastiveLoss: \(nq)×\(n) scores, \(queryBlock.count) query blocks, \(positives.count) positive lists, \(candidateBlock.count) candidate blocks")
        let endQueries = nq - startQueries
        let gradient = Tensor(uninitialized: [nq, n])
        var perQuery = [Double](repeating: 0, count: nq)
        perQuery.withUnsafeMutableBufferPointer { losses in
            Parallel.forChunks(nq) { rows in
                for q in rows {
                    let weight = q < startQueries ? 1 / Float(startQueries) : 1 / Float(endQueries)
                    losses[q] = Double(row(s.pointer + q * n, gradient.pointer + q * n, n, block: queryBlock[q],
                                           candidateBlock: candidateBlock, positives: positives[q], weight: weight))
                }
            }
        }
        let start = startQueries > 0 ? perQuery[..<startQueries].reduce(0, +) / Double(startQueries) : 0
        let end = endQueries > 0 ? perQuery[startQueries...].reduce(0, +) / Double(endQueries) : 0
        let out = Tensor(scalar: Float(start + end))
        let loss = Tensor.customOp("npmContrastiveLoss", output: out, inputs: [s]) { g in
            let scale = g.item
            s.addToGradient { gs, accumulate in
                for i in 0..<(nq * n) { gs.pointer[i] = (accumulate ? gs.pointer[i] : 0) + scale * gradient.pointer[i] }
            }
        }
        return (loss, ContrastiveLossParts(start: start, end: end, queries: nq))
    }

    /// One query's L; writes weight·dL/ds into `grad`.
    private static func row(_ scores: UnsafePointer<Float>, _ grad: UnsafeMutablePointer<Float>, _ n: Int, block: Int32,
                            candidateBlock: [Int32], positives: [Int32], weight: Float) -> Float {
        var maxAll = -Float.infinity, maxPositive = -Float.infinity
        for c in 0..<n where candidateBlock[c] != block { maxAll = max(maxAll, scores[c]) }
        for c in positives { maxPositive = max(maxPositive, scores[Int(c)]) }
        var sumAll = 0.0, sumPositive = 0.0
        for c in 0..<n where candidateBlock[c] != block { sumAll += Double(Foundation.exp(scores[c] - maxAll)) }
        for c in positives { sumPositive += Double(Foundation.exp(scores[Int(c)] - maxPositive)) }
        let lseAll = maxAll + Float(Foundation.log(sumAll)), lsePositive = maxPositive + Float(Foundation.log(sumPositive))
        for c in 0..<n {
            grad[c] = candidateBlock[c] != block ? weight * Foundation.exp(scores[c] - lseAll) : 0
        }
        for c in positives { grad[Int(c)] -= weight * Foundation.exp(scores[Int(c)] - lsePositive) }
        return lseAll - lsePositive
    }
}
