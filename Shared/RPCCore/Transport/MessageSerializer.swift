/// Turns typed messages into bytes and back; `Contracts` provides one for every generated message.
package struct MessageCodec<Message: Sendable>: Sendable {
    package var serialize: @Sendable (Message) throws -> [UInt8]
    package var deserialize: @Sendable ([UInt8]) throws -> Message

    package init(
        serialize: @escaping @Sendable (Message) throws -> [UInt8],
        deserialize: @escaping @Sendable ([UInt8]) throws -> Message
    ) {
        self.serialize = serialize
        self.deserialize = deserialize
    }
}

extension MessageCodec {
    /// Which message of a call is being encoded or decoded, for the error.
    package enum Part: String, Sendable {
        case request
        case response
    }

    /// A message that does not encode ends the call with INTERNAL, as other gRPC runtimes do.
    package func encode(_ message: Message, _ part: Part) throws(RPCError) -> [UInt8] {
        do {
            return try serialize(message)
        } catch {
            throw RPCError(.internal, "could not encode the \(part.rawValue) message: \(error)")
        }
    }

    /// A message that does not decode ends the call with INTERNAL, as other gRPC runtimes do.
    package func decode(_ bytes: [UInt8], _ part: Part) throws(RPCError) -> Message {
        do {
            return try deserialize(bytes)
        } catch {
            throw RPCError(.internal, "could not decode the \(part.rawValue) message: \(error)")
        }
    }
}
