/// Attention visibility and rotary positions for rows that hold more than one plain causal sequence.
///
/// Token i of a row (index i in 0..<length) sees the keys `0..<sharedPrefix[i]` and `segmentStart[i]...i`,
/// and is rotated as position `positions[i]`. This covers
/// - packing: several examples in one row, each a segment with positions restarting at 0, no attention
///   across segment boundaries (`sharedPrefix` 0, `segmentStart` the example's first index);
/// - a shared prefix: two continuations of one prefix in one row (ReMask's masked and full passes share the
///   tokens before the first masked one): the second continuation's tokens see the prefix (`sharedPrefix` =
///   prefix length) and their own segment, with positions continuing from the prefix.
/// Arrays hold `batch · length` entries, row after row.
public struct SequenceLayout: Sendable, Equatable {
    public var positions: [Int32]
    public var segmentStart: [Int32]
    public var sharedPrefix: [Int32]

    public init(positions: [Int32], segmentStart: [Int32], sharedPrefix: [Int32]) {
        self.positions = positions
        self.segmentStart = segmentStart
        self.sharedPrefix = sharedPrefix
    }

    /// Plain causal rows (what a nil layout means), for tests and as a starting point.
    public static func causal(batch: Int, length: Int) -> SequenceLayout {
        let pos = (0..<batch * length).map { Int32($0 % length) }
        return SequenceLayout(positions: pos, segmentStart: [Int32](repeating: 0, count: batch * length),
                              sharedPrefix: [Int32](repeating: 0, count: batch * length))
    }

    /// Rows packed from examples: `lengths[r]` lists the lengths of the examples in row r, in order (the
    /// rest of the row is padding, one more segment).
    public static func packed(_ lengths: [[Int]], length: Int) -> SequenceLayout {
        var pos: [Int32] = [], start: [Int32] = []
        pos.reserveCapacity(lengths.count * length); start.reserveCapacity(lengths.count * length)
        for row in lengths {
            var used = 0
            for n in row + [length - row.reduce(0, +)] where n > 0 {
                for j in 0..<n { pos.append(Int32(j)); start.append(Int32(used)) }
                used += n
            }
        }
        return SequenceLayout(positions: pos, segmentStart: start, sharedPrefix: [Int32](repeating: 0, count: pos.count))
    }

    /// The problem with these arrays for rows of `length` tokens, or nil when they are consistent.
    public func validationError(batch: Int, length: Int) -> String? {
        let n = batch * length
        guard positions.count == n, segmentStart.count == n, sharedPrefix.count == n else {
            return "layout arrays have \(positions.count)/\(segmentStart.count)/\(sharedPrefix.count) entries for \(batch) rows of \(length)"
        }
        for t in 0..<n {
            let i = Int32(t % length)
            if positions[t] < 0 { return "token \(t) has negative position \(positions[t])" }
            if segmentStart[t] < 0 || segmentStart[t] > i { return "token \(t) starts its segment at \(segmentStart[t]), after itself (\(i))" }
            if sharedPrefix[t] < 0 || sharedPrefix[t] > segmentStart[t] {
                return "token \(t) shares a prefix of \(sharedPrefix[t]) that overlaps its segment starting at \(segmentStart[t])"
            }
        }
        return nil
    }
}
