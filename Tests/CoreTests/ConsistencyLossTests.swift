import XCTest
@testable import Core

/// ReMask's fused loss against finite differences and a direct double-precision computation.
final class ConsistencyLossTests: XCTestCase {
    var rng = SeededRandom(seed: 77)

    /// Rows 0..<n are the masked pass, n..<2n the full pass; row 2n is shared by both passes; one row is unused.
    func randomCase(vocab: Int) -> (logits: Tensor, pairs: [ConsistencyPair]) {
        let n = dim(2...4, &rng)
        var pairs = (0..<n).map { i in
            ConsistencyPair(masked: Int32(i), full: Int32(n + i), label: Int32(rng.nextInt(below: vocab)))
        }
        pairs.append(ConsistencyPair(masked: Int32(2 * n), full: Int32(2 * n), label: Int32(rng.nextInt(below: vocab))))
        return (param([2 * n + 2, vocab], &rng, std: 2), pairs)
    }

    func testGradientOfEveryDivergenceMatchesFiniteDifferences() {
        for divergence in Divergence.allCases {
            for vocab in [5, 19, 37] {
                let (logits, pairs) = randomCase(vocab: vocab)
                let weight: Float = divergence == .mse ? 3 : 0.7
                GradCheck(atol: 1e-3).run([logits]) {
                    Tensor.consistencyLoss($0[0], pairs: pairs, weight: weight, divergence: divergence).loss
                }
            }
        }
    }

    func testPartsMatchADirectComputation() {
        for divergence in Divergence.allCases {
            let vocab = 29
            let (logits, pairs) = randomCase(vocab: vocab)
            let (loss, parts) = Tensor.consistencyLoss(logits, pairs: pairs, weight: 0.1, divergence: divergence)
            let x = logits.values
            func logProbs(_ row: Int32) -> [Double] {
                let r = x[Int(row) * vocab..<(Int(row) + 1) * vocab].map(Double.init)
                let m = r.max()!, lse = m + log(r.map { exp($0 - m) }.reduce(0, +))
                return r.map { $0 - lse }
            }
            var ceM = 0.0, ceF = 0.0, d = 0.0
            for p in pairs {
                let la = logProbs(p.masked), lb = logProbs(p.full)
                ceM -= la[Int(p.label)]; ceF -= lb[Int(p.label)]
                let kf = zip(la, lb).map { exp($0) * ($0 - $1) }.reduce(0, +)
                let kr = zip(la, lb).map { exp($1) * ($1 - $0) }.reduce(0, +)
                let sq = zip(la, lb).map { (exp($0) - exp($1)) * (exp($0) - exp($1)) }.reduce(0, +)
                switch divergence {
                case .klSymmetric: d += 0.5 * (kf + kr)
                case .klForward: d += kf
                case .klReverse: d += kr
                case .mse: d += sq / Double(vocab)
                }
            }
            let n = Double(pairs.count)
            XCTAssertEqual(parts.ceMasked, ceM / n, accuracy: 1e-5)
            XCTAssertEqual(parts.ceFull, ceF / n, accuracy: 1e-5)
            XCTAssertEqual(parts.divergence, d / n, accuracy: 1e-6)
            XCTAssertEqual(Double(loss.item), 0.5 * (ceM + ceF) / n + 0.1 * d / n, accuracy: 1e-5)
            XCTAssertEqual(parts.count, pairs.count)
        }
    }

    func testDivergenceIsNonNegativeAndZeroForIdenticalPasses() {
        for divergence in Divergence.allCases {
            for _ in 0..<20 {
                let (logits, pairs) = randomCase(vocab: dim(2...40, &rng))
                XCTAssertGreaterThanOrEqual(Tensor.consistencyLoss(logits, pairs: pairs, weight: 0.1, divergence: divergence).parts.divergence, 0)
            }
            // Same logits in both passes: D = 0 and the loss is the plain cross-entropy.
            let vocab = 23, rows = 6
            let half = Tensor.randn([rows, vocab], rng: &rng)
            let both = Tensor(half.values + half.values, shape: [2 * rows, vocab])
            let labels = (0..<rows).map { _ in Int32(rng.nextInt(below: vocab)) }
            let pairs = (0..<rows).map { ConsistencyPair(masked: Int32($0), full: Int32(rows + $0), label: labels[$0]) }
            let (loss, parts) = Tensor.consistencyLoss(both, pairs: pairs, weight: 0.1, divergence: divergence)
            XCTAssertEqual(parts.divergence, 0, accuracy: 1e-7)
            XCTAssertEqual(loss.item, half.crossEntropy(labels: labels).item, accuracy: 1e-5)
        }
    }

    /// A fixed teacher: the masked rows get the full gradient, the full rows only their cross-entropy's.
    func testDetachedFullPassGetsOnlyItsCrossEntropyGradient() {
        for divergence in Divergence.allCases {
            let vocab = 17
            let (logits, pairs) = randomCase(vocab: vocab)
            func gradient(detach: Bool, weight: Float) -> [Float] {
                logits.grad = nil
                Tensor.consistencyLoss(logits, pairs: pairs, weight: weight, divergence: divergence, detachFull: detach).loss.backward()
                return logits.grad!.values
            }
            let attached = gradient(detach: false, weight: 0.5), detached = gradient(detach: true, weight: 0.5)
            let ceOnly = gradient(detach: false, weight: 0)
            for p in pairs where p.masked != p.full {
                let m = Int(p.masked) * vocab..<(Int(p.masked) + 1) * vocab, f = Int(p.full) * vocab..<(Int(p.full) + 1) * vocab
                for i in m { XCTAssertEqual(detached[i], attached[i], accuracy: 1e-7) }
                for i in f { XCTAssertEqual(detached[i], ceOnly[i], accuracy: 1e-7) }
            }
        }
    }
}

/// Attention over packed rows and shared prefixes equals attention over the separate sequences.
final class SequenceLayoutAttentionTests: XCTestCase {
    var rng = SeededRandom(seed: 78)
    let heads = 4, kvHeads = 2, headDim = 8

    func shape(batch: Int, length: Int, layout: SequenceLayout? = nil) -> AttentionShape {
        AttentionShape(batch: batch, length: length, heads: heads, kvHeads: kvHeads, headDim: headDim, rotaryDim: 6, layout: layout)
    }

    /// Rows `range` of a [rows, width] tensor as an array.
    func rows(_ t: Tensor, _ range: Range<Int>) -> [Float] {
        let w = t.shape[1]
        return Array(t.values[range.lowerBound * w..<range.upperBound * w])
    }

    func testPackedRowMatchesSeparateSequences() {
        let lengths = [5, 3, 6], total = 16  // two padding tokens at the end
        let w = shape(batch: 1, length: 1).qkvWidth
        let packed = Tensor.randn([total, w], rng: &rng)
        let layout = SequenceLayout.packed([lengths], length: total)
        XCTAssertNil(layout.validationError(batch: 1, length: total))
        let out = packed.causalSelfAttention(shape(batch: 1, length: total, layout: layout))
        var start = 0
        for n in lengths {
            let alone = Tensor(rows(packed, start..<start + n), shape: [n, w]).causalSelfAttention(shape(batch: 1, length: n))
            XCTAssertEqual(rows(out, start..<start + n), alone.values, accuracy: 1e-5)
            start += n
        }
    }

    /// [prefix | continuation A | continuation B] where B sees the prefix and itself: B's rows equal running
    /// prefix + B as one sequence.
    func testSharedPrefixMatchesTheSecondSequenceAlone() {
        let prefix = 4, suffix = 5, total = prefix + 2 * suffix
        let w = shape(batch: 1, length: 1).qkvWidth
        let tree = Tensor.randn([total, w], rng: &rng)
        var layout = SequenceLayout.causal(batch: 1, length: total)
        for i in prefix + suffix..<total {
            layout.positions[i] = Int32(i - suffix)
            layout.segmentStart[i] = Int32(prefix + suffix)
            layout.sharedPrefix[i] = Int32(prefix)
        }
        let out = tree.causalSelfAttention(shape(batch: 1, length: total, layout: layout))
        let seqA = tree.values[0..<(prefix + suffix) * w]
        let seqB = tree.values[0..<prefix * w] + tree.values[(prefix + suffix) * w..<total * w]
        let a = Tensor(Array(seqA), shape: [prefix + suffix, w]).causalSelfAttention(shape(batch: 1, length: prefix + suffix))
        let b = Tensor(Array(seqB), shape: [prefix + suffix, w]).causalSelfAttention(shape(batch: 1, length: prefix + suffix))
        XCTAssertEqual(rows(out, 0..<prefix + suffix), a.values, accuracy: 1e-5)
        XCTAssertEqual(rows(out, prefix + suffix..<total), rows(b, prefix..<prefix + suffix), accuracy: 1e-5)
    }

    /// Rows longer than one 64-row attention block: whole blocks of the second continuation skip the first
    /// continuation's key columns. Outputs and input gradients equal those of the two sequences run alone
    /// (the prefix's gradient is the sum of both).
    func testLongSharedPrefixMatchesBothSequencesWithGradients() {
        let prefix = 70, suffix = 110, total = prefix + 2 * suffix
        let s1 = shape(batch: 1, length: 1), w = s1.qkvWidth, ow = s1.outWidth
        let tree = param([total, w], &rng)
        var layout = SequenceLayout.causal(batch: 1, length: total)
        for i in prefix + suffix..<total {
            layout.positions[i] = Int32(i - suffix)
            layout.segmentStart[i] = Int32(prefix + suffix)
            layout.sharedPrefix[i] = Int32(prefix)
        }
        let weights = Tensor.randn([total, ow], rng: &rng)
        let out = tree.causalSelfAttention(shape(batch: 1, length: total, layout: layout))
        out.backward(seed: weights)

        let n = prefix + suffix
        let a = Tensor(rows(tree, 0..<n), shape: [n, w]).trackingGradients()
        let b = Tensor(rows(tree, 0..<prefix) + rows(tree, n..<total), shape: [n, w]).trackingGradients()
        let outA = a.causalSelfAttention(shape(batch: 1, length: n)), outB = b.causalSelfAttention(shape(batch: 1, length: n))
        outA.backward(seed: Tensor(rows(weights, 0..<n), shape: [n, ow]))
        // B's prefix rows are the tree's prefix rows, already weighted through A.
        outB.backward(seed: Tensor([Float](repeating: 0, count: prefix * ow) + rows(weights, n..<total), shape: [n, ow]))
        XCTAssertEqual(rows(out, 0..<n), outA.values, accuracy: 1e-5)
        XCTAssertEqual(rows(out, n..<total), rows(outB, prefix..<n), accuracy: 1e-5)

        let g = tree.grad!, ga = a.grad!, gb = b.grad!
        XCTAssertEqual(rows(g, 0..<prefix), zip(rows(ga, 0..<prefix), rows(gb, 0..<prefix)).map { $0 + $1 }, accuracy: 1e-4)
        XCTAssertEqual(rows(g, prefix..<n), rows(ga, prefix..<n), accuracy: 1e-4)
        XCTAssertEqual(rows(g, n..<total), rows(gb, prefix..<n), accuracy: 1e-4)
    }

    /// Three packed examples in a row longer than one attention block: later blocks skip earlier examples.
    func testLongPackedRowGradientsMatchSeparateSequences() {
        let lengths = [90, 75, 60], total = 230
        let s1 = shape(batch: 1, length: 1), w = s1.qkvWidth, ow = s1.outWidth
        let packed = param([total, w], &rng)
        let weights = Tensor.randn([total, ow], rng: &rng)
        let layout = SequenceLayout.packed([lengths], length: total)
        let out = packed.causalSelfAttention(shape(batch: 1, length: total, layout: layout))
        out.backward(seed: weights)
        var start = 0
        for n in lengths {
            let alone = Tensor(rows(packed, start..<start + n), shape: [n, w]).trackingGradients()
            let y = alone.causalSelfAttention(shape(batch: 1, length: n))
            y.backward(seed: Tensor(rows(weights, start..<start + n), shape: [n, ow]))
            XCTAssertEqual(rows(out, start..<start + n), y.values, accuracy: 1e-5)
            XCTAssertEqual(rows(packed.grad!, start..<start + n), alone.grad!.values, accuracy: 1e-4)
            start += n
        }
    }

    func testGradientWithALayoutMatchesFiniteDifferences() {
        let batch = 2, length = 7
        var layout = SequenceLayout.packed([[3, 4], [2, 2]], length: length)
        layout.positions[length + 6] = 4; layout.segmentStart[length + 6] = 6; layout.sharedPrefix[length + 6] = 2
        XCTAssertNil(layout.validationError(batch: batch, length: length))
        let s = shape(batch: batch, length: length, layout: layout)
        GradCheck().run([param([batch * length, s.qkvWidth], &rng)]) { $0[0].causalSelfAttention(s) }
    }

    func testInconsistentLayoutsAreDescribed() {
        var layout = SequenceLayout.causal(batch: 1, length: 4)
        layout.segmentStart[2] = 3
        XCTAssertEqual(layout.validationError(batch: 1, length: 4), "token 2 starts its segment at 3, after itself (2)")
        layout = .causal(batch: 1, length: 4)
        layout.sharedPrefix[3] = 1
        XCTAssertNotNil(layout.validationError(batch: 1, length: 4))
        XCTAssertNotNil(SequenceLayout.causal(batch: 1, length: 4).validationError(batch: 2, length: 4))
    }
}
