import CMimalloc
import NIOCore
import NIOPosix
@testable import RPCHTTP2
import Synchronization
import Testing

/// That idle servers give memory back is tested on a server process of its own
/// (Tests/Interop/test_http2_robustness.py): in this process, other suites' threads reuse the freed pages at once.
@Suite("Process allocator")
struct AllocatorTests {
    @Test("linking RPCHTTP2 makes mimalloc serve malloc")
    func mimallocServesMalloc() {
        #expect(Allocator.name.hasPrefix("mimalloc 2."), "malloc is served by \(Allocator.name)")
    }

    @Test("releases that overlap leave mimalloc's decommit delays as they were once all are done")
    func restoresDecommitDelays() async throws {
        let groups = [MultiThreadedEventLoopGroup(numberOfThreads: 2), MultiThreadedEventLoopGroup(numberOfThreads: 1)]
        let releases = groups.map { Allocator.releaseFreeMemory($0) }
        for release in releases { try await release.get() }
        // Servers of other suites in this process may be releasing too: wait for the last of them.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while Allocator.decommitDelays.withLock({ $0.suspensions }) > 0, clock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        // Zero would mean eager decommits, and their system calls, for the rest of the process.
        #expect(mi_option_get(mi_option_decommit_delay) > 0)
        #expect(mi_option_get(mi_option_segment_decommit_delay) > 0)
        for group in groups { try await group.shutdownGracefully() }
    }
}
