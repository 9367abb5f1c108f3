// Replay: the editor, the request, and the diff of what came back. The page sends what the user
// meant: a JSON merge patch over the recorded arguments, so values left alone (redacted ones
// among them) are sent as recorded. The rules are the server's: before a replay, and as the user
// types, it says what is wrong with edited arguments (the tool's schema) and, for a tool that may
// change something, what to ask first, in the words `argus replay` uses.
"use strict";

// The editor's text as arguments ({ value }), or why it cannot be sent ({ problem }).
function editedArguments(text) {
  let value;
  try { value = JSON.parse(text); } catch (e) { return { problem: `not valid JSON: ${e.message}` }; }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { problem: "the parameters must be a JSON object" };
  return { value };
}

function replayPanel(c, recorded) {
  const args = c.method === "tools/call" ? ((c.params && c.params.arguments) || {}) : (c.params || {});
  const editor = h("textarea", { id: "replay-params", spellcheck: "false", "aria-label": "Parameters to replay with" });
  editor.value = JSON.stringify(args, null, 2);
  const problems = h("ul", { class: "problems" });
  const ignore = h("input", { id: "replay-ignore", size: 48, placeholder: "e.g. observed_at, /result/content/0/text" });
  const button = h("button", { class: "primary", id: "replay-button" }, "Replay");
  const output = h("div", { id: "replay-output" });
  const confirmBox = h("div");

  const show = (found) => {
    fill(problems, ...found.map((p) => h("li", { text: p })));
    button.disabled = found.length > 0;
  };
  // What the server would refuse. Arguments as recorded are not checked again: only edits are.
  const check = (edited) => api(`/api/calls/${c.id}/replay/check`,
    { method: "POST", body: { arguments: mergePatch(args, edited) === undefined ? undefined : edited } });

  // As the user types: the JSON here, edits by the server; only the answer for the latest text is shown.
  let edits = 0;
  const validate = async () => {
    const edit = ++edits;
    const edited = editedArguments(editor.value);
    if (edited.problem || mergePatch(args, edited.value) === undefined) return show(edited.problem ? [edited.problem] : []);
    show([]);
    let found;
    try { found = (await check(edited.value)).problems; } catch (error) { found = [`the parameters could not be checked: ${error.message}`]; }
    if (edit === edits) show(found);
  };
  editor.addEventListener("input", validate);

  const send = async (confirmed) => {
    const edited = editedArguments(editor.value);
    if (edited.problem) return show([edited.problem]);
    fill(confirmBox);
    button.disabled = true;
    fill(output, h("div", { class: "empty", text: "Replaying… (starting the server, repeating the handshake)" }));
    try {
      const ignored = ignore.value.split(",").map((x) => x.trim()).filter(Boolean);
      const body = { params_patch: mergePatch(args, edited.value), confirm_destructive: confirmed, ignore: ignored };
      fill(output, replayResult(await api(`/api/calls/${c.id}/replay`, { method: "POST", body }), recorded));
    } catch (error) {
      fill(output, errorBox(error));
    } finally {
      validate();
    }
  };
  button.addEventListener("click", async () => {
    const edited = editedArguments(editor.value);
    if (edited.problem) return show([edited.problem]);
    fill(confirmBox);
    fill(output);  // the last replay's result goes at once: what shows next is this one's
    let answer;
    try { answer = await check(edited.value); } catch (error) { return fill(output, errorBox(error)); }
    show(answer.problems);
    if (answer.problems.length) return;
    if (!answer.confirmation) return send(false);
    fill(confirmBox, h("div", { class: "confirm" }, h("strong", { text: answer.confirmation }), " ",
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
      const item = h("li", { class: ch.kind, text: changeText(ch) });
      if (ch.lines) item.append(h("pre", { class: "log", text: ch.lines.map((l) => `${l.kind === "added" ? "+" : "-"} ${l.text}`).join("\n") }));
      return item;
    })));
  }
  if (r.actual) {
    const marks = diffMarks(r.changes, r.expected, r.actual);
    parts.push(h("div", { class: "cols", id: "replay-diff" },
      h("div", {}, h("h3", { text: "Recorded" }), jsonView(r.expected || recorded, { marks: marks.recorded, redacted: r.expected_redacted_paths })),
      h("div", {}, h("h3", { text: "Replayed" }), jsonView(r.actual, { marks: marks.replayed, redacted: r.actual_redacted_paths }))));
  }
  return h("div", {}, parts);
}
