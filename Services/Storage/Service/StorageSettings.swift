package import ServiceKit

/// The storage service's own settings.
package struct StorageSettings: ServiceSettings {
    package enum Backend: String, Sendable, CaseIterable {
        /// One SQLite file (WAL): the embedded default.
        case sqlite
        /// Memory only, lost at exit: for tests and demos.
        case memory
        /// Everything in Tarantool (`storage.tarantool.*`); `storage.path` is unused.
        case tarantool
    }

    package var backend = Backend.sqlite
    /// The SQLite file; its directory is created if missing.
    package var path = "data/storage.sqlite"
    /// Start even if other users can read the SQLite files (normally refused).
    package var allowSharedFiles = false
    /// The Tarantool instance (compose/tarantool/init.lua) for `backend: tarantool`.
    package var tarantoolAddress = ServiceAddress(host: "127.0.0.1", port: 3301)
    package var tarantoolUser = "cla"
    package var tarantoolPassword = Secret()
    /// Prefix of this deployment's spaces, so that several can share an instance.
    package var tarantoolNamespace = "cla"
    package var tarantoolTimeout = Duration.seconds(5)
    /// How often expired cache entries are deleted.
    package var cacheCleanupInterval = Duration.seconds(60)
    /// Largest cached value, in bytes.
    package var cacheMaxValueBytes = 3 << 20

    /// Attempts before a job becomes a dead letter, and the backoff between them.
    package var retry = JobRetryPolicy()
    /// The broker that storage publishes due jobs to (`features.queue_backend: rabbitmq`).
    package var broker = BrokerSettings()
    /// A job published to the broker and not claimed by a worker within this time is published again (a
    /// message lost before its confirmation, or a very long backlog; workers drop duplicates).
    package var redispatchAfter = Duration.seconds(300)

    package static let defaults = StorageSettings()

    package static let keys: [ConfigKey<StorageSettings>] = [
        .choice("storage.backend", \.backend, help: "sqlite (one file, durable), memory (lost at exit) or tarantool (everything in Tarantool, storage.tarantool.*)."),
        .string("storage.path", \.path, help: "The SQLite database file (created with its directory if missing; unused with tarantool).") { text in
            text.isEmpty ? "expected a file path, got nothing" : nil
        },
        .bool("storage.allow_shared_files", \.allowSharedFiles, help: "Start even when other users can read the SQLite database (normally refused: it holds every report and key hash)."),
        .address("storage.tarantool.address", \.tarantoolAddress, help: "Tarantool host:port (storage.backend: tarantool)."),
        .string("storage.tarantool.user", \.tarantoolUser, help: "Tarantool user (chap-sha1 login)."),
        .secret("storage.tarantool.password", \.tarantoolPassword, help: "Tarantool password.", reloadable: false),
        .string("storage.tarantool.namespace", \.tarantoolNamespace, help: "Prefix of this deployment's Tarantool spaces.") { text in
            text.wholeMatch(of: /[a-z][a-z0-9_]{0,30}/) == nil ? "expected lowercase letters, digits and _ (starting with a letter), got \(text)" : nil
        },
        .duration("storage.tarantool.timeout", \.tarantoolTimeout, in: .milliseconds(100)...Duration.seconds(120), help: "How long a Tarantool request may take."),
        .duration("cache.cleanup_interval", \.cacheCleanupInterval, in: .milliseconds(100)...Duration.seconds(86_400), help: "How often expired cache entries are deleted.", reloadable: true),
        .integer("cache.max_value_bytes", \.cacheMaxValueBytes, in: 1...(3_900_000), help: "Largest cached value in bytes (below the RPC message limit)."),
        .integer("jobs.max_attempts", \.retryMaxAttempts, in: 1...100, help: "Attempts before a failing job becomes a dead letter (for jobs enqueued from then on).", reloadable: true),
        .duration("jobs.retry_backoff", \.retry.backoff, in: .milliseconds(10)...Duration.seconds(3600), help: "Wait after the first failure; doubles with each further one.", reloadable: true),
        .duration("jobs.retry_backoff_max", \.retry.maxBackoff, in: .milliseconds(10)...Duration.seconds(86_400), help: "Longest wait between attempts.", reloadable: true),
        .duration("jobs.redispatch_after", \.redispatchAfter, in: .seconds(1)...Duration.seconds(86_400), help: "With RabbitMQ: publish a job again when no worker claimed it within this time.", reloadable: true),
    ] + BrokerSettings.keys(
        address: \.broker.address, user: \.broker.user, password: \.broker.password, vhost: \.broker.vhost, queue: \.broker.queue,
        deliveryLimit: \.broker.deliveryLimit)

    /// `retry.maxAttempts` as an `Int` for the integer setting.
    package var retryMaxAttempts: Int {
        get { Int(retry.maxAttempts) }
        set { retry.maxAttempts = Int32(newValue) }
    }
}
