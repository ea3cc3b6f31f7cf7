import Logging
import RPCCore
import ServiceKit
import Testing

@Suite("Logging")
struct LoggingTests {
    @Test("the trace id comes from a valid traceparent only")
    func traceparent() {
        #expect(RPCLogMetadata.traceID(fromTraceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(RPCLogMetadata.traceID(fromTraceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01") == nil)
        #expect(RPCLogMetadata.traceID(fromTraceparent: "garbage") == nil)
    }

    @Test("log lines of an RPC carry its request id and trace id")
    func metadataProvider() async {
        var propagated = Metadata()
        propagated.add("x-request-id", "req-1")
        propagated.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        let metadata = PropagatedMetadata.$current.withValue(propagated) { RPCLogMetadata.provider.get() }
        #expect(metadata["request.id"] == "req-1")
        #expect(metadata["trace.id"] == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(RPCLogMetadata.provider.get().isEmpty)
    }

    @Test("one shared level: changing it (SIGHUP) changes every logger")
    func sharedLevel() {
        let logging = ServiceLogging(format: .json, level: .info)
        let a = Logger(label: "a", factory: { logging.makeHandler(label: $0, metadataProvider: nil) })
        let b = Logger(label: "b", factory: { logging.makeHandler(label: $0, metadataProvider: nil) })
        #expect(a.logLevel == .info)
        logging.levelControl.current = .debug
        #expect(a.logLevel == .debug)
        #expect(b.logLevel == .debug)
    }
}
