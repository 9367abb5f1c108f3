// Stats: latency percentiles and error rates per tool, calls over time.
"use strict";

async function statsView(query) {
  setNav("stats");
  const server = query.get("server") || "";
  const data = await api(`/api/stats?${server ? "server=" + encodeURIComponent(server) : ""}${replayParam("&")}`);
  const telemetry = await api("/api/telemetry");
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
        h("th", { class: i >= 2 && i <= 7 ? "num" : null, text: t })))), h("tbody", {}, rows)) : h("div", { class: "panel empty", text: "No calls yet." }),
    exportersPanel(telemetry.exporters));
}

// OpenTelemetry export by argus wrap processes of the last week: what reached the backend, what did not.
function exportersPanel(exporters) {
  if (!exporters.length) return null;
  const count = (n, bad) => (Number(n) > 0 && bad ? h("span", { class: "err-text", text: String(n) }) : String(n));
  return h("div", { class: "panel", id: "stats-telemetry" },
    h("h3", { text: "OpenTelemetry export" }),
    h("table", { class: "list" },
      h("thead", {}, h("tr", {}, ["Server", "Endpoint", "Process", "Updated", "Exported", "Dropped", "Rejected", "Last error"].map((t, i) =>
        h("th", { class: i >= 4 && i <= 6 ? "num" : null, text: t })))),
      h("tbody", {}, exporters.map((e) => h("tr", {},
        h("td", {}, e.server), h("td", {}, e.endpoint), h("td", {}, `${e.argus_pid}${e.finished ? " (ended)" : ""}`),
        h("td", {}, when(e.updated_at)),
        h("td", { class: "num" }, String(e.spans_exported)), h("td", { class: "num" }, count(e.spans_dropped, true)),
        h("td", { class: "num" }, count(e.spans_rejected, true)),
        h("td", { class: "muted", text: e.last_error || "" }))))));
}

function histogram(buckets) {
  const chart = barChart(buckets.map((b) => ({ value: b.count, label: `≤ ${b.le_us === null ? "∞" : duration(b.le_us)}`, short: b.le_us === null ? "∞" : duration(b.le_us) })),
    { width: 260, height: 70, label: "latency histogram" });
  chart.classList.add("hist");
  return chart;
}
