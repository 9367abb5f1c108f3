// Scripts: the Lua scripts' status and errors, the alerts they raised, the metrics they derived.
"use strict";

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

// What a metric's card says. A counter's samples are increments: its value is their total (and its
// line the running total); a gauge's is its last sample; a histogram's, its distribution.
function metricSummary(m) {
  const samples = (m.samples || []).map((s) => s.value).filter((v) => v !== null);
  const labels = Object.entries(m.labels || {}).map(([k, v]) => `${k}=${v}`).join(", ");
  const title = `${m.name}${labels ? " {" + labels + "}" : ""} · ${m.kind} · ${m.script}`;
  if (m.kind === "counter") {
    let running = 0;
    return { title, value: num(m.sum), hint: `total of ${plural(m.count, "increment")} · last +${num(m.last)}`,
      line: samples.map((v) => (running += v)) };
  }
  if (m.kind === "histogram") {
    return { title, value: num(m.p50), hint: `p50 of ${plural(m.count, "sample")} · min ${num(m.min)} · p95 ${num(m.p95)} · max ${num(m.max)}`,
      line: samples };
  }
  return { title, value: num(m.last), hint: `last of ${plural(m.count, "sample")} · min ${num(m.min)} · max ${num(m.max)}`, line: samples };
}

function metricCard(m) {
  const summary = metricSummary(m);
  return h("div", { class: "card metric", "data-metric": m.name }, h("div", { class: "l", text: summary.title }),
    h("div", { class: "v", text: summary.value }), h("div", { class: "hint", text: summary.hint }),
    summary.line.length > 1 ? sparkline(summary.line) : null);
}

function alertRow(a) {
  return h("tr", {}, h("td", {}, when(a.time)),
    h("td", {}, h("span", { class: `badge ${a.level === "critical" || a.level === "error" ? "err" : a.level === "warning" ? "warn" : "info"}`, text: a.level || "info" })),
    h("td", {}, a.script), h("td", {}, a.message || ""), h("td", {}, a.call_id ? link(`#/calls/${a.call_id}`, a.call_id) : "–"));
}
