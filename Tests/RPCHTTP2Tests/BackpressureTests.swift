import Contracts
import Foundation
import RPCCore
import RPCHTTP2
import Synchronization
import Testing

private typealias Test = GrpcTesting.TestService.Method

/// A fast sender and a slow reader: the flow-control window and the writers' waiting must keep the messages in
/// flight bounded (the sender is paced by the reader) instead of buffering the whole upload. Measured as the
/// largest gap between messages the client produced and messages the handler consumed: it does not depend
/// on what other tests in the process are doing, as resident memory would.
@Suite("HTTP/2 backpressure")
struct BackpressureTests {
    static let messageSize = 64 * 1024
    static let messageCount = 1024  // 64 MiB in all

    /// Request messages made one at a time as the transport asks for them, counted.
    struct LazyRequests: AsyncSequence, Sendable {
        let produced: Counter
        struct AsyncIterator: AsyncIteratorProtocol {
            var remaining: Int
            let produced: Counter
            mutating func next() async -> GrpcTesting.StreamingInputCallRequest? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                produced.increment()
                return .with { $0.payload = .with { $0.body = [UInt8](repeating: 7, count: BackpressureTests.messageSize) } }
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: BackpressureTests.messageCount, produced: produced) }
    }

    @Test("a 64 MiB upload to a slow reader is paced by the reader and arrives whole")
    func slowReader() async throws {
        let produced = Counter()
        let largestGap = Mutex(0)
        var router = RPCRouter()
        router.registerClientStreaming(Test.StreamingInputCall.self) { requests, _ in
            var total: Int32 = 0
            var count = 0
            for try await request in requests {
                total += Int32(request.payload?.body.count ?? 0)
                count += 1
                let gap = produced.value - count
                largestGap.withLock { $0 = max($0, gap) }
                if count % 2 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
            return ServerResponse(.with { $0.aggregatedPayloadSize = total })
        }
        let loopback = LoopbackServer(router)
        let server = loopback.server
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { server.beginGracefulShutdown() }
            let port = try #require(await loopback.port())
            let clientTransport = HTTP2ClientTransport(host: "127.0.0.1", port: port)
            let client = RPCClient(transport: clientTransport)

            let reply = try await client.streaming(
                Test.StreamingInputCall.self, requestStream: RPCAsyncSequence(LazyRequests(produced: produced)),
                timeout: .seconds(60)
            ) { responses in
                var total: Int32 = 0
                for try await response in responses { total = response.aggregatedPayloadSize }
                return total
            }
            await clientTransport.close()
            #expect(reply.message == Int32(Self.messageSize * Self.messageCount))
            // In flight at most: 32 queued at the handler, the stream window (1 MiB = 16 messages), 4 waiting in
            // the client and what the kernel's loopback socket buffers hold (a few MiB). Without backpressure
            // the client runs hundreds of messages ahead (657 when this was measured, against 47 with it).
            let gap = largestGap.withLock { $0 }
            print("backpressure: the client ran at most \(gap) messages ahead of the reader")
            #expect(gap < 200, "the client ran \(gap) messages ahead of the reader")
        }
    }
}
