package import Contracts
package import RPCCore

/// A validated `PageRequest`: the size (1–1000, default 50) and where the previous page ended. Cursors are
/// opaque to clients: `c1.` and the hex of the last key, so a page boundary stays put when rows are added.
package struct PageRequest: Sendable, Equatable {
    package var size: Int
    package var after: String?

    package static let defaultSize = 50
    package static let maxSize = 1000

    package init(_ page: CommonV1.PageRequest?) throws {
        let requested = Int(page?.pageSize ?? 0)
        guard (0...Self.maxSize).contains(requested) else {
            throw RPCError(.invalidArgument, "page.page_size: must be from 1 to \(Self.maxSize) (0: \(Self.defaultSize)), got \(requested)")
        }
        size = requested == 0 ? Self.defaultSize : requested
        let cursor = page?.cursor ?? ""
        guard !cursor.isEmpty else { return }
        guard let after = Self.key(fromCursor: cursor) else {
            throw RPCError(.invalidArgument, "page.cursor: not a cursor this service gave out")
        }
        self.after = after
    }

    package static func cursor(after key: String) -> String {
        "c1." + key.utf8.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func key(fromCursor cursor: String) -> String? {
        guard cursor.hasPrefix("c1."), cursor.count % 2 == 1 else { return nil }
        var bytes: [UInt8] = []
        var digits = cursor.dropFirst(3)[...]
        while !digits.isEmpty {
            guard let byte = UInt8(digits.prefix(2), radix: 16) else { return nil }
            bytes.append(byte)
            digits = digits.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
