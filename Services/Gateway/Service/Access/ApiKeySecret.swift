internal import Crypto

/// An API key as a caller presents it: `cla_<id>_<secret>`. The id finds the record; the record holds only
/// SHA-256 of `<id>:<secret>` (the secret salted by its id), so a leaked database yields no usable key.
package struct ApiKeySecret: Sendable, Equatable {
    package let id: String
    package let secret: String

    package static let prefix = "cla_"

    /// A new random key (128-bit id, 256-bit secret).
    package static func generate() -> ApiKeySecret {
        ApiKeySecret(id: "key" + randomHex(bytes: 8), secret: randomHex(bytes: 32))
    }

    init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// Parses a presented token; nil when it is not shaped like one of ours.
    package init?(token: String) {
        guard token.hasPrefix(Self.prefix) else { return nil }
        let body = token.dropFirst(Self.prefix.count)
        guard let separator = body.firstIndex(of: "_") else { return nil }
        let id = String(body[..<separator]), secret = String(body[body.index(after: separator)...])
        guard !id.isEmpty, secret.count >= 16, id.utf8.count <= 64, secret.utf8.count <= 256 else { return nil }
        self.init(id: id, secret: secret)
    }

    /// What the caller sends in `Authorization: Bearer …`.
    package var token: String { Self.prefix + id + "_" + secret }

    /// What storage keeps: hex SHA-256 of `<id>:<secret>`.
    package var hash: String { Self.hex(SHA256.hash(data: Array("\(id):\(secret)".utf8))) }

    /// The first 12 hex digits of SHA-256 of whatever a caller presented: enough to tell repeated attempts
    /// with one wrong key apart in the audit log, too little to recover or use it. Empty for nothing presented.
    package static func fingerprint(_ presented: String) -> String {
        presented.isEmpty ? "" : String(hex(SHA256.hash(data: Array(presented.utf8))).prefix(12))
    }

    private static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    private static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
