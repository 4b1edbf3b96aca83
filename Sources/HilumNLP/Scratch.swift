#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import HilumCore
internal import HilumOntology

/// The document of one analysis (bytes, tokens, per-token ids, sentences, mentions, cue hits, …), kept per thread
/// between analyses so that a report costs no allocation for its buffers once the thread has seen a report as long.
///
/// A thread takes its scratch at the start of an analysis and gives it back at the end; an analysis started while
/// the thread's scratch is out (none is, today) gets a fresh one. A document grown past `keepLimit` tokens by a huge
/// report is dropped rather than kept, so that one 10 MB report does not pin its memory to the thread. A kept document
/// holds neither the report's text nor the ontology.
final class AnalysisScratch {
    var doc: Document

    init(box: OntologyBox) { doc = Document(box: box) }

    /// Buffers sized for more tokens than this are not kept.
    static let keepLimit = 1 << 16

    /// What an idle document points at, so that a thread's scratch keeps no ontology alive after a reload.
    static let idle = OntologyBox(Ontology.empty)

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
    static func take(box: OntologyBox) -> AnalysisScratch {
        if let p = pthread_getspecific(key) {
            _ = pthread_setspecific(key, nil)
            return Unmanaged<AnalysisScratch>.fromOpaque(p).takeRetainedValue()
        }
        return AnalysisScratch(box: box)
    }

    /// Returns a scratch to this thread for the next analysis.
    static func give(_ s: AnalysisScratch) {
        guard s.doc.tokens.capacity <= keepLimit, s.doc.bytes.capacity <= keepLimit * 8, pthread_getspecific(key) == nil else { return }
        s.doc.text = ""
        s.doc.box = idle
        _ = pthread_setspecific(key, Unmanaged.passRetained(s).toOpaque())
    }
}
