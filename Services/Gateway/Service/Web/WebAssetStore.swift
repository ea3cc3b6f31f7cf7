internal import Crypto
internal import Foundation
internal import NIOCore

/// The embedded assets (`WebAssets.generated.swift`) as answers: each with its ETag and its gzip form,
/// both made by `make generate`.
struct WebAssetStore: Sendable {
    struct Asset: Sendable {
        let contentType: String
        let etag: String
        let identity: ByteBuffer
        let gzip: ByteBuffer?
    }

    let files: [String: Asset]
    let shell: Asset

    init() {
        var files: [String: Asset] = [:]
        for file in WebAssets.files {
            files[file.name] = Asset(
                contentType: file.contentType, etag: "\"\(file.etag)\"", identity: ByteBuffer(string: file.text),
                // The generator wrote the base64 from Python's gzip: it always decodes.
                gzip: ByteBuffer(bytes: Data(base64Encoded: file.gzipBase64)!))
        }
        self.files = files
        shell = files["index.html"]!
    }

    /// The files under `directory`, uncompressed, with ETags of their contents; nil without an index.html.
    init?(directory: String) {
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return nil }
        var files: [String: Asset] = [:]
        for case let url as URL in walker {
            guard let data = try? Data(contentsOf: url), let type = Self.types[url.pathExtension] else { continue }
            let name = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            let etag = SHA256.hash(data: data).prefix(10).map { String(format: "%02x", $0) }.joined()
            files[name] = Asset(contentType: type, etag: "\"\(etag)\"", identity: ByteBuffer(bytes: data), gzip: nil)
        }
        guard let shell = files["index.html"] else { return nil }
        self.files = files
        self.shell = shell
    }

    private static let types = [
        "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml", "json": "application/json",
    ]
}
