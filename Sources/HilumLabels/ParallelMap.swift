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

/// An ordered producer/worker pipeline: the caller submits batches (reading the next one while workers
/// process earlier ones), `jobs` threads run `work` on them, and results come back to the caller in
/// submission order. At most `depth` batches are in flight, so memory stays bounded whatever the input size.
///
/// Unlike `ParallelMap`, nothing waits at a barrier between batches: while one worker finishes a slow
/// batch, the other goes on with the next one, and reading (or inflating gzip) overlaps the analysis.
///
/// One producer thread calls `submit` and then `finish` (always: the workers exit only then).
public final class OrderedPipeline<In: Sendable, Out: Sendable>: @unchecked Sendable {
    private let cond = NSCondition()
    /// Batches waiting for a worker; a slot is emptied when a worker takes it, so a processed batch is freed at once.
    private var queue: [(Int, In)?] = []
    private var queueHead = 0
    private var results: [Int: Out] = [:]
    private var submitted = 0
    private var emitted = 0
    private var closed = false
    private var running = 0
    private let depth: Int
    private let work: @Sendable (In) -> Out

    public init(jobs: Int, depth: Int? = nil, work: @escaping @Sendable (In) -> Out) {
        let n = max(1, jobs)
        self.depth = max(n + 1, depth ?? n * 3)
        self.work = work
        running = n
        for _ in 0..<n {
            let t = Thread { [self] in self.workerLoop() }
            t.stackSize = 8 << 20
            t.start()
        }
    }

    private func workerLoop() {
        while true {
            cond.lock()
            while queueHead == queue.count && !closed { cond.wait() }
            if queueHead == queue.count {
                running -= 1
                cond.broadcast()
                cond.unlock()
                return
            }
            guard let (seq, item) = queue[queueHead] else {
                queueHead += 1
                cond.unlock()
                continue
            }
            queue[queueHead] = nil
            queueHead += 1
            if queueHead > 64 && queueHead * 2 > queue.count {
                queue.removeFirst(queueHead)
                queueHead = 0
            }
            cond.unlock()
            let out = work(item)
            cond.lock()
            results[seq] = out
            cond.broadcast()
            cond.unlock()
        }
    }

    /// Hands every finished result that is next in order to `emit` (outside the lock).
    private func drainReady(_ emit: (Out) -> Void, blockingUntil target: Int) {
        while true {
            cond.lock()
            while emitted < target && results[emitted] == nil { cond.wait() }
            guard let out = results.removeValue(forKey: emitted) else {
                cond.unlock()
                return
            }
            emitted += 1
            cond.unlock()
            emit(out)
        }
    }

    /// Queues one batch. Blocks while `depth` batches are in flight, emitting finished results in order.
    public func submit(_ item: In, emit: (Out) -> Void) {
        drainReady(emit, blockingUntil: max(0, submitted + 1 - depth))
        cond.lock()
        queue.append((submitted, item))
        submitted += 1
        cond.broadcast()
        cond.unlock()
    }

    /// Closes the input, emits every remaining result in order and stops the workers.
    public func finish(emit: (Out) -> Void) {
        cond.lock()
        closed = true
        cond.broadcast()
        cond.unlock()
        drainReady(emit, blockingUntil: submitted)
        cond.lock()
        while running > 0 { cond.wait() }
        cond.unlock()
    }
}
