/// Runs around every handler of a server: authentication, logging, metrics. Interceptors run in the order
/// given, each calling `next` to continue (or throwing to end the call with a status).
///
/// ```swift
/// struct RequireKey: ServerInterceptor {
///     func intercept(_ stream: RPCStream, _ context: ServerContext,
///                    next: (RPCStream, ServerContext) async throws -> Metadata) async throws -> Metadata {
///         guard context.metadata.string("authorization") != nil else { throw RPCError(.unauthenticated, "no key") }
///         return try await next(stream, context)
///     }
/// }
/// ```
package protocol ServerInterceptor: Sendable {
    func intercept(
        _ stream: RPCStream,
        _ context: ServerContext,
        next: (RPCStream, ServerContext) async throws -> Metadata
    ) async throws -> Metadata
}

/// Runs around every call of a client: adding credentials, logging, metrics.
package protocol ClientInterceptor: Sendable {
    func intercept<Result: Sendable>(
        method: MethodDescriptor,
        metadata: Metadata,
        next: (Metadata) async throws -> Result
    ) async throws -> Result
}

/// Metadata that travels from the call being handled into the calls its handler makes, so that the request id
/// and the trace context follow a request across every hop.
package enum PropagatedMetadata {
    /// The keys carried over.
    package static let keys = ["x-request-id", "traceparent", "tracestate"]

    @TaskLocal package static var current = Metadata()

    /// The subset of `metadata` that is propagated.
    package static func extract(from metadata: Metadata) -> Metadata {
        var extracted = Metadata()
        for entry in metadata where keys.contains(entry.key) {
            if case .string(let value) = entry.value { extracted.add(entry.key, value) }
        }
        return extracted
    }

    /// `metadata` plus the propagated values it does not set itself.
    package static func merged(into metadata: Metadata) -> Metadata {
        var result = metadata
        for entry in current where result.first(entry.key) == nil {
            if case .string(let value) = entry.value { result.add(entry.key, value) }
        }
        return result
    }
}
