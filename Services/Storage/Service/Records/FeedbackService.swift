package import Contracts
package import RPCCore

/// `clientanalyze.storage.v1.FeedbackStore`: what users said about a report version.
package struct FeedbackService: Sendable {
    private let store: any RecordStore
    private let now: @Sendable () -> Int64

    package init(store: any RecordStore, now: @escaping @Sendable () -> Int64) {
        self.store = store
        self.now = now
    }

    private typealias Method = StorageV1.FeedbackStore.Method

    package func register(in router: inout RPCRouter) {
        router.registerUnary(Method.AddFeedback.self) { request, _ in ServerResponse(try await addFeedback(request)) }
        router.registerUnary(Method.ListFeedback.self) { request, _ in ServerResponse(try await listFeedback(request)) }
    }

    package func addFeedback(_ request: StorageV1.AddFeedbackRequest) async throws -> StorageV1.AddFeedbackResponse {
        guard let feedback = request.feedback else { throw RPCError(.invalidArgument, "feedback: must be set") }
        _ = try Validate.nonEmpty(feedback.reportId, "feedback.report_id")
        switch feedback.rating {
        case .accurate, .partiallyAccurate, .inaccurate: break
        default: throw RPCError(.invalidArgument, "feedback.rating: must be ACCURATE, PARTIALLY_ACCURATE or INACCURATE")
        }
        _ = try Validate.text(feedback.comment, "feedback.comment", max: 10_000)
        guard feedback.focusAreas.count <= 50, feedback.issueTags.count <= 50 else {
            throw RPCError(.invalidArgument, "feedback.focus_areas / issue_tags: at most 50 each")
        }
        let stored = try await store.addFeedback(feedback, now: now())
        return .with { $0.feedback = stored }
    }

    package func listFeedback(_ request: StorageV1.ListFeedbackRequest) async throws -> StorageV1.ListFeedbackResponse {
        let page = try PageRequest(request.page, cursorPrefix: "f1.")
        let entries: [CommonV1.Feedback]
        switch request.key {
        case .reportId(let id)?:
            entries = try await store.listFeedback(reportID: try Validate.nonEmpty(id, "report_id"), threadID: nil, before: page.after, limit: page.limit)
        case .threadId(let id)?:
            entries = try await store.listFeedback(reportID: nil, threadID: try Validate.nonEmpty(id, "thread_id"), before: page.after, limit: page.limit)
        case nil:
            throw RPCError(.invalidArgument, "key: set report_id or thread_id")
        }
        return .with { response in
            response.feedback = Array(entries.prefix(page.size))
            response.page = .with {
                $0.nextCursor = page.nextCursor(entries, key: \.id)
            }
        }
    }
}
