import Foundation
import Core
import Models

/// Every token of a reference corpus with its encoder vector: NPM's datastore. A phrase is represented by the
/// vectors of its first and last tokens, so one vector per token serves both the start and the end search.
/// Search is exact: the scaled inner products with every vector, one GEMM over the whole index.
public final class PhraseIndex: @unchecked Sendable {
    /// [count, dim] token vectors, float32 in memory.
    public let vectors: Tensor
    public let tokenIDs: [Int32]
    public let startsWord: [Bool]
    /// The block of each token (a phrase never crosses blocks) and the document it came from.
    public let block: [Int32]
    public let document: [Int32]
    /// Each token's characters (Unicode scalars) in its document; empty for `[CLS]` and `[SEP]`.
    public let offsets: [Range<Int>]
    public let documents: [CorpusDocument]

    public var count: Int { tokenIDs.count }
    public var dim: Int { vectors.shape[1] }

    public init(vectors: Tensor, tokenIDs: [Int32], startsWord: [Bool], block: [Int32], document: [Int32],
                offsets: [Range<Int>], documents: [CorpusDocument]) {
        precondition(vectors.rank == 2 && vectors.shape[0] == tokenIDs.count && [startsWord.count, block.count, document.count, offsets.count].allSatisfy { $0 == tokenIDs.count },
                     "PhraseIndex: inconsistent sizes")
        self.vectors = vectors.contiguous()
        self.tokenIDs = tokenIDs; self.startsWord = startsWord; self.block = block; self.document = document
        self.offsets = offsets; self.documents = documents
    }

    /// Encodes `documents` in blocks of `blockLength` tokens with `model`.
    public static func build(model: NPMModel, documents: [CorpusDocument], blockLength: Int, batchSize: Int = 16,
                             progress: ((_ done: Int, _ total: Int) -> Void)? = nil) -> PhraseIndex {
        let blocks = CorpusBlock.blocks(of: documents, tokenizer: model.tokenizer, length: blockLength)
        let vectors = model.tokenVectors(blocks.map(\.block), batchSize: batchSize) { progress?($0, blocks.count) }
        var ids: [Int32] = [], starts: [Bool] = [], blockOf: [Int32] = [], documentOf: [Int32] = [], offsets: [Range<Int>] = []
        for (b, c) in blocks.enumerated() {
            ids += c.block.ids
            starts += c.block.startsWord
            blockOf += [Int32](repeating: Int32(b), count: c.block.ids.count)
            documentOf += [Int32](repeating: Int32(c.document), count: c.block.ids.count)
            offsets += c.offsets
        }
        return PhraseIndex(vectors: vectors, tokenIDs: ids, startsWord: starts, block: blockOf, document: documentOf,
                           offsets: offsets, documents: documents)
    }

    /// Whether tokens `i...j` are a phrase of whole words within one block (no `[CLS]`/`[SEP]`).
    public func isPhrase(_ i: Int, _ j: Int, specials: Set<Int32>) -> Bool {
        guard i <= j, i >= 0, j + 1 < count, block[i] == block[j], startsWord[i] else { return false }
        if specials.contains(tokenIDs[i]) || specials.contains(tokenIDs[j]) { return false }
        return startsWord[j + 1] || block[j + 1] != block[j] || specials.contains(tokenIDs[j + 1])
    }

    /// Scaled inner products of each query [q, dim] with every vector: [q, count].
    public func scores(_ queries: Tensor) -> Tensor {
        let q = queries.contiguous()
        precondition(q.rank == 2 && q.shape[1] == dim, "PhraseIndex.scores: queries \(q.shape) for vectors of \(dim)")
        let out = Tensor(uninitialized: [q.shape[0], count])
        BLAS.gemm(transB: true, m: q.shape[0], n: count, k: dim, alpha: 1 / Float(dim).squareRoot(),
                  a: q.pointer, b: vectors.pointer, c: out.pointer)
        return out
    }

    /// The text of tokens `i...j` in their document.
    public func text(_ i: Int, _ j: Int) -> String {
        let scalars = documents[Int(document[i])].text.unicodeScalars
        let from = scalars.index(scalars.startIndex, offsetBy: offsets[i].lowerBound)
        let to = scalars.index(scalars.startIndex, offsetBy: offsets[j].upperBound)
        return String(scalars[from..<to])
    }
}
