// Loads the dashboard's scripts as the page does: classic scripts sharing one global scope, so
// their functions become globals the tests can call. Only scripts that touch no page while
// loading (they define functions) can be loaded here.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const resources = path.join(__dirname, "..", "..", "Sources", "ArgusDashboard", "UI", "Resources");

function load(...names) {
  for (const name of names) {
    const file = path.join(resources, name);
    vm.runInThisContext(fs.readFileSync(file, "utf8"), { filename: file });
  }
  return globalThis;
}

module.exports = { load };
