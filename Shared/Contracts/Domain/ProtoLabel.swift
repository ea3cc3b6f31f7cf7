/// Labels for metrics, stats and exports from proto enum names: `SOURCE_DADATA` → `dadata`.
package enum ProtoLabel {
    package static func of(_ protoName: String, prefix: String) -> String {
        String(protoName.dropFirst(protoName.hasPrefix(prefix) ? prefix.count : 0)).lowercased()
    }
}
