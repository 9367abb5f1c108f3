/// What a metric series needs of a sample (a part of `script_outputs`).
struct MetricSample: FetchableRecord {
    enum Columns: String, TableColumn {
        case script, name
        case metricKind = "metric_kind"
        case labels, value
        case timestamp = "ts"
    }

    static let blank = MetricSample()
    static let selection = Columns.allCases.map { "script_outputs.\($0.rawValue)" }.joined(separator: ", ")

    var script = ""
    var name: String?
    var metricKind: String?
    var labels: String?
    var value: Double?
    var timestamp: Int64 = 0

    mutating func decode(_ column: Columns, from value: some ColumnValue) throws {
        switch column {
        case .script: script = try value.decode()
        case .name: name = try value.decode()
        case .metricKind: metricKind = try value.decode()
        case .labels: labels = try value.decode()
        case .value: self.value = try value.decode()
        case .timestamp: timestamp = try value.decode()
        }
    }
}
