import Core

/// Encoder self-attention (BERT): every token sees every real token of its own sequence, none of the padding.
/// `query`, `key`, `value`, `attention.output.dense` (with biases) under `<prefix>`. Built from batched products
/// and a softmax, every piece differentiable; encoders here are small, so no fused kernel.
public struct BidirectionalAttention: Sendable {
    public let query, key, value, output: Linear
    public let heads: Int, headDim: Int

    public init(_ store: ParameterStore, _ prefix: String, hidden: Int, heads: Int, std: Float = 0.02) {
        query = Linear(store, "\(prefix).self.query", inFeatures: hidden, outFeatures: hidden, bias: true, std: std)
        key = Linear(store, "\(prefix).self.key", inFeatures: hidden, outFeatures: hidden, bias: true, std: std)
        value = Linear(store, "\(prefix).self.value", inFeatures: hidden, outFeatures: hidden, bias: true, std: std)
        output = Linear(store, "\(prefix).output.dense", inFeatures: hidden, outFeatures: hidden, bias: true, std: std)
        self.heads = heads
        headDim = hidden / heads
    }

    /// x: [batch·length, hidden]; `lengths[b]` real tokens at the start of row b. Returns [batch·length, hidden]
    /// (padding rows attend to the real tokens too; their outputs are not meant to be read).
    public func callAsFunction(_ x: Tensor, batch: Int, length: Int, lengths: [Int]) -> Tensor {
        func heads(_ t: Tensor) -> Tensor {  // [B·L, H·d] → [B·H, L, d]
            t.reshaped([batch, length, self.heads, headDim]).transposed(1, 2).contiguous().reshaped([batch * self.heads, length, headDim])
        }
        let q = heads(query(x)), k = heads(key(x)), v = heads(value(x))
        let scores = q.matmul(k.transposed(1, 2)) * (1 / Float(headDim).squareRoot()) + Self.keyMask(batch: batch, heads: self.heads, length: length, lengths: lengths)
        let context = scores.softmax().matmul(v)  // [B·H, L, d]
        let merged = context.reshaped([batch, self.heads, length, headDim]).transposed(1, 2).contiguous().reshaped([batch * length, self.heads * headDim])
        return output(merged)
    }

    /// 0 where the key is a real token of the row, a large negative number where it is padding: [B·H, L, L].
    static func keyMask(batch: Int, heads: Int, length: Int, lengths: [Int]) -> Tensor {
        var mask = [Float](repeating: 0, count: batch * heads * length * length)
        for b in 0..<batch where lengths[b] < length {
            for h in 0..<heads {
                let base = (b * heads + h) * length * length
                for i in 0..<length { for j in lengths[b]..<length { mask[base + i * length + j] = -1e9 } }
            }
        }
        return Tensor(mask, shape: [batch * heads, length, length])
    }
}
