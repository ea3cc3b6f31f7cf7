import Contracts
import ContractsTestSupport
import Foundation
import Testing

/// Committed wire corpora: bytes written by Python protobuf must decode to the values in
/// `Corpus/python/README.md`, and the Swift encoding of the sample report must not drift (Python checks the
/// same file from its side, in Tests/Interop).
@Suite("Wire corpus")
struct CorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: corpus.appendingPathComponent(path)))
    }

    @Test("the sample report encodes to the committed bytes")
    func swiftSampleReport() throws {
        #expect(try SampleReport.full().serializedBytes() == Self.bytes("swift/sample_report.binpb"))
    }

    @Test("a Python-encoded Job: optional false is present, absent is nil, Cyrillic map keys")
    func job() throws {
        let job = try CommonV1.Job(serializedBytes: Self.bytes("python/job.binpb"))
        #expect(job.id == "job_01JDQ8Z3K4M5N6P7Q8R9S0T1V3")
        #expect(job.state == .running)
        #expect(job.stage == .registries)
        #expect(job.percent == 35)
        #expect(job.request?.clientName == "Сбербанк")
        let options = try #require(job.request?.options)
        #expect(options.sources == [.dadata, .casebook, .tavily])
        #expect(options.narrativeLlm == false)
        #expect(options.renderPdf == true)
        #expect(options.webSearch == nil)
        #expect(options.extraIntents == ["судебные споры с поставщиками", "sanctions exposure"])
        #expect(job.labels == ["priority": "high", "source": "cli", "отдел": "закупки"])
        #expect(job.leaseExpiresAtMs == 1_764_000_060_000)
    }

    @Test("a Python-encoded ProgressEvent with a message in its oneof")
    func progressEvent() throws {
        let event = try CommonV1.ProgressEvent(serializedBytes: Self.bytes("python/progress_event.binpb"))
        #expect(event.message == "Источник Infosphere не ответил за 30 с")
        guard case .source(let status)? = event.detail else {
            Issue.record("detail is \(String(describing: event.detail))")
            return
        }
        #expect(status.source == .infosphere)
        #expect(status.state == .timeout)
        #expect(status.attempts == 3)
    }

    @Test("a Python-encoded health response is two bytes")
    func health() throws {
        let bytes = try Self.bytes("python/health_check_response.binpb")
        #expect(bytes == [0x08, 0x01])
        #expect(try GrpcHealthV1.HealthCheckResponse(serializedBytes: bytes).status == .serving)
    }

    @Test("a Python-encoded ServiceInfo with two maps")
    func serviceInfo() throws {
        let info = try OpsV1.ServiceInfo(serializedBytes: Self.bytes("python/service_info.binpb"))
        #expect(info.name == "storage")
        #expect(info.featureFlags.count == 4)
        #expect(info.featureFlags["queue.max_attempts"] == "5")
        #expect(info.backends == ["queue": "embedded", "storage": "sqlite"])
    }

    @Test("a Python-encoded liquidated company: explicit zeros are present, missing ones are nil")
    func liquidatedCompany() throws {
        let card = try CommonV1.CompanyCard(serializedBytes: Self.bytes("python/company_card_liquidated.binpb"))
        #expect(card.status == .liquidated)
        #expect(card.shortName == "ООО \"РОМАШКА\"")
        #expect(card.capitalKopecks == 0)
        #expect(card.employeeCount == nil)
        #expect(card.actualityDate == "")
        #expect(card.head?.disqualified == true)
        #expect(card.address?.massRegistration == true)
        #expect(card.founders.count == 2)
        #expect(card.founders[0].sharePercent == 100)
        #expect(card.founders[1].sharePercent == nil)
        #expect(card.finances.first?.debtKopecks == 0)
        #expect(card.finances.first?.penaltyKopecks == nil)
    }

    @Test("a Python-encoded report with an enum number this schema does not declare")
    func unknownRiskLevel() throws {
        let bytes = try Self.bytes("python/report_unknown_risk_level.binpb")
        let report = try CommonV1.Report(serializedBytes: bytes)
        #expect(report.risk?.level == .unrecognized(99))
        #expect(report.risk?.unflooredLevel == .low)
        #expect(report.risk?.markers.first?.title == "Адрес массовой регистрации")
        #expect(report.documentFormats == ["pdf", "docx"])
        // Re-encoding keeps the unknown number on the wire.
        #expect(try CommonV1.Report(serializedBytes: report.serializedBytes()).risk?.level.protoNumber == 99)
    }
}
