import Core
import NN

/// A decoder for inference whose weight matrices stay as the GGUF file stores them (memory-mapped blocks:
/// Q4_0, Q4_1, Q5_0, Q8_0, Q4_K, Q6_K, F16, BF16, F32), multiplied by `QuantizedMatMul` without dequantizing.
/// It computes what `CausalLM` computes, with the activations rounded to 16-bit codes per block of 32 before
/// each product with quantized weights (llama.cpp rounds them to 8 bits). Norms and biases are Float32.
public final class QuantizedCausalLM: InferenceModel, @unchecked Sendable {
    public let config: DecoderConfig
    let embedding: QuantizedMatrix
    let layers: [Layer]
    let norm: NormWeights
    let output: QuantizedMatrix
    /// Each layer's attention geometry (rope base and window differ between Gemma 3's layers).
    private let attentionShapes: [AttentionShape]
    /// Quantized activations, reused by every call (calls are not concurrent: the engine is single-threaded).
    private let scratch = QuantizedScratch()
    /// The arithmetic of products with many rows (prompts, batches); decoding one row is not affected.
    public var precision = Precision.fp32

    /// A norm's multiplier as GGUF stores it (for Gemma that is already 1 + weight).
    struct NormWeights {
        let weight: Tensor
        let bias: Tensor?
        let layerNorm: Bool
        let eps: Float

        func callAsFunction(_ x: Tensor) -> Tensor {
            layerNorm ? x.layerNorm(weight: weight, bias: bias, eps: eps) : x.rmsNorm(weight: weight, eps: eps)
        }
    }

    struct Layer {
        let inputNorm: NormWeights
        /// Gemma: the norm of the attention output.
        let attentionOutputNorm: NormWeights?
        /// The norm before the MLP; nil with a parallel residual.
        let mlpNorm: NormWeights?
        /// Gemma: the norm of the MLP output.
        let mlpOutputNorm: NormWeights?
        let qkv: [QuantizedMatrix]
        let qkvBias: Tensor?
        /// StableLM's per-head q/k LayerNorm weights, [heads · headDim] and [kvHeads · headDim], or Qwen3's shared
        /// q/k RMSNorm weights, [headDim] each.
        let qNorm: Tensor?, kNorm: Tensor?
        let o: QuantizedMatrix
        let gateUp: [QuantizedMatrix]
        let down: QuantizedMatrix
    }

    init(config: DecoderConfig, embedding: QuantizedMatrix, layers: [Layer], norm: NormWeights,
         output: QuantizedMatrix) {
        self.config = config
        self.embedding = embedding
        self.layers = layers
        self.norm = norm
        self.output = output
        attentionShapes = (0..<config.layers).map { i in
            let rope = config.rope(layer: i)
            return AttentionShape(batch: 1, length: 1, heads: config.heads, kvHeads: config.kvHeads, headDim: config.headDim,
                                  rotaryDim: config.rotaryDim, ropeBase: rope.base, ropeScaling: rope.scaling, window: config.window(layer: i))
        }
    }

    /// The storage formats of the weight matrices, most common first.
    public var formats: [QuantFormat] {
        var counts: [QuantFormat: Int] = [:]
        for m in [embedding, output] + layers.flatMap({ $0.qkv + $0.gateUp + [$0.o, $0.down] }) { counts[m.format, default: 0] += 1 }
        return counts.keys.sorted { counts[$0]! > counts[$1]! || (counts[$0]! == counts[$1]! && $0.rawValue < $1.rawValue) }
    }

    /// Bytes of weights held (mapped or copied).
    public var weightBytes: Int {
        layers.reduce(embedding.byteCount + (output === embedding ? 0 : output.byteCount)) { sum, l in
            sum + (l.qkv + l.gateUp + [l.o, l.down]).reduce(0) { $0 + $1.byteCount }
        }
    }

    public func makeCache(capacity: Int) -> KVCache {
        KVCache(layers: config.layers, capacity: capacity, kvHeads: config.kvHeads, headDim: config.headDim)
    }

    public func extend(_ tokens: [[Int32]], caches: [KVCache], logits: ExtendLogits) -> Tensor {
        Autograd.withNoGrad {
            let x = hidden(extending: tokens, caches: caches)
            return linear(norm(logits == .allRows ? x : ExtendRows.lastRows(x, tokens)), [output])
        }
    }

    public func fill(_ tokens: [[Int32]], caches: [KVCache]) {
        Autograd.withNoGrad { _ = hidden(extending: tokens, caches: caches) }
    }

    /// x Wᵀ for the matrices `weights` side by side (one parallel region), plus `bias`.
    private func linear(_ x: Tensor, _ weights: [QuantizedMatrix], bias: Tensor? = nil) -> Tensor {
        let x = x.contiguous()
        let rows = x.shape[0], width = weights.reduce(0) { $0 + $1.rows }
        let out = Tensor(uninitialized: [rows, width])
        QuantizedMatMul.multiply(x.pointer, count: rows, columns: x.shape[1], xStride: x.shape[1], by: weights,
                                 into: out.pointer, outStride: width, scratch: scratch, precision: precision)
        if let bias {
            for r in 0..<rows { vectorAdd(out.pointer + r * width, bias.pointer, width) }
        }
        return out
    }

    /// Embedding rows, scaled where the model does so.
    private func embed(_ ids: [Int32]) -> Tensor {
        let out = Tensor(uninitialized: [ids.count, config.hidden])
        for (i, id) in ids.enumerated() {
            check(id >= 0 && Int(id) < config.vocabSize, "QuantizedCausalLM: token id \(id) outside the vocabulary of \(config.vocabSize)")
            Dequantizer.run(GGMLType(embedding.format), from: UnsafeRawBufferPointer(start: embedding.row(Int(id)), count: embedding.rowBytes),
                            into: out.pointer + i * config.hidden, count: config.hidden)
        }
        if let scale = config.embeddingScale { for i in 0..<out.count { out.pointer[i] *= scale } }
        return out
    }

    /// The final hidden states (before the output norm) of the new tokens, after writing them into the caches.
    private func hidden(extending tokens: [[Int32]], caches: [KVCache]) -> Tensor {
        let segments = ExtendRows.segments(tokens, caches, caller: "QuantizedCausalLM.extend")
        var x = embed(tokens.flatMap { $0 })
        for (index, layer) in layers.enumerated() {
            let h = layer.inputNorm(x), shape = attentionShapes[index]
            var qkv = linear(h, layer.qkv, bias: layer.qkvBias)
            if let qNorm = layer.qNorm, let kNorm = layer.kNorm, let kind = config.queryKeyNorm {
                qkv = qkv.normalizingQueryKeyHeads(shape, kind, qWeight: qNorm, kWeight: kNorm, eps: config.normEps)
            }
            var a = linear(qkv.cachedSelfAttention(shape, segments: segments, layer: index, precision: precision), [layer.o])
            if let norm = layer.attentionOutputNorm { a = norm(a) }
            guard let mlpNorm = layer.mlpNorm else {
                x = x + a + mlp(h, layer)
                continue
            }
            x = x + a
            var m = mlp(mlpNorm(x), layer)
            if let norm = layer.mlpOutputNorm { m = norm(m) }
            x = x + m
        }
        for (t, c) in zip(tokens, caches) { c.advance(by: t.count) }
        return x
    }
}

extension QuantizedCausalLM {
    /// The gated MLP of `layer` on normalized input `h`.
    private func mlp(_ h: Tensor, _ layer: Layer) -> Tensor {
        linear(linear(h, layer.gateUp).gatedUnit(config.activation), [layer.down])
    }
}

@inline(__always)
private func vectorAdd(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    for i in 0..<n { y[i] += x[i] }
}
