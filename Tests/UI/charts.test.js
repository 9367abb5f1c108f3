"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { barLayout, linePath, sparkPath } = require("./load.js").load("format.js", "charts.js");

test("bars fill the width, stay bars when few, and their labels never overlap", () => {
  const points = Array.from({ length: 8 }, (_, i) => ({ value: i === 0 ? 2 : i === 7 ? 1 : 0, label: `15:0${i}`, short: `15:0${i}` }));
  const layout = barLayout(points, 600, 180);
  assert.equal(layout.max, 2);
  const right = layout.center(points.length - 1) + layout.barWidth / 2;
  assert.ok(right > 0.95 * 600 && right <= 600, `the bars end at ${right}`);
  assert.equal(layout.barWidth, 48 - 2);
  assert.equal(layout.barHeight(2), 180 - 28);
  assert.equal(layout.barHeight(0), 0);
  // One label every labelStep slots: at about 6 px a character, neighbours keep apart.
  assert.ok(layout.labelStep * layout.slot >= 5 * 6 + 10);
  const many = barLayout(Array.from({ length: 300 }, () => ({ value: 1, label: "15:00" })), 600, 180);
  assert.ok(many.labelStep > 1 && many.labelStep * many.slot >= 40);
  assert.equal(many.barWidth, 1);
  assert.equal(barLayout([], 600, 180).max, 1);
});

test("the line has gaps where there is nothing to measure and dots where a point stands alone", () => {
  const x = (i) => i * 10;
  const line = linePath([null, 0.5, null, null, 1, 0.5, null, 0.25], x, 128);
  assert.equal(line.max, 1);
  assert.equal(line.d, "M10,62 M40,12 L50,62 M70,87");
  assert.deepEqual(line.dots, [{ x: 10, y: 62 }, { x: 70, y: 87 }]);
  assert.equal(linePath([null, null], x, 128).d, "");
});

test("a sparkline runs from its lowest value at the bottom to its highest at the top", () => {
  assert.equal(sparkPath([1, 3, 2], 160, 32), "M0,30 L80,2 L160,16");
  assert.equal(sparkPath([5, 5], 160, 32), "M0,30 L160,30");
});
