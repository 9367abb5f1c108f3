import ArgusCore
import CArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// One OTLP/HTTP request, through libcurl (loaded on first use, like alert webhooks: a
/// process that exports nothing never loads it). TLS, proxies (`https_proxy`) and
/// redirects are libcurl's.
public enum OTLPTransport {
    enum Outcome: Equatable {
        case delivered
        /// Worth trying again later: no connection, a timeout, 429, 502, 503, 504 (OTLP/HTTP's list).
        case retryable(String)
        /// Retrying would not help (400, 401, 403, 404, 413, …): the data is dropped and counted.
        case rejected(String)
    }

    static func post(_ body: [UInt8], to signal: TelemetrySettings.Signal, timeoutSeconds: Double) -> Outcome {
        var error = [CChar](repeating: 0, count: 512)
        var response = [CChar](repeating: 0, count: 512)
        let headerStrings = signal.headers.map { strdup($0) }
        defer { for header in headerStrings { free(header) } }
        let headers: [UnsafePointer<CChar>?] = headerStrings.map { $0.map { UnsafePointer($0) } }
        let status = body.withUnsafeBytes { bytes in
            headers.withUnsafeBufferPointer { headerList in
                argus_http_post(
                    signal.url, signal.wireProtocol.contentType, bytes.baseAddress, bytes.count,
                    headerList.baseAddress, Int32(headers.count), Int(max(timeoutSeconds, 0.01) * 1000),
                    "argus/\(argusVersion)", &response, Int32(response.count), &error, Int32(error.count))
            }
        }
        if status < 0 { return .retryable(text(error)) }
        if (200..<300).contains(status) { return .delivered }
        let answer = scrub(text(response), headers: signal.headers)
        let description = "HTTP \(status)" + (answer.isEmpty ? "" : ": " + answer.shortened(to: 200))
        return [429, 502, 503, 504].contains(status) ? .retryable(description) : .rejected(description)
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A backend's error text, with any header value (an API key) it might echo removed.
    static func scrub(_ text: String, headers: [String]) -> String {
        var result = text.filter { $0 != "\n" && $0 != "\r" }
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else { continue }
            let value = header[header.index(after: colon)...].trimmingSpaces
            if value.count >= 4 { result = result.replacing(value, with: "[REDACTED]") }
        }
        return result
    }

    /// The endpoint as it may be shown: no user, password or query string.
    public static func displayURL(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        var rest = url[schemeEnd.upperBound...]
        if let query = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<query] }
        let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if let at = rest[..<hostEnd].lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return String(url[..<schemeEnd.upperBound] + rest)
    }
}
