internal import Foundation

/// Order-preserving parallel map over a small number of threads.
public enum ParallelMap {
    public static func map<T: Sendable, R: Sendable>(_ items: [T], jobs: Int, _ f: @Sendable (T) -> R) -> [R] {
        if jobs <= 1 || items.count < 2 { return items.map(f) }
        let box = ResultBox<R>(count: items.count)
        let chunks = min(jobs, items.count)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var k = c
            while k < items.count {
                box.set(k, f(items[k]))
                k += chunks
            }
        }
        return box.values()
    }
}

final class ResultBox<R>: @unchecked Sendable {
    private var storage: [R?]
    private let lock = NSLock()
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: R) { lock.lock(); storage[i] = v; lock.unlock() }
    func values() -> [R] { storage.compactMap { $0 } }
}
