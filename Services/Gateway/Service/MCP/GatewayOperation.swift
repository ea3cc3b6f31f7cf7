package import Contracts
package import ProtoJSON
package import RPCCore
package import ServiceKit

/// A `gateway.v1` RPC called in-process with JSON in and JSON out, as the REST API and the MCP tools do: the
/// call goes through the same interceptors as a gRPC call (key, role, rate limit, audit), so every surface
/// is held to one set of policies.
package struct GatewayOperation: Sendable {
    package let method: MethodDescriptor
    package let request: MessageSchema
    package let response: MessageSchema

    package static func of<M: ProtoMethod>(_ method: M.Type) -> GatewayOperation {
        GatewayOperation(
            method: M.descriptor, request: SchemaRegistry.shared.schema(for: M.Input.self),
            response: SchemaRegistry.shared.schema(for: M.Output.self))
    }
}

/// Why an operation gave no answer: the request did not fit its message (the field and rule), or the call
/// ended with a status.
package enum OperationFailure: Error, Sendable {
    case invalidRequest(String)
    case status(RPCStatus)

    package var code: String {
        switch self {
        case .invalidRequest: "INVALID_ARGUMENT"
        case .status(let status): status.code.name
        }
    }

    package var message: String {
        switch self {
        case .invalidRequest(let message): message
        case .status(let status): status.message
        }
    }
}

/// Who is calling, as the transport saw it: what the gateway's access check reads.
package struct OperationCaller: Sendable {
    package var authorization: String
    package var peer: String
    package var requestID: String
    /// Extra request metadata, e.g. `x-mcp-tool` for the audit log.
    package var metadata: [(String, String)] = []

    package init(authorization: String, peer: String, requestID: String, metadata: [(String, String)] = []) {
        self.authorization = authorization
        self.peer = peer
        self.requestID = requestID
        self.metadata = metadata
    }
}

package struct GatewayOperations: Sendable {
    private let local: LocalCalls
    private let timeout: @Sendable () -> Duration

    package init(local: LocalCalls, timeout: @escaping @Sendable () -> Duration) {
        self.local = local
        self.timeout = timeout
    }

    /// A unary operation's answer as JSON.
    package func call(_ operation: GatewayOperation, _ json: JSONValue, as caller: OperationCaller) async throws(OperationFailure) -> JSONValue {
        let messages = try await stream(operation, json, as: caller) { _ in }
        guard let message = messages.last else { throw .status(RPCStatus(code: .internal, message: "the call ended without an answer")) }
        return message
    }

    /// A streaming operation: `each` sees every response message as JSON as it arrives; all are returned.
    @discardableResult
    package func stream(
        _ operation: GatewayOperation, _ json: JSONValue, as caller: OperationCaller, each: (JSONValue) async -> Void
    ) async throws(OperationFailure) -> [JSONValue] {
        let results: [JSONValue?] = try await raw(operation, json, as: caller) { bytes in
            guard let json = try? ProtoJSON.encode(bytes[...], schema: operation.response) else { return nil }
            await each(json)
            return json
        }
        return results.compactMap { $0 }
    }

    /// The response messages as bytes, each passed through `transform` as it arrives.
    package func raw<T: Sendable>(
        _ operation: GatewayOperation, _ json: JSONValue, as caller: OperationCaller, transform: ([UInt8]) async -> T
    ) async throws(OperationFailure) -> [T] {
        let message: [UInt8]
        do {
            message = try ProtoJSON.encodeWire(json, schema: operation.request)
        } catch {
            throw .invalidRequest(error.description)
        }
        var metadata = Metadata()
        metadata.add("x-request-id", caller.requestID)
        if !caller.authorization.isEmpty { metadata.add("authorization", caller.authorization) }
        for (name, value) in caller.metadata { metadata.add(name, value) }
        var deadline: ContinuousClock.Instant?
        if operation.method.kind == .unary { deadline = .now + timeout() }
        let call = LocalCall(local: local, path: operation.method.path, metadata: metadata, deadline: deadline, peer: caller.peer, message: message)
        var answers: [T] = []
        for await part in call.parts() {
            switch part {
            case .metadata: continue
            case .message(let bytes): answers.append(await transform(bytes))
            case .status(let status, _):
                guard status.code == .ok else { throw .status(status) }
                return answers
            }
        }
        throw .status(RPCStatus(code: .internal, message: "the call ended without a status"))
    }
}
