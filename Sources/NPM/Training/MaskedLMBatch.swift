import Core
import Models

/// A batch for the masked-LM baseline: BERT's token masking over the text tokens of each block.
struct MaskedLMBatch {
    let length: Int
    let ids: [Int32]
    let lengths: [Int]
    /// Flat rows (b·length + position) of the chosen tokens, and their original ids.
    let positions: [Int32]
    let labels: [Int32]

    init(blocks: [EncodedBlock], probability: Double, tokenizer: WordPieceTokenizer, rng: inout SeededRandom) {
        let length = blocks.map(\.ids.count).max() ?? 0
        var ids: [Int32] = [], positions: [Int32] = [], labels: [Int32] = []
        let specials = Set([tokenizer.clsID, tokenizer.sepID, tokenizer.padID, tokenizer.maskID, tokenizer.unkID])
        for (b, block) in blocks.enumerated() {
            var row = block.ids
            for p in block.content where rng.nextBool(probability: Float(probability)) {
                positions.append(Int32(b * length + p))
                labels.append(block.ids[p])
                let roll = rng.nextFloat()
                if roll < 0.8 {
                    row[p] = tokenizer.maskID
                } else if roll < 0.9 {
                    var random: Int32
                    repeat { random = Int32(rng.nextInt(below: tokenizer.vocabSize)) } while specials.contains(random)
                    row[p] = random
                }
            }
            ids += row + [Int32](repeating: tokenizer.padID, count: length - row.count)
        }
        self.length = length
        self.ids = ids
        self.lengths = blocks.map(\.ids.count)
        self.positions = positions
        self.labels = labels
    }
}
