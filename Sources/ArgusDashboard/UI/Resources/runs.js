// The runs list and one run: why it ended, its calls as a waterfall, its notifications and
// stderr, its tools; a new run begun by hand, a run stopped or deleted.
"use strict";

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

// How a run travelled, as the server words it: stdio, or Streamable HTTP to a host; its MCP
// session (argus records only the first 8 characters) and its latest transport event of note.
function transportCell(run) {
  const t = run.transport;
  if (!t) return null;
  return h("span", { class: "transport-cell" },
    h("span", { class: "transport-kind", text: t.label, title: t.text + (t.url ? ` — ${t.url}` : "") }),
    sessionBadge(t), eventBadge(t.last_event));
}

function sessionBadge(t) {
  if (!t || !t.session) return null;
  return h("span", { class: "badge muted mono session", text: t.session,
    title: `MCP session ${t.session} (argus records only the start of a session id: the whole id would let others use the session)` });
}

function eventBadge(e) {
  if (!e) return null;
  return h("span", { class: `badge ${levelClass(e.level)} transport-event`, text: e.text,
    title: [`${e.event} at ${when(e.time)}`, transportDetail(e)].filter(Boolean).join(" · ") });
}

function runRow(run) {
  return h("tr", { class: "row", "data-run": run.id, onclick: () => { location.hash = `#/runs/${run.id}`; } },
    h("td", { class: "num" }, link(`#/runs/${run.id}`, run.id)),
    h("td", {}, run.server, run.kind === "replay" ? h("span", { class: "badge info", text: "replay" })
      : run.kind === "mock" ? h("span", { class: "badge info", text: "mock", title: "Answered by argus mock from a recording" })
      : run.kind === "chaos" ? h("span", { class: "badge warn", text: "chaos", title: "Faults were injected into this run (argus wrap --faults)" }) : null,
      run.label ? h("span", { class: "badge muted label", text: run.label, title: "A run started by hand" }) : null),
    h("td", {}, when(run.started_at)),
    h("td", { class: "num" }, run.ended_at ? duration(run.ended_at_us - run.started_at_us) : "running"),
    h("td", { class: "num" }, run.call_count),
    h("td", { class: "num" }, Number(run.error_count) > 0 ? h("span", { class: "err-text", text: run.error_count }) : "0"),
    h("td", {}, endBadge(run)),
    h("td", {}, transportCell(run)),
    h("td", {}, clientText(run)));
}

// "New run": the live wraps (all, or one server's) end their runs and go on in a new one, named by the label.
// `live_wrap`: an argus wrap is recording the run right now (the server knows; a run whose wrap was
// killed stays open in the database).
function newRunPanel(runs) {
  const servers = [...new Set(runs.filter((r) => r.live_wrap).map((r) => r.server))].sort();
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
    h("thead", {}, h("tr", {}, ["Run", "Server", "Started", "Duration", "Calls", "Errors", "Ended", "Transport", "Client"].map((t, i) =>
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
      h("h1", {}, `Run ${run.id} · ${run.server}`, run.label ? h("span", { class: "badge muted label", text: run.label }) : null,
        run.kind === "chaos" ? h("span", { class: "badge warn", text: "chaos: faults injected" }) : null),
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
        run.transport ? kv("Transport", h("span", { id: "run-transport", text: run.transport.text })) : null,
        run.transport && run.transport.listen ? kv("argus proxy listened on", h("span", { class: "mono", text: run.transport.listen })) : null,
        run.transport && run.transport.kind === "http" ? kv("MCP session", h("span", { id: "run-session" }, sessionBadge(run.transport) || "none")) : null,
        run.transport && run.transport.last_event ? kv("Last transport event", h("span", { id: "run-transport-event" }, eventBadge(run.transport.last_event))) : null,
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
        title: `${callName(c)} · ${duration(c.latency_us)} · ${c.status}${c.http_answer ? " · HTTP " + c.http_answer.text : ""}` });
      bar.style.left = `${(100 * (c.started_at_us - start)) / span}%`;
      bar.style.width = `${Math.max(0.2, (100 * (c.latency_us || 0)) / span)}%`;
      return h("div", { class: "wf-row", "data-call": c.id, onclick: () => { location.hash = `#/calls/${c.id}`; } },
        h("div", { class: "wf-label", title: callName(c) }, c.is_error ? h("span", { class: "err-text", text: "✗ " }) : "", callName(c), faultBadge(c), httpBadge(c)),
        h("div", { class: "wf-track" }, bar),
        h("div", { class: "num mono", text: duration(c.latency_us) }));
    }));
  };
  renderTimeline();

  const notifications = notificationList(id);
  const tabs = tabbed([
    ["Timeline", () => h("div", { class: "panel" }, data.next_cursor ? h("div", { class: "hint", text: "Showing the latest 500 calls." }) : null, timeline)],
    ["Verdicts", async () => verdictsPanel(await api(`/api/runs/${id}/verdicts`))],
    [run.transport && run.transport.kind === "http" ? "Notifications & transport" : "Notifications", async () => { await notifications.load(); return notifications.element; }],
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
  if (run.live_wrap) {
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

// The HTTP status a call's answer came with, where a transport frame recorded one (a non-2xx status).
function httpBadge(c) {
  const a = c.http_answer;
  if (!a) return null;
  return h("span", { class: `badge ${levelClass(a.level)} http-answer`, text: `HTTP ${a.status}`, title: [a.text, transportDetail(a)].filter(Boolean).join(" · ") });
}

// What HTTP did, as a row of its own: the event, its status and method, a 401's challenge scheme.
function transportRow(e) {
  const t = e.transport;
  return h("tr", { "data-seq": e.seq, class: `transport ${t.level}` }, h("td", { class: "num" }, when(e.time)),
    h("td", { title: "what HTTP did (recorded by argus, never sent to the client)", text: "⇄" }),
    h("td", {}, h("span", { class: "badge info", text: "transport" }), " ", h("span", { class: "mono", text: t.event })),
    h("td", {}, h("details", {}, h("summary", {}, h("span", { class: `badge ${levelClass(t.level)}`, text: t.text }),
      transportDetail(t) ? h("span", { class: "muted transport-detail", text: " " + transportDetail(t) }) : null),
      jsonView(e.params, { collapseDepth: 2, redacted: e.redacted_paths }))));
}

// The run's notifications (log messages, progress, resource updates, list changes) and, in a remote
// run, what HTTP did (transport events, which a toggle hides), oldest first, paged.
function notificationList(runId) {
  const body = h("tbody");
  const table = h("table", { class: "list", id: "notifications-table" },
    h("thead", {}, h("tr", {}, ["Time", "", "Method", "What it said"].map((t) => h("th", { text: t })))), body);
  const empty = h("div", { class: "empty", text: "No notifications in this run." });
  const toggle = h("input", { type: "checkbox", id: "show-transport", checked: true,
    onchange: () => table.classList.toggle("hide-transport", !toggle.checked) });
  const toolbar = h("label", { class: "toggle", hidden: true }, toggle, "Show transport events (what HTTP did)");
  const element = h("div", {}, toolbar, table, empty);
  let after = 0, loaded = false, busy = false;
  const row = (e) => {
    if (e.transport) return transportRow(e);
    const detail = e.params !== null && e.params !== undefined ? h("details", {}, h("summary", { text: e.summary || "(no params)" }), jsonView(e.params, { collapseDepth: 2, redacted: e.redacted_paths }))
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
        const page = await api(`/api/runs/${runId}/timeline?kind=notification,transport,other&limit=500&after=${after}`);
        body.append(...page.entries.map(row));
        if (page.entries.length) after = page.entries[page.entries.length - 1].seq;
        if (!page.next_cursor) break;
      }
      loaded = true;
      table.hidden = !body.children.length;
      empty.hidden = !!body.children.length;
      toolbar.hidden = !body.querySelector("tr.transport");
    } finally { busy = false; }
  };
  return { element, more: () => { if (loaded) more(); }, load: () => (loaded ? Promise.resolve() : more()) };
}
