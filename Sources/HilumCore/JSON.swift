/// A JSON value, a strict parser with limits, and a fast writer. Hilum uses these for the NDJSON and
/// HTTP envelope and for its own outputs, so that key order is stable and nulls are explicit.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(b)
        case .number(let d): h.combine(d)
        case .string(let s): h.combine(s)
        case .array(let a): h.combine(a)
        case .object(let o): for (k, v) in o { h.combine(k); h.combine(v) }
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o.first { $0.0 == key }?.1 }
        return nil
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var double: Double? { if case .number(let d) = self { return d }; return nil }
    public var int: Int? {
        if case .number(let d) = self, d == d.rounded(), abs(d) < 9e15 { return Int(d) }
        return nil
    }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// Serializes compactly; object keys keep their order.
    public func serialized() -> String {
        var w = JSONWriter()
        w.value(self)
        return w.string
    }
}

/// Parses JSON text with limits on nesting depth and total size. Errors are `request.malformed_json`.
public struct JSONParser {
    public var maxDepth = 64
    public var maxBytes = 64 << 20
    public init() {}

    public func parse(_ text: String) throws(HilumError) -> JSONValue {
        let bytes = Array(text.utf8)
        do {
            return try bytes.withUnsafeBufferPointer { p in try parse(p) }
        } catch let e as HilumError {
            throw e
        } catch {
            throw HilumError("request.malformed_json", "\(error)")
        }
    }

    public func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(HilumError) -> JSONValue {
        if bytes.count > maxBytes { throw HilumError("request.too_large", "JSON document over \(maxBytes) bytes") }
        var i = 0
        skipWS(bytes, &i)
        let v = try value(bytes, &i, depth: 0)
        skipWS(bytes, &i)
        if i != bytes.count { throw err("unexpected data after the JSON value", i) }
        return v
    }

    func err(_ m: String, _ i: Int) -> HilumError { HilumError("request.malformed_json", "\(m) at byte \(i)") }

    @inline(__always)
    func skipWS(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
    }

    func value(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, depth: Int) throws(HilumError) -> JSONValue {
        guard depth <= maxDepth else { throw err("nesting deeper than \(maxDepth)", i) }
        guard i < p.count else { throw err("unexpected end of input", i) }
        switch p[i] {
        case 0x7B:  // {
            i += 1
            var out: [(String, JSONValue)] = []
            skipWS(p, &i)
            if i < p.count, p[i] == 0x7D { i += 1; return .object(out) }
            while true {
                skipWS(p, &i)
                guard i < p.count, p[i] == 0x22 else { throw err("expected a string key", i) }
                let k = try string(p, &i)
                skipWS(p, &i)
                guard i < p.count, p[i] == 0x3A else { throw err("expected ':'", i) }
                i += 1
                skipWS(p, &i)
                let v = try value(p, &i, depth: depth + 1)
                if let idx = out.firstIndex(where: { $0.0 == k }) { out[idx].1 = v } else { out.append((k, v)) }
                skipWS(p, &i)
                guard i < p.count else { throw err("unexpected end of input in object", i) }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x7D { i += 1; return .object(out) }
                throw err("expected ',' or '}'", i)
            }
        case 0x5B:  // [
            i += 1
            var out: [JSONValue] = []
            skipWS(p, &i)
            if i < p.count, p[i] == 0x5D { i += 1; return .array(out) }
            while true {
                skipWS(p, &i)
                out.append(try value(p, &i, depth: depth + 1))
                skipWS(p, &i)
                guard i < p.count else { throw err("unexpected end of input in array", i) }
                if p[i] == 0x2C { i += 1; continue }
                if p[i] == 0x5D { i += 1; return .array(out) }
                throw err("expected ',' or ']'", i)
            }
        case 0x22: return .string(try string(p, &i))
        case 0x74: try literal(p, &i, "true"); return .bool(true)
        case 0x66: try literal(p, &i, "false"); return .bool(false)
        case 0x6E: try literal(p, &i, "null"); return .null
        default: return .number(try number(p, &i))
        }
    }

    func literal(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ word: StaticString) throws(HilumError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= p.count else { throw err("invalid literal", i) }
        let w = word.utf8Start
        for k in 0..<n where p[i + k] != w[k] { throw err("invalid literal", i) }
        i += n
    }

    func number(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(HilumError) -> Double {
        let start = i
        if i < p.count, p[i] == 0x2D { i += 1 }
        var digits = 0
        while i < p.count, (p[i] >= 0x30 && p[i] <= 0x39) || p[i] == 0x2E || p[i] == 0x65 || p[i] == 0x45 || p[i] == 0x2B
            || p[i] == 0x2D {
            i += 1; digits += 1
        }
        guard digits > 0, i - start <= 64 else { throw err("invalid value", start) }
        let s = String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
        guard let d = Double(s), d.isFinite else { throw err("invalid number", start) }
        return d
    }

    /// The byte a one-letter escape stands for (`\n` is 0x0A), nil for any other letter.
    @inline(__always)
    static func simpleEscape(_ e: UInt8) -> UInt8? {
        switch e {
        case 0x22: return 0x22
        case 0x5C: return 0x5C
        case 0x2F: return 0x2F
        case 0x62: return 0x08
        case 0x66: return 0x0C
        case 0x6E: return 0x0A
        case 0x72: return 0x0D
        case 0x74: return 0x09
        default: return nil
        }
    }

    /// The scalar of a `\u` escape whose four hex digits start at `i` (a surrogate pair read as one; a lone
    /// surrogate is U+FFFD), `i` moved past it; nil when the digits are not hex (`i` unchanged).
    @inline(__always)
    func unicodeEscape(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> UInt32? {
        guard var v = hex4(p, i) else { return nil }
        i += 4
        if v >= 0xD800 && v < 0xDC00 {
            if i + 6 <= p.count, p[i] == 0x5C, p[i + 1] == 0x75, let lo = hex4(p, i + 2), lo >= 0xDC00, lo < 0xE000 {
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                i += 6
            } else {
                v = 0xFFFD
            }
        } else if v >= 0xDC00 && v < 0xE000 {
            v = 0xFFFD
        }
        return v
    }

    func hex4(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32? {
        guard i + 4 <= p.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = p[i + k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }


    func string(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(HilumError) -> String {
        let start = i
        i += 1
        // Fast path: no escape before the closing quote (most strings) is validated straight from the input.
        let j = JSONBytes.plainRunEnd(p, i)
        if j < p.count, p[j] == 0x22 {
            guard let s = UTF8Bytes.string(UnsafeBufferPointer(rebasing: p[i..<j])) else {
                throw HilumError("request.invalid_utf8", "string is not valid UTF-8 (starting at byte \(start))")
            }
            i = j + 1
            return s
        }
        // Escapes. The text is never longer than its escaped form, so when the closing quote is found it is unescaped
        // straight into a String of that capacity (no array in between, no copy). Input that ends or breaks before a
        // closing quote takes the checking loop further down, which names the error.
        var end = j
        while end < p.count {
            end = JSONBytes.plainRunEnd(p, end)
            guard end < p.count, p[end] == 0x5C else { break }
            end += 2
        }
        if end < p.count, p[end] == 0x22 {
            var failure: HilumError? = nil
            var k = j
            let s = String(unsafeUninitializedCapacity: end - i) { dst -> Int in
                guard let d = dst.baseAddress, let src = p.baseAddress else { return 0 }
                var o = 0
                var simpleStart = i
                @inline(__always) func copy(_ a: Int, _ b: Int) {
                    guard b > a, o + b - a <= dst.count else { return }
                    (d + o).update(from: src + a, count: b - a)
                    o += b - a
                }
                while true {
                    k = JSONBytes.plainRunEnd(p, k)
                    guard k < p.count else { failure = err("unterminated string", start); return 0 }
                    let b = p[k]
                    if b == 0x22 {
                        copy(simpleStart, k)
                        k += 1
                        break
                    }
                    if b < 0x20 { failure = err("control character in string", k); return 0 }
                    if b == 0x5C {
                        copy(simpleStart, k)
                        guard k + 1 < p.count else { failure = err("unterminated escape", k); return 0 }
                        let e = p[k + 1]
                        k += 2
                        if e == 0x75 {
                            guard let v = unicodeEscape(p, &k) else { failure = err("invalid \\u escape", k); return 0 }
                            // Six escaped bytes (twelve for a pair) hold at most three UTF-8 bytes (four): room is left.
                            guard o + 4 <= dst.count else { failure = err("invalid \\u escape", k); return 0 }
                            o += JSONBytes.putUTF8(v, d + o)
                            simpleStart = k
                            continue
                        }
                        guard let byte = JSONParser.simpleEscape(e) else { failure = err("invalid escape", k - 1); return 0 }
                        guard o < dst.count else { return 0 }
                        d[o] = byte
                        o += 1
                        simpleStart = k
                        continue
                    }
                    k += 1
                }
                if !UTF8Bytes.isValid(UnsafeBufferPointer(start: d, count: o)) {
                    failure = HilumError("request.invalid_utf8", "string is not valid UTF-8 (starting at byte \(start))")
                    return 0
                }
                return o
            }
            if let failure { throw failure }
            i = k
            return s
        }
        var out: [UInt8] = []
        out.reserveCapacity(j - i + 16)
        try unescape(p, &i, start: start, into: &out)
        guard let s = UTF8Bytes.string(out) else { throw HilumError("request.invalid_utf8", "string is not valid UTF-8 (starting at byte \(start))") }
        return s
    }

    /// The JSON string at `p[i]` (its opening quote), unescaped into `out` (appended), `i` moved past its closing
    /// quote: the bytes `string` makes its String of, checked as well-formed UTF-8. Throws as `string` does.
    public func decodeString(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, into out: inout [UInt8]) throws(HilumError) {
        guard i < p.count, p[i] == 0x22 else { throw err("expected a string", i) }
        let start = i, first = out.count
        i += 1
        try unescape(p, &i, start: start, into: &out)
        let valid = out.withUnsafeBufferPointer { UTF8Bytes.isValid(UnsafeBufferPointer(rebasing: $0[first...])) }
        guard valid else { throw HilumError("request.invalid_utf8", "string is not valid UTF-8 (starting at byte \(start))") }
    }

    /// Appends the unescaped bytes of a string to `out`, from `i` (after its opening quote) to its closing quote, and
    /// moves `i` past that quote. UTF-8 is not checked. `start` (the opening quote) is for messages.
    func unescape(_ p: UnsafeBufferPointer<UInt8>, _ i: inout Int, start: Int, into out: inout [UInt8]) throws(HilumError) {
        var simpleStart = i
        while true {
            // Runs of plain bytes are skipped in one step.
            i = JSONBytes.plainRunEnd(p, i)
            guard i < p.count else { throw err("unterminated string", start) }
            let b = p[i]
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[simpleStart..<i]))
            if b == 0x22 {
                i += 1
                return
            }
            if b < 0x20 { throw err("control character in string", i) }
            // A backslash.
            guard i + 1 < p.count else { throw err("unterminated escape", i) }
            let e = p[i + 1]
            i += 2
            if e == 0x75 {
                guard let v = unicodeEscape(p, &i) else { throw err("invalid \\u escape", i) }
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4) { b in
                    guard let d = b.baseAddress else { return }
                    out.append(contentsOf: UnsafeBufferPointer(start: d, count: JSONBytes.putUTF8(v, d)))
                }
            } else {
                guard let byte = JSONParser.simpleEscape(e) else { throw err("invalid escape", i - 1) }
                out.append(byte)
            }
            simpleStart = i
        }
    }
}

/// The byte scan JSON reading and writing share: runs of string bytes that need no escape.
@usableFromInline
enum JSONBytes {
    /// Writes the UTF-8 bytes of scalar `v` (not a surrogate, at most U+10FFFF) at `d`; returns their count.
    @inline(__always)
    static func putUTF8(_ v: UInt32, _ d: UnsafeMutablePointer<UInt8>) -> Int {
        if v < 0x80 { d[0] = UInt8(truncatingIfNeeded: v); return 1 }
        if v < 0x800 {
            d[0] = UInt8(truncatingIfNeeded: 0xC0 | v >> 6); d[1] = UInt8(truncatingIfNeeded: 0x80 | v & 0x3F)
            return 2
        }
        if v < 0x10000 {
            d[0] = UInt8(truncatingIfNeeded: 0xE0 | v >> 12); d[1] = UInt8(truncatingIfNeeded: 0x80 | (v >> 6) & 0x3F)
            d[2] = UInt8(truncatingIfNeeded: 0x80 | v & 0x3F)
            return 3
        }
        d[0] = UInt8(truncatingIfNeeded: 0xF0 | v >> 18); d[1] = UInt8(truncatingIfNeeded: 0x80 | (v >> 12) & 0x3F)
        d[2] = UInt8(truncatingIfNeeded: 0x80 | (v >> 6) & 0x3F); d[3] = UInt8(truncatingIfNeeded: 0x80 | v & 0x3F)
        return 4
    }

    /// The index of the first byte at or after `from` that ends a run of plain string bytes: `"`, `\\` or a control
    /// byte (or `p.count`). Eight bytes at a time with the exact word tests for "a byte below 0x20" and "a byte equal to".
    @inlinable @inline(__always)
    static func plainRunEnd(_ p: UnsafeBufferPointer<UInt8>, _ from: Int) -> Int {
        var j = from
        let n = p.count
        if let base = p.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            while j + 8 <= n {
                let w = UInt64(littleEndian: UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self))
                let q = w ^ (ones &* 0x22), bs = w ^ (ones &* 0x5C)
                let stop = ((w &- ones &* 0x20) | (q &- ones) | (bs &- ones)) & ~w & highs
                if stop != 0 { return j + stop.trailingZeroBitCount >> 3 }
                j += 8
            }
        }
        while j < n {
            let b = p[j]
            if b == 0x22 || b == 0x5C || b < 0x20 { break }
            j += 1
        }
        return j
    }
}

/// A value written as a fixed JSON literal (the enums of `Values.swift`).
public protocol JSONLiteralValue {
    /// The value as JSON, quotes included.
    var jsonLiteral: StaticString { get }
}

/// Appends JSON to a byte buffer. Strings are escaped per RFC 8259; non-ASCII is written as UTF-8.
///
/// The buffer is raw memory grown by doubling, and every writer method is inlinable: a report's JSON is several
/// hundred small appends (keys, commas, short strings), and an `Array` append costs a uniqueness check, a capacity
/// check and a call each. A writer cannot be copied (`~Copyable`): it owns its memory alone, so a write needs no
/// reference count and no uniqueness check; pass it `inout`.
public struct JSONWriter: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var used = 0
    @usableFromInline var capacity: Int

    /// Room for 8 KB at first: an analyze result (a few KB for most reports) is written without growing the buffer.
    public init() {
        capacity = 8192
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: 8192)
    }

    deinit { base.deallocate() }

    /// Grows to hold at least `need` bytes.
    @usableFromInline @inline(never)
    mutating func grow(to need: Int) {
        var c = Swift.max(capacity, 64) * 2
        while c < need { c *= 2 }
        let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        nb.update(from: base, count: used)
        base.deallocate()
        base = nb
        capacity = c
    }

    /// The JSON written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: used)) }
    /// Its length in bytes.
    @inlinable public var count: Int { used }
    public var string: String { String(decoding: UnsafeBufferPointer(start: base, count: used), as: UTF8.self) }

    /// Room for `n` more bytes; returns where they go (the caller then adds `n` to the count).
    @inlinable @inline(__always)
    mutating func room(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        let need = used + n
        if need > capacity { grow(to: need) }
        return base + used
    }

    /// Appends one byte as it is (no escaping).
    @inlinable @inline(__always)
    public mutating func byte(_ b: UInt8) {
        room(1).pointee = b
        used += 1
    }

    /// Appends bytes as they are (no escaping): already serialized JSON, a line break.
    @inlinable @inline(__always)
    public mutating func raw(bytes p: UnsafeBufferPointer<UInt8>) {
        guard let src = p.baseAddress, p.count > 0 else { return }
        room(p.count).update(from: src, count: p.count)
        used += p.count
    }

    /// `raw(bytes:)` for a string's UTF-8 (already serialized JSON).
    @inlinable
    public mutating func raw(utf8 s: String) {
        var s = s
        s.withUTF8 { raw(bytes: $0) }
    }

    /// `raw(bytes:)` for an array (JSON written before).
    @inlinable @inline(__always)
    public mutating func raw(_ a: [UInt8]) {
        a.withUnsafeBufferPointer { raw(bytes: $0) }
    }

    @inlinable @inline(__always) public mutating func raw(_ s: StaticString) {
        raw(bytes: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    @inlinable
    public mutating func string(_ s: String) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { quoted($0) }
        if done == nil {
            var c = s
            c.withUTF8 { quoted($0) }
        }
    }

    /// `p` as a JSON string. Most strings need no escape: those are written with their quotes in one step.
    @inlinable
    mutating func quoted(_ p: UnsafeBufferPointer<UInt8>) {
        let n = p.count
        guard let src = p.baseAddress, JSONBytes.plainRunEnd(p, 0) == n else {
            byte(0x22); appendEscaped(p); byte(0x22)
            return
        }
        let d = room(n + 2)
        d.pointee = 0x22
        (d + 1).update(from: src, count: n)
        d[n + 1] = 0x22
        used += n + 2
    }


    @inlinable
    mutating func appendEscaped(_ p: UnsafeBufferPointer<UInt8>) {
        guard let base = p.baseAddress else { return }
        let n = p.count
        var start = 0
        while true {
            // Copy each run of plain bytes at once, then escape the byte that ended it.
            let i = JSONBytes.plainRunEnd(p, start)
            if i > start { raw(bytes: UnsafeBufferPointer(start: base + start, count: i - start)) }
            guard i < n else { return }
            escape(base[i])
            start = i + 1
        }
    }

    @usableFromInline
    mutating func escape(_ b: UInt8) {
        switch b {
        case 0x22: raw("\\\"")
        case 0x5C: raw("\\\\")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        default:
            let hex: StaticString = "0123456789abcdef"
            raw("\\u00")
            byte(hex.utf8Start[Int(b >> 4)])
            byte(hex.utf8Start[Int(b & 0xF)])
        }
    }

    @inlinable
    public mutating func key(_ k: StaticString) {
        let n = k.utf8CodeUnitCount
        let p = room(n + 3)
        p.pointee = 0x22
        (p + 1).update(from: k.utf8Start, count: n)
        p[n + 1] = 0x22
        p[n + 2] = 0x3A
        used += n + 3
    }
    /// Dynamic keys; literals take the `StaticString` overload (no escaping scan).
    @_disfavoredOverload @inlinable public mutating func key(_ k: String) { string(k); byte(0x3A) }
    @inlinable @inline(__always) public mutating func comma() { byte(0x2C) }
    @inlinable
    public mutating func int(_ v: Int) {
        if v >= 0 && v < 10 { byte(UInt8(0x30 + v)); return }
        if v < 0 {
            // Int.min has no positive counterpart (it was written as -Int.max).
            if v == Int.min { raw("-9223372036854775808"); return }
            byte(0x2D); int(-v); return
        }
        let p = room(20)
        used += JSONWriter.putDigits(v, p)
    }

    /// Writes the decimal digits of `v` (not negative) at `p`, which has room for 20 bytes; returns their count.
    /// Numbers of up to five digits (spans, counts) are written without a loop.
    @usableFromInline @inline(__always)
    static func putDigits(_ v: Int, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        @inline(__always) func d(_ x: Int) -> UInt8 { UInt8(truncatingIfNeeded: 0x30 &+ x) }
        if v < 10 { p[0] = d(v); return 1 }
        if v < 100 { p[0] = d(v / 10); p[1] = d(v % 10); return 2 }
        if v < 1000 { p[0] = d(v / 100); p[1] = d(v / 10 % 10); p[2] = d(v % 10); return 3 }
        if v < 10000 { p[0] = d(v / 1000); p[1] = d(v / 100 % 10); p[2] = d(v / 10 % 10); p[3] = d(v % 10); return 4 }
        if v < 100_000 {
            p[0] = d(v / 10000); p[1] = d(v / 1000 % 10); p[2] = d(v / 100 % 10); p[3] = d(v / 10 % 10); p[4] = d(v % 10)
            return 5
        }
        var n = 0
        var t = v
        while t > 0 { n += 1; t /= 10 }
        var x = v
        var k = n - 1
        while x > 0 && k >= 0 { p[k] = d(x % 10); x /= 10; k -= 1 }
        return n
    }
    public mutating func double(_ v: Double) {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { int(Int(v)); return }
        if !v.isFinite { raw("null"); return }
        raw(utf8: String(v))
    }
    @inlinable public mutating func bool(_ v: Bool) { if v { raw("true") } else { raw("false") } }
    @inlinable public mutating func null() { raw("null") }
    /// A value enum as its JSON string (the literal holds the quotes).
    @inlinable @inline(__always) public mutating func literal<T: JSONLiteralValue>(_ v: T) { raw(v.jsonLiteral) }
    @inlinable @inline(__always) public mutating func optLiteral<T: JSONLiteralValue>(_ v: T?) {
        if let v { raw(v.jsonLiteral) } else { raw("null") }
    }
    /// `,"key":` in one write.
    @inlinable @inline(__always) public mutating func nextKey(_ k: StaticString) {
        let n = k.utf8CodeUnitCount
        let p = room(n + 4)
        p.pointee = 0x2C
        p[1] = 0x22
        (p + 2).update(from: k.utf8Start, count: n)
        p[n + 2] = 0x22
        p[n + 3] = 0x3A
        used += n + 4
    }
    @inlinable public mutating func optString(_ s: String?) { if let s { string(s) } else { null() } }
    @inlinable
    public mutating func span(_ s: TextSpan) {
        // Spans are never negative: `[start,end]` in one write (one check of room, not five).
        guard s.start >= 0, s.end >= 0 else { byte(0x5B); int(s.start); byte(0x2C); int(s.end); byte(0x5D); return }
        let p = room(43)
        p[0] = 0x5B
        var n = 1 + JSONWriter.putDigits(s.start, p + 1)
        p[n] = 0x2C
        n += 1
        n += JSONWriter.putDigits(s.end, p + n)
        p[n] = 0x5D
        used += n + 1
    }
    @inlinable
    public mutating func stringArray(_ a: [String]) {
        byte(0x5B)
        for i in a.indices { if i > 0 { comma() }; string(a[i]) }
        byte(0x5D)
    }

    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let d): double(d)
        case .string(let s): string(s)
        case .array(let a):
            byte(0x5B)
            for (i, x) in a.enumerated() { if i > 0 { comma() }; value(x) }
            byte(0x5D)
        case .object(let o):
            byte(0x7B)
            for (i, (k, x)) in o.enumerated() { if i > 0 { comma() }; key(k); value(x) }
            byte(0x7D)
        }
    }
}
