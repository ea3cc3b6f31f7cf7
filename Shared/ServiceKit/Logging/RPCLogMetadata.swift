package import Logging
internal import RPCCore

/// Adds the request id and trace id of the RPC being handled to every log line written while handling it,
/// read from the metadata the server propagates (`x-request-id`, `traceparent`).
package enum RPCLogMetadata {
    package static let provider = Logger.MetadataProvider {
        let propagated = PropagatedMetadata.current
        var metadata: Logger.Metadata = [:]
        if let requestID = propagated.string("x-request-id") { metadata["request.id"] = .string(requestID) }
        if let traceID = propagated.string("traceparent").flatMap(traceID(fromTraceparent:)) {
            metadata["trace.id"] = .string(traceID)
        }
        return metadata
    }

    /// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), nil if malformed.
    package static func traceID(fromTraceparent value: String) -> String? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit),
            parts[1] != Substring(String(repeating: "0", count: 32))
        else { return nil }
        return String(parts[1])
    }
}
