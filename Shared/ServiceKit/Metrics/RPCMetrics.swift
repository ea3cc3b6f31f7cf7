package import Prometheus
package import RPCCore
internal import Synchronization

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

/// The four metrics of one side of a call, named `grpc_<side>_…`, recorded on every call. Each method's metric
/// objects are looked up in the registry once: a registry lookup locks, builds and hashes the label set,
/// and four of them cost a tenth of a storage cache hit.
struct RPCCallMetrics: Sendable {
    enum Side: String { case server, client }

    /// One method's metrics; the `handled` counter for OK, the common code, is kept too.
    private struct MethodMetrics: Sendable {
        let labels: RPCMetricLabels
        let started: Counter
        let inFlight: Gauge
        let handling: DurationHistogram
        let handledOK: Counter
    }

    private let registry: PrometheusCollectorRegistry
    /// Names and help texts (MetricNameDescriptor itself is not Sendable, and is only a pair of strings).
    private let started: (String, String)
    private let inFlight: (String, String)
    private let handling: (String, String)
    private let handled: (String, String)
    /// Server side only: calls ended because the request's bytes did not decode. They are in `handled` too
    /// (as INTERNAL or INVALID_ARGUMENT); the error-rate alert subtracts them, since a peer sent them.
    private let undecodable: (String, String)?
    private let methods = MethodCache()

    private final class MethodCache: Sendable {
        let byPath = Mutex<[String: MethodMetrics]>([:])
    }

    init(registry: PrometheusCollectorRegistry, side: Side) {
        self.registry = registry
        let who = side == .server ? "on the server" : "by this process as a client"
        started = ("grpc_\(side)_started_total", "RPCs started \(who).")
        inFlight = ("grpc_\(side)_in_flight_calls", "RPCs in progress \(who).")
        handling = ("grpc_\(side)_handling_seconds", "Time from the start of an RPC to its status, \(who).")
        handled = ("grpc_\(side)_handled_total", "RPCs completed \(who), by status code.")
        undecodable = side == .server
            ? ("grpc_server_undecodable_requests_total", "RPCs ended because the request's bytes did not decode (the peer's fault).") : nil
    }

    func measure<Result>(_ method: MethodDescriptor, deadline: ContinuousClock.Instant?, _ call: () async throws -> Result) async throws -> Result {
        let metrics = metrics(of: method)
        metrics.started.increment()
        metrics.inFlight.increment()
        let start = ContinuousClock.now
        var code = RPCStatus.Code.ok
        defer {
            metrics.inFlight.decrement()
            metrics.handling.record(ContinuousClock.now - start)
            if code == .ok {
                metrics.handledOK.increment()
            } else {
                registry.makeCounter(descriptor: .named(handled.0, help: handled.1), labels: metrics.labels.withType + [("grpc_code", code.name)])
                    .increment()
            }
        }
        do {
            return try await call()
        } catch {
            code = RPCMetricLabels.code(for: error, deadline: deadline)
            if let undecodable, error.isUndecodableRequest {
                registry.makeCounter(descriptor: .named(undecodable.0, help: undecodable.1), labels: metrics.labels.base + [("grpc_code", code.name)])
                    .increment()
            }
            throw error
        }
    }

    private func metrics(of method: MethodDescriptor) -> MethodMetrics {
        if let known = methods.byPath.withLock({ $0[method.path] }) { return known }
        let labels = RPCMetricLabels(method)
        let made = MethodMetrics(
            labels: labels,
            started: registry.makeCounter(descriptor: .named(started.0, help: started.1), labels: labels.withType),
            inFlight: registry.makeGauge(descriptor: .named(inFlight.0, help: inFlight.1), labels: labels.base),
            handling: registry.makeDurationHistogram(
                descriptor: .named(handling.0, help: handling.1), labels: labels.withType, buckets: RPCMetricLabels.latencyBuckets),
            handledOK: registry.makeCounter(
                descriptor: .named(handled.0, help: handled.1), labels: labels.withType + [("grpc_code", RPCStatus.Code.ok.name)])
        )
        methods.byPath.withLock { $0[method.path] = made }
        return made
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
