package import ServiceKit

/// `report-renderer`: stateless rendering of reports to PDF, Markdown, HTML and CSV. Today it runs the
/// chassis only; rendering arrives with the report-renderer issue.
package enum ReportRendererDefinition: ServiceDefinition {
    package typealias Settings = NoSettings
    package static let name = "report-renderer"
    package static let summary = "Client Analyze report renderer: reports to PDF, Markdown, HTML and CSV."
    package static let defaultPorts = (rpc: 50053, admin: 9093)
    package static let dependencies: [Dependency] = []
}
