// The dashboard's JavaScript: a small single-page app without dependencies.
// Every recorded value reaches the page through textContent, never as HTML.
"use strict";

// ---------- basics ----------

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
const view = document.getElementById("view");
const liveBadge = document.getElementById("live");
window.argusDebug = { seen: {} };  // JSON-RPC id -> Date.now() when the call appeared (benchmarks read this)

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// replaceChildren without the nulls that optional parts leave.
function fill(el, ...children) { el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false)); }

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const child of children.flat()) if (child) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
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

function duration(us) {
  if (us === null || us === undefined) return "–";
  if (us < 1000) return `${us}µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(1)}ms`;
  if (us < 6e7) return `${(us / 1e6).toFixed(2)}s`;
  return `${(us / 6e7).toFixed(1)}min`;
}

function when(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  const today = new Date();
  const time = clock(d, true);
  return d.toDateString() === today.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

function percent(x) { return `${(100 * x).toFixed(1)}%`; }

// Numbers as people read them: no float noise (0.30000000000000004), thousands grouped.
function num(x) {
  if (x === null || x === undefined || x === "" || Number.isNaN(Number(x))) return "–";
  const v = Number(x);
  if (Number.isInteger(v)) return v.toLocaleString();
  return Math.abs(v) < 1 ? v.toLocaleString(undefined, { maximumSignificantDigits: 3 }) : v.toLocaleString(undefined, { maximumFractionDigits: 2 });
}

// Clock times are 24-hour everywhere, whatever the browser's locale prefers.
function clock(date, withSeconds) {
  return date.toLocaleTimeString([], withSeconds ? { hour12: false } : { hour: "2-digit", minute: "2-digit", hour12: false });
}

// Replay runs (argus replay, argus test, this dashboard's replays) are not real traffic: lists and
// stats leave them out unless the user asks, and the choice is remembered in this browser.
function includeReplays() { return localStorage.getItem("argus-include-replays") === "1"; }
function replayParam(prefix) { return includeReplays() ? `${prefix}include_replays=1` : ""; }
function replayToggle() {
  return h("label", { class: "toggle", title: "Replay runs are argus replay, argus test and this dashboard's replays" },
    h("input", { type: "checkbox", id: "include-replays", checked: includeReplays(), onchange: (e) => {
      localStorage.setItem("argus-include-replays", e.target.checked ? "1" : "");
      route();
    } }), " include replays");
}
function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }
function callName(c) { return c.tool || (c.target ? `${c.method} ${c.target}` : c.method); }

function statusBadge(c) {
  if (c.status === "ok" && !c.is_error) return h("span", { class: "badge ok", text: "ok" });
  if (c.status === "cancelled") return h("span", { class: "badge muted", text: "cancelled" });
  if (c.status === "no_response") return h("span", { class: "badge warn", text: "no response" });
  if (c.status === "input_required") return h("span", { class: "badge info", text: "input required", title: "The server asked the client for input; the client's retry is the next round" });
  if (c.status === "ended") return h("span", { class: "badge muted", text: "ended", title: c.error_message || "The stream was closed" });
  return h("span", { class: "badge err", text: c.error_code !== null && c.error_code !== undefined ? `error ${c.error_code}` : "error" });
}

const END_REASONS = {
  client_eof: ["The client closed the connection (a normal end).", "good"],
  server_exited: ["The server exited on its own while the client was connected.", "bad"],
  server_failed_to_start: ["The server failed to start.", "bad"],
  signal: ["Argus was stopped by a signal; the server was shut down with it.", ""],
  idle: ["No traffic for the idle timeout; the next message opened a new run.", ""],
  client_gone: ["The client disappeared (its end of the pipe broke).", "bad"],
  replay_finished: ["A replay session that ended normally.", "good"],
  manual: ["Ended by hand (a new run was started, or this one stopped, from the dashboard or argus runs); the session went on in the next run.", "good"],
};

function endBadge(run) {
  if (!run.ended_at) return h("span", { class: "badge info", text: "live" });
  const [, tone] = END_REASONS[run.end_reason] || ["", ""];
  const text = (run.end_reason || "ended").replace(/_/g, " ") + (run.exit_status !== null && run.exit_status !== undefined && run.end_reason !== "idle" ? ` (${run.exit_status})` : "");
  return h("span", { class: `badge ${tone === "bad" ? "err" : tone === "good" ? "ok" : "muted"}`, text });
}

function clientText(run) {
  const client = run.client ? `${run.client.name}${run.client.version ? " " + run.client.version : ""}` : "";
  return run.kind === "replay" ? `argus replay${client ? ", as " + client : ""}` : client;
}

function link(href, text) { return h("a", { href, text }); }

function roundBadge(c) {
  if (!c.round) return null;
  return h("span", { class: "badge info", text: `round ${c.round}`, title: c.first_call_id ? `A retry of call ${c.first_call_id} with the answers it asked for` : "The first round of a multi round-trip call" });
}

function errorBox(error) { return h("div", { class: "error-box", text: error.message || String(error) }); }

// ---------- live feed ----------

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

// ---------- JSON viewer ----------

function pointerOf(path) { return path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join(""); }

// The deepest pointer of `pointer` that exists in `value` (a change inside JSON text marks the text).
function existingPrefix(value, pointer) {
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let node = value;
  const found = [];
  for (const part of parts) {
    if (node !== null && typeof node === "object" && Object.prototype.hasOwnProperty.call(node, part)) {
      node = node[part];
      found.push(part);
    } else break;
  }
  return pointerOf(found);
}

function jsonView(value, options = {}) {
  const marks = options.marks || new Map();
  const collapseDepth = options.collapseDepth ?? 3;
  const root = h("div", { class: "json" });
  // Whatever leads to a marked value stays open.
  const toOpen = new Set();
  for (const pointer of marks.keys()) {
    const parts = pointer.split("/");
    for (let i = 1; i < parts.length; i++) toOpen.add(parts.slice(0, i).join("/"));
  }

  function scalar(v) {
    if (v === null) return h("span", { class: "z", text: "null" });
    if (typeof v === "string") {
      const cls = v.includes("[REDACTED") || v.startsWith("[DROPPED by script") ? "s redacted" : "s";
      return h("span", { class: cls, text: JSON.stringify(v), title: cls.includes("redacted") ? "Redacted before storage" : null });
    }
    if (typeof v === "number") return h("span", { class: "n", text: String(v) });
    return h("span", { class: "b", text: String(v) });
  }

  function node(key, v, path, depth, last) {
    const pointer = pointerOf(path);
    const mark = marks.get(pointer);
    const keyPart = key === null ? [] : [h("span", { class: "k", text: JSON.stringify(key) }), ": "];
    const comma = last ? "" : ",";
    if (v !== null && typeof v === "object") {
      const isArray = Array.isArray(v);
      const entries = isArray ? v.map((x, i) => [i, x]) : Object.entries(v);
      const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
      if (entries.length === 0) return h("div", { class: `line${mark ? " m-" + mark : ""}` }, keyPart, open + close + comma);
      const details = h("details", { class: mark ? `m-${mark}` : null });
      if (depth < collapseDepth || options.open || toOpen.has(pointer)) details.open = true;
      details.append(h("summary", {}, keyPart, open, h("span", { class: "muted", text: ` ${plural(entries.length, isArray ? "item" : "key")}` })));
      entries.forEach(([k, x], i) => details.append(node(isArray ? null : k, x, path.concat([k]), depth + 1, i === entries.length - 1)));
      details.append(h("div", {}, close + comma));
      return details;
    }
    return h("div", { class: `line${mark ? " m-" + mark : ""}` }, keyPart, scalar(v), comma);
  }

  root.append(node(null, value, [], 0, true));
  return root;
}

// ---------- charts (SVG) ----------

function barChart(points, options = {}) {
  const width = options.width || 600, height = options.height || 140, pad = 24;
  const max = Math.max(1, ...points.map((p) => p.value));
  // Every point gets an equal slot across the whole width; a few points stay bars, not walls.
  const slot = (width - pad) / Math.max(1, points.length);
  const bw = Math.max(1, Math.min(48, slot) - 2);
  const center = (i) => pad + i * slot + slot / 2;
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": options.label || "chart" });
  chart.append(svg("line", { class: "axis", x1: pad, y1: height - 16, x2: width, y2: height - 16 }));
  chart.append(svg("text", { x: 0, y: 10 }, String(max)));
  // Labels never overlap: one every `step` slots, as many as fit.
  const widest = Math.max(1, ...points.map((p) => String(p.short || p.label).length));
  const step = Math.max(1, Math.ceil((widest * 6 + 10) / slot));
  points.forEach((p, i) => {
    const bh = (height - 28) * (p.value / max);
    const bar = svg("rect", { class: `bar${p.error ? " err" : ""}`, x: center(i) - bw / 2, y: height - 16 - bh, width: bw, height: bh });
    bar.append(svg("title", {}, `${p.label}: ${p.value}`));
    chart.append(bar);
    if (i % step === 0) chart.append(svg("text", { class: "tick", x: center(i), y: height - 3, "text-anchor": "middle" }, p.short || p.label));
  });
  if (options.line) {
    // null where there is nothing to measure (a minute without calls has no error rate): a gap, not 0%.
    const values = options.line;
    const lmax = Math.max(0.0001, ...values.filter((v) => v !== null));
    const y = (v) => height - 16 - (height - 28) * (v / lmax);
    let d = "";
    values.forEach((v, i) => {
      if (v === null) return;
      const joined = i > 0 && values[i - 1] !== null;
      d += `${joined ? "L" : "M"}${center(i)},${y(v)} `;
      const alone = !joined && (i === values.length - 1 || values[i + 1] === null);
      if (alone) chart.append(svg("circle", { class: "dot", cx: center(i), cy: y(v), r: 2 }));
    });
    if (d) chart.append(svg("path", { class: "line", d: d.trim() }));
    chart.append(svg("text", { x: width - 2, y: 10, "text-anchor": "end" }, `error rate (max ${percent(lmax)})`));
  }
  return chart;
}

function sparkline(values, cls) {
  const width = 160, height = 32;
  const min = Math.min(...values), max = Math.max(...values);
  const span = max - min || 1;
  const d = values.map((v, i) => `${i === 0 ? "M" : "L"}${(i / Math.max(1, values.length - 1)) * width},${height - 2 - ((v - min) / span) * (height - 4)}`).join(" ");
  return svg("svg", { class: `chart spark`, viewBox: `0 0 ${width} ${height}`, width, height }, svg("path", { class: `line ${cls || "accent"}`, d }));
}

// ---------- views ----------

let current = { leave: () => {} };

function setNav(name) {
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === name);
}

function parseHash() {
  const hash = location.hash.replace(/^#/, "") || "/runs";
  const [path, query] = hash.split("?");
  return { parts: path.split("/").filter(Boolean), query: new URLSearchParams(query || "") };
}

async function route() {
  current.leave();
  current = { leave: () => {} };
  const { parts, query } = parseHash();
  fill(view, h("div", { class: "empty", text: "Loading…" }));
  try {
    if (parts[0] === "runs" && parts[1]) await runView(Number(parts[1]));
    else if (parts[0] === "calls" && parts[1]) await callView(Number(parts[1]));
    else if (parts[0] === "calls") await callsView(query);
    else if (parts[0] === "stats") await statsView(query);
    else if (parts[0] === "scripts") await scriptsView();
    else await runsView();
  } catch (error) {
    fill(view, errorBox(error));
  }
}

function watch(listener) {
  const off = live.on(listener);
  const previous = current.leave;
  current.leave = () => { off(); previous(); };
}

// Runs

function runRow(run) {
  return h("tr", { class: "row", "data-run": run.id, onclick: () => { location.hash = `#/runs/${run.id}`; } },
    h("td", { class: "num" }, link(`#/runs/${run.id}`, run.id)),
    h("td", {}, run.server, run.kind === "replay" ? h("span", { class: "badge info", text: "replay" }) : null,
      run.label ? h("span", { class: "badge muted label", text: run.label, title: "A run started by hand" }) : null),
    h("td", {}, when(run.started_at)),
    h("td", { class: "num" }, run.ended_at ? duration(run.ended_at_us - run.started_at_us) : "running"),
    h("td", { class: "num" }, run.call_count),
    h("td", { class: "num" }, Number(run.error_count) > 0 ? h("span", { class: "err-text", text: run.error_count }) : "0"),
    h("td", {}, endBadge(run)),
    h("td", {}, clientText(run)));
}

// A live wrap's run, which can be split or ended by hand (a replay session is the dashboard's own).
function isLiveWrap(run) { return run.kind === "wrap" && !run.ended_at; }

// "New run": the live wraps (all, or one server's) end their runs and go on in a new one, named by the label.
function newRunPanel(runs) {
  const servers = [...new Set(runs.filter(isLiveWrap).map((r) => r.server))].sort();
  const result = h("div", { id: "new-run-result" });
  const server = h("select", { id: "new-run-server" }, h("option", { value: "", text: "every live wrap" }),
    servers.map((s) => h("option", { value: s, text: s })));
  const label = h("input", { id: "new-run-label", size: 28, maxlength: 200, placeholder: "e.g. reproduce issue 42" });
  const start = h("button", { class: "primary", id: "new-run-start", onclick: async () => {
    start.disabled = true;
    try {
      const body = { live: true, label: label.value.trim() || undefined, server: server.value || undefined };
      const r = await api("/api/runs/start", { method: "POST", body });
      fill(result, h("div", { class: "notice", text: `New run requested for ${r.ending.map((e) => `run ${e.run_id} (${e.server})`).join(", ")}: each goes on in a new run within a second, or as soon as its pending calls complete.` }));
      label.value = "";
    } catch (error) {
      fill(result, errorBox(error));
    } finally {
      start.disabled = false;
    }
  } }, "Start new run");
  return h("details", { class: "panel", id: "new-run" },
    h("summary", { id: "new-run-button", text: "New run…" }),
    h("p", { class: "hint", text: "Begin a new run of the live argus wrap sessions, so that what happens next (a bug to reproduce) is a run of its own. The MCP sessions are not disturbed, and a call in progress is never split." }),
    h("div", { class: "toolbar" }, h("label", { class: "hint" }, "Server ", server), h("label", { class: "hint" }, "Label ", label), start), result);
}

async function runsView() {
  setNav("runs");
  const data = await api(`/api/runs?limit=100${replayParam("&")}`);
  const body = h("tbody", {}, data.runs.map(runRow));
  const table = h("table", { class: "list" },
    h("thead", {}, h("tr", {}, ["Run", "Server", "Started", "Duration", "Calls", "Errors", "Ended", "Client"].map((t, i) =>
      h("th", { class: [0, 3, 4, 5].includes(i) ? "num" : null, text: t })))), body);
  fill(view, h("h1", { text: "Runs" }),
    h("div", { class: "sub" }, "Each time a wrapped server starts, after an idle gap, and when you start one by hand, a new run begins. New runs appear live.",
      replayToggle()),
    newRunPanel(data.runs),
    data.runs.length ? table : h("div", { class: "panel empty" },
      h("p", { text: "Nothing recorded yet." }),
      h("p", {}, "Put ", h("code", { text: "argus wrap --" }), " in front of an MCP server command in your client's configuration, or run ",
        h("code", { text: "argus demo" }), ".")));
  watch((name, data) => {
    if (name === "reset") return route();
    if (name !== "run") return;
    if (data.kind === "replay" && !includeReplays() && !data.replay_session) return;
    const existing = body.querySelector(`tr[data-run="${data.id}"]`);
    const row = runRow(data);
    if (existing) existing.replaceWith(row);
    else { row.classList.add("fresh"); body.prepend(row); if (!table.isConnected) route(); }
  });
}

async function runView(id) {
  setNav("runs");
  const data = await api(`/api/runs/${id}`);
  let run = data.run;
  const calls = data.calls.slice().reverse();  // oldest first for the timeline
  const header = h("div");
  const renderHeader = () => {
    const [explanation, tone] = END_REASONS[run.end_reason] || [run.ended_at ? "" : "The proxy is running.", run.ended_at ? "" : "good"];
    const why = h("div", { class: `panel why ${tone}` },
      h("strong", { text: run.ended_at ? "Why did it end?" : "Live" }), " ", endBadge(run),
      h("p", { text: explanation }),
      run.end_detail ? h("p", { class: "mono", text: run.end_detail }) : null,
      run.stderr_tail ? h("div", {}, h("div", { class: "hint", text: "Last lines the server wrote to stderr:" }), h("pre", { class: "log", text: run.stderr_tail })) : null);
    const controls = run.replay_session ? h("div", { class: "toolbar" },
      h("span", { class: "badge info", text: "replay session (warm server)" }),
      h("button", { class: "danger", onclick: async (e) => {
        e.target.disabled = true;
        try { await api(`/api/runs/${id}/stop`, { method: "POST" }); route(); } catch (err) { header.append(errorBox(err)); }
      } }, "Stop server")) : runControls(run, header);
    fill(header, 
      h("h1", {}, `Run ${run.id} · ${run.server}`, run.label ? h("span", { class: "badge muted label", text: run.label }) : null),
      h("div", { class: "sub mono" }, [run.command].concat(run.args || []).join(" ")),
      controls,
      why,
      h("div", { class: "panel" }, h("dl", { class: "grid kv" },
        kv("Started", when(run.started_at)),
        kv("Duration", run.ended_at ? duration(run.ended_at_us - run.started_at_us) : "running"),
        kv("Calls / errors", `${run.call_count} / ${run.error_count}`),
        kv("Client", clientText(run) || "–"),
        kv("Server", run.server_info ? `${run.server_info.name} ${run.server_info.version || ""}` : "–"),
        kv("Protocol", run.protocol_version || "–"),
        kv("Working directory", run.cwd || "–"),
        kv("PIDs", `argus ${run.argus_pid ?? "–"}, server ${run.server_pid ?? "–"}`),
        run.previous_run_id ? kv("Previous run", link(`#/runs/${run.previous_run_id}`, `run ${run.previous_run_id}`)) : null,
        Number(run.dropped_frames) > 0 ? kv("Dropped frames", run.dropped_frames) : null,
        kv("Environment", h("details", {}, h("summary", { text: `${(run.env_names || []).length} variables (names only, never values)` }),
          h("div", { class: "mono", text: (run.env_names || []).join(" ") })), true))));
  };
  renderHeader();

  const timeline = h("div", { class: "waterfall" });
  const renderTimeline = () => {
    if (!calls.length) { fill(timeline, h("div", { class: "empty", text: "No calls in this run yet." })); return; }
    const start = Math.min(...calls.map((c) => c.started_at_us));
    const end = Math.max(...calls.map((c) => c.started_at_us + (c.latency_us || 0)), start + 1);
    const span = end - start;
    fill(timeline, ...calls.map((c) => {
      const bar = h("div", { class: `wf-bar${c.is_error ? " err" : ""}${c.status === "no_response" ? " pending" : ""}`,
        title: `${callName(c)} · ${duration(c.latency_us)} · ${c.status}` });
      bar.style.left = `${(100 * (c.started_at_us - start)) / span}%`;
      bar.style.width = `${Math.max(0.2, (100 * (c.latency_us || 0)) / span)}%`;
      return h("div", { class: "wf-row", "data-call": c.id, onclick: () => { location.hash = `#/calls/${c.id}`; } },
        h("div", { class: "wf-label", title: callName(c) }, c.is_error ? h("span", { class: "err-text", text: "✗ " }) : "", callName(c)),
        h("div", { class: "wf-track" }, bar),
        h("div", { class: "num mono", text: duration(c.latency_us) }));
    }));
  };
  renderTimeline();

  const notifications = notificationList(id);
  const tabs = tabbed([
    ["Timeline", () => h("div", { class: "panel" }, data.next_cursor ? h("div", { class: "hint", text: "Showing the latest 500 calls." }) : null, timeline)],
    ["Notifications", async () => { await notifications.load(); return notifications.element; }],
    ["Server stderr", () => h("div", { class: "panel" }, data.stderr.length
      ? h("pre", { class: "log", text: data.stderr.map((l) => l.line).join("\n") })
      : h("div", { class: "empty", text: "The server wrote nothing to stderr." }))],
    ["Tools", async () => {
      const schema = await api(`/api/runs/${id}/schema`);
      if (!schema.tools.length) return h("div", { class: "panel empty", text: "No tools/list in this run." });
      return h("div", {}, schema.tools.map((t) => h("div", { class: "panel" },
        h("strong", { text: t.name }), t.annotations && t.annotations.destructiveHint ? h("span", { class: "badge err", text: "destructive" }) : null,
        t.annotations && t.annotations.readOnlyHint ? h("span", { class: "badge ok", text: "read-only" }) : null,
        h("p", { class: "muted", text: t.description || "" }), paramHints(t.input_schema))));
    }],
  ]);
  fill(view, header, tabs);
  watch((name, d) => {
    if (name === "reset") return route();
    if (name === "run" && d.id === id) {
      if (d.message_count !== run.message_count) notifications.more();
      run = d;
      renderHeader();
    }
    if (name === "call" && d.run_id === id && !calls.some((c) => c.id === d.id)) { calls.push(d); renderTimeline(); }
  });
}

// Stop (a live wrap's run ends, its session goes on in a new run) or delete (an ended run).
function runControls(run, header) {
  const out = h("div", { class: "toolbar" });
  const message = h("div");
  if (isLiveWrap(run)) {
    out.append(h("button", { id: "stop-run", onclick: async (e) => {
      e.target.disabled = true;
      try {
        const r = await api(`/api/runs/${run.id}/stop`, { method: "POST" });
        fill(message, h("div", { class: "notice", text: r.message }));
      } catch (err) { fill(message, errorBox(err)); e.target.disabled = false; }
    } }, "Stop this run"), h("span", { class: "hint", text: "The session goes on in a new run." }));
  } else if (!run.replay_session) {
    const confirmBox = h("span");
    out.append(h("button", { id: "delete-run", onclick: () => fill(confirmBox,
      h("span", { class: "confirm" }, `Delete run ${run.id} and its ${plural(Number(run.call_count), "call")}? `,
        h("button", { class: "danger", id: "delete-run-confirm", onclick: async (e) => {
          e.target.disabled = true;
          try { await api(`/api/runs/${run.id}`, { method: "DELETE" }); location.hash = "#/runs"; }
          catch (err) { fill(message, errorBox(err)); }
        } }, "Delete"), " ", h("button", { onclick: () => fill(confirmBox) }, "Cancel"))) }, "Delete run…"), confirmBox);
  }
  return h("div", { class: "run-controls" }, out, message);
}

// The run's notifications (log messages, progress, resource updates, list changes), oldest first, paged.
function notificationList(runId) {
  const body = h("tbody");
  const table = h("table", { class: "list", id: "notifications-table" },
    h("thead", {}, h("tr", {}, ["Time", "", "Method", "What it said"].map((t) => h("th", { text: t })))), body);
  const empty = h("div", { class: "empty", text: "No notifications in this run." });
  const element = h("div", {}, table, empty);
  let after = 0, loaded = false, busy = false;
  const row = (e) => {
    const detail = e.params !== null && e.params !== undefined ? h("details", {}, h("summary", { text: e.summary || "(no params)" }), jsonView(e.params, { collapseDepth: 2 }))
      : h("span", { class: "mono", text: e.text || e.summary || "" });
    return h("tr", { "data-seq": e.seq }, h("td", { class: "num" }, when(e.time)),
      h("td", { title: e.direction === "c2s" ? "client → server" : "server → client", text: e.direction === "c2s" ? "→" : "←" }),
      h("td", { class: "mono" }, e.method || "(not JSON-RPC)"), h("td", {}, detail));
  };
  const more = async () => {
    if (busy) return;
    busy = true;
    try {
      for (;;) {
        const page = await api(`/api/runs/${runId}/timeline?kind=notification,other&limit=500&after=${after}`);
        body.append(...page.entries.map(row));
        if (page.entries.length) after = page.entries[page.entries.length - 1].seq;
        if (!page.next_cursor) break;
      }
      loaded = true;
      table.hidden = !body.children.length;
      empty.hidden = !!body.children.length;
    } finally { busy = false; }
  };
  return { element, more: () => { if (loaded) more(); }, load: () => (loaded ? Promise.resolve() : more()) };
}

function kv(label, value, wide) { return h("div", { class: wide ? "wide" : null }, h("dt", { text: label }), h("dd", {}, value)); }

function tabbed(tabs) {
  const body = h("div");
  const bar = h("div", { class: "tabs", role: "tablist" });
  const show = async (i) => {
    for (const [j, b] of [...bar.children].entries()) b.classList.toggle("active", i === j);
    fill(body, h("div", { class: "empty", text: "Loading…" }));
    try { fill(body, await tabs[i][1]()); } catch (e) { fill(body, errorBox(e)); }
  };
  tabs.forEach(([label], i) => bar.append(h("button", { role: "tab", onclick: () => show(i), text: label })));
  show(0);
  return h("div", {}, bar, body);
}

// Calls

const FILTERS = ["server", "tool", "method", "status", "errors", "q", "since", "until", "run"];

function callRow(c) {
  return h("tr", { class: "row", "data-call": c.id, onclick: () => { location.hash = `#/calls/${c.id}`; } },
    h("td", { class: "num" }, link(`#/calls/${c.id}`, c.id)),
    h("td", {}, when(c.started_at)),
    h("td", {}, c.server),
    h("td", {}, callName(c), c.replay_of ? h("span", { class: "badge info", text: `replay of ${c.replay_of}` })
      : c.run_kind === "replay" ? h("span", { class: "badge info", text: "replay run" }) : null, roundBadge(c)),
    h("td", {}, statusBadge(c)),
    h("td", { class: "num" }, duration(c.latency_us)),
    h("td", { class: "muted" }, (c.error_message || "").slice(0, 120)));
}

function matches(c, query) {
  if (query.get("server") && c.server !== query.get("server")) return false;
  if (query.get("tool") && c.tool !== query.get("tool")) return false;
  if (query.get("method") && c.method !== query.get("method")) return false;
  if (query.get("status") && c.status !== query.get("status")) return false;
  if (query.get("errors") && !c.is_error) return false;
  if (query.get("run") && String(c.run_id) !== query.get("run")) return false;
  if (!query.get("run") && c.run_kind === "replay" && !includeReplays()) return false;
  if (query.get("q") || query.get("until")) return false;  // text and time windows: reload to see
  if (query.get("since") && new Date(c.started_at) < new Date(query.get("since"))) return false;
  return true;
}

async function callsView(query) {
  setNav("calls");
  const params = new URLSearchParams();
  for (const key of FILTERS) if (query.get(key)) params.set(key, key === "since" || key === "until" ? new Date(query.get(key)).toISOString() : query.get(key));
  params.set("limit", "100");
  if (includeReplays()) params.set("include_replays", "1");
  const data = await api(`/api/calls?${params}`);
  const body = h("tbody", {}, data.calls.map(callRow));
  let cursor = data.next_cursor;
  const more = h("button", { onclick: async () => {
    more.disabled = true;
    const p = new URLSearchParams(params); p.set("cursor", cursor);
    const page = await api(`/api/calls?${p}`);
    body.append(...page.calls.map(callRow));
    cursor = page.next_cursor;
    more.disabled = false;
    more.hidden = !cursor;
  } }, "Load older calls");
  more.hidden = !cursor;

  const input = (name, placeholder, type = "text") => h("label", {}, name,
    h("input", { name, type, placeholder, value: query.get(name) || "", size: type === "text" ? 14 : null }));
  const status = h("select", { name: "status" }, ["", "ok", "error", "cancelled", "no_response", "input_required", "ended"].map((s) =>
    h("option", { value: s, selected: query.get("status") === s, text: s || "any" })));
  const form = h("form", { class: "filters", onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) if (v) q.set(k, v);
    location.hash = `#/calls?${q}`;
  } },
    input("server", "any"), input("tool", "any"), input("method", "e.g. tools/call"),
    h("label", {}, "status", status),
    h("label", {}, "errors only", h("input", { type: "checkbox", name: "errors", value: "1", checked: !!query.get("errors") })),
    input("q", "search params, results"), input("since", "", "datetime-local"), input("until", "", "datetime-local"),
    query.get("run") ? h("input", { type: "hidden", name: "run", value: query.get("run") }) : null,
    h("button", { class: "primary", type: "submit" }, "Filter"),
    h("button", { type: "button", onclick: () => { location.hash = "#/calls"; } }, "Clear"));

  const table = h("table", { class: "list", id: "calls-table" },
    h("thead", {}, h("tr", {}, ["Call", "Time", "Server", "Tool / method", "Status", "Latency", "Error"].map((t, i) =>
      h("th", { class: [0, 5].includes(i) ? "num" : null, text: t })))), body);
  fill(view, h("h1", { text: "Calls" }),
    h("div", { class: "sub" }, "Request/response pairs, newest first. New calls matching the filter appear live.", replayToggle()),
    form, table, data.calls.length ? null : h("div", { class: "empty", text: "No calls match." }), h("div", { class: "toolbar" }, more));
  watch((name, c) => {
    if (name === "reset") return route();
    if (name !== "call" || !matches(c, query) || body.querySelector(`tr[data-call="${c.id}"]`)) return;
    const row = callRow(c);
    row.classList.add("fresh");
    body.prepend(row);
  });
}

// One call, and replay

function paramHints(schema) {
  if (!schema || !schema.properties) return h("div", { class: "hint", text: "No input schema recorded." });
  const required = new Set(schema.required || []);
  return h("ul", { class: "params-hints" }, Object.entries(schema.properties).map(([name, p]) => h("li", {},
    h("code", { text: name }), required.has(name) ? h("span", { class: "req", text: " required" }) : null,
    h("span", { class: "muted", text: ` ${p.type ? (Array.isArray(p.type) ? p.type.join(" | ") : p.type) : "any"}` }),
    p.enum ? h("span", { class: "muted", text: ` one of ${p.enum.map((x) => JSON.stringify(x)).join(", ")}` }) : null,
    p.description ? h("div", { class: "hint", text: p.description }) : null)));
}

// The checks a user needs before sending: JSON, required fields, basic types.
function schemaProblems(value, schema, path = "") {
  const problems = [];
  if (!schema || typeof schema !== "object") return problems;
  const at = path || "arguments";
  const types = schema.type ? (Array.isArray(schema.type) ? schema.type : [schema.type]) : [];
  const typeOf = (v) => v === null ? "null" : Array.isArray(v) ? "array" : typeof v === "number" ? (Number.isInteger(v) ? "integer" : "number") : typeof v;
  if (types.length && !types.some((t) => t === typeOf(value) || (t === "number" && typeOf(value) === "integer"))) {
    problems.push(`${at}: expected ${types.join(" or ")}, got ${typeOf(value)}`);
    return problems;
  }
  if (schema.enum && !schema.enum.some((x) => JSON.stringify(x) === JSON.stringify(value))) {
    problems.push(`${at}: must be one of ${schema.enum.map((x) => JSON.stringify(x)).join(", ")}`);
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const name of schema.required || []) if (!(name in value)) problems.push(`${at}: "${name}" is required`);
    for (const [k, v] of Object.entries(value)) {
      if (schema.properties && schema.properties[k]) problems.push(...schemaProblems(v, schema.properties[k], `${at}.${k}`));
    }
  }
  return problems;
}

async function callView(id) {
  setNav("calls");
  const c = await api(`/api/calls/${id}`);
  const schema = c.schema;
  const annotations = (schema && schema.annotations) || {};
  const destructive = annotations.destructiveHint === true;
  // Like the server: only a tool annotated read-only (and not destructive) replays without asking.
  const concern = c.method !== "tools/call" ? null : !schema ? "has no recorded annotations"
    : destructive ? "is annotated destructive" : annotations.readOnlyHint !== true ? "is not annotated read-only" : null;
  const outcome = c.error ? { error: c.error } : { result: c.result };

  const summary = h("div", { class: "panel" }, h("dl", { class: "grid kv" },
    kv("Status", statusBadge(c)), kv("Latency", duration(c.latency_us)), kv("Started", when(c.started_at)),
    kv("Run", link(`#/runs/${c.run_id}`, `run ${c.run_id}`)), kv("Server", c.server), kv("Method", c.method),
    kv("JSON-RPC id", JSON.stringify(c.jsonrpc_id)), kv("Direction", c.direction === "c2s" ? "client → server" : "server → client"),
    Number(c.progress_count) > 0 ? kv("Progress notifications", c.progress_count) : null,
    c.replay_of ? kv("Replay of", link(`#/calls/${c.replay_of}`, `call ${c.replay_of}`)) : null,
    c.round ? kv("Round", `${c.round} of ${c.rounds.length}`) : null,
    kv("Size", `${c.bytes_in ?? "–"} B in, ${c.bytes_out ?? "–"} B out`)));

  const paramsPanel = h("div", { class: "panel" }, h("h3", { text: "Params" }),
    c.redacted_paths.length ? h("div", { class: "hint" }, `Redacted before storage: ${c.redacted_paths.join(", ")}.`,
      c.sealed ? " Their originals are sealed: a replay sends the real values." : " Replay needs them supplied.") : null,
    jsonView(c.params));
  const resultPanel = h("div", { class: "panel" }, h("h3", { text: c.error ? "Error" : "Result" }),
    c.error && c.error.message ? h("div", { class: "error-box", text: c.error.message }) : null,
    jsonView(c.error && !c.result ? c.error : c.result));

  const parts = [h("h1", {}, `Call ${c.id} · ${callName(c)}`, destructive ? h("span", { class: "badge err", text: "destructive" }) : null),
    h("div", { class: "sub", text: `${c.server} · ${c.method}` }), summary, h("div", { class: "cols" }, paramsPanel, resultPanel)];

  if (c.rounds && c.rounds.length) parts.push(roundsPanel(c));
  if (schema) {
    parts.push(h("div", { class: "panel" }, h("h3", { text: `Tool schema: ${schema.name}` }),
      h("p", { class: "muted", text: schema.description || "" }), paramHints(schema.input_schema)));
  }
  if (c.script_outputs && c.script_outputs.length) {
    parts.push(h("div", { class: "panel" }, h("h3", { text: "Script outputs" }), h("ul", { class: "changes" },
      c.script_outputs.map((o) => h("li", { class: o.kind === "alert" ? "removed" : "" },
        `${o.script} · ${o.kind}${o.level ? " " + o.level : ""}: ${o.message || (o.name ? `${o.name} = ${o.value}` : "")}`)))));
  }
  if (c.replayable) parts.push(replayPanel(c, schema, concern, outcome));
  if (c.replays && c.replays.length) {
    parts.push(h("div", { class: "panel" }, h("h3", { text: "Earlier replays" }),
      h("ul", { class: "changes" }, c.replays.map((r) => h("li", {}, link(`#/calls/${r.id}`, `call ${r.id}`),
        ` · run ${r.run_id} · ${r.status}${r.is_error ? " (error)" : ""} · ${duration(r.latency_us)} · ${when(r.started_at)}`)))));
  }
  fill(view, ...parts);
}

// A 2026-07-28 multi round-trip call: every round, the one shown marked.
function roundsPanel(c) {
  const last = c.rounds[c.rounds.length - 1];
  return h("div", { class: "panel", id: "rounds" }, h("h3", { text: `Rounds (${c.rounds.length})` }),
    h("p", { class: "hint", text: "The server answered input_required (questions for the user); the client asked, then sent the call again with the answers. Each round is a request of its own; together they are one call." }),
    h("table", { class: "list" }, h("thead", {}, h("tr", {}, ["Round", "Call", "Status", "Latency", "Started"].map((t) => h("th", { text: t })))),
      h("tbody", {}, c.rounds.map((r) => h("tr", { class: r.id === c.id ? "current" : null },
        h("td", { text: r.round ?? "–" }), h("td", {}, r.id === c.id ? `call ${r.id} (this one)` : link(`#/calls/${r.id}`, `call ${r.id}`)),
        h("td", {}, statusBadge(r)), h("td", { class: "num" }, duration(r.latency_us)), h("td", {}, when(r.started_at)))))),
    h("div", { class: "hint", text: last.status === "input_required" ? "The client has not answered the last round's questions (yet)." : `Outcome: ${last.status.replace(/_/g, " ")}.` }));
}

function replayPanel(c, schema, concern, recorded) {
  const isTool = c.method === "tools/call";
  const args = isTool ? ((c.params && c.params.arguments) || {}) : (c.params || {});
  const editor = h("textarea", { id: "replay-params", spellcheck: "false", "aria-label": "Parameters to replay with" });
  editor.value = JSON.stringify(args, null, 2);
  const problems = h("ul", { class: "problems" });
  const ignore = h("input", { id: "replay-ignore", size: 48, placeholder: "e.g. observed_at, /result/content/0/text" });
  const button = h("button", { class: "primary", id: "replay-button" }, "Replay");
  const output = h("div", { id: "replay-output" });
  const confirmBox = h("div");

  const validate = () => {
    let parsed;
    const found = [];
    try { parsed = JSON.parse(editor.value); } catch (e) { found.push(`not valid JSON: ${e.message}`); }
    if (parsed !== undefined && (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))) found.push("the parameters must be a JSON object");
    else if (parsed !== undefined && isTool && schema && schema.input_schema) found.push(...schemaProblems(parsed, schema.input_schema));
    fill(problems, ...found.map((p) => h("li", { text: p })));
    button.disabled = found.length > 0;
    return found.length ? null : parsed;
  };
  editor.addEventListener("input", validate);

  const send = async (confirmed) => {
    const edited = validate();
    if (!edited) return;
    fill(confirmBox);
    button.disabled = true;
    fill(output, h("div", { class: "empty", text: "Replaying… (starting the server, repeating the handshake)" }));
    try {
      const ignored = ignore.value.split(",").map((x) => x.trim()).filter(Boolean);
      const result = await api(`/api/calls/${c.id}/replay`, { method: "POST", body: { arguments: edited, confirm_destructive: confirmed, ignore: ignored } });
      fill(output, replayResult(result, recorded));
    } catch (error) {
      fill(output, errorBox(error));
    } finally {
      validate();
    }
  };
  button.addEventListener("click", () => {
    if (!concern) return send(false);
    fill(confirmBox, h("div", { class: "confirm" },
      h("strong", { text: `${c.tool} ${concern}.` }), " Replaying it may change something for real. ",
      h("button", { class: "danger", id: "replay-confirm", onclick: () => send(true) }, "Replay anyway"), " ",
      h("button", { onclick: () => fill(confirmBox) }, "Cancel")));
  });
  validate();
  return h("div", { class: "panel", id: "replay" }, h("h3", { text: "Replay" }),
    h("p", { class: "hint", text: "Runs this call again against the server, started the way the run started it, with the client's handshake. Edit the parameters to try variations; redacted values left as they are get their sealed originals." }),
    editor, problems, h("div", { class: "toolbar" }, button, h("label", { class: "hint" }, "Ignore differences at ", ignore)), confirmBox, output);
}

function replayResult(r, recorded) {
  const tone = { equal: "ok", changed: "warn", failed: "err", skipped: "muted" }[r.outcome];
  const header = h("div", { class: "toolbar" }, h("span", { class: `badge ${tone}`, id: "replay-outcome", text: r.outcome }),
    h("span", { text: `latency ${duration(r.latency_us.before)} → ${duration(r.latency_us.after)}` }),
    r.is_error.changed ? h("span", { class: "badge err", text: `isError ${r.is_error.before} → ${r.is_error.after}` }) : null,
    r.replay_run_id ? link(`#/runs/${r.replay_run_id}`, `replay run ${r.replay_run_id}`) : null);
  const parts = [header];
  for (const w of r.warnings || []) parts.push(h("div", { class: "notice", text: w }));
  if (r.failure) parts.push(h("div", { class: "error-box", text: r.failure }));
  if (r.changes && r.changes.length) {
    parts.push(h("h3", { text: plural(r.changes.length, "difference") }), h("ul", { class: "changes" }, r.changes.map((ch) => {
      const text = ch.kind === "changed" ? `~ ${ch.path}: ${short(ch.before)} → ${short(ch.after)}`
        : ch.kind === "added" ? `+ ${ch.path}: ${short(ch.after)}` : `- ${ch.path}: ${short(ch.before)}`;
      const item = h("li", { class: ch.kind, text });
      if (ch.lines) item.append(h("pre", { class: "log", text: ch.lines.map((l) => `${l.kind === "added" ? "+" : "-"} ${l.text}`).join("\n") }));
      return item;
    })));
  }
  if (r.actual) {
    const left = new Map(), right = new Map();
    for (const ch of r.changes || []) {
      if (ch.kind !== "added") left.set(existingPrefix(r.expected, ch.path), ch.kind === "removed" ? "removed" : "changed");
      if (ch.kind !== "removed") right.set(existingPrefix(r.actual, ch.path), ch.kind === "added" ? "added" : "changed");
    }
    parts.push(h("div", { class: "cols", id: "replay-diff" },
      h("div", {}, h("h3", { text: "Recorded" }), jsonView(r.expected || recorded, { marks: left })),
      h("div", {}, h("h3", { text: "Replayed" }), jsonView(r.actual, { marks: right }))));
  }
  return h("div", {}, parts);
}

function short(v) {
  const text = JSON.stringify(v);
  return text && text.length > 120 ? text.slice(0, 119) + "…" : text;
}

// Stats

async function statsView(query) {
  setNav("stats");
  const server = query.get("server") || "";
  const data = await api(`/api/stats?${server ? "server=" + encodeURIComponent(server) : ""}${replayParam("&")}`);
  const total = data.servers.reduce((a, s) => ({ count: a.count + s.count, errors: a.errors + s.errors }), { count: 0, errors: 0 });
  const serverSelect = h("select", { onchange: (e) => { location.hash = e.target.value ? `#/stats?server=${encodeURIComponent(e.target.value)}` : "#/stats"; } },
    h("option", { value: "", text: "all servers" }),
    [...new Set(data.servers.map((s) => s.server).concat(server ? [server] : []))].map((s) => h("option", { value: s, selected: s === server, text: s })));
  const cards = h("div", { class: "cards" },
    card("calls", total.count), card("errors", total.errors), card("error rate", percent(total.count ? total.errors / total.count : 0)),
    card("servers", data.servers.length), card("tools and methods", data.tools.length));
  const points = data.timeline.points;
  // Several days on one axis: the day goes with the time.
  const days = points.length && new Date(points[0].t).toDateString() !== new Date(points[points.length - 1].t).toDateString();
  const tick = (t) => { const d = new Date(t); return days ? `${d.getDate()}/${d.getMonth() + 1} ${clock(d)}` : clock(d); };
  const timeline = points.length ? h("div", { class: "panel", id: "stats-timeline" },
    h("h3", { text: `Calls over time (per ${duration(data.timeline.bucket_seconds * 1e6)}), with error rate` }),
    barChart(points.map((p) => ({ value: p.count, label: `${when(p.t)}: ${p.count} calls, ${p.errors} errors`, short: tick(p.t) })),
      { line: points.map((p) => (p.count ? p.errors / p.count : null)), label: "calls over time", width: Math.max(600, view.clientWidth - 82), height: 180 })) : null;
  const rows = data.tools.map((t) => h("tr", {},
    h("td", {}, t.server), h("td", {}, t.kind === "tool" ? link(`#/calls?tool=${encodeURIComponent(t.name)}&server=${encodeURIComponent(t.server)}`, t.name) : h("span", { class: "muted", text: t.name })),
    h("td", { class: "num" }, t.count), h("td", { class: "num" }, t.errors ? h("span", { class: "err-text", text: `${t.errors} (${percent(t.error_rate)})` }) : "0"),
    h("td", { class: "num" }, duration(t.p50_us)), h("td", { class: "num" }, duration(t.p95_us)), h("td", { class: "num" }, duration(t.p99_us)),
    h("td", { class: "num" }, duration(t.max_us)),
    h("td", { style: null }, t.histogram && t.histogram.length ? histogram(t.histogram) : null)));
  fill(view, h("h1", { text: "Stats" }),
    h("div", { class: "sub" }, "Latency percentiles and error rates per tool. ", serverSelect,
      data.exact ? null : h("span", { class: "hint", text: " Percentiles from log-scale histograms (within 2.2%)." }), replayToggle()),
    cards, timeline,
    data.tools.length ? h("table", { class: "list" }, h("thead", {}, h("tr", {},
      ["Server", "Tool / method", "Calls", "Errors", "p50", "p95", "p99", "Max", "Latency histogram"].map((t, i) =>
        h("th", { class: i >= 2 && i <= 7 ? "num" : null, text: t })))), h("tbody", {}, rows)) : h("div", { class: "panel empty", text: "No calls yet." }));
}

function card(label, value) { return h("div", { class: "card" }, h("div", { class: "v", text: String(value) }), h("div", { class: "l", text: label })); }

function histogram(buckets) {
  const chart = barChart(buckets.map((b) => ({ value: b.count, label: `≤ ${b.le_us === null ? "∞" : duration(b.le_us)}`, short: b.le_us === null ? "∞" : duration(b.le_us) })),
    { width: 260, height: 70, label: "latency histogram" });
  chart.classList.add("hist");
  return chart;
}

// Scripts: status, alerts, metrics

async function scriptsView() {
  setNav("scripts");
  const [scripts, alerts, metrics] = await Promise.all([api("/api/scripts"), api("/api/alerts?limit=50"), api("/api/metrics")]);
  const stateBadge = (s) => h("span", { class: `badge ${s.state === "active" ? "ok" : s.state === "error" || s.state === "disabled" ? "err" : "muted"}`, text: s.state });
  const statusTable = scripts.scripts.length ? h("table", { class: "list" },
    h("thead", {}, h("tr", {}, ["Script", "Server", "State", "Errors", "Last error", "Process", "Updated"].map((t) => h("th", { text: t })))),
    h("tbody", {}, scripts.scripts.map((s) => h("tr", {},
      h("td", { title: s.path }, s.script), h("td", {}, s.server), h("td", {}, stateBadge(s)),
      h("td", { class: "num" }, s.error_count), h("td", { class: "mono" }, (s.last_error || "").slice(0, 200)),
      h("td", {}, `pid ${s.argus_pid}${s.live ? "" : " (gone)"}`), h("td", {}, when(s.updated_at))))))
    : h("div", { class: "panel empty" }, "No scripts have run. Add one with ", h("code", { text: "argus wrap --script file.lua -- …" }), ".");
  const alertList = h("tbody", {}, alerts.alerts.map(alertRow));
  const alertTable = h("table", { class: "list" }, h("thead", {}, h("tr", {}, ["Time", "Level", "Script", "Message", "Call"].map((t) => h("th", { text: t })))), alertList);
  const metricPanels = metrics.metrics.length ? h("div", { class: "cards" }, metrics.metrics.map(metricCard))
    : h("div", { class: "panel empty", text: "No metrics yet. Scripts emit them with argus.metric.counter / gauge / histogram." });
  const errors = scripts.errors.length ? h("div", { class: "panel" }, h("h3", { text: "Recent script errors" }),
    h("ul", { class: "changes" }, scripts.errors.map((e) => h("li", { class: "removed", text: `${when(e.time)} · ${e.script}: ${e.message || ""}${e.location ? " (" + e.location + ")" : ""}` })))) : null;
  fill(view, h("h1", { text: "Scripts" }), h("div", { class: "sub", text: "Lua scripts loaded by argus wrap: their state, the alerts they raised and the metrics they derived." }),
    h("h2", { text: "Status" }), statusTable, errors, h("h2", { text: "Alerts" }),
    alerts.alerts.length ? alertTable : h("div", { class: "panel empty", id: "no-alerts", text: "No alerts." }),
    h("h2", { text: "Metrics" }), metricPanels);
  watch((name, d) => {
    if (name === "alert") {
      const row = alertRow(d);
      row.classList.add("fresh");
      alertList.prepend(row);
      const empty = document.getElementById("no-alerts");
      if (empty) empty.replaceWith(alertTable);
    }
    if (name === "scripts" || name === "metrics" || name === "reset") scheduleRefresh();
  });
}

// A counter's samples are increments: its value is their total (and its line the running total);
// a gauge's is its last sample; a histogram's, its distribution.
function metricCard(m) {
  const samples = (m.samples || []).map((s) => s.value).filter((v) => v !== null);
  const labels = Object.entries(m.labels || {}).map(([k, v]) => `${k}=${v}`).join(", ");
  let value, hint, line = samples;
  if (m.kind === "counter") {
    value = num(m.sum);
    hint = `total of ${plural(m.count, "increment")} · last +${num(m.last)}`;
    let running = 0;
    line = samples.map((v) => (running += v));
  } else if (m.kind === "histogram") {
    value = num(m.p50);
    hint = `p50 of ${plural(m.count, "sample")} · min ${num(m.min)} · p95 ${num(m.p95)} · max ${num(m.max)}`;
  } else {
    value = num(m.last);
    hint = `last of ${plural(m.count, "sample")} · min ${num(m.min)} · max ${num(m.max)}`;
  }
  return h("div", { class: "card metric", "data-metric": m.name }, h("div", { class: "l", text: `${m.name}${labels ? " {" + labels + "}" : ""} · ${m.kind} · ${m.script}` }),
    h("div", { class: "v", text: value }), h("div", { class: "hint", text: hint }), line.length > 1 ? sparkline(line) : null);
}

let refreshTimer = null;
function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; route(); }, 1500);
}

function alertRow(a) {
  return h("tr", {}, h("td", {}, when(a.time)),
    h("td", {}, h("span", { class: `badge ${a.level === "critical" || a.level === "error" ? "err" : a.level === "warning" ? "warn" : "info"}`, text: a.level || "info" })),
    h("td", {}, a.script), h("td", {}, a.message || ""), h("td", {}, a.call_id ? link(`#/calls/${a.call_id}`, a.call_id) : "–"));
}

// ---------- start ----------

window.addEventListener("hashchange", route);
live.start();
route();
