/// The words of the Model Context Protocol that Argus reads and writes, each spelt once:
/// method names, protocol revisions, and the `_meta` keys where a 2026-07-28 request
/// carries what a handshake used to.
public enum MCP {
    /// JSON-RPC method names, requests and notifications alike.
    public enum Method {
        public static let initialize = "initialize"
        public static let ping = "ping"
        public static let serverDiscover = "server/discover"
        public static let toolsList = "tools/list"
        public static let toolsCall = "tools/call"
        public static let resourcesList = "resources/list"
        public static let resourceTemplatesList = "resources/templates/list"
        public static let resourcesRead = "resources/read"
        public static let resourcesSubscribe = "resources/subscribe"
        public static let resourcesUnsubscribe = "resources/unsubscribe"
        public static let promptsList = "prompts/list"
        public static let promptsGet = "prompts/get"
        public static let complete = "completion/complete"
        public static let setLoggingLevel = "logging/setLevel"
        /// 2026-07-28: a stream of notifications, open for as long as the client listens.
        public static let subscriptionsListen = "subscriptions/listen"

        // Server to client (legacy era).
        public static let rootsList = "roots/list"
        public static let createMessage = "sampling/createMessage"
        public static let elicit = "elicitation/create"

        // Notifications.
        public static let initialized = "notifications/initialized"
        public static let progress = "notifications/progress"
        public static let cancelled = "notifications/cancelled"
        public static let logMessage = "notifications/message"
        public static let resourceUpdated = "notifications/resources/updated"
        public static let toolListChanged = "notifications/tools/list_changed"
        public static let subscriptionAcknowledged = "notifications/subscriptions/acknowledged"

        /// What Argus replays: requests that ask the server for something and mean the same
        /// outside the session that made them. In the order they are listed to users.
        public static let replayable = [toolsCall, resourcesRead, promptsGet]
    }

    /// Protocol revisions.
    public enum Version {
        /// Revisions agreed on by an `initialize` handshake, newest first.
        public static let handshake = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
        /// The newest revision with a handshake: what a client of Argus's own offers.
        public static let latestHandshake = handshake[0]
        /// The stateless revision: no handshake; version and capabilities travel in each request's `_meta`.
        public static let stateless = "2026-07-28"
        /// Revisions without a handshake.
        public static let statelessRevisions: Set<String> = [stateless]
    }

    /// Keys of `_meta` objects.
    public enum MetaKey {
        /// In a request's `_meta`: the token its `notifications/progress` name.
        public static let progressToken = "progressToken"
        public static let protocolVersion = "io.modelcontextprotocol/protocolVersion"
        public static let clientInfo = "io.modelcontextprotocol/clientInfo"
        public static let clientCapabilities = "io.modelcontextprotocol/clientCapabilities"
        public static let serverInfo = "io.modelcontextprotocol/serverInfo"
        public static let subscriptionID = "io.modelcontextprotocol/subscriptionId"
    }
}
