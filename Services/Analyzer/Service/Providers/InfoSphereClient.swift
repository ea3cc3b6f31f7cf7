internal import Foundation
#if canImport(FoundationXML)
internal import FoundationXML
#endif
package import Contracts

/// InfoSphere `checkorg`: one XML request asks many government registries; each `<Source>` answers with
/// records of name/value fields, which become interpreted registry hits (never raw XML for users).
package struct InfoSphereClient: Sendable {
    package let caller: ProviderCaller
    package let login: String
    package let password: String
    package let registries: [String]

    package static let defaultRegistries = ["fns", "fssp", "bankrot", "terrorist", "cbr", "rnp", "disqualified"]

    package init(caller: ProviderCaller, login: String, password: String, registries: [String] = defaultRegistries) {
        self.caller = caller
        self.login = login
        self.password = password
        self.registries = registries
    }

    /// Registry hits, the registries that reported an error of their own, and attempts.
    package func check(inn: String) async throws(ProviderFailure) -> (hits: [CommonV1.RegistryHit], failedRegistries: [String], attempts: Int) {
        let request = """
            <?xml version="1.0" encoding="utf-8"?>
            <Request><UserID>\(Self.escape(login))</UserID><Password>\(Self.escape(password))</Password><requestId>\(inn)</requestId>\
            <requestType>checkorg</requestType><sources>\(registries.joined(separator: ","))</sources><timeout>60</timeout>\
            <recursive>0</recursive><async>0</async><OrgReq><inn>\(inn)</inn></OrgReq></Request>
            """
        let (answer, attempts) = try await caller.call(HTTPRequestSpec(
            .post, caller.settings.baseURL + "/2.00", headers: [("Content-Type", "application/xml")], body: Array(request.utf8)))
        let document = ResponseParser()
        let parser = XMLParser(data: Data(answer.body))
        parser.delegate = document
        guard parser.parse(), document.sawResponse else {
            throw .malformed("InfoSphere: " + (parser.parserError.map { "\($0)" } ?? "no <Response> element"))
        }
        if let error = document.topLevelError { throw .provider(error) }
        let hits = document.sources.flatMap { source in source.records.map { Self.hit(source: source.code, fields: $0) } }
        return (hits, document.sources.filter { $0.error != nil }.map(\.code), attempts)
    }

    /// Interprets one record: the registry (and the `Type` field for the tax service) gives the kind.
    static func hit(source: String, fields: [String: String]) -> CommonV1.RegistryHit {
        let kind: CommonV1.RegistryKind = switch (source, fields["Type"]?.lowercased()) {
        case ("fns", "debt"): .taxDebt
        case ("fns", "massaddress"): .massAddress
        case ("fns", "massdirector"): .massDirector
        case ("fns", "unreliable"): .unreliableData
        case ("fns", "disqualified"), ("disqualified", _): .disqualification
        case ("fssp", _): .enforcement
        case ("bankrot", _): .bankruptcy
        case ("terrorist", _), ("sanctions", _): .sanctions
        case ("cbr", _): .cbrWarning
        case ("rnp", _): .unfairSupplier
        default: .other
        }
        let number = fields["Number"] ?? fields["CaseNumber"] ?? ""
        let description = fields["Description"] ?? fields["List"] ?? ""
        return .with {
            $0.kind = kind
            $0.registry = source
            $0.title = [description, number.isEmpty ? "" : "№ \(number)"].filter { !$0.isEmpty }.joined(separator: ", ")
            $0.detail = fields["Name"] ?? fields["Subject"] ?? ""
            $0.amountKopecks = fields["Amount"].flatMap(Double.init).map { Int64(($0 * 100).rounded()) }
            $0.date = String((fields["Date"] ?? "").prefix(10))
            $0.url = fields["URL"] ?? ""
            $0.fields = fields
        }
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// SAX parsing of the response into sources and their records.
    final class ResponseParser: NSObject, XMLParserDelegate {
        struct Source {
            var code: String
            var records: [[String: String]] = []
            var error: String?
        }

        var sawResponse = false
        var topLevelError: String?
        var sources: [Source] = []
        private var path: [String] = []
        private var text = ""
        private var record: [String: String]?
        private var fieldName: String?
        private var fieldValue: String?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            path.append(name)
            text = ""
            switch name {
            case "Response": sawResponse = true
            case "Source": sources.append(Source(code: attributes["code"] ?? "unknown"))
            case "Record": record = [:]
            case "Field": (fieldName, fieldValue) = (nil, nil)
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            path.removeLast()
            switch name {
            case "FieldName": fieldName = value
            case "FieldValue": fieldValue = value
            case "Field": if let fieldName { record?[fieldName] = fieldValue ?? "" }
            case "Record":
                if let record, !sources.isEmpty { sources[sources.count - 1].records.append(record) }
                record = nil
            case "Error":
                if path.last == "Source", !sources.isEmpty { sources[sources.count - 1].error = value } else if path.last == "Response" { topLevelError = value }
            default: break
            }
            text = ""
        }
    }
}
