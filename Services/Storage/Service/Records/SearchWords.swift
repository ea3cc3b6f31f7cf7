internal import Foundation
internal import RPCCore

/// Words for thread search: runs of letters and digits, lower-cased, with ё read as е (`Семёнов` is found
/// as `семенов`, the way most people type it) and Latin letters without their marks (`Société` as `societe`,
/// as SQLite's `unicode61 remove_diacritics 2` tokenizer reads them; Cyrillic `й` stays). SQLite's FTS5
/// index is fed folded text, Tarantool's word index these words; queries are folded the same way.
package enum SearchWords {
    /// The distinct words of the texts, sorted.
    package static func of(_ texts: String...) -> [String] {
        Array(Set(texts.flatMap { split($0).map(fold) })).sorted()
    }

    /// The words of a search query (1 to 16, else INVALID_ARGUMENT naming `query`).
    package static func query(_ query: String) throws -> [String] {
        let words = split(query)
        guard !words.isEmpty else { throw RPCError(.invalidArgument, "query: no words to search for in \"\(query)\"") }
        guard words.count <= 16 else { throw RPCError(.invalidArgument, "query: at most 16 words, got \(words.count)") }
        return words
    }

    package static func fold(_ text: String) -> String {
        withoutLatinMarks(text.lowercased().replacing("ё", with: "е"))
    }

    private static func split(_ text: String) -> [String] {
        text.split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    private static func withoutLatinMarks(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isMarkedLatin) else { return text }
        var folded = String.UnicodeScalarView()
        for character in text {
            if let first = character.unicodeScalars.first, isMarkedLatin(first) {
                folded.append(contentsOf: String(character).folding(options: .diacriticInsensitive, locale: nil).unicodeScalars)
            } else {
                folded.append(contentsOf: character.unicodeScalars)
            }
        }
        return String(folded)
    }

    /// Latin-1 Supplement and Latin Extended-A and -B: the letters that carry marks. Folding only these keeps
    /// Cyrillic `й` (which `.diacriticInsensitive` would make `и`).
    private static func isMarkedLatin(_ scalar: Unicode.Scalar) -> Bool { (0xC0..<0x250).contains(scalar.value) }
}
