/// An open-addressing hash table from byte strings (normalized token keys) to dense `Int32` ids.
/// Built once when the ontology is compiled; lookups take a pointer and length and allocate nothing.
public struct KeyTable: Sendable {
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var hash: UInt64
        @usableFromInline var offset: Int32
        @usableFromInline var length: Int32
    }
    @usableFromInline var slots: [Int32]
    @usableFromInline var entries: [Entry] = []
    /// Every key's bytes, one after another, then `KeyTable.pad` zero bytes (so that `lookup(padded:count:)` may
    /// read any key eight bytes at a time).
    @usableFromInline var arena: [UInt8] = [UInt8](repeating: 0, count: KeyTable.pad)
    @usableFromInline var mask: Int
    @usableFromInline static let pad = 8

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
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
            if i < n {
                var w: UInt64 = 0
                var shift: UInt64 = 0
                while i < n {
                    w |= UInt64(base[i]) << shift
                    shift += 8
                    i += 1
                }
                h = mix(h, w)
            }
        }
        return finish(h)
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

    /// The id of the entry with hash `h` and length `n` whose bytes `same(arena, offset)` accepts (the one probe
    /// loop of the lookups). `slots` has `mask + 1` entries and always an empty one (load factor <= 1/2).
    @inlinable @inline(__always)
    func probe(_ h: UInt64, _ n: Int, _ same: (UnsafeRawBufferPointer, Int) -> Bool) -> Int32? {
        let m = mask
        return slots.withUnsafeBufferPointer { sl in
            entries.withUnsafeBufferPointer { en in
                arena.withUnsafeBytes { a in
                    var s = Int(truncatingIfNeeded: h) & m
                    while true {
                        let id = sl[s]
                        if id < 0 { return nil }
                        let e = en[Int(id)]
                        if e.hash == h && Int(e.length) == n && same(a, Int(e.offset)) { return id }
                        s = (s + 1) & m
                    }
                }
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
        insertSlot(id, h)
        return id
    }

    private mutating func insertSlot(_ id: Int32, _ h: UInt64) {
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = id
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (id, e) in entries.enumerated() { insertSlot(Int32(id), e.hash) }
    }

    /// The id of a key, or nil.
    @inlinable
    public func lookup(_ p: UnsafeBufferPointer<UInt8>) -> Int32? {
        probe(KeyTable.hash(p), p.count) { a, o in
            var j = 0
            while j < p.count && a[o + j] == p[j] { j += 1 }
            return j == p.count
        }
    }

    public func lookup(_ key: [UInt8]) -> Int32? { key.withUnsafeBufferPointer { lookup($0) } }

    /// The id of a key of `n` (1...8) bytes held in `w` (little-endian, bytes from `n` on zero): the same id as the
    /// other lookups, with one hash round and one compare.
    @inlinable
    public func lookup(word w: UInt64, count n: Int) -> Int32? {
        let keep: UInt64 = n >= 8 ? ~0 : (1 << UInt64(n * 8)) &- 1
        // `offset + 8 <= arena.count` (the arena ends with `pad` zero bytes).
        return probe(KeyTable.finish(KeyTable.mix(KeyTable.seed(n), w)), n) { a, o in
            UInt64(littleEndian: a.loadUnaligned(fromByteOffset: o, as: UInt64.self)) & keep == w
        }
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
        // `offset + length + pad <= arena.count`: whole words may be read; the last is masked.
        return probe(KeyTable.finish(h), n) { a, o in
            var j = 0
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
/// chosen by the builder. Built with dictionaries, then frozen into flat sorted arrays: the root's
/// transitions are a dense array indexed by token id, other nodes binary-search their edge slice.
/// Lookups allocate nothing and touch no reference counts.
public struct PhraseTrie: Sendable {
    @usableFromInline var root: [Int32]
    // Build-time structure.
    var building: [[Int32: Int32]] = [[:]]
    var buildPayloads: [[Int32]] = [[]]
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

    public var nodeCount: Int { building.count }

    public mutating func insert(_ ids: [Int32], payload: Int32) {
        guard let first = ids.first else { return }
        var node: Int32
        if Int(first) < root.count, root[Int(first)] >= 0 {
            node = root[Int(first)]
        } else {
            node = Int32(building.count)
            building.append([:]); buildPayloads.append([])
            if Int(first) >= root.count { root.append(contentsOf: [Int32](repeating: -1, count: Int(first) - root.count + 1)) }
            root[Int(first)] = node
        }
        for id in ids.dropFirst() {
            if let next = building[Int(node)][id] {
                node = next
            } else {
                let next = Int32(building.count)
                building.append([:]); buildPayloads.append([])
                building[Int(node)][id] = next
                node = next
            }
        }
        if !buildPayloads[Int(node)].contains(payload) { buildPayloads[Int(node)].append(payload) }
        frozen = false
    }

    var frozen = false

    /// Freezes the trie into flat arrays (called once after the last insert).
    public mutating func freeze() {
        nodes = []; edgeKeys = []; payloadList = []; edgeTargets = []
        nodes.reserveCapacity(building.count)
        for n in building.indices {
            let e0 = Int32(edgeKeys.count), p0 = Int32(payloadList.count)
            for (k, t) in building[n].sorted(by: { $0.key < $1.key }) { edgeKeys.append(k); edgeTargets.append(t) }
            payloadList.append(contentsOf: buildPayloads[n])
            nodes.append(Node(edgeStart: e0, edgeEnd: Int32(edgeKeys.count), payloadStart: p0, payloadEnd: Int32(payloadList.count)))
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
