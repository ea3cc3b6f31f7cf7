package import Contracts
internal import ServiceKit
internal import Foundation

/// Why a provider call gave no data. Each maps to a `SourceStatus.State` and a reason a reader understands;
/// none of them is ever turned into "no findings".
package enum ProviderFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// No credentials configured.
    case notConfigured
    /// The breaker is open after repeated failures for several subjects; the provider was not asked. `since`:
    /// when it opened (Unix ms).
    case circuitOpen(since: Int64)
    /// No answer within the timeout (after all attempts).
    case timeout(attempts: Int)
    /// An HTTP status that is not success, after all attempts the retry budget allowed.
    case http(status: Int, attempts: Int)
    /// The connection failed (refused, reset, DNS).
    case transport(String, attempts: Int)
    /// The answer did not have the provider's format.
    case malformed(String)
    /// The provider answered with an error of its own (e.g. InfoSphere's `<Error>`).
    case provider(String)

    package var state: CommonV1.SourceStatus.State {
        switch self {
        case .notConfigured: .notConfigured
        case .circuitOpen: .circuitOpen
        case .timeout: .timeout
        case .http, .transport, .malformed, .provider: .error
        }
    }

    /// Worth another attempt: timeouts, 429, 5xx and connection failures; never 4xx or a malformed body.
    var retriable: Bool {
        switch self {
        case .timeout, .transport: true
        case .http(let status, _): status == 429 || (500...599).contains(status)
        default: false
        }
    }

    package var attempts: Int {
        switch self {
        case .timeout(let attempts), .http(_, let attempts), .transport(_, let attempts): attempts
        case .malformed, .provider: 1
        case .notConfigured, .circuitOpen: 0
        }
    }

    package var description: String {
        switch self {
        case .notConfigured: "не заданы учётные данные"
        case .circuitOpen(let since):
            "провайдер недоступен" + (since > 0 ? " с \(UnixTime.isoDateTime(milliseconds: since).replacingOccurrences(of: "T", with: " ")) UTC" : "")
                + ": после серии сбоев при проверке разных компаний его временно не спрашивают"
        case .timeout(let attempts): "нет ответа" + Self.after(attempts)
        case .http(let status, let attempts): "HTTP \(status)" + Self.after(attempts)
        case .transport(let reason, let attempts): "ошибка соединения: \(reason)" + Self.after(attempts)
        case .malformed(let reason): "ответ в неожиданном формате: \(reason)"
        case .provider(let message): "ошибка источника: \(message)"
        }
    }

    private static func after(_ attempts: Int) -> String {
        switch attempts {
        case ...1: ""
        case 2...4: " после \(attempts) попыток"
        default: " после \(attempts) попыток"
        }
    }
}
