import Foundation

extension WordPieceTokenizer {
    /// Loads a BERT `vocab.txt` (one token per line, the line's index its id) with BERT's defaults, as
    /// transformers' `BertTokenizer(vocab=...)` builds it: lowercase, strip accents, [CLS] text [SEP], the five
    /// BERT special tokens.
    public convenience init(vocabTXT url: URL) throws {
        let file = url.lastPathComponent
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError(file: file, "cannot read \(url.path): \(error.localizedDescription)")
        }
        var lines = [UInt8](data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var tokens: [String] = []
        var lineOf: [ArraySlice<UInt8>: Int] = [:]  // keyed by bytes: canonically equivalent spellings are different tokens
        for (i, var line) in lines.enumerated() {
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard let token = String(validating: line, as: UTF8.self) else {
                throw TokenizerError(file: file, field: "line \(i + 1)", "not valid UTF-8")
            }
            if let earlier = lineOf.updateValue(i + 1, forKey: line) {
                throw TokenizerError(file: file, field: "line \(i + 1)", "\"\(token)\" is also on line \(earlier)")
            }
            tokens.append(token)
        }
        guard !tokens.isEmpty else { throw TokenizerError(file: file, "the file is empty") }
        do {
            try self.init(tokens: tokens)
        } catch var error as TokenizerError {
            error.file = file
            throw error
        }
    }
}
