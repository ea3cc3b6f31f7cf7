package import ProtoJSON
package import RPCCore

/// The JSON edge mapping of gRPC status codes (GRPC-WIRE.md) and the error body
/// `{"error": {"code", "message", "details"}}`.
package enum HTTPStatusMapping {
    package static func status(for code: RPCStatus.Code) -> Int {
        switch code {
        case .ok: 200
        case .cancelled: 499
        case .invalidArgument, .failedPrecondition, .outOfRange: 400
        case .deadlineExceeded: 504
        case .notFound: 404
        case .alreadyExists, .aborted: 409
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
