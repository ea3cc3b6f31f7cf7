internal import ContractsC

/// The `FileDescriptorSet` of every `.proto` file (with imports and source comments), compiled into the
/// binary by `make generate`. Reflection serves files from it.
package enum EmbeddedDescriptorSet {
    /// The serialized `google.protobuf.FileDescriptorSet`.
    package static let bytes: [UInt8] = Array(
        UnsafeBufferPointer(start: cla_descriptor_set_bytes(), count: cla_descriptor_set_length())
    )
}
