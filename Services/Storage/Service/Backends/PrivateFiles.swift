internal import Foundation

/// The SQLite database holds every report, the audit log and the API keys' hashes: only storage's own user
/// may read it. Storage creates what it writes with mode 0600 (directories 0700), and refuses to open a
/// database file that other users can read, since they would bypass the service token and every role.
package enum PrivateFiles {
    /// From now on this process creates files 0600 and directories 0700, whatever the inherited umask.
    package static func restrictNewFiles() {
        umask(0o077)
    }

    /// Creates the database's directory (0700) if missing, and checks the database and its WAL/SHM files.
    /// `allowShared`: start anyway (the caller logs a warning with the returned problems).
    package static func prepare(database path: String, allowShared: Bool) throws -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let problems = [path, path + "-wal", path + "-shm"].compactMap(problem)
        if !problems.isEmpty, !allowShared {
            throw StorageFileError(
                message: problems.joined(separator: "; ")
                    + ". Other users could read every report and key hash: run `chmod 600 \(path)*`, or set storage.allow_shared_files=true to start anyway")
        }
        return problems
    }

    /// "data/storage.sqlite can be read by other users (mode 0644)", or nil for a private (or absent) file.
    static func problem(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        let mode = status.st_mode & 0o777
        guard mode & 0o077 != 0 else { return nil }
        return "\(path) can be read by other users (mode \(String(mode, radix: 8).leftPadded(to: 4)))"
    }
}

/// The database's files are not private: storage does not start.
package struct StorageFileError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
