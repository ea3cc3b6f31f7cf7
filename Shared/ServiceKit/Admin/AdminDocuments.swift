internal import Contracts

/// The JSON bodies of the admin HTTP port. Their schemas are fixed and documented in docs/admin-http.md;
/// field names are snake_case and fields are never omitted (absent values are empty strings or lists).
enum AdminDocuments {
    /// `GET /healthz`: the process is alive (always 200 while it answers).
    struct Liveness: Codable, Equatable {
        var status = "alive"
        var service: String
        var uptime_seconds: Double
    }

    /// `GET /readyz`: 200 when ready for traffic, 503 otherwise.
    struct Readiness: Codable, Equatable {
        /// "ready" or "not_ready".
        var status: String
        /// "starting", "serving" or "draining".
        var phase: String
        var dependencies: [Dependency]

        struct Dependency: Codable, Equatable {
            var name: String
            var required: Bool
            /// "up" or "down".
            var status: String
            var detail: String
            var checked_seconds_ago: Double
        }
    }

    /// `GET /info`: what is running.
    struct Info: Codable, Equatable {
        var name: String
        var version: String
        var git_revision: String
        var build: String
        var instance: String
        var started_at_ms: Int64
        var uptime_seconds: Double
        var feature_flags: [String: String]
        var backends: [String: String]

        init(_ info: OpsV1.ServiceInfo) {
            name = info.name
            version = info.version
            git_revision = info.gitRevision
            build = info.build
            instance = info.instance
            started_at_ms = info.startedAtMs
            uptime_seconds = Double(info.uptimeMs) / 1000
            feature_flags = info.featureFlags
            backends = info.backends
        }
    }

    /// Any error of the admin port (unknown path, wrong method).
    struct Problem: Codable, Equatable {
        var error: String
    }
}
