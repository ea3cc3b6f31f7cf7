package import Contracts

/// One cached provider answer.
package struct CacheEntry: Sendable, Equatable {
    package var key: String
    package var value: [UInt8]
    package var source: CommonV1.Source
    package var createdAtMs: Int64
    package var expiresAtMs: Int64

    package init(key: String, value: [UInt8], source: CommonV1.Source, createdAtMs: Int64, expiresAtMs: Int64) {
        self.key = key
        self.value = value
        self.source = source
        self.createdAtMs = createdAtMs
        self.expiresAtMs = expiresAtMs
    }

    package var summary: CacheEntrySummary {
        CacheEntrySummary(key: key, source: source, sizeBytes: Int64(value.count), createdAtMs: createdAtMs, expiresAtMs: expiresAtMs)
    }
}

/// An entry without its value, for listings.
package struct CacheEntrySummary: Sendable, Equatable {
    package var key: String
    package var source: CommonV1.Source
    package var sizeBytes: Int64
    package var createdAtMs: Int64
    package var expiresAtMs: Int64

    package init(key: String, source: CommonV1.Source, sizeBytes: Int64, createdAtMs: Int64, expiresAtMs: Int64) {
        self.key = key
        self.source = source
        self.sizeBytes = sizeBytes
        self.createdAtMs = createdAtMs
        self.expiresAtMs = expiresAtMs
    }

    /// As the contract shows it: time left rather than the expiry instant.
    package func info(now: Int64) -> StorageV1.CacheEntryInfo {
        .with {
            $0.key = key
            $0.source = source
            $0.sizeBytes = sizeBytes
            $0.createdAtMs = createdAtMs
            $0.expiresInMs = max(0, expiresAtMs - now)
        }
    }
}

/// Entries and bytes held for one source.
package struct CacheSourceTotals: Sendable, Equatable {
    package var entries: Int64
    package var bytes: Int64

    package init(entries: Int64, bytes: Int64) {
        self.entries = entries
        self.bytes = bytes
    }
}
