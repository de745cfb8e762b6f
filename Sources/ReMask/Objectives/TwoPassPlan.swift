import Core

/// How ReMask's masked and full passes run as one batch, and which output rows pair up in the loss.
struct TwoPassPlan {
    var tokens: [Int32]
    var batch: Int, length: Int
    var layout: SequenceLayout?
    /// Hidden-state rows that need logits, in order.
    var rows: [Int32]
    /// Per label-carrying position, indices into `rows`' logits for the masked and the full pass.
    var pairs: [ConsistencyPair]

    /// The masked rows, then the full rows: 2·batch rows with the input's layout repeated.
    static func stacked(_ input: ObjectiveInput) -> TwoPassPlan {
        let n = input.batch * input.length
        var rows: [Int32] = [], pairs: [ConsistencyPair] = []
        for i in 0..<n where input.labels[i] >= 0 {
            pairs.append(ConsistencyPair(masked: Int32(rows.count), full: Int32(rows.count + 1), label: input.labels[i]))
            rows.append(Int32(i)); rows.append(Int32(n + i))
        }
        let layout = input.layout.map {
            SequenceLayout(positions: $0.positions + $0.positions, segmentStart: $0.segmentStart + $0.segmentStart,
                           sharedPrefix: $0.sharedPrefix + $0.sharedPrefix)
        }
        return TwoPassPlan(tokens: input.maskedTokens + input.tokens, batch: 2 * input.batch, length: input.length,
                           layout: layout, rows: rows, pairs: pairs)
    }

    /// One row per example, `[tokens up to the last label | full continuation | masked continuation]`: the
    /// tokens before the first masked one are the same in both passes, so they run once, and the masked
    /// continuation attends to that shared prefix and to itself (positions continuing from the prefix).
    /// Positions before the first masked token have the same output in both passes and pair with themselves.
    static func sharingPrefix(_ input: ObjectiveInput) -> TwoPassPlan {
        let l = input.length
        // Per row: e = one past the last labelled position (later tokens influence no labelled output) and
        // f = the first masked position (e when none is before it).
        var ends = [Int](repeating: 0, count: input.batch), firsts = ends
        for r in 0..<input.batch {
            let base = r * l
            ends[r] = ((0..<l).last { input.labels[base + $0] >= 0 } ?? -1) + 1
            firsts[r] = (0..<ends[r]).first { input.maskedTokens[base + $0] != input.tokens[base + $0] } ?? ends[r]
        }
        let width = max(1, zip(ends, firsts).map { 2 * $0 - $1 }.max() ?? 1)
        var tokens = [Int32](repeating: 0, count: input.batch * width)
        var layout = SequenceLayout.causal(batch: input.batch, length: width)
        var fullRows: [Int32] = [], maskedRows: [Int32] = [], labels: [Int32] = [], shared: [Bool] = []
        for r in 0..<input.batch {
            let (e, f, src, dst) = (ends[r], firsts[r], r * l, r * width)
            let used = 2 * e - f
            for j in 0..<e { tokens[dst + j] = input.tokens[src + j] }
            for j in f..<e {
                let t = dst + e + (j - f)
                tokens[t] = input.maskedTokens[src + j]
                layout.positions[t] = Int32(j)
                layout.segmentStart[t] = Int32(e)
                layout.sharedPrefix[t] = Int32(f)
            }
            for t in used..<width {  // padding: a segment of its own
                layout.positions[dst + t] = Int32(t - used)
                layout.segmentStart[dst + t] = Int32(used)
            }
            for j in 0..<e where input.labels[src + j] >= 0 {
                fullRows.append(Int32(dst + j))
                maskedRows.append(j < f ? -1 : Int32(dst + e + (j - f)))
                labels.append(input.labels[src + j])
                shared.append(j < f)
            }
        }
        // Logit rows: every full-pass row, then the masked rows that differ from their full row.
        var rows = fullRows, pairs: [ConsistencyPair] = []
        pairs.reserveCapacity(labels.count)
        for k in labels.indices {
            var masked = Int32(k)
            if !shared[k] { masked = Int32(rows.count); rows.append(maskedRows[k]) }
            pairs.append(ConsistencyPair(masked: masked, full: Int32(k), label: labels[k]))
        }
        return TwoPassPlan(tokens: tokens, batch: input.batch, length: width, layout: layout, rows: rows, pairs: pairs)
    }
}
