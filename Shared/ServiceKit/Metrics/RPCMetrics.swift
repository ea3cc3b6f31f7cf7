package import Prometheus
package import RPCCore

/// The standard gRPC server metrics, recorded around every handler:
/// `grpc_server_started_total`, `grpc_server_handled_total{…,grpc_code}`, `grpc_server_handling_seconds`
/// and `grpc_server_in_flight_calls`, labelled by service, method and call type (bounded: only the methods
/// a server has).
package struct RPCServerMetrics: ServerInterceptor {
    private let metrics: RPCCallMetrics

    package init(registry: PrometheusCollectorRegistry) { metrics = RPCCallMetrics(registry: registry, side: .server) }

    package func intercept(
        _ stream: RPCStream,
        _ context: ServerContext,
        next: (RPCStream, ServerContext) async throws -> Metadata
    ) async throws -> Metadata {
        try await metrics.measure(context.method, deadline: context.deadline) { try await next(stream, context) }
    }
}

/// The client side: `grpc_client_started_total`, `grpc_client_handled_total`, `grpc_client_handling_seconds`
/// and `grpc_client_in_flight_calls`.
package struct RPCClientMetrics: ClientInterceptor {
    private let metrics: RPCCallMetrics

    package init(registry: PrometheusCollectorRegistry) { metrics = RPCCallMetrics(registry: registry, side: .client) }

    package func intercept<Result: Sendable>(
        method: MethodDescriptor,
        metadata: Metadata,
        next: (Metadata) async throws -> Result
    ) async throws -> Result {
        try await metrics.measure(method, deadline: nil) { try await next(metadata) }
    }
}

/// The four metrics of one side of a call, named `grpc_<side>_…`. Their descriptors are made once: this runs
/// on every call.
struct RPCCallMetrics: Sendable {
    enum Side: String { case server, client }

    private let registry: PrometheusCollectorRegistry
    /// Names and help texts (MetricNameDescriptor itself is not Sendable, and is only a pair of strings).
    private let started: (String, String)
    private let inFlight: (String, String)
    private let handling: (String, String)
    private let handled: (String, String)

    init(registry: PrometheusCollectorRegistry, side: Side) {
        self.registry = registry
        let who = side == .server ? "on the server" : "by this process as a client"
        started = ("grpc_\(side)_started_total", "RPCs started \(who).")
        inFlight = ("grpc_\(side)_in_flight_calls", "RPCs in progress \(who).")
        handling = ("grpc_\(side)_handling_seconds", "Time from the start of an RPC to its status, \(who).")
        handled = ("grpc_\(side)_handled_total", "RPCs completed \(who), by status code.")
    }

    func measure<Result>(_ method: MethodDescriptor, deadline: ContinuousClock.Instant?, _ call: () async throws -> Result) async throws -> Result {
        let labels = RPCMetricLabels(method)
        registry.makeCounter(descriptor: .named(started.0, help: started.1), labels: labels.withType).increment()
        let gauge = registry.makeGauge(descriptor: .named(inFlight.0, help: inFlight.1), labels: labels.base)
        gauge.increment()
        let start = ContinuousClock.now
        var code = RPCStatus.Code.ok
        defer {
            gauge.decrement()
            registry.makeDurationHistogram(descriptor: .named(handling.0, help: handling.1), labels: labels.withType, buckets: RPCMetricLabels.latencyBuckets)
                .record(ContinuousClock.now - start)
            registry.makeCounter(descriptor: .named(handled.0, help: handled.1), labels: labels.withType + [("grpc_code", code.name)]).increment()
        }
        do {
            return try await call()
        } catch {
            code = RPCMetricLabels.code(for: error, deadline: deadline)
            throw error
        }
    }
}

struct RPCMetricLabels {
    let base: [(String, String)]
    let withType: [(String, String)]

    init(_ method: MethodDescriptor) {
        base = [("grpc_service", method.service), ("grpc_method", method.method)]
        let type =
            switch method.kind {
            case .unary: "unary"
            case .clientStreaming: "client_stream"
            case .serverStreaming: "server_stream"
            case .bidirectionalStreaming: "bidi_stream"
            }
        withType = base + [("grpc_type", type)]
    }

    /// 0.5 ms to 60 s: fast local calls and slow analyses both land in a useful bucket.
    static let latencyBuckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
        .map { Duration.nanoseconds(Int64($0 * 1e9)) }

    /// The status a failed call ends with, as the server maps errors (`RPCServer`): a cancellation past the
    /// deadline is the deadline's doing.
    static func code(for error: any Error, deadline: ContinuousClock.Instant?) -> RPCStatus.Code {
        if let error = error as? any RPCErrorConvertible { return error.rpcError.code }
        if error is CancellationError {
            if let deadline, ContinuousClock.now >= deadline { return .deadlineExceeded }
            return .cancelled
        }
        return .unknown
    }
}
