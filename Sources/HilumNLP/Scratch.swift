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
    /// The buffers, moved in and out as one value (one exclusivity check, not one per array).
    struct Buffers {
        var bytes: [UInt8] = []
        var tokens: [Token] = []
        var ids: [Int32] = []
        var exactIDs: [Int32] = []
        var wordPos: [Int32] = []
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
        var evidenceLog = Document.MentionLog<Document.Ev>()
        var sites = Document.MentionLog<Int32>()
    }
    var store = Buffers()

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
        guard s.store.tokens.capacity <= keepLimit, s.store.bytes.capacity <= keepLimit * 8, pthread_getspecific(key) == nil else { return }
        _ = pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
    }
}

extension Document {
    /// Moves the scratch buffers into this document, emptied with their capacity kept (`bytes` is taken by `init`).
    /// The per-token arrays that are always refilled before they are read (`Document.refill`) keep their contents.
    mutating func adopt(_ s: AnalysisScratch) {
        // Swaps, not copies: each array stays uniquely referenced, so emptying it keeps its storage.
        var b = AnalysisScratch.Buffers()
        swap(&b, &s.store)
        swap(&tokens, &b.tokens); tokens.removeAll(keepingCapacity: true)
        swap(&ids, &b.ids)
        swap(&exactIDs, &b.exactIDs)
        swap(&wordPos, &b.wordPos)
        swap(&headerToken, &b.headerToken)
        swap(&sentences, &b.sentences); sentences.removeAll(keepingCapacity: true)
        swap(&mentions, &b.mentions); mentions.removeAll(keepingCapacity: true)
        swap(&anatomy, &b.anatomy); anatomy.removeAll(keepingCapacity: true)
        swap(&cueHits, &b.cueHits); cueHits.removeAll(keepingCapacity: true)
        swap(&anchorHits, &b.anchorHits); anchorHits.removeAll(keepingCapacity: true)
        swap(&termPrefix, &b.termPrefix); termPrefix.removeAll(keepingCapacity: true)   // refilled only when the language has tries
        swap(&cueStart, &b.cueStart); cueStart.removeAll(keepingCapacity: true)
        swap(&longestEnd, &b.longestEnd)
        swap(&longestNode, &b.longestNode)
        swap(&evidenceLog, &b.evidenceLog); evidenceLog.removeAll()
        swap(&sites, &b.sites); sites.removeAll()
    }

    /// Moves this document's buffers back into the scratch (the document is done).
    mutating func recycle(into s: AnalysisScratch) {
        var b = AnalysisScratch.Buffers()
        swap(&b.bytes, &bytes); swap(&b.tokens, &tokens); swap(&b.ids, &ids); swap(&b.exactIDs, &exactIDs)
        swap(&b.wordPos, &wordPos); swap(&b.headerToken, &headerToken)
        swap(&b.sentences, &sentences); swap(&b.mentions, &mentions); swap(&b.anatomy, &anatomy); swap(&b.cueHits, &cueHits)
        swap(&b.anchorHits, &anchorHits); swap(&b.termPrefix, &termPrefix); swap(&b.cueStart, &cueStart)
        swap(&b.longestEnd, &longestEnd); swap(&b.longestNode, &longestNode)
        swap(&b.evidenceLog, &evidenceLog); swap(&b.sites, &sites)
        s.store = b
    }
}
