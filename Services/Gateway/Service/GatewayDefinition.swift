package import ServiceKit

/// `gateway`: the external API (gRPC and REST), authentication, roles and rate limits. Today it runs the
/// chassis with its dependencies; the API arrives with the gateway issue.
package enum GatewayDefinition: ServiceDefinition {
    package typealias Settings = NoSettings
    package static let name = "gateway"
    package static let summary = "Client Analyze gateway: the external gRPC and REST API."
    package static let defaultPorts = (rpc: 50051, admin: 9091)
    package static let dependencies: [Dependency] = [
        Dependency("storage", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 50054), required: true),
        Dependency("analyzer", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 50052), required: false),
        Dependency("report-renderer", defaultAddress: ServiceAddress(host: "127.0.0.1", port: 50053), required: false),
    ]
}
