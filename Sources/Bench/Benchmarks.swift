import Foundation
import Core
import NN
import Models
import COpenBLAS

/// One measured benchmark: what `remask bench --json` prints, one object per row.
public struct BenchResult: Codable, Sendable {
    public var name: String
    /// Tokens per second (training and forward rows), or nil for GEMM rows.
    public var tokensPerSecond: Double?
    /// GFLOP/s (GEMM rows).
    public var gflops: Double?
    /// The same GEMM straight through OpenBLAS, for comparison (GEMM rows).
    public var blasGflops: Double?
    /// The kernels' measured peak on all threads (GEMM rows; nil where the own kernels do not run).
    public var peakGflops: Double?
    public var secondsMedian: Double
    public var peakRssBytes: Int
    public var detail: String

    enum CodingKeys: String, CodingKey {
        case name, detail
        case tokensPerSecond = "tokens_per_second"
        case gflops
        case blasGflops = "blas_gflops"
        case peakGflops = "peak_gflops"
        case secondsMedian = "seconds_median"
        case peakRssBytes = "peak_rss_bytes"
    }
}

/// Settings of a `remask bench` run.
public struct BenchSettings: Sendable {
    public var config: DecoderConfig
    public var batch: Int
    public var length: Int
    public var warmup: Int
    public var repetitions: Int
    public var seed: UInt64

    public init(config: DecoderConfig, batch: Int, length: Int, warmup: Int, repetitions: Int, seed: UInt64) {
        self.config = config; self.batch = batch; self.length = length
        self.warmup = warmup; self.repetitions = repetitions; self.seed = seed
    }

    var tokens: Int { batch * length }
}

/// The benchmarks behind `remask bench`.
public enum Benchmarks {
    /// Runs `body` warm-up + repetition times and returns the median seconds of the timed runs.
    static func medianSeconds(warmup: Int, repetitions: Int, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var times: [Double] = []
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// GEMM throughput for the products a transformer of this shape runs, through the `linear` op (forward
    /// and both backward products, in `Tensor.trainingPrecision`) next to the same Float32 calls straight into
    /// OpenBLAS (threading itself).
    public static func gemm(_ s: BenchSettings, peakGFLOPS: Double?, progress: (String) -> Void) -> [BenchResult] {
        let c = s.config, n = s.tokens
        let shapes: [(String, Int, Int)] = [
            ("qkv", c.hidden, (c.heads + 2 * c.kvHeads) * c.headDim),
            ("o_proj", c.heads * c.headDim, c.hidden),
            ("gate_up", c.hidden, 2 * c.intermediate),
            ("down", c.intermediate, c.hidden),
            ("lm_head", c.hidden, c.vocabSize),
        ]
        var rng = SeededRandom(seed: s.seed)
        var results: [BenchResult] = []
        for (name, inF, outF) in shapes {
            progress("gemm \(name)")
            PeakMemory.reset()
            let x = Tensor.randn([n, inF], std: 1, rng: &rng).trackingGradients()
            let w = Tensor.randn([outF, inF], std: 0.02, rng: &rng).trackingGradients()
            let flops = 2.0 * Double(n) * Double(inF) * Double(outF)
            let opTime = medianSeconds(warmup: s.warmup, repetitions: s.repetitions) {
                let y = x.linear(w)
                y.backward(seed: Tensor.full(y.shape, 1))
            }
            let out = Tensor(uninitialized: [n, outF]), gx = Tensor(uninitialized: [n, inF]), gw = Tensor(uninitialized: [outF, inF])
            // The reference: the same three products as plain cblas_sgemm calls, OpenBLAS threading itself.
            openblas_set_num_threads(Int32(Parallel.threads))
            let blasTime = medianSeconds(warmup: s.warmup, repetitions: s.repetitions) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(n), blasint(outF), blasint(inF), 1,
                            x.pointer, blasint(inF), w.pointer, blasint(inF), 0, out.pointer, blasint(outF))
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(inF), blasint(outF), 1,
                            out.pointer, blasint(outF), w.pointer, blasint(inF), 0, gx.pointer, blasint(inF))
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(outF), blasint(inF), blasint(n), 1,
                            out.pointer, blasint(outF), x.pointer, blasint(inF), 0, gw.pointer, blasint(inF))
            }
            openblas_set_num_threads(1)
            results.append(BenchResult(name: "gemm-\(name)", tokensPerSecond: nil, gflops: 3 * flops / opTime / 1e9,
                                       blasGflops: 3 * flops / blasTime / 1e9, peakGflops: peakGFLOPS, secondsMedian: opTime,
                                       peakRssBytes: PeakMemory.bytes(),
                                       detail: "[\(n)×\(inF)]·[\(inF)×\(outF)]ᵀ forward + 2 backward GEMMs"))
        }
        return results
    }

    /// Forward only (no graph), logits for batch × length tokens.
    public static func forward(_ s: BenchSettings, progress: (String) -> Void) -> BenchResult {
        progress("forward: building model")
        PeakMemory.reset()
        let model = CausalLM(config: s.config, seed: s.seed)
        let tokens = randomTokens(s)
        progress("forward: timing")
        let t = medianSeconds(warmup: s.warmup, repetitions: s.repetitions) {
            Autograd.withNoGrad { _ = model.logits(tokens, batch: s.batch, length: s.length) }
        }
        return BenchResult(name: "forward", tokensPerSecond: Double(s.tokens) / t, gflops: nil, blasGflops: nil,
                           secondsMedian: t, peakRssBytes: PeakMemory.bytes(),
                           detail: "\(s.batch)×\(s.length) tokens, no-grad forward")
    }

    /// One SFT training step: forward, cross-entropy, backward, AdamW update, zero gradients.
    public static func sft(_ s: BenchSettings, progress: (String) -> Void) -> BenchResult {
        progress("sft: building model")
        BufferPool.shared.trim()
        PeakMemory.reset()
        let model = CausalLM(config: s.config, seed: s.seed)
        let optimizer = AdamW(model.parameters, learningRate: 1e-4)
        let tokens = randomTokens(s)
        let labels = nextTokenLabels(tokens, s)
        progress("sft: timing")
        let t = medianSeconds(warmup: s.warmup, repetitions: s.repetitions) {
            let loss = model.loss(tokens, labels: labels, batch: s.batch, length: s.length)
            loss.backward()
            optimizer.update()
            model.parameters.zeroGrad()
        }
        return BenchResult(name: "sft", tokensPerSecond: Double(s.tokens) / t, gflops: nil, blasGflops: nil,
                           secondsMedian: t, peakRssBytes: PeakMemory.bytes(),
                           detail: "\(s.batch)×\(s.length) tokens, forward + backward + AdamW")
    }

    static func randomTokens(_ s: BenchSettings) -> [Int32] {
        var rng = SeededRandom(seed: s.seed &+ 1)
        return (0..<s.tokens).map { _ in Int32(rng.nextInt(below: s.config.vocabSize)) }
    }

    /// Each position predicts the next token of its row; the last position of a row has no target.
    static func nextTokenLabels(_ tokens: [Int32], _ s: BenchSettings) -> [Int32] {
        (0..<s.tokens).map { i in (i + 1) % s.length == 0 ? Tensor.ignoreIndex : tokens[i + 1] }
    }
}

extension Benchmarks {
    /// Prompt processing and greedy generation with KV caches: `batch` prompts of `promptLength` tokens
    /// prefilled together, then `newTokens` decode steps. Two rows: prefill-bN and generate-bN.
    /// Prefill and greedy decoding at `batch` sequences, on `model` (default: random weights of the geometry).
    public static func generation(_ s: BenchSettings, model given: (any InferenceModel)? = nil, batch: Int, promptLength: Int,
                                  newTokens: Int, progress: (String) -> Void) -> [BenchResult] {
        progress("generate b\(batch): building model")
        PeakMemory.reset()
        let model = given ?? CausalLM(config: s.config, seed: s.seed)
        var rng = SeededRandom(seed: s.seed &+ 2)
        let prompts = (0..<batch).map { _ in (0..<promptLength).map { _ in Int32(rng.nextInt(below: model.config.vocabSize)) } }
        var prefill: [Double] = [], decode: [Double] = []
        progress("generate b\(batch): timing")
        for rep in 0..<(s.warmup + s.repetitions) {
            let caches = prompts.map { _ in model.makeCache(capacity: promptLength + newTokens) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            var logits = model.extend(prompts, caches: caches)
            let t1 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<newTokens {
                let v = model.config.vocabSize
                let next = (0..<batch).map { row in [Int32(argmax(logits.pointer + row * v, v))] }
                logits = model.extend(next, caches: caches)
            }
            let t2 = DispatchTime.now().uptimeNanoseconds
            if rep >= s.warmup {
                prefill.append(Double(t1 - t0) / 1e9)
                decode.append(Double(t2 - t1) / 1e9)
            }
        }
        let p = prefill.sorted()[prefill.count / 2], d = decode.sorted()[decode.count / 2]
        let peak = PeakMemory.bytes()
        return [
            BenchResult(name: "prefill-b\(batch)", tokensPerSecond: Double(batch * promptLength) / p, gflops: nil, blasGflops: nil,
                        secondsMedian: p, peakRssBytes: peak, detail: "\(batch) prompts × \(promptLength) tokens"),
            BenchResult(name: "generate-b\(batch)", tokensPerSecond: Double(batch * newTokens) / d, gflops: nil, blasGflops: nil,
                        secondsMedian: d, peakRssBytes: peak, detail: "\(batch) sequences × \(newTokens) greedy tokens, KV cache"),
        ]
    }
}
