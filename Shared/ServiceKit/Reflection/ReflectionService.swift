internal import Contracts
package import RPCCore

/// Server reflection (`grpc.reflection.v1` and `v1alpha`) from the descriptor set embedded at build time:
/// lists the services this server exposes and serves the `.proto` files (with their imports) by file name or
/// by symbol, so grpcurl, Postman and grpcio's reflection client can call a service without its files.
package struct ReflectionService: Sendable {
    private typealias Request = GrpcReflectionV1.ServerReflectionRequest
    private typealias Response = GrpcReflectionV1.ServerReflectionResponse
    private let services: [String]

    /// `services`: the fully qualified names this server serves (reflection itself included).
    package init(services: [String]) { self.services = services.sorted() }

    package func register(in router: inout RPCRouter) {
        router.registerBidirectional(GrpcReflectionV1.ServerReflection.Method.ServerReflectionInfo.self) { requests, writer, _ in
            for try await request in requests { try await writer.write(answer(request)) }
            return [:]
        }
        // v1alpha is v1 under another package name: the messages are identical on the wire, so the same
        // handler serves both with the v1 types.
        router.register(
            GrpcReflectionV1alpha.ServerReflection.Method.ServerReflectionInfo.descriptor,
            input: MessageCodec<Request>.proto, output: MessageCodec<Response>.proto
        ) { requests, writer, _ in
            for try await request in requests { try await writer.write(answer(request)) }
            return [:]
        }
    }

    private func answer(_ request: Request) -> Response {
        var response = Response()
        response.validHost = request.host
        response.originalRequest = request
        switch request.messageRequest {
        case .listServices?:
            response.messageResponse = .listServicesResponse(.with {
                $0.service = services.map { name in .with { $0.name = name } }
            })
        case .fileByFilename(let name)?:
            response.messageResponse = files(startingWith: name).map { .fileDescriptorResponse($0) }
                ?? Self.error(.notFound, "file not found: \(name)")
        case .fileContainingSymbol(let symbol)?:
            response.messageResponse = ReflectionIndex.symbols[Self.trimmed(symbol)].flatMap(files(startingWith:))
                .map { .fileDescriptorResponse($0) } ?? Self.error(.notFound, "symbol not found: \(symbol)")
        case .fileContainingExtension(let request)?:
            response.messageResponse = Self.error(
                .notFound, "extension \(request.extensionNumber) of \(request.containingType) not found: these files define no extensions")
        case .allExtensionNumbersOfType(let type)?:
            response.messageResponse =
                ReflectionIndex.symbols[Self.trimmed(type)] != nil
                ? .allExtensionNumbersResponse(.with { $0.baseTypeName = Self.trimmed(type) })
                : Self.error(.notFound, "type not found: \(type)")
        case nil:
            response.messageResponse = Self.error(.invalidArgument, "the request names no query")
        }
        return response
    }

    /// The file and every file it imports, directly or not, the requested one first.
    private func files(startingWith name: String) -> GrpcReflectionV1.FileDescriptorResponse? {
        guard ReflectionIndex.files[name] != nil else { return nil }
        var order: [String] = []
        var pending = [name]
        while let next = pending.popLast() {
            guard !order.contains(next), let file = ReflectionIndex.files[next] else { continue }
            order.append(next)
            pending += file.dependencies.reversed()
        }
        let bytes = EmbeddedDescriptorSet.bytes
        return .with { response in
            response.fileDescriptorProto = order.compactMap { ReflectionIndex.files[$0].map { Array(bytes[$0.range]) } }
        }
    }

    /// Clients may send names with a leading dot (`.pkg.Type`), as they appear in descriptors.
    private static func trimmed(_ symbol: String) -> String {
        symbol.hasPrefix(".") ? String(symbol.dropFirst()) : symbol
    }

    private static func error(_ code: RPCStatus.Code, _ message: String) -> Response.MessageResponse {
        .errorResponse(.with {
            $0.errorCode = Int32(code.rawValue)
            $0.errorMessage = message
        })
    }
}
