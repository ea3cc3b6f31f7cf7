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

    private struct State {
        var bySource: [CommonV1.Source: Counts] = [:]
        var expiredRemoved: Int64 = 0
        /// `storage_cache_requests_total` per source and result, looked up in the registry once each (a
        /// lookup builds and hashes the label set, on every cache call).
        var requestCounters: [RequestKey: Counter] = [:]
    }

    private struct RequestKey: Hashable {
        var source: CommonV1.Source
        var hit: Bool
    }

    private let state = Mutex(State())
    private let registry: PrometheusCollectorRegistry

    package init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    package func record(hit: Bool, source: CommonV1.Source) {
        let key = RequestKey(source: source, hit: hit)
        let counter = state.withLock { state -> Counter? in
            if hit { state.bySource[source, default: Counts()].hits += 1 } else { state.bySource[source, default: Counts()].misses += 1 }
            return state.requestCounters[key]
        }
        if let counter {
            counter.increment()
            return
        }
        let made = registry.makeCounter(
            descriptor: .named("storage_cache_requests_total", help: "Cache look-ups by source and result (hit or miss)."),
            labels: [("source", Self.label(source)), ("result", hit ? "hit" : "miss")]
        )
        made.increment()
        state.withLock { $0.requestCounters[key] = made }
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
