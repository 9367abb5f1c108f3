// Faults argus injected (argus wrap --faults) and the verdicts on what the agent did with them:
// an injected answer is always marked, so it is never taken for the server's.
"use strict";

// "injected: error" for a call argus answered or tampered with, else null.
function faultLabel(fault) {
  return fault ? `injected: ${fault.kind}` : null;
}

// What the fault did, for a tooltip or a notice.
function faultDescription(fault) {
  if (!fault) return "";
  const whose = fault.answered_by_argus ? "The outcome shown is argus's, not the server's." : fault.kind === "latency"
    ? "The outcome is the server's, delivered late." : "The server's answer did not reach the client whole.";
  return `Argus injected this fault: ${fault.kind} (${fault.source}${fault.detail ? `; ${fault.detail}` : ""}). ${whose}`;
}

function faultBadge(c) {
  return c.fault ? h("span", { class: "badge warn", text: faultLabel(c.fault), title: faultDescription(c.fault) }) : null;
}

function faultNotice(c) {
  return c.fault ? h("div", { class: "notice fault", id: "fault-notice" }, h("strong", { text: "Injected by argus. " }), faultDescription(c.fault)) : null;
}

// The badge class for a verdict's level.
function verdictTone(level) {
  return level === "failure" ? "err" : level === "warning" ? "warn" : "muted";
}

function verdictsPanel(report) {
  const head = h("p", { class: "hint", text: `${plural(report.calls, "tool call")}, ${plural(report.faults, "fault")} injected. `
    + "What the agent did after each failure (injected or real) and each empty result, and where it repeated itself; "
    + "argus verdict --run " + report.run_id + " says the same, and fails on findings at the failure level." });
  if (!report.verdicts.length) return h("div", { class: "panel", id: "verdicts" }, head, h("div", { class: "empty", text: "No findings." }));
  return h("div", { class: "panel", id: "verdicts" }, head, h("ul", { class: "verdicts" }, report.verdicts.map((v) => h("li", {},
    h("span", { class: `badge ${verdictTone(v.level)}`, text: v.level }), " ", h("strong", { text: v.kind }), " ",
    v.call_id !== null ? link(`#/calls/${v.call_id}`, `call ${v.call_id}`) : null,
    v.source !== "argus" ? h("span", { class: "muted", text: ` (${v.source})` }) : null,
    h("div", { text: v.message })))));
}
