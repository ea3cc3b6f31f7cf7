@testable import Analyzer
import Contracts
import Synchronization

/// The in-memory broker for worker tests: the same transitions as storage's queue, without the storage.
final class InMemoryJobQueue: JobQueue {
    struct Entry {
        var job: CommonV1.Job
        var cancelRequested = false
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let events = Mutex<[CommonV1.ProgressEvent]>([])
    let maxAttempts: Int32

    init(maxAttempts: Int32 = 3) { self.maxAttempts = maxAttempts }

    @discardableResult
    func enqueue(_ request: CommonV1.AnalysisRequest) -> String {
        entries.withLock { entries in
            let id = "j\(entries.count + 1)"
            entries[id] = Entry(job: .with {
                $0.id = id
                $0.request = request
                $0.state = .queued
                $0.threadId = "t-" + request.inn
                $0.maxAttempts = maxAttempts
            })
            return id
        }
    }

    func job(_ id: String) -> CommonV1.Job? { entries.withLock { $0[id]?.job } }
    func requestCancel(_ id: String) { entries.withLock { $0[id]?.cancelRequested = true } }
    var progressEvents: [CommonV1.ProgressEvent] { events.withLock { $0 } }

    /// A lease that ran out: the job is deliverable again (a crashed worker).
    func expireLease(_ id: String) { entries.withLock { $0[id]?.job.state = .queued } }

    func lease(worker: String, max: Int, visibility: Duration, wait: Duration) async throws -> [CommonV1.Job] {
        let leased = entries.withLock { entries -> [CommonV1.Job] in
            let ready = entries.values.filter { $0.job.state == .queued || $0.job.state == .retryWait }.map(\.job.id).sorted().prefix(max)
            return ready.map { id in
                entries[id]!.job.state = .running
                entries[id]!.job.attempts += 1
                entries[id]!.job.leaseOwner = worker
                return entries[id]!.job
            }
        }
        if leased.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        return leased
    }

    func heartbeat(jobID: String, worker: String, visibility: Duration) async throws -> Bool {
        entries.withLock { $0[jobID]?.cancelRequested ?? false }
    }

    func progress(_ event: CommonV1.ProgressEvent) async throws { events.withLock { $0.append(event) } }

    func complete(jobID: String, worker: String, reportID: String) async throws {
        entries.withLock { entries in
            entries[jobID]?.job.state = .succeeded
            entries[jobID]?.job.reportId = reportID
        }
    }

    func fail(jobID: String, worker: String, error: String, retriable: Bool) async throws -> CommonV1.Job {
        entries.withLock { entries in
            guard var entry = entries[jobID] else { return CommonV1.Job() }
            entry.job.error = error
            entry.job.state = entry.cancelRequested ? .cancelled : !retriable ? .failed : entry.job.attempts >= entry.job.maxAttempts ? .dead : .retryWait
            entries[jobID] = entry
            return entry.job
        }
    }

    func release(jobID: String, worker: String) async throws {
        entries.withLock { entries in
            entries[jobID]?.job.state = .queued
            entries[jobID]?.job.leaseOwner = ""
        }
    }
}

/// Reports in memory, numbered per thread, at most one per job.
final class InMemoryReportStore: ReportStore {
    private let state = Mutex<(reports: [CommonV1.Report], documents: [String: [UInt8]])>(([], [:]))

    var reports: [CommonV1.Report] { state.withLock { $0.reports } }
    func document(_ reportID: String) -> [UInt8]? { state.withLock { $0.documents[reportID] } }

    func report(id: String) async throws -> CommonV1.Report? { state.withLock { $0.reports.first { $0.id == id } } }

    func put(_ report: CommonV1.Report, jobID: String) async throws -> CommonV1.Report {
        state.withLock { state in
            if let existing = state.reports.first(where: { $0.jobId == jobID }) { return existing }
            var stored = report
            stored.id = "r\(state.reports.count + 1)"
            stored.version = Int32(state.reports.filter { $0.inn == report.inn }.count + 1)
            state.reports.append(stored)
            return stored
        }
    }

    func putDocument(reportID: String, format: String, contentType: String, data: [UInt8]) async throws {
        state.withLock { $0.documents[reportID] = data }
    }
}

/// A renderer that answers with a marker PDF, or fails while `failures` lasts.
final class FakeRenderer: PDFRenderer {
    struct Failure: Error {}
    private let failures: Mutex<Int>
    init(failures: Int = 0) { self.failures = Mutex(failures) }

    func pdf(_ report: CommonV1.Report) async throws -> [UInt8] {
        let fail = failures.withLock { count in
            guard count > 0 else { return false }
            count -= 1
            return true
        }
        if fail { throw Failure() }
        return Array("%PDF-1.5 \(report.inn) v\(report.version)".utf8)
    }
}
