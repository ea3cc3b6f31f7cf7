internal import Domain

/// A company for every valid ten-digit INN that is not a fixture: made from a generator seeded by the INN, so the
/// same INN always gives the same company (name, OGRN, address, head, founders, cases, registry hits, mentions).
/// Monitoring and batch tests need many distinct, believable companies, and changes over time: each step of a
/// company's *revision* (0 at first, raised through `POST /sandbox/companies/{inn}/revision`) is what a few
/// weeks do to a real one — new lawsuits, an enforcement record, now and then a new head or founder, rarely a
/// bankruptcy, liquidation or sanctions listing — on top of what it had; its name, OGRN and address stay.
///
/// The OGRN encodes the INN (type, year, then the INN's first nine digits, then the check digit), so a look-up
/// by OGRN finds the same company.
extension SandboxCompany {
    /// A ten-digit organisation INN with a right check digit.
    package static func isValidCompanyINN(_ inn: String) -> Bool { inn.count == 10 && INN.isValid(inn) }

    /// The INN of a synthetic company's OGRN (its digits 4–12, then the INN check digit), or nil when the OGRN
    /// is not valid; `company(innOrOGRN:)` checks it is the company's own.
    static func syntheticINN(ogrn: String) -> String? {
        guard ogrn.count == 13, OGRN.isValid(ogrn) else { return nil }
        return completed(String(ogrn.dropFirst(3).prefix(9)), count: 10, isValid: INN.isValid)
    }

    /// `digits` with the one check digit that makes a valid number of `count` digits.
    private static func completed(_ digits: String, count: Int, isValid: (String) -> Bool) -> String? {
        guard digits.count == count - 1 else { return nil }
        return (0...9).lazy.map { digits + String($0) }.first(where: isValid)
    }

    /// The synthetic company of a valid INN at a revision.
    package static func synthetic(inn: String, revision: Int = 0) -> SandboxCompany {
        var company = initial(inn: inn)
        for step in stride(from: 1, through: revision, by: 1) { company.evolve(step: step) }
        return company
    }

    /// The company at revision 0.
    private static func initial(inn: String) -> SandboxCompany {
        var identity = SeededGenerator(seed: inn, salt: "identity")
        var state = SeededGenerator(seed: inn, salt: "revision-0")
        let region = SyntheticWords.region(code: String(inn.prefix(2)), &identity)
        let year = 1995 + identity.next(below: 30)
        let registered = "\(year)-\(two(1 + identity.next(below: 12)))-\(two(1 + identity.next(below: 28)))"
        let ogrn = completed("1" + two(year % 100) + inn.prefix(9), count: 13, isValid: OGRN.isValid)!
        let name = SyntheticWords.companyName(&identity)
        let head = SyntheticWords.person(&identity)
        let secondFounder = identity.next(below: 3) == 0 ? SyntheticWords.person(&identity) : nil
        let founders: [(name: String, inn: String?, share: Double)] = secondFounder.map { [(head, nil, 60), ($0, nil, 40)] } ?? [(head, nil, 100)]
        let street = SyntheticWords.streets[identity.next(below: SyntheticWords.streets.count)]
        var company = SandboxCompany(
            kind: .clean, inn: inn, ogrn: ogrn, kpp: String(inn.prefix(4)) + "01001", name: name,
            legalForm: identity.next(below: 8) == 0 ? "АО" : "ООО", registered: registered,
            address: "\(region.postcode), г. \(region.city), \(street), д. \(1 + identity.next(below: 120))",
            region: region.name, city: region.city, head: head, founders: founders,
            okved: SyntheticWords.activities[identity.next(below: SyntheticWords.activities.count)],
            capitalRoubles: [10_000, 50_000, 100_000, 1_000_000][identity.next(below: 4)],
            employees: 1 + identity.next(below: 400))

        // Its history so far.
        let fate = state.next(below: 100)
        if fate < 4 {
            company.status = "LIQUIDATED"
            company.liquidated = "2026-\(two(1 + state.next(below: 10)))-15"
            company.employees = nil
        } else if fate < 8 {
            company.status = "BANKRUPT"
            company.cases.append(Case(
                number: "\(region.court.prefix)-\(1000 + state.next(below: 9000))/2026", court: region.court.name, date: "2026-03-\(two(1 + state.next(below: 28)))",
                category: "о несостоятельности (банкротстве)", role: "defendant", claim: nil, status: "active", bankruptcy: true, other: "ФНС России"))
            company.registry["bankrot"] = [["Type": "bankruptcy", "CaseNumber": company.cases[0].number, "Date": "2026-04-01", "Description": "Введено наблюдение", "URL": "https://bankrot.fedresurs.ru/"]]
        }
        let suits = [0, 0, 0, 1, 2, 3, 5, 8, 13, 21][state.next(below: 10)]
        company.cases += lawsuits(suits, prefix: region.court.prefix, court: region.court.name, role: state.next(below: 3) == 0 ? "plaintiff" : "defendant", from: 2023 + state.next(below: 3))
        if state.next(below: 5) == 0 {
            company.registry["fssp", default: []].append(["Type": "enforcement", "Number": "\(10_000 + state.next(below: 90_000))/26/\(inn.prefix(2))007-ИП",
                                                           "Amount": "\(50_000 + state.next(below: 2_000_000)).00", "Date": "2026-05-\(two(1 + state.next(below: 28)))",
                                                           "Description": "Задолженность по исполнительному листу"])
        }
        if state.next(below: 40) == 0 {
            company.registry["terrorist"] = [["Type": "sanctions", "List": "Перечень организаций, связанных с экстремизмом", "Date": "2026-06-01", "Description": "Организация включена в перечень"]]
        }
        let income = Double(1_000_000 * (1 + state.next(below: 900)))
        company.finance = (2025, income, income * (0.8 + Double(state.next(below: 40)) / 100), Double(state.next(below: 4) == 0 ? 100_000 * state.next(below: 50) : 0), 0)
        company.mentions = (0..<state.next(below: 3)).map { index in
            let (title, content) = SyntheticWords.mention(name: name, city: region.city, &state)
            return Mention(title: title, url: "https://news.example.ru/\(inn)/0/\(index)", content: content, date: "2026-0\(1 + state.next(below: 9))-1\(state.next(below: 9))")
        }
        company.classify()
        return company
    }

    /// One revision step: what a few weeks bring, added to what the company had.
    private mutating func evolve(step: Int) {
        var random = SeededGenerator(seed: inn, salt: "step-\(step)")
        let region = SyntheticWords.region(code: String(inn.prefix(2)), &random)
        let date = { (random: inout SeededGenerator) in "2026-11-\(Self.two(1 + random.next(below: 28)))" }
        if status == "ACTIVE" {
            let fate = random.next(below: 100)
            if fate < 5 {
                status = "BANKRUPT"
                let number = "\(region.court.prefix)-\(90_000 + step)/2026"
                cases.append(Case(number: number, court: region.court.name, date: date(&random), category: "о несостоятельности (банкротстве)",
                                  role: "defendant", claim: nil, status: "active", bankruptcy: true, other: "ФНС России"))
                registry["bankrot", default: []].append(["Type": "bankruptcy", "CaseNumber": number, "Date": date(&random), "Description": "Введено наблюдение", "URL": "https://bankrot.fedresurs.ru/"])
            } else if fate < 9 {
                status = "LIQUIDATED"
                liquidated = date(&random)
                employees = nil
            }
        }
        for index in 0..<[0, 0, 1, 1, 2, 3][random.next(below: 6)] {
            cases.append(Case(number: "\(region.court.prefix)-\(80_000 + step * 10 + index)/2026", court: region.court.name, date: date(&random),
                              category: ["о взыскании задолженности по договору поставки", "о взыскании неустойки"][random.next(below: 2)],
                              role: random.next(below: 4) == 0 ? "plaintiff" : "defendant", claim: Double(100_000 + random.next(below: 5_000_000)),
                              status: "active", other: "ООО \"\(SyntheticWords.companyName(&random))\""))
        }
        if random.next(below: 5) == 0 {
            registry["fssp", default: []].append(["Type": "enforcement", "Number": "\(70_000 + step)/26/\(inn.prefix(2))007-ИП",
                                                  "Amount": "\(50_000 + random.next(below: 2_000_000)).00", "Date": date(&random),
                                                  "Description": "Задолженность по исполнительному листу"])
        }
        if random.next(below: 33) == 0, registry["terrorist"] == nil {
            registry["terrorist"] = [["Type": "sanctions", "List": "Перечень организаций, связанных с экстремизмом", "Date": date(&random), "Description": "Организация включена в перечень"]]
        }
        if random.next(below: 10) == 0 { head = SyntheticWords.person(&random) }
        if random.next(below: 12) == 0 { founders.append((SyntheticWords.person(&random), nil, 10)) }
        let mentionCount = random.next(below: 3)
        mentions = (0..<mentionCount).map { index in
            let (title, content) = SyntheticWords.mention(name: name, city: city, &random)
            return Mention(title: title, url: "https://news.example.ru/\(inn)/\(step)/\(index)", content: content, date: date(&random))
        }
        classify()
    }

    private mutating func classify() {
        kind = status == "LIQUIDATED" ? .liquidated : status == "BANKRUPT" ? .bankrupt
            : registry["terrorist"] != nil ? .sanctions : cases.count >= 13 ? .manyLawsuits : .clean
    }

    static func two(_ number: Int) -> String { number < 10 ? "0\(number)" : "\(number)" }
}

/// SplitMix64 seeded by an FNV-1a hash of the INN and a salt: the same INN and salt draw the same numbers on
/// every machine and run (Swift's own hashing is seeded per process).
struct SeededGenerator {
    private var state: UInt64

    init(seed: String, salt: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (seed + "/" + salt).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        state = hash
    }

    mutating func nextUInt64() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound.
    mutating func next(below bound: Int) -> Int { Int(nextUInt64() % UInt64(bound)) }
}

/// The words synthetic companies are made of.
enum SyntheticWords {
    struct Region {
        var name: String
        var city: String
        var postcode: String
        var court: (prefix: String, name: String)
    }

    static let regions: [String: Region] = [
        "77": Region(name: "Москва", city: "Москва", postcode: "115093", court: ("А40", "АС г. Москвы")),
        "97": Region(name: "Москва", city: "Москва", postcode: "125009", court: ("А40", "АС г. Москвы")),
        "78": Region(name: "Санкт-Петербург", city: "Санкт-Петербург", postcode: "191025", court: ("А56", "АС г. Санкт-Петербурга и Ленинградской области")),
        "50": Region(name: "Московская", city: "Подольск", postcode: "142100", court: ("А41", "АС Московской области")),
        "54": Region(name: "Новосибирская", city: "Новосибирск", postcode: "630007", court: ("А45", "АС Новосибирской области")),
        "66": Region(name: "Свердловская", city: "Екатеринбург", postcode: "620014", court: ("А60", "АС Свердловской области")),
        "16": Region(name: "Татарстан", city: "Казань", postcode: "420111", court: ("А65", "АС Республики Татарстан")),
        "52": Region(name: "Нижегородская", city: "Нижний Новгород", postcode: "603005", court: ("А43", "АС Нижегородской области")),
        "63": Region(name: "Самарская", city: "Самара", postcode: "443010", court: ("А55", "АС Самарской области")),
        "23": Region(name: "Краснодарский", city: "Краснодар", postcode: "350000", court: ("А32", "АС Краснодарского края")),
        "61": Region(name: "Ростовская", city: "Ростов-на-Дону", postcode: "344002", court: ("А53", "АС Ростовской области")),
        "39": Region(name: "Калининградская", city: "Калининград", postcode: "236022", court: ("А21", "АС Калининградской области")),
    ]

    /// The region the INN's first two digits name; another one, drawn, for codes the table lacks.
    static func region(code: String, _ random: inout SeededGenerator) -> Region {
        if let region = regions[code] { return region }
        let all = regions.keys.sorted()
        return regions[all[random.next(below: all.count)]]!
    }

    static let roots = ["СЕВЕР", "ВОСТОК", "АЛЬФА", "ВЕКТОР", "ГРАНИТ", "ЯНТАРЬ", "ОРИОН", "ПРОГРЕСС", "КЕДР", "РУБЕЖ", "СИГМА", "ЛЕГИОН", "ФАКЕЛ", "ВОЛГА", "АТЛАС", "МЕРИДИАН"]
    static let endings = ["СТРОЙ", "ТОРГ", "ЛОГИСТИК", "ТЕХ", "СНАБ", "ПРОМ", "АГРО", "ТРАНС", "-М", " ПЛЮС", "ИНВЕСТ", "СЕРВИС"]

    static func companyName(_ random: inout SeededGenerator) -> String {
        roots[random.next(below: roots.count)] + endings[random.next(below: endings.count)]
    }

    static let surnames = [("Иванов", "Иванова"), ("Соколов", "Соколова"), ("Морозов", "Морозова"), ("Лебедев", "Лебедева"), ("Козлов", "Козлова"),
                           ("Новиков", "Новикова"), ("Павлов", "Павлова"), ("Егоров", "Егорова"), ("Фёдоров", "Фёдорова"), ("Зайцев", "Зайцева")]
    static let men = ["Алексей", "Дмитрий", "Сергей", "Андрей", "Михаил", "Николай", "Владимир", "Евгений"]
    static let women = ["Елена", "Ольга", "Татьяна", "Наталья", "Ирина", "Светлана", "Мария", "Анна"]
    static let patronymics = [("Александрович", "Александровна"), ("Викторович", "Викторовна"), ("Игоревич", "Игоревна"), ("Петрович", "Петровна"),
                              ("Олегович", "Олеговна"), ("Юрьевич", "Юрьевна")]

    static func person(_ random: inout SeededGenerator) -> String {
        let woman = random.next(below: 2) == 0
        let surname = surnames[random.next(below: surnames.count)]
        let patronymic = patronymics[random.next(below: patronymics.count)]
        return woman ? "\(surname.1) \(women[random.next(below: women.count)]) \(patronymic.1)"
            : "\(surname.0) \(men[random.next(below: men.count)]) \(patronymic.0)"
    }

    static let streets = ["ул. Ленина", "ул. Мира", "пр-т Победы", "ул. Садовая", "ул. Гагарина", "наб. Речная", "ул. Заводская", "пер. Школьный"]

    static let activities: [(String, String)] = [
        ("46.90", "Торговля оптовая неспециализированная"), ("41.20", "Строительство жилых и нежилых зданий"),
        ("49.41", "Деятельность автомобильного грузового транспорта"), ("62.01", "Разработка компьютерного программного обеспечения"),
        ("10.89", "Производство прочих пищевых продуктов"), ("68.20", "Аренда и управление собственным или арендованным недвижимым имуществом"),
    ]

    static func mention(name: String, city: String, _ random: inout SeededGenerator) -> (String, String) {
        let quoted = "«\(name)»"
        return [
            ("\(quoted) расширяет производство в городе \(city)", "Компания \(quoted) объявила о запуске новой линии и наборе сотрудников."),
            ("Поставщики жалуются на задержки оплаты \(quoted)", "Контрагенты \(quoted) сообщают о задержке платежей и готовят иски."),
            ("\(quoted) выиграла тендер на поставку", "Компания \(quoted) стала победителем закупки на сумму около 40 млн рублей."),
        ][random.next(below: 3)]
    }
}

/// Who the sandbox knows: the fixture companies as they are, and the synthetic company of every other valid INN
/// at the revision the behaviour holds for it. The not-found fixture stays unknown.
package struct SandboxCatalogue: Sendable {
    let behaviour: SandboxBehaviour

    package init(behaviour: SandboxBehaviour) { self.behaviour = behaviour }

    package func company(inn: String) -> SandboxCompany? {
        if let fixture = SandboxCompany.fixture(inn: inn) { return fixture }
        guard SandboxCompany.isValidCompanyINN(inn), !SandboxCompany.all.contains(where: { $0.inn == inn }) else { return nil }
        return SandboxCompany.synthetic(inn: inn, revision: behaviour.revision(of: inn))
    }

    /// DaData's `findById` query: an INN or an OGRN.
    package func company(innOrOGRN query: String) -> SandboxCompany? {
        if let fixture = SandboxCompany.all.first(where: { ($0.inn == query || $0.ogrn == query) && $0.kind != .notFound }) { return fixture }
        if query.count == 13, let inn = SandboxCompany.syntheticINN(ogrn: query), let company = company(inn: inn), company.ogrn == query { return company }
        return company(inn: query)
    }

    /// The company a free text (a search query, a prompt) is about: a fixture by INN or name, else the first
    /// valid INN in it.
    package func company(in text: String) -> SandboxCompany? {
        let upper = text.uppercased()
        if let fixture = SandboxCompany.all.first(where: { $0.kind != .notFound && (upper.contains($0.inn) || (!$0.name.isEmpty && upper.contains($0.name))) }) {
            return fixture
        }
        return INN.find(in: text).lazy.compactMap { company(inn: $0) }.first
    }
}
