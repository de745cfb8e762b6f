import Foundation
import Core
import NN

/// A BERT-family encoder: word, position and token-type embeddings summed and normalized, then blocks of
/// bidirectional self-attention and a GELU MLP, each followed by a residual sum and LayerNorm. Parameters carry
/// Hugging Face's names (`embeddings.word_embeddings.weight`, `encoder.layer.N.attention.self.query.weight`, …).
public final class EncoderModel: @unchecked Sendable {
    public let config: EncoderConfig
    public let parameters = ParameterStore()
    let wordEmbeddings, positionEmbeddings, typeEmbeddings: Embedding
    let embeddingNorm: LayerNorm
    let blocks: [EncoderBlock]
    /// BERT's masked-LM head, when the model was built with one.
    let maskedLMHead: MaskedLMHead?

    /// A model with the given geometry, with BERT's masked-LM head when `maskedLMHead`; parameters random from
    /// `seed`, or zero (to be loaded) without one.
    public init(config: EncoderConfig, seed: UInt64?, maskedLMHead: Bool = false) {
        self.config = config
        let d = config.hidden, p = parameters
        wordEmbeddings = Embedding(p, "embeddings.word_embeddings", vocab: config.vocabSize, dim: d)
        positionEmbeddings = Embedding(p, "embeddings.position_embeddings", vocab: config.maxPositions, dim: d)
        typeEmbeddings = Embedding(p, "embeddings.token_type_embeddings", vocab: config.typeVocabSize, dim: d)
        embeddingNorm = LayerNorm(p, "embeddings.LayerNorm", dim: d, eps: config.layerNormEps)
        blocks = (0..<config.layers).map { EncoderBlock(p, "encoder.layer.\($0)", config) }
        self.maskedLMHead = maskedLMHead ? MaskedLMHead(p, config) : nil
        p.allocate(seed: seed)
    }

    /// Whether the model has the masked-LM head (`maskedLMLogits`).
    public var hasMaskedLMHead: Bool { maskedLMHead != nil }

    /// The masked-LM head's logits over the vocabulary, [rows, vocab], for rows of `hiddenStates`' output.
    public func maskedLMLogits(_ hidden: Tensor) -> Tensor {
        guard let maskedLMHead else { fatalError("remask: EncoderModel built without a masked-LM head") }
        return maskedLMHead(hidden, wordEmbeddings: wordEmbeddings.weight.tensor)
    }

    /// The last layer's vectors, [batch·length, hidden], for `batch` rows of `length` token ids (`lengths[b]` real
    /// tokens at the start of row b, the rest padding), token type 0.
    public func hiddenStates(_ ids: [Int32], batch: Int, length: Int, lengths: [Int]) -> Tensor {
        check(ids.count == batch * length && lengths.count == batch && lengths.allSatisfy { $0 >= 1 && $0 <= length },
              "EncoderModel: \(ids.count) ids and lengths \(lengths) for \(batch) rows of \(length)")
        check(length <= config.maxPositions, "EncoderModel: rows of \(length) tokens exceed the \(config.maxPositions) positions the model has")
        let positions = (0..<batch * length).map { Int32($0 % length) }
        var x = wordEmbeddings(ids) + positionEmbeddings(positions) + typeEmbeddings([Int32](repeating: 0, count: ids.count))
        x = embeddingNorm(x)
        for block in blocks { x = block(x, batch: batch, length: length, lengths: lengths) }
        return x
    }
}

/// One encoder layer: attention, add and normalize; intermediate GELU, output, add and normalize.
struct EncoderBlock: Sendable {
    let attention: BidirectionalAttention
    let attentionNorm: LayerNorm
    let intermediate, output: Linear
    let outputNorm: LayerNorm

    init(_ p: ParameterStore, _ prefix: String, _ c: EncoderConfig) {
        attention = BidirectionalAttention(p, "\(prefix).attention", hidden: c.hidden, heads: c.heads)
        attentionNorm = LayerNorm(p, "\(prefix).attention.output.LayerNorm", dim: c.hidden, eps: c.layerNormEps)
        intermediate = Linear(p, "\(prefix).intermediate.dense", inFeatures: c.hidden, outFeatures: c.intermediate, bias: true)
        output = Linear(p, "\(prefix).output.dense", inFeatures: c.intermediate, outFeatures: c.hidden, bias: true)
        outputNorm = LayerNorm(p, "\(prefix).output.LayerNorm", dim: c.hidden, eps: c.layerNormEps)
    }

    func callAsFunction(_ x: Tensor, batch: Int, length: Int, lengths: [Int]) -> Tensor {
        let h = attentionNorm(x + attention(x, batch: batch, length: length, lengths: lengths))
        return outputNorm(h + output(intermediate(h).geluErf()))
    }
}

/// BERT's masked-LM head (`cls.predictions`): dense, GELU, LayerNorm, then the word embeddings (tied) and a bias.
struct MaskedLMHead: Sendable {
    static let prefix = "cls.predictions"
    let transform: Linear
    let norm: LayerNorm
    let bias: Parameter

    init(_ p: ParameterStore, _ c: EncoderConfig) {
        transform = Linear(p, "\(Self.prefix).transform.dense", inFeatures: c.hidden, outFeatures: c.hidden, bias: true)
        norm = LayerNorm(p, "\(Self.prefix).transform.LayerNorm", dim: c.hidden, eps: c.layerNormEps)
        bias = p.declare("\(Self.prefix).bias", [c.vocabSize], .zeros)
    }

    func callAsFunction(_ hidden: Tensor, wordEmbeddings: Tensor) -> Tensor {
        norm(transform(hidden).geluErf()).linear(wordEmbeddings, bias: bias.tensor)
    }
}
