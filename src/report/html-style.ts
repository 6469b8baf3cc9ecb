// The HTML report's stylesheet, inlined in the page (the report loads nothing from anywhere).
// Status colours are shared by the timeline bars, the badges and the recap.
export const HTML_STYLE = `
:root {
  --ok: #2e9d4f; --changed: #d48a06; --failed: #d0312d; --skipped: #9aa0a6; --would-change: #3b73d9;
  --wait: #7a5af5; --ink: #1d2329; --muted: #5f6b76; --line: #d9dee3; --bg: #f6f7f9;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg);
}
body { margin: 0 auto; padding: 16px 24px 48px; max-width: 1400px; }
h1 { font-size: 22px; margin: 4px 0; }
h2 { font-size: 17px; margin: 28px 0 8px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
a { color: inherit; }
.meta { color: var(--muted); margin-bottom: 12px; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; color: #fff; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge.st-ok { background: var(--ok); } .badge.st-changed { background: var(--changed); }
.badge.st-failed, .badge.st-unreachable { background: var(--failed); } .badge.st-skipped { background: var(--skipped); }
.badge.st-would-change { background: var(--would-change); } .badge.kind-handler { background: #444c56; }
.badge.kind-wait { background: var(--wait); } .badge.kind-start { background: #8d959e; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; margin: 8px 0 4px; color: var(--muted); }
.filters { margin: 6px 0 0; color: var(--muted); }
.filters label { margin-right: 12px; cursor: pointer; }
.failures { border: 2px solid var(--failed); background: #fff4f3; border-radius: 6px; padding: 8px 14px; margin: 12px 0; }
.failures h2 { color: var(--failed); margin-top: 4px; }
.failures li { margin: 4px 0; }
table.recap { border-collapse: collapse; background: #fff; min-width: 60%; }
table.recap th, table.recap td { border: 1px solid var(--line); padding: 3px 10px; text-align: right; }
table.recap th:first-child, table.recap td:first-child { text-align: left; }
table.recap tr.bad td { background: #fff0ef; font-weight: 600; }
table.recap td.zero { color: #b5bcc3; }
section.host { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 6px 16px 14px; margin: 18px 0; }
section.host.bad { border: 2px solid var(--failed); }
.host-head { display: flex; flex-wrap: wrap; gap: 10px; align-items: baseline; }
.host-head h2 { margin: 10px 0 4px; }
.counts { color: var(--muted); }
.error { background: #fff0ef; border-left: 4px solid var(--failed); padding: 6px 10px; white-space: pre-wrap; margin: 6px 0; }
ul.notes { margin: 4px 0; padding-left: 18px; color: var(--muted); }
ul.notes li.wait { color: var(--wait); }
.timeline { margin-top: 8px; }
.row, .axis { display: grid; grid-template-columns: minmax(180px, 30%) 1fr 64px; gap: 8px; align-items: center; }
.row { min-height: 18px; border-top: 1px solid #f0f2f4; }
.row:hover { background: #f3f6fa; }
.row .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 12.5px; text-decoration: none; }
.row .label .role { color: var(--muted); }
.row.kind-handler .label { font-style: italic; }
.row.st-failed .label { color: var(--failed); font-weight: 700; }
.row .dur { text-align: right; color: var(--muted); font-size: 12px; }
.track { position: relative; height: 14px; }
.bar { position: absolute; top: 1px; height: 12px; min-width: 3px; border-radius: 2px; box-sizing: border-box; overflow: hidden; }
.bar.st-ok { background: var(--ok); } .bar.st-changed { background: var(--changed); } .bar.st-failed { background: var(--failed); }
.bar.st-skipped { background: var(--skipped); } .bar.st-would-change { background: var(--would-change); }
.bar.kind-handler { border: 2px solid #222; border-radius: 6px; }
.bar.kind-wait, .bar .wait-part {
  background: repeating-linear-gradient(135deg, var(--wait) 0 4px, #cfc4ff 4px 8px);
}
/* The status colour stays visible under a wait as a strip at the bar's foot. */
.bar .wait-part { position: absolute; left: 0; top: 0; bottom: 4px; }
.bar.kind-start { background: #c9ced4; }
.row.st-failed .track { background-color: #fff0ef; }
.axis { color: var(--muted); font-size: 11px; margin-top: 2px; }
.axis .ticks { position: relative; height: 14px; }
.axis .tick { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.axis .tick:first-child { transform: none; }
.changes { margin-top: 10px; }
details.change { border: 1px solid var(--line); border-left: 5px solid var(--changed); border-radius: 4px; margin: 6px 0; background: #fff; }
details.change.st-would-change { border-left-color: var(--would-change); }
details.change.st-failed { border-left-color: var(--failed); background: #fff6f5; }
details.change > summary { cursor: pointer; padding: 4px 8px; }
details.change .reason { padding: 0 10px 6px; white-space: pre-wrap; }
details.change:target { outline: 3px solid #8ab4f8; }
pre.diff { margin: 0; padding: 6px 10px; background: #fbfbfc; border-top: 1px solid var(--line); overflow-x: auto; }
pre.diff .add { color: #116329; background: #e6ffec; display: block; }
pre.diff .del { color: #82071e; background: #ffebe9; display: block; }
pre.diff .hunk { color: #6639ba; display: block; }
.hidden-by-filter { display: none !important; }
.empty { color: var(--muted); font-style: italic; }
`;
