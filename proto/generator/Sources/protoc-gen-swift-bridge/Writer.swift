/// Accumulates generated source with indentation.
struct Writer {
    private(set) var text = ""
    private var level = 0

    mutating func line(_ string: String = "") {
        if string.isEmpty {
            text += "\n"
        } else {
            text += String(repeating: "    ", count: level) + string + "\n"
        }
    }

    /// Writes `open`, the body indented, then `close`.
    mutating func block(_ open: String, close: String = "}", _ body: (inout Writer) throws -> Void) rethrows {
        line(open)
        level += 1
        try body(&self)
        level -= 1
        line(close)
    }

    /// A `switch`: cases stay at the level of the `switch`, as swift-format wants.
    mutating func switchBlock(_ open: String, _ body: (inout Writer) throws -> Void) rethrows {
        line(open)
        try body(&self)
        line("}")
    }

    /// Writes a doc comment taken from the .proto source (already `///`-prefixed), if any.
    mutating func doc(_ comment: String) {
        for raw in comment.split(separator: "\n") where !raw.allSatisfy(\.isWhitespace) {
            line(String(raw))
        }
    }
}
