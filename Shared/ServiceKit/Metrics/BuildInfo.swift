internal import CBuildInfo

/// What binary is running: reported by `/info`, `Ops.GetInfo`, `--version` and the `cla_build_info` metric.
package struct BuildInfo: Sendable, Equatable {
    package var service: String
    package var version: String
    /// The git commit, or "unknown" when built outside `make` (which records it, see scripts/build-info.sh).
    package var revision: String
    /// The commit date and build configuration, e.g. "2026-11-25 debug".
    package var build: String

    /// The project's version; every executable shares it.
    package static let version = "0.4.0"

    package init(service: String, version: String = Self.version, revision: String, build: String) {
        self.service = service
        self.version = version
        self.revision = revision
        self.build = build
    }

    /// This binary's build information.
    package static func current(service: String) -> BuildInfo {
        #if DEBUG
        let configuration = "debug"
        #else
        let configuration = "release"
        #endif
        let date = String(cString: cla_build_date())
        return BuildInfo(
            service: service,
            revision: String(cString: cla_build_revision()),
            build: date.isEmpty ? configuration : "\(date) \(configuration)")
    }
}
