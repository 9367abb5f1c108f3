// Building the page. Every recorded value reaches it through textContent, never as HTML.
"use strict";

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// replaceChildren without the nulls that optional parts leave.
function fill(el, ...children) { el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false)); }

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  for (const child of children.flat()) if (child) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

function link(href, text) { return h("a", { href, text }); }

function errorBox(error) { return h("div", { class: "error-box", text: error.message || String(error) }); }

function kv(label, value, wide) { return h("div", { class: wide ? "wide" : null }, h("dt", { text: label }), h("dd", {}, value)); }

function card(label, value) { return h("div", { class: "card" }, h("div", { class: "v", text: String(value) }), h("div", { class: "l", text: label })); }

// Tabs whose bodies are built (and loaded) when shown.
function tabbed(tabs) {
  const body = h("div");
  const bar = h("div", { class: "tabs", role: "tablist" });
  const show = async (i) => {
    for (const [j, b] of [...bar.children].entries()) b.classList.toggle("active", i === j);
    fill(body, h("div", { class: "empty", text: "Loading…" }));
    try { fill(body, await tabs[i][1]()); } catch (e) { fill(body, errorBox(e)); }
  };
  tabs.forEach(([label], i) => bar.append(h("button", { role: "tab", onclick: () => show(i), text: label })));
  show(0);
  return h("div", {}, bar, body);
}
