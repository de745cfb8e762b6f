/// Token ids by UTF-8 bytes, looked up from a byte range or from two tokens joined, without making a `String`
/// (SentencePiece merging asks whether two adjacent tokens together are a token, once per candidate pair). An
/// open-addressing table of FNV-1a hashes over the tokens' bytes laid end to end; the first id wins for a
/// repeated spelling.
struct TokenBytesIndex: Sendable {
    private let bytes: [UInt8]
    private let offsets: [Int]
    /// Token id + 1 per slot, 0 when empty; the slot count is a power of two at least twice the tokens.
    private let slots: [Int32]
    private let mask: Int

    init(_ tokens: [String]) {
        var bytes: [UInt8] = [], offsets = [0]
        offsets.reserveCapacity(tokens.count + 1)
        for t in tokens {
            bytes += t.utf8
            offsets.append(bytes.count)
        }
        var size = 16
        while size < 2 * tokens.count { size <<= 1 }
        var slots = [Int32](repeating: 0, count: size)
        bytes.withUnsafeBufferPointer { all in
            for i in tokens.indices {
                let token = UnsafeBufferPointer(rebasing: all[offsets[i]..<offsets[i + 1]])
                var slot = Int(truncatingIfNeeded: Self.hash(token)) & (size - 1)
                while slots[slot] != 0 {
                    let other = Int(slots[slot] - 1)
                    if all[offsets[other]..<offsets[other + 1]].elementsEqual(token) { break }
                    slot = (slot + 1) & (size - 1)
                }
                if slots[slot] == 0 { slots[slot] = Int32(i + 1) }
            }
        }
        self.bytes = bytes
        self.offsets = offsets
        self.slots = slots
        mask = size - 1
    }

    private static let hashStart: UInt64 = 0xCBF2_9CE4_8422_2325

    /// FNV-1a, continuing from `h`: hashing a then b equals hashing a and b joined.
    private static func hash(_ s: UnsafeBufferPointer<UInt8>, from h: UInt64 = hashStart) -> UInt64 {
        var h = h
        for b in s { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// The token spelled exactly `token`, if any.
    func id(of token: String) -> Int32? {
        var token = token
        return token.withUTF8 { id(of: $0) }
    }

    /// The token spelled exactly `key`, if any.
    func id(of key: UnsafeBufferPointer<UInt8>) -> Int32? {
        find(hash: Self.hash(key)) { candidate in candidate.elementsEqual(key) }
    }

    /// The token spelled as tokens `a` and `b` joined, if any.
    func id(joining a: Int32, _ b: Int32) -> Int32? {
        withBytes(of: Int(a)) { left in
            withBytes(of: Int(b)) { right in
                find(hash: Self.hash(right, from: Self.hash(left))) { candidate in
                    candidate.count == left.count + right.count
                        && candidate.prefix(left.count).elementsEqual(left) && candidate.dropFirst(left.count).elementsEqual(right)
                }
            }
        }
    }

    private func find(hash: UInt64, where matches: (UnsafeBufferPointer<UInt8>) -> Bool) -> Int32? {
        slots.withUnsafeBufferPointer { slots in
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 {
                let id = Int(slots[slot] - 1)
                if withBytes(of: id, matches) { return Int32(id) }
                slot = (slot + 1) & mask
            }
            return nil
        }
    }

    /// Calls `body` with token `id`'s bytes.
    func withBytes<R>(of id: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[offsets[id]..<offsets[id + 1]])) }
    }
}
