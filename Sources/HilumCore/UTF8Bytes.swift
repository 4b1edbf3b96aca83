/// UTF-8 validation for the per-record paths (JSON strings, corpus rows, NDJSON lines).
///
/// `String(validating:as:)` is generic over the encoding and is not specialized into callers: each call looks up
/// type metadata at run time, which cost more than the validation itself on a short report (about 650
/// instructions per string). This check is the same well-formedness test (Unicode 15, table 3-7: no overlong
/// forms, no surrogates, nothing above U+10FFFF), ASCII eight bytes at a time.
public enum UTF8Bytes {
    /// Whether `p` is well-formed UTF-8.
    public static func isValid(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = p.count
        guard let base = p.baseAddress else { return true }
        var i = 0
        while i < n {
            // ASCII runs, a word at a time.
            while i + 8 <= n, UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { i += 8 }
            guard i < n else { return true }
            let b0 = base[i]
            if b0 < 0x80 { i += 1; continue }
            @inline(__always) func cont(_ k: Int) -> Bool { i + k < n && base[i + k] & 0xC0 == 0x80 }
            switch b0 {
            case 0xC2...0xDF:
                guard cont(1) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard cont(1), cont(2) else { return false }
                let b1 = base[i + 1]
                if b0 == 0xE0 && b1 < 0xA0 { return false }       // overlong
                if b0 == 0xED && b1 > 0x9F { return false }       // surrogates
                i += 3
            case 0xF0...0xF4:
                guard cont(1), cont(2), cont(3) else { return false }
                let b1 = base[i + 1]
                if b0 == 0xF0 && b1 < 0x90 { return false }       // overlong
                if b0 == 0xF4 && b1 > 0x8F { return false }       // above U+10FFFF
                i += 4
            default:
                return false                                      // continuation byte, C0, C1 or F5-FF lead
            }
        }
        return true
    }

    /// The string of `p` if it is well-formed UTF-8, nil otherwise.
    @inlinable
    public static func string(_ p: UnsafeBufferPointer<UInt8>) -> String? {
        guard isValid(p) else { return nil }
        return String(decoding: p, as: UTF8.self)
    }

    /// The string of `bytes` if they are well-formed UTF-8, nil otherwise.
    @inlinable
    public static func string<C: Collection<UInt8>>(_ bytes: C) -> String? {
        if let s = bytes.withContiguousStorageIfAvailable({ string($0) }) { return s }
        return string(Array(bytes))
    }

    /// Whether `bytes` are well-formed UTF-8.
    @inlinable
    public static func isValid<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        if let v = bytes.withContiguousStorageIfAvailable({ isValid($0) }) { return v }
        return Array(bytes).withUnsafeBufferPointer { isValid($0) }
    }
}
