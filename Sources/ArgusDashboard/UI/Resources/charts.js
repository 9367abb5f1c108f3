// Charts as SVG: bars with an optional line (the stats timeline, latency histograms), sparklines.
// The geometry is worked out by pure functions (Tests/UI); the rest draws it.
"use strict";

// Where the bars go: every point an equal slot across the width after the scale's margin, bars
// at most 48 wide (a few points stay bars, not walls), and a label every `labelStep` slots, so
// that labels never overlap.
function barLayout(points, width, height) {
  const pad = 24;
  const max = Math.max(1, ...points.map((p) => p.value));
  const slot = (width - pad) / Math.max(1, points.length);
  const widest = Math.max(1, ...points.map((p) => String(p.short || p.label).length));
  return {
    pad, max, slot,
    baseline: height - 16,
    barWidth: Math.max(1, Math.min(48, slot) - 2),
    labelStep: Math.max(1, Math.ceil((widest * 6 + 10) / slot)),
    center: (i) => pad + i * slot + slot / 2,
    barHeight: (value) => (height - 28) * (value / max),
  };
}

// A line over the slots (`x(i)`), scaled to its own maximum. null is a gap, not 0 (a minute
// without calls has no error rate); a point without a neighbour would draw nothing, so it is a dot.
function linePath(values, x, height) {
  const max = Math.max(0.0001, ...values.filter((v) => v !== null));
  const y = (v) => height - 16 - (height - 28) * (v / max);
  const segments = [], dots = [];
  values.forEach((v, i) => {
    if (v === null) return;
    const joined = i > 0 && values[i - 1] !== null;
    segments.push(`${joined ? "L" : "M"}${x(i)},${y(v)}`);
    if (!joined && (i === values.length - 1 || values[i + 1] === null)) dots.push({ x: x(i), y: y(v) });
  });
  return { d: segments.join(" "), dots, max };
}

// A sparkline's path: the values from the lowest (bottom) to the highest (top), across the width.
function sparkPath(values, width, height) {
  const min = Math.min(...values), max = Math.max(...values);
  const span = max - min || 1;
  return values.map((v, i) => `${i === 0 ? "M" : "L"}${(i / Math.max(1, values.length - 1)) * width},${height - 2 - ((v - min) / span) * (height - 4)}`).join(" ");
}

function barChart(points, options = {}) {
  const width = options.width || 600, height = options.height || 140;
  const layout = barLayout(points, width, height);
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": options.label || "chart" });
  chart.append(svg("line", { class: "axis", x1: layout.pad, y1: layout.baseline, x2: width, y2: layout.baseline }));
  chart.append(svg("text", { x: 0, y: 10 }, String(layout.max)));
  points.forEach((p, i) => {
    const bh = layout.barHeight(p.value);
    const bar = svg("rect", { class: `bar${p.error ? " err" : ""}`, x: layout.center(i) - layout.barWidth / 2, y: layout.baseline - bh, width: layout.barWidth, height: bh });
    bar.append(svg("title", {}, `${p.label}: ${p.value}`));
    chart.append(bar);
    if (i % layout.labelStep === 0) chart.append(svg("text", { class: "tick", x: layout.center(i), y: height - 3, "text-anchor": "middle" }, p.short || p.label));
  });
  if (options.line) {
    const line = linePath(options.line, layout.center, height);
    for (const dot of line.dots) chart.append(svg("circle", { class: "dot", cx: dot.x, cy: dot.y, r: 2 }));
    if (line.d) chart.append(svg("path", { class: "line", d: line.d }));
    chart.append(svg("text", { x: width - 2, y: 10, "text-anchor": "end" }, `error rate (max ${percent(line.max)})`));
  }
  return chart;
}

function sparkline(values, cls) {
  const width = 160, height = 32;
  return svg("svg", { class: `chart spark`, viewBox: `0 0 ${width} ${height}`, width, height },
    svg("path", { class: `line ${cls || "accent"}`, d: sparkPath(values, width, height) }));
}
