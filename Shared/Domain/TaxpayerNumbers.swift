/// INN (ИНН) and OGRN (ОГРН) checks as the Federal Tax Service defines them. The problem descriptions name
/// the rule that failed, so an API error can say exactly what is wrong: "checksum digit 10 must be 3".
///
/// ```swift
/// INN.problem("7707083893")   // nil
/// INN.problem("7707083894")   // "checksum digit 10 must be 3, got 4"
/// ```
package enum INN {
    package static func isValid(_ inn: String) -> Bool { problem(inn) == nil }

    /// What is wrong with `inn`, or nil when it is valid: 10 digits for an organisation, 12 for an individual.
    package static func problem(_ inn: String) -> String? {
        guard let digits = Digits(inn) else { return "only digits allowed, got \(inn.debugDescription)" }
        switch digits.values.count {
        case 10:
            return digits.checksum(at: 9, weights: [2, 4, 10, 3, 5, 9, 4, 6, 8])
        case 12:
            return digits.checksum(at: 10, weights: [7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
                ?? digits.checksum(at: 11, weights: [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8])
        default:
            return "must have 10 digits (organisation) or 12 (individual), got \(digits.values.count)"
        }
    }

    /// The INNs in free text ("проверь ООО Ромашка, ИНН 7707083893"): runs of 10 or 12 digits with a valid
    /// checksum, in order of appearance.
    package static func find(in text: String) -> [String] {
        var found: [String] = []
        var run = ""
        for character in text + " " {
            if character.isASCII, character.isNumber {
                run.append(character)
                continue
            }
            if (run.count == 10 || run.count == 12), isValid(run), !found.contains(run) { found.append(run) }
            run = ""
        }
        return found
    }
}

/// OGRN (13 digits, organisations) and OGRNIP (15 digits, sole proprietors).
package enum OGRN {
    package static func isValid(_ ogrn: String) -> Bool { problem(ogrn) == nil }

    /// What is wrong with `ogrn`, or nil when it is valid.
    package static func problem(_ ogrn: String) -> String? {
        guard let digits = Digits(ogrn) else { return "only digits allowed, got \(ogrn.debugDescription)" }
        let modulus: UInt64
        switch digits.values.count {
        case 13: modulus = 11
        case 15: modulus = 13
        default: return "must have 13 digits (OGRN) or 15 (OGRNIP), got \(digits.values.count)"
        }
        let body = digits.values.dropLast().reduce(UInt64(0)) { $0 * 10 + UInt64($1) }
        let expected = Int(body % modulus % 10)
        let actual = digits.values[digits.values.count - 1]
        return expected == actual ? nil : "checksum digit \(digits.values.count) must be \(expected), got \(actual)"
    }
}

/// A string of ASCII digits.
private struct Digits {
    let values: [Int]

    init?(_ text: String) {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        values = text.utf8.map { Int($0 - 0x30) }
    }

    /// Nil when the digit at `index` equals the weighted sum of the digits before it mod 11 mod 10; otherwise
    /// the rule, counting digits from 1 as people do.
    func checksum(at index: Int, weights: [Int]) -> String? {
        let expected = zip(weights, values).map(*).reduce(0, +) % 11 % 10
        return values[index] == expected ? nil : "checksum digit \(index + 1) must be \(expected), got \(values[index])"
    }
}
