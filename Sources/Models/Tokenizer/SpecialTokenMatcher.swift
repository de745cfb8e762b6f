/// Finds special (control and user-defined) tokens in raw text so that they become their own ids instead of
/// going through pre-tokenization and BPE. Matching is leftmost-longest, as Hugging Face's added-token
/// splitter does: the earliest occurrence wins, and among tokens starting there the longest.
struct SpecialTokenMatcher: Sendable {
    private struct Candidate: Sendable {
        var bytes: [UInt8]
        var id: Int32
    }

    /// Candidates indexed by first byte, longest first.
    private let byFirstByte: [[Candidate]]

    /// Empty strings are ignored; when two ids share a string, the lower id is matched.
    init(_ tokens: [(text: String, id: Int32)]) {
        var table = [[Candidate]](repeating: [], count: 256)
        // Compared as bytes: Swift's String equality would merge canonically equivalent spellings.
        var seen = Set<[UInt8]>()
        for t in tokens.sorted(by: { $0.id < $1.id }) where !t.text.isEmpty && seen.insert(Array(t.text.utf8)).inserted {
            let bytes = Array(t.text.utf8)
            table[Int(bytes[0])].append(Candidate(bytes: bytes, id: t.id))
        }
        byFirstByte = table.map { list in list.sorted { $0.bytes.count > $1.bytes.count } }
    }

    /// Walks `text` in order, calling `plain` for each stretch without special tokens (never empty) and
    /// `special` for each special token found.
    func split(_ text: UnsafeBufferPointer<UInt8>, plain: (Range<Int>) -> Void, special: (Int32) -> Void) {
        var start = 0, i = 0
        while i < text.count {
            let candidates = byFirstByte[Int(text[i])]
            guard let match = candidates.first(where: { c in
                c.bytes.count <= text.count - i && c.bytes.indices.allSatisfy { text[i + $0] == c.bytes[$0] }
            }) else {
                i += 1
                continue
            }
            if start < i { plain(start..<i) }
            special(match.id)
            i += match.bytes.count
            start = i
        }
        if start < text.count { plain(start..<text.count) }
    }
}
