import Contracts
import Dispatch
import ReportFixtures
@testable import ReportRenderer
import Testing

/// The PDF itself; `Tests/Interop/test_renderer.py` checks it further with poppler and qpdf.
@Suite("PDF writer")
struct PDFTests {
    static func pdf(_ report: CommonV1.Report) throws -> RenderedDocument {
        try DocumentRenderer.render(.with { $0.report = report; $0.format = .pdf }, generatedAtMs: 1_795_167_000_000)
    }

    @Test("fixtures render to complete PDFs of a sane length")
    func pageCounts() throws {
        let expected: [String: ClosedRange<Int>] = ["clean": 2...4, "liquidated": 1...3, "bankrupt": 4...9, "partial": 1...3, "rerun": 2...5]
        for (name, report) in ReportFixtures.all where name != "stress" {
            let document = try Self.pdf(report)
            #expect(document.bytes.starts(with: Array("%PDF-1.5".utf8)), "\(name)")
            #expect(document.bytes.suffix(6) == Array("%%EOF\n".utf8), "\(name)")
            #expect(expected[name]?.contains(document.pageCount) == true, "\(name): \(document.pageCount) pages")
            #expect(document.contentType == "application/pdf")
        }
    }

    @Test("500 court cases, 1 000 mentions and very long names paginate instead of overflowing")
    func stress() throws {
        let document = try Self.pdf(ReportFixtures.stress)
        #expect((100...250).contains(document.pageCount), "\(document.pageCount) pages")
        // Leaving out the mentions removes most of the pages.
        let shorter = try DocumentRenderer.render(
            .with { $0.report = ReportFixtures.stress; $0.format = .pdf; $0.options = .with { $0.omitWebMentions = true; $0.maxCourtCases = 50 } },
            generatedAtMs: 0)
        #expect(shorter.pageCount < document.pageCount / 4)
    }

    @Test("renders on several threads at once give the same documents")
    func concurrentRenders() async throws {
        let expected = try Self.pdf(ReportFixtures.bankrupt).pageCount
        let pages = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        // Own threads, as pango's font map is per thread.
                        DispatchQueue.global().async { continuation.resume(returning: (try? Self.pdf(ReportFixtures.bankrupt).pageCount) ?? -1) }
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(pages == Array(repeating: expected, count: 4))
    }

    @Test("page flow cuts text between lines and never past the bottom")
    func pageFlow() {
        let typesetter = Typesetter()
        let flow = PageFlow()
        let text = typesetter.layout(String(repeating: "Длинный абзац текста заключения. ", count: 600), .body, width: flow.width)
        flow.placeText(text, x: flow.left)
        #expect(flow.pages.count >= 3)
        #expect(flow.y <= flow.bottom)
        #expect(text.lineBottoms.count > 100)
        #expect(PDFReportWriter.niceStep(0.3) == 1)
        #expect(PDFReportWriter.niceStep(3.2) == 5)
        #expect(PDFReportWriter.niceStep(13) == 20)
        #expect(PDFReportWriter.linkAttributes("javascript:x") == nil)
        #expect(PDFReportWriter.linkAttributes("https://a.ru/it's") == "uri='https://a.ru/it\\'s'")
    }
}
