internal import CMimalloc
internal import NIOCore
internal import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The process's allocator. Linking this module (through `CMimalloc`) makes mimalloc serve every `malloc` and
/// `free` of the process, Swift's runtime and the C libraries included.
package enum Allocator {
    /// What serves `malloc`, for start-up logs: `mimalloc 2.0.9`, or the C library's allocator if the link did
    /// not put mimalloc first.
    package static var name: String {
        let probe = malloc(16)
        defer { free(probe) }
        guard mi_is_in_heap_region(probe) else { return "the C library's malloc" }
        let version = Int(mi_version())
        return "mimalloc \(version / 100).\(version / 10 % 10).\(version % 10)"
    }

    /// Gives free memory back to the system after a load. mimalloc keeps a heap per thread and collects it only
    /// on its own thread, so every loop of the group collects its own (handlers run on the loops too), one loop
    /// after the other. While they do, freed memory is decommitted at once instead of after mimalloc's delay:
    /// nothing would call back later to decommit it, and without a load the delay saves nothing.
    @discardableResult
    static func releaseFreeMemory(_ group: any EventLoopGroup) -> EventLoopFuture<Void> {
        decommitDelays.withLock { $0.suspend() }
        var collected = group.next().makeSucceededVoidFuture()
        for loop in group.makeIterator() {
            collected = collected.flatMap { loop.submit { mi_collect(true) } }
        }
        return collected.always { _ in decommitDelays.withLock { $0.resume() } }
    }

    /// mimalloc's decommit delays are process-wide, and several servers may release memory at once: the first
    /// to start sets them to zero, the last to finish puts them back.
    struct DecommitDelays {
        private static let options = [mi_option_decommit_delay, mi_option_segment_decommit_delay]
        private(set) var suspensions = 0
        private var saved: [Int] = []

        mutating func suspend() {
            if suspensions == 0 {
                saved = Self.options.map { mi_option_get($0) }
                for option in Self.options { mi_option_set(option, 0) }
            }
            suspensions += 1
        }

        mutating func resume() {
            suspensions -= 1
            guard suspensions == 0 else { return }
            for (option, delay) in zip(Self.options, saved) { mi_option_set(option, delay) }
        }
    }

    static let decommitDelays = Mutex(DecommitDelays())
}
