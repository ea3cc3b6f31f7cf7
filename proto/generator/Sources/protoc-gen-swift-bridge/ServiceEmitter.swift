import SwiftProtobufPluginLibrary

/// Emits, per service, the method descriptors the RPC runtime routes and calls with.
enum ServiceEmitter {
    static func declaration(_ service: ServiceDescriptor, into w: inout Writer) {
        w.doc(service.protoSourceComments())
        w.block("package enum \(service.name) {") { w in
            w.line("/// Fully qualified service name.")
            w.line("package static let name = \"\(service.fullName)\"")
            w.line()
            w.block("package enum Method {") { w in
                for (index, method) in service.methods.enumerated() {
                    if index > 0 { w.line() }
                    w.doc(method.protoSourceComments())
                    let unary = !method.clientStreaming && !method.serverStreaming
                    w.block("package enum \(method.name): \(unary ? "UnaryProtoMethod" : "ProtoMethod") {") { w in
                        w.line("package typealias Input = \(SwiftNames.type(method.inputType))")
                        w.line("package typealias Output = \(SwiftNames.type(method.outputType))")
                        w.block("package static let descriptor = MethodDescriptor(", close: ")") { w in
                            w.line("service: \"\(service.fullName)\",")
                            w.line("method: \"\(method.name)\",")
                            w.line("kind: \(kind(method)),")
                            w.line("idempotency: \(idempotency(method)),")
                            w.line("requestType: \"\(method.inputType.fullName)\",")
                            w.line("responseType: \"\(method.outputType.fullName)\"")
                        }
                        if unary {
                            w.line("/// The router's glue, specialized for this method's messages (see `UnaryProtoMethod`).")
                            w.block("package static func routeHandler(", close: ") -> RPCRouter.Handler { unaryRouteHandler(handler) }") { w in
                                w.line("_ handler: @escaping @Sendable (Input, ServerContext) async throws -> ServerResponse<Output>")
                            }
                        }
                    }
                }
            }
            w.line()
            w.line("/// Every method of the service, in declaration order.")
            let list = service.methods.map { "Method.\($0.name).descriptor" }.joined(separator: ", ")
            w.line("package static let methods: [MethodDescriptor] = [\(list)]")
        }
    }

    private static func kind(_ method: MethodDescriptor) -> String {
        switch (method.clientStreaming, method.serverStreaming) {
        case (false, false): ".unary"
        case (true, false): ".clientStreaming"
        case (false, true): ".serverStreaming"
        case (true, true): ".bidirectionalStreaming"
        }
    }

    private static func idempotency(_ method: MethodDescriptor) -> String {
        switch method.options.idempotencyLevel {
        case .idempotent: ".idempotent"
        case .noSideEffects: ".noSideEffects"
        default: ".unknown"
        }
    }
}
