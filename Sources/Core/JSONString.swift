/// JSON string literals written the way Python's `json.dumps(..., ensure_ascii=False)` writes them: quotes,
/// backslashes and control characters escaped (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX`), everything else
/// as is. The one quoter for every JSON remask writes by hand (chat templates' `tojson`, synthetic data).
public enum JSONString {
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
