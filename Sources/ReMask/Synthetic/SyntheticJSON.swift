/// Builds one JSON object per line with the keys in the order given, so that written files are byte-for-byte
/// reproducible (Foundation's encoders neither keep key order nor promise stable formatting).
enum SyntheticJSON {
    /// A JSON value: a string, an integer, an array or an object with ordered keys.
    indirect enum Value {
        case string(String)
        case int(Int)
        case array([Value])
        case object([(String, Value)])
    }

    /// `value` as compact JSON text.
    static func text(_ value: Value) -> String {
        switch value {
        case .string(let string): return quoted(string)
        case .int(let int): return String(int)
        case .array(let items): return "[" + items.map(text).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.map { quoted($0.0) + ":" + text($0.1) }.joined(separator: ",") + "}"
        }
    }

    /// Lines of JSON, each ending in a newline.
    static func lines(_ values: [Value]) -> String {
        values.map { text($0) + "\n" }.joined()
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, everything else as UTF-8.
    private static func quoted(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
