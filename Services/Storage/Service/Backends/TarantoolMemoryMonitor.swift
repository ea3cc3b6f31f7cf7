internal import Logging
internal import Prometheus
internal import ServiceKit
internal import Tarantool

/// Exports Tarantool's memtx memory every few seconds: with `storage.backend: tarantool` every record, PDF
/// and cached answer lives in memtx, and a full quota refuses writes, so operators need to see it coming
/// (the `ClaTarantoolMemoryHigh` alert).
///
/// `storage_tarantool_memory_quota_bytes` (`memtx_memory`), `storage_tarantool_memory_used_bytes` (of the
/// quota: slabs taken, whether full or not), `storage_tarantool_memory_items_bytes` (what the tuples use).
enum TarantoolMemoryMonitor {
    static func task(
        _ client: TarantoolClient, registry: PrometheusCollectorRegistry, interval: Duration = .seconds(5), logger: Logger
    ) -> PeriodicTask {
        let quota = registry.makeGauge(descriptor: .named("storage_tarantool_memory_quota_bytes", help: "Tarantool's memtx memory quota (memtx_memory)."))
        let used = registry.makeGauge(descriptor: .named("storage_tarantool_memory_used_bytes", help: "memtx memory taken from the quota (slabs, full or not)."))
        let items = registry.makeGauge(descriptor: .named("storage_tarantool_memory_items_bytes", help: "memtx memory the stored tuples use."))
        return PeriodicTask(every: interval, failure: "cannot read Tarantool's memory", logger: logger) {
            let values = try await client.call("cla.memory").first?.array ?? []
            guard values.count == 4, let usedBytes = values[0].int, let quotaBytes = values[1].int, let itemBytes = values[3].int else {
                throw TarantoolError.protocolViolation("cla.memory answered \(values)")
            }
            quota.set(to: Double(quotaBytes))
            used.set(to: Double(usedBytes))
            items.set(to: Double(itemBytes))
        }
    }
}
