package import Contracts
package import RPCCore

/// `clientanalyze.ops.v1.Ops`: what is running (`GetInfo`) and a typed snapshot of its metrics (`GetMetrics`),
/// the same values `/info` and `/metrics` show.
package struct OpsService: Sendable {
    private let info: @Sendable () -> OpsV1.ServiceInfo
    private let metrics: ServiceMetrics

    package init(info: @escaping @Sendable () -> OpsV1.ServiceInfo, metrics: ServiceMetrics) {
        self.info = info
        self.metrics = metrics
    }

    package func register(in router: inout RPCRouter) {
        router.registerUnary(OpsV1.Ops.Method.GetInfo.self) { _, _ in ServerResponse(info()) }
        router.registerUnary(OpsV1.Ops.Method.GetMetrics.self) { request, _ in
            var response = OpsV1.GetMetricsResponse()
            response.metrics = metrics.snapshot().filter { $0.name.hasPrefix(request.namePrefix) }
            response.collectedAtMs = UnixTime.nowMilliseconds
            return ServerResponse(response)
        }
    }
}
