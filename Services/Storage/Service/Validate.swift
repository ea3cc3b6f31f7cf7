internal import RPCCore

/// Checks shared by the storage services; each error names the field.
enum Validate {
    static func nonEmpty(_ value: String, _ field: String) throws -> String {
        guard !value.isEmpty else { throw RPCError(.invalidArgument, "\(field): must not be empty") }
        return value
    }

    /// 10 digits (an organisation) or 12 (an individual entrepreneur). The checksum is the gateway's to
    /// check; storage keeps what it is given as long as it has the shape of an INN.
    static func inn(_ value: String, _ field: String) throws -> String {
        guard value.count == 10 || value.count == 12, value.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RPCError(.invalidArgument, "\(field): must be 10 or 12 digits, got \"\(value)\"")
        }
        return value
    }

    static func text(_ value: String, _ field: String, max: Int) throws -> String {
        guard value.count <= max else { throw RPCError(.invalidArgument, "\(field): at most \(max) characters, got \(value.count)") }
        return value
    }
}
