internal import Crypto
internal import Foundation

/// Tarantool's binary protocol (IPROTO), as far as this client speaks it: a 128-byte greeting, then frames
/// of `0xce <u32 length> <header map> <body map>` each way, requests and answers matched by the sync id.
package enum IProto {
    /// Request types (header key 0x00).
    package enum RequestType: Int64, Sendable {
        case select = 1, insert = 2, replace = 3, update = 4, delete = 5, call = 10, auth = 7, eval = 8, upsert = 9, ping = 64
    }

    /// Header and body keys.
    package enum Key {
        static let requestType: Int64 = 0x00
        static let sync: Int64 = 0x01
        package static let spaceID: Int64 = 0x10
        package static let indexID: Int64 = 0x11
        package static let limit: Int64 = 0x12
        package static let offset: Int64 = 0x13
        package static let iterator: Int64 = 0x14
        package static let key: Int64 = 0x20
        package static let tuple: Int64 = 0x21
        package static let functionName: Int64 = 0x22
        package static let userName: Int64 = 0x23
        package static let expression: Int64 = 0x27
        package static let operations: Int64 = 0x28
        static let data: Int64 = 0x30
        static let error: Int64 = 0x31
    }

    /// SELECT iterators.
    package enum Iterator: Int64, Sendable {
        case equal = 0, reverseEqual = 1, all = 2, lessThan = 3, lessOrEqual = 4, greaterOrEqual = 5, greaterThan = 6
    }

    package struct Request: Sendable {
        package var type: RequestType
        package var body: [MessagePackPair]

        package init(_ type: RequestType, _ body: [Int64: MessagePack]) {
            self.type = type
            self.body = body.sorted { $0.key < $1.key }.map { MessagePackPair(.int($0.key), $0.value) }
        }

        /// The whole frame, length prefix included.
        func frame(sync: UInt64) -> [UInt8] {
            var payload: [UInt8] = []
            MessagePack.map([MessagePackPair(.int(Key.requestType), .int(type.rawValue)), MessagePackPair(.int(Key.sync), .uint(sync))])
                .encode(into: &payload)
            MessagePack.map(body).encode(into: &payload)
            let length = UInt32(payload.count)
            return [0xce, UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)] + payload
        }
    }

    /// An answer: code 0 is OK (`data` holds the tuples or return values), `0x8000 | errcode` an error.
    package struct Response: Sendable {
        package var sync: UInt64
        package var code: Int64
        package var body: MessagePack

        package var data: [MessagePack] { body[Key.data]?.array ?? [] }

        /// The server's error, if the answer is one.
        var error: TarantoolError? {
            guard code != 0 else { return nil }
            return .server(code: Int(code & 0x7fff), message: body[Key.error]?.string ?? "error \(code & 0x7fff)")
        }
    }

    /// The greeting: the server's version line and the salt for the password scramble.
    package struct Greeting: Sendable, Equatable {
        package var version: String
        package var salt: [UInt8]

        package static let size = 128

        package init(_ bytes: [UInt8]) throws(TarantoolError) {
            guard bytes.count == Self.size else { throw .protocolViolation("the greeting must be 128 bytes") }
            let first = String(decoding: bytes[0..<64], as: UTF8.self)
            guard first.hasPrefix("Tarantool ") else { throw .protocolViolation("not a Tarantool server (greeting \(first.prefix(20).debugDescription))") }
            version = first.trimmingCharacters(in: .whitespacesAndNewlines)
            let encoded = String(decoding: bytes[64..<128], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let salt = Data(base64Encoded: encoded), salt.count >= 20 else { throw .protocolViolation("the greeting has no salt") }
            self.salt = Array(salt)
        }
    }

    /// chap-sha1: `sha1(password) XOR sha1(salt[0..<20] + sha1(sha1(password)))`.
    package static func scramble(password: String, salt: [UInt8]) -> [UInt8] {
        let step1 = Array(Insecure.SHA1.hash(data: Array(password.utf8)))
        let step2 = Array(Insecure.SHA1.hash(data: step1))
        let step3 = Array(Insecure.SHA1.hash(data: Array(salt.prefix(20)) + step2))
        return zip(step1, step3).map { $0 ^ $1 }
    }

    static func authRequest(user: String, password: String, salt: [UInt8]) -> Request {
        Request(.auth, [Key.userName: .string(user), Key.tuple: .array([.string("chap-sha1"), .binary(scramble(password: password, salt: salt))])])
    }
}

package enum TarantoolError: Error, CustomStringConvertible, Equatable {
    /// The server answered with an error (`code` is Tarantool's errcode: 3 duplicate key, 33 no such
    /// procedure, 47 wrong password, …).
    case server(code: Int, message: String)
    /// No connection (refused, lost, or not yet re-established).
    case unavailable(String)
    case timedOut
    case protocolViolation(String)

    package var description: String {
        switch self {
        case .server(let code, let message): "Tarantool error \(code): \(message)"
        case .unavailable(let reason): "Tarantool unavailable: \(reason)"
        case .timedOut: "Tarantool did not answer in time"
        case .protocolViolation(let reason): "Tarantool protocol violation: \(reason)"
        }
    }
}
