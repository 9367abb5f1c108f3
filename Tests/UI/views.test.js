"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { editedArguments, matches, metricSummary } = require("./load.js").load("format.js", "json.js", "calls.js", "replay.js", "scripts.js");

test("the replay editor's text is sent only as a JSON object", () => {
  assert.deepEqual(editedArguments('{"a": 6, "b": 8}'), { value: { a: 6, b: 8 } });
  assert.match(editedArguments('{"a": 6,').problem, /^not valid JSON/);
  for (const text of ["[1]", "null", "3", '"x"']) assert.equal(editedArguments(text).problem, "the parameters must be a JSON object");
});

test("a call that arrives live joins the list only if the filter would show it", () => {
  const call = { server: "github", tool: "search", method: "tools/call", status: "ok", is_error: false, run_id: 3, run_kind: "wrap",
    started_at: "2026-01-01T15:00:00Z" };
  const q = (text) => new URLSearchParams(text);
  assert.ok(matches(call, q(""), false));
  assert.ok(matches(call, q("server=github&tool=search&status=ok&run=3"), false));
  assert.ok(!matches(call, q("server=gitlab"), false));
  assert.ok(!matches(call, q("errors=1"), false));
  assert.ok(!matches(call, q("q=search"), false));  // text searches reload instead
  assert.ok(!matches(call, q("since=2026-01-02T00:00:00Z"), false));
  const replayed = { ...call, run_kind: "replay" };
  assert.ok(!matches(replayed, q(""), false));
  assert.ok(matches(replayed, q(""), true));
  assert.ok(matches(replayed, q("run=3"), false));
});

test("a counter shows its total, a gauge its last value, a histogram its median", () => {
  const samples = [{ value: 0.1 }, { value: 0.1 }, { value: null }, { value: 0.1 }];
  const counter = metricSummary({ name: "weight", kind: "counter", script: "w", labels: {}, sum: 0.30000000000000004, count: 3, last: 0.1, samples });
  assert.equal(counter.value, (0.3).toLocaleString());
  assert.equal(counter.title, "weight · counter · w");
  assert.deepEqual(counter.line.map((v) => Math.round(v * 10)), [1, 2, 3]);
  const gauge = metricSummary({ name: "load", kind: "gauge", script: "w", labels: { host: "a" }, last: 1 / 3, count: 3, min: 0, max: 1, samples });
  assert.equal(gauge.value, (0.333).toLocaleString());
  assert.equal(gauge.title, "load {host=a} · gauge · w");
  assert.match(gauge.hint, /^last of 3 samples/);
  assert.equal(metricSummary({ name: "t", kind: "histogram", script: "w", p50: 12, count: 1, samples: [] }).value, (12).toLocaleString());
});

test("an injected call says whose outcome it shows", () => {
  const { faultDescription, faultLabel, verdictTone } = require("./load.js").load("format.js", "verdicts.js");
  assert.equal(faultLabel(null), null);
  assert.equal(faultLabel({ kind: "timeout" }), "injected: timeout");
  const answered = faultDescription({ kind: "error", source: "faults[0]", detail: "not sent to the server", answered_by_argus: true });
  assert.match(answered, /^Argus injected this fault: error \(faults\[0\]; not sent to the server\)\. The outcome shown is argus's/);
  assert.match(faultDescription({ kind: "latency", source: "faults[1]", detail: null, answered_by_argus: false }), /the server's, delivered late/);
  assert.match(faultDescription({ kind: "malformed", source: "s", answered_by_argus: false }), /did not reach the client whole/);
  assert.equal(verdictTone("failure"), "err");
  assert.equal(verdictTone("warning"), "warn");
  assert.equal(verdictTone("info"), "muted");
});
