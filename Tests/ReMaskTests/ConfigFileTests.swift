import Foundation
import ReMask
import XCTest

final class ConfigFileTests: XCTestCase {
    private func yaml(_ text: String) throws -> ConfigFile { try ConfigFile(text: text, format: .yaml, path: "run.yaml") }

    private func expectYAMLError(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try yaml(text), file: file, line: line) { XCTAssertEqual("\($0)", expected, file: file, line: line) }
    }

    func testYAMLSubset() throws {
        let config = try yaml("""
        ---
        # a ReMask run
        learning_rate: 1e-5       # underscores become hyphens
        epochs: 6
        mask-rate: 0.4
        objective: remask
        shuffle: true
        chat: False
        template: "<|user|>\\n#1 \\"quoted\\""
        note: 'it''s # not a comment'
        plain: it's fine # a comment
        datasets: [a.jsonl, "b c.jsonl", 3]
        empty: []
        extra:
          - c.jsonl   # comment
        - 'd: e.jsonl'

        negative: -2
        """)
        XCTAssertEqual(config.entries.map(\.key), ["learning-rate", "epochs", "mask-rate", "objective", "shuffle", "chat",
                                                   "template", "note", "plain", "datasets", "empty", "extra", "negative"])
        XCTAssertEqual(config.entries.map(\.line), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 18])
        XCTAssertEqual(config["learning-rate"], .double(1e-5))
        XCTAssertEqual(config["epochs"], .int(6))
        XCTAssertEqual(config["mask-rate"], .double(0.4))
        XCTAssertEqual(config["objective"], .string("remask"))
        XCTAssertEqual(config["shuffle"], .bool(true))
        XCTAssertEqual(config["chat"], .bool(false))
        XCTAssertEqual(config["template"], .string("<|user|>\n#1 \"quoted\""))
        XCTAssertEqual(config["note"], .string("it's # not a comment"))
        XCTAssertEqual(config["plain"], .string("it's fine"))
        XCTAssertEqual(config["datasets"], .list(["a.jsonl", "b c.jsonl", "3"]))
        XCTAssertEqual(config["empty"], .list([]))
        XCTAssertEqual(config["extra"], .list(["c.jsonl", "d: e.jsonl"]))
        XCTAssertEqual(config["negative"], .int(-2))
    }

    func testYAMLOutsideTheSubsetNamesLineAndProblem() {
        expectYAMLError("a: 1\nmodel:\n  layers: 3\n", "run.yaml:3: unexpected indentation: nested mappings and multi-line values are not supported (keys start in the first column)")
        expectYAMLError("a: &anchor 1\n", "run.yaml:1: anchors (&) are not supported")
        expectYAMLError("a: 1\nb: *anchor\n", "run.yaml:2: aliases (*) are not supported")
        expectYAMLError("prompt: |\n  line one\n", "run.yaml:1: multi-line (block) scalars ('|') are not supported; write the value on one line")
        expectYAMLError("a: {b: 1}\n", "run.yaml:1: inline maps ({...}) are not supported")
        expectYAMLError("a: 1\n\tb: 2\n", "run.yaml:2: tabs cannot indent YAML; use spaces")
        expectYAMLError("a: \"open\n", "run.yaml:1: unterminated double-quoted string (strings cannot span lines)")
        expectYAMLError("a: [x, [y]]\n", "run.yaml:1: inline lists may hold only scalars (nested lists and maps are not supported)")
        expectYAMLError("a: [x, y\n", "run.yaml:1: inline list is missing its closing ']' (lists cannot span lines)")
        expectYAMLError("learning-rate: 1\n\nlearning_rate: 2\n", "run.yaml:3: 'learning-rate' is set twice (first set on line 1)")
        expectYAMLError("a:\nb: 2\n", "run.yaml:1: 'a' has no value (write it after the colon, or list items below it as '- item')")
        expectYAMLError("a: ~\n", "run.yaml:1: null values are not supported; leave the setting out to use its default")
        expectYAMLError("- a\n", "run.yaml:1: a list item must follow a 'key:' line with no value (top-level lists are not supported)")
        expectYAMLError("a:\n  - - b\n", "run.yaml:2: nested lists are not supported")
        expectYAMLError("a:\n  - b: c\n", "run.yaml:2: 'b: c' contains ': ' (nested mappings are not supported; quote the value if it is text)")
        expectYAMLError("just text\n", "run.yaml:1: expected 'key: value', got 'just text'")
        expectYAMLError("a b: 1\n", "run.yaml:1: 'a b' is not a setting name (letters, digits, '-', '_' and '.' only)")
        expectYAMLError("a: \"x\" y\n", "run.yaml:1: unexpected 'y' after the value")
        expectYAMLError("a: 1\n---\nb: 2\n", "run.yaml:2: several YAML documents in one file are not supported")
    }

    func testJSONConfigAndItsErrors() throws {
        let folder = try makeScratchFolder()
        let path = folder.appendingPathComponent("run.json").path
        try Data(#"{"mask_rate": 0.4, "epochs": 6, "objective": "remask", "shuffle": false, "datasets": ["a", 2]}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let config = try ConfigFile(path: path)
        XCTAssertEqual(config.entries, [
            .init(key: "datasets", value: .list(["a", "2"]), line: nil), .init(key: "epochs", value: .int(6), line: nil),
            .init(key: "mask-rate", value: .double(0.4), line: nil), .init(key: "objective", value: .string("remask"), line: nil),
            .init(key: "shuffle", value: .bool(false), line: nil),
        ])

        func expectJSONError(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try ConfigFile(text: text, format: .json, path: "run.json"), file: file, line: line) {
                XCTAssertEqual("\($0)", expected, file: file, line: line)
            }
        }
        expectJSONError("{\n\"a\": 1,\n\"b\": oops\n}", "run.json:3: not valid JSON: Invalid value")
        expectJSONError(#"{"model": {"layers": 3}}"#, "run.json: 'model' must be a string, number, boolean or list of scalars (nested objects and null are not supported)")
        expectJSONError("[1, 2]", "run.json: must be a JSON object mapping setting names to values")
        XCTAssertThrowsError(try ConfigFile(path: folder.appendingPathComponent("missing.yaml").path)) {
            XCTAssertTrue("\($0)".hasPrefix("\(folder.path)/missing.yaml: cannot read the config file"), "\($0)")
        }
    }

    func testUnknownKeysAreReportedWithTheirLine() throws {
        let config = try yaml("learning-rate: 1e-5\nlearnin-rate: 2e-5\nepochs: 3\n")
        XCTAssertEqual(config.unknownKeys(allowed: ["learning-rate", "epochs"]).map(\.key), ["learnin-rate"])
        XCTAssertNoThrow(try config.checkKeys(allowed: ["learning-rate", "learnin-rate", "epochs"]))
        XCTAssertThrowsError(try config.checkKeys(allowed: ["learning-rate", "epochs"])) {
            XCTAssertEqual("\($0)", "run.yaml:2: unknown setting 'learnin-rate' (settings are the command's flags without '--'; see --help)")
        }
    }

    func testSettingsBecomeFlags() throws {
        let config = try yaml("lr: -1e-5\nobjective: remask\nshuffle: true\nchat: false\ndatasets: [a, b]\nempty: []\nsteps: 10\n")
        XCTAssertEqual(ConfigArguments.flags(for: config.entries),
                       ["--lr=-1e-05", "--objective=remask", "--shuffle", "--no-chat", "--datasets=a", "--datasets=b", "--steps=10"])
    }

    func testCommandLineFlagsOverrideTheConfigFile() throws {
        let path = try makeScratchFolder().appendingPathComponent("run.yaml").path
        try Data("learning-rate: 1e-5\nobjective: remask\nshuffle: true\ndatasets: [a, b]\nepochs: 6\n".utf8).write(to: URL(fileURLWithPath: path))
        let allowed: Set<String> = ["learning-rate", "objective", "shuffle", "datasets", "epochs", "config"]

        let merged = try ConfigArguments.expand(["--learning_rate", "3e-4", "--config", path, "--no-shuffle", "--datasets=c"], allowedKeys: allowed)
        XCTAssertEqual(merged, ["--objective=remask", "--epochs=6",
                                "--learning_rate", "3e-4", "--config", path, "--no-shuffle", "--datasets=c"])

        // Arguments after a `--` terminator are not flags.
        XCTAssertEqual(try ConfigArguments.expand(["--config=\(path)", "--", "--epochs=1"], allowedKeys: allowed),
                       ["--learning-rate=1e-05", "--objective=remask", "--shuffle", "--datasets=a", "--datasets=b", "--epochs=6",
                        "--config=\(path)", "--", "--epochs=1"])
        XCTAssertEqual(try ConfigArguments.expand(["--epochs", "2"]), ["--epochs", "2"])
        XCTAssertThrowsError(try ConfigArguments.expand(["--config", path], allowedKeys: ["epochs"])) {
            XCTAssertEqual("\($0)", "\(path):1: unknown setting 'learning-rate' (settings are the command's flags without '--'; see --help)")
        }
        XCTAssertThrowsError(try ConfigArguments.expand(["--config"])) {
            XCTAssertEqual("\($0)", "--config: needs the path of a YAML or JSON config file")
        }
        XCTAssertThrowsError(try ConfigArguments.expand(["--config", path, "--config=\(path)"])) {
            XCTAssertEqual("\($0)", "--config: is given more than once")
        }
    }
}
