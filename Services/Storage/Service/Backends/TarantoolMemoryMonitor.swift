package import Logging
package import Prometheus
internal import ServiceKit
internal import ServiceLifecycle
package import Tarantool

/// Exports Tarantool's memtx memory every few seconds: with `storage.backend: tarantool` every record, PDF
/// and cached answer lives in memtx, and a full quota refuses writes, so operators need to see it coming
/// (the `ClaTarantoolMemoryHigh` alert).
///
/// `storage_tarantool_memory_quota_bytes` (`memtx_memory`), `storage_tarantool_memory_used_bytes` (of the
/// quota: slabs taken, whether full or not), `storage_tarantool_memory_items_bytes` (what the tuples use).
package struct TarantoolMemoryMonitor: Service {
    private let client: TarantoolClient
    private let registry: PrometheusCollectorRegistry
    private let interval: Duration
    private let logger: Logger

    package init(client: TarantoolClient, registry: PrometheusCollectorRegistry, interval: Duration = .seconds(5), logger: Logger) {
        self.client = client
        self.registry = registry
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        let quota = registry.makeGauge(descriptor: .named("storage_tarantool_memory_quota_bytes", help: "Tarantool's memtx memory quota (memtx_memory)."))
        let used = registry.makeGauge(descriptor: .named("storage_tarantool_memory_used_bytes", help: "memtx memory taken from the quota (slabs, full or not)."))
        let items = registry.makeGauge(descriptor: .named("storage_tarantool_memory_items_bytes", help: "memtx memory the stored tuples use."))
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let values = try await client.call("cla.memory").first?.array ?? []
                    guard values.count == 4, let usedBytes = values[0].int, let quotaBytes = values[1].int, let itemBytes = values[3].int else {
                        throw TarantoolError.protocolViolation("cla.memory answered \(values)")
                    }
                    quota.set(to: Double(quotaBytes))
                    used.set(to: Double(usedBytes))
                    items.set(to: Double(itemBytes))
                } catch {
                    logger.warning("cannot read Tarantool's memory", metadata: ["error": "\(error)"])
                }
                try await Task.sleep(for: interval)
            }
        }
    }
}
