/// A chat template that cannot be parsed or rendered, with where in the template source it went wrong.
public struct ChatTemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable {
        /// The template text is malformed (found at init).
        case syntax
        /// An expression failed while rendering, e.g. `'a' + 1` or an attribute of an undefined value.
        case render
        /// The template itself called `raise_exception(message)`, typically to reject a conversation.
        case raised
    }

    public let kind: Kind
    public let message: String
    /// 1-based line in the template source.
    public let line: Int
    /// 1-based column in the template source, counted in Unicode scalars.
    public let column: Int

    init(_ kind: Kind, _ message: String, at position: SourcePosition) {
        self.kind = kind
        self.message = message
        self.line = position.line
        self.column = position.column
    }

    public var description: String {
        let what = switch kind {
        case .syntax: "chat template syntax error"
        case .render: "chat template render error"
        case .raised: "chat template raised an exception"
        }
        return "\(what) at line \(line), column \(column): \(message)"
    }
}

/// A place in the template source (after newline normalization), kept on tokens and AST nodes so that
/// render-time errors can point back into the template.
struct SourcePosition: Equatable, Sendable {
    let line: Int
    let column: Int
}

/// A failure of a value operation (a filter, an operator, a method) that does not know where in the
/// template it happened; the evaluator attaches the position of the expression being evaluated.
struct JinjaFailure: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}
