import Foundation
import Core

/// Refuses a model file's geometry before anything is allocated: sizes in config.json or GGUF metadata are
/// claims, and a hostile or broken file (a million layers in 3 MB) must not make remask allocate for them.
enum ModelSizeCheck {
    /// Throws unless the geometry's parameters fit the values the file's tensors hold and this machine's memory.
    static func check(_ config: DecoderConfig, tensorShapes: [[Int]], path: String) throws {
        guard let needed = config.checkedParameterCount else {
            throw FileError(path: path, "its sizes (vocab \(config.vocabSize), hidden \(config.hidden), layers \(config.layers), "
                                 + "intermediate \(config.intermediate)) describe more parameters than can be counted")
        }
        let held = tensorShapes.reduce(0) { total, shape in
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: max(0, d))
                return (p, acc.1 || o)
            }
            return overflow ? Int.max : total.addingReportingOverflow(count).overflow ? Int.max : total + count
        }
        // A margin, so that a file short of a tensor or two still gets the loader's exact message (missing tensor,
        // wrong shape) after this; a geometry orders of magnitude beyond the file stops here.
        guard needed / 2 <= held / 1 + (1 << 20) else {
            throw FileError(path: path, "its sizes (vocab \(config.vocabSize), hidden \(config.hidden), layers \(config.layers), "
                                 + "intermediate \(config.intermediate)) need \(needed) parameters, but its tensors hold only \(held) values")
        }
        let bytes = Double(needed) * Double(MemoryLayout<Float>.size)
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes < physical else {
            throw FileError(path: path, String(format: "the model needs %.1f GB as float32, this machine has %.1f GB", bytes / 1e9, physical / 1e9))
        }
    }
}

extension DecoderConfig {
    /// `parameterCount`, or nil when it overflows.
    var checkedParameterCount: Int? {
        func mul(_ xs: Int...) -> Int? {
            var r = 1
            for x in xs {
                let (p, o) = r.multipliedReportingOverflow(by: x)
                if o { return nil }
                r = p
            }
            return r
        }
        // No real model has a dimension past 2^31; below it the sums below cannot overflow.
        guard [vocabSize, hidden, layers, heads, kvHeads, headDim, intermediate].allSatisfy({ $0 <= 1 << 31 }) else { return nil }
        guard let qkvo = mul(hidden, heads + 2 * kvHeads + heads, headDim), let mlp = mul(3, hidden, intermediate),
              let embeddings = mul(vocabSize, hidden, tiedEmbeddings ? 1 : 2), let layerTotal = mul(layers, qkvo + mlp + 4 * hidden + 4 * headDim * (heads + kvHeads)),
              embeddings <= Int.max - layerTotal else { return nil }
        return parameterCount
    }
}
