import Contracts
import Foundation
import RPCCore
import RPCHTTP2
import Synchronization
import Testing

private typealias Test = GrpcTesting.TestService.Method

/// A fast sender and a slow reader: the flow-control window and the writers' waiting must keep the bytes in
/// flight bounded instead of buffering the whole upload in this process (which holds both client and server).
@Suite("HTTP/2 backpressure")
struct BackpressureTests {
    static let messageSize = 64 * 1024
    static let messageCount = 1024  // 64 MiB in all

    /// Request messages made one at a time as the transport asks for them.
    struct LazyRequests: AsyncSequence, Sendable {
        struct AsyncIterator: AsyncIteratorProtocol {
            var remaining: Int
            mutating func next() async -> GrpcTesting.StreamingInputCallRequest? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                return .with { $0.payload = .with { $0.body = [UInt8](repeating: 7, count: BackpressureTests.messageSize) } }
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: BackpressureTests.messageCount) }
    }

    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { return 0 }
        return kib * 1024
    }

    @Test("a 64 MiB upload to a slow reader keeps memory bounded and arrives whole")
    func slowReader() async throws {
        var router = RPCRouter()
        router.registerClientStreaming(Test.StreamingInputCall.self) { requests, _ in
            var total: Int32 = 0
            var count = 0
            for try await request in requests {
                total += Int32(request.payload?.body.count ?? 0)
                count += 1
                if count % 4 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
            return ServerResponse(.with { $0.aggregatedPayloadSize = total })
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let transport = HTTP2ServerTransport(.init(host: "127.0.0.1", port: 0)) { _, port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let server = RPCServer(transport: transport, router: router)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let clientTransport = HTTP2ClientTransport(host: "127.0.0.1", port: port)
            let client = RPCClient(transport: clientTransport)

            let baseline = Self.residentBytes()
            let peak = Mutex(baseline)
            let done = Mutex(false)
            group.addTask {
                while !done.withLock({ $0 }) {
                    let now = Self.residentBytes()
                    peak.withLock { $0 = max($0, now) }
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            let reply = try await client.streaming(
                Test.StreamingInputCall.self, requestStream: RPCAsyncSequence(LazyRequests()), timeout: .seconds(60)
            ) { responses in
                var total: Int32 = 0
                for try await response in responses { total = response.aggregatedPayloadSize }
                return total
            }
            done.withLock { $0 = true }
            await clientTransport.close()
            #expect(reply.message == Int32(Self.messageSize * Self.messageCount))
            let growth = peak.withLock { $0 } - baseline
            // In flight at most: 32 queued messages (2 MiB), the windows (1 MiB stream, 4 MiB connection) and
            // 256 KiB waiting at the client. Without backpressure the 64 MiB pile up.
            #expect(growth < 24 << 20, "resident memory grew by \(growth >> 20) MiB")
        }
    }
}
