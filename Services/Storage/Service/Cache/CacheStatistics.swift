package import Contracts
package import Prometheus
internal import ServiceKit
internal import Synchronization

/// Hits and misses per source since the process started, and entries removed by expiry: the counters of
/// `Cache.Stats`, also exported as `storage_cache_requests_total{source,result}` and
/// `storage_cache_expired_removed_total`.
package final class CacheStatistics: Sendable {
    package struct Counts: Sendable, Equatable {
        package var hits: Int64 = 0
        package var misses: Int64 = 0
    }

    private let state = Mutex<(bySource: [CommonV1.Source: Counts], expiredRemoved: Int64)>(([:], 0))
    private let registry: PrometheusCollectorRegistry

    package init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    package func record(hit: Bool, source: CommonV1.Source) {
        state.withLock { state in
            if hit { state.bySource[source, default: Counts()].hits += 1 } else { state.bySource[source, default: Counts()].misses += 1 }
        }
        registry.makeCounter(
            descriptor: .named("storage_cache_requests_total", help: "Cache look-ups by source and result (hit or miss)."),
            labels: [("source", Self.label(source)), ("result", hit ? "hit" : "miss")]
        ).increment()
    }

    package func recordExpired(_ count: Int) {
        state.withLock { $0.expiredRemoved += Int64(count) }
        registry.makeCounter(descriptor: .named("storage_cache_expired_removed_total", help: "Expired cache entries removed."))
            .increment(by: Int64(count))
    }

    package var bySource: [CommonV1.Source: Counts] { state.withLock { $0.bySource } }
    package var expiredRemoved: Int64 { state.withLock { $0.expiredRemoved } }

    /// `dadata`, `casebook`, … (`unknown` for unspecified).
    package static func label(_ source: CommonV1.Source) -> String {
        source == .unspecified ? "unknown" : ProtoLabel.of(source.protoName, prefix: "SOURCE_")
    }
}
