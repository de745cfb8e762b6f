import XCTest
import Models

/// The scanners against the Hugging Face `tokenizers` pre-tokenizers (Oniguruma regexes), on cases chosen for
/// the corners of the patterns: whitespace runs before words, contractions, non-ASCII letters, numbers and
/// spaces, combining marks, emoji.
final class TokenizerPreTokenizerTests: XCTestCase {
    // Generated with Hugging Face `tokenizers` (Oniguruma) pre-tokenizers: Split(pattern, "isolated"),
    // with Digits(individual_digits: true) first for smollm.
    static let cases: [(text: String, gpt2: [String], smollm: [String], llama3: [String])] = [
        ("\n\nfoo", ["\n", "\n", "foo"], ["\n", "\n", "foo"], ["\n\n", "foo"]),
        ("  foo", [" ", " foo"], [" ", " foo"], [" ", " foo"]),
        ("\t foo", ["\t", " foo"], ["\t", " foo"], ["\t", " foo"]),
        ("Hello world", ["Hello", " world"], ["Hello", " world"], ["Hello", " world"]),
        ("don't 's 'S 'RE we'll I'M", ["don", "'t", " '", "s", " '", "S", " '", "RE", " we", "'ll", " I", "'", "M"], ["don", "'t", " '", "s", " '", "S", " '", "RE", " we", "'ll", " I", "'", "M"], ["don", "'t", " '", "s", " '", "S", " '", "RE", " we", "'ll", " I", "'M"]),
        ("a  ", ["a", "  "], ["a", "  "], ["a", "  "]),
        (" \n ", [" \n "], [" \n "], [" \n", " "]),
        ("x\u{A0}\u{A0}y", ["x", "\u{A0}", "\u{A0}", "y"], ["x", "\u{A0}", "\u{A0}", "y"], ["x", "\u{A0}", "\u{A0}y"]),
        ("a\u{200B}b", ["a", "\u{200B}", "b"], ["a", "\u{200B}", "b"], ["a", "\u{200B}b"]),
        ("a \u{2028}b", ["a", " ", "\u{2028}", "b"], ["a", " ", "\u{2028}", "b"], ["a", " ", "\u{2028}b"]),
        ("x\u{301}y \u{E9} e\u{301}", ["x", "\u{301}", "y", " \u{E9}", " e", "\u{301}"], ["x", "\u{301}", "y", " \u{E9}", " e", "\u{301}"], ["x", "\u{301}y", " \u{E9}", " e", "\u{301}"]),
        ("12 345 6789", ["12", " 345", " 6789"], ["1", "2", " ", "3", "4", "5", " ", "6", "7", "8", "9"], ["12", " ", "345", " ", "678", "9"]),
        ("3.14159", ["3", ".", "14159"], ["3", ".", "1", "4", "1", "5", "9"], ["3", ".", "141", "59"]),
        ("\u{FF11}\u{FF12}\u{FF13}", ["\u{FF11}\u{FF12}\u{FF13}"], ["\u{FF11}", "\u{FF12}", "\u{FF13}"], ["\u{FF11}\u{FF12}\u{FF13}"]),
        ("\u{216B} \u{BD} x\u{B2}", ["\u{216B}", " \u{BD}", " x", "\u{B2}"], ["\u{216B}", " ", "\u{BD}", " x", "\u{B2}"], ["\u{216B}", " ", "\u{BD}", " x", "\u{B2}"]),
        ("\u{65E5}\u{672C}\u{8A9E}\u{306E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}", ["\u{65E5}\u{672C}\u{8A9E}\u{306E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}"], ["\u{65E5}\u{672C}\u{8A9E}\u{306E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}"], ["\u{65E5}\u{672C}\u{8A9E}\u{306E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}"]),
        ("emoji \u{1F44D}\u{1F3FD} family \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}", ["emoji", " \u{1F44D}\u{1F3FD}", " family", " \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"], ["emoji", " \u{1F44D}\u{1F3FD}", " family", " \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"], ["emoji", " \u{1F44D}\u{1F3FD}", " family", " \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"]),
        ("foo   bar\n\n\tbaz  ", ["foo", "  ", " bar", "\n\n", "\t", "baz", "  "], ["foo", "  ", " bar", "\n\n", "\t", "baz", "  "], ["foo", "  ", " bar", "\n\n", "\tbaz", "  "]),
        ("  \n\n  x", ["  \n\n ", " x"], ["  \n\n ", " x"], ["  \n\n", " ", " x"]),
        ("(foo) [bar]!? ...", ["(", "foo", ")", " [", "bar", "]!?", " ..."], ["(", "foo", ")", " [", "bar", "]!?", " ..."], ["(foo", ")", " [", "bar", "]!?", " ..."]),
        ("\r\n\r\nline", ["\r\n\r", "\n", "line"], ["\r\n\r", "\n", "line"], ["\r\n\r\n", "line"]),
        ("x\u{1C}y", ["x", "\u{1C}", "y"], ["x", "\u{1C}", "y"], ["x", "\u{1C}y"]),
        ("tab\tsep", ["tab", "\t", "sep"], ["tab", "\t", "sep"], ["tab", "\tsep"]),
        ("     ", ["     "], ["     "], ["     "]),
        ("\u{1C4}emo \u{1C5}", ["\u{1C4}emo", " \u{1C5}"], ["\u{1C4}emo", " \u{1C5}"], ["\u{1C4}emo", " \u{1C5}"]),
        ("\u{2B0}mod", ["\u{2B0}mod"], ["\u{2B0}mod"], ["\u{2B0}mod"]),
        ("a'b", ["a", "'", "b"], ["a", "'", "b"], ["a", "'b"]),
        ("''s", ["''", "s"], ["''", "s"], ["''", "s"]),
        ("?'s", ["?'", "s"], ["?'", "s"], ["?'", "s"]),
        (" 's", [" '", "s"], [" '", "s"], [" '", "s"]),
        ("\u{17F}'S", ["\u{17F}", "'", "S"], ["\u{17F}", "'", "S"], ["\u{17F}", "'S"]),
        ("(foo", ["(", "foo"], ["(", "foo"], ["(foo"]),
        ("\tfoo", ["\t", "foo"], ["\t", "foo"], ["\tfoo"]),
        ("12345678", ["12345678"], ["1", "2", "3", "4", "5", "6", "7", "8"], ["123", "456", "78"]),
        ("a  \n  b", ["a", "  \n ", " b"], ["a", "  \n ", " b"], ["a", "  \n", " ", " b"]),
        ("!!!\n\n\nx", ["!!!", "\n\n", "\n", "x"], ["!!!", "\n\n", "\n", "x"], ["!!!\n\n\n", "x"]),
        (" !!\r\n", [" !!", "\r\n"], [" !!", "\r\n"], [" !!\r\n"]),
        ("a1b22c333", ["a", "1", "b", "22", "c", "333"], ["a", "1", "b", "2", "2", "c", "3", "3", "3"], ["a", "1", "b", "22", "c", "333"]),
        (" 1 22", [" 1", " 22"], [" ", "1", " ", "2", "2"], [" ", "1", " ", "22"]),
        ("def f(x):\n    return x**2  # sq\n", ["def", " f", "(", "x", "):", "\n   ", " return", " x", "**", "2", " ", " #", " sq", "\n"], ["def", " f", "(", "x", "):", "\n   ", " return", " x", "**", "2", " ", " #", " sq", "\n"], ["def", " f", "(x", "):\n", "   ", " return", " x", "**", "2", " ", " #", " sq", "\n"]),
        ("\u{627}\u{644}\u{639}\u{631}\u{628}\u{64A}\u{629} \u{928}\u{92E}\u{938}\u{94D}\u{924}\u{947}", ["\u{627}\u{644}\u{639}\u{631}\u{628}\u{64A}\u{629}", " \u{928}\u{92E}\u{938}", "\u{94D}", "\u{924}", "\u{947}"], ["\u{627}\u{644}\u{639}\u{631}\u{628}\u{64A}\u{629}", " \u{928}\u{92E}\u{938}", "\u{94D}", "\u{924}", "\u{947}"], ["\u{627}\u{644}\u{639}\u{631}\u{628}\u{64A}\u{629}", " \u{928}\u{92E}\u{938}", "\u{94D}\u{924}", "\u{947}"]),
        ("x \u{3000}y", ["x", " ", "\u{3000}", "y"], ["x", " ", "\u{3000}", "y"], ["x", " ", "\u{3000}y"]),
    ]

    // Qwen2's pattern on the same texts, generated with `tokenizers` 0.23 (Split(Regex(qwen2 pattern), "isolated")).
    static let qwen2Cases: [(text: String, words: [String])] = [
        ("\n\nfoo", ["\n\n", "foo"]),
        ("  foo", [" ", " foo"]),
        ("\t foo", ["\t", " foo"]),
        ("Hello world", ["Hello", " world"]),
        ("don't 's 'S 'RE we'll I'M", ["don", "'t", " '", "s", " '", "S", " '", "RE", " we", "'ll", " I", "'M"]),
        ("a  ", ["a", "  "]),
        (" \n ", [" \n", " "]),
        ("x\u{A0}\u{A0}y", ["x", "\u{A0}", "\u{A0}y"]),
        ("a\u{200B}b", ["a", "\u{200B}b"]),
        ("a \u{2028}b", ["a", " ", "\u{2028}b"]),
        ("x\u{301}y \u{E9} e\u{301}", ["x", "\u{301}y", " \u{E9}", " e", "\u{301}"]),
        ("12 345 6789", ["1", "2", " ", "3", "4", "5", " ", "6", "7", "8", "9"]),
        ("3.14159", ["3", ".", "1", "4", "1", "5", "9"]),
        ("\u{FF11}\u{FF12}\u{FF13}", ["\u{FF11}", "\u{FF12}", "\u{FF13}"]),
        ("\u{216B} \u{BD} x\u{B2}", ["\u{216B}", " ", "\u{BD}", " x", "\u{B2}"]),
        ("\u{65E5}\u{672C}\u{8A9E}\u{306E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}", ["\u{65E5}\u{672C}\u{8A9E}\u{306E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}"]),
        ("emoji \u{1F44D}\u{1F3FD} family \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}", ["emoji", " \u{1F44D}\u{1F3FD}", " family", " \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"]),
        ("foo   bar\n\n\tbaz  ", ["foo", "  ", " bar", "\n\n", "\tbaz", "  "]),
        ("  \n\n  x", ["  \n\n", " ", " x"]),
        ("(foo) [bar]!? ...", ["(foo", ")", " [", "bar", "]!?", " ..."]),
        ("\r\n\r\nline", ["\r\n\r\n", "line"]),
        ("x\u{1C}y", ["x", "\u{1C}y"]),
        ("tab\tsep", ["tab", "\tsep"]),
        ("     ", ["     "]),
        ("\u{1C4}emo \u{1C5}", ["\u{1C4}emo", " \u{1C5}"]),
        ("\u{2B0}mod", ["\u{2B0}mod"]),
        ("a'b", ["a", "'b"]),
        ("''s", ["''", "s"]),
        ("?'s", ["?'", "s"]),
        (" 's", [" '", "s"]),
        ("\u{17F}'S", ["\u{17F}", "'S"]),
        ("(foo", ["(foo"]),
        ("\tfoo", ["\tfoo"]),
        ("12345678", ["1", "2", "3", "4", "5", "6", "7", "8"]),
        ("a  \n  b", ["a", "  \n", " ", " b"]),
        ("!!!\n\n\nx", ["!!!\n\n\n", "x"]),
        (" !!\r\n", [" !!\r\n"]),
        ("a1b22c333", ["a", "1", "b", "2", "2", "c", "3", "3", "3"]),
        (" 1 22", [" ", "1", " ", "2", "2"]),
        ("def f(x):\n    return x**2  # sq\n", ["def", " f", "(x", "):\n", "   ", " return", " x", "**", "2", " ", " #", " sq", "\n"]),
        ("\u{627}\u{644}\u{639}\u{631}\u{628}\u{64A}\u{629} \u{928}\u{92E}\u{938}\u{94D}\u{924}\u{947}", ["\u{627}\u{644}\u{639}\u{631}\u{628}\u{64A}\u{629}", " \u{928}\u{92E}\u{938}", "\u{94D}\u{924}", "\u{947}"]),
        ("x \u{3000}y", ["x", " ", "\u{3000}y"]),
    ]

    func testQwen2PatternMatchesHuggingFace() {
        XCTAssertEqual(Self.qwen2Cases.map(\.text), Self.cases.map(\.text))
        for c in Self.qwen2Cases { XCTAssertEqual(PreTokenizer.qwen2.split(c.text), c.words, "\(c.text.debugDescription)") }
    }

    func testGPT2PatternMatchesHuggingFace() {
        for c in Self.cases { XCTAssertEqual(PreTokenizer.gpt2.split(c.text), c.gpt2, "\(c.text.debugDescription)") }
    }

    func testSmolLMDigitSplitMatchesHuggingFace() {
        for c in Self.cases { XCTAssertEqual(PreTokenizer.smollm.split(c.text), c.smollm, "\(c.text.debugDescription)") }
    }

    func testLlama3PatternMatchesHuggingFace() {
        for c in Self.cases { XCTAssertEqual(PreTokenizer.llama3.split(c.text), c.llama3, "\(c.text.debugDescription)") }
    }

    func testEmptyTextHasNoWords() {
        for p in PreTokenizer.allCases { XCTAssertEqual(p.split(""), []) }
    }

    func testGGUFNames() {
        XCTAssertEqual(PreTokenizer(ggufName: "smollm"), .smollm)
        XCTAssertEqual(PreTokenizer(ggufName: "gpt-2"), .gpt2)
        XCTAssertEqual(PreTokenizer(ggufName: "llama-bpe"), .llama3)
        XCTAssertEqual(PreTokenizer(ggufName: "qwen2"), .qwen2)
        XCTAssertNil(PreTokenizer(ggufName: "deepseek-llm"))
    }
}
