import Contracts
import Prometheus
import ServiceKit
import Testing

/// The typed metrics snapshot (`Ops.GetMetrics`) says exactly what `/metrics` says.
@Suite("Prometheus text to typed metrics")
struct PrometheusTextTests {
    @Test("counters, gauges and histograms with labels survive the round trip")
    func roundTrip() throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(descriptor: .named("jobs_total", help: "Jobs \"done\"."), labels: [("outcome", "ok")]).increment(by: Int64(3))
        registry.makeCounter(descriptor: .named("jobs_total", help: "Jobs \"done\"."), labels: [("outcome", "a\"b\\c")]).increment()
        registry.makeGauge(descriptor: .named("queue_depth", help: "Depth.")).set(to: 7.5)
        let histogram = registry.makeValueHistogram(descriptor: .named("size_bytes", help: "Sizes."), labels: [("kind", "pdf")], buckets: [10, 100])
        histogram.record(5.0)
        histogram.record(50.0)
        histogram.record(500.0)

        let families = PrometheusText.parse(registry.emitToString())
        let jobs = try #require(families.first { $0.name == "jobs_total" })
        #expect(jobs.kind == .counter)
        #expect(jobs.help == "Jobs \"done\".")
        let values = jobs.samples.map { sample in (sample.labels.first?.value ?? "", sample.value) }
        #expect(values.contains { $0.0 == "ok" && $0.1 == .counter(3) })
        #expect(values.contains { $0.0 == "a\"b\\c" && $0.1 == .counter(1) })

        let depth = try #require(families.first { $0.name == "queue_depth" })
        #expect(depth.kind == .gauge)
        #expect(depth.samples.first?.value == .gauge(7.5))

        let sizes = try #require(families.first { $0.name == "size_bytes" })
        #expect(sizes.kind == .histogram)
        #expect(sizes.samples.count == 1)
        guard case .histogram(let h)? = sizes.samples.first?.value else { Issue.record("not a histogram"); return }
        #expect(sizes.samples.first?.labels == [OpsV1.Label.with { $0.name = "kind"; $0.value = "pdf" }])
        #expect(h.count == 3)
        #expect(h.sum == 555)
        #expect(h.buckets.map(\.cumulativeCount) == [1, 2, 3])
        #expect(h.buckets.last?.upperBound == .greatestFiniteMagnitude)
        #expect(!families.contains { $0.name.hasSuffix("_bucket") || $0.name.hasSuffix("_count") })
    }
}
