package import ServiceKit

/// `storage`: all state — threads, report versions and documents, feedback, cache, the embedded job queue.
/// Today it runs the chassis only; its services arrive with the storage issue.
package enum StorageDefinition: ServiceDefinition {
    package typealias Settings = NoSettings
    package static let name = "storage"
    package static let summary = "Client Analyze storage: threads, reports, feedback, cache and the job queue."
    package static let defaultPorts = (rpc: 50054, admin: 9094)
    package static let dependencies: [Dependency] = []
}
