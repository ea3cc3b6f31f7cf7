import Contracts
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The REST/JSON API of an in-process stack, through the gateway's responder: the same calls a browser or
/// curl makes, without a socket.
@Suite(.serialized) struct GatewayRESTTests {
    static let inn = GatewayAPITests.inn

    @Test("POST /analyses → SSE progress → the report → its PDF, with the headers a client relies on")
    func analysisOverREST() async throws {
        try await InProcessStack.run(gateway: ["CLA_REST_CORS_ORIGINS": "https://app.example"]) { stack in
            let auth = stack.adminKey
            try await stack.rest { client in
                let submitted = try await client.execute(
                    uri: "/api/v1/analyses", method: .post,
                    headers: Self.headers(auth, ["Idempotency-Key": "rest-1", "X-Request-Id": "req-42", "Origin": "https://app.example"]),
                    body: Self.json(#"{"request": {"inn": "\#(Self.inn)", "clientName": "Поставщик"}}"#))
                #expect(submitted.status.code == 202)
                #expect(submitted.headers[HTTPField.Name("x-request-id")!] == "req-42")
                #expect(submitted.headers[.accessControlAllowOrigin] == "https://app.example")
                #expect(submitted.headers[HTTPField.Name("x-content-type-options")!] == "nosniff")
                let job = try Self.object(submitted)["job"] as? [String: Any]
                let jobID = try #require(job?["id"] as? String)
                #expect((job?["request"] as? [String: Any])?["client_name"] as? String == "Поставщик")

                let again = try await client.execute(
                    uri: "/api/v1/analyses", method: .post, headers: Self.headers(auth, ["Idempotency-Key": "rest-1"]),
                    body: Self.json(#"{"request": {"inn": "\#(Self.inn)", "clientName": "Поставщик"}}"#))
                #expect(try Self.object(again)["created"] as? Bool == false)
                let different = try await client.execute(
                    uri: "/api/v1/analyses", method: .post, headers: Self.headers(auth, ["Idempotency-Key": "rest-1"]),
                    body: Self.json(#"{"request": {"inn": "\#(Self.inn)"}}"#))
                #expect(different.status.code == 409)

                let events = try await client.execute(uri: "/api/v1/jobs/\(jobID)/events", method: .get, headers: Self.headers(auth))
                #expect(events.headers[.contentType]?.hasPrefix("text/event-stream") == true)
                let stream = String(buffer: events.body)
                #expect(stream.contains("event: progress\ndata: {") && stream.hasSuffix("event: end\ndata: {}\n\n"))
                #expect(stream.contains("id: 1\n"))
                // Resuming after the last event gives only the end.
                let ids = stream.split(separator: "\n").filter { $0.hasPrefix("id: ") }.compactMap { Int($0.dropFirst(4)) }
                let resumed = try await client.execute(
                    uri: "/api/v1/jobs/\(jobID)/events", method: .get, headers: Self.headers(auth, ["Last-Event-ID": "\(ids.max() ?? 0)"]))
                #expect(!String(buffer: resumed.body).contains("event: progress"))

                let finished = try Self.object(try await client.execute(uri: "/api/v1/jobs/\(jobID)", method: .get, headers: Self.headers(auth)))
                let reportID = try #require((finished["job"] as? [String: Any])?["report_id"] as? String)
                #expect((finished["job"] as? [String: Any])?["state"] as? String == "JOB_STATE_SUCCEEDED")

                let report = try Self.object(try await client.execute(uri: "/api/v1/reports/\(reportID)", method: .get, headers: Self.headers(auth)))
                #expect((report["report"] as? [String: Any])?["inn"] as? String == Self.inn)
                let latest = try Self.object(try await client.execute(uri: "/api/v1/reports/latest?inn=\(Self.inn)", method: .get, headers: Self.headers(auth)))
                #expect((latest["report"] as? [String: Any])?["id"] as? String == reportID)

                let pdf = try await client.execute(uri: "/api/v1/reports/\(reportID)/document", method: .get, headers: Self.headers(auth))
                #expect(pdf.status == .ok && pdf.headers[.contentType] == "application/pdf")
                #expect(pdf.headers[.contentDisposition] == "attachment; filename=\"\(Self.inn)-v1.pdf\"")
                #expect(String(buffer: pdf.body).hasPrefix("%PDF"))
                let markdown = try await client.execute(uri: "/api/v1/reports/\(reportID)/document?format=markdown", method: .get, headers: Self.headers(auth))
                #expect(markdown.headers[.contentDisposition] == "attachment; filename=\"\(Self.inn)-v1.md\"")
                #expect(String(buffer: markdown.body).contains("СЕВЕРНЫЙ ВЕТЕР"))

                let export = try await client.execute(uri: "/api/v1/reports/export?format=json&filter.inn=\(Self.inn)", method: .get, headers: Self.headers(auth))
                #expect(export.headers[.contentDisposition] == "attachment; filename=\"reports.json\"")
                let exported = try JSONSerialization.jsonObject(with: Data(export.body.readableBytesView)) as? [[String: Any]]
                #expect(exported?.map { $0["inn"] as? String } == [Self.inn])

                let feedback = try await client.execute(
                    uri: "/api/v1/feedback", method: .post, headers: Self.headers(auth),
                    body: Self.json(#"{"feedback": {"report_id": "\#(reportID)", "rating": "accurate", "comment": "верно"}}"#))
                #expect(feedback.status.code == 201, "\(String(buffer: feedback.body))")
                let thread = try Self.object(try await client.execute(uri: "/api/v1/threads/by-inn/\(Self.inn)", method: .get, headers: Self.headers(auth)))
                #expect((thread["feedback"] as? [[String: Any]])?.first?["comment"] as? String == "верно")
            }
        }
    }

    @Test("errors are JSON with the status the wire reference maps, and say what to do")
    func errors() async throws {
        try await InProcessStack.run(gateway: ["CLA_REST_MAX_BODY_BYTES": "2048"], analyzerRuns: false) { stack in
            let auth = stack.adminKey
            let viewer = try await stack.key(.viewer)
            try await stack.rest { client in
                func check(_ response: TestResponse, _ status: Int, _ code: String, _ message: String) throws {
                    #expect(response.status.code == status, "\(String(buffer: response.body))")
                    let error = try Self.object(response)["error"] as? [String: Any]
                    #expect(error?["code"] as? String == code)
                    #expect((error?["message"] as? String)?.contains(message) == true, "\(String(buffer: response.body))")
                }
                let submit = Self.json(#"{"request": {"inn": "7707083894"}}"#)
                try check(try await client.execute(uri: "/api/v1/analyses", method: .post, headers: Self.headers(auth), body: submit),
                          400, "INVALID_ARGUMENT", "request.inn: checksum digit 10 must be 3, got 4")
                let anonymous = try await client.execute(uri: "/api/v1/jobs", method: .get)
                try check(anonymous, 401, "UNAUTHENTICATED", "missing API key")
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer realm=\"client-analyze\"")
                try check(try await client.execute(uri: "/api/v1/analyses", method: .post, headers: Self.headers(viewer), body: Self.json(#"{"request": {"inn": "\#(Self.inn)"}}"#)),
                          403, "PERMISSION_DENIED", "needs the analyst role")
                try check(try await client.execute(uri: "/api/v1/jobs/nope", method: .get, headers: Self.headers(auth)), 404, "NOT_FOUND", "nope")
                try check(try await client.execute(uri: "/api/v1/nothing", method: .get, headers: Self.headers(auth)), 404, "NOT_FOUND", "no such endpoint")
                let wrongMethod = try await client.execute(uri: "/api/v1/analyses", method: .get, headers: Self.headers(auth))
                try check(wrongMethod, 405, "METHOD_NOT_ALLOWED", "use POST")
                #expect(wrongMethod.headers[.allow] == "POST")
                try check(try await client.execute(uri: "/api/v1/analyses", method: .post, headers: Self.headers(auth, ["Content-Type": "text/plain"]), body: ByteBuffer(string: "inn=1")),
                          415, "UNSUPPORTED_MEDIA_TYPE", "application/json")
                try check(try await client.execute(uri: "/api/v1/analyses", method: .post, headers: Self.headers(auth), body: ByteBuffer(repeating: UInt8(ascii: " "), count: 4096)),
                          413, "PAYLOAD_TOO_LARGE", "2048 bytes")
                try check(try await client.execute(uri: "/api/v1/analyses", method: .post, headers: Self.headers(auth), body: Self.json("{\"request\": ")),
                          400, "INVALID_ARGUMENT", "not valid JSON")
                try check(try await client.execute(uri: "/api/v1/analyses", method: .post, headers: Self.headers(auth), body: Self.json(#"{"requst": {}}"#)),
                          400, "INVALID_ARGUMENT", "requst")
                try check(try await client.execute(uri: "/api/v1/reports?filter.nope=1", method: .get, headers: Self.headers(auth)),
                          400, "INVALID_ARGUMENT", "filter.nope: unknown query parameter")
                try check(try await client.execute(uri: "/api/v1/reports/r-missing/document", method: .get, headers: Self.headers(auth)),
                          404, "NOT_FOUND", "r-missing")
                try check(try await client.execute(uri: "/api/v1/jobs/j-missing/events", method: .get, headers: Self.headers(auth)),
                          404, "NOT_FOUND", "j-missing")
                try check(try await client.execute(uri: "/api/v1/openapi.json", method: .post), 405, "METHOD_NOT_ALLOWED", "only GET")
                // Preflight from an origin that is not configured.
                try check(try await client.execute(uri: "/api/v1/jobs", method: .options, headers: [.origin: "https://evil.example"]),
                          403, "PERMISSION_DENIED", "rest.cors_origins")
            }
        }
    }

    @Test("the OpenAPI document lists every route; CORS preflights pass for configured origins; admin routes work")
    func documentCORSAndAdmin() async throws {
        try await InProcessStack.run(gateway: ["CLA_REST_CORS_ORIGINS": "https://app.example"], analyzerRuns: false) { stack in
            let auth = stack.adminKey
            try await stack.rest { client in
                let document = try Self.object(try await client.execute(uri: "/api/v1/openapi.json", method: .get))
                #expect(document["openapi"] as? String == "3.1.0")
                let paths = try #require(document["paths"] as? [String: Any])
                #expect(paths["/api/v1/jobs/{job_id}/events"] != nil && paths["/api/v1/admin/keys/{id}"] != nil)

                let preflight = try await client.execute(
                    uri: "/api/v1/analyses", method: .options, headers: [.origin: "https://app.example", .accessControlRequestMethod: "POST"])
                #expect(preflight.status == .noContent && preflight.headers[.accessControlAllowOrigin] == "https://app.example")
                #expect(preflight.headers[.accessControlAllowHeaders]?.contains("authorization") == true)

                let created = try await client.execute(
                    uri: "/api/v1/admin/keys", method: .post, headers: Self.headers(auth),
                    body: Self.json(#"{"name": "ci", "role": "analyst", "rate_limit_per_minute": 100}"#))
                #expect(created.status.code == 201, "\(String(buffer: created.body))")
                let body = try Self.object(created)
                let secret = try #require(body["secret"] as? String)
                let id = try #require((body["key"] as? [String: Any])?["id"] as? String)
                #expect(secret.hasPrefix("cla_\(id)_"))
                let jobs = try await client.execute(uri: "/api/v1/jobs?states=queued&page.page_size=5", method: .get, headers: Self.headers(secret))
                #expect(jobs.status == .ok)
                let revoked = try await client.execute(uri: "/api/v1/admin/keys/\(id)", method: .delete, headers: Self.headers(auth))
                #expect(revoked.status == .ok)
                #expect(try await client.execute(uri: "/api/v1/jobs", method: .get, headers: Self.headers(secret)).status == .unauthorized)

                let queue = try Self.object(try await client.execute(uri: "/api/v1/admin/queue", method: .get, headers: Self.headers(auth)))
                #expect(queue["by_state"] != nil)
                let audit = try Self.object(try await client.execute(uri: "/api/v1/admin/audit?action_prefix=gateway.v1.Admin", method: .get, headers: Self.headers(auth)))
                let actions = (audit["records"] as? [[String: Any]])?.compactMap { $0["action"] as? String } ?? []
                #expect(actions.contains("gateway.v1.Admin/CreateApiKey") && actions.contains("gateway.v1.Admin/RevokeApiKey"))
                #expect((audit["records"] as? [[String: Any]])?.first?["remote_address"] as? String != nil)
            }
        }
    }

    // MARK: Helpers

    static func headers(_ key: String, _ extra: [String: String] = [:]) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        for (name, value) in extra { fields[HTTPField.Name(name)!] = value }
        return fields
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
        return try #require(value as? [String: Any], "not a JSON object: \(String(buffer: response.body))")
    }
}
