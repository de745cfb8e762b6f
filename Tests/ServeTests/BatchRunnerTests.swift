import XCTest
import Core
import Models
@testable import Serve

/// The continuous batch against plain generation and direct scoring with the same tiny model.
final class BatchRunnerTests: XCTestCase {
    let model = ServeFixtures.model
    let tokenizer = ServeFixtures.tokenizer
    let prompts = ["The cat sat on", "Question: 2 + 2?\nAnswer:", "Hi", "A longer prompt, with several words in it, and a comma.", "x"]

    func ids(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// Greedy generation of one prompt on its own, through `Generator`.
    func reference(_ prompt: [Int32], maxTokens: Int) -> (tokens: [Int32], finish: FinishReason) {
        let stopTokens = ChatSession.stopTokens(tokenizer)
        let out = Generator(model: model, stopTokens: stopTokens).generate([prompt], maxTokens: maxTokens)[0]
        guard out.stop == .endOfSequence else { return (out.tokens, out.stop == .maxTokens ? .length : .stop) }
        // The server reports the end-of-sequence token too (with no text), as OpenAI and vLLM do.
        let continued = Generator(model: model, stopTokens: []).generate([prompt], maxTokens: out.tokens.count + 1)[0].tokens
        XCTAssertTrue(stopTokens.contains(continued.last!))
        return (continued, .stop)
    }

    /// Runs a runner on its own thread while `body` uses it, then stops it and waits for it to finish.
    func withRunner(_ limits: BatchRunner.Limits = .init(), _ body: (BatchRunner) async throws -> Void) async throws {
        let runner = ServeFixtures.runner(limits)
        async let finished: Void = runner.runOnThread()
        do { try await body(runner) } catch {
            runner.stop()
            await finished
            throw error
        }
        runner.stop()
        await finished
    }

    func testSequencesJoiningMidFlightGenerateAsTheyWouldAlone() async throws {
        try await withRunner(.init(maxBatch: 2)) { runner in
            let first = try runner.submit(prompts.prefix(2).map { SequenceRequest(prompt: ids($0), maxTokens: 10) })
            var events = first[0].makeAsyncIterator()
            var results = [SequenceResult()]
            if let event = await events.next() { results[0].add(event) }
            // The first two are running now; the others join (or queue) while they run.
            let rest = try runner.submit(prompts.dropFirst(2).map { SequenceRequest(prompt: ids($0), maxTokens: 10) })
            while let event = await events.next() { results[0].add(event) }
            for stream in first.dropFirst() + rest { results.append(await SequenceResult.collect(stream)) }
            for (prompt, result) in zip(prompts, results) {
                let expected = reference(ids(prompt), maxTokens: 10)
                XCTAssertEqual(result.tokens.map(\.id), expected.tokens, prompt)
                XCTAssertEqual(result.finishReason, expected.finish, prompt)
                XCTAssertEqual(result.text, tokenizer.decode(expected.tokens, skipSpecial: true), prompt)
            }
        }
    }

    func testSeededSamplingRepeats() async throws {
        try await withRunner { runner in
            func sample(seed: UInt64, company: Int) async throws -> [Int32] {
                let options = SamplingOptions(temperature: 1, topP: 0.9, seed: seed)
                let others = (0..<company).map { SequenceRequest(prompt: ids(prompts[$0]), maxTokens: 12) }
                let streams = try runner.submit([SequenceRequest(prompt: ids("Once upon"), maxTokens: 12, sampling: options)] + others)
                let result = await SequenceResult.collect(streams[0])
                for stream in streams.dropFirst() { _ = await SequenceResult.collect(stream) }
                return result.tokens.map(\.id)
            }
            let alone = try await sample(seed: 42, company: 0)
            let accompanied = try await sample(seed: 42, company: 3)
            let otherSeed = try await sample(seed: 43, company: 0)
            XCTAssertEqual(accompanied, alone, "the same seed gives the same tokens, whatever else runs")
            XCTAssertNotEqual(otherSeed, alone)
        }
    }

    func testEchoedPromptLogprobsEqualDirectScoringWhileOthersGenerate() async throws {
        try await withRunner { runner in
            let prompt = ids(prompts[3])
            let streams = try runner.submit([SequenceRequest(prompt: ids(prompts[0]), maxTokens: 6),
                                             SequenceRequest(prompt: prompt, maxTokens: 0, logprobs: 2, promptLogprobs: true),
                                             SequenceRequest(prompt: ids(prompts[1]), maxTokens: 6, logprobs: 1)])
            let generating = await SequenceResult.collect(streams[0])
            let scored = await SequenceResult.collect(streams[1])
            let withLogprobs = await SequenceResult.collect(streams[2])
            XCTAssertEqual(generating.tokens.map(\.id), reference(ids(prompts[0]), maxTokens: 6).tokens)

            let direct = Scoring.logprobs(model, prompt, top: 0).logprobs
            let echoed = try XCTUnwrap(scored.prompt)
            XCTAssertEqual(echoed.map(\.id), prompt)
            XCTAssertNil(echoed[0].logprob)
            XCTAssertEqual(echoed[0].top, [])
            for i in 1..<prompt.count {
                XCTAssertEqual(try XCTUnwrap(echoed[i].logprob), try XCTUnwrap(direct[i]), accuracy: 2e-3, "token \(i)")
                let top = echoed[i].top
                XCTAssertTrue(top.count == 2 || top.count == 3, "two best, plus the token itself when it is not among them")
                XCTAssertGreaterThanOrEqual(top[0].logprob, top[1].logprob)
                XCTAssertTrue(top.contains { $0.id == prompt[i] && $0.logprob == echoed[i].logprob })
            }
            XCTAssertTrue(scored.tokens.isEmpty)
            XCTAssertEqual(scored.finishReason, .length)

            XCTAssertEqual(withLogprobs.tokens.map(\.id), reference(ids(prompts[1]), maxTokens: 6).tokens)
            for token in withLogprobs.tokens {
                let logprob = try XCTUnwrap(token.logprob)
                XCTAssertEqual(logprob.top.first?.id, token.id, "greedy picks the most likely token")
                XCTAssertEqual(logprob.top.count, 1)
                XCTAssertLessThan(try XCTUnwrap(logprob.logprob), 0)
            }
        }
    }

    func testStopStringEndsTheTextBeforeIt() async throws {
        try await withRunner { runner in
            let prompt = ids(prompts[1])
            let full = await SequenceResult.collect(try runner.submit([SequenceRequest(prompt: prompt, maxTokens: 16)])[0])
            // A stop string that first occurs after the start: the text of a later ASCII token.
            let texts = full.tokens.map { tokenizer.decode([$0.id]) }
            let bytes = Array(full.text.utf8)
            func firstOccurrence(_ s: String) -> Int? {
                let needle = Array(s.utf8)
                return bytes.count < needle.count ? nil : (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }
            }
            guard let stop = texts.dropFirst(2).first(where: { !$0.isEmpty && $0.allSatisfy(\.isASCII) && (firstOccurrence($0) ?? 0) > 0 }) else {
                throw XCTSkip("no ASCII token to stop at in \(texts)")
            }
            let cut = try XCTUnwrap(firstOccurrence(stop))
            let stopped = await SequenceResult.collect(try runner.submit([SequenceRequest(prompt: prompt, maxTokens: 16, stopStrings: [stop])])[0])
            XCTAssertEqual(stopped.finishReason, .stop)
            XCTAssertEqual(stopped.text, String(decoding: bytes[..<cut], as: UTF8.self), "stop: \(stop)")
            XCTAssertLessThan(stopped.tokens.count, full.tokens.count)
        }
    }

    func testFullQueueRefusesAndShutdownFinishesWhatWasQueued() async throws {
        let runner = ServeFixtures.runner(.init(maxBatch: 1, queueCapacity: 2))
        let a = try runner.submit([SequenceRequest(prompt: ids("a"), maxTokens: 3)])
        XCTAssertThrowsError(try runner.submit([SequenceRequest(prompt: ids("b"), maxTokens: 3), SequenceRequest(prompt: ids("c"), maxTokens: 3)])) {
            XCTAssertEqual(($0 as? APIError)?.status, .tooManyRequests)
        }
        let b = try runner.submit([SequenceRequest(prompt: ids("b"), maxTokens: 3)])
        XCTAssertThrowsError(try runner.submit([SequenceRequest(prompt: ids("d"), maxTokens: 3)])) {
            XCTAssertEqual(($0 as? APIError)?.code, "queue_full")
        }
        runner.stopAccepting()
        XCTAssertFalse(runner.isAccepting)
        XCTAssertThrowsError(try runner.submit([SequenceRequest(prompt: ids("e"), maxTokens: 3)])) {
            XCTAssertEqual(($0 as? APIError)?.status, .serviceUnavailable)
        }
        runner.stop()
        await runner.runOnThread()  // returns once the queued work is done
        for (prompt, stream) in zip(["a", "b"], a + b) {
            let result = await SequenceResult.collect(stream)
            XCTAssertEqual(result.tokens.map(\.id), reference(ids(prompt), maxTokens: 3).tokens, "queued before shutdown, answered in full")
        }
    }
}
