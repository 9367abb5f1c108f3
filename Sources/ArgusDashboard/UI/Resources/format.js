// Text as the page shows it: durations, times, numbers, names. Pure functions (Tests/UI).
"use strict";

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

function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }

// A mock run's calls were answered from a recording, not by a server: said wherever they are shown.
function mockedFrom(c) { return c.replay_of ? `argus mock, from recorded call ${c.replay_of}` : "argus mock (no recorded answer)"; }

function callName(c) { return c.tool || (c.target ? `${c.method} ${c.target}` : c.method); }

function clientText(run) {
  const client = run.client ? `${run.client.name}${run.client.version ? " " + run.client.version : ""}` : "";
  return run.kind === "replay" ? `argus replay${client ? ", as " + client : ""}` : client;
}

// A JSON value on one line, cut at 120 characters.
function short(v) {
  const text = JSON.stringify(v);
  return text && text.length > 120 ? text.slice(0, 119) + "…" : text;
}

// One difference a replay found, as a line: `~ /path: before → after`, `+ /path: after`, `- /path: before`.
function changeText(change) {
  if (change.kind === "changed") return `~ ${change.path}: ${short(change.before)} → ${short(change.after)}`;
  if (change.kind === "added") return `+ ${change.path}: ${short(change.after)}`;
  return `- ${change.path}: ${short(change.before)}`;
}

// A transport event's particulars on one line, from the fields the server sends:
// "POST · tools/call · Bearer challenge · session 3f2a9c1e…".
function transportDetail(t) {
  if (!t) return "";
  return [t.http_method, t.request_method, t.challenge_scheme ? `${t.challenge_scheme} challenge` : null,
    t.session ? `session ${t.session}` : null, t.via === "proxy" ? "argus proxy" : null, t.error].filter(Boolean).join(" · ");
}

// The badge for a level the server gave an event: error, warning or info.
function levelClass(level) { return level === "error" ? "err" : level === "warning" ? "warn" : "muted"; }
