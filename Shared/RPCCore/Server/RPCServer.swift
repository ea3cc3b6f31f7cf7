/// Serves the methods of a router over a transport.
///
/// ```swift
/// let server = RPCServer(transport: transport, router: router)
/// try await server.serve()   // until `beginGracefulShutdown()` and the last call has finished
/// ```
///
/// For each stream it finds the handler (UNIMPLEMENTED if none), enforces the deadline (the handler is
/// cancelled and the caller gets DEADLINE_EXCEEDED), and turns what the handler threw into a status: an
/// `RPCErrorConvertible` error becomes its own status, cancellation CANCELLED, anything else UNKNOWN with a
/// generic message so that internals never reach the caller.
package struct RPCServer: Sendable {
    private let transport: any ServerTransport
    private let router: RPCRouter
    private let interceptors: [any ServerInterceptor]
    private let onUnexpectedError: @Sendable (MethodDescriptor, any Error) -> Void

    /// `interceptors` run around every handler, first to last; `onUnexpectedError` sees errors that reach the
    /// caller only as UNKNOWN (for logging).
    package init(
        transport: any ServerTransport,
        router: RPCRouter,
        interceptors: [any ServerInterceptor] = [],
        onUnexpectedError: @escaping @Sendable (MethodDescriptor, any Error) -> Void = { _, _ in }
    ) {
        self.transport = transport
        self.router = router
        self.interceptors = interceptors
        self.onUnexpectedError = onUnexpectedError
    }

    package func serve() async throws {
        try await transport.listen { stream in await handle(stream) }
    }

    package func beginGracefulShutdown() { transport.beginGracefulShutdown() }

    /// Serves one stream: routing, interceptors, deadline, status. Transports call it through `serve()`;
    /// a front end in the same process (the gateway's REST API) calls it directly.
    package func handle(_ stream: RPCStream) async {
        guard let route = router.route(stream.path) else {
            try? await stream.outbound.write(.status(RPCStatus(code: .unimplemented, message: "method not found: \(stream.path)"), [:]))
            return
        }
        let context = ServerContext(method: route.method, metadata: stream.metadata, deadline: stream.deadline, peer: stream.peer)
        let status: RPCStatus
        var trailers = Metadata()
        do {
            if let propagated = bindings(stream) {
                trailers = try await runBound(stream, context, route.handler, propagated: propagated)
            } else {
                trailers = try await route.handler(stream, context)
            }
            status = .ok
        } catch let error as any RPCErrorConvertible {
            let rpcError = error.rpcError
            status = rpcError.status
            trailers = rpcError.metadata
        } catch is DeadlineExceeded {
            status = RPCStatus(code: .deadlineExceeded, message: "deadline exceeded")
        } catch is CancellationError {
            status = RPCStatus(code: .cancelled, message: "cancelled")
        } catch {
            onUnexpectedError(route.method, error)
            status = RPCStatus(code: .unknown, message: "the handler failed")
        }
        // Fails only when the stream is gone, and then nobody is left to tell.
        let end = RPCResponsePart.status(status, trailers)
        if (try? stream.outbound.writeNow(end)) == false { try? await stream.outbound.write(end) }
    }
}

extension RPCServer {
    /// What the handler must run with, besides the call itself: nil when there is no deadline, no interceptor,
    /// nothing to propagate and nothing bound to undo (the handler is then called directly), otherwise the
    /// metadata to propagate (see `runBound`). Binding costs allocations on every call, hence the check; and it is
    /// synchronous, so that its temporaries stay off the task's allocator.
    fileprivate func bindings(_ stream: RPCStream) -> Metadata? {
        let propagated = PropagatedMetadata.extract(from: stream.metadata)
        if stream.deadline == nil, interceptors.isEmpty, propagated.isEmpty, RPCDeadline.current == nil,
            PropagatedMetadata.current.isEmpty
        {
            return nil
        }
        return propagated
    }

    /// Runs the handler behind the interceptors, within the deadline, with the deadline and the propagated
    /// metadata bound for downstream calls; a function of its own so that the common case does not pay for the
    /// frame this one needs.
    fileprivate func runBound(
        _ stream: RPCStream,
        _ context: ServerContext,
        _ handler: @escaping RPCRouter.Handler,
        propagated: Metadata
    ) async throws -> Metadata {
        let run: @Sendable () async throws -> Metadata = { [interceptors] in
            try await Self.chain(interceptors[...], stream, context, handler)
        }
        return try await RPCDeadline.$current.withValue(stream.deadline) {
            try await PropagatedMetadata.$current.withValue(propagated) {
                if let deadline = stream.deadline { return try await withDeadline(deadline, run) }
                return try await run()
            }
        }
    }

    /// Calls the first interceptor with the rest of the chain as its `next`; the handler is last.
    fileprivate static func chain(
        _ interceptors: ArraySlice<any ServerInterceptor>,
        _ stream: RPCStream,
        _ context: ServerContext,
        _ handler: RPCRouter.Handler
    ) async throws -> Metadata {
        guard let first = interceptors.first else { return try await handler(stream, context) }
        return try await first.intercept(stream, context) { stream, context in
            try await chain(interceptors.dropFirst(), stream, context, handler)
        }
    }
}

private struct DeadlineExceeded: Error {}

/// Runs `body`, cancelling it and throwing `DeadlineExceeded` if it is still running at `deadline`.
private func withDeadline<T: Sendable>(
    _ deadline: ContinuousClock.Instant,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(until: deadline, clock: .continuous)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded() }
        return value
    }
}
