// contracts-tool: drives the wire-compatibility tests with Python protobuf (Tests/Interop) and the memory
// check (`make check-memory`). Files are laid out as DIR/<proto full name>/<n>.bin.
import ArgumentParser
import Contracts
import ContractsTestSupport
import Foundation

@main
struct ContractsTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contracts-tool",
        abstract: "Encode, decode and compare generated messages for interop and memory checks.",
        subcommands: [Emit.self, Reencode.self, Compare.self, MemoryCheck.self, WriteSample.self]
    )
}

/// Every message type, by full proto name.
let messageTypes: [String: any Arbitrary.Type] = Dictionary(
    uniqueKeysWithValues: ArbitraryRegistry.messages.map { ($0.protoName, $0) }
)

struct Emit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write random messages of every type.")

    @Argument(help: "Output directory.") var directory: String
    @Option(help: "Messages per type.") var count = 20
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() throws {
        for (name, type) in messageTypes {
            for index in 0..<count {
                try write(emit(type, seed: seed &+ UInt64(index) &* 7919),
                          to: "\(directory)/\(name)/\(index).bin")
            }
        }
        print("emitted \(count) messages of each of \(messageTypes.count) types")
    }

    private func emit<M: Arbitrary>(_ type: M.Type, seed: UInt64) throws -> [UInt8] {
        try M.arbitrary(seed: seed).serializedBytes()
    }
}

struct Reencode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decode every file and write its re-encoding.")

    @Argument(help: "Input directory.") var input: String
    @Argument(help: "Output directory.") var output: String

    func run() throws {
        var count = 0
        for (name, file) in try files(in: input) {
            guard let type = messageTypes[name] else { throw ValidationError("unknown message type \(name)") }
            let bytes = try reencode(type, try read(path(input, name, file)))
            try write(bytes, to: path(output, name, file))
            count += 1
        }
        print("re-encoded \(count) messages")
    }

    private func reencode<M: ProtoMessage>(_ type: M.Type, _ bytes: [UInt8]) throws -> [UInt8] {
        try M(serializedBytes: bytes).serializedBytes()
    }
}

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode each file of two directories and check the messages are equal."
    )

    @Argument(help: "First directory.") var first: String
    @Argument(help: "Second directory.") var second: String

    func run() throws {
        var compared = 0
        var mismatches: [String] = []
        for (name, file) in try files(in: first) {
            guard let type = messageTypes[name] else { throw ValidationError("unknown message type \(name)") }
            if try !equal(type, try read(path(first, name, file)), try read(path(second, name, file))) {
                mismatches.append("\(name)/\(file)")
            }
            compared += 1
        }
        print("compared \(compared) messages, \(mismatches.count) differ")
        if !mismatches.isEmpty {
            print(mismatches.prefix(20).joined(separator: "\n"))
            throw ExitCode.failure
        }
    }

    private func equal<M: ProtoMessage>(_ type: M.Type, _ a: [UInt8], _ b: [UInt8]) throws -> Bool {
        try M(serializedBytes: a) == M(serializedBytes: b)
    }
}

struct MemoryCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memcheck",
        abstract: "Encode, decode and reject malformed input in a loop, for valgrind."
    )

    @Option(help: "Random messages per type.") var iterations = 5

    func run() throws {
        var decoded = 0
        var rejected = 0
        for (_, type) in messageTypes.sorted(by: { $0.key < $1.key }) {
            for seed in 0..<UInt64(iterations) {
                let (ok, bad) = try exercise(type, seed: seed)
                decoded += ok
                rejected += bad
            }
        }
        let report = try SampleReport.full().serializedBytes()
        _ = try CommonV1.Report(serializedBytes: report)
        print("memcheck: \(decoded) decodes, \(rejected) malformed inputs rejected")
    }

    /// Round-trips one random message, then feeds truncations and corruptions of its encoding to the decoder.
    private func exercise<M: Arbitrary>(_ type: M.Type, seed: UInt64) throws -> (Int, Int) {
        let message = M.arbitrary(seed: seed)
        let bytes = try message.serializedBytes()
        guard try M(serializedBytes: bytes) == message else {
            throw ValidationError("\(M.protoName) seed \(seed) did not round-trip")
        }
        var decoded = 1
        var rejected = 0
        var rng = SplitMix64(seed: seed)
        for _ in 0..<8 where !bytes.isEmpty {
            var corrupt = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            if !corrupt.isEmpty { corrupt[Int(rng.next() % UInt64(corrupt.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            if (try? M(serializedBytes: corrupt)) != nil { decoded += 1 } else { rejected += 1 }
        }
        return (decoded, rejected)
    }
}

struct WriteSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-report",
        abstract: "Write the encoding of the sample report (50 court cases, 30 web mentions, 20 markers)."
    )

    @Argument(help: "Output file.") var output: String

    func run() throws {
        try write(SampleReport.full().serializedBytes(), to: output)
    }
}

// MARK: - Files

func path(_ directory: String, _ name: String, _ file: String) -> String { "\(directory)/\(name)/\(file)" }

func files(in directory: String) throws -> [(name: String, file: String)] {
    let manager = FileManager.default
    return try manager.contentsOfDirectory(atPath: directory).sorted().flatMap { name in
        try manager.contentsOfDirectory(atPath: "\(directory)/\(name)").sorted().map { (name, $0) }
    }
}

func read(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
    return [UInt8](data)
}

func write(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
}
