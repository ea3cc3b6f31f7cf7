@testable import Analyzer
import Foundation
import Testing

@Suite("Scoring documentation")
struct ScoringDocumentTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/scoring.md").standardized

    @Test("docs/scoring.md is what the model generates (CLA_UPDATE_DOCS=1 rewrites it)")
    func inStep() throws {
        let generated = ScoringModel.standard.markdown
        if ProcessInfo.processInfo.environment["CLA_UPDATE_DOCS"] == "1" {
            try generated.write(to: Self.path, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: Self.path, encoding: .utf8)
        #expect(committed == generated, "docs/scoring.md is stale: run CLA_UPDATE_DOCS=1 swift test --filter ScoringDocumentTests")
        #expect(generated.contains("| `registration.liquidated` | Компания ликвидирована | state.status = LIQUIDATED | 100 | critical | critical |"))
    }
}
