import RPCCore
import RPCHTTP2
import Testing

@Suite("gRPC message deframer")
struct GRPCMessageDeframerTests {
    /// Chunks come as slices (copied into the buffer) or as arrays (taken as the buffer when it is empty).
    @Test("messages are reassembled whatever the chunking", arguments: [1, 2, 3, 5, 7, 64, 1000], [false, true])
    func chunking(chunkSize: Int, asArrays: Bool) throws {
        let messages: [[UInt8]] = [[], [1], Array(repeating: 7, count: 300), [9, 9]]
        let wire = messages.flatMap(GRPCMessageDeframer.frame)
        var deframer = GRPCMessageDeframer(maxMessageSize: 4 << 20)
        var received: [[UInt8]] = []
        var offset = 0
        while offset < wire.count {
            let chunk = wire[offset..<min(offset + chunkSize, wire.count)]
            if asArrays { deframer.append(Array(chunk)) } else { deframer.append(chunk) }
            offset += chunkSize
            while let message = try deframer.next() { received.append(message) }
        }
        #expect(received == messages)
        try deframer.finish()
    }

    @Test("a length over the limit is RESOURCE_EXHAUSTED before the payload arrives")
    func tooLarge() {
        var deframer = GRPCMessageDeframer(maxMessageSize: 1024)
        deframer.append([0, 0, 0, 0x04, 0x01])
        let error = #expect(throws: RPCError.self) { try deframer.next() }
        #expect(error?.code == .resourceExhausted)
    }

    @Test("a compressed flag without negotiated compression is INTERNAL", arguments: [UInt8(1), 2, 0xFF])
    func compressedFlag(flag: UInt8) {
        var deframer = GRPCMessageDeframer(maxMessageSize: 1024)
        deframer.append([flag, 0, 0, 0, 1, 0x42])
        let error = #expect(throws: RPCError.self) { try deframer.next() }
        #expect(error?.code == .internal)
    }

    @Test("a stream ending inside a message is INTERNAL")
    func truncated() throws {
        var deframer = GRPCMessageDeframer(maxMessageSize: 1024)
        deframer.append([0, 0, 0, 0, 10, 1, 2, 3])
        #expect(try deframer.next() == nil)
        let error = #expect(throws: RPCError.self) { try deframer.finish() }
        #expect(error?.code == .internal)
    }
}
