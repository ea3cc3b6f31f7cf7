package import RPCCore

/// Reassembles gRPC length-prefixed messages (1 flag byte, 4-byte big-endian length, payload) from DATA
/// frames whose boundaries have nothing to do with message boundaries.
///
/// A state machine over bytes: feed chunks with `append`, take whole messages with `next()`. Errors are the
/// statuses gRPC prescribes: a message over the limit is RESOURCE_EXHAUSTED (detected from the prefix, before
/// anything is buffered), a compressed message without a negotiated encoding is INTERNAL, and a stream that
/// ends inside a message is INTERNAL.
package struct GRPCMessageDeframer {
    private enum State {
        case readingPrefix
        case readingPayload(length: Int)
    }

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var state = State.readingPrefix
    private let maxMessageSize: Int

    package init(maxMessageSize: Int) { self.maxMessageSize = maxMessageSize }

    /// Bytes received but not yet returned as messages.
    package var bufferedBytes: Int { buffer.count - readIndex }

    package mutating func append(_ bytes: some Collection<UInt8>) {
        if readIndex > 0, readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// `append` for an array, which becomes the buffer when nothing is buffered (a DATA frame's bytes usually
    /// start a message): no copy.
    package mutating func append(_ bytes: [UInt8]) {
        guard readIndex == buffer.count else { return append(bytes[...]) }
        buffer = bytes
        readIndex = 0
    }

    /// The next complete message, nil if more bytes are needed.
    package mutating func next() throws(RPCError) -> [UInt8]? {
        while true {
            switch state {
            case .readingPrefix:
                guard bufferedBytes >= 5 else { return nil }
                let flag = buffer[readIndex]
                let length = (Int(buffer[readIndex + 1]) << 24) | (Int(buffer[readIndex + 2]) << 16)
                    | (Int(buffer[readIndex + 3]) << 8) | Int(buffer[readIndex + 4])
                guard flag == 0 else {
                    throw flag == 1
                        ? RPCError(.internal, "received a compressed message, but no compression was negotiated")
                        : RPCError(.internal, "invalid message flag \(flag)")
                }
                guard length <= maxMessageSize else {
                    throw RPCError(.resourceExhausted, "message of \(length) bytes exceeds the limit of \(maxMessageSize) bytes")
                }
                readIndex += 5
                state = .readingPayload(length: length)
            case .readingPayload(let length):
                guard bufferedBytes >= length else { return nil }
                let message = Array(buffer[readIndex..<(readIndex + length)])
                readIndex += length
                state = .readingPrefix
                compactIfWorthIt()
                return message
            }
        }
    }

    /// Checks that the stream did not end inside a message.
    package func finish() throws(RPCError) {
        if bufferedBytes > 0 {
            throw RPCError(.internal, "the stream ended inside a message (\(bufferedBytes) bytes left over)")
        }
    }

    private mutating func compactIfWorthIt() {
        if readIndex == buffer.count {
            // Let go rather than keep the capacity: the buffer is usually a DATA frame's array, still shared
            // with the event that brought it, and emptying it in place would allocate a copy.
            buffer = []
            readIndex = 0
        } else if readIndex > 64 * 1024 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }

    /// The 5-byte prefix and payload of one message, as sent.
    package static func frame(_ message: [UInt8]) -> [UInt8] {
        var framed: [UInt8] = []
        appendFrame(of: message, to: &framed)
        return framed
    }

    /// Appends the 5-byte prefix and payload of one message to `bytes`.
    package static func appendFrame(of message: [UInt8], to bytes: inout [UInt8]) {
        let length = UInt32(message.count)
        // Only when empty: reserving a little more on every append would give up the array's geometric growth.
        if bytes.isEmpty { bytes.reserveCapacity(5 + message.count) }
        bytes.append(0)
        bytes.append(UInt8(length >> 24))
        bytes.append(UInt8((length >> 16) & 0xFF))
        bytes.append(UInt8((length >> 8) & 0xFF))
        bytes.append(UInt8(length & 0xFF))
        bytes.append(contentsOf: message)
    }
}
