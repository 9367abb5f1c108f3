// The JSON viewer: a value as collapsible, syntax-coloured text. `marks` (pointer → "changed",
// "added", "removed") colours a diff; `redacted` lists the pointers of values redaction replaced
// (the server says which: the page does not recognise markers itself).
"use strict";

function jsonView(value, options = {}) {
  const marks = options.marks || new Map();
  const redacted = new Set(options.redacted || []);
  const collapseDepth = options.collapseDepth ?? 3;
  const root = h("div", { class: "json" });
  // Whatever leads to a marked value stays open.
  const toOpen = new Set();
  for (const pointer of marks.keys()) {
    const parts = pointer.split("/");
    for (let i = 1; i < parts.length; i++) toOpen.add(parts.slice(0, i).join("/"));
  }

  function scalar(v, pointer) {
    if (redacted.has(pointer)) return h("span", { class: "s redacted", text: JSON.stringify(v), title: "Redacted before storage" });
    if (v === null) return h("span", { class: "z", text: "null" });
    if (typeof v === "string") return h("span", { class: "s", text: JSON.stringify(v) });
    if (typeof v === "number") return h("span", { class: "n", text: String(v) });
    return h("span", { class: "b", text: String(v) });
  }

  function node(key, v, path, depth, last) {
    const pointer = pointerOf(path);
    const mark = marks.get(pointer);
    const keyPart = key === null ? [] : [h("span", { class: "k", text: JSON.stringify(key) }), ": "];
    const comma = last ? "" : ",";
    if (v !== null && typeof v === "object") {
      const isArray = Array.isArray(v);
      const entries = isArray ? v.map((x, i) => [i, x]) : Object.entries(v);
      const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
      if (entries.length === 0) return h("div", { class: `line${mark ? " m-" + mark : ""}` }, keyPart, open + close + comma);
      const details = h("details", { class: mark ? `m-${mark}` : null });
      if (depth < collapseDepth || options.open || toOpen.has(pointer)) details.open = true;
      details.append(h("summary", {}, keyPart, open, h("span", { class: "muted", text: ` ${plural(entries.length, isArray ? "item" : "key")}` })));
      entries.forEach(([k, x], i) => details.append(node(isArray ? null : k, x, path.concat([k]), depth + 1, i === entries.length - 1)));
      details.append(h("div", {}, close + comma));
      return details;
    }
    return h("div", { class: `line${mark ? " m-" + mark : ""}` }, keyPart, scalar(v, pointer), comma);
  }

  root.append(node(null, value, [], 0, true));
  return root;
}
