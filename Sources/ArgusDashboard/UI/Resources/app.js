// The dashboard's page: hash routes to the views, the replay toggle they share, and the start.
// Loaded last (index.html lists the scripts in order); see UI/Assets.swift.
"use strict";

const view = document.getElementById("view");

let current = { leave: () => {} };

function setNav(name) {
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === name);
}

function parseHash() {
  const hash = location.hash.replace(/^#/, "") || "/runs";
  const [path, query] = hash.split("?");
  return { parts: path.split("/").filter(Boolean), query: new URLSearchParams(query || "") };
}

async function route() {
  current.leave();
  current = { leave: () => {} };
  const { parts, query } = parseHash();
  fill(view, h("div", { class: "empty", text: "Loading…" }));
  try {
    if (parts[0] === "runs" && parts[1]) await runView(Number(parts[1]));
    else if (parts[0] === "calls" && parts[1]) await callView(Number(parts[1]));
    else if (parts[0] === "calls") await callsView(query);
    else if (parts[0] === "stats") await statsView(query);
    else if (parts[0] === "scripts") await scriptsView();
    else await runsView();
  } catch (error) {
    fill(view, errorBox(error));
  }
}

function watch(listener) {
  const off = live.on(listener);
  const previous = current.leave;
  current.leave = () => { off(); previous(); };
}

let refreshTimer = null;
function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => { refreshTimer = null; route(); }, 1500);
}

// Replay runs (argus replay, argus test, this dashboard's replays) are not real traffic: lists and
// stats leave them out unless the user asks, and the choice is remembered in this browser.
function includeReplays() { return localStorage.getItem("argus-include-replays") === "1"; }
function replayParam(prefix) { return includeReplays() ? `${prefix}include_replays=1` : ""; }
function replayToggle() {
  return h("label", { class: "toggle", title: "Replay runs are argus replay, argus test and this dashboard's replays" },
    h("input", { type: "checkbox", id: "include-replays", checked: includeReplays(), onchange: (e) => {
      localStorage.setItem("argus-include-replays", e.target.checked ? "1" : "");
      route();
    } }), " include replays");
}

window.addEventListener("hashchange", route);
live.start();
route();
