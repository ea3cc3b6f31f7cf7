internal import Synchronization

/// The providers the sandbox imitates; the first path segment of every route.
package enum Provider: String, Sendable, CaseIterable {
    case dadata, casebook, infosphere, tavily, perplexity, llm
}

/// A fault to inject, from `--fault provider=SPEC`, the `X-Sandbox-Fault` header or a company's own faults.
///
/// SPEC: an HTTP status (`401`, `429`, `500`, `503`), `retry-after:SECONDS` (429 with Retry-After), `timeout`
/// (no answer for a long time), `malformed` (200 with a body that is not the provider's format), or
/// `flaky:N` (503 for the first N requests per subject, then normal answers), or `subjects:N` (503 for every
/// request about the first N distinct subjects, normal answers about the rest: a web search whose first N
/// queries fail), or `registry-errors:N` (InfoSphere only: 200, but the first N registries answer with an
/// `<Error>` of their own instead of records).
package enum Fault: Sendable, Equatable {
    case status(Int)
    case retryAfter(seconds: Int)
    case timeout
    case malformed
    case flaky(times: Int)
    case failingSubjects(Int)
    case registryErrors(Int)

    package init?(_ spec: String) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts[0] {
        case "timeout": self = .timeout
        case "malformed": self = .malformed
        case "retry-after" where parts.count == 2: guard let seconds = Int(parts[1]) else { return nil }; self = .retryAfter(seconds: seconds)
        case "flaky" where parts.count == 2: guard let times = Int(parts[1]) else { return nil }; self = .flaky(times: times)
        case "subjects" where parts.count == 2: guard let count = Int(parts[1]) else { return nil }; self = .failingSubjects(count)
        case "registry-errors" where parts.count == 2: guard let count = Int(parts[1]) else { return nil }; self = .registryErrors(count)
        default:
            guard let status = Int(parts[0]), (400...599).contains(status) else { return nil }
            self = .status(status)
        }
    }
}

/// Faults and latency set at start, and the counters `flaky:N` needs.
package final class SandboxBehaviour: Sendable {
    package let faults: [Provider: Fault]
    package let latencyMilliseconds: [Provider: Int]
    /// How long `timeout` keeps a request waiting: longer than any client timeout, but bounded.
    package let timeoutSeconds: Int
    private let attempts = Mutex<[String: Int]>([:])
    private let requests = Mutex<[Provider: Int]>([:])
    private let failing = Mutex<[Provider: [String]]>([:])
    private let revisions = Mutex<[String: Int]>([:])

    package init(faults: [Provider: Fault] = [:], latencyMilliseconds: [Provider: Int] = [:], timeoutSeconds: Int = 30) {
        self.faults = faults
        self.latencyMilliseconds = latencyMilliseconds
        self.timeoutSeconds = timeoutSeconds
    }

    /// Counts an attempt for `flaky`: true while the subject still has failures to serve.
    func shouldFail(_ provider: Provider, subject: String, times: Int) -> Bool {
        attempts.withLock { counts in
            let key = "\(provider.rawValue):\(subject)"
            counts[key, default: 0] += 1
            return counts[key]! <= times
        }
    }

    /// For `subjects:N`: true when the subject is one of the first N distinct ones the provider was asked about.
    func failsSubject(_ provider: Provider, subject: String, count: Int) -> Bool {
        failing.withLock { seen in
            var subjects = seen[provider, default: []]
            if !subjects.contains(subject), subjects.count < count { subjects.append(subject) }
            seen[provider] = subjects
            return subjects.contains(subject)
        }
    }

    /// A synthetic company's revision (0 until raised).
    package func revision(of inn: String) -> Int { revisions.withLock { $0[inn] ?? 0 } }

    /// Raises the revision of a synthetic company: it answers with changed data from now on.
    @discardableResult
    package func raiseRevision(of inn: String) -> Int { revisions.withLock { $0[inn, default: 0] += 1; return $0[inn]! } }

    func countRequest(_ provider: Provider) { requests.withLock { $0[provider, default: 0] += 1 } }

    /// Requests served per provider, for tests (also at `GET /sandbox/stats`).
    package var requestCounts: [Provider: Int] { requests.withLock { $0 } }
}
