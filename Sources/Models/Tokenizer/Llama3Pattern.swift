/// A scanner equivalent to Llama 3's pre-tokenizer regex
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
/// and to Qwen2's, the same with `\p{N}` (one digit per word) for `\p{N}{1,3}`.
enum Llama3Pattern {
    /// Appends the end of each word in `lo..<hi` (scalar indices) to `ends`; `hi` acts as the end of the text.
    /// `digits`: the most `\p{N}` scalars in one word (3 for Llama 3, 1 for Qwen2).
    static func split(_ t: ScalarText, _ lo: Int, _ hi: Int, digits: Int, into ends: inout [Int]) {
        let v = t.values, c = t.classes
        var i = lo
        while i < hi {
            let end = wordEnd(v, c, i, hi, digits: digits)
            ends.append(end)
            i = end
        }
    }

    private static func isNewline(_ x: UInt32) -> Bool { x == 0x0A || x == 0x0D }

    private static func wordEnd(_ v: [UInt32], _ c: [ScalarClass], _ i: Int, _ hi: Int, digits: Int) -> Int {
        if let end = GPT2Pattern.contractionEnd(v, i, hi, caseInsensitive: true) { return end }
        // `[^\r\n\p{L}\p{N}]?\p{L}+`: any one scalar but a newline, letter or digit may lead a letter run.
        if c[i] == .letter { return GPT2Pattern.runEnd(c, from: i, hi) }
        if c[i] != .number, !isNewline(v[i]), i + 1 < hi, c[i + 1] == .letter {
            return GPT2Pattern.runEnd(c, from: i + 1, hi)
        }
        // `\p{N}{1,3}` (`\p{N}` for Qwen2)
        if c[i] == .number {
            var j = i + 1
            while j < hi && j < i + digits && c[j] == .number { j += 1 }
            return j
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var j = i
        if v[i] == 0x20, i + 1 < hi, c[i + 1] == .other { j = i + 1 }
        if c[j] == .other {
            j = GPT2Pattern.runEnd(c, from: j, hi)
            while j < hi && isNewline(v[j]) { j += 1 }
            return j
        }
        // `\s*[\r\n]+`: the whitespace run up to and including its last newline.
        let end = GPT2Pattern.runEnd(c, from: i, hi)
        if let last = (i..<end).last(where: { isNewline(v[$0]) }) { return last + 1 }
        // `\s+(?!\S)|\s+`, as in GPT-2.
        return end < hi && end - i > 1 ? end - 1 : end
    }
}
