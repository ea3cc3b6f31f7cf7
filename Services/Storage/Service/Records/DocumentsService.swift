package import Contracts
package import RPCCore

/// The document methods of `storage.v1.Reports`: PutDocument (client stream of chunks) and GetDocument
/// (server stream of 64 KiB chunks, the first with the content type and size).
package struct DocumentsService: Sendable {
    private let store: any RecordStore
    private let maxBytes: Int
    private let now: @Sendable () -> Int64

    package static let chunkBytes = 64 << 10

    package init(store: any RecordStore, maxBytes: Int = 64 << 20, now: @escaping @Sendable () -> Int64) {
        self.store = store
        self.maxBytes = maxBytes
        self.now = now
    }

    private typealias Method = StorageV1.Reports.Method

    package func register(in router: inout RPCRouter) {
        router.registerClientStreaming(Method.PutDocument.self) { requests, _ in
            var header: StorageV1.PutDocumentRequest?
            var data: [UInt8] = []
            for try await request in requests {
                if header == nil { header = request }
                data += request.data
                guard data.count <= maxBytes else {
                    throw RPCError(.invalidArgument, "data: the document is over the limit of \(maxBytes) bytes")
                }
            }
            guard let header else { throw RPCError(.invalidArgument, "the stream held no message") }
            return ServerResponse(try await put(header: header, data: data))
        }
        router.registerServerStreaming(Method.GetDocument.self) { request, writer, _ in
            try await get(request) { try await writer.write($0) }
            return [:]
        }
    }

    package func put(header: StorageV1.PutDocumentRequest, data: [UInt8]) async throws -> StorageV1.PutDocumentResponse {
        let reportID = try Validate.nonEmpty(header.reportId, "report_id")
        let format = try Self.format(header.format)
        let contentType = header.contentType.isEmpty ? "application/octet-stream" : header.contentType
        let (size, sha256) = try await store.putDocument(reportID: reportID, format: format, contentType: contentType, data: data, now: now())
        return .with {
            $0.size = size
            $0.sha256 = sha256
        }
    }

    package func get(_ request: StorageV1.GetDocumentRequest, send: (StorageV1.Chunk) async throws -> Void) async throws {
        let reportID = try Validate.nonEmpty(request.reportId, "report_id")
        let format = try Self.format(request.format)
        guard let (contentType, data) = try await store.document(reportID: reportID, format: format) else {
            throw RPCError(.notFound, "report \(reportID) has no \(format) document")
        }
        var offset = 0
        repeat {
            let end = min(offset + Self.chunkBytes, data.count)
            try await send(.with {
                $0.data = Array(data[offset..<end])
                if offset == 0 {
                    $0.contentType = contentType
                    $0.totalSize = Int64(data.count)
                }
            })
            offset = end
        } while offset < data.count
    }

    /// A short lower-case name such as `pdf` or `html`.
    static func format(_ value: String) throws -> String {
        guard (1...16).contains(value.count), value.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) }) else {
            throw RPCError(.invalidArgument, "format: a short lower-case name such as \"pdf\", got \"\(value)\"")
        }
        return value
    }
}
