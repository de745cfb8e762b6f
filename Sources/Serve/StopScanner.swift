/// Watches generated text for stop strings as it grows. Text that could be the start of a stop string is held
/// back until the next tokens show whether it is one, so a streamed reply never shows part of a stop string.
/// Works on UTF-8 bytes: the text it is given always ends on a whole character (`StreamingDecoder`), and a
/// match of one valid UTF-8 string in another starts on a character boundary.
struct StopScanner {
    private let stops: [[UInt8]]
    private var bytes: [UInt8] = []
    /// Bytes handed out so far; a later match cannot start before this.
    private var released = 0

    init(_ stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// Appends `text`; returns what may be shown now and whether a stop string was reached (the text then
    /// ends where the stop string begins).
    mutating func add(_ text: String) -> (text: String, stopped: Bool) {
        bytes += text.utf8
        if let cut = stops.compactMap({ firstMatch(of: $0) }).min() {
            return (release(upTo: cut), true)
        }
        var hold = 0
        for stop in stops {
            // The longest end of the text that is a proper prefix of this stop string.
            var length = min(stop.count - 1, bytes.count - released)
            while length > hold && !bytes[(bytes.count - length)...].elementsEqual(stop[..<length]) { length -= 1 }
            hold = max(hold, length)
        }
        return (release(upTo: bytes.count - hold), false)
    }

    /// Whatever is still held back, once generation has ended for another reason.
    mutating func flush() -> String { release(upTo: bytes.count) }

    private mutating func release(upTo end: Int) -> String {
        defer { released = end }
        return String(decoding: bytes[released..<end], as: UTF8.self)
    }

    private func firstMatch(of stop: [UInt8]) -> Int? {
        guard bytes.count - released >= stop.count else { return nil }
        return (released...(bytes.count - stop.count)).first { bytes[$0..<($0 + stop.count)].elementsEqual(stop) }
    }
}
