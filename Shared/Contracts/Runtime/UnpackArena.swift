internal import CProtobufC

/// The allocator protobuf-c unpacks into: bump allocation from growing blocks, `free` a no-op, everything
/// released at once when the decode is over. It replaces about two `malloc`/`free` pairs per field of a large
/// message.
///
/// Each allocation is preceded by its size, so `ProtoLift.string` knows the exact length protobuf-c copied
/// (it allocates `length + 1` for a string) and can tell a U+0000 inside the value from the terminator.
///
/// Lifetime: the state lives in one heap allocation owned by this value; protobuf-c sees it only during
/// `unpack(_:)`, and every pointer into the blocks dies with `deinit`.
struct UnpackArena: ~Copyable {
    private struct State {
        var cursor: UnsafeMutableRawPointer?
        var end: UnsafeMutableRawPointer?
        /// Blocks form a list through their first word, newest first.
        var lastBlock: UnsafeMutableRawPointer?
        var nextBlockSize: Int
    }

    /// Bytes in front of each allocation: its size.
    static let headerSize = 8
    private static let blockHeaderSize = 16

    private let state: UnsafeMutablePointer<State>

    /// `expectedBytes` sizes the first block; unpacked C messages take roughly twice their wire size.
    init(expectedBytes: Int) {
        state = .allocate(capacity: 1)
        state.initialize(to: State(nextBlockSize: max(1024, expectedBytes * 2 + 256)))
    }

    deinit {
        var block = state.pointee.lastBlock
        while let current = block {
            block = current.load(as: UnsafeMutableRawPointer?.self)
            current.deallocate()
        }
        state.deallocate()
    }

    /// Runs protobuf-c's unpack with this arena as its allocator.
    func unpack(
        _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        _ length: Int,
        _ data: UnsafePointer<UInt8>
    ) -> UnsafeMutablePointer<ProtobufCMessage>? {
        var allocator = ProtobufCAllocator(alloc: unpackArenaAlloc, free: unpackArenaFree, allocator_data: state)
        return protobuf_c_message_unpack(descriptor, &allocator, length, data)
    }

    fileprivate static func allocate(_ statePointer: UnsafeMutableRawPointer, _ size: Int) -> UnsafeMutableRawPointer? {
        let state = statePointer.assumingMemoryBound(to: State.self)
        // Round to 8 so every allocation stays aligned for the int64, double and pointer members of C structs.
        let total = (headerSize + size + 7) & ~7
        if state.pointee.cursor == nil || state.pointee.cursor! + total > state.pointee.end! {
            let blockSize = max(state.pointee.nextBlockSize, total + blockHeaderSize)
            let block = UnsafeMutableRawPointer.allocate(byteCount: blockSize, alignment: 16)
            block.storeBytes(of: state.pointee.lastBlock, as: UnsafeMutableRawPointer?.self)
            state.pointee.lastBlock = block
            state.pointee.cursor = block + blockHeaderSize
            state.pointee.end = block + blockSize
            state.pointee.nextBlockSize = blockSize * 2
        }
        let header = state.pointee.cursor!
        header.storeBytes(of: size, as: Int.self)
        state.pointee.cursor = header + total
        return header + headerSize
    }

    /// The size protobuf-c asked for when it allocated `pointer` from an `UnpackArena`.
    static func allocationSize(of pointer: UnsafeRawPointer) -> Int {
        pointer.load(fromByteOffset: -headerSize, as: Int.self)
    }
}

private func unpackArenaAlloc(_ data: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    UnpackArena.allocate(data!, size)
}

private func unpackArenaFree(_ data: UnsafeMutableRawPointer?, _ pointer: UnsafeMutableRawPointer?) {}
