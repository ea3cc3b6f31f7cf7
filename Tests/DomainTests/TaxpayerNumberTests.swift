import Domain
import Testing

@Suite struct TaxpayerNumberTests {
    @Test(arguments: ["7707083893", "7736050003", "500100732259", "7728168971"])
    func validINNs(_ inn: String) {
        #expect(INN.problem(inn) == nil)
    }

    @Test func wrongChecksumNamesTheDigitAndItsExpectedValue() {
        #expect(INN.problem("7707083894") == "checksum digit 10 must be 3, got 4")
        #expect(INN.problem("500100732258") == "checksum digit 12 must be 9, got 8")
        #expect(INN.problem("500100732149") == "checksum digit 11 must be 8, got 4")
    }

    @Test func wrongShapes() {
        #expect(INN.problem("") == "only digits allowed, got \"\"")
        #expect(INN.problem("77070838 3") == "only digits allowed, got \"77070838 3\"")
        #expect(INN.problem("７７０７０８３８９３") != nil)  // full-width digits are not digits here
        #expect(INN.problem("123") == "must have 10 digits (organisation) or 12 (individual), got 3")
    }

    @Test func findsINNsInFreeText() {
        #expect(INN.find(in: "проверь ООО Ромашка, ИНН 7707083893, поставщик; тел. 1234567890") == ["7707083893"])
        #expect(INN.find(in: "ИНН 500100732259 и 7736050003") == ["500100732259", "7736050003"])
        #expect(INN.find(in: "без номера").isEmpty)
    }

    @Test func ogrn() {
        #expect(OGRN.problem("1027700132195") == nil)  // Sberbank
        #expect(OGRN.problem("1027700132196") == "checksum digit 13 must be 5, got 6")
        #expect(OGRN.problem("304500116000157") == nil)
        #expect(OGRN.problem("12345") == "must have 13 digits (OGRN) or 15 (OGRNIP), got 5")
    }
}
