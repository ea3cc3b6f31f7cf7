package import Prometheus

/// The metrics of one service: a Prometheus registry with the build info and process metrics, from which
/// `/metrics` and `Ops.GetMetrics` are both served, so the two always agree.
///
/// Tests make their own instance; only `main` also hands the registry to `MetricsSystem.bootstrap`.
package final class ServiceMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    private let process: ProcessMetrics

    package init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), build: BuildInfo) {
        self.registry = registry
        self.process = ProcessMetrics(registry: registry)
        registry.makeGauge(
            descriptor: .init(metricName: "cla_build_info", unitName: "", helpText: "Build of the running binary; always 1."),
            labels: [("service", build.service), ("version", build.version), ("revision", build.revision)]
        ).set(to: 1)
    }

    /// The Prometheus text exposition (format 0.0.4), with process metrics read now.
    package func exposition() -> [UInt8] {
        process.update()
        return registry.emitToBuffer()
    }

    /// The same data as typed values, for `Ops.GetMetrics`.
    package func snapshot() -> [MetricFamily] {
        PrometheusText.parse(String(decoding: exposition(), as: UTF8.self))
    }
}

extension MetricNameDescriptor {
    /// A metric whose name already carries its unit (`…_seconds`, `…_bytes`, `…_total`).
    package static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }
}
