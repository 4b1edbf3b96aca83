/// One-edit spelling correction of report words against the words of one language's terms.
///
/// Reports are typed in a hurry ("consoldiaciones", "hemidifragma", "pnemothorax"): a word the lexicon does not know,
/// of at least `minLength` key bytes, that is one edit (a letter added, dropped, changed, or two neighbours swapped) from
/// exactly one term word with the same first letter, is read as that word. Only term words (findings, diagnoses,
/// anatomy) are targets: a correction never makes a negation, a hedge or a change cue. Keys are compared after the
/// normalizer (lowercase, accents folded, light stem), so inflections are not edits.
///
/// Lookups allocate nothing: a word's key and each of its one-letter deletions are hashed from prefix and suffix sums
/// (a deletion is a prefix and a shifted suffix), found in two hash tables, and every candidate is verified byte by byte.
public final class SpellIndex: Sendable {
    /// Shortest key (bytes) corrected, and shortest term word indexed.
    public static let minLength = 7
    /// Longest key looked at.
    static let maxLength = 40

    /// Term words: key bytes in `arena`, and their key ids.
    let arena: [UInt8]
    let start: [Int32]
    let length: [UInt8]
    let ids: [Int32]
    /// Hash of a whole word → word index.
    let whole: [UInt64: Int32]
    /// Hash of a word less one byte → word indices (several words may share one).
    let deletions: [UInt64: [Int32]]

    public var isEmpty: Bool { ids.isEmpty }

    /// Hashes of words kept as written (`spelling/<lang>.txt`).
    let kept: Set<UInt64>

    public init(words: [([UInt8], Int32)] = [], kept: Set<[UInt8]> = []) {
        self.kept = Set(kept.map { k in k.withUnsafeBufferPointer { SpellIndex.hash($0, skip: -1) } })
        var arena: [UInt8] = [], start: [Int32] = [], length: [UInt8] = [], ids: [Int32] = []
        var whole: [UInt64: Int32] = [:], deletions: [UInt64: [Int32]] = [:]
        for (key, id) in words where key.count >= SpellIndex.minLength - 1 && key.count <= SpellIndex.maxLength {
            let w = Int32(ids.count)
            start.append(Int32(arena.count)); length.append(UInt8(key.count)); ids.append(id)
            arena.append(contentsOf: key)
            key.withUnsafeBufferPointer { k in
                whole[SpellIndex.hash(k, skip: -1)] = w
                for i in 0..<k.count { deletions[SpellIndex.hash(k, skip: i), default: []].append(w) }
            }
        }
        self.arena = arena; self.start = start; self.length = length; self.ids = ids
        self.whole = whole; self.deletions = deletions.mapValues { Array(Set($0)).sorted() }
    }

    static let base: UInt64 = 0x100_0000_01B3

    /// Polynomial hash of `k` without its byte at `skip` (-1: none), mixed with the resulting length. (`correct` computes
    /// the same values from prefix and suffix sums.)
    @inline(__always)
    static func hash(_ k: UnsafeBufferPointer<UInt8>, skip: Int) -> UInt64 {
        var h: UInt64 = 0
        for (i, b) in k.enumerated() where i != skip { h = h &* base &+ UInt64(b) &+ 1 }
        return mix(h, skip >= 0 ? k.count - 1 : k.count)
    }

    @inline(__always)
    static func mix(_ h: UInt64, _ n: Int) -> UInt64 { h ^ (UInt64(n) &* 0x9E37_79B9_7F4A_7C15) }

    /// Hash of a whole key, for callers' caches.
    @inline(__always)
    public static func keyHash(_ k: UnsafeBufferPointer<UInt8>) -> UInt64 { hash(k, skip: -1) }

    /// The key id of the one term word within one edit of `key`, or nil (none, several, or `key` too short or long).
    public func correct(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let n = key.count
        guard !ids.isEmpty, n >= SpellIndex.minLength, n <= SpellIndex.maxLength, let first = key.first else { return nil }
        // Letters only: numbers, codes and units are not misspelt words.
        for b in key where !(b >= 0x61 && b <= 0x7A) { return nil }
        var found: Int32 = -1
        var ambiguous = false
        @inline(__always) func consider(_ w: Int32) {
            guard w >= 0, Int(w) < ids.count, !ambiguous else { return }
            let s = Int(start[Int(w)]), m = Int(length[Int(w)])
            guard s + m <= arena.count, arena[s] == first else { return }
            let isOneEdit = arena.withUnsafeBufferPointer { a in
                SpellIndex.oneEdit(key, UnsafeBufferPointer(rebasing: a[s..<(s + m)]))
            }
            guard isOneEdit else { return }
            if found < 0 { found = w } else if ids[Int(found)] != ids[Int(w)] { ambiguous = true }
        }
        // Prefix sums p[i] (hash of key[0..<i]) and suffix sums q[i] (key[i..<n] as the low digits), and powers of the
        // base: the word less byte i hashes to p[i] * base^(n-1-i) + q[i+1].
        let b = SpellIndex.base
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 3 * (SpellIndex.maxLength + 1)) { t -> Int32? in
            guard let tp = t.baseAddress else { return nil }
            let p = tp, q = tp + (n + 1), pw = tp + 2 * (n + 1)
            p[0] = 0; pw[0] = 1
            for i in 0..<n { p[i + 1] = p[i] &* b &+ UInt64(key[i]) &+ 1; pw[i + 1] = pw[i] &* b }
            if kept.contains(SpellIndex.mix(p[n], n)) { return nil }
            q[n] = 0
            var i = n - 1
            while i >= 0 { q[i] = (UInt64(key[i]) &+ 1) &* pw[n - 1 - i] &+ q[i + 1]; i -= 1 }
            // A letter missing from the word: a term word less one byte is the word.
            for w in deletions[SpellIndex.mix(p[n], n)] ?? [] { consider(w) }
            for i in 0..<n {
                let h = SpellIndex.mix(p[i] &* pw[n - 1 - i] &+ q[i + 1], n - 1)
                // A letter too many: the word less one byte is a term word.
                if let w = whole[h] { consider(w) }
                // A letter changed, or two swapped: both less one byte meet.
                for w in deletions[h] ?? [] { consider(w) }
                if ambiguous { return nil }
            }
            return found >= 0 && !ambiguous ? ids[Int(found)] : nil
        }
    }

    /// Whether `a` and `b` differ by exactly one insertion, deletion, substitution or swap of neighbours.
    static func oneEdit(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = a.count, m = b.count
        if n == m {
            var first = -1, second = -1, count = 0
            for i in 0..<n where a[i] != b[i] {
                count += 1
                if count == 1 { first = i } else if count == 2 { second = i } else { return false }
            }
            if count == 1 { return true }
            if count == 2, second == first + 1 { return a[first] == b[second] && a[second] == b[first] }
            return false
        }
        guard abs(n - m) == 1 else { return false }
        let (long, short) = n > m ? (a, b) : (b, a)
        var i = 0, j = 0, skipped = false
        while i < long.count && j < short.count {
            if long[i] == short[j] { i += 1; j += 1; continue }
            if skipped { return false }
            skipped = true
            i += 1
        }
        return true
    }
}
