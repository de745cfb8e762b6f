import Core

extension CausalLM {
    /// A copy with `count` more vocabulary rows: every weight copied, and the new rows of the embedding (and
    /// of the output projection when it is not tied) set to the mean of the existing rows.
    public func growingVocabulary(by count: Int) -> CausalLM {
        let v = config.vocabSize
        return resizingVocabulary(to: v + count, meanInitialized: v..<(v + count))
    }

    /// A copy whose vocabulary has `size` rows (at least the current number): every weight copied, and the
    /// embedding rows in `fresh` (and output rows, when untied) set to the mean of rows `0..<fresh.lowerBound`.
    /// `fresh` may start inside the current vocabulary, to reuse rows no token used (a model whose vocabulary
    /// is padded beyond its tokenizer's). Add tokens before attaching LoRA adapters: the copy has none.
    public func resizingVocabulary(to size: Int, meanInitialized fresh: Range<Int>) -> CausalLM {
        check(lora == nil, "CausalLM.resizingVocabulary: the model has LoRA adapters attached; add tokens before attaching them")
        check(size >= config.vocabSize, "CausalLM.resizingVocabulary: cannot shrink the vocabulary from \(config.vocabSize) to \(size)")
        check(fresh.lowerBound > 0 && fresh.upperBound <= size,
              "CausalLM.resizingVocabulary: rows \(fresh) are not new rows of a vocabulary of \(size) after at least one kept row")
        var grown = config
        grown.vocabSize = size
        let copy = CausalLM(config: grown)
        for p in parameters.parameters {
            // Vocabulary tables are [vocab, hidden], row-major: the old rows are a prefix of the new table.
            copy.parameters[p.name]!.tensor.pointer.update(from: p.tensor.pointer, count: p.count)
        }
        for name in Self.vocabularyTables {
            guard let table = copy.parameters[name] else { continue }
            Self.setRowsToMean(table.tensor.pointer, width: table.shape[1], fresh: fresh)
        }
        return copy
    }

    /// The parameters with one row per token: the embedding and, when untied, the output projection.
    static let vocabularyTables = ["model.embed_tokens.weight", "lm_head.weight"]

    /// Rows `fresh` of a row-major table become the mean of rows `0..<fresh.lowerBound`.
    private static func setRowsToMean(_ table: UnsafeMutablePointer<Float>, width: Int, fresh: Range<Int>) {
        var mean = [Double](repeating: 0, count: width)
        for r in 0..<fresh.lowerBound {
            let row = table + r * width
            for j in 0..<width { mean[j] += Double(row[j]) }
        }
        let rows = Double(fresh.lowerBound)
        for r in fresh {
            let row = table + r * width
            for j in 0..<width { row[j] = Float(mean[j] / rows) }
        }
    }
}
