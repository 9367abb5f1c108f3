import ArgusCore
import ArgusSystem

/// A list of calls written by hand, for `argus record --scenario`: a server driven with no client
/// and no LLM, and recorded as a run (a suite from scratch, in CI). JSON, either the list itself or
/// an object with the list and how the client introduces itself:
///
///     {"protocol_version": "2025-11-25", "client": {"name": "ci", "version": "1"},
///      "client_answers": {"roots/list": {"roots": [{"uri": "file:///work"}]}},
///      "calls": [{"tool": "get_weather", "arguments": {"city": "Oslo"}},
///                {"method": "resources/read", "params": {"uri": "file:///README.md"}},
///                {"tool": "get_weather", "arguments": {"city": "Oslo"}, "repeat": 3}]}
///
/// `protocol_version` 2026-07-28 drives the server statelessly (no initialize, `_meta` on each request).
public struct Scenario: Sendable {
    public var handshake: Handshake
    public var calls: [ReplayCall]

    public static let defaultVersion = MCP.Version.latestHandshake

    public static func parse(_ value: JSONValue, path: String) throws(ReplayError) -> Scenario {
        func invalid(_ text: String) -> ReplayError { .invalidScenario("\(path): \(text)") }
        let list: [JSONValue]
        var settings = JSONObject()
        switch value {
        case .array(let items):
            list = items
        case .object(let object):
            guard let items = object["calls"]?.arrayValue else { throw invalid("\"calls\" must be a list of calls") }
            list = items
            settings = object
        default:
            throw invalid("a scenario is a list of calls, or an object with \"calls\"")
        }
        let known: Set<String> = ["argus_scenario", "protocol_version", "client", "capabilities", "client_answers", "calls"]
        if let unknown = settings.keys.first(where: { !known.contains($0) }) {
            throw invalid("unknown key \"\(unknown)\" (a scenario has \(known.sorted().joined(separator: ", ")))")
        }
        guard settings["protocol_version"].map({ $0.stringValue != nil }) ?? true else {
            throw invalid("protocol_version must be a string")
        }
        let version = settings["protocol_version"]?.stringValue ?? defaultVersion
        let client = settings["client"] ?? ["name": "argus-record", "version": .string(argusVersion)]
        guard client["name"]?.stringValue != nil else { throw invalid("client must be {\"name\": …, \"version\": …}") }
        var answers: [String: JSONValue] = [:]
        if let given = settings["client_answers"] {
            guard let object = given.objectValue else { throw invalid("client_answers must map a method to its result") }
            for member in object.members { answers[member.key] = member.value }
        }
        let stateless = MCP.Version.statelessRevisions.contains(version)
        let handshake = Handshake(
            stateless: stateless, protocolVersion: version,
            initializeParams: stateless
                ? nil
                : [
                    "protocolVersion": .string(version),
                    "capabilities": settings["capabilities"] ?? [:],
                    "clientInfo": client,
                ],
            clientAnswers: answers)
        var calls: [ReplayCall] = []
        for (i, item) in list.enumerated() {
            guard case .object(let call) = item else { throw invalid("calls[\(i)] must be an object") }
            let allowed: Set<String> = ["tool", "arguments", "method", "params", "repeat"]
            if let unknown = call.keys.first(where: { !allowed.contains($0) }) {
                throw invalid("calls[\(i)]: unknown key \"\(unknown)\" (a call has tool and arguments, or method and params, and repeat)")
            }
            let method: String, params: JSONValue, tool: String?
            if let name = call["tool"]?.stringValue {
                guard call["method"] == nil || call["method"]?.stringValue == MCP.Method.toolsCall else {
                    throw invalid("calls[\(i)] has both a tool and a method")
                }
                let arguments = call["arguments"] ?? [:]
                guard arguments.objectValue != nil else { throw invalid("calls[\(i)].arguments must be an object") }
                (method, tool, params) = (MCP.Method.toolsCall, name, ["name": .string(name), "arguments": arguments])
            } else if let name = call["method"]?.stringValue {
                guard call["arguments"] == nil else { throw invalid("calls[\(i)]: arguments go with a tool; a method takes params") }
                (method, tool, params) = (name, nil, call["params"] ?? [:])
                guard params.objectValue != nil else { throw invalid("calls[\(i)].params must be an object") }
            } else {
                throw invalid("calls[\(i)] needs a tool (with arguments) or a method (with params)")
            }
            let times = call["repeat"]?.intValue ?? 1
            guard times >= 1, call["repeat"].map({ $0.intValue != nil }) ?? true else {
                throw invalid("calls[\(i)].repeat must be a positive integer")
            }
            for _ in 0..<times {
                calls.append(
                    ReplayCall(
                        callID: nil, method: method, tool: tool, params: params, sealed: nil, expected: nil,
                        expectedIsError: false, latencyMicros: nil, startedAt: SystemClock.wallMicros(),
                        inputSchema: nil, annotations: nil))
            }
        }
        if calls.isEmpty { throw invalid("it has no calls") }
        return Scenario(handshake: handshake, calls: calls)
    }
}
