/// An open-addressing hash table from byte strings (normalized token keys) to dense `Int32` ids.
/// Built once when the ontology is compiled; lookups take a pointer and length and allocate nothing.
public struct KeyTable: Sendable {
    private var slots: [Int32]
    private var offsets: [Int32] = []
    private var lengths: [Int32] = []
    private var hashes: [UInt64] = []
    private var arena: [UInt8] = []
    private var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    public var count: Int { offsets.count }

    @inline(__always)
    static func hash(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in p { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h ^ (h >> 29)
    }

    /// Returns the id of `key`, adding it if new.
    public mutating func intern(_ key: [UInt8]) -> Int32 {
        if let id = key.withUnsafeBufferPointer({ lookup($0) }) { return id }
        if (offsets.count + 1) * 2 > slots.count { grow() }
        let id = Int32(offsets.count)
        let h = key.withUnsafeBufferPointer { KeyTable.hash($0) }
        offsets.append(Int32(arena.count))
        lengths.append(Int32(key.count))
        hashes.append(h)
        arena.append(contentsOf: key)
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
        for (id, h) in hashes.enumerated() { insertSlot(Int32(id), h) }
    }

    /// The id of a key, or nil.
    @inline(__always)
    public func lookup(_ p: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = KeyTable.hash(p)
        var i = Int(truncatingIfNeeded: h) & mask
        return arena.withUnsafeBufferPointer { a in
            while true {
                let id = slots[i]
                if id < 0 { return nil }
                let k = Int(id)
                if hashes[k] == h && Int(lengths[k]) == p.count {
                    let o = Int(offsets[k])
                    var same = true
                    var j = 0
                    while j < p.count {
                        if a[o + j] != p[j] { same = false; break }
                        j += 1
                    }
                    if same { return id }
                }
                i = (i + 1) & mask
            }
        }
    }

    public func lookup(_ key: [UInt8]) -> Int32? { key.withUnsafeBufferPointer { lookup($0) } }
}

/// A trie over token ids. Each node may end one or more phrases, whose payloads are opaque `Int32`s
/// chosen by the builder. Built with dictionaries, then frozen into flat sorted arrays: the root's
/// transitions are a dense array indexed by token id, other nodes binary-search their edge slice.
/// Lookups allocate nothing and touch no reference counts.
public struct PhraseTrie: Sendable {
    var root: [Int32]
    // Build-time structure.
    var building: [[Int32: Int32]] = [[:]]
    var buildPayloads: [[Int32]] = [[]]
    // Frozen structure.
    var edgeStart: [Int32] = []
    var edgeKeys: [Int32] = []
    var edgeTargets: [Int32] = []
    var payloadStart: [Int32] = []
    var payloadList: [Int32] = []

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
        edgeStart = [0]; edgeKeys = []; edgeTargets = []
        payloadStart = [0]; payloadList = []
        for n in building.indices {
            for (k, t) in building[n].sorted(by: { $0.key < $1.key }) { edgeKeys.append(k); edgeTargets.append(t) }
            edgeStart.append(Int32(edgeKeys.count))
            payloadList.append(contentsOf: buildPayloads[n])
            payloadStart.append(Int32(payloadList.count))
        }
        frozen = true
    }

    @inline(__always)
    public func start(_ id: Int32) -> Int32? {
        guard id >= 0, Int(id) < root.count else { return nil }
        let n = root[Int(id)]
        return n >= 0 ? n : nil
    }

    @inline(__always)
    public func next(_ node: Int32, _ id: Int32) -> Int32? {
        guard id >= 0, Int(node) + 1 < edgeStart.count else { return nil }
        var lo = Int(edgeStart[Int(node)]), hi = Int(edgeStart[Int(node) + 1])
        while lo < hi {
            let mid = (lo + hi) >> 1
            let k = edgeKeys[mid]
            if k == id { return edgeTargets[mid] }
            if k < id { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }

    @inline(__always)
    public func payloads(_ node: Int32) -> ArraySlice<Int32> {
        guard Int(node) + 1 < payloadStart.count else { return [] }
        return payloadList[Int(payloadStart[Int(node)])..<Int(payloadStart[Int(node) + 1])]
    }

    @inline(__always)
    public func hasChildren(_ node: Int32) -> Bool {
        Int(node) + 1 < edgeStart.count && edgeStart[Int(node) + 1] > edgeStart[Int(node)]
    }

    /// The nodes directly below `node`.
    public func children(_ node: Int32) -> [Int32] {
        guard Int(node) + 1 < edgeStart.count else { return [] }
        return Array(edgeTargets[Int(edgeStart[Int(node)])..<Int(edgeStart[Int(node) + 1])])
    }

    @inline(__always)
    public func hasPayload(_ node: Int32) -> Bool {
        Int(node) + 1 < payloadStart.count && payloadStart[Int(node) + 1] > payloadStart[Int(node)]
    }
}
