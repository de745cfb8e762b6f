import Core

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
        case .string(let string): return JSONString.quote(string)
        case .int(let int): return String(int)
        case .array(let items): return "[" + items.map(text).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.map { JSONString.quote($0.0) + ":" + text($0.1) }.joined(separator: ",") + "}"
        }
    }

    /// Lines of JSON, each ending in a newline.
    static func lines(_ values: [Value]) -> String {
        values.map { text($0) + "\n" }.joined()
    }
}
