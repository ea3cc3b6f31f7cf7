package import ServiceKit

/// The storage service's own settings.
package struct StorageSettings: ServiceSettings {
    package enum Backend: String, Sendable, CaseIterable {
        /// One SQLite file (WAL): the embedded default.
        case sqlite
        /// Memory only, lost at exit: for tests and demos.
        case memory
    }

    package var backend = Backend.sqlite
    /// The SQLite file; its directory is created if missing.
    package var path = "data/storage.sqlite"
    /// How often expired cache entries are deleted.
    package var cacheCleanupInterval = Duration.seconds(60)
    /// Largest cached value, in bytes.
    package var cacheMaxValueBytes = 3 << 20

    package static let defaults = StorageSettings()

    package static let keys: [ConfigKey<StorageSettings>] = [
        .choice("storage.backend", \.backend, help: "sqlite (one file, durable) or memory (lost at exit)."),
        .string("storage.path", \.path, help: "The SQLite database file (created with its directory if missing).") { text in
            text.isEmpty ? "expected a file path, got nothing" : nil
        },
        .duration("cache.cleanup_interval", \.cacheCleanupInterval, in: .milliseconds(100)...Duration.seconds(86_400), help: "How often expired cache entries are deleted.", reloadable: true),
        .integer("cache.max_value_bytes", \.cacheMaxValueBytes, in: 1...(3_900_000), help: "Largest cached value in bytes (below the RPC message limit)."),
    ]
}
