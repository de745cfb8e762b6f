import Foundation
import Core
import Models

extension Benchmarks {
    /// Byte-level BPE encoding speed with a real tokenizer: about 1 MB of mixed text (prose, code, numbers,
    /// accented and CJK words, seeded), and one 20,000-character word without spaces (the case that is slow
    /// when merges are applied naively).
    public static func tokenize(_ tokenizer: BPETokenizer, s: BenchSettings, progress: (String) -> Void) -> [BenchResult] {
        progress("tokenize: building text")
        var rng = SeededRandom(seed: s.seed)
        let words = ["the", "model", "learns", "from", "its", "own", "mistakes", "when", "masked", "tokens", "are", "hidden",
                     "café", "naïve", "über", "数学", "问题", "42", "3.14", "1,000", "x", "=", "(", ")", "{", "}", "return",
                     "func", "let", "var", "if", "else", "for", "in", "#", "//", "\"quoted\"", "it's", "we'll", "don't"]
        var text = ""
        while text.utf8.count < 1 << 20 {
            let n = 4 + rng.nextInt(below: 12)
            text += (0..<n).map { _ in words[rng.nextInt(below: words.count)] }.joined(separator: " ")
            text += rng.nextInt(below: 4) == 0 ? "\n\n" : ". "
        }
        let letters = Array("abcdefghijklmnopqrstuvwxyzé中")
        let word = String((0..<20_000).map { _ in letters[rng.nextInt(below: letters.count)] })
        var results: [BenchResult] = []
        for (name, input, detail) in [("tokenize", text, "\(text.utf8.count) bytes of mixed text"),
                                      ("tokenize-long-word", word, "one \(word.count)-character word without spaces")] {
            progress("\(name): timing")
            PeakMemory.reset()
            var count = 0
            let t = medianSeconds(warmup: s.warmup, repetitions: s.repetitions) { count = tokenizer.encode(input).count }
            results.append(BenchResult(name: name, tokensPerSecond: Double(count) / t, gflops: nil, blasGflops: nil, secondsMedian: t,
                                       peakRssBytes: PeakMemory.bytes(),
                                       detail: String(format: "%@: %d tokens, %.2f MB/s", detail, count, Double(input.utf8.count) / t / 1e6)))
        }
        return results
    }
}
