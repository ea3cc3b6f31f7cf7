package import Contracts

package typealias MetricFamily = OpsV1.Metric

/// Reads the Prometheus text exposition format (0.0.4) that the registry writes back into typed metrics,
/// for `Ops.GetMetrics`. swift-prometheus exposes its collectors only as text, so reading that text is the
/// one way to give the typed snapshot exactly the values `/metrics` shows.
package enum PrometheusText {
    package static func parse(_ text: String) -> [MetricFamily] {
        var families: [MetricFamily] = []
        var index: [String: Int] = [:]
        // Histogram series by family and label set (without `le`).
        var histograms: [String: [[OpsV1.Label]: OpsV1.Histogram]] = [:]
        var histogramOrder: [String: [[OpsV1.Label]]] = [:]

        func family(_ name: String) -> Int {
            if let position = index[name] { return position }
            families.append(MetricFamily.with { $0.name = name })
            index[name] = families.count - 1
            return families.count - 1
        }

        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                families[family(String(name))].help = unescapeHelp(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2 else { continue }
                let kind: OpsV1.MetricKind =
                    switch parts[1] {
                    case "counter": .counter
                    case "gauge": .gauge
                    case "histogram": .histogram
                    default: .unspecified
                    }
                families[family(String(parts[0]))].kind = kind
            } else if !line.hasPrefix("#"), let sample = Sample(line) {
                if let base = histogramBase(sample.name, index: index, families: families) {
                    var labels = sample.labels
                    let bound = labels.first { $0.name == "le" }.map(\.value)
                    labels.removeAll { $0.name == "le" }
                    if histograms[base.name, default: [:]][labels] == nil {
                        histogramOrder[base.name, default: []].append(labels)
                    }
                    var histogram = histograms[base.name, default: [:]][labels] ?? OpsV1.Histogram()
                    switch base.suffix {
                    case "_bucket":
                        let upper = bound == "+Inf" ? Double.greatestFiniteMagnitude : Double(bound ?? "") ?? .nan
                        histogram.buckets.append(OpsV1.Bucket.with {
                            $0.upperBound = upper
                            $0.cumulativeCount = UInt64(sample.value)
                        })
                    case "_sum": histogram.sum = sample.value
                    default: histogram.count = UInt64(sample.value)
                    }
                    histograms[base.name, default: [:]][labels] = histogram
                } else {
                    let position = family(sample.name)
                    let value: OpsV1.Sample.Value = families[position].kind == .counter ? .counter(sample.value) : .gauge(sample.value)
                    families[position].samples.append(OpsV1.Sample.with {
                        $0.labels = sample.labels
                        $0.value = value
                    })
                }
            }
        }
        for (name, order) in histogramOrder {
            guard let position = index[name], let series = histograms[name] else { continue }
            families[position].samples = order.compactMap { labels in
                series[labels].map { histogram in OpsV1.Sample.with { $0.labels = labels; $0.value = .histogram(histogram) } }
            }
        }
        return families
    }

    /// For `x_bucket`, `x_sum` and `x_count` of a declared histogram `x`: its name and the suffix.
    private static func histogramBase(_ name: String, index: [String: Int], families: [MetricFamily]) -> (name: String, suffix: String)? {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let position = index[base], families[position].kind == .histogram { return (base, suffix) }
        }
        return nil
    }

    private static func unescapeHelp(_ text: Substring) -> String {
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                out.append(character == "n" ? "\n" : character)
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// One sample line: `name{a="b",c="d"} 1.5` (an optional timestamp after the value is ignored).
    private struct Sample {
        var name: String
        var labels: [OpsV1.Label] = []
        var value: Double

        init?(_ line: Substring) {
            var rest = line[...]
            let name = rest.prefix { $0 != "{" && $0 != " " }
            guard !name.isEmpty else { return nil }
            self.name = String(name)
            rest = rest.dropFirst(name.count)
            var labels: [OpsV1.Label] = []
            if rest.first == "{" {
                rest = rest.dropFirst()
                while let first = rest.first, first != "}" {
                    if first == "," || first == " " {
                        rest = rest.dropFirst()
                        continue
                    }
                    let labelName = rest.prefix { $0 != "=" }
                    rest = rest.dropFirst(labelName.count)
                    guard rest.hasPrefix("=\"") else { return nil }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let character = rest.first, character != "\"" {
                        rest = rest.dropFirst()
                        if character == "\\", let escaped = rest.first {
                            rest = rest.dropFirst()
                            value.append(escaped == "n" ? "\n" : escaped)
                        } else {
                            value.append(character)
                        }
                    }
                    guard rest.first == "\"" else { return nil }
                    rest = rest.dropFirst()
                    labels.append(OpsV1.Label.with { $0.name = String(labelName); $0.value = value })
                }
                guard rest.first == "}" else { return nil }
                rest = rest.dropFirst()
            }
            let valueText = rest.split(separator: " ").first.map(String.init) ?? ""
            guard let value = Self.number(valueText) else { return nil }
            self.labels = labels
            self.value = value
        }

        private static func number(_ text: String) -> Double? {
            switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            case "NaN": .nan
            default: Double(text)
            }
        }
    }
}
