package import Contracts
package import RPCCore

/// A validated `PageRequest`: the size (1–1000, default 50) and where the previous page ended. Cursors are
/// opaque to clients: a prefix naming the listing and the hex of the last key, so a page boundary stays put
/// when rows are added.
package struct PageRequest: Sendable, Equatable {
    package var size: Int
    package var after: String?
    /// Tells one listing's cursors from another's (`c1.` cache keys, `j1.` job ids).
    package var cursorPrefix: String

    package static let defaultSize = 50
    package static let maxSize = 1000

    package init(_ page: CommonV1.PageRequest?, cursorPrefix: String = "c1.") throws {
        self.cursorPrefix = cursorPrefix
        let requested = Int(page?.pageSize ?? 0)
        guard (0...Self.maxSize).contains(requested) else {
            throw RPCError(.invalidArgument, "page.page_size: must be from 1 to \(Self.maxSize) (0: \(Self.defaultSize)), got \(requested)")
        }
        size = requested == 0 ? Self.defaultSize : requested
        let cursor = page?.cursor ?? ""
        guard !cursor.isEmpty else { return }
        guard let after = Self.key(fromCursor: cursor, prefix: cursorPrefix) else {
            throw RPCError(.invalidArgument, "page.cursor: not a cursor this service gave out")
        }
        self.after = after
    }

    /// How many rows to fetch: one more than a page, to know whether another page follows.
    package var limit: Int { size + 1 }

    /// The cursor for the page after `items` (fetched with `limit`), or "" when they were the last.
    package func nextCursor<Item>(_ items: [Item], key: (Item) -> String) -> String {
        items.count > size ? Self.cursor(after: key(items[size - 1]), prefix: cursorPrefix) : ""
    }

    package static func cursor(after key: String, prefix: String = "c1.") -> String {
        prefix + key.utf8.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    static func key(fromCursor cursor: String, prefix: String) -> String? {
        guard cursor.hasPrefix(prefix), (cursor.count - prefix.count) % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var digits = cursor.dropFirst(prefix.count)[...]
        while !digits.isEmpty {
            guard let byte = UInt8(digits.prefix(2), radix: 16) else { return nil }
            bytes.append(byte)
            digits = digits.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
