internal import ServiceKit
package import Contracts
package import RPCCore

/// The embedded queue in storage, over RPC.
package struct StorageJobQueue: JobQueue {
    private let client: RPCClient
    package init(client: RPCClient) { self.client = client }
    private typealias Method = StorageV1.Jobs.Method

    package func lease(worker: String, max: Int, visibility: Duration, wait: Duration) async throws -> [CommonV1.Job] {
        try await client.unary(Method.Lease.self, .with {
            $0.worker = worker
            $0.maxJobs = Int32(max)
            $0.visibilityTimeoutMs = visibility.milliseconds
            $0.waitMs = wait.milliseconds
        }, timeout: wait + .seconds(5)).message.jobs
    }

    /// Leases the job a broker delivered, if it is still queued; nil when there is nothing to run.
    package func claim(jobID: String, worker: String, visibility: Duration) async throws -> CommonV1.Job? {
        try await client.unary(Method.Lease.self, .with {
            $0.worker = worker
            $0.jobId = jobID
            $0.visibilityTimeoutMs = visibility.milliseconds
        }, timeout: .seconds(5)).message.jobs.first
    }

    package func heartbeat(jobID: String, worker: String, visibility: Duration) async throws -> Bool {
        try await client.unary(Method.Heartbeat.self, .with {
            $0.jobId = jobID
            $0.worker = worker
            $0.visibilityTimeoutMs = visibility.milliseconds
        }, timeout: .seconds(5)).message.cancelRequested
    }

    package func progress(_ event: CommonV1.ProgressEvent) async throws {
        _ = try await client.unary(Method.AppendProgress.self, .with { $0.event = event }, timeout: .seconds(5))
    }

    package func complete(jobID: String, worker: String, reportID: String) async throws {
        _ = try await client.unary(Method.Complete.self, .with {
            $0.jobId = jobID
            $0.worker = worker
            $0.reportId = reportID
        }, timeout: .seconds(5))
    }

    package func fail(jobID: String, worker: String, error: String, retriable: Bool) async throws -> CommonV1.Job {
        try await client.unary(Method.Fail.self, .with {
            $0.jobId = jobID
            $0.worker = worker
            $0.error = error
            $0.retriable = retriable
        }, timeout: .seconds(5)).message.job ?? CommonV1.Job()
    }

    package func release(jobID: String, worker: String) async throws {
        _ = try await client.unary(Method.Release.self, .with {
            $0.jobId = jobID
            $0.worker = worker
        }, timeout: .seconds(5))
    }
}

/// Reports and documents in storage, over RPC.
package struct StorageReportStore: ReportStore {
    private let client: RPCClient
    package init(client: RPCClient) { self.client = client }

    package func report(id: String) async throws -> CommonV1.Report? {
        do {
            return try await client.unary(StorageV1.Reports.Method.GetReport.self, .with { $0.id = id }, timeout: .seconds(5)).message.report
        } catch let error as RPCError where error.code == .notFound {
            return nil
        }
    }

    package func put(_ report: CommonV1.Report, jobID: String) async throws -> CommonV1.Report {
        try await client.unary(StorageV1.Reports.Method.PutReport.self, .with {
            $0.report = report
            $0.jobId = jobID
        }, timeout: .seconds(10)).message.report ?? report
    }

    package func putDocument(reportID: String, format: String, contentType: String, data: [UInt8]) async throws {
        let chunk = 64 << 10
        var requests: [StorageV1.PutDocumentRequest] = []
        var offset = 0
        repeat {
            let end = min(offset + chunk, data.count)
            requests.append(.with {
                if offset == 0 {
                    $0.reportId = reportID
                    $0.format = format
                    $0.contentType = contentType
                }
                $0.data = Array(data[offset..<end])
            })
            offset = end
        } while offset < data.count
        _ = try await client.clientStreaming(StorageV1.Reports.Method.PutDocument.self, requests, timeout: .seconds(30))
    }
}

/// report-renderer's Render, over RPC.
package struct RendererClient: PDFRenderer {
    private let client: RPCClient
    package init(client: RPCClient) { self.client = client }

    package func pdf(_ report: CommonV1.Report) async throws -> [UInt8] {
        try await client.streaming(RenderV1.Renderer.Method.Render.self, [.with {
            $0.report = report
            $0.format = .pdf
            $0.options = .with { $0.utcOffsetMinutes = 180 }
        }], timeout: .seconds(30)) { chunks in
            var data: [UInt8] = []
            for try await chunk in chunks { data += chunk.data }
            return data
        }.message
    }
}
