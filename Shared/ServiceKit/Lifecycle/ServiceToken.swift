package import RPCCore

/// Internal services accept calls only with the shared service token: they are reachable from the private
/// network only, and authenticate their callers there too. Health checks and reflection are exempt: orchestrators probe
/// without metadata, and the service descriptions are public (they are the .proto files). No token
/// configured: nothing is required.
package struct ServiceTokenCheck: ServerInterceptor {
    package static let metadataKey = "x-service-token"
    private static let exempt: Set<String> = [
        "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
    ]
    private let token: @Sendable () -> Secret

    package init(token: @escaping @Sendable () -> Secret) { self.token = token }

    package func intercept(
        _ stream: RPCStream,
        _ context: ServerContext,
        next: (RPCStream, ServerContext) async throws -> Metadata
    ) async throws -> Metadata {
        let expected = token()
        guard expected.isSet, !Self.exempt.contains(context.method.service) else { return try await next(stream, context) }
        guard let presented = context.metadata.string(Self.metadataKey) else {
            throw RPCError(.unauthenticated, "this is an internal service: calls need the service token in \(Self.metadataKey)")
        }
        guard Self.constantTimeEquals(presented, expected.value) else {
            throw RPCError(.unauthenticated, "the service token in \(Self.metadataKey) is wrong")
        }
        return try await next(stream, context)
    }

    /// Compares without stopping at the first difference, so timing does not reveal the token.
    package static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8), b = Array(b.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}

/// Sends the service token with every call to a dependency.
package struct ServiceTokenCredentials: ClientInterceptor {
    private let token: @Sendable () -> Secret

    package init(token: @escaping @Sendable () -> Secret) { self.token = token }

    package func intercept<Result: Sendable>(
        method: MethodDescriptor, metadata: Metadata, next: (Metadata) async throws -> Result
    ) async throws -> Result {
        let token = token()
        guard token.isSet else { return try await next(metadata) }
        var metadata = metadata
        metadata.replace(ServiceTokenCheck.metadataKey, token.value)
        return try await next(metadata)
    }
}
