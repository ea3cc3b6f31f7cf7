package import ServiceKit
internal import Contracts

/// `report-renderer`: stateless rendering of reports to PDF (cairo + pango), HTML, Markdown and CSV. Any
/// number of instances can run side by side.
package enum ReportRendererDefinition: ServiceDefinition {
    package typealias Settings = NoSettings
    package static let name = "report-renderer"
    package static let summary = "Client Analyze report renderer: reports to PDF, Markdown, HTML and CSV."
    package static let defaultPorts = (rpc: 50053, admin: 9093)
    package static let dependencies: [Dependency] = []

    package static func makeParts(context: ServiceContext<NoSettings>) throws -> ServiceParts {
        let service = RenderService(registry: context.metrics.registry, now: { UnixTime.nowMilliseconds })
        return ServiceParts(register: { router in service.register(in: &router) })
    }
}
