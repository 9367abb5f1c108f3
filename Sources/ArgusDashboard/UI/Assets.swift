/// The web UI: the plain HTML, CSS and JavaScript files in `UI/Resources`, compiled into the
/// binary by SwiftPM (`.embedInCode` in Package.swift, as the `PackageResources` byte arrays),
/// so the binary is the whole install. `swift build` picks up edits to them. A new file needs a
/// line in `files` and, for a script, a `<script>` tag in index.html (UIFilesTests checks both).
struct Assets: Sendable {
    /// Nil: the page does not carry the token (a non-loopback dashboard asks the user for it).
    let token: String?
    let version: String

    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    static let javascript = "text/javascript; charset=utf-8"

    /// By the path the page asks for. The scripts are classic scripts, loaded in index.html's order.
    static let files: [String: File] = [
        "/app.css": File(bytes: PackageResources.app_css, contentType: "text/css; charset=utf-8"),
        "/favicon.svg": File(bytes: PackageResources.favicon_svg, contentType: "image/svg+xml"),
        "/format.js": File(bytes: PackageResources.format_js, contentType: javascript),
        "/json.js": File(bytes: PackageResources.json_js, contentType: javascript),
        "/dom.js": File(bytes: PackageResources.dom_js, contentType: javascript),
        "/api.js": File(bytes: PackageResources.api_js, contentType: javascript),
        "/json-view.js": File(bytes: PackageResources.json_view_js, contentType: javascript),
        "/charts.js": File(bytes: PackageResources.charts_js, contentType: javascript),
        "/runs.js": File(bytes: PackageResources.runs_js, contentType: javascript),
        "/calls.js": File(bytes: PackageResources.calls_js, contentType: javascript),
        "/verdicts.js": File(bytes: PackageResources.verdicts_js, contentType: javascript),
        "/replay.js": File(bytes: PackageResources.replay_js, contentType: javascript),
        "/stats.js": File(bytes: PackageResources.stats_js, contentType: javascript),
        "/scripts.js": File(bytes: PackageResources.scripts_js, contentType: javascript),
        "/app.js": File(bytes: PackageResources.app_js, contentType: javascript),
    ]

    func response(for path: String) -> HTTPResponse? {
        if path == "/" || path == "/index.html" {
            let page = String(decoding: PackageResources.index_html, as: UTF8.self)
                .replacing("{{token}}", with: token ?? "").replacing("{{version}}", with: version)
            return .text(page, contentType: "text/html; charset=utf-8")
        }
        guard let file = Self.files[path] else { return nil }
        // The files change only with the binary, and the page asks for them with `?v=VERSION`. The
        // page itself is never cached: it carries the token.
        return HTTPResponse(
            status: 200, headers: [("content-type", file.contentType), ("cache-control", "max-age=300")],
            body: .bytes(file.bytes))
    }
}
