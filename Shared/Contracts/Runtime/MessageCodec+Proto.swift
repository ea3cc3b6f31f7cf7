package import RPCCore

extension MessageCodec where Message: ProtoMessage {
    /// Protobuf through protobuf-c, for every generated message: `input: .proto, output: .proto`.
    package static var proto: Self {
        MessageCodec(serialize: { try $0.serializedBytes() }, deserialize: { try Message(serializedBytes: $0) })
    }
}
