#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import HilumCore

/// The buffers of one analysis (bytes, tokens, per-token ids, sentences, mentions, cue hits, …), kept per thread
/// between analyses so that a report costs no allocation for them once the thread has seen a report as long.
///
/// A thread takes its scratch at the start of an analysis and gives it back at the end; an analysis started while
/// the thread's scratch is out (none is, today) gets a fresh one. Buffers grown past `keepLimit` tokens by a huge
/// report are dropped rather than kept, so that one 10 MB report does not pin its memory to the thread.
final class AnalysisScratch {
    var bytes: [UInt8] = []
    var tokens: [Token] = []
    var ids: [Int32] = []
    var exactIDs: [Int32] = []
    var wordPos: [Int32] = []
    var tokenSection: [Int32] = []
    var headerToken: [Bool] = []
    var sentences: [Range<Int>] = []
    var mentions: [Document.Mention] = []
    var anatomy: [Document.AnatomyMention] = []
    var cueHits: [Document.CueHit] = []
    var anchorHits: [Document.AnchorHit] = []
    var termPrefix: [Int32] = []
    var cueStart: [Int] = []
    var longestEnd: [Int32] = []
    var longestNode: [Int32] = []

    /// Buffers sized for more tokens than this are not kept.
    static let keepLimit = 1 << 16

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        #if canImport(Darwin)
        _ = pthread_key_create(&k) { p in Unmanaged<AnalysisScratch>.fromOpaque(p).release() }
        #else
        _ = pthread_key_create(&k) { p in
            if let p { Unmanaged<AnalysisScratch>.fromOpaque(p).release() }
        }
        #endif
        return k
    }()

    /// This thread's scratch (removed from the thread until `give`), or a new one.
    static func take() -> AnalysisScratch {
        if let p = pthread_getspecific(key) {
            _ = pthread_setspecific(key, nil)
            return Unmanaged<AnalysisScratch>.fromOpaque(p).takeRetainedValue()
        }
        return AnalysisScratch()
    }

    /// Returns a scratch to this thread for the next analysis.
    static func give(_ s: AnalysisScratch) {
        guard s.tokens.capacity <= keepLimit, s.bytes.capacity <= keepLimit * 8, pthread_getspecific(key) == nil else { return }
        _ = pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
    }
}

extension Document {
    /// Moves the scratch buffers into this document (emptied, capacity kept).
    mutating func adopt(_ s: AnalysisScratch) {
        func move<T>(_ a: inout [T], _ b: inout [T]) {
            swap(&a, &b)
            a.removeAll(keepingCapacity: true)
        }
        move(&tokens, &s.tokens); move(&ids, &s.ids); move(&exactIDs, &s.exactIDs); move(&wordPos, &s.wordPos)
        move(&tokenSection, &s.tokenSection); move(&headerToken, &s.headerToken); move(&sentences, &s.sentences)
        move(&mentions, &s.mentions); move(&anatomy, &s.anatomy); move(&cueHits, &s.cueHits); move(&anchorHits, &s.anchorHits)
        move(&termPrefix, &s.termPrefix); move(&cueStart, &s.cueStart); move(&longestEnd, &s.longestEnd)
        move(&longestNode, &s.longestNode)
    }

    /// Moves this document's buffers back into the scratch (the document is done).
    mutating func recycle(into s: AnalysisScratch) {
        swap(&bytes, &s.bytes); swap(&tokens, &s.tokens); swap(&ids, &s.ids); swap(&exactIDs, &s.exactIDs)
        swap(&wordPos, &s.wordPos); swap(&tokenSection, &s.tokenSection); swap(&headerToken, &s.headerToken)
        swap(&sentences, &s.sentences); swap(&mentions, &s.mentions); swap(&anatomy, &s.anatomy); swap(&cueHits, &s.cueHits)
        swap(&anchorHits, &s.anchorHits); swap(&termPrefix, &s.termPrefix); swap(&cueStart, &s.cueStart)
        swap(&longestEnd, &s.longestEnd); swap(&longestNode, &s.longestNode)
    }
}
