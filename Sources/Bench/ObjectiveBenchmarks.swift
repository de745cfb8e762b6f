import Core
import NN
import Models
import ReMask

extension Benchmarks {
    /// One training step of each objective on rows built like fine-tuning data: the first quarter of every row
    /// is prompt (no labels), the rest response; for masked-thought and remask, a Binomial(n, 0.4) count of
    /// response tokens per row is replaced by random ids. Forward, loss, backward, AdamW, zero gradients
    /// (AdamW, as in `bench/pytorch_step.py`). Rows: `objective-sft`, `objective-masked-thought`,
    /// `objective-remask`.
    public static func objectives(_ s: BenchSettings, progress: (String) -> Void) -> [BenchResult] {
        let input = trainingLikeInput(s, maskRate: 0.4)
        return Objective.allCases.map { objective in
            progress("\(objective.rawValue): building model")
            BufferPool.shared.trim()
            PeakMemory.reset()
            let model = CausalLM(config: s.config, seed: s.seed)
            let optimizer = AdamW(model.parameters, learningRate: 1e-4)
            progress("\(objective.rawValue): timing")
            let t = medianSeconds(warmup: s.warmup, repetitions: s.repetitions) {
                model.loss(objective, input).loss.backward()
                optimizer.update()
                model.parameters.zeroGrad()
            }
            let what = switch objective {
            case .sft: "1 pass"
            case .maskedThought: "1 pass on 40% masked responses"
            case .remask: "masked + full passes sharing the prefix, fused CE + KL"
            }
            return BenchResult(name: "objective-\(objective.rawValue)", tokensPerSecond: Double(s.tokens) / t, gflops: nil,
                               blasGflops: nil, secondsMedian: t, peakRssBytes: PeakMemory.bytes(),
                               detail: "\(s.batch)×\(s.length), prompt 1/4: \(what) + backward + AdamW")
        }
    }

    static func trainingLikeInput(_ s: BenchSettings, maskRate: Float) -> ObjectiveInput {
        let tokens = randomTokens(s)
        let prompt = s.length / 4
        var rng = SeededRandom(seed: s.seed &+ 3)
        var masked = tokens, labels = [Int32](repeating: Tensor.ignoreIndex, count: s.tokens)
        for r in 0..<s.batch {
            let base = r * s.length
            for i in prompt - 1..<s.length - 1 { labels[base + i] = tokens[base + i + 1] }
            let response = Array(prompt..<s.length)
            for i in rng.sample(rng.nextBinomial(response.count, probability: maskRate), from: response) {
                masked[base + i] = Int32(rng.nextInt(below: s.config.vocabSize))
            }
        }
        return ObjectiveInput(tokens: tokens, maskedTokens: masked, labels: labels, batch: s.batch, length: s.length)
    }
}
