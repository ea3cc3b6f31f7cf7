package import Contracts

/// Which role each gateway method needs. Reading needs viewer, submitting and feedback analyst, deleting and
/// administration admin; a method missing from the table needs admin, so a new method is closed until
/// someone decides.
package enum AccessPolicy {
    package static let gatewayPackage = "clientanalyze.gateway.v1."

    private static let analystMethods: Set<String> = [
        "Analyses/Submit", "Analyses/SubmitPrompt", "Analyses/CancelJob", "Threads/SubmitFeedback", "Sources/Lookup",
    ]
    private static let viewerMethods: Set<String> = [
        "Analyses/GetJob", "Analyses/WatchJob", "Analyses/ListJobs",
        "Reports/GetReport", "Reports/DownloadReport", "Reports/ListReports", "Reports/CompareReports", "Reports/Stats",
        "Reports/Timeline", "Reports/ExportReports",
        "Threads/GetThread", "Threads/ListThreads", "Threads/ListFeedback", "Threads/SearchThreads", "Threads/CountThreads",
        "Sources/DescribeScoringModel", "Admin/ProviderStatus", "Admin/QueueDepth",
    ]

    /// The role `service/method` (e.g. `Analyses/Submit`, without the package) needs.
    package static func requiredRole(_ method: String) -> StorageV1.Role {
        if viewerMethods.contains(method) { return .viewer }
        if analystMethods.contains(method) { return .analyst }
        return .admin
    }

    package static func allows(_ role: StorageV1.Role, _ method: String) -> Bool {
        rank(role) >= rank(requiredRole(method))
    }

    package static func rank(_ role: StorageV1.Role) -> Int {
        switch role {
        case .viewer: 1
        case .analyst: 2
        case .admin: 3
        default: 0
        }
    }

    package static func name(_ role: StorageV1.Role) -> String {
        switch role {
        case .viewer: "viewer"
        case .analyst: "analyst"
        case .admin: "admin"
        default: "none"
        }
    }
}
