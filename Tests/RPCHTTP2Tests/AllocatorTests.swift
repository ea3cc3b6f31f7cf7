import CMimalloc
import NIOCore
import NIOPosix
@testable import RPCHTTP2
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Process allocator")
struct AllocatorTests {
    @Test("linking RPCHTTP2 makes mimalloc serve malloc")
    func mimallocServesMalloc() {
        #expect(Allocator.name.hasPrefix("mimalloc 2."), "malloc is served by \(Allocator.name)")
    }

    @Test("memory freed on a loop goes back to the system")
    func releasesFreeMemory() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // 128 MiB in 1 KiB blocks, allocated and freed on the loop as a connection's calls would be. Tests run in
        // parallel in this process, so what is measured is whether the pages of these blocks stay resident,
        // not the process's resident set.
        let pages = try await group.next().submit {
            let blocks = (0..<128 * 1024).map { _ in malloc(1024)!.initializeMemory(as: UInt8.self, repeating: 1, count: 1024) }
            let pages = Set(blocks.map { UInt(bitPattern: $0) & ~UInt(pageSize - 1) })
            for block in blocks { free(block) }
            return pages
        }.get()
        try await Allocator.releaseFreeMemory(group).get()
        let resident = pages.count { isResident($0) }
        #expect(resident < pages.count / 2, "\(resident) of the \(pages.count) pages of the freed blocks are still resident")
        try await group.shutdownGracefully()
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

    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Whether the page at `address` is in memory; an unmapped page is not.
    private func isResident(_ address: UInt) -> Bool {
        var vector: UInt8 = 0
        guard mincore(UnsafeMutableRawPointer(bitPattern: address), pageSize, &vector) == 0 else { return false }
        return vector & 1 == 1
    }
}
