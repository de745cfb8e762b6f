/// An optional field written as JSON null when it is nil. Synthesized `Encodable` leaves nil fields out;
/// OpenAI's responses carry them as null (`"logprobs": null`), and clients such as lm-evaluation-harness
/// read them.
@propertyWrapper
struct ExplicitNull<Value: Encodable & Sendable>: Encodable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}
