// Talking to the dashboard: the REST API (with the token for changes) and the live feed
// (server-sent events, or polling where a browser or a proxy has none).
"use strict";

// On loopback the page carries the token. A dashboard on another address does not
// (anyone reaching it could read it): the user pastes it once per browser session.
const PAGE_TOKEN = document.querySelector('meta[name="argus-token"]').content;
function token(askAgain) {
  if (PAGE_TOKEN) return PAGE_TOKEN;
  let saved = sessionStorage.getItem("argus-token");
  if (!saved || askAgain) {
    saved = (window.prompt("This dashboard is not on loopback, so changes need its token. Paste the contents of ~/.argus/token from the machine it runs on:") || "").trim();
    if (saved) sessionStorage.setItem("argus-token", saved);
  }
  return saved || "";
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const init = { method: options.method || "GET", headers: {} };
  if (init.method !== "GET") init.headers["X-Argus-Token"] = token(false);
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!response.ok) {
    if ((response.status === 401 || response.status === 403) && !PAGE_TOKEN && init.method !== "GET") sessionStorage.removeItem("argus-token");
    const message = data && data.error ? data.error.message : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return data;
}

// ---------- live feed ----------

const liveBadge = document.getElementById("live");
window.argusDebug = { seen: {} };  // JSON-RPC id -> Date.now() when the call appeared (benchmarks read this)

const live = {
  source: null, listeners: new Set(), lastId: null, failures: 0, pollTimer: null, mode: "connecting",

  start() {
    if (!window.EventSource) return this.poll();
    this.source = new EventSource("/api/events");
    this.source.addEventListener("open", () => { this.failures = 0; this.setMode("on"); });
    this.source.addEventListener("error", () => {
      this.failures += 1;
      if (this.source.readyState === EventSource.CLOSED || this.failures >= 3) {
        this.source.close();
        this.poll();
      } else {
        this.setMode("connecting");
      }
    });
    for (const name of ["hello", "call", "run", "alert", "metrics", "scripts", "script_output", "reset"]) {
      this.source.addEventListener(name, (event) => {
        let data = null;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        // Event ids number database changes; the polling fallback pages by call id.
        if (name === "call") this.lastId = Math.max(this.lastId || 0, data.id);
        this.emit(name, data);
      });
    }
  },

  // Without SSE: ask for newer calls and the runs every two seconds.
  async poll() {
    this.setMode("polling");
    if (this.pollTimer) return;
    const tick = async () => {
      try {
        if (this.lastId === null) {
          const latest = await api("/api/calls?limit=1");
          this.lastId = latest.calls.length ? latest.calls[0].id : 0;
        }
        const page = await api(`/api/calls?after=${this.lastId}&limit=500`);
        for (const call of page.calls) { this.lastId = Math.max(this.lastId, call.id); this.emit("call", call); }
        const runs = await api("/api/runs?limit=20");
        for (const run of runs.runs) this.emit("run", run);
        this.setMode("polling");
      } catch (e) {
        this.setMode("off");
      }
    };
    this.pollTimer = setInterval(tick, 2000);
    tick();
  },

  setMode(mode) {
    this.mode = mode;
    liveBadge.className = `live ${mode}`;
    liveBadge.textContent = { on: "live", polling: "polling", off: "offline", connecting: "connecting" }[mode];
    liveBadge.title = { on: "New calls appear as they are recorded (server-sent events)",
      polling: "Live updates by polling every 2 s (server-sent events unavailable)",
      off: "The dashboard cannot be reached", connecting: "Connecting to the live feed" }[mode];
  },

  emit(name, data) {
    for (const listener of this.listeners) listener(name, data);
    // When each call was on screen, by JSON-RPC id (the dashboard benchmark reads it).
    if (name === "call") window.argusDebug.seen[JSON.stringify(data.jsonrpc_id)] = Date.now();
  },

  on(listener) { this.listeners.add(listener); return () => this.listeners.delete(listener); },
};
