import Core

/// The `tojson` filter as Hugging Face installs it: `json.dumps(value, ensure_ascii=False, indent=indent,
/// separators=separators, sort_keys=sort_keys)` (Jinja's own `tojson` would HTML-escape `<`, `>`, `&` and `'`).
struct JinjaJSONStyle {
    /// Spaces per nesting level; nil writes everything on one line.
    var indent: Int?
    /// Between items, and between a key and its value. Python's default item separator is `", "` on one line
    /// and `","` when indenting (the newline then separates).
    var itemSeparator: String
    var keySeparator = ": "
    var sortKeys = false

    init(indent: Int? = nil) {
        self.indent = indent
        itemSeparator = indent == nil ? ", " : ","
    }
}

extension JinjaValue {
    func json(_ style: JinjaJSONStyle = JinjaJSONStyle()) throws(JinjaFailure) -> String {
        var out = ""
        try writeJSON(into: &out, style, level: 0)
        return out
    }

    private func writeJSON(into out: inout String, _ style: JinjaJSONStyle, level: Int) throws(JinjaFailure) {
        guard out.utf8.count <= Self.maximumValueLength else { throw JinjaFailure("tojson result is too large") }
        guard level <= Self.maximumNesting else { throw JinjaFailure("tojson: value nested too deeply") }
        switch self {
        case .none: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .float(let value):
            // Python writes the non-finite floats as these JavaScript names.
            out += value.isNaN ? "NaN" : value.isInfinite ? (value < 0 ? "-Infinity" : "Infinity") : pythonFloatRepr(value)
        case .string(let value): out += JSONString.quote(value)
        case .list(let items):
            try writeContainer(into: &out, style, level: level, open: "[", close: "]", items) {
                (out: inout String, item: JinjaValue) throws(JinjaFailure) in
                try item.writeJSON(into: &out, style, level: level + 1)
            }
        case .dict(let dict):
            let entries = style.sortKeys
                ? dict.entries.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
                : dict.entries
            try writeContainer(into: &out, style, level: level, open: "{", close: "}", entries) {
                (out: inout String, entry: (key: String, value: JinjaValue)) throws(JinjaFailure) in
                out += JSONString.quote(entry.key) + style.keySeparator
                try entry.value.writeJSON(into: &out, style, level: level + 1)
            }
        case .undefined, .namespace, .function:
            throw JinjaFailure("Object of type \(typeName) is not JSON serializable")
        }
    }

    private func writeContainer<Item>(into out: inout String, _ style: JinjaJSONStyle, level: Int, open: String,
                                      close: String, _ items: [Item],
                                      _ write: (inout String, Item) throws(JinjaFailure) -> Void) throws(JinjaFailure) {
        out += open
        guard !items.isEmpty else { return out += close }
        let newline = try style.indent.map { indent throws(JinjaFailure) in "\n" + (try spaces(indent, times: level + 1)) } ?? ""
        for (index, item) in items.enumerated() {
            if index > 0 { out += style.itemSeparator }
            out += newline
            try write(&out, item)
        }
        if let indent = style.indent { out += "\n" + (try spaces(indent, times: level)) }
        out += close
    }

    /// The indentation of `level` levels, refused when a huge `indent` would make it too large.
    private func spaces(_ indent: Int, times level: Int) throws(JinjaFailure) -> String {
        let (count, overflow) = indent.multipliedReportingOverflow(by: level)
        guard !overflow && count <= Self.maximumValueLength else { throw JinjaFailure("tojson result is too large") }
        return String(repeating: " ", count: count)
    }
}
