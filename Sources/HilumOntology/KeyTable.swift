/// An open-addressing hash table from byte strings (normalized token keys) to dense `Int32` ids.
/// Built once when the ontology is compiled; lookups take a pointer and length and allocate nothing.
///
/// Each slot holds a key's first eight bytes, its length and its id, so that a key of up to eight bytes (most words)
/// is found by reading one slot: one cache line per lookup, not a slot, an entry and the key's bytes.
public struct KeyTable: Sendable {
    @usableFromInline
    struct Slot: Sendable {
        /// The key's first eight bytes, little-endian, zero past its end.
        @usableFromInline var word: UInt64
        /// -1 for an empty slot.
        @usableFromInline var id: Int32
        @usableFromInline var length: Int32
    }
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var hash: UInt64
        @usableFromInline var offset: Int32
        @usableFromInline var length: Int32
    }
    @usableFromInline var slots: [Slot]
    @usableFromInline var entries: [Entry] = []
    /// Every key's bytes, one after another, then `KeyTable.pad` zero bytes (so that `lookup(padded:count:)` may
    /// read any key eight bytes at a time).
    @usableFromInline var arena: [UInt8] = [UInt8](repeating: 0, count: KeyTable.pad)
    @usableFromInline var mask: Int
    @usableFromInline static let pad = 8
    static let empty = Slot(word: 0, id: -1, length: 0)

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Slot](repeating: KeyTable.empty, count: size)
        mask = size - 1
    }

    public var count: Int { entries.count }

    /// Hashes eight bytes at a time (multiply-xorshift), then finalizes; keys are words of a few bytes. The last
    /// word is the zero-padded tail, so the padded and in-register lookups below hash the same key the same way.
    @inlinable @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = p.count
        var h = seed(n)
        var i = 0
        if let base = p.baseAddress {
            while i + 8 <= n {
                h = mix(h, UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)))
                i += 8
            }
            if i < n { h = mix(h, tail(base + i, n - i)) }
        }
        return finish(h)
    }

    /// Up to eight bytes at `p`, little-endian, zero-padded.
    @inlinable @inline(__always)
    static func tail(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
        var w: UInt64 = 0
        var shift: UInt64 = 0
        var i = 0
        while i < n && i < 8 {
            w |= UInt64(p[i]) << shift
            shift += 8
            i += 1
        }
        return w
    }

    @inlinable @inline(__always)
    static func seed(_ n: Int) -> UInt64 { 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n) }

    @inlinable @inline(__always)
    static func mix(_ h0: UInt64, _ w: UInt64) -> UInt64 {
        let h = (h0 ^ w) &* 0xFF51_AFD7_ED55_8CCD
        return h ^ (h >> 32)
    }

    @inlinable @inline(__always)
    static func finish(_ h0: UInt64) -> UInt64 {
        let h = (h0 ^ (h0 >> 29)) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 32)
    }

    /// The id of the key with hash `h`, length `n` and first eight bytes `first` whose bytes after the eighth
    /// `rest(arena, offset)` accepts (called only for keys longer than eight bytes): the one probe loop of the
    /// lookups. `slots` has `mask + 1` entries and always an empty one (load factor <= 1/2).
    @inlinable @inline(__always)
    func probe(_ h: UInt64, _ n: Int, _ first: UInt64, _ rest: (UnsafeRawBufferPointer, Int) -> Bool) -> Int32? {
        let m = mask
        return slots.withUnsafeBufferPointer { sl in
            var s = Int(truncatingIfNeeded: h) & m
            while true {
                let slot = sl[s]
                if slot.id < 0 { return nil }
                if slot.word == first && Int(slot.length) == n {
                    if n <= 8 { return slot.id }
                    let id = Int(slot.id)
                    let ok = entries.withUnsafeBufferPointer { en in
                        id < en.count && arena.withUnsafeBytes { rest($0, Int(en[id].offset)) }
                    }
                    if ok { return slot.id }
                }
                s = (s + 1) & m
            }
        }
    }

    /// Returns the id of `key`, adding it if new.
    public mutating func intern(_ key: [UInt8]) -> Int32 {
        if let id = key.withUnsafeBufferPointer({ lookup($0) }) { return id }
        if (entries.count + 1) * 2 > slots.count { grow() }
        let id = Int32(entries.count)
        let h = key.withUnsafeBufferPointer { KeyTable.hash($0) }
        arena.removeLast(KeyTable.pad)
        entries.append(Entry(hash: h, offset: Int32(arena.count), length: Int32(key.count)))
        arena.append(contentsOf: key)
        arena.append(contentsOf: repeatElement(0, count: KeyTable.pad))
        insertSlot(id)
        return id
    }

    private mutating func insertSlot(_ id: Int32) {
        let e = entries[Int(id)]
        let first = arena.withUnsafeBufferPointer { a in
            a.baseAddress.map { KeyTable.tail($0 + Int(e.offset), Int(e.length)) } ?? 0
        }
        var i = Int(truncatingIfNeeded: e.hash) & mask
        while slots[i].id >= 0 { i = (i + 1) & mask }
        slots[i] = Slot(word: first, id: id, length: e.length)
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Slot](repeating: KeyTable.empty, count: size)
        mask = size - 1
        for id in entries.indices { insertSlot(Int32(id)) }
    }

    /// The id of a key, or nil.
    @inlinable
    public func lookup(_ p: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard let base = p.baseAddress else { return probe(KeyTable.hash(p), 0, 0) { _, _ in true } }
        return probe(KeyTable.hash(p), p.count, KeyTable.tail(base, p.count)) { a, o in
            var j = 8
            while j < p.count && a[o + j] == p[j] { j += 1 }
            return j == p.count
        }
    }

    public func lookup(_ key: [UInt8]) -> Int32? { key.withUnsafeBufferPointer { lookup($0) } }

    /// The id of a key of `n` (1...8) bytes held in `w` (little-endian, bytes from `n` on zero): the same id as the
    /// other lookups, with one hash round and one slot compare.
    @inlinable
    public func lookup(word w: UInt64, count n: Int) -> Int32? {
        probe(KeyTable.finish(KeyTable.mix(KeyTable.seed(n), w)), n, w) { _, _ in false }
    }

    /// The id of the key `p[0..<count]`, where `p` holds at least `count` rounded up to a multiple of eight bytes
    /// and the bytes from `count` to there are zero (the report pipeline's key buffer). Hashes and compares eight
    /// bytes at a time; the same ids as `lookup(_:)`.
    @inlinable
    public func lookup(padded p: UnsafePointer<UInt8>, count n: Int) -> Int32? {
        let raw = UnsafeRawPointer(p)
        var h = KeyTable.seed(n)
        var i = 0
        while i < n {
            h = KeyTable.mix(h, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        let first = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        // `offset + length + pad <= arena.count`: whole words may be read; the last is masked.
        return probe(KeyTable.finish(h), n, first) { a, o in
            var j = 8
            while j < n {
                var d = UInt64(littleEndian: a.loadUnaligned(fromByteOffset: o + j, as: UInt64.self))
                    ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: j, as: UInt64.self))
                if n - j < 8 { d &= (1 << UInt64((n - j) * 8)) &- 1 }
                if d != 0 { return false }
                j += 8
            }
            return true
        }
    }
}

/// A trie over token ids. Each node may end one or more phrases, whose payloads are opaque `Int32`s
/// chosen by the builder. Phrases are collected, then frozen into flat sorted arrays: the root's
/// transitions are a dense array indexed by token id, other nodes binary-search their edge slice.
/// Lookups allocate nothing and touch no reference counts.
public struct PhraseTrie: Sendable {
    @usableFromInline var root: [Int32]
    // Build-time structure: the phrases in insertion order, their ids one after another in `pendingIDs`.
    var pendingIDs: [Int32] = []
    var pending: [(start: Int32, count: Int32, payload: Int32)] = []
    // Frozen structure: per node, its edge slice and payload slice in one 16-byte record (one cache line serves
    // `hasPayload`, `hasChildren` and `next`).
    @usableFromInline
    struct Node: Sendable {
        @usableFromInline var edgeStart: Int32
        @usableFromInline var edgeEnd: Int32
        @usableFromInline var payloadStart: Int32
        @usableFromInline var payloadEnd: Int32
    }
    @usableFromInline var nodes: [Node] = []
    @usableFromInline var edgeKeys: [Int32] = []
    @usableFromInline var edgeTargets: [Int32] = []
    @usableFromInline var payloadList: [Int32] = []

    public init(keyCount: Int) { root = [Int32](repeating: -1, count: keyCount) }

    /// Nodes of the frozen trie (node 0 is an empty node no transition reaches).
    public var nodeCount: Int { nodes.count }

    /// Adds a phrase (an empty one is ignored). A node's payloads keep the order their phrases were inserted in, each
    /// payload once.
    public mutating func insert(_ ids: [Int32], payload: Int32) {
        guard !ids.isEmpty else { return }
        pending.append((Int32(pendingIDs.count), Int32(ids.count), payload))
        pendingIDs.append(contentsOf: ids)
        frozen = false
    }

    var frozen = false

    /// Freezes the trie into flat arrays (called once after the last insert). The phrases are sorted by their ids
    /// (equal phrases in insertion order) and the nodes laid out depth first: no per-node dictionary is built.
    public mutating func freeze() {
        nodes = [Node(edgeStart: 0, edgeEnd: 0, payloadStart: 0, payloadEnd: 0)]
        edgeKeys = []; edgeTargets = []; payloadList = []
        for k in root.indices { root[k] = -1 }
        let phrases = pending
        var order = Array(phrases.indices)
        pendingIDs.withUnsafeBufferPointer { f in
            @inline(__always) func id(_ e: Int, _ d: Int) -> Int32 { f[Int(phrases[e].start) + d] }
            order.sort { a, b in
                let la = Int(phrases[a].count), lb = Int(phrases[b].count)
                var i = 0
                while i < la && i < lb {
                    let x = id(a, i), y = id(b, i)
                    if x != y { return x < y }
                    i += 1
                }
                return la != lb ? la < lb : a < b
            }
            /// The node of the phrases `order[lo..<hi]`, which share their first `depth` ids (and have at least that many).
            func build(_ lo: Int, _ hi: Int, _ depth: Int) -> Int32 {
                let me = nodes.count
                nodes.append(Node(edgeStart: 0, edgeEnd: 0, payloadStart: 0, payloadEnd: 0))
                // The phrases that end here sort first.
                var k = lo
                let p0 = payloadList.count
                while k < hi && Int(phrases[order[k]].count) == depth {
                    let p = phrases[order[k]].payload
                    if !payloadList[p0...].contains(p) { payloadList.append(p) }
                    k += 1
                }
                // The others grouped by their next id, in ascending order (the edge slice is sorted).
                var groups: [(Int32, Int, Int)] = []
                while k < hi {
                    let next = id(order[k], depth)
                    var e = k + 1
                    while e < hi && id(order[e], depth) == next { e += 1 }
                    groups.append((next, k, e))
                    k = e
                }
                let e0 = edgeKeys.count
                for g in groups { edgeKeys.append(g.0); edgeTargets.append(-1) }
                nodes[me] = Node(edgeStart: Int32(e0), edgeEnd: Int32(e0 + groups.count), payloadStart: Int32(p0), payloadEnd: Int32(payloadList.count))
                for (j, g) in groups.enumerated() { edgeTargets[e0 + j] = build(g.1, g.2, depth + 1) }
                return Int32(me)
            }
            var k = 0
            while k < order.count {
                let first = id(order[k], 0)
                var e = k + 1
                while e < order.count && id(order[e], 0) == first { e += 1 }
                if first >= 0 {
                    if Int(first) >= root.count { root.append(contentsOf: [Int32](repeating: -1, count: Int(first) - root.count + 1)) }
                    root[Int(first)] = build(k, e, 1)
                }
                k = e
            }
        }
        frozen = true
    }

    @inlinable @inline(__always)
    public func start(_ id: Int32) -> Int32? {
        guard id >= 0, Int(id) < root.count else { return nil }
        let n = root[Int(id)]
        return n >= 0 ? n : nil
    }

    @inlinable @inline(__always)
    public func next(_ node: Int32, _ id: Int32) -> Int32? {
        guard id >= 0, node >= 0, Int(node) < nodes.count else { return nil }
        let nd = nodes[Int(node)]
        var lo = Int(nd.edgeStart), hi = Int(nd.edgeEnd)
        return edgeKeys.withUnsafeBufferPointer { keys in
            while lo < hi {
                let mid = (lo + hi) >> 1
                let k = keys[mid]
                if k == id { return edgeTargets[mid] }
                if k < id { lo = mid + 1 } else { hi = mid }
            }
            return nil
        }
    }

    @inlinable @inline(__always)
    public func payloads(_ node: Int32) -> ArraySlice<Int32> {
        guard node >= 0, Int(node) < nodes.count else { return [] }
        return payloadList[Int(nodes[Int(node)].payloadStart)..<Int(nodes[Int(node)].payloadEnd)]
    }

    /// Indices into `payloadList` of the payloads of `node` (read with `payload(at:)`, no slice to retain).
    @inlinable @inline(__always)
    public func payloadRange(_ node: Int32) -> Range<Int> {
        guard node >= 0, Int(node) < nodes.count else { return 0..<0 }
        return Int(nodes[Int(node)].payloadStart)..<Int(nodes[Int(node)].payloadEnd)
    }

    @inlinable @inline(__always)
    public func payload(at k: Int) -> Int32 { k >= 0 && k < payloadList.count ? payloadList[k] : -1 }

    @inlinable @inline(__always)
    public func hasChildren(_ node: Int32) -> Bool {
        node >= 0 && Int(node) < nodes.count && nodes[Int(node)].edgeEnd > nodes[Int(node)].edgeStart
    }

    /// The nodes directly below `node`.
    public func children(_ node: Int32) -> [Int32] {
        guard node >= 0, Int(node) < nodes.count else { return [] }
        return Array(edgeTargets[Int(nodes[Int(node)].edgeStart)..<Int(nodes[Int(node)].edgeEnd)])
    }

    @inlinable @inline(__always)
    public func hasPayload(_ node: Int32) -> Bool {
        node >= 0 && Int(node) < nodes.count && nodes[Int(node)].payloadEnd > nodes[Int(node)].payloadStart
    }
}
