package import Logging
package import RPCCore

/// Gives every call a request id (the caller's `x-request-id`, or a new one) so that every log line written
/// while handling it carries `request.id` (and `trace.id` from `traceparent`, see `RPCLogMetadata`), and logs
/// how each call ended: debug when OK, info for the caller's mistakes, error for the server's.
package struct RPCLogging: ServerInterceptor {
    private let logger: Logger

    package init(logger: Logger) { self.logger = logger }

    package func intercept(
        _ stream: RPCStream,
        _ context: ServerContext,
        next: (RPCStream, ServerContext) async throws -> Metadata
    ) async throws -> Metadata {
        var propagated = PropagatedMetadata.current
        if propagated.string("x-request-id") == nil { propagated.add("x-request-id", Self.newRequestID()) }
        return try await PropagatedMetadata.$current.withValue(propagated) {
            let start = ContinuousClock.now
            do {
                let trailers = try await next(stream, context)
                log(context, code: .ok, message: nil, since: start)
                return trailers
            } catch {
                let code = RPCMetricLabels.code(for: error, deadline: context.deadline)
                log(context, code: code, message: (error as? any RPCErrorConvertible)?.rpcError.message, since: start,
                    peerFault: error.isUndecodableRequest)
                throw error
            }
        }
    }

    /// `peerFault`: the request's bytes did not decode. gRPC says INTERNAL for that, but the fault is the
    /// peer's: a warning, so that nobody outside can fill the error log.
    private func log(
        _ context: ServerContext, code: RPCStatus.Code, message: String?, since start: ContinuousClock.Instant, peerFault: Bool = false
    ) {
        let level: Logger.Level =
            switch code {
            case .ok: .debug
            case .unknown, .internal, .dataLoss: peerFault ? .warning : .error
            default: .info
            }
        var metadata: Logger.Metadata = [
            "rpc.method": "\(context.method.path)", "rpc.code": "\(code.name)", "rpc.peer": "\(context.peer)",
            "rpc.duration_ms": "\(((ContinuousClock.now - start).seconds * 1000).rounded() )",
        ]
        if let message { metadata["rpc.message"] = "\(message)" }
        logger.log(level: level, "RPC finished", metadata: metadata)
    }

    /// 16 random hex digits.
    private static func newRequestID() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
