/// The client's host from a call's peer description, without the port: what failed authentications are
/// counted by. gRPC peers read `[IPv4]127.0.0.1/127.0.0.1:53058` (SwiftNIO), REST ones `rest:127.0.0.1:56594` (MCP
/// `mcp:…`, the web app `web:…`).
package struct ClientAddress: Sendable, Equatable {
    package let host: String

    package init(peer: String) {
        var text = Substring(peer)
        if text.hasPrefix("rest:") || text.hasPrefix("mcp:") || text.hasPrefix("web:") { text = text[text.index(after: text.firstIndex(of: ":")!)...] }
        if let slash = text.lastIndex(of: "/") { text = text[text.index(after: slash)...] }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            text = text[text.index(after: text.startIndex)..<close]  // [::1]:443
        } else if let colon = text.lastIndex(of: ":"), text[text.index(after: colon)...].allSatisfy(\.isNumber),
                  !text[..<colon].isEmpty {
            text = text[..<colon]
        }
        host = text.isEmpty ? peer : String(text)
    }
}
