import Foundation
import Core

/// Seeded mutations of an input: bit flips, boundary bytes and integers (counts and offsets in binary formats),
/// inserted, deleted and duplicated ranges, splices with another seed, and syntax tokens for text formats.
enum Mutator {
    static let boundaryIntegers: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 40, .max, .max - 1]
    static let tokens = ["{", "}", "[", "]", "\"", ":", ",", "{%", "%}", "{{", "}}", "{% for m in messages %}", "{% endfor %}",
                         "{% if x %}", "{% endif %}", "~", "*", "&a ", "*a", "- ", "\n", "  ", "null", "true", "1e999", "-1", "0",
                         "99999999999999999999", "\\u0000", "\\ud800", "'x' * 1000", "range(1000000)", "|tojson", "."]

    static func mutate(_ seed: Data, others: [Data], text: Bool, random: inout SeededRandom) -> Data {
        var bytes = [UInt8](seed)
        for _ in 0..<random.nextInt(in: 1...6) {
            let n = bytes.count
            switch random.nextInt(below: text ? 8 : 7) {
            case 0 where n > 0:
                bytes[random.nextInt(below: n)] ^= 1 << UInt8(random.nextInt(below: 8))
            case 1 where n > 0:
                bytes[random.nextInt(below: n)] = [0, 0xFF, 0x7F, 0x80, 1, 0x20][random.nextInt(below: 6)]
            case 2 where n >= 8:
                let at = random.nextInt(below: n - 7), value = random.nextElement(of: boundaryIntegers)
                let width = [1, 2, 4, 8][random.nextInt(below: 4)]
                for i in 0..<width { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
            case 3:
                let at = random.nextInt(below: n + 1)
                bytes.insert(contentsOf: (0..<random.nextInt(in: 1...8)).map { _ in UInt8(random.nextInt(below: 256)) }, at: at)
            case 4 where n > 0:
                let at = random.nextInt(below: n), length = random.nextInt(in: 1...max(1, min(n - at, 64)))
                bytes.removeSubrange(at..<(at + length))
            case 5 where n > 0:
                let at = random.nextInt(below: n), length = random.nextInt(in: 1...max(1, min(n - at, 64)))
                bytes.insert(contentsOf: bytes[at..<(at + length)], at: random.nextInt(below: n + 1))
            case 6:
                let other = [UInt8](random.nextElement(of: others))
                let cut = random.nextInt(below: n + 1), from = random.nextInt(below: other.count + 1)
                bytes = Array(bytes[..<cut]) + other[from...]
            case 7:
                bytes.insert(contentsOf: Array(random.nextElement(of: tokens).utf8), at: random.nextInt(below: n + 1))
            default:
                break
            }
        }
        return Data(bytes)
    }
}
