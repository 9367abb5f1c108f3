"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { duration, percent, num, clock, plural, callName, clientText, short, changeText, mockedFrom, transportDetail, levelClass } = require("./load.js").load("format.js");

test("durations read in the unit that suits them", () => {
  assert.equal(duration(null), "–");
  assert.equal(duration(undefined), "–");
  assert.equal(duration(999), "999µs");
  assert.equal(duration(1500), "1.5ms");
  assert.equal(duration(2_345_678), "2.35s");
  assert.equal(duration(90e6), "1.5min");
});

test("numbers have no float noise and missing ones are a dash", () => {
  assert.equal(num(0.1 + 0.2), (0.3).toLocaleString());
  assert.equal(num(1 / 3), (0.333).toLocaleString());
  assert.equal(num(1234.5678), (1234.57).toLocaleString());
  assert.equal(num(42), (42).toLocaleString());
  assert.equal(num("7"), (7).toLocaleString());
  for (const missing of [null, undefined, "", "n/a"]) assert.equal(num(missing), "–");
  assert.equal(percent(0.125), "12.5%");
});

test("clock times are 24-hour", () => {
  const text = clock(new Date(2026, 0, 1, 15, 7, 9));
  assert.match(text, /15.07/);
  assert.doesNotMatch(text, /PM|AM/i);
  assert.match(clock(new Date(2026, 0, 1, 15, 7, 9), true), /15.07.09/);
});

test("names, plurals and clients", () => {
  assert.equal(plural(1, "call"), "1 call");
  assert.equal(plural(2, "call"), "2 calls");
  assert.equal(callName({ tool: "echo", method: "tools/call" }), "echo");
  assert.equal(callName({ tool: null, target: "file:///a", method: "resources/read" }), "resources/read file:///a");
  assert.equal(callName({ tool: null, target: null, method: "ping" }), "ping");
  assert.equal(clientText({ kind: "wrap", client: { name: "claude-code", version: "1.2" } }), "claude-code 1.2");
  assert.equal(clientText({ kind: "replay", client: { name: "claude-code", version: null } }), "argus replay, as claude-code");
  assert.equal(clientText({ kind: "replay", client: null }), "argus replay");
});

test("a mocked call says it was answered from a recording", () => {
  assert.equal(mockedFrom({ run_kind: "mock", replay_of: 12 }), "argus mock, from recorded call 12");
  assert.equal(mockedFrom({ run_kind: "mock", replay_of: null }), "argus mock (no recorded answer)");
});

test("a replay's differences read as one line each, long values cut", () => {
  assert.equal(changeText({ kind: "changed", path: "/result/x", before: 42, after: 48 }), "~ /result/x: 42 → 48");
  assert.equal(changeText({ kind: "added", path: "/result/y", after: "new" }), '+ /result/y: "new"');
  assert.equal(changeText({ kind: "removed", path: "/result/z", before: [1] }), "- /result/z: [1]");
  const long = short("x".repeat(500));
  assert.equal(long.length, 120);
  assert.ok(long.endsWith("…"));
  assert.equal(short({ a: 1 }), '{"a":1}');
});

test("a transport event's particulars read on one line, in the server's words", () => {
  const unauthorized = { event: "http_status", text: "401 Unauthorized (Bearer)", level: "error", status: 401, http_method: "POST",
    request_method: "tools/call", challenge_scheme: "Bearer", session: null, via: null, error: null };
  assert.equal(transportDetail(unauthorized), "POST · tools/call · Bearer challenge");
  const broken = { event: "stream_broken", http_method: "GET", session: "3f2a9c1e…", via: "proxy", error: "connection reset" };
  assert.equal(transportDetail(broken), "GET · session 3f2a9c1e… · argus proxy · connection reset");
  assert.equal(transportDetail({ event: "session_started" }), "");
  assert.equal(transportDetail(null), "");
  assert.equal(levelClass("error"), "err");
  assert.equal(levelClass("warning"), "warn");
  assert.equal(levelClass("info"), "muted");
});
