import ArgusCore
import ArgusProxy
import ArgusReplay
import AsyncHTTPClient

/// Replay against a URL: what ArgusReplay is given (by `argus`, for `argus replay`, `argus test`,
/// `argus record --url` and the dashboard) to reach a server recorded over Streamable HTTP. The
/// headers come from the user (`--header`, a named server's `headers`), never from the recording.
public struct HTTPReplayConnector: RemoteReplayConnector {
    public init() {}

    public func target(url: String, headers: [ServerLaunch.Header], environment: [String: String]) throws(ReplayError)
        -> any RemoteReplayTarget
    {
        do throws(RemoteError) {
            let address = try RemoteURL(url)
            let templates = headers.map { HeaderTemplate(name: $0.name, value: $0.value) }
            var expanded: [(name: String, value: String)] = []
            for template in templates { expanded.append((template.name, try template.expanded(environment))) }
            let configuration = try RemoteWrapSession.clientConfiguration(for: address, environment: environment)
            return HTTPReplayTarget(
                address: address, headers: expanded, configuration: configuration,
                launch: RemoteRecordingSetup.launch(address, headers: templates))
        } catch {
            throw .remote(url: RemoteURL(unchecked: url).display, reason: error.description)
        }
    }
}

/// A remote server's address with its headers filled in.
struct HTTPReplayTarget: RemoteReplayTarget {
    let address: RemoteURL
    let headers: [(name: String, value: String)]
    let configuration: HTTPClient.Configuration
    let launch: LaunchSpec

    func redaction(_ policy: RedactionPolicy) -> RedactionPolicy {
        RemoteRecordingSetup.adding(headers, to: policy)
    }

    func connect(pipeline: RecordingPipeline, answer: @escaping @Sendable (JSONValue) -> JSONValue) throws(ReplayError)
        -> any ReplayConnection
    {
        pipeline.start(serverPID: nil)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        return RemoteReplayConnection(
            client: client, address: address, headers: headers.map { ($0.name, $0.value) }, pipeline: pipeline,
            answer: answer)
    }
}
