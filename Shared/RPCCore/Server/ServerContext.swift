/// What a handler knows about its call besides the messages.
package struct ServerContext: Sendable {
    package var method: MethodDescriptor
    /// Request metadata, e.g. `authorization`, `x-request-id`, `traceparent`.
    package var metadata: Metadata
    /// When the caller gives up; the server cancels the handler then. Downstream calls made by the handler
    /// inherit it through `RPCDeadline.current`.
    package var deadline: ContinuousClock.Instant?
    package var peer: String

    package init(method: MethodDescriptor, metadata: Metadata, deadline: ContinuousClock.Instant?, peer: String) {
        self.method = method
        self.metadata = metadata
        self.deadline = deadline
        self.peer = peer
    }
}

/// The deadline of the RPC being handled by the current task, so clients used inside a handler pass on the
/// time that remains rather than starting a fresh timeout of their own.
package enum RPCDeadline {
    @TaskLocal package static var current: ContinuousClock.Instant?
}
