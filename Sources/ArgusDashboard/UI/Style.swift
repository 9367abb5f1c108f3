// The dashboard's stylesheet: light and dark, no external fonts.
enum UIStyle {
    static let css = #"""
:root {
  --bg: #f7f8fa; --panel: #ffffff; --ink: #1f2430; --muted: #667085; --line: #e4e7ec;
  --accent: #1d4ed8; --accent-soft: #e0e8ff; --ok: #0f7b3f; --ok-soft: #dcf5e6;
  --err: #c4261d; --err-soft: #fde3e1; --warn: #a15c00; --warn-soft: #fff1d6;
  --add: #dcf5e6; --del: #fde3e1; --chg: #fff1d6; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1218; --panel: #171b23; --ink: #e6e8ee; --muted: #98a2b3; --line: #2a303b;
    --accent: #7aa2ff; --accent-soft: #1f2a44; --ok: #4ade80; --ok-soft: #12301f;
    --err: #f87171; --err-soft: #3a1616; --warn: #fbbf24; --warn-soft: #33270b;
    --add: #12301f; --del: #3a1616; --chg: #33270b;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: var(--mono); font-size: 12.5px; }
.top { position: sticky; top: 0; z-index: 5; display: flex; align-items: center; gap: 24px; padding: 10px 24px;
  background: var(--panel); border-bottom: 1px solid var(--line); }
.brand { display: flex; align-items: center; gap: 8px; font-weight: 700; font-size: 16px; color: var(--ink); }
.brand svg { width: 20px; height: 20px; fill: none; stroke: var(--accent); stroke-width: 2.5; }
.top nav { display: flex; gap: 4px; }
.top nav a { padding: 6px 12px; border-radius: 6px; color: var(--muted); font-weight: 500; }
.top nav a.active { background: var(--accent-soft); color: var(--accent); }
.top nav a:hover { text-decoration: none; color: var(--ink); }
.live { margin-left: auto; font-size: 12px; color: var(--muted); display: flex; align-items: center; gap: 6px; }
.live::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
.live.on::before { background: var(--ok); box-shadow: 0 0 0 3px var(--ok-soft); }
.live.polling::before { background: var(--warn); }
.live.off::before { background: var(--err); }
main { padding: 20px 24px 40px; max-width: 1400px; margin: 0 auto; }
.foot { text-align: center; color: var(--muted); font-size: 12px; padding: 12px 0 24px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 24px 0 10px; }
h3 { font-size: 13px; margin: 16px 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.sub { color: var(--muted); margin-bottom: 16px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px; margin-bottom: 16px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 10px 24px; }
.kv dt { color: var(--muted); font-size: 12px; }
.kv .wide { grid-column: 1 / -1; }
.kv dd { margin: 0 0 6px; word-break: break-word; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 900px) { .cols { grid-template-columns: 1fr; } }
table.list { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
  overflow: hidden; }
table.list th { text-align: left; font-weight: 600; font-size: 12px; color: var(--muted); padding: 8px 12px;
  border-bottom: 1px solid var(--line); background: var(--panel); white-space: nowrap; }
table.list td { padding: 7px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.list tr:last-child td { border-bottom: none; }
table.list tr.row { cursor: pointer; }
table.list tr.row:hover td { background: var(--accent-soft); }
table.list td.num, table.list th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.fresh td { animation: fresh 1.6s ease-out; }
@keyframes fresh { from { background: var(--accent-soft); } to { background: transparent; } }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; }
td > .badge:not(:first-child), h1 .badge, .wf-label .badge { margin-left: 8px; }
.badge.ok { background: var(--ok-soft); color: var(--ok); }
.badge.err { background: var(--err-soft); color: var(--err); }
.badge.warn { background: var(--warn-soft); color: var(--warn); }
.badge.muted { background: var(--line); color: var(--muted); }
.badge.info { background: var(--accent-soft); color: var(--accent); }
.muted { color: var(--muted); }
.err-text { color: var(--err); }
.empty { padding: 32px; text-align: center; color: var(--muted); }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 12px; }
.filters label { display: flex; flex-direction: column; font-size: 11px; color: var(--muted); gap: 2px; }
input, select, textarea, button { font: inherit; color: var(--ink); background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: 5px 8px; }
input[type=checkbox] { padding: 0; }
textarea { width: 100%; min-height: 160px; font-family: var(--mono); font-size: 12.5px; resize: vertical; }
button { cursor: pointer; font-weight: 600; }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { background: var(--err); color: #fff; border-color: var(--err); }
button:disabled { opacity: .5; cursor: not-allowed; }
.toolbar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin: 16px 0 12px; }
.tabs button { border: none; background: none; border-bottom: 2px solid transparent; border-radius: 0; padding: 8px 12px; color: var(--muted); }
.tabs button.active { color: var(--accent); border-bottom-color: var(--accent); }
.why { border-left: 4px solid var(--muted); }
.why.bad { border-left-color: var(--err); }
.why.good { border-left-color: var(--ok); }
pre.log { max-height: 360px; overflow: auto; margin: 0; padding: 10px; background: var(--bg); border-radius: 6px; white-space: pre-wrap; }
.waterfall { font-size: 12px; }
.wf-row { display: grid; grid-template-columns: 200px 1fr 80px; gap: 8px; align-items: center; padding: 2px 0; cursor: pointer; }
.wf-row:hover { background: var(--accent-soft); }
.wf-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.wf-track { position: relative; height: 14px; background: var(--bg); border-radius: 3px; }
.wf-bar { position: absolute; top: 2px; height: 10px; min-width: 2px; border-radius: 2px; background: var(--accent); }
.wf-bar.err { background: var(--err); }
.wf-bar.pending { background: var(--warn); }
.json { font-family: var(--mono); font-size: 12.5px; line-height: 1.5; overflow-x: auto; }
.json details { margin-left: 14px; }
.json details > summary { margin-left: -14px; cursor: pointer; list-style: none; }
.json details > summary::before { content: "▸ "; color: var(--muted); }
.json details[open] > summary::before { content: "▾ "; }
.json .k { color: var(--accent); }
.json .s { color: var(--ok); white-space: pre-wrap; word-break: break-word; }
.json .n { color: var(--warn); }
.json .b, .json .z { color: var(--muted); }
.json .redacted { background: var(--warn-soft); color: var(--warn); border-radius: 3px; padding: 0 3px; }
.json .line { margin-left: 14px; }
.json .m-changed { background: var(--chg); }
.json .m-added { background: var(--add); }
.json .m-removed { background: var(--del); }
.hint { font-size: 12px; color: var(--muted); }
.params-hints { margin: 0; padding: 0; list-style: none; }
.params-hints li { padding: 4px 0; border-bottom: 1px dashed var(--line); }
.params-hints .req { color: var(--err); font-weight: 600; }
.problems { color: var(--err); font-size: 12px; margin: 6px 0; padding-left: 18px; }
.confirm { background: var(--err-soft); border: 1px solid var(--err); border-radius: 8px; padding: 10px 12px; margin-top: 10px; }
.changes { list-style: none; padding: 0; margin: 0; font-family: var(--mono); font-size: 12.5px; }
.changes li { padding: 3px 6px; border-radius: 4px; margin-bottom: 2px; word-break: break-word; }
.changes .added { background: var(--add); }
.changes .removed { background: var(--del); }
.changes .changed { background: var(--chg); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 12px; margin-bottom: 16px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .v { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.card .l { font-size: 12px; color: var(--muted); }
svg.chart { max-width: 100%; height: auto; display: block; }
svg.chart .axis { stroke: var(--line); }
svg.chart text { fill: var(--muted); font-size: 10px; }
svg.chart .bar { fill: var(--accent); }
svg.chart .bar.err { fill: var(--err); }
svg.chart .line { fill: none; stroke: var(--err); stroke-width: 1.5; }
svg.chart .line.accent { stroke: var(--accent); }
svg.chart .dot { fill: var(--err); }
.toggle { font-size: 12px; color: var(--muted); display: inline-flex; align-items: center; gap: 4px; margin-left: 12px; }
.badge.label { margin-left: 8px; }
.run-controls { margin-bottom: 12px; }
.spark { width: 160px; height: 32px; }
.notice { padding: 10px 12px; border-radius: 8px; background: var(--warn-soft); color: var(--warn); margin-bottom: 12px; }
.error-box { padding: 10px 12px; border-radius: 8px; background: var(--err-soft); color: var(--err); margin: 10px 0; white-space: pre-wrap; }
"""#
}
