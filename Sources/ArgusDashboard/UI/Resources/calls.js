// Calls: the list (filtered, paged, live) and one call whole, with its rounds and the replay panel.
"use strict";

function statusBadge(c) {
  if (c.status === "ok" && !c.is_error) return h("span", { class: "badge ok", text: "ok" });
  if (c.status === "cancelled") return h("span", { class: "badge muted", text: "cancelled" });
  if (c.status === "no_response") return h("span", { class: "badge warn", text: "no response" });
  if (c.status === "input_required") return h("span", { class: "badge info", text: "input required", title: "The server asked the client for input; the client's retry is the next round" });
  if (c.status === "ended") return h("span", { class: "badge muted", text: "ended", title: c.error_message || "The stream was closed" });
  return h("span", { class: "badge err", text: c.error_code !== null && c.error_code !== undefined ? `error ${c.error_code}` : "error" });
}

function roundBadge(c) {
  if (!c.round) return null;
  return h("span", { class: "badge info", text: `round ${c.round}`, title: c.first_call_id ? `A retry of call ${c.first_call_id} with the answers it asked for` : "The first round of a multi round-trip call" });
}

const FILTERS = ["server", "tool", "method", "status", "errors", "q", "since", "until", "run"];

function callRow(c) {
  return h("tr", { class: "row", "data-call": c.id, onclick: () => { location.hash = `#/calls/${c.id}`; } },
    h("td", { class: "num" }, link(`#/calls/${c.id}`, c.id)),
    h("td", {}, when(c.started_at)),
    h("td", {}, c.server),
    h("td", {}, callName(c), c.run_kind === "mock" ? h("span", { class: "badge info", text: "mocked", title: mockedFrom(c) })
      : c.replay_of ? h("span", { class: "badge info", text: `replay of ${c.replay_of}` })
      : c.run_kind === "replay" ? h("span", { class: "badge info", text: "replay run" }) : null, roundBadge(c), faultBadge(c)),
    h("td", {}, statusBadge(c)),
    h("td", { class: "num" }, duration(c.latency_us)),
    h("td", { class: "muted" }, (c.error_message || "").slice(0, 120)));
}

// Whether a call that just arrived belongs in the list the filter shows (the server filtered the
// rest). A text search or an end time cannot be judged here: those lists reload to show more.
function matches(c, query, withReplays) {
  if (query.get("server") && c.server !== query.get("server")) return false;
  if (query.get("tool") && c.tool !== query.get("tool")) return false;
  if (query.get("method") && c.method !== query.get("method")) return false;
  if (query.get("status") && c.status !== query.get("status")) return false;
  if (query.get("errors") && !c.is_error) return false;
  if (query.get("run") && String(c.run_id) !== query.get("run")) return false;
  if (!query.get("run") && c.run_kind === "replay" && !withReplays) return false;
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
    if (name !== "call" || !matches(c, query, includeReplays()) || body.querySelector(`tr[data-call="${c.id}"]`)) return;
    const row = callRow(c);
    row.classList.add("fresh");
    body.prepend(row);
  });
}

// One call

function paramHints(schema) {
  if (!schema || !schema.properties) return h("div", { class: "hint", text: "No input schema recorded." });
  const required = new Set(schema.required || []);
  return h("ul", { class: "params-hints" }, Object.entries(schema.properties).map(([name, p]) => h("li", {},
    h("code", { text: name }), required.has(name) ? h("span", { class: "req", text: " required" }) : null,
    h("span", { class: "muted", text: ` ${p.type ? (Array.isArray(p.type) ? p.type.join(" | ") : p.type) : "any"}` }),
    p.enum ? h("span", { class: "muted", text: ` one of ${p.enum.map((x) => JSON.stringify(x)).join(", ")}` }) : null,
    p.description ? h("div", { class: "hint", text: p.description }) : null)));
}

async function callView(id) {
  setNav("calls");
  const c = await api(`/api/calls/${id}`);
  const schema = c.schema;
  const destructive = !!(schema && schema.annotations && schema.annotations.destructiveHint === true);
  const outcome = c.error ? { error: c.error } : { result: c.result };

  const summary = h("div", { class: "panel" }, h("dl", { class: "grid kv" },
    kv("Status", statusBadge(c)), kv("Latency", duration(c.latency_us)), kv("Started", when(c.started_at)),
    kv("Run", link(`#/runs/${c.run_id}`, `run ${c.run_id}`)), kv("Server", c.server), kv("Method", c.method),
    kv("JSON-RPC id", JSON.stringify(c.jsonrpc_id)), kv("Direction", c.direction === "c2s" ? "client → server" : "server → client"),
    Number(c.progress_count) > 0 ? kv("Progress notifications", c.progress_count) : null,
    c.run_kind === "mock" ? kv("Answered by", mockedFrom(c)) : null,
    c.replay_of ? kv(c.run_kind === "mock" ? "Recorded answer" : "Replay of", link(`#/calls/${c.replay_of}`, `call ${c.replay_of}`)) : null,
    c.round ? kv("Round", `${c.round} of ${c.rounds.length}`) : null,
    kv("Size", `${c.bytes_in ?? "–"} B in, ${c.bytes_out ?? "–"} B out`)));

  const paramsPanel = h("div", { class: "panel" }, h("h3", { text: "Params" }),
    c.redacted_paths.length ? h("div", { class: "hint" }, `Redacted before storage: ${c.redacted_paths.join(", ")}.`,
      c.sealed ? " Their originals are sealed: a replay sends the real values." : " Replay needs them supplied.") : null,
    jsonView(c.params, { redacted: c.redacted_paths }));
  const resultPanel = h("div", { class: "panel" }, h("h3", { text: c.error ? "Error" : "Result" }),
    c.error && c.error.message ? h("div", { class: "error-box", text: c.error.message }) : null,
    c.error && !c.result ? jsonView(c.error, { redacted: c.error_redacted_paths }) : jsonView(c.result, { redacted: c.result_redacted_paths }));

  const parts = [h("h1", {}, `Call ${c.id} · ${callName(c)}`, destructive ? h("span", { class: "badge err", text: "destructive" }) : null),
    h("div", { class: "sub", text: `${c.server} · ${c.method}` }), faultNotice(c), summary, h("div", { class: "cols" }, paramsPanel, resultPanel)];

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
  if (c.replayable) parts.push(replayPanel(c, outcome));
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
