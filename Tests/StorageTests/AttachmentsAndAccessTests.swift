import Contracts
import Crypto
import Foundation
import RPCCore
import Storage
import Synchronization
import Testing

/// Feedback, documents and access records, on every record backend.
@Suite("Feedback, documents and access")
struct AttachmentsAndAccessTests {
    typealias Backend = RecordStoreConformanceTests.Backend

    @Test("feedback and documents attach to a report; deleting the thread says what the cascade removed", arguments: Backend.allCases)
    func attachments(backend: Backend) async throws {
        let store = try await backend.make()
        let clock = Mutex<Int64>(1_800_000_000_000)  // ticks: feedback ids, newest first, follow the time
        let now: @Sendable () -> Int64 = { clock.withLock { $0 += 1; return $0 } }
        let reports = ReportsService(store: store, now: now)
        let feedback = FeedbackService(store: store, now: now)
        let documents = DocumentsService(store: store, now: now)
        let report = try await reports.putReport(.with { $0.report = .with { $0.inn = "7707083893" } }).report ?? .init()

        let added = try await feedback.addFeedback(.with {
            $0.feedback = .with { $0.reportId = report.id; $0.rating = .partiallyAccurate; $0.comment = "суды не учтены"; $0.rerun = true }
        }).feedback
        #expect(added?.threadId == report.threadId && added?.id.isEmpty == false)
        let listed = try await feedback.listFeedback(.with { $0.key = .threadId(report.threadId) }).feedback
        #expect(listed.map(\.comment) == ["суды не учтены"])
        let noRating = await #expect(throws: RPCError.self) {
            try await feedback.addFeedback(.with { $0.feedback = .with { $0.reportId = report.id } })
        }
        #expect(noRating?.message.hasPrefix("feedback.rating") == true)
        let unknown = await #expect(throws: RPCError.self) {
            try await feedback.addFeedback(.with { $0.feedback = .with { $0.reportId = "r-none"; $0.rating = .accurate } })
        }
        #expect(unknown?.code == .notFound)

        let pdf = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let put = try await documents.put(header: .with { $0.reportId = report.id; $0.format = "pdf"; $0.contentType = "application/pdf" }, data: pdf)
        #expect(put.size == 200_000)
        #expect(put.sha256 == SHA256.hash(data: pdf).map { String(format: "%02x", $0) }.joined())
        let chunks = Mutex<[StorageV1.Chunk]>([])
        try await documents.get(.with { $0.reportId = report.id; $0.format = "pdf" }) { chunk in chunks.withLock { $0.append(chunk) } }
        let received = chunks.withLock { $0 }
        #expect(received.count == 4 && received[0].contentType == "application/pdf" && received[0].totalSize == 200_000)
        #expect(received.flatMap(\.data) == pdf && received[1].contentType.isEmpty)
        let stored = try await store.report(id: report.id)
        #expect(stored?.documentFormats == ["pdf"])
        #expect(try await store.listReports(RecordFilter(), before: nil, limit: 10).first?.hasPdf == true)
        let missing = await #expect(throws: RPCError.self) {
            try await documents.get(.with { $0.reportId = report.id; $0.format = "html" }) { _ in }
        }
        #expect(missing?.code == .notFound)

        // Larger than a Tarantool chunk (1 MiB), then replaced by a shorter one: the whole new document comes back.
        let big = (0..<2_600_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }
        _ = try await documents.put(header: .with { $0.reportId = report.id; $0.format = "html"; $0.contentType = "text/html" }, data: big)
        #expect(try await store.document(reportID: report.id, format: "html")?.data == big)
        let smaller = Array(big.prefix(1_100_000).reversed())
        _ = try await documents.put(header: .with { $0.reportId = report.id; $0.format = "html"; $0.contentType = "text/html" }, data: smaller)
        #expect(try await store.document(reportID: report.id, format: "html")?.data == smaller)
        #expect(try await store.report(id: report.id)?.documentFormats == ["pdf", "html"])

        // Feedback by report, newest first, in pages.
        for rating in [CommonV1.FeedbackRating.accurate, .inaccurate] {
            _ = try await feedback.addFeedback(.with { $0.feedback = .with { $0.reportId = report.id; $0.rating = rating } })
        }
        let firstPage = try await feedback.listFeedback(.with { $0.key = .reportId(report.id); $0.page = .with { $0.pageSize = 2 } })
        let secondPage = try await feedback.listFeedback(.with {
            $0.key = .reportId(report.id); $0.page = .with { $0.pageSize = 2; $0.cursor = firstPage.page?.nextCursor ?? "" }
        })
        #expect(firstPage.feedback.map(\.rating) == [.inaccurate, .accurate] && secondPage.feedback.map(\.comment) == ["суды не учтены"])

        let deleted = try #require(try await store.deleteThread(id: report.threadId))
        #expect(deleted.reportsDeleted == 1 && deleted.documentsDeleted == 2 && deleted.feedbackDeleted == 3)
        #expect(try await store.document(reportID: report.id, format: "pdf") == nil)
    }

    @Test("API keys keep only hashes; lookup by hash, revoke is idempotent; the audit log filters and pages", arguments: Backend.allCases)
    func access(backend: Backend) async throws {
        let clock = Mutex<Int64>(1_800_000_000_000)
        let store = try await backend.stores().access
        let access = AccessService(store: store, now: { clock.withLock { $0 += 1; return $0 } })
        let hash = SHA256.hash(data: Array("cla_live_secret".utf8)).map { String(format: "%02x", $0) }.joined()
        let plain = await #expect(throws: RPCError.self) {
            try await access.put(.with { $0.name = "ci"; $0.role = .analyst; $0.secretHash = "cla_live_secret" })
        }
        #expect(plain?.message.hasPrefix("key.secret_hash: expected the SHA-256") == true)

        let key = try await access.put(.with { $0.name = "ci"; $0.role = .analyst; $0.secretHash = hash })
        #expect(try await access.get(.with { $0.lookup = .secretHash(hash) }).id == key.id)
        let duplicate = await #expect(throws: RPCError.self) {
            try await access.put(.with { $0.name = "copy"; $0.role = .viewer; $0.secretHash = hash })
        }
        #expect(duplicate?.code == .alreadyExists)
        #expect(key.lastUsedAtMs == 0)
        try await access.touch(key.id)
        let used = try await access.get(.with { $0.lookup = .id(key.id) }).lastUsedAtMs
        #expect(used > key.createdAtMs)
        try await store.touchKey(id: key.id, at: used - 1000)  // an older use does not move it back
        #expect(try await access.get(.with { $0.lookup = .id(key.id) }).lastUsedAtMs == used)
        try await access.touch("key_unknown")  // nothing to record, and no error
        let revoked = try await access.revoke(key.id)
        #expect(revoked.revoked && revoked.revokedAtMs > 0 && revoked.lastUsedAtMs == used)
        #expect(try await access.revoke(key.id) == revoked)
        try await access.touch(key.id)  // a use recorded after the revocation keeps it revoked
        #expect(try await access.get(.with { $0.lookup = .id(key.id) }).revoked)
        #expect(try await store.keys(includeRevoked: false).isEmpty)

        for (actor, action) in [("alice", "analysis.submit"), ("bob", "analysis.submit"), ("alice", "key.revoke"), ("alice", "analysis.cancel")] {
            _ = try await access.append(.with { $0.actor = actor; $0.action = action; $0.outcome = "ok" })
        }
        let alice = try await access.listAudit(.with { $0.actor = "alice"; $0.actionPrefix = "analysis." })
        #expect(alice.records.map(\.action) == ["analysis.cancel", "analysis.submit"])
        let firstPage = try await access.listAudit(.with { $0.page = .with { $0.pageSize = 3 } })
        let secondPage = try await access.listAudit(.with { $0.page = .with { $0.pageSize = 3; $0.cursor = firstPage.page?.nextCursor ?? "" } })
        #expect(firstPage.records.count == 3 && secondPage.records.count == 1 && secondPage.page?.nextCursor == "")
    }
}
