/// The sandbox's companies: one of each kind the analyzer must tell apart, with checksum-valid INNs and OGRNs.
/// Every provider answers from this one catalogue in its own wire format.
package struct SandboxCompany: Sendable {
    package enum Kind: String, Sendable, CaseIterable {
        case clean, liquidated, bankrupt, manyLawsuits = "many_lawsuits", sanctions, disqualifiedDirector = "disqualified_director"
        case registeredLastMonth = "registered_last_month", massAddress = "mass_address", partial, notFound = "not_found"
        /// Markup and quotes in every text field: what the web app and the renderers must show as text.
        case hostileText = "hostile_text"
    }

    package var kind: Kind
    package var inn: String
    package var ogrn: String
    package var kpp: String
    /// Name in quotes, without the legal form: СЕВЕРНЫЙ ВЕТЕР.
    package var name: String
    package var legalForm = "ООО"
    package var status = "ACTIVE"
    package var registered: String
    package var liquidated: String? = nil
    package var address: String
    package var region: String
    package var city: String
    package var head: String
    package var headDisqualified = false
    package var founders: [(name: String, inn: String?, share: Double)] = []
    package var okved = ("46.90", "Торговля оптовая неспециализированная")
    package var capitalRoubles = 10_000.0
    package var employees: Int? = 12
    package var finance: (year: Int, income: Double, expense: Double, debt: Double, penalty: Double)? = nil
    package var cases: [Case] = []
    /// InfoSphere records by source code (fns, fssp, bankrot, terrorist, cbr, rnp, disqualified).
    package var registry: [String: [[String: String]]] = [:]
    package var mentions: [Mention] = []
    /// Faults this company always causes at a provider (the partial-data company), by provider.
    package var faults: [Provider: String] = [:]

    package struct Case: Sendable {
        package var number: String
        package var court: String
        package var date: String
        package var category: String
        /// plaintiff, defendant, third
        package var role: String
        package var claim: Double?
        /// active, closed, won, lost, settled
        package var status: String
        package var bankruptcy = false
        package var other: String
    }

    package struct Mention: Sendable {
        var title: String
        var url: String
        var content: String
        var date: String
    }

    package var shortName: String { "\(legalForm) \"\(name)\"" }
    package var fullName: String {
        (legalForm == "АО" ? "АКЦИОНЕРНОЕ ОБЩЕСТВО" : "ОБЩЕСТВО С ОГРАНИЧЕННОЙ ОТВЕТСТВЕННОСТЬЮ") + " \"\(name)\""
    }

    /// The fixture of an INN (none for the not-found one).
    package static func fixture(inn: String) -> SandboxCompany? { all.first { $0.inn == inn && $0.kind != .notFound } }

    package static let all: [SandboxCompany] = [clean, liquidated, bankrupt, manyLawsuits, sanctions, disqualified, young, massAddress, partial, notFound, hostileText]

    static func lawsuits(_ count: Int, prefix: String, court: String, role: String = "defendant", from year: Int = 2024) -> [Case] {
        let categories = ["о взыскании задолженности по договору поставки", "о взыскании неустойки", "о неисполнении обязательств по договору подряда"]
        return (0..<count).map { index in
            Case(
                number: "\(prefix)-\(10_000 + index * 137)/\(year + index % 3)", court: court,
                date: "\(year + index % 3)-\(index % 9 + 1 < 10 ? "0" : "")\(index % 9 + 1)-1\(index % 9)", category: categories[index % 3],
                role: role, claim: Double(150_000 + index * 48_500), status: index % 4 == 0 ? "lost" : "active",
                other: "ООО \"КРЕДИТОР-\(index + 1)\"")
        }
    }

    static let clean = SandboxCompany(
        kind: .clean, inn: "7705123452", ogrn: "1027700123450", kpp: "770501001", name: "СЕВЕРНЫЙ ВЕТЕР", registered: "2009-04-14",
        address: "115035, г. Москва, ул. Садовническая, д. 20, стр. 1, помещ. 3", region: "Москва", city: "Москва",
        head: "Орлова Марина Сергеевна", founders: [("Орлова Марина Сергеевна", "772812345675", 100)], capitalRoubles: 500_000, employees: 38,
        finance: (2025, 482_153_000, 451_020_000, 0, 0),
        cases: [Case(number: "А40-118342/2025", court: "АС г. Москвы", date: "2025-06-11", category: "о взыскании задолженности по договору поставки",
                     role: "plaintiff", claim: 1_845_000, status: "won", other: "ООО \"ТЕХСНАБ\"")],
        mentions: [Mention(title: "«Северный ветер» открыл второй склад в Подмосковье", url: "https://www.rbc.ru/business/2025/09/12/severny-veter",
                           content: "Компания «Северный ветер» расширяет логистику и открывает новый склад.", date: "2025-09-12")])

    static let liquidated = SandboxCompany(
        kind: .liquidated, inn: "7816345676", ogrn: "1157847123455", kpp: "781601001", name: "БАЛТИЙСКАЯ ЛОГИСТИКА", status: "LIQUIDATED",
        registered: "2015-03-02", liquidated: "2024-08-30", address: "192019, г. Санкт-Петербург, наб. Обводного канала, д. 14, лит. А",
        region: "Санкт-Петербург", city: "Санкт-Петербург", head: "Смирнов Павел Андреевич", founders: [("Смирнов Павел Андреевич", nil, 100)],
        employees: nil)

    static let bankrupt = SandboxCompany(
        kind: .bankrupt, inn: "5402987650", ogrn: "1045402123458", kpp: "540201001", name: "СИБСТРОЙМОНТАЖ", legalForm: "АО", status: "BANKRUPT",
        registered: "2004-07-21", address: "630099, г. Новосибирск, ул. Каменская, д. 32, офис 415", region: "Новосибирская", city: "Новосибирск",
        head: "Кузнецов Игорь Викторович", capitalRoubles: 10_000_000, employees: 214, finance: (2025, 1_204_000_000, 1_519_000_000, 23_400_000, 4_100_000),
        cases: [Case(number: "А45-9876/2025", court: "АС Новосибирской области", date: "2025-02-17", category: "о несостоятельности (банкротстве)",
                     role: "defendant", claim: nil, status: "active", bankruptcy: true, other: "ФНС России")]
            + lawsuits(14, prefix: "А45", court: "АС Новосибирской области"),
        registry: [
            "bankrot": [["Type": "bankruptcy", "CaseNumber": "А45-9876/2025", "Date": "2025-04-02", "Description": "Введено наблюдение", "URL": "https://bankrot.fedresurs.ru/"]],
            "fssp": [["Type": "enforcement", "Number": "48213/25/54007-ИП", "Amount": "1275400.00", "Date": "2025-05-19", "Description": "Задолженность по исполнительному листу"]],
            "fns": [["Type": "debt", "Amount": "23400000.00", "Date": "2025-10-01", "Description": "Задолженность по налогам более 1 000 ₽ свыше года"]],
        ],
        mentions: [Mention(title: "Арбитраж ввёл наблюдение в «Сибстроймонтаже»", url: "https://ngs.ru/text/business/2025/04/03/sibstroy",
                           content: "Суд ввёл процедуру наблюдения по заявлению ФНС; долги компании перед кредиторами превышают 200 млн рублей, банкротство.",
                           date: "2025-04-03")])

    static let manyLawsuits = SandboxCompany(
        kind: .manyLawsuits, inn: "7728456786", ogrn: "1207700123454", kpp: "772801001", name: "ГРУЗОВИК-М", registered: "2020-02-11",
        address: "117342, г. Москва, ул. Бутлерова, д. 17", region: "Москва", city: "Москва", head: "Петров Андрей Николаевич",
        cases: lawsuits(64, prefix: "А40", court: "АС г. Москвы"),
        mentions: [Mention(title: "Клиенты «Грузовика-М» жалуются на сорванные поставки", url: "https://www.kommersant.ru/doc/7100001",
                           content: "Поставщики подают иски и претензии; компания задерживает оплату.", date: "2026-06-20")])

    static let sanctions = SandboxCompany(
        kind: .sanctions, inn: "1650123403", ogrn: "1161650123458", kpp: "165001001", name: "КАМА-ИМПОРТ", registered: "2016-09-01",
        address: "423800, г. Набережные Челны, пр-т Мира, д. 3", region: "Татарстан", city: "Набережные Челны", head: "Гарипов Ильдар Рустемович",
        registry: ["terrorist": [["Type": "sanctions", "List": "Перечень организаций, связанных с экстремизмом", "Date": "2025-12-01", "Description": "Организация включена в перечень"]]])

    static let disqualified = SandboxCompany(
        kind: .disqualifiedDirector, inn: "6670112230", ogrn: "1176658123454", kpp: "667001001", name: "УРАЛ-ТРЕЙД", registered: "2017-05-30",
        address: "620014, г. Екатеринбург, ул. Малышева, д. 5", region: "Свердловская", city: "Екатеринбург", head: "Сидоров Олег Петрович",
        headDisqualified: true,
        registry: ["disqualified": [["Type": "disqualified", "Name": "Сидоров Олег Петрович", "Date": "2026-01-15", "Description": "Дисквалификация на 2 года"]]])

    static let young = SandboxCompany(
        kind: .registeredLastMonth, inn: "6315445565", ogrn: "1196315123454", kpp: "631501001", name: "НОВЫЙ СТАРТ", registered: "2026-10-20",
        address: "443010, г. Самара, ул. Куйбышева, д. 90", region: "Самарская", city: "Самара", head: "Волкова Анна Игоревна", employees: nil)

    static let massAddress = SandboxCompany(
        kind: .massAddress, inn: "2634778891", ogrn: "1262634123454", kpp: "263401001", name: "КАВКАЗ-ОПТ", registered: "2021-03-03",
        address: "355035, г. Ставрополь, ул. Ленина, д. 1, офис 1", region: "Ставропольский", city: "Ставрополь", head: "Алиев Руслан Магомедович",
        registry: [
            "fns": [["Type": "massaddress", "Description": "По адресу зарегистрировано 64 юридических лица", "Date": "2026-02-01"],
                    ["Type": "massdirector", "Description": "Руководитель возглавляет 12 юридических лиц", "Date": "2026-02-01"]],
        ])

    static let partial = SandboxCompany(
        kind: .partial, inn: "5026112237", ogrn: "1175026123458", kpp: "502601001", name: "ЛУГОВОЕ", registered: "2017-10-09",
        address: "140100, г. Раменское, ул. Воровского, д. 1", region: "Московская", city: "Раменское", head: "Никитин Сергей Олегович",
        faults: [.casebook: "503", .tavily: "timeout"])

    /// A clean company whose texts hold markup and quotes: a page or document that renders them as markup,
    /// or breaks an attribute on a quote, shows it at once.
    static let hostileText = SandboxCompany(
        kind: .hostileText, inn: "7701123451", ogrn: "1027700112340", kpp: "770101001", name: "<script>alert(\"x\")</script> & 'КАВЫЧКИ'",
        registered: "2012-05-15", address: "101000, г. Москва, ул. <b>Мясницкая</b>, д. 1 \"А\"", region: "Москва", city: "Москва",
        head: "Иванов <img src=x onerror=alert(1)> Иван", founders: [("Иванов \"Иван\" Иванович", "772812345675", 100)],
        cases: [Case(number: "А40-1/2026", court: "АС г. Москвы <i>", date: "2026-01-20", category: "о взыскании <script>долга</script>",
                     role: "plaintiff", claim: 50_000, status: "active", other: "ООО \"<svg onload=alert(1)>\"")],
        mentions: [Mention(title: "\"><script>alert('mention')</script>", url: "javascript:alert(1)",
                           content: "<img src=x onerror=alert(2)> новости", date: "2026-03-01")])

    /// Valid checksums, but no registry knows it.
    static let notFound = SandboxCompany(
        kind: .notFound, inn: "3900123459", ogrn: "1253900123454", kpp: "", name: "", registered: "", address: "", region: "", city: "", head: "")
}
