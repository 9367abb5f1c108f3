// The dashboard's HTML shell. `{{token}}` and `{{version}}` are filled in when served.
enum UIPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="argus-token" content="{{token}}">
<meta name="argus-version" content="{{version}}">
<title>Argus</title>
<link rel="icon" href="/favicon.svg">
<link rel="stylesheet" href="/app.css?v={{version}}">
</head>
<body>
<header class="top">
  <a class="brand" href="#/runs"><svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="10"/><circle cx="12" cy="12" r="4"/></svg>Argus</a>
  <nav>
    <a href="#/runs" data-nav="runs">Runs</a>
    <a href="#/calls" data-nav="calls">Calls</a>
    <a href="#/stats" data-nav="stats">Stats</a>
    <a href="#/scripts" data-nav="scripts">Scripts</a>
  </nav>
  <span id="live" class="live connecting" title="Connecting to the live feed">connecting</span>
</header>
<main id="view" aria-live="polite"></main>
<footer class="foot">argus {{version}} · <a href="/api/health">health</a> · <a href="/metrics">metrics</a></footer>
<script src="/app.js?v={{version}}"></script>
</body>
</html>
"""#

    static let favicon = #"""
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><circle cx="12" cy="12" r="10" fill="#1d4ed8"/><circle cx="12" cy="12" r="4" fill="#fff"/></svg>
"""#
}
