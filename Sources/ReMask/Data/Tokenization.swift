import Core
import Models

/// An example as token ids, each with its role.
public struct TokenizedExample: Sendable, Equatable {
    public var tokens: [Int32]
    public var roles: [TokenRole]
    public var source: SourceLocation?

    public init(tokens: [Int32], roles: [TokenRole], source: SourceLocation? = nil) {
        self.tokens = tokens
        self.roles = roles
        self.source = source
    }

    public var count: Int { tokens.count }

    /// Next-token targets: `labels[i]` is `tokens[i + 1]` where that token is supervised (response,
    /// rationale, answer, their end-of-turn token), else `Tensor.ignoreIndex`; the last position has none.
    public var labels: [Int32] {
        var out = [Int32](repeating: Tensor.ignoreIndex, count: tokens.count)
        for i in 0..<max(0, tokens.count - 1) where roles[i + 1].isSupervised { out[i] = tokens[i + 1] }
        return out
    }
}

/// Tokenized training data and what tokenizing it cost.
public struct TokenizedDataset: Sendable {
    public var examples: [TokenizedExample]
    public var maxLength: Int
    /// Examples cut to `maxLength` tokens (those dropped included).
    public var truncated: Int
    /// Examples dropped because nothing supervised was left after the cut.
    public var droppedWithoutLabels: Int
    /// Examples skipped because they could not be rendered (only with `skipBadExamples`), and the first few
    /// errors.
    public var skipped: Int
    public var skippedErrors: [FileError]

    /// One line for logs: `1000 examples, 12 truncated to 256 tokens, 1 dropped (no response left)`.
    public var summary: String {
        var s = "\(examples.count) examples, \(truncated) truncated to \(maxLength) tokens"
        if droppedWithoutLabels > 0 { s += ", \(droppedWithoutLabels) dropped (no response left)" }
        if skipped > 0 { s += ", \(skipped) skipped (could not be rendered)" }
        return s
    }
}

/// Renders examples in a prompt format and tokenizes them, with a role per token.
///
/// Each stretch of text of one role is tokenized on its own (neighbouring stretches of the same role joined
/// first), so no token straddles prompt and response. Each response ends
/// with an end-of-turn token (see `PromptFormat`) labelled with the response. Tokens after the last response
/// (a template's trailing newline) are left out: nothing follows them to learn.
public struct ExampleTokenizer: Sendable {
    public let tokenizer: BPETokenizer
    public let format: PromptFormat
    public let maxLength: Int
    private let eos: Int32
    private let endOfTurn: Set<Int32>

    /// Throws when the tokenizer has no EOS token, or lacks a tag of the format as a special token (add them
    /// with `LanguageModel.addingTokens(format.specialTokens)`).
    public init(tokenizer: BPETokenizer, format: PromptFormat = .seed, maxLength: Int = 256) throws(FileError) {
        guard maxLength >= 2 else { throw FileError(path: "tokenization", "the maximum length must be at least 2, got \(maxLength)") }
        guard let eos = tokenizer.eosID else { throw FileError(path: "tokenization", "the tokenizer has no EOS token to end responses with") }
        for tag in format.specialTokens {
            let special = tokenizer.id(of: tag).flatMap(tokenizer.tokenType).map {
                $0 == BPETokenizer.TokenType.control.rawValue || $0 == BPETokenizer.TokenType.userDefined.rawValue
            } ?? false
            guard special else {
                throw FileError(path: "tokenization", "the tokenizer has no special token \(tag); add the prompt format's tokens first")
            }
        }
        self.tokenizer = tokenizer
        self.format = format
        self.maxLength = maxLength
        self.eos = eos
        endOfTurn = ChatSession.stopTokens(tokenizer)
    }

    /// The whole example (not truncated).
    public func encode(_ example: TrainingExample) throws(FileError) -> TokenizedExample {
        func text(_ id: Int32?) -> String { id.map { tokenizer.decode([$0]) } ?? "" }
        let pieces = try format.pieces(example, bos: text(tokenizer.bosID), eos: text(eos))
        var out = TokenizedExample(tokens: [], roles: [], source: example.source)
        if case .seed = format, tokenizer.addBOS, let bos = tokenizer.bosID {
            out.tokens.append(bos)
            out.roles.append(.prompt)
        }
        var pendingEnd: TokenRole?
        var i = 0
        while i < pieces.count {
            switch pieces[i] {
            case .endOfTurn(let role):
                pendingEnd = role
            case .text(var text, let role):
                while i + 1 < pieces.count, case .text(let next, let nextRole) = pieces[i + 1], nextRole == role {
                    text += next
                    i += 1
                }
                var ids = tokenizer.encode(text)[...]
                if let end = pendingEnd {
                    let id = ids.first.flatMap { endOfTurn.contains($0) ? $0 : nil }
                    if id != nil { ids = ids.dropFirst() }
                    out.tokens.append(id ?? eos)
                    out.roles.append(end)
                    pendingEnd = nil
                }
                out.tokens += ids
                out.roles += repeatElement(role, count: ids.count)
            }
            i += 1
        }
        if let end = pendingEnd {
            out.tokens.append(eos)
            out.roles.append(end)
        }
        while out.roles.last == .prompt {
            out.roles.removeLast()
            out.tokens.removeLast()
        }
        return out
    }

    /// Tokenizes `examples` (in parallel), cutting each to `maxLength` tokens. A rendering error (a chat
    /// template that refuses a conversation) throws, or with `skipBadExamples` is counted.
    public func tokenize(_ examples: [TrainingExample], skipBadExamples: Bool = false) throws(FileError) -> TokenizedDataset {
        var results = [Result<TokenizedExample, FileError>?](repeating: nil, count: examples.count)
        results.withUnsafeMutableBufferPointer { buffer in
            Parallel.forChunks(examples.count, minChunk: 32) { range in
                for i in range { buffer[i] = Result { () throws(FileError) in try encode(examples[i]) } }
            }
        }
        var out = TokenizedDataset(examples: [], maxLength: maxLength, truncated: 0, droppedWithoutLabels: 0,
                                   skipped: 0, skippedErrors: [])
        out.examples.reserveCapacity(examples.count)
        for result in results {
            switch result! {
            case .failure(let error):
                guard skipBadExamples else { throw error }
                out.skipped += 1
                if out.skippedErrors.count < JSONLReader.keptErrors { out.skippedErrors.append(error) }
            case .success(var example):
                if example.count > maxLength {
                    out.truncated += 1
                    example.tokens.removeLast(example.count - maxLength)
                    example.roles.removeLast(example.roles.count - maxLength)
                    guard example.roles.dropFirst().contains(where: \.isSupervised) else {
                        out.droppedWithoutLabels += 1
                        continue
                    }
                }
                out.examples.append(example)
            }
        }
        return out
    }
}
