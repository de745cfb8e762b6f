import Core
import NN
import Models

/// A tiny Llama-style decoder trained from scratch on a small character corpus: the engine's end-to-end
/// smoke test (used by `remask demo` and the test suite).
public enum TinyDemo {
    public static let corpus = Array("the quick brown fox jumps over the lazy dog. a stitch in time saves nine. ".utf8)
    public static let alphabet = Array(Set(corpus)).sorted()

    public static let config = DecoderConfig.llama(vocabSize: alphabet.count, hidden: 32, layers: 2, heads: 4, kvHeads: 2,
                                                   intermediate: 64)

    public struct Run {
        public let model: CausalLM
        public var losses: [Float] = []
    }

    public static func encode(_ text: String) -> [Int32] {
        text.utf8.compactMap { b in alphabet.firstIndex(of: b).map(Int32.init) }
    }

    public static func decode(_ ids: [Int32]) -> String {
        String(decoding: ids.map { alphabet[Int($0)] }, as: UTF8.self)
    }

    /// Trains for `steps` AdamW steps on random windows of the corpus, calling `onStep(step, loss)`.
    public static func train(steps: Int, seed: UInt64, onStep: (Int, Float) -> Void = { _, _ in }) -> Run {
        let ids = encode(String(decoding: corpus, as: UTF8.self))
        var run = Run(model: CausalLM(config: config, seed: seed))
        let optimizer = AdamW(run.model.parameters, learningRate: 1e-2, weightDecay: 0)
        var rng = SeededRandom(seed: seed)
        let batch = 4, length = 24
        for step in 0..<steps {
            var tokens: [Int32] = [], labels: [Int32] = []
            for _ in 0..<batch {
                let start = rng.nextInt(below: ids.count - length - 1)
                tokens += ids[start..<start + length]
                labels += ids[start + 1...start + length]
            }
            let loss = run.model.loss(tokens, labels: labels, batch: batch, length: length)
            run.losses.append(loss.item)
            onStep(step, loss.item)
            loss.backward()
            run.model.parameters.clipGradNorm(1)
            optimizer.update()
            run.model.parameters.zeroGrad()
        }
        return run
    }

    /// Greedy continuation of `prompt` by `count` characters (recomputing the whole prefix each step).
    public static func complete(_ model: CausalLM, _ prompt: String, count: Int) -> String {
        var ids = encode(prompt)
        Autograd.withNoGrad {
            for _ in 0..<count {
                let logits = model.logits(ids, batch: 1, length: ids.count)
                let v = model.config.vocabSize
                ids.append(Int32(argmax(logits.pointer + (ids.count - 1) * v, v)))
            }
        }
        return decode(ids)
    }
}
