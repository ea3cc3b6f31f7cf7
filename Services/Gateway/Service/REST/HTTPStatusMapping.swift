package import ProtoJSON
package import RPCCore

/// How the REST edge answers a gRPC status: the HTTP status and the error body
/// `{"error": {"code", "message", "details"}}`. It lives with the REST server, not the RPC runtime: only the
/// gateway speaks HTTP/JSON.
package enum HTTPStatusMapping {
    /// The HTTP status of a code: gRPC's HTTP/JSON transcoding mapping (google.rpc.Code's documented HTTP
    /// equivalents), except that FAILED_PRECONDITION is 409. Here it always means the resource's state forbids
    /// the request (cancel an ended job, replay a live one), which REST clients know as Conflict, not as a
    /// malformed request.
    package static func status(for code: RPCStatus.Code) -> Int {
        switch code {
        case .ok: 200
        case .cancelled: 499
        case .invalidArgument, .outOfRange: 400
        case .deadlineExceeded: 504
        case .notFound: 404
        case .alreadyExists, .aborted, .failedPrecondition: 409
        case .permissionDenied: 403
        case .unauthenticated: 401
        case .resourceExhausted: 429
        case .unimplemented: 501
        case .unavailable: 503
        default: 500
        }
    }

    package static func body(code: String, message: String, requestID: String) -> JSONValue {
        .object([
            ("error", .object([
                ("code", .string(code)),
                ("message", .string(message)),
                ("details", .array(requestID.isEmpty ? [] : [.object([("request_id", .string(requestID))])])),
            ]))
        ])
    }
}
