import Foundation

/// JSON request bodies to Swift values, with decoding failures turned into 400s that name the field.
enum RequestDecoding {
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(APIError) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, (try? JSONSerialization.jsonObject(with: data)) != nil {
                // Foundation on Linux reports a fraction where an integer belongs this way, with no field named.
                throw .invalidRequest("A field has a value of the wrong type (a fraction where an integer is expected?).")
            }
            throw invalidRequest(error)
        } catch {
            throw .invalidRequest("The request body could not be read: \(error.localizedDescription)")
        }
    }

    /// A 400 naming the field and what was wrong with it.
    static func invalidRequest(_ error: DecodingError) -> APIError {
        switch error {
        case .keyNotFound(let key, let context):
            let param = path(context.codingPath + [key])
            return .invalidRequest("Missing required parameter: '\(param)'.", param: param)
        case .typeMismatch(let type, let context):
            let param = path(context.codingPath)
            let detail = context.debugDescription.hasPrefix("expected") ? context.debugDescription : "expected \(describe(type))"
            return .invalidRequest("Invalid type for '\(param)': \(detail).", param: param)
        case .valueNotFound(let type, let context):
            let param = path(context.codingPath)
            return .invalidRequest("Invalid value for '\(param)': expected \(describe(type)), got null.", param: param)
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .invalidRequest("The request body is not valid JSON.")
        case .dataCorrupted(let context):
            let param = path(context.codingPath)
            return .invalidRequest("Invalid value for '\(param)': \(context.debugDescription).", param: param)
        @unknown default:
            return .invalidRequest("The request body could not be decoded.")
        }
    }

    /// `messages[0].content` from a coding path.
    static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue { out += "[\(index)]" } else { out += out.isEmpty ? key.stringValue : "." + key.stringValue }
        }
        return out.isEmpty ? "body" : out
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}
