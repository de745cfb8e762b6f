import Core

/// The draws the synthetic data generators make, built only on `SeededRandom.nextInt(below:)` so that the
/// output for a seed never depends on the standard library's (unspecified) shuffling or sampling algorithms.
struct SyntheticRandom {
    private var base: SeededRandom

    init(seed: UInt64) { base = SeededRandom(seed: seed) }

    /// Uniform integer in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + base.nextInt(below: range.count)
    }

    /// Uniform element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T {
        items[base.nextInt(below: items.count)]
    }

    /// A Fisher–Yates shuffle of `items`.
    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var result = items
        for i in stride(from: result.count - 1, to: 0, by: -1) {
            result.swapAt(i, base.nextInt(below: i + 1))
        }
        return result
    }
}
