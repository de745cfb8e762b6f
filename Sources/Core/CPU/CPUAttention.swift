import Foundation

/// Fused causal self-attention with grouped-query heads and rotary position embeddings, over a packed
/// [batch·length, (heads + 2·kvHeads)·headDim] QKV matrix (queries, keys, values). Positions restart at 0 in
/// every sequence. Scores and products go through OpenBLAS with strided leading dimensions, so heads are
/// addressed in place without transposes.
extension CPUBackend {
    public func attention(_ qkv: Tensor, _ s: AttentionShape, into out: Tensor, saved: AttentionSaved) {
        let w = s.qkvWidth, t = s.length, hd = s.headDim
        let src = qkv.pointer, qr = saved.qkvRotated.pointer
        qr.update(from: src, count: qkv.count)
        let rope = RopeTable(s)
        rope.apply(qr, rows: s.batch * t, length: t, rowStride: w, headDim: hd, heads: s.heads + s.kvHeads, inverse: false,
                   positions: s.layout?.positions)
        let scale = 1 / Float(hd).squareRoot()
        let group = s.heads / s.kvHeads
        let probs = saved.probs.pointer, o0 = out.pointer
        // Work units are (sequence, key/value head): whole heads per thread, BLAS on the calling thread.
        Parallel.forChunks(s.batch * s.kvHeads) { units in
            for unit in units {
                let b = unit / s.kvHeads, kvh = unit % s.kvHeads
                let k = qr + b * t * w + (s.heads + kvh) * hd
                let v = qr + b * t * w + (s.heads + s.kvHeads + kvh) * hd
                for h in kvh * group..<(kvh + 1) * group {
                    let q = qr + b * t * w + h * hd
                    let p = probs + (b * s.heads + h) * t * t
                    let o = o0 + b * t * s.outWidth + h * hd
                    // Row blocks see only keys up to their last row: the upper triangle is never computed, nor
                    // the columns no row of the block sees (`KeyColumns`).
                    for i0 in stride(from: 0, to: t, by: causalBlock) {
                        let rows = min(causalBlock, t - i0), seen = i0 + rows
                        let columns = KeyColumns(s.layout, rows: i0..<seen, firstToken: b * t)
                        columns.forEach { c, _ in
                            BLAS.gemm(transB: true, m: rows, n: c.count, k: hd, alpha: scale, a: q + i0 * w, lda: w,
                                      b: k + c.lowerBound * w, ldb: w, c: p + i0 * t + c.lowerBound, ldc: t, parallel: false, precision: saved.precision)
                        }
                        if let layout = s.layout {
                            maskedSoftmaxRows(p, i0..<seen, t, layout: layout, firstToken: b * t, s)
                        } else {
                            causalSoftmaxRows(p, i0..<seen, t, s)
                        }
                        columns.forEach { c, first in
                            BLAS.gemm(m: rows, n: hd, k: c.count, a: p + i0 * t + c.lowerBound, lda: t, b: v + c.lowerBound * w,
                                      ldb: w, beta: first ? 0 : 1, c: o + i0 * s.outWidth, ldc: s.outWidth, parallel: false, precision: saved.precision)
                        }
                    }
                }
            }
        }
    }

    public func attentionBackward(_ gradOut: Tensor, _ s: AttentionShape, saved: AttentionSaved,
                                  into gradQKV: Tensor, accumulate: Bool) {
        let w = s.qkvWidth, t = s.length, hd = s.headDim
        let qr = saved.qkvRotated.pointer
        let dqkvBuffer = Storage(zeroedCount: gradQKV.count)
        let dqkv = dqkvBuffer.pointer
        let scale = 1 / Float(hd).squareRoot()
        let group = s.heads / s.kvHeads
        let probs = saved.probs.pointer, g0 = gradOut.pointer
        // Units (sequence, key/value head) own their dK/dV columns, so threads never write the same memory.
        Parallel.forChunks(s.batch * s.kvHeads) { units in
            let scratch = Storage(uninitializedCount: causalBlock * t)
            let db0 = scratch.pointer
            for unit in units {
                let b = unit / s.kvHeads, kvh = unit % s.kvHeads
                let base = b * t * w
                let kOff = base + (s.heads + kvh) * hd, vOff = base + (s.heads + s.kvHeads + kvh) * hd
                for h in kvh * group..<(kvh + 1) * group {
                    let qOff = base + h * hd
                    let p = probs + (b * s.heads + h) * t * t
                    let dO = g0 + b * t * s.outWidth + h * hd
                    for i0 in stride(from: 0, to: t, by: causalBlock) {
                        let rows = min(causalBlock, t - i0), seen = i0 + rows
                        let pb = p + i0 * t, dOb = dO + i0 * s.outWidth
                        let columns = KeyColumns(s.layout, rows: i0..<seen, firstToken: b * t)
                        // dP = dO Vᵀ; dV += Pᵀ dO (P is 0 on the skipped columns, so dP there only needs to be finite)
                        columns.forEach { c, _ in
                            BLAS.gemm(transB: true, m: rows, n: c.count, k: hd, a: dOb, lda: s.outWidth,
                                      b: qr + vOff + c.lowerBound * w, ldb: w, c: db0 + c.lowerBound, ldc: seen, parallel: false, precision: saved.precision)
                            BLAS.gemm(transA: true, m: c.count, n: hd, k: rows, a: pb + c.lowerBound, lda: t, b: dOb,
                                      ldb: s.outWidth, beta: 1, c: dqkv + vOff + c.lowerBound * w, ldc: w, parallel: false, precision: saved.precision)
                        }
                        columns.zeroSkipped(db0, rows: rows, rowStride: seen)
                        // dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale
                        softmaxGradRows(pb, db0, rows, firstRow: i0, width: seen, pStride: t, scale: scale)
                        // dQ = dS K; dK += dSᵀ Q
                        columns.forEach { c, first in
                            BLAS.gemm(m: rows, n: hd, k: c.count, a: db0 + c.lowerBound, lda: seen, b: qr + kOff + c.lowerBound * w,
                                      ldb: w, beta: first ? 0 : 1, c: dqkv + qOff + i0 * w, ldc: w, parallel: false, precision: saved.precision)
                            BLAS.gemm(transA: true, m: c.count, n: hd, k: rows, a: db0 + c.lowerBound, lda: seen,
                                      b: qr + qOff + i0 * w, ldb: w, beta: 1, c: dqkv + kOff + c.lowerBound * w, ldc: w,
                                      parallel: false, precision: saved.precision)
                        }
                    }
                }
            }
            withExtendedLifetime(scratch) {}
        }
        let rope = RopeTable(s)
        rope.apply(dqkv, rows: s.batch * t, length: t, rowStride: w, headDim: hd, heads: s.heads + s.kvHeads, inverse: true,
                   positions: s.layout?.positions)
        let n = gradQKV.count
        if accumulate { addInPlace(gradQKV.pointer, dqkv, n) } else { gradQKV.pointer.update(from: dqkv, count: n) }
        withExtendedLifetime(dqkvBuffer) {}
    }
}

extension CPUBackend {
    public func cachedAttention(_ qkv: Tensor, segments: [(rows: Range<Int>, cache: KVCache)], _ s: AttentionShape, layer: Int,
                                precision: Precision, into out: Tensor) {
        let hd = s.headDim, kvw = s.kvHeads * hd, qw = s.heads * hd
        let qBuffers = segments.map { Storage(uninitializedCount: $0.rows.count * qw) }
        for ((rows, cache), q) in zip(segments, qBuffers) {
            appendNewTokens(qkv, rows: rows, s, cache: cache, layer: layer, queries: q.pointer)
        }
        let blocks = segments.map { $0.cache.keyValueBlocks(layer: layer, newRows: $0.rows.count) }
        let scale = 1 / Float(hd).squareRoot()
        let group = s.heads / s.kvHeads
        // bf16: the products over a shared prefix (the first block) take its keys and values rounded once.
        let prefixes = segments.map { segment -> (keys: UnsafePointer<UInt16>, values: UnsafePointer<UInt16>, stride: Int)? in
            guard precision == .bf16, hd % 2 == 0, let part = segment.cache.shared.first, part.count >= 2 else { return nil }
            let values = part.owner.bfloat16Values(layer: layer, count: part.count)
            return (part.owner.bfloat16Keys(layer: layer, count: part.count), values.rows, values.stride)
        }
        // Each (segment, head) pair writes its own columns of its own rows, so the pairs run on all threads.
        Parallel.forEachChunk(segments.count * s.heads) { pair in
            let (rows, cache) = segments[pair / s.heads], h = pair % s.heads, g = h / group
            let n = rows.count, past = cache.position, total = past + n
            let q = UnsafePointer(qBuffers[pair / s.heads].pointer), prefix = prefixes[pair / s.heads]
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n * total)
            defer { p.deallocate() }
            var column = 0
            for (b, block) in blocks[pair / s.heads].enumerated() {
                if b == 0, let prefix {
                    let scaled = UnsafeMutablePointer<Float>.allocate(capacity: n * hd)
                    defer { scaled.deallocate() }
                    for i in 0..<n { (scaled + i * hd).update(from: q + i * qw + h * hd, count: hd) }
                    scaleInPlace(scaled, n * hd, scale)
                    BFloat16Kernels.withPanel(scaled, stride: hd, count: n, n: hd) { panel in
                        BFloat16Kernels.multiply(prefix.keys + g * hd, wStride: kvw, rows: block.count, n: hd, panel: panel, count: n,
                                                 into: p, outStride: total)
                    }
                } else {
                    BLAS.gemm(transB: true, m: n, n: block.count, k: hd, alpha: scale, a: q + h * hd, lda: qw,
                              b: block.keys + g * hd, ldb: kvw, c: p + column, ldc: total)
                }
                column += block.count
            }
            // Row i sees the past and the new tokens up to itself (the last `window` of them with a window).
            for i in 0..<n {
                let row = p + i * total, visible = past + i + 1, first = s.firstVisibleKey(position: past + i)
                let seen = row + first, count = visible - first
                let sum = expShifted(seen, seen, count, shift: maxOf(seen, count))
                scaleInPlace(seen, count, 1 / sum)
                row.update(repeating: 0, count: first)
                (row + visible).update(repeating: 0, count: total - visible)
            }
            let o = out.pointer + rows.lowerBound * s.outWidth + h * hd
            column = 0
            for (b, block) in blocks[pair / s.heads].enumerated() {
                if b == 0, let prefix {
                    // An even number of columns in bf16 pairs; an odd last one in Float32.
                    let even = block.count / 2 * 2
                    BFloat16Kernels.withPanel(p, stride: total, count: n, n: even) { panel in
                        BFloat16Kernels.multiply(prefix.values + g * hd * prefix.stride, wStride: prefix.stride, rows: hd, n: even,
                                                 panel: panel, count: n, into: o, outStride: s.outWidth)
                    }
                    if even < block.count {
                        for i in 0..<n { addScaled(o + i * s.outWidth, block.values + even * kvw + g * hd, p[i * total + even], hd) }
                    }
                } else {
                    BLAS.gemm(m: n, n: hd, k: block.count, a: p + column, lda: total, b: block.values + g * hd, ldb: kvw,
                              beta: column == 0 ? 0 : 1, c: o, ldc: s.outWidth)
                }
                column += block.count
            }
        }
        withExtendedLifetime((qBuffers, segments)) {}
    }
}

extension CPUBackend {
    public func cachedDecodeAttention(_ qkv: Tensor, segments: [(rows: Range<Int>, cache: KVCache)], _ s: AttentionShape, layer: Int,
                                      precision: Precision, into out: Tensor) {
        let hd = s.headDim, kvw = s.kvHeads * hd, qw = s.heads * hd
        // Rotated queries into a scratch buffer, segment after segment.
        let rowCount = segments.reduce(0) { $0 + $1.rows.count }
        let qBuffer = Storage(uninitializedCount: rowCount * qw)
        var firstQuery: [Int] = []
        var next = 0
        for (rows, cache) in segments {
            appendNewTokens(qkv, rows: rows, s, cache: cache, layer: layer, queries: qBuffer.pointer + next * qw)
            firstQuery.append(next)
            next += rows.count
        }
        // Sequences continuing the same cache (a few-shot prefix) share its first block: that block's scores and
        // output are GEMMs over all their query rows at once, so its keys and values are read once per key/value
        // head (the query heads that share one stacked in one product), not once per sequence. Every other block
        // is visited row by row.
        let scale = 1 / Float(hd).squareRoot(), group = s.heads / s.kvHeads
        var groups: [ObjectIdentifier: [Int]] = [:]
        for (i, segment) in segments.enumerated() {
            if let first = segment.cache.shared.first { groups[ObjectIdentifier(first.keys[layer]), default: []].append(i) }
        }
        // Per segment: its group, its first row within the group, and the columns the group GEMM covers.
        var groupOf = [Int](repeating: -1, count: segments.count), rowInGroup = [Int](repeating: 0, count: segments.count)
        var sharedBlock = [Int](repeating: 0, count: segments.count)
        // A group's rows: where each query is in the query buffer and where its output goes.
        var groupRows: [(part: KVCache.Part, rows: [Int], outRows: [Int], width: Int)] = []
        for members in groups.values.sorted(by: { $0[0] < $1[0] }) where members.count > 1 {
            let width = members.map { segments[$0].cache.shared[0].count }.min()!
            var rows: [Int] = [], outRows: [Int] = []
            for m in members {
                (groupOf[m], rowInGroup[m], sharedBlock[m]) = (groupRows.count, rows.count, width)
                rows += (0..<segments[m].rows.count).map { firstQuery[m] + $0 }
                outRows += segments[m].rows
            }
            groupRows.append((segments[members[0]].cache.shared[0], rows, outRows, width))
        }
        let bf16 = precision == .bf16 && hd % 2 == 0
        let roundedKeys = bf16 ? groupRows.map { $0.part.owner.bfloat16Keys(layer: layer, count: $0.width) } : []
        let roundedValues = bf16 ? groupRows.map { $0.part.owner.bfloat16Values(layer: layer, count: $0.width) } : []
        // Group score rows are `stride` apart: the width rounded up to even, for the bf16 panels (the pad is zero).
        let strides = groupRows.map { ($0.width + 1) / 2 * 2 }
        let q = UnsafePointer(qBuffer.pointer), o = out.pointer
        /// Row of query row `r` of a group (of `count` rows) for head h in its key/value head's scores.
        func stackedRow(_ h: Int, _ r: Int, of count: Int) -> Int { (h % group) * count + r }
        /// The query head and group row of stacked row `row` of key/value head `kv`'s scores.
        func unstacked(_ row: Int, kv: Int, of count: Int) -> (head: Int, row: Int) { (kv * group + row / count, row % count) }
        // Group scores: [group · rows, stride] per key/value head, written before the row loop reads them. The
        // products run as tasks of (group, key/value head, stacked rows) spread over the threads (OpenBLAS itself
        // runs single-threaded): one task per pair in fp32, tasks of 64 rows (the bf16 kernel's register block) in
        // bf16, so that three key/value heads keep two threads busy.
        let groupScores: [[Storage]] = groupRows.indices.map { gi in
            (0..<s.kvHeads).map { _ in Storage(uninitializedCount: group * groupRows[gi].rows.count * strides[gi]) }
        }
        var tasks: [(group: Int, kv: Int, rows: Range<Int>)] = []
        for (gi, g) in groupRows.enumerated() {
            let n = group * g.rows.count
            for kv in 0..<s.kvHeads {
                for start in stride(from: 0, to: n, by: bf16 ? 64 : n) { tasks.append((gi, kv, start..<min(n, start + (bf16 ? 64 : n)))) }
            }
        }
        Parallel.forEachChunk(tasks.count) { t in
            let (gi, kv, stacked) = tasks[t], g = groupRows[gi], n = stacked.count
            let gathered = Storage(uninitializedCount: n * hd)
            for (i, row) in stacked.enumerated() {
                let (h, r) = unstacked(row, kv: kv, of: g.rows.count)
                (gathered.pointer + i * hd).update(from: q + g.rows[r] * qw + h * hd, count: hd)
            }
            let scores = groupScores[gi][kv].pointer + stacked.lowerBound * strides[gi]
            if bf16 {
                scaleInPlace(gathered.pointer, n * hd, scale)
                BFloat16Kernels.withPanel(gathered.pointer, stride: hd, count: n, n: hd) { panel in
                    BFloat16Kernels.multiply(roundedKeys[gi] + kv * hd, wStride: kvw, rows: g.width, n: hd, panel: panel, count: n,
                                             into: scores, outStride: strides[gi])
                }
            } else {
                BLAS.gemm(transB: true, m: n, n: g.width, k: hd, alpha: scale, a: gathered.pointer, lda: hd,
                          b: g.part.keys[layer].pointer + kv * hd, ldb: kvw, c: scores, ldc: strides[gi])
            }
        }
        let blocks = segments.map { $0.cache.keyValueBlocks(layer: layer, newRows: $0.rows.count) }
        let longest = segments.map { $0.cache.position + $0.rows.count }.max() ?? 0
        // Pairs are claimed in pieces as threads free up (segments differ in length).
        let pairCount = segments.count * s.heads, pieces = min(pairCount, Parallel.threads * 8)
        Parallel.forEachChunk(pieces) { piece in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: longest)
            defer { scores.deallocate() }
            for pair in Parallel.chunkRange(piece, of: pieces, count: pairCount) {
                let sIndex = pair / s.heads, h = pair % s.heads, g = h / group
                let (rows, cache) = segments[sIndex]
                let skip = sharedBlock[sIndex]
                for i in 0..<rows.count {
                    let qi = q + (firstQuery[sIndex] + i) * qw + h * hd
                    let visible = cache.position + i + 1
                    // This row's scores over the group block, in the group product's output.
                    var groupRow: UnsafeMutablePointer<Float>?
                    if skip > 0 {
                        let gi = groupOf[sIndex]
                        groupRow = groupScores[gi][g].pointer + stackedRow(h, rowInGroup[sIndex] + i, of: groupRows[gi].rows.count) * strides[gi]
                        scores.update(from: groupRow!, count: skip)
                        if strides[gi] > skip { groupRow![skip] = 0 }
                    }
                    var column = 0
                    for block in blocks[sIndex] where column < visible {
                        let count = min(block.count, visible - column)
                        let from = column < skip ? min(skip - column, count) : 0  // columns the group GEMM filled
                        for j in from..<count { scores[column + j] = dot(qi, block.keys + j * kvw + g * hd, hd) * scale }
                        column += count
                    }
                    let first = s.firstVisibleKey(position: visible - 1), seen = scores + first, count = visible - first
                    let sum = expShifted(seen, seen, count, shift: maxOf(seen, count))
                    scaleInPlace(seen, count, 1 / sum)
                    scores.update(repeating: 0, count: first)
                    groupRow?.update(from: scores, count: skip)
                    let oi = o + (rows.lowerBound + i) * s.outWidth + h * hd
                    oi.update(repeating: 0, count: hd)
                    column = 0
                    for block in blocks[sIndex] where column < visible {
                        let count = min(block.count, visible - column)
                        let from = column < skip ? min(skip - column, count) : 0
                        for j in from..<count { addScaled(oi, block.values + j * kvw + g * hd, scores[column + j], hd) }
                        column += count
                    }
                }
            }
        }
        // The group block's share of each output: probabilities [group · rows, width] times its values [width, hd].
        // Tasks write disjoint parts of `out` (their heads' columns of their rows), so they run in parallel.
        Parallel.forEachChunk(tasks.count) { t in
            let (gi, kv, stacked) = tasks[t], g = groupRows[gi], n = stacked.count
            let partial = Storage(uninitializedCount: n * hd)
            let probabilities = groupScores[gi][kv].pointer + stacked.lowerBound * strides[gi], stride = strides[gi]
            if bf16 {
                BFloat16Kernels.withPanel(probabilities, stride: stride, count: n, n: stride) { panel in
                    BFloat16Kernels.multiply(roundedValues[gi].rows + kv * hd * roundedValues[gi].stride, wStride: roundedValues[gi].stride,
                                             rows: hd, n: stride, panel: panel, count: n, into: partial.pointer, outStride: hd)
                }
            } else {
                BLAS.gemm(m: n, n: hd, k: g.width, a: probabilities, lda: stride, b: g.part.values[layer].pointer + kv * hd,
                          ldb: kvw, c: partial.pointer)
            }
            for (i, row) in stacked.enumerated() {
                let (h, r) = unstacked(row, kv: kv, of: g.rows.count)
                addScaled(o + g.outRows[r] * s.outWidth + h * hd, partial.pointer + i * hd, 1, hd)
            }
        }
        withExtendedLifetime((qBuffer, segments)) {}
    }
}

extension CPUBackend {
    /// Writes a segment's new keys (rotated) and values into its cache after the tokens it holds, and its
    /// queries (rotated) to `queries`; rotation is at the tokens' absolute positions.
    fileprivate func appendNewTokens(_ qkv: Tensor, rows: Range<Int>, _ s: AttentionShape, cache: KVCache, layer: Int,
                                     queries q: UnsafeMutablePointer<Float>) {
        let w = s.qkvWidth, hd = s.headDim, n = rows.count, own = cache.length
        let kvw = s.kvHeads * hd, qw = s.heads * hd
        let kc = cache.keys[layer].pointer, vc = cache.values[layer].pointer
        for i in 0..<n {
            let src = qkv.pointer + (rows.lowerBound + i) * w
            (q + i * qw).update(from: src, count: qw)
            (kc + (own + i) * kvw).update(from: src + qw, count: kvw)
            (vc + (own + i) * kvw).update(from: src + qw + kvw, count: kvw)
        }
        let rope = RopeTable(start: cache.position, length: n, s)
        rope.apply(q, rows: n, length: n, rowStride: qw, headDim: hd, heads: s.heads, inverse: false)
        rope.apply(kc + own * kvw, rows: n, length: n, rowStride: kvw, headDim: hd, heads: s.kvHeads, inverse: false)
    }
}

/// y += a · x over n values.
@inline(__always)
private func addScaled(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ a: Float, _ n: Int) {
    let a8 = F8(repeating: a)
    var k = 0
    while k + 8 <= n { store8(load8(y + k) + a8 * load8(x + k), y + k); k += 8 }
    while k < n { y[k] += a * x[k]; k += 1 }
}

/// Rows `rows` of a t×t score matrix: row i becomes the softmax over columns 0...i (the last `s.window` of
/// them with a window), zeros elsewhere.
private func causalSoftmaxRows(_ p: UnsafeMutablePointer<Float>, _ rows: Range<Int>, _ t: Int, _ s: AttentionShape) {
    for i in rows {
        let row = p + i * t, first = s.firstVisibleKey(position: i), seen = row + first, count = i + 1 - first
        let s = expShifted(seen, seen, count, shift: maxOf(seen, count))
        scaleInPlace(seen, count, 1 / s)
        row.update(repeating: 0, count: first)
        (row + i + 1).update(repeating: 0, count: t - i - 1)
    }
}

/// Like `causalSoftmaxRows`, but row i of sequence `firstToken / t` sees only the columns its layout allows:
/// `0..<sharedPrefix` and `segmentStart...i`, and with a window only those within `window` positions of its
/// own (a shared prefix holds positions 0..<sharedPrefix; a segment's positions count up by one). Masked
/// columns get probability 0, so backward needs no layout.
private func maskedSoftmaxRows(_ p: UnsafeMutablePointer<Float>, _ rows: Range<Int>, _ t: Int, layout: SequenceLayout,
                               firstToken: Int, _ s: AttentionShape) {
    for i in rows {
        let row = p + i * t
        var shared = Int(layout.sharedPrefix[firstToken + i]), start = Int(layout.segmentStart[firstToken + i])
        var prefixStart = 0
        if s.window != nil {
            prefixStart = min(shared, s.firstVisibleKey(position: Int(layout.positions[firstToken + i])))
            start = max(start, s.firstVisibleKey(position: i))
            if prefixStart == shared { shared = 0; prefixStart = 0 }
        }
        let prefix = row + prefixStart, prefixCount = shared - prefixStart
        let own = row + start, ownCount = i + 1 - start
        let shift = prefixCount > 0 ? max(maxOf(prefix, prefixCount), maxOf(own, ownCount)) : maxOf(own, ownCount)
        let total = (prefixCount > 0 ? expShifted(prefix, prefix, prefixCount, shift: shift) : 0)
            + expShifted(own, own, ownCount, shift: shift)
        let inv = 1 / total
        if prefixCount > 0 { scaleInPlace(prefix, prefixCount, inv) }
        scaleInPlace(own, ownCount, inv)
        row.update(repeating: 0, count: prefixStart)
        (row + shared).update(repeating: 0, count: start - shared)
        (row + i + 1).update(repeating: 0, count: t - i - 1)
    }
}

/// dS = P ⊙ (dP − rowsum(dP ⊙ P)) · scale, written over dP (row stride `width`), for `rows` rows starting at
/// row `firstRow` of a causal probability matrix with row stride `pStride` (row i has i + 1 entries; dS is
/// zero after them).
private func softmaxGradRows(_ p: UnsafePointer<Float>, _ dp: UnsafeMutablePointer<Float>, _ rows: Int,
                             firstRow: Int, width: Int, pStride: Int, scale: Float) {
    for i in 0..<rows {
        let pr = p + i * pStride, dr = dp + i * width
        let n = firstRow + i + 1
        let s = F8(repeating: dot(pr, dr, n)), sc = F8(repeating: scale)
        var j = 0
        while j + 8 <= n { store8(load8(pr + j) * (load8(dr + j) - s) * sc, dr + j); j += 8 }
        while j < n { dr[j] = pr[j] * (dr[j] - s[0]) * scale; j += 1 }
        (dr + n).update(repeating: 0, count: width - n)
    }
}

/// Rows per block of the causal attention products.
private let causalBlock = 64

/// The key columns a block of query rows computes: `0..<seen` (one past the block's last row) less the
/// columns no row of the block sees. In ReMask's shared-prefix rows `[prefix | full | masked]` the masked
/// continuation's rows skip the full continuation's columns, about a third of the score matrix.
private struct KeyColumns {
    /// `0..<skipped.lowerBound` and `skipped.upperBound..<seen`; `skipped` is empty without a gap.
    let skipped: Range<Int>
    let seen: Int

    /// Row i sees `0..<sharedPrefix[i]` and `segmentStart[i]...i`, so every row of the block skips
    /// `max sharedPrefix ..< min segmentStart` when that range is not empty.
    init(_ layout: SequenceLayout?, rows: Range<Int>, firstToken: Int) {
        seen = rows.upperBound
        guard let layout else { skipped = seen..<seen; return }
        var from = 0, to = seen
        for i in rows {
            from = max(from, Int(layout.sharedPrefix[firstToken + i]))
            to = min(to, Int(layout.segmentStart[firstToken + i]))
        }
        skipped = from < to ? from..<to : seen..<seen
    }

    /// Calls `body` on each non-empty run of computed columns, with whether it is the first.
    @inline(__always)
    func forEach(_ body: (Range<Int>, Bool) -> Void) {
        if skipped.lowerBound > 0 { body(0..<skipped.lowerBound, true) }
        if skipped.upperBound < seen { body(skipped.upperBound..<seen, skipped.lowerBound == 0) }
    }

    /// Zeroes the skipped columns of `rows` rows of a matrix with row stride `rowStride`.
    func zeroSkipped(_ m: UnsafeMutablePointer<Float>, rows: Int, rowStride: Int) {
        guard !skipped.isEmpty else { return }
        for r in 0..<rows { (m + r * rowStride + skipped.lowerBound).update(repeating: 0, count: skipped.count) }
    }
}

/// Rotary embedding tables for a run of positions: pairs (i, i + rotaryDim/2) of each head rotate by
/// position · base^(−2i/rotaryDim), divided by the shape's RoPE scaling if any (the half-split layout of
/// Hugging Face models).
struct RopeTable {
    let half: Int
    let cos: [Float], sin: [Float]

    /// Tables for the positions a batch of `s` uses.
    init(_ s: AttentionShape) {
        let count = s.layout.map { Int($0.positions.max() ?? 0) + 1 } ?? s.length
        self.init(length: count, s)
    }

    /// Tables for positions start..<start+length.
    init(start: Int = 0, length: Int, _ shape: AttentionShape) {
        half = shape.rotaryDim / 2
        let frequencies = RopeScaling.frequencies(rotaryDim: shape.rotaryDim, base: shape.ropeBase, scaling: shape.ropeScaling)
        var c = [Float](repeating: 0, count: length * half), s = c
        for (i, invFreq) in frequencies.enumerated() {
            for p in 0..<length {
                let angle = Float(start + p) * invFreq
                c[p * half + i] = Foundation.cos(angle)
                s[p * half + i] = Foundation.sin(angle)
            }
        }
        cos = c; sin = s
    }

    /// Rotates the first `heads` heads of every row in place (by −angle when `inverse`, the transpose);
    /// row r takes table entry `positions[r]`, or r mod `length` without positions.
    func apply(_ x: UnsafeMutablePointer<Float>, rows: Int, length: Int, rowStride: Int, headDim: Int, heads: Int, inverse: Bool,
               positions: [Int32]? = nil) {
        guard half > 0 else { return }
        let half = self.half
        cos.withUnsafeBufferPointer { cb in
            sin.withUnsafeBufferPointer { sb in
                let cb = UncheckedSendable(cb), sb = UncheckedSendable(sb)
                Parallel.forChunks(rows, minChunk: 16) { r in
                    for row in r {
                        let pos = positions.map { Int($0[row]) } ?? row % length
                        let cr = cb.value.baseAddress! + pos * half, sr = sb.value.baseAddress! + pos * half
                        for h in 0..<heads {
                            let a = x + row * rowStride + h * headDim, bb = a + half
                            for i in 0..<half {
                                let s = inverse ? -sr[i] : sr[i]
                                let x0 = a[i], x1 = bb[i]
                                a[i] = x0 * cr[i] - x1 * s
                                bb[i] = x0 * s + x1 * cr[i]
                            }
                        }
                    }
                }
            }
        }
    }
}
