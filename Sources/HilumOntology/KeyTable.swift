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

/// The nodes of a trie being frozen, grouped depth first from its sorted phrases (a value the recursion mutates in
/// place: arrays captured by a nested function would be boxed and checked on every access).
struct TrieGrouping {
    struct Node { var edgeStart: Int, edgeEnd: Int, payloadStart: Int, payloadEnd: Int }
    var nodes: [Node] = []
    var edgeKeys: [Int32] = [], edgeTargets: [Int] = [], payloadList: [Int32] = []

    /// The node of the phrases `order[lo..<hi]`, which share their first `depth` ids (and have at least that many).
    mutating func build(_ lo: Int, _ hi: Int, _ depth: Int, order: [Int], phrases: [(start: Int32, count: Int32, payload: Int32)],
                        ids f: UnsafeBufferPointer<Int32>) -> Int {
        @inline(__always) func id(_ e: Int, _ d: Int) -> Int32 { f[Int(phrases[e].start) + d] }
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
        nodes[me] = Node(edgeStart: e0, edgeEnd: e0 + groups.count, payloadStart: p0, payloadEnd: payloadList.count)
        for (j, g) in groups.enumerated() { edgeTargets[e0 + j] = build(g.1, g.2, depth + 1, order: order, phrases: phrases, ids: f) }
        return me
    }
}

/// A trie over token ids. Each node may end one or more phrases, whose payloads are opaque `Int32`s
/// chosen by the builder. Phrases are collected, then frozen into one flat `Int32` array: the root's
/// transitions are a dense array indexed by token id, and every other node is one record of that array,
/// `[edge count, payload count | flags << 24, payloads…, edge keys…, edge targets…]`, found at its node id (its
/// offset). Records are laid out breadth first, so that the nodes a walk reads first (the first words of phrases)
/// lie together, and a node's edges and payloads are read from the cache lines of its record, not from three other
/// arrays. Lookups allocate nothing and touch no reference counts.
public struct PhraseTrie: Sendable {
    @usableFromInline var root: [Int32]
    // Build-time structure: the phrases in insertion order, their ids one after another in `pendingIDs`.
    var pendingIDs: [Int32] = []
    var pending: [(start: Int32, count: Int32, payload: Int32)] = []
    /// The node records (offset 0 is an empty record no transition reaches), for walks that read them directly: the
    /// record at offset `o` is `[e, p | flags << 24, p payloads, e sorted edge keys, e edge targets]`.
    public private(set) var data: [Int32] = [0, 0]

    /// Flag bits a builder may set on nodes (`setFlag`), read with `flag`: 8 bits above the payload count.
    public static let flagShift: Int32 = 24

    public init(keyCount: Int) { root = [Int32](repeating: -1, count: keyCount) }

    /// Nodes of the frozen trie (node 0 is an empty node no transition reaches).
    public var nodeCount: Int { nodeIDs.count }

    /// The ids of the frozen trie's nodes (the empty node 0 first): the records one after another.
    public var nodeIDs: [Int32] {
        var ids: [Int32] = []
        var o = 0
        while o + 1 < data.count {
            ids.append(Int32(truncatingIfNeeded: o))
            o += 2 + Int(data[o + 1] & 0xFF_FFFF) + 2 * Int(data[o])
        }
        return ids
    }

    /// Adds a phrase (an empty one is ignored). A node's payloads keep the order their phrases were inserted in, each
    /// payload once.
    public mutating func insert(_ ids: [Int32], payload: Int32) {
        guard !ids.isEmpty else { return }
        pending.append((Int32(pendingIDs.count), Int32(ids.count), payload))
        pendingIDs.append(contentsOf: ids)
        frozen = false
    }

    var frozen = false

    /// Freezes the trie (called once after the last insert). The phrases are sorted by their ids (equal phrases in
    /// insertion order) and grouped into nodes depth first, with no per-node dictionary; the nodes are then written
    /// breadth first into the flat record array.
    public mutating func freeze() {
        var g = TrieGrouping()
        var rootNode = [Int](repeating: -1, count: root.count)
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
            var k = 0
            while k < order.count {
                let first = id(order[k], 0)
                var e = k + 1
                while e < order.count && id(order[e], 0) == first { e += 1 }
                if first >= 0 {
                    if Int(first) >= rootNode.count { rootNode.append(contentsOf: [Int](repeating: -1, count: Int(first) - rootNode.count + 1)) }
                    rootNode[Int(first)] = g.build(k, e, 1, order: order, phrases: phrases, ids: f)
                }
                k = e
            }
        }
        let nodes = g.nodes, edgeKeys = g.edgeKeys, edgeTargets = g.edgeTargets, payloadList = g.payloadList
        // Breadth first: the root's targets in key order, then their children, and so on.
        var queue: [Int] = []
        queue.reserveCapacity(nodes.count)
        for n in rootNode where n >= 0 { queue.append(n) }
        var head = 0
        while head < queue.count {
            let nd = nodes[queue[head]]
            head += 1
            for e in nd.edgeStart..<nd.edgeEnd { queue.append(edgeTargets[e]) }
        }
        var offset = [Int32](repeating: 0, count: nodes.count)
        var size = 2
        for n in queue {
            offset[n] = Int32(truncatingIfNeeded: size)
            size += 2 + (nodes[n].payloadEnd - nodes[n].payloadStart) + 2 * (nodes[n].edgeEnd - nodes[n].edgeStart)
        }
        var out: [Int32] = [0, 0]
        out.reserveCapacity(size)
        for n in queue {
            let nd = nodes[n]
            out.append(Int32(truncatingIfNeeded: nd.edgeEnd - nd.edgeStart))
            out.append(Int32(truncatingIfNeeded: nd.payloadEnd - nd.payloadStart))
            out.append(contentsOf: payloadList[nd.payloadStart..<nd.payloadEnd])
            out.append(contentsOf: edgeKeys[nd.edgeStart..<nd.edgeEnd])
            for e in nd.edgeStart..<nd.edgeEnd { out.append(offset[edgeTargets[e]]) }
        }
        data = out
        root = [Int32](repeating: -1, count: rootNode.count)
        for k in rootNode.indices where rootNode[k] >= 0 { root[k] = offset[rootNode[k]] }
        frozen = true
    }

    /// Whether `node` is the offset of a record whose header and contents lie in `data`.
    @inlinable @inline(__always)
    public func valid(_ node: Int32) -> Bool { node >= 0 && Int(node) + 1 < data.count }

    @inlinable @inline(__always)
    public func start(_ id: Int32) -> Int32? {
        guard id >= 0, Int(id) < root.count else { return nil }
        let n = root[Int(id)]
        return n >= 0 ? n : nil
    }

    @inlinable @inline(__always)
    public func next(_ node: Int32, _ id: Int32) -> Int32? {
        guard id >= 0, valid(node) else { return nil }
        return data.withUnsafeBufferPointer { d -> Int32? in
            let o = Int(node)
            let e = Int(d[o])
            let keys = o + 2 + Int(d[o + 1] & 0xFF_FFFF)
            guard e > 0, keys + 2 * e <= d.count else { return nil }
            var lo = keys, hi = keys + e
            while lo < hi {
                let mid = (lo + hi) >> 1
                let k = d[mid]
                if k == id { return d[mid + e] }
                if k < id { lo = mid + 1 } else { hi = mid }
            }
            return nil
        }
    }

    @inlinable @inline(__always)
    public func payloads(_ node: Int32) -> ArraySlice<Int32> {
        data[payloadRange(node)]
    }

    /// Indices of the payloads of `node`, read with `payload(at:)` (no slice to retain).
    @inlinable @inline(__always)
    public func payloadRange(_ node: Int32) -> Range<Int> {
        guard valid(node) else { return 0..<0 }
        let s = Int(node) + 2
        return s..<min(data.count, s + Int(data[Int(node) + 1] & 0xFF_FFFF))
    }

    @inlinable @inline(__always)
    public func payload(at k: Int) -> Int32 { k >= 0 && k < data.count ? data[k] : -1 }

    @inlinable @inline(__always)
    public func hasChildren(_ node: Int32) -> Bool {
        valid(node) && data[Int(node)] > 0
    }

    /// The nodes directly below `node`.
    public func children(_ node: Int32) -> [Int32] {
        guard valid(node) else { return [] }
        let e = Int(data[Int(node)])
        let targets = Int(node) + 2 + Int(data[Int(node) + 1] & 0xFF_FFFF) + e
        guard e > 0, targets + e <= data.count else { return [] }
        return Array(data[targets..<(targets + e)])
    }

    @inlinable @inline(__always)
    public func hasPayload(_ node: Int32) -> Bool {
        valid(node) && data[Int(node) + 1] & 0xFF_FFFF > 0
    }

    /// Sets flag `bit` (0-6) of `node`.
    public mutating func setFlag(_ node: Int32, _ bit: Int32) {
        guard valid(node), bit >= 0, bit < 7 else { return }
        data[Int(node) + 1] |= 1 << (PhraseTrie.flagShift + bit)
    }

    /// Whether flag `bit` of `node` is set.
    @inlinable @inline(__always)
    public func flag(_ node: Int32, _ bit: Int32) -> Bool {
        valid(node) && (data[Int(node) + 1] >> (PhraseTrie.flagShift + bit)) & 1 != 0
    }
}
