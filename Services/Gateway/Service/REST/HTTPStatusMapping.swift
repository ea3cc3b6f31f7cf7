package import ProtoJSON
package import RPCCore

/// The JSON edge mapping of gRPC status codes (`RPCStatus.Code.httpStatus`, GRPC-WIRE.md) and the error body
/// `{"error": {"code", "message", "details"}}`.
package enum HTTPStatusMapping {
    package static func status(for code: RPCStatus.Code) -> Int { code.httpStatus }

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
