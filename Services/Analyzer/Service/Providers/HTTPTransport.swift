internal import ServiceKit
package import AsyncHTTPClient
internal import NIOCore
internal import NIOHTTP1

/// One HTTP exchange with a provider, independent of the client library.
package struct HTTPRequestSpec: Sendable {
    package enum Method: String, Sendable { case get = "GET", post = "POST" }
    package var method: Method
    package var url: String
    package var headers: [(String, String)]
    package var body: [UInt8]?

    package init(_ method: Method, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

package struct HTTPAnswer: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: [UInt8]

    package init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// Why an exchange produced no answer at all.
package enum TransportError: Error, Sendable {
    case timeout
    case connection(String)
}

/// Sends requests; `AsyncHTTPTransport` in the service, fakes in unit tests.
package protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequestSpec, timeout: Duration) async throws(TransportError) -> HTTPAnswer
}

/// async-http-client (connection pooling, TLS, redirects off) behind `HTTPTransport`.
package struct AsyncHTTPTransport: HTTPTransport {
    package static let maxBodyBytes = 16 << 20
    private let client: HTTPClient

    package init(client: HTTPClient = .shared) { self.client = client }

    package func send(_ spec: HTTPRequestSpec, timeout: Duration) async throws(TransportError) -> HTTPAnswer {
        var request = HTTPClientRequest(url: spec.url)
        request.method = HTTPMethod(rawValue: spec.method.rawValue)
        for (name, value) in spec.headers { request.headers.add(name: name, value: value) }
        if let body = spec.body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
            let body = try await response.body.collect(upTo: Self.maxBodyBytes)
            return HTTPAnswer(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: Array(body.readableBytesView))
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw .timeout
        } catch {
            throw .connection(String(describing: error))
        }
    }
}
