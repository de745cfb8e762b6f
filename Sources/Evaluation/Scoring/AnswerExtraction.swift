import Foundation

/// Reading a numeric answer out of generated text, as the LM Evaluation Harness's GSM8K task does.
public enum AnswerExtraction {
    /// What an extractor returns when the text has no answer (the harness's placeholder).
    public static let invalid = "[invalid]"

    /// strict-match: the number after the first `#### ` (the harness's regex `#### (\-?[0-9\.\,]+)`).
    public static func strictMatch(_ output: String) -> String {
        guard let m = output.firstMatch(of: strictPattern) else { return invalid }
        return String(m.1).trimmingCharacters(in: .whitespaces)
    }

    /// flexible-extract: the last number in the text (the harness's `(-?[$0-9.,]{2,})|(-?[0-9]+)`; of each
    /// match, the first group that matched).
    public static func flexibleExtract(_ output: String) -> String {
        guard let m = output.matches(of: flexiblePattern).last else { return invalid }
        return String(m.1 ?? m.2 ?? "").trimmingCharacters(in: .whitespaces)
    }

    /// The answer after `tag` (the fine-tuning format's `<|answer|>`): the first non-empty line after it,
    /// if that line is a number; else `invalid`.
    public static func taggedAnswer(_ output: String, tag: String) -> String {
        guard let r = output.range(of: tag) else { return invalid }
        let line = output[r.upperBound...].split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return line.wholeMatch(of: numberPattern) == nil ? invalid : line
    }

    /// The harness's comparison form (`regexes_to_ignore` `,` `\$` `(?s).*#### ` `\.$`, then lower case): commas
    /// and dollar signs removed, everything up to the last `#### ` removed, one trailing period removed.
    public static func normalize(_ text: String) -> String {
        var s = text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "$", with: "")
        if let r = s.range(of: "#### ", options: .backwards) { s = String(s[r.upperBound...]) }
        if s.hasSuffix(".") { s.removeLast() }
        return s.lowercased()
    }

    /// Whether an extracted answer equals the reference after both are normalized.
    public static func matches(_ extracted: String, reference: String) -> Bool {
        extracted != invalid && normalize(extracted) == normalize(reference)
    }

    nonisolated(unsafe) private static let strictPattern = /#### (-?[0-9.,]+)/
    nonisolated(unsafe) private static let flexiblePattern = /(-?[$0-9.,]{2,})|(-?[0-9]+)/
    nonisolated(unsafe) private static let numberPattern = /-?[$0-9.,]*[0-9][$0-9.,]*/
}
