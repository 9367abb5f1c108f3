// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "argus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "argus", targets: ["argus"]),
        .executable(name: "argus-test-server", targets: ["argus-test-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        // HTTP and TLS to remote MCP servers (Streamable HTTP); only the ArgusRemote target uses it.
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        // PostgreSQL's wire protocol (SCRAM, TLS, extended queries): only ArgusPostgres loads it.
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        // OTLP's wire format: the runtime only; the message types are generated once and committed.
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    ],
    targets: [
        // System libraries and the small C shim for process control.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CArgusSystem", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CLua", path: "Sources/CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        // The sandboxed Lua runtime: every Lua API call happens here, inside lua_pcall.
        .target(name: "CArgusLua", dependencies: ["CLua"]),

        // Domain: the vocabulary that crosses modules, JSON, framing, classification,
        // correlation, redaction, diff. Values and decisions: no I/O, no threads, no clocks.
        .target(name: "ArgusCore"),
        // What touches the operating system for everyone: threads, locks, queues, clocks,
        // private files, loopback sockets.
        .target(name: "ArgusSystem", dependencies: ["ArgusCore", "CArgusSystem"]),
        // SQLite schema, batched writer, queries.
        .target(name: "ArgusStore", dependencies: ["ArgusCore", "ArgusSystem", "CSQLite"]),
        // PostgreSQL as a shared store beside the SQLite default (PostgresNIO); used only when
        // `--db postgres://…` asks for it, so a wrap on SQLite never starts an event loop.
        .target(name: "ArgusPostgres", dependencies: [
            "ArgusCore", "ArgusSystem", "ArgusStore", .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Lua 5.4 user scripts: hooks on every call, limits, outputs, hot reload.
        .target(name: "ArgusScripting", dependencies: ["ArgusCore", "ArgusSystem", "CArgusLua", "CArgusSystem"]),
        // Child process, byte relay, recording pipeline.
        .target(name: "ArgusProxy", dependencies: ["ArgusCore", "ArgusSystem", "ArgusStore", "CArgusSystem"]),
        // Replay without an LLM: sealed originals, handshake, diff, regression suites.
        .target(name: "ArgusReplay", dependencies: [
            "ArgusCore", "ArgusSystem", "ArgusStore", "ArgusProxy", "ArgusScripting", "CArgusSystem",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // The dashboard: a small HTTP/1.1 server, REST API, SSE live feed, embedded web UI.
        // The web UI's files (UI/Resources) are compiled into the binary: one file to install, nothing to lose.
        .target(name: "ArgusDashboard", dependencies: [
            "ArgusCore", "ArgusSystem", "ArgusStore", "ArgusReplay", .product(name: "Crypto", package: "swift-crypto"),
        ], resources: [.embedInCode("UI/Resources")]),

        // OpenTelemetry export (OTLP over HTTP): spans and metrics from recorded calls. Only the
        // CLI links it; nothing of it runs unless an OTLP endpoint is configured.
        .target(name: "ArgusTelemetry", dependencies: [
            "ArgusCore", "ArgusSystem", "ArgusStore", "CArgusSystem", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),

        // Remote MCP servers over Streamable HTTP: `argus wrap --url`, `argus proxy`, and replay against a URL
        // (the connector ArgusReplay is given). The only target that loads SwiftNIO and AsyncHTTPClient
        // (see Docs/ARCHITECTURE.md, "Remote servers" and "Replay").
        .target(name: "ArgusRemote", dependencies: [
            "ArgusCore", "ArgusSystem", "ArgusStore", "ArgusProxy", "ArgusReplay", "CArgusSystem",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),

        // The installation: argus.config.json, client configuration, the starting config file, diagnose.
        .target(name: "ArgusSetup", dependencies: ["ArgusCore", "ArgusSystem", "ArgusStore", "ArgusScripting", "ArgusProxy", "ArgusTelemetry"]),

        .executableTarget(
            name: "argus",
            dependencies: [
                "ArgusCore", "ArgusSystem", "ArgusStore", "ArgusProxy", "ArgusScripting", "ArgusReplay", "ArgusDashboard",
                "ArgusSetup", "ArgusRemote", "ArgusPostgres", "ArgusTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "argus-test-server", dependencies: ["ArgusCore", "ArgusSystem"]),
        // Benchmarks (Scripts/bench/run.sh); compares Argus with baselines measured in the same run.
        .executableTarget(name: "argus-bench", dependencies: ["ArgusCore", "ArgusSystem", "ArgusStore", "ArgusProxy", "ArgusScripting", "ArgusTelemetry",
                                                              "ArgusPostgres", "CLua", "CSQLite",
                                                              .product(name: "PostgresNIO", package: "postgres-nio"),
                                                              // proxy-load: an HTTP MCP upstream and a load generator on SwiftNIO.
                                                              .product(name: "NIOCore", package: "swift-nio"),
                                                              .product(name: "NIOHTTP1", package: "swift-nio"),
                                                              .product(name: "NIOPosix", package: "swift-nio")],
                          path: "Scripts/bench/ArgusBench"),

        .testTarget(name: "ArgusCoreTests", dependencies: ["ArgusCore"]),
        .testTarget(name: "ArgusStoreTests", dependencies: ["ArgusCore", "ArgusStore", "ArgusPostgres"]),
        .testTarget(name: "ArgusPostgresTests", dependencies: ["ArgusCore", "ArgusSystem", "ArgusStore", "ArgusPostgres"]),
        .testTarget(name: "ArgusScriptingTests", dependencies: ["ArgusCore", "ArgusScripting", "CLua"]),
        .testTarget(name: "ArgusIntegrationTests", dependencies: ["ArgusCore", "ArgusSystem", "ArgusStore", "ArgusPostgres"]),
        .testTarget(name: "ArgusReplayTests", dependencies: ["ArgusCore", "ArgusStore", "ArgusReplay"]),
        .testTarget(name: "ArgusDashboardTests", dependencies: ["ArgusCore", "ArgusSystem", "ArgusStore", "ArgusDashboard"]),
        .testTarget(name: "ArgusSetupTests", dependencies: ["ArgusCore", "ArgusSystem", "ArgusTelemetry", "ArgusSetup"]),
        .testTarget(name: "ArgusRemoteTests", dependencies: ["ArgusCore", "ArgusRemote"]),
        .testTarget(name: "ArgusTelemetryTests", dependencies: ["ArgusCore", "ArgusSystem", "ArgusStore", "ArgusTelemetry"]),
    ]
)
