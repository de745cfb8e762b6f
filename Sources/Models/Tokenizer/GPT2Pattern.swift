/// A scanner equivalent to GPT-2's pre-tokenizer regex
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
enum GPT2Pattern {
    /// Appends the end of each word in `lo..<hi` (scalar indices) to `ends`; `hi` acts as the end of the text.
    static func split(_ t: ScalarText, _ lo: Int, _ hi: Int, into ends: inout [Int]) {
        let v = t.values, c = t.classes
        var i = lo
        while i < hi {
            let end = wordEnd(v, c, i, hi)
            ends.append(end)
            i = end
        }
    }

    private static func wordEnd(_ v: [UInt32], _ c: [ScalarClass], _ i: Int, _ hi: Int) -> Int {
        if let end = contractionEnd(v, i, hi, caseInsensitive: false) { return end }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an ASCII space (only) joins the run after it.
        var j = i
        if v[i] == 0x20, i + 1 < hi, c[i + 1] != .space { j = i + 1 }
        if c[j] != .space { return runEnd(c, from: j, hi) }
        // `\s+(?!\S)|\s+`: a whitespace run followed by a non-space leaves its last scalar to start the next word
        // (where ` ?\p{L}+` and friends can take it if it is a space); a run of one is taken by `\s+`.
        let end = runEnd(c, from: i, hi)
        return end < hi && end - i > 1 ? end - 1 : end
    }

    /// The end of the run of scalars of the same class as the one at `i`.
    static func runEnd(_ c: [ScalarClass], from i: Int, _ hi: Int) -> Int {
        let k = c[i]
        var j = i + 1
        while j < hi && c[j] == k { j += 1 }
        return j
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i` (ASCII apostrophe only), optionally ignoring case. Case folding maps
    /// "S" and also "ſ" (U+017F, long s) to "s"; no other scalar folds to these letters.
    static func contractionEnd(_ v: [UInt32], _ i: Int, _ hi: Int, caseInsensitive: Bool) -> Int? {
        guard v[i] == 0x27, i + 1 < hi else { return nil }
        func lower(_ x: UInt32) -> UInt32 {
            guard caseInsensitive else { return x }
            return (0x41...0x5A).contains(x) ? x + 0x20 : x == 0x17F ? 0x73 : x
        }
        switch lower(v[i + 1]) {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        case 0x72, 0x76:  // re ve
            return i + 2 < hi && lower(v[i + 2]) == 0x65 ? i + 3 : nil
        case 0x6C:  // ll
            return i + 2 < hi && lower(v[i + 2]) == 0x6C ? i + 3 : nil
        default: return nil
        }
    }
}
