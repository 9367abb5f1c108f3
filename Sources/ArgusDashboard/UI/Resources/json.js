// JSON values and pointers: the pointer of a path, the deepest part of a pointer a value has,
// the merge patch between two values, and where a replay's differences sit. Pure functions (Tests/UI).
"use strict";

// RFC 6901: `~` and `/` inside a key are escaped.
function pointerOf(path) { return path.map((p) => "/" + String(p).replace(/~/g, "~0").replace(/\//g, "~1")).join(""); }

// The deepest pointer of `pointer` that exists in `value` (a change inside JSON text marks the text).
function existingPrefix(value, pointer) {
  const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  let node = value;
  const found = [];
  for (const part of parts) {
    if (node !== null && typeof node === "object" && Object.prototype.hasOwnProperty.call(node, part)) {
      node = node[part];
      found.push(part);
    } else break;
  }
  return pointerOf(found);
}

function isJSONObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

// Equal as JSON: the order of an object's keys does not matter, an array's order does.
function sameJSON(a, b) {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJSON(x, b[i]));
  }
  if (!isJSONObject(a) || !isJSONObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJSON(a[k], b[k]));
}

// The RFC 7386 merge patch that turns `original` into `edited`, or undefined when they are equal:
// members that changed, members added, and null for members removed. Arrays and other values are
// replaced whole. (A merge patch cannot set a member to null: null removes it.)
function mergePatch(original, edited) {
  if (!isJSONObject(original) || !isJSONObject(edited)) return sameJSON(original, edited) ? undefined : edited;
  const patch = {};
  for (const [key, value] of Object.entries(edited)) {
    if (!Object.prototype.hasOwnProperty.call(original, key)) patch[key] = value;
    else {
      const inner = mergePatch(original[key], value);
      if (inner !== undefined) patch[key] = inner;
    }
  }
  for (const key of Object.keys(original)) if (!Object.prototype.hasOwnProperty.call(edited, key)) patch[key] = null;
  return Object.keys(patch).length ? patch : undefined;
}

// Where a replay's differences are marked on each side of the diff: pointer → "changed", "removed"
// (recorded side) or "added" (replayed side), at the deepest part of the path each side has.
function diffMarks(changes, expected, actual) {
  const recorded = new Map(), replayed = new Map();
  for (const change of changes || []) {
    if (change.kind !== "added") recorded.set(existingPrefix(expected, change.path), change.kind === "removed" ? "removed" : "changed");
    if (change.kind !== "removed") replayed.set(existingPrefix(actual, change.path), change.kind === "added" ? "added" : "changed");
  }
  return { recorded, replayed };
}
