import Foundation
import Models
import TestSupport

/// The SmolLM2 golden fixtures (`Tests/Fixtures/smollm2-tokenizer/`, `Tests/Fixtures/tokenize_smollm2.json`),
/// loaded once for all tokenizer tests.
enum TokenizerFixtures {
    struct Case: Decodable, Sendable {
        var text: String
        var ids: [Int32]
        /// Present where decoding the ids does not give back the text (bytes SmolLM2 has no token for).
        var decoded: String?
    }

    private struct File: Decodable {
        var cases: [Case]
    }

    static let directory = fixturesDirectory

    static let smolLM2: Result<BPETokenizer, any Error> = Result {
        try BPETokenizer(tokenizerJSON: directory.appendingPathComponent("smollm2-tokenizer/tokenizer.json"))
    }

    static let cases: Result<[Case], any Error> = Result {
        let data = try Data(contentsOf: directory.appendingPathComponent("tokenize_smollm2.json"))
        return try JSONDecoder().decode(File.self, from: data).cases
    }

    /// A vocabulary of the 256 single bytes and nothing else, so that token id = byte value; built from GPT-2's
    /// `bytes_to_unicode` written out independently of the tokenizer's own table.
    static func byteTokenizer() throws -> BPETokenizer {
        let printable = Array(33...126) + Array(161...172) + Array(174...255)
        var extra = 0
        let tokens = (0..<256).map { b -> String in
            if printable.contains(b) { return String(UnicodeScalar(UInt8(b))) }
            extra += 1
            return String(UnicodeScalar(UInt32(255 + extra))!)
        }
        return try BPETokenizer(tokens: tokens, merges: [String]())
    }
}
