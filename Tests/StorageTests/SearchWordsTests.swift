import Storage
import Testing

@Suite("Search words")
struct SearchWordsTests {
    @Test("folding: case, ё as е, marks of Latin letters but not of Cyrillic ones")
    func fold() {
        #expect(SearchWords.fold("Société GÉNÉRALE Ёлка") == "societe generale елка")
        #expect(SearchWords.fold("Йошкар-Ола") == "йошкар-ола")
        #expect(SearchWords.of("Crème brûlée, ЁЖ") == ["brulee", "creme", "еж"])
    }
}
