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

        /// An answer made at run time (the labels), its ETag from its bytes.
        init(contentType: String, text: String) {
            self.init(contentType: contentType, etag: Self.etag(of: Data(text.utf8)), identity: ByteBuffer(string: text), gzip: nil)
        }

        init(contentType: String, etag: String, identity: ByteBuffer, gzip: ByteBuffer?) {
            self.contentType = contentType
            self.etag = etag
            self.identity = identity
            self.gzip = gzip
        }

        /// A quoted ETag: the first 80 bits of the bytes' SHA-256, as the generator writes them.
        static func etag(of data: Data) -> String {
            "\"" + SHA256.hash(data: data).prefix(10).map { String(format: "%02x", $0) }.joined() + "\""
        }
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
            files[name] = Asset(contentType: type, etag: Asset.etag(of: data), identity: ByteBuffer(bytes: data), gzip: nil)
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
