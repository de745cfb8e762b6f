import Synchronization

/// Where the runner sends one sequence's events, and how it learns that nobody is listening any more (the
/// client went away): then the sequence is dropped at the next step.
final class SequenceSink: Sendable {
    private let continuation: AsyncStream<SequenceEvent>.Continuation
    private let abandoned = Atomic<Bool>(false)

    /// A sink and the stream its events arrive on.
    static func make() -> (SequenceSink, AsyncStream<SequenceEvent>) {
        let (stream, continuation) = AsyncStream.makeStream(of: SequenceEvent.self, bufferingPolicy: .unbounded)
        let sink = SequenceSink(continuation)
        continuation.onTermination = { [weak sink] _ in sink?.abandoned.store(true, ordering: .relaxed) }
        return (sink, stream)
    }

    private init(_ continuation: AsyncStream<SequenceEvent>.Continuation) {
        self.continuation = continuation
    }

    var isAbandoned: Bool { abandoned.load(ordering: .relaxed) }

    func send(_ event: SequenceEvent) {
        continuation.yield(event)
    }

    /// The last event; the stream ends after it.
    func finish(_ reason: FinishReason, text: String = "") {
        continuation.yield(.finished(reason, text: text))
        continuation.finish()
    }
}
