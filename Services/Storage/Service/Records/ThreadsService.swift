package import Contracts
package import RPCCore

/// `clientanalyze.storage.v1.Threads`: one thread per subject company (INN), holding its report versions.
package struct ThreadsService: Sendable {
    private let store: any RecordStore
    private let now: @Sendable () -> Int64
    /// Removes a deleted thread's jobs (thread id, INN): the number deleted.
    private let forgetJobs: (@Sendable (String, String) async throws -> Int64)?

    package init(
        store: any RecordStore, now: @escaping @Sendable () -> Int64,
        forgetJobs: (@Sendable (String, String) async throws -> Int64)? = nil
    ) {
        self.store = store
        self.now = now
        self.forgetJobs = forgetJobs
    }

    private typealias Method = StorageV1.Threads.Method

    package func register(in router: inout RPCRouter) {
        router.registerUnary(Method.CreateThread.self) { request, _ in ServerResponse(try await createThread(request)) }
        router.registerUnary(Method.GetThread.self) { request, _ in ServerResponse(try await getThread(request)) }
        router.registerUnary(Method.ListThreads.self) { request, _ in ServerResponse(try await listThreads(request)) }
        router.registerUnary(Method.SearchThreads.self) { request, _ in ServerResponse(try await searchThreads(request)) }
        router.registerUnary(Method.CountThreads.self) { request, _ in
            let count = try await store.countThreads(try RecordFilter(request.filter))
            return ServerResponse(.with { $0.count = count })
        }
        router.registerUnary(Method.DeleteThread.self) { request, _ in ServerResponse(try await deleteThread(request)) }
    }

    /// The thread with its reports, documents and feedback, then its jobs, so that none is left pointing at a
    /// deleted report (a repeat after a partial failure finishes the jobs' part).
    package func deleteThread(_ request: StorageV1.DeleteThreadRequest) async throws -> StorageV1.DeleteThreadResponse {
        let id = try Validate.nonEmpty(request.id, "id")
        guard let (thread, _) = try await store.thread(id: id, inn: nil), var deleted = try await store.deleteThread(id: id) else {
            throw RPCError(.notFound, "thread \(id) not found")
        }
        deleted.jobsDeleted = try await forgetJobs?(id, thread.inn) ?? 0
        return deleted
    }

    package func createThread(_ request: StorageV1.CreateThreadRequest) async throws -> StorageV1.CreateThreadResponse {
        let inn = try Validate.inn(request.inn, "inn")
        let name = try Validate.text(request.companyName, "company_name", max: 1000)
        let notes = try Validate.text(request.notes, "notes", max: 10_000)
        let (thread, created) = try await store.createThread(inn: inn, companyName: name, notes: notes, now: now())
        return .with {
            $0.thread = thread
            $0.created = created
        }
    }

    package func getThread(_ request: StorageV1.GetThreadRequest) async throws -> StorageV1.GetThreadResponse {
        let found: (CommonV1.Thread, [CommonV1.ReportSummary])?
        switch request.key {
        case .id(let id)?: found = try await store.thread(id: try Validate.nonEmpty(id, "id"), inn: nil)
        case .inn(let inn)?: found = try await store.thread(id: nil, inn: try Validate.inn(inn, "inn"))
        case nil: throw RPCError(.invalidArgument, "key: set id or inn")
        }
        guard let (thread, reports) = found else { throw RPCError(.notFound, "thread not found") }
        return .with {
            $0.thread = thread
            $0.reports = reports
        }
    }

    /// A page of threads, newest first. The total is left out: counting a million rows costs more than the
    /// page itself, and `CountThreads` answers it when wanted.
    package func listThreads(_ request: StorageV1.ListThreadsRequest) async throws -> StorageV1.ListThreadsResponse {
        let page = try PageRequest(request.page, cursorPrefix: "t2.")
        let found = try await store.listThreads(try RecordFilter(request.filter), before: try Self.position(page), limit: page.limit)
        return .with { response in
            response.threads = found.prefix(page.size).map(\.thread)
            response.page = .with { $0.nextCursor = page.nextCursor(found) { String($0.position) } }
        }
    }

    package func searchThreads(_ request: StorageV1.SearchThreadsRequest) async throws -> StorageV1.SearchThreadsResponse {
        let page = try PageRequest(request.page, cursorPrefix: "s2.")
        let found = try await store.searchThreads(request.query, before: try Self.position(page), limit: page.limit)
        return .with { response in
            response.threads = found.prefix(page.size).map(\.thread)
            response.page = .with { $0.nextCursor = page.nextCursor(found) { String($0.position) } }
        }
    }

    private static func position(_ page: PageRequest) throws -> Int64? {
        try page.after.map { text in
            guard let position = Int64(text) else { throw RPCError(.invalidArgument, "page.cursor: not a cursor this service gave out") }
            return position
        }
    }
}
