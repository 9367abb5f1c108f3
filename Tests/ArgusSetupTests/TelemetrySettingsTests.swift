import ArgusCore
import ArgusTelemetry
import Testing
@testable import ArgusSetup

@Suite struct TelemetrySettingsTests {
    func resolve(
        _ env: [String: String], config: TelemetryConfig = TelemetryConfig(),
        overrides: TelemetryConfig.Overrides = .init()
    ) throws -> TelemetrySettings? {
        try config.settings(environment: env, overrides: overrides)
    }

    @Test func nothingSetMeansNoExport() throws {
        #expect(try resolve([:]) == nil)
        #expect(try resolve(["OTEL_SERVICE_NAME": "x", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"]) == nil)
    }

    @Test func theStandardVariablesAloneSwitchItOn() throws {
        let s = try #require(
            try resolve([
                "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otlp.example.com:4318/",
                "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=abc%3D%3D, team = tools",
                "OTEL_SERVICE_NAME": "fleet",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,service.name=ignored",
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1",
            ]))
        #expect(s.traces?.url == "https://otlp.example.com:4318/v1/traces")
        #expect(s.metrics?.url == "https://otlp.example.com:4318/v1/metrics")
        #expect(s.traces?.wireProtocol == .protobuf)
        #expect(s.traces?.headers == ["x-api-key: abc==", "team: tools"])
        #expect(s.serviceName == "fleet")
        #expect(s.resourceAttributes.map { "\($0.0)=\($0.1)" } == ["deployment.environment=prod"])
        #expect(s.sampler == .parentBasedTraceIDRatio && s.samplerRatio == 0.1)
        #expect(!s.exportContent && !s.injectTraceContext)
    }

    @Test func perSignalVariablesWinAndAreUsedAsTheyAre() throws {
        let s = try #require(
            try resolve([
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://tempo:4318/custom/traces",
                "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/json",
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "a=traces",
                "OTEL_EXPORTER_OTLP_HEADERS": "a=common,b=common",
            ]))
        #expect(s.traces?.url == "http://tempo:4318/custom/traces")
        #expect(s.metrics?.url == "http://collector:4318/v1/metrics" && s.metrics?.wireProtocol == .json)
        #expect(s.traces?.headers == ["a: traces", "b: common"])
        let metricsOff = try #require(try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_METRICS_EXPORTER": "none"]))
        #expect(metricsOff.metrics == nil && metricsOff.traces != nil)
    }

    @Test func flagsBeatTheEnvironmentWhichBeatsTheConfig() throws {
        var config = TelemetryConfig()
        config.endpoint = "http://from-config:4318"
        config.headers = ["x-key": "${HONEYCOMB_KEY}", "a": "config"]
        config.content = true
        config.serviceName = "cfg"
        let fromConfig = try #require(try resolve(["HONEYCOMB_KEY": "k-1"], config: config))
        #expect(fromConfig.traces?.url == "http://from-config:4318/v1/traces")
        #expect(fromConfig.traces?.headers.sorted() == ["a: config", "x-key: k-1"])
        #expect(fromConfig.exportContent && fromConfig.serviceName == "cfg")
        let env = ["HONEYCOMB_KEY": "k-1", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://from-env:4318", "OTEL_EXPORTER_OTLP_HEADERS": "a=env"]
        #expect(try resolve(env, config: config)?.traces?.headers.sorted() == ["a: env", "x-key: k-1"])
        #expect(try resolve(env, config: config)?.traces?.url == "http://from-env:4318/v1/traces")
        var flags = TelemetryConfig.Overrides()
        flags.endpoint = "http://from-flag:4318"
        flags.headers = ["a=flag"]
        #expect(try resolve(env, config: config, overrides: flags)?.traces?.url == "http://from-flag:4318/v1/traces")
        #expect(try resolve(env, config: config, overrides: flags)?.traces?.headers.sorted() == ["a: flag", "x-key: k-1"])
        flags.disabled = true
        #expect(try resolve(env, config: config, overrides: flags) == nil)
        #expect(try resolve(env.merging(["OTEL_SDK_DISABLED": "true"]) { $1 }, config: config) == nil)
        config.enabled = false
        #expect(try resolve(env, config: config) == nil)
    }

    @Test func whatCannotWorkIsSaidPlainly() {
        #expect(throws: TelemetryConfig.Problem.self) {
            try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        }
        #expect(throws: TelemetryConfig.Problem.self) { try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"]) }
        #expect(throws: TelemetryConfig.Problem.self) {
            try resolve(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"])
        }
        var config = TelemetryConfig()
        config.endpoint = "http://c"
        config.headers = ["x": "${MISSING}"]
        #expect(throws: TelemetryConfig.Problem.self) { try resolve([:], config: config) }
    }

    @Test func theConfigFileIsCheckedStrictly() throws {
        let good = try Configuration.parse(
            #"{"telemetry": {"otlp": {"endpoint": "http://localhost:4318", "protocol": "http/json", "content": true, "headers": {"x": "y"}, "queue_size": 100}}}"#
        )
        #expect(good.telemetry.endpoint == "http://localhost:4318" && good.telemetry.protocol == "http/json")
        #expect(good.telemetry.queueSize == 100 && good.telemetry.headers == ["x": "y"])
        for (text, path) in [
            (#"{"telemetry": {"otlp": {"endpont": "http://x"}}}"#, "telemetry.otlp.endpont"),
            (#"{"telemetry": {"otlp": {"protocol": "grpc"}}}"#, "telemetry.otlp.protocol"),
            (#"{"telemetry": {"otlp": {"endpoint": "localhost:4318"}}}"#, "telemetry.otlp.endpoint"),
            (#"{"telemetry": {"jaeger": {}}}"#, "telemetry.jaeger"),
        ] {
            #expect(throws: Configuration.Error.self) { try Configuration.parse(text) }
            do { _ = try Configuration.parse(text) } catch { #expect(error.path == path) }
        }
    }
}
