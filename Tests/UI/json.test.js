"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { pointerOf, existingPrefix, sameJSON, mergePatch, diffMarks } = require("./load.js").load("json.js");

// RFC 7386, to check that a patch does what it says.
function applyPatch(target, patch) {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const result = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyPatch(result[key], value);
  }
  return result;
}

test("pointers escape ~ and /", () => {
  assert.equal(pointerOf([]), "");
  assert.equal(pointerOf(["result", "content", 0, "text"]), "/result/content/0/text");
  assert.equal(pointerOf(["a/b", "c~d"]), "/a~1b/c~0d");
});

test("the deepest part of a pointer a value has", () => {
  const value = { result: { content: [{ text: "{\"a\": 1}" }], "a/b": 2 } };
  assert.equal(existingPrefix(value, "/result/content/0/text/a"), "/result/content/0/text");
  assert.equal(existingPrefix(value, "/result/a~1b"), "/result/a~1b");
  assert.equal(existingPrefix(value, "/error/code"), "");
});

test("equal as JSON whatever the order of keys", () => {
  assert.ok(sameJSON({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }));
  assert.ok(!sameJSON([1, 2], [2, 1]));
  assert.ok(!sameJSON({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!sameJSON({ a: [] }, { a: {} }));
  assert.ok(!sameJSON(1, "1"));
});

test("the merge patch holds only what changed", () => {
  const recorded = { operation: "multiply", a: 6, b: 7, api_key: "[REDACTED]", options: { round: true, digits: 2 }, tags: ["x"] };
  assert.equal(mergePatch(recorded, structuredClone(recorded)), undefined);
  assert.deepEqual(mergePatch(recorded, { ...recorded, b: 8 }), { b: 8 });
  const { a, ...withoutA } = recorded;
  assert.deepEqual(mergePatch(recorded, withoutA), { a: null });
  assert.deepEqual(mergePatch(recorded, { ...recorded, extra: { deep: 1 } }), { extra: { deep: 1 } });
  assert.deepEqual(mergePatch(recorded, { ...recorded, options: { round: true, digits: 3 } }), { options: { digits: 3 } });
  assert.deepEqual(mergePatch(recorded, { ...recorded, tags: ["x", "y"] }), { tags: ["x", "y"] });  // arrays are replaced whole
  assert.deepEqual(mergePatch(recorded, { ...recorded, options: "none" }), { options: "none" });
  // A value left as its redaction marker is not in the patch: the replay sends the sealed original.
  assert.ok(!("api_key" in mergePatch(recorded, { ...recorded, a: 1 })));
  for (const edited of [{ ...recorded, b: 8 }, withoutA, { x: 1 }, {}, { ...recorded, options: { round: false } }]) {
    assert.deepEqual(applyPatch(recorded, mergePatch(recorded, edited) ?? {}), edited);
  }
});

test("a replay's differences are marked where each side has them", () => {
  const expected = { result: { structuredContent: { result: 42 }, content: [{ text: "42" }] } };
  const actual = { result: { structuredContent: { result: 48, extra: true }, content: [{ text: "48" }] } };
  const marks = diffMarks([
    { kind: "changed", path: "/result/structuredContent/result" },
    { kind: "added", path: "/result/structuredContent/extra" },
    { kind: "removed", path: "/result/isError" },
    { kind: "changed", path: "/result/content/0/text/value" },
  ], expected, actual);
  assert.deepEqual([...marks.recorded], [["/result/structuredContent/result", "changed"], ["/result", "removed"], ["/result/content/0/text", "changed"]]);
  assert.deepEqual([...marks.replayed], [["/result/structuredContent/result", "changed"], ["/result/structuredContent/extra", "added"], ["/result/content/0/text", "changed"]]);
  assert.equal(diffMarks(undefined, expected, actual).recorded.size, 0);
});
