import Contracts
import ReportFixtures
@testable import ReportRenderer
import Testing

@Suite("Render request validation")
struct ValidationTests {
    static func request(_ change: (inout RenderV1.RenderRequest) -> Void) -> RenderV1.RenderRequest {
        var request = RenderV1.RenderRequest.with {
            $0.report = ReportFixtures.clean
            $0.format = .pdf
        }
        change(&request)
        return request
    }

    static let invalid: [(String, RenderV1.RenderRequest)] = [
        ("format", request { $0.format = .unspecified }),
        ("report", request { $0.report = nil }),
        ("report.inn", request { $0.report?.inn = "77070838" }),
        ("report.inn", request { $0.report?.inn = "77070838ab" }),
        ("report.version", request { $0.report?.version = 0 }),
        ("report.risk.score", request { $0.report?.risk?.score = 140 }),
        ("report.risk.score", request { $0.report?.risk?.score = .nan }),
        ("report.risk.confidence", request { $0.report?.risk?.confidence = -0.1 }),
        ("report.risk.categories[1].weight", request { $0.report?.risk?.categories[1].weight = 2 }),
        ("report.risk.markers[0].contribution", request { $0.report?.risk?.markers[0].contribution = .infinity }),
        ("options.locale", request { $0.options = .with { $0.locale = "en" } }),
        ("options.max_court_cases", request { $0.options = .with { $0.maxCourtCases = -1 } }),
        ("options.utc_offset_minutes", request { $0.options = .with { $0.utcOffsetMinutes = 900 } }),
    ]

    @Test("malformed requests are refused, naming the field", arguments: invalid)
    func refused(field: String, request: RenderV1.RenderRequest) {
        let failure = #expect(throws: RenderRequestValidation.Failure.self) { try DocumentRenderer.render(request, generatedAtMs: 0) }
        #expect(failure?.field == field)
    }

    @Test("every fixture is a valid request in every format", arguments: ReportFixtures.all.map(\.name))
    func fixturesAreValid(name: String) throws {
        let report = try #require(ReportFixtures.all.first { $0.name == name }?.report)
        for format in [RenderV1.Format.pdf, .html, .markdown, .csv] where name != "stress" || format != .pdf {
            let document = try DocumentRenderer.render(.with { $0.report = report; $0.format = format }, generatedAtMs: 0)
            #expect(!document.bytes.isEmpty)
            #expect(document.fileName.hasPrefix(report.inn + "-v\(report.version)."))
        }
    }
}
