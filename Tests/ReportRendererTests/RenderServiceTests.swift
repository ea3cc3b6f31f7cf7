import Contracts
import Prometheus
import RPCCore
import ReportFixtures
@testable import ReportRenderer
import Testing

@Suite("Render service")
struct RenderServiceTests {
    static func service() -> (RenderService, PrometheusCollectorRegistry) {
        let registry = PrometheusCollectorRegistry()
        return (RenderService(registry: registry, now: { 1_795_167_000_000 }), registry)
    }

    @Test("a document streams as chunks: metadata first, page count and size last, nothing lost")
    func chunks() async throws {
        let (service, registry) = Self.service()
        let chunks = try await service.render(.with { $0.report = ReportFixtures.bankrupt; $0.format = .pdf })
        #expect(chunks.count >= 2)
        #expect(chunks.dropLast().allSatisfy { $0.data.count == RenderService.chunkBytes })
        #expect(chunks[0].contentType == "application/pdf")
        #expect(chunks[0].fileName == "5402987650-v1.pdf")
        let data = chunks.flatMap(\.data)
        #expect(chunks.last?.totalSize == Int64(data.count))
        #expect((chunks.last?.pageCount ?? 0) > 3)
        #expect(data.starts(with: Array("%PDF".utf8)))
        var exposition: [UInt8] = []
        registry.emit(into: &exposition)
        let text = String(decoding: exposition, as: UTF8.self)
        #expect(text.contains("render_requests_total{format=\"pdf\",outcome=\"ok\"} 1"))
        #expect(text.contains("render_duration_seconds_count{format=\"pdf\"} 1"))
    }

    @Test("a small document is one chunk with all the metadata")
    func oneChunk() async throws {
        let chunks = try await Self.service().0.render(.with { $0.report = ReportFixtures.clean; $0.format = .csv })
        #expect(chunks.count == 1)
        #expect(chunks[0].contentType == "text/csv; charset=utf-8")
        #expect(chunks[0].fileName == "7705123452-v1.csv")
        #expect(chunks[0].totalSize == Int64(chunks[0].data.count))
    }

    @Test("a malformed request is INVALID_ARGUMENT naming the field, and is counted")
    func invalid() async throws {
        let (service, registry) = Self.service()
        await #expect {
            _ = try await service.render(.with { $0.report = ReportFixtures.clean; $0.format = .unspecified })
        } throws: { error in
            (error as? RPCError)?.code == .invalidArgument && (error as? RPCError)?.message.hasPrefix("format:") == true
        }
        var exposition: [UInt8] = []
        registry.emit(into: &exposition)
        #expect(String(decoding: exposition, as: UTF8.self).contains("render_requests_total{format=\"unknown\",outcome=\"invalid\"} 1"))
    }
}
