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
