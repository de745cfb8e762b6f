/// Sampling helpers with a fixed algorithm, so a seed gives the same draws on every machine and Swift version
/// (the standard library's `shuffle(using:)` promises no particular algorithm).
extension SeededRandom {
    /// True with probability `p`.
    public mutating func nextBool(probability p: Float) -> Bool {
        p > 0 && nextFloat() < p
    }

    /// A draw from Binomial(`n`, `p`): the number of successes in `n` independent trials.
    public mutating func nextBinomial(_ n: Int, probability p: Float) -> Int {
        guard p > 0, n > 0 else { return 0 }
        if p >= 1 { return n }
        var k = 0
        for _ in 0..<n where nextFloat() < p { k += 1 }
        return k
    }

    /// Uniform integer in `range`.
    public mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + nextInt(below: range.count)
    }

    /// A uniform element of a non-empty array.
    public mutating func nextElement<T>(of items: [T]) -> T {
        items[nextInt(below: items.count)]
    }

    /// `items` shuffled (Fisher–Yates, as `shuffle`).
    public mutating func shuffled<T>(_ items: [T]) -> [T] {
        var result = items
        shuffle(&result)
        return result
    }

    /// Shuffles `array` in place (Fisher–Yates).
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }

    /// `k` distinct elements of `items`, uniformly without replacement, in draw order.
    public mutating func sample<T>(_ k: Int, from items: [T]) -> [T] {
        var pool = items
        let k = min(max(k, 0), pool.count)
        for i in 0..<k { pool.swapAt(i, i + nextInt(below: pool.count - i)) }
        return Array(pool.prefix(k))
    }
}
