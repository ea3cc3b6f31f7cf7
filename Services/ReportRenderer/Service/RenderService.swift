package import Contracts
internal import NIOPosix
package import Prometheus
package import RPCCore
internal import ServiceKit

/// `render.v1.Renderer`: renders on NIO's shared thread pool (one render stays on one thread, as pango needs,
/// and the event loops stay free), then streams the document back in 64 KiB chunks. The first chunk carries
/// the content type and file name, the last the page count and total size.
package struct RenderService: Sendable {
    package static let chunkBytes = 64 << 10
    private let registry: PrometheusCollectorRegistry
    private let now: @Sendable () -> Int64

    package init(registry: PrometheusCollectorRegistry, now: @escaping @Sendable () -> Int64) {
        self.registry = registry
        self.now = now
    }

    package func register(in router: inout RPCRouter) {
        router.registerServerStreaming(RenderV1.Renderer.Method.Render.self) { request, writer, _ in
            for chunk in try await render(request) { try await writer.write(chunk) }
            return [:]
        }
    }

    /// The document as the chunks the RPC sends.
    package func render(_ request: RenderV1.RenderRequest) async throws -> [RenderV1.RenderChunk] {
        let format = Self.label(request.format)
        let start = ContinuousClock.now
        let generatedAt = now()
        let document: RenderedDocument
        do {
            document = try await NIOThreadPool.singleton.runIfActive { try DocumentRenderer.render(request, generatedAtMs: generatedAt) }
        } catch let failure as RenderRequestValidation.Failure {
            count(format: format, outcome: "invalid")
            throw RPCError(.invalidArgument, failure.description)
        } catch let failure as RenderFailure {
            count(format: format, outcome: "error")
            throw RPCError(.internal, "rendering failed: \(failure.description)")
        }
        count(format: format, outcome: "ok")
        registry.makeDurationHistogram(
            descriptor: .named("render_duration_seconds", help: "Time to render one document, by format."), labels: [("format", format)],
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5].map { Duration.nanoseconds(Int64($0 * 1e9)) }
        ).record(ContinuousClock.now - start)
        registry.makeCounter(descriptor: .named("render_output_bytes_total", help: "Bytes of rendered documents, by format."), labels: [("format", format)])
            .increment(by: Int64(document.bytes.count))
        return Self.chunks(document)
    }

    static func chunks(_ document: RenderedDocument) -> [RenderV1.RenderChunk] {
        var chunks: [RenderV1.RenderChunk] = []
        var offset = 0
        repeat {
            let end = min(offset + chunkBytes, document.bytes.count)
            chunks.append(.with {
                $0.data = Array(document.bytes[offset..<end])
                if offset == 0 {
                    $0.contentType = document.contentType
                    $0.fileName = document.fileName
                }
                if end == document.bytes.count {
                    $0.pageCount = Int32(document.pageCount)
                    $0.totalSize = Int64(document.bytes.count)
                }
            })
            offset = end
        } while offset < document.bytes.count
        return chunks
    }

    private func count(format: String, outcome: String) {
        registry.makeCounter(
            descriptor: .named("render_requests_total", help: "Render requests by format and outcome (ok, invalid, error)."),
            labels: [("format", format), ("outcome", outcome)]
        ).increment()
    }

    /// `pdf`, `html`, `markdown`, `csv` or `unknown`.
    static func label(_ format: RenderV1.Format) -> String {
        switch format {
        case .pdf: "pdf"
        case .html: "html"
        case .markdown: "markdown"
        case .csv: "csv"
        default: "unknown"
        }
    }
}
