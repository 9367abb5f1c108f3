/// The web UI, compiled into the binary: no files to install, no bundle to lose.
/// The sources are plain HTML, CSS and JavaScript in the sibling files.
enum Assets {
    /// `token` nil: the page does not carry it (a non-loopback dashboard asks the user for it).
    static func response(for path: String, token: String?, version: String) -> HTTPResponse? {
        switch path {
        case "/", "/index.html":
            let page = UIPage.html.replacing("{{token}}", with: token ?? "").replacing("{{version}}", with: version)
            return .text(page, contentType: "text/html; charset=utf-8")
        case "/app.js":
            return cached(.text(UIScript.javascript, contentType: "text/javascript; charset=utf-8"))
        case "/app.css":
            return cached(.text(UIStyle.css, contentType: "text/css; charset=utf-8"))
        case "/favicon.svg":
            return cached(.text(UIPage.favicon, contentType: "image/svg+xml"))
        default:
            return nil
        }
    }

    /// Assets change only with the binary; the page itself is never cached (it carries the token).
    static func cached(_ response: HTTPResponse) -> HTTPResponse {
        var r = response
        r.headers.append(("cache-control", "max-age=300"))
        return r
    }
}
