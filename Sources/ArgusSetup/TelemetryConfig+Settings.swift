import ArgusCore
import ArgusTelemetry

/// Resolving what export does from the three places a user can say it.
extension TelemetryConfig {
    /// Flags of `argus wrap` (nil: not given).
    public struct Overrides: Sendable {
        public var endpoint: String?
        public var wireProtocol: String?
        public var headers: [String] = []
        public var content: Bool?
        public var inject: Bool?
        public var disabled = false

        public init() {}
    }

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    /// The settings: flags first, then the standard `OTEL_*` variables, then this file (the first
    /// one set wins); nil when export is off (no endpoint anywhere, or something turns it off).
    /// Throws for values that cannot work (a bad URL, an unsupported protocol): the caller
    /// reports it and runs without export.
    public func settings(
        environment env: [String: String], overrides: Overrides = Overrides(),
        dashboardBase: String? = nil
    ) throws(Problem) -> TelemetrySettings? {
        let config = self
        if overrides.disabled || config.enabled == false { return nil }
        if env["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return nil }
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingSpaces, !v.isEmpty else { return nil }
            return v
        }
        var settings = TelemetrySettings()

        let base = overrides.endpoint ?? value("OTEL_EXPORTER_OTLP_ENDPOINT") ?? config.endpoint
        let commonProtocol = overrides.wireProtocol ?? value("OTEL_EXPORTER_OTLP_PROTOCOL") ?? config.protocol
        var commonHeaders = try Self.headers(value("OTEL_EXPORTER_OTLP_HEADERS"), from: "OTEL_EXPORTER_OTLP_HEADERS")
        for (name, text) in config.headers.sorted(by: { $0.key < $1.key })
        where !commonHeaders.contains(where: { $0.0.lowercased() == name.lowercased() }) {
            commonHeaders.append((name, try Self.interpolate(text, env: env, field: "telemetry.otlp.headers.\(name)")))
        }
        for flag in overrides.headers {
            let pair = try Self.headers(flag, from: "--otlp-header")
            commonHeaders.removeAll { header in pair.contains { $0.0.lowercased() == header.0.lowercased() } }
            commonHeaders += pair
        }

        func signal(_ name: String, path: String, configURL: String?) throws(Problem) -> TelemetrySettings.Signal? {
            let upper = name.uppercased()
            if value("OTEL_\(upper)_EXPORTER")?.lowercased() == "none" { return nil }
            let url: String
            if overrides.endpoint == nil, let specific = value("OTEL_EXPORTER_OTLP_\(upper)_ENDPOINT") ?? configURL {
                url = specific
            } else if let base {
                url = base.hasSuffix("/") ? base + path : base + "/" + path
            } else {
                return nil
            }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw Problem(description: "the OTLP \(name) endpoint must be an http:// or https:// URL, not \(url)")
            }
            let protocolName = overrides.wireProtocol ?? value("OTEL_EXPORTER_OTLP_\(upper)_PROTOCOL") ?? commonProtocol ?? "http/protobuf"
            guard let wire = TelemetrySettings.WireProtocol(rawValue: protocolName) else {
                throw Problem(
                    description: "OTLP protocol \(protocolName) is not supported (use http/protobuf or http/json"
                        + (protocolName == "grpc" ? "; most backends and collectors take OTLP/HTTP on port 4318)" : ")"))
            }
            var own = try Self.headers(value("OTEL_EXPORTER_OTLP_\(upper)_HEADERS"), from: "OTEL_EXPORTER_OTLP_\(upper)_HEADERS")
            own += commonHeaders.filter { header in !own.contains { $0.0.lowercased() == header.0.lowercased() } }
            return TelemetrySettings.Signal(url: url, wireProtocol: wire, headers: own.map { "\($0.0): \($0.1)" })
        }
        settings.traces = try signal("traces", path: "v1/traces", configURL: config.tracesEndpoint)
        settings.metrics = try signal("metrics", path: "v1/metrics", configURL: config.metricsEndpoint)
        if settings.traces == nil && settings.metrics == nil { return nil }

        if let name = value("OTEL_SERVICE_NAME") ?? config.serviceName { settings.serviceName = name }
        var attributes = config.resourceAttributes.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        for (key, text) in try Self.headers(value("OTEL_RESOURCE_ATTRIBUTES"), from: "OTEL_RESOURCE_ATTRIBUTES") {
            attributes.removeAll { $0.0 == key }
            attributes.append((key, text))
        }
        if let named = attributes.first(where: { $0.0 == "service.name" }), value("OTEL_SERVICE_NAME") == nil, config.serviceName == nil {
            settings.serviceName = named.1
        }
        settings.resourceAttributes = attributes.filter { $0.0 != "service.name" }

        if let name = value("OTEL_TRACES_SAMPLER") ?? config.sampler {
            guard let sampler = TelemetrySettings.Sampler(rawValue: name) else {
                throw Problem(
                    description: "OTEL_TRACES_SAMPLER=\(name) is not supported (use one of: "
                        + TelemetryConfig.samplers.joined(separator: ", ") + ")")
            }
            settings.sampler = sampler
        }
        if let text = value("OTEL_TRACES_SAMPLER_ARG") {
            guard let ratio = Double(text), ratio >= 0, ratio <= 1 else {
                throw Problem(description: "OTEL_TRACES_SAMPLER_ARG=\(text) is not a ratio between 0 and 1")
            }
            settings.samplerRatio = ratio
        } else if let ratio = config.samplerArg {
            settings.samplerRatio = ratio
        }
        settings.exportContent = overrides.content ?? config.content ?? false
        settings.injectTraceContext = overrides.inject ?? config.injectTraceContext ?? false
        settings.dashboardURL = config.dashboardURL ?? dashboardBase.map { $0 + "/#/calls/{call_id}" }
        if let size = config.queueSize ?? Self.milliseconds(value("OTEL_BSP_MAX_QUEUE_SIZE")).map({ Int($0) }) {
            settings.queueSize = max(1, size)
        }
        if let size = Self.milliseconds(value("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) { settings.maxBatchSize = max(1, Int(size)) }
        settings.maxBatchSize = min(settings.maxBatchSize, settings.queueSize)
        if let ms = Self.milliseconds(value("OTEL_BSP_SCHEDULE_DELAY")) { settings.scheduleDelaySeconds = ms / 1000 }
        if let ms = Self.milliseconds(value("OTEL_METRIC_EXPORT_INTERVAL")) {
            settings.metricsIntervalSeconds = max(0.01, ms / 1000)
        } else if let seconds = config.metricsIntervalSeconds {
            settings.metricsIntervalSeconds = seconds
        }
        if let ms = Self.milliseconds(value("OTEL_EXPORTER_OTLP_TIMEOUT")) {
            settings.timeoutSeconds = max(0.01, ms / 1000)
        } else if let seconds = config.timeoutSeconds {
            settings.timeoutSeconds = seconds
        }
        if let compression = value("OTEL_EXPORTER_OTLP_COMPRESSION"), compression != "none" {
            settings.warnings.append("OTEL_EXPORTER_OTLP_COMPRESSION=\(compression) is not supported; exports are sent uncompressed")
        }
        return settings
    }

    private static func milliseconds(_ text: String?) -> Double? {
        guard let text, let number = Double(text), number >= 0 else { return nil }
        return number
    }

    /// `key1=value1,key2=value2` with percent-encoded values (W3C Baggage's format, which
    /// OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES use).
    static func headers(_ text: String?, from source: String) throws(Problem) -> [(String, String)] {
        guard let text else { return [] }
        var result: [(String, String)] = []
        for item in text.split(separator: ",") {
            let entry = item.trimmingSpaces
            if entry.isEmpty { continue }
            guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else {
                throw Problem(description: "\(source): expected name=value pairs separated by commas, found \"\(entry)\"")
            }
            let name = String(entry[..<eq]).trimmingSpaces
            let raw = String(entry[entry.index(after: eq)...]).trimmingSpaces
            guard let decoded = percentDecoded(raw) else {
                throw Problem(description: "\(source): the value of \(name) has a malformed %-escape")
            }
            guard !name.contains(where: { $0 == ":" || $0 == "\r" || $0 == "\n" }), !decoded.contains(where: { $0 == "\r" || $0 == "\n" })
            else {
                throw Problem(description: "\(source): \(name) is not a valid header")
            }
            result.append((name, decoded))
        }
        return result
    }

    static func percentDecoded(_ text: String) -> String? {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `${NAME}` from the environment, so API keys can stay out of the config file.
    static func interpolate(_ text: String, env: [String: String], field: String) throws(Problem) -> String {
        var result = ""
        var rest = text[...]
        while let start = rest.firstRange(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw Problem(description: "\(field): unterminated ${")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = env[name] else {
                throw Problem(description: "\(field): environment variable \(name) is not set (used as ${\(name)})")
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}
