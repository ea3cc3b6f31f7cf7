import ServiceKit
import Testing

@Suite("Dependency targets")
struct DependencyTargetTests {
    @Test("host:port lists and gRPC's dns: targets parse, and print as they were written")
    func parses() throws {
        #expect(try DependencyTarget(parsing: "10.0.0.1:50054,[::1]:50055")
            == .addresses([ServiceAddress(host: "10.0.0.1", port: 50054), ServiceAddress(host: "::1", port: 50055)]))
        #expect(try DependencyTarget(parsing: "dns:///analyzer-pods:50052") == .dns(name: "analyzer-pods", port: 50052, server: nil))
        #expect(try DependencyTarget(parsing: "dns:analyzer-pods:50052") == .dns(name: "analyzer-pods", port: 50052, server: nil))
        #expect(try DependencyTarget(parsing: "dns://10.96.0.10/analyzer-pods.cla.svc:50052")
            == .dns(name: "analyzer-pods.cla.svc", port: 50052, server: ServiceAddress(host: "10.96.0.10", port: 53)))
        let v6 = try DependencyTarget(parsing: "dns://[::1]:5353/pods.test:1")
        #expect(v6 == .dns(name: "pods.test", port: 1, server: ServiceAddress(host: "::1", port: 5353)))
        #expect(v6.description == "dns://[::1]:5353/pods.test:1")
        #expect(try DependencyTarget(parsing: "dns:///analyzer-pods:50052").description == "dns:///analyzer-pods:50052")
    }

    @Test("what is not a target says what was expected", arguments: [
        ("dns:///name", "expected dns:///name:port with a port from 1 to 65535"),
        ("dns:///a/b:1", "expected dns:///name:port with a port from 1 to 65535"),
        ("dns://10.0.0.1:53", "expected dns:///name:port or dns://server:port/name:port"),
        ("dns://dns.example/name:1", "expected the DNS server as an IP address[:port]"),
        ("storage", "expected host:port with a port from 1 to 65535 (or dns:///name:port)"),
        ("", "expected host:port[,host:port…] or dns:///name:port, got nothing"),
    ])
    func refuses(text: String, problem: String) {
        let error = #expect(throws: ConfigValueError.self) { try DependencyTarget(parsing: text) }
        #expect(error?.message.hasPrefix(problem) == true, "\(String(describing: error))")
    }
}
