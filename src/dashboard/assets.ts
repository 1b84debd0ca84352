/**
 * The dashboard's only static files, kept as strings so that `tsc` ships them in dist/ and
 * nothing is built at run time. They are served from our own origin because the
 * Content-Security-Policy allows scripts and styles from 'self' only (no inline code).
 */

export const ASSET_PATHS = { css: "/assets/dashboard.css", js: "/assets/dashboard.js" } as const;

/**
 * Filters without a reload (mirrored in the URL query, which the server also honours), and a
 * refresh every `data-refresh` seconds that swaps in the server's freshly rendered #live
 * region. The fetched page is parsed by DOMParser, whose scripts never run, and it is the
 * same server-escaped HTML as a full page load.
 */
export const DASHBOARD_JS = String.raw`"use strict";
(function () {
  var doc = document;
  doc.documentElement.classList.add("js");
  var UNHEALTHY = ["failed", "stuck", "missed", "slow"];

  function filters() {
    var out = {};
    var form = doc.getElementById("filters");
    if (!form) return null;
    form.querySelectorAll("select").forEach(function (el) { out[el.name] = el.value; });
    return out;
  }

  function matches(row, f) {
    if (f.project && row.getAttribute("data-project") !== f.project) return false;
    var s = row.getAttribute("data-status");
    if (f.status && (f.status === "unhealthy" ? UNHEALTHY.indexOf(s) < 0 : s !== f.status)) return false;
    if (f.criticality && row.getAttribute("data-criticality") !== f.criticality) return false;
    return true;
  }

  function applyFilters(updateUrl) {
    var f = filters();
    if (!f) return;
    var rows = doc.querySelectorAll("#jobs tbody tr[data-job]");
    var shown = 0;
    rows.forEach(function (row) {
      var ok = matches(row, f);
      row.hidden = !ok;
      if (ok) shown++;
    });
    var count = doc.getElementById("shown");
    if (count) count.textContent = "Showing " + shown + " of " + rows.length + " jobs";
    var empty = doc.getElementById("empty");
    if (empty) empty.hidden = !(rows.length > 0 && shown === 0);
    if (updateUrl) {
      var q = new URLSearchParams();
      Object.keys(f).forEach(function (k) { if (f[k]) q.set(k, f[k]); });
      var qs = q.toString();
      history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
    }
  }

  function setStale(message) {
    var el = doc.getElementById("stale");
    if (!el) return;
    el.textContent = message || "";
    el.hidden = !message;
  }

  var seconds = Number(doc.body.getAttribute("data-refresh") || "0");
  var timer = null;

  function schedule() {
    if (!(seconds > 0)) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, seconds * 1000);
  }

  function refresh() {
    if (doc.hidden) return; // resumed by visibilitychange
    fetch(location.pathname + location.search, { headers: { Accept: "text/html" }, credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        if (res.status === 401) { location.reload(); return null; }
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.text();
      })
      .then(function (text) {
        if (text === null) return;
        var next = new DOMParser().parseFromString(text, "text/html");
        var fresh = next.getElementById("live");
        var current = doc.getElementById("live");
        if (!fresh || !current) throw new Error("unexpected page");
        current.replaceWith(doc.adoptNode(fresh));
        var updated = next.getElementById("updated");
        var currentUpdated = doc.getElementById("updated");
        if (updated && currentUpdated) currentUpdated.replaceWith(doc.adoptNode(updated));
        if (next.title) doc.title = next.title;
        setStale(null);
        applyFilters(false);
      })
      .catch(function (error) {
        setStale("Could not refresh (" + (error && error.message ? error.message : "network error") + "): showing older data; retrying.");
      })
      .then(schedule, schedule);
  }

  doc.addEventListener("visibilitychange", function () { if (!doc.hidden && seconds > 0) refresh(); });

  var form = doc.getElementById("filters");
  if (form) {
    form.addEventListener("change", function () { applyFilters(true); });
    form.addEventListener("submit", function (event) { event.preventDefault(); applyFilters(true); });
  }
  applyFilters(false);
  schedule();
})();
`;

export const DASHBOARD_CSS = `
:root {
  color-scheme: light;
  --fg: #1f2328; --sub: #59636e; --line: #d1d9e0; --bg: #ffffff; --band: #f6f8fa;
  --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9; --warn: #9a6700; --warn-bg: #fff8c5;
  --stuck: #8250df; --stuck-bg: #fbefff; --grey: #59636e; --grey-bg: #eff2f5; --new: #0969da; --new-bg: #ddf4ff;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", sans-serif; color: var(--fg); background: var(--bg); }
a { color: #0969da; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; }
header.top { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--band); }
.brand { margin: 0; font-weight: 700; font-size: 18px; }
.brand a { color: var(--fg); text-decoration: none; }
.updated { margin: 0; color: var(--sub); }
.stale { margin: 0; color: var(--bad); font-weight: 600; }
main { padding: 12px 20px 32px; }
h1 { font-size: 20px; margin: 12px 0 8px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
h3 { font-size: 14px; margin: 16px 0 6px; }
.sub { color: var(--sub); font-weight: 400; font-size: 12px; }
.none { color: var(--sub); }
.desc { color: var(--sub); font-size: 12px; font-weight: 400; }
.scroll { overflow-x: auto; }
.scroll table.jobs { min-width: 1100px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.filters { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: end; margin: 4px 0 8px; }
.filters div { display: flex; flex-direction: column; gap: 2px; }
.filters label { font-size: 12px; font-weight: 600; color: var(--sub); }
.filters select { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); }
.filters .shown { margin: 0 0 4px; color: var(--sub); }
.js .filters .apply { display: none; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
thead th { font-size: 12px; color: var(--sub); font-weight: 600; background: var(--band); white-space: nowrap; }
tbody th { font-weight: 600; }
tr[hidden] { display: none; }
table.projects { width: auto; min-width: 60%; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }
.s-success, .s-ok, .s-delivered { color: var(--ok); background: var(--ok-bg); border-color: #aceebb; }
.s-failed, .s-unreachable, .s-broken { color: var(--bad); background: var(--bad-bg); border-color: #ffcecb; }
.s-missed, .s-scheduler_down, .s-pending, .s-sending { color: var(--warn); background: var(--warn-bg); border-color: #f5e0a0; }
.s-stuck { color: var(--stuck); background: var(--stuck-bg); border-color: #ecd8ff; }
.s-slow { color: var(--warn); background: var(--bg); border-color: #f5e0a0; border-style: dashed; }
.s-new { color: var(--new); background: var(--new-bg); border-color: #b6e3ff; }
.s-paused, .s-unknown, .s-unchecked, .s-removed { color: var(--grey); background: var(--grey-bg); border-color: var(--line); }
.badge.muted { color: var(--grey); background: var(--bg); border: 1px dashed var(--sub); font-weight: 500; }
.crit { font-weight: 600; }
.c-critical { color: var(--bad); }
.c-important { color: var(--warn); }
.c-low { color: var(--grey); }
.strip { list-style: none; display: flex; align-items: flex-end; gap: 2px; margin: 2px 0 0; padding: 0; height: 18px; }
.run { width: 6px; height: 11px; border-radius: 1px; background: var(--grey); }
.r-succeeded { background: #2da44e; }
.r-failed { background: var(--bad); height: 18px; }
.spark { display: block; margin-top: 3px; overflow: visible; }
.spark polyline { fill: none; stroke: var(--sub); stroke-width: 1.5; }
.spark line.p95 { stroke: var(--warn); stroke-width: 1; stroke-dasharray: 2 2; }
.spark.wide { width: 100%; max-width: 420px; height: 40px; }
.rate { font-weight: 700; }
.rate.good { color: var(--ok); }
.rate.fair { color: var(--warn); }
.rate.poor { color: var(--bad); }
td.why { max-width: 420px; }
.reason { overflow-wrap: anywhere; }
pre.error { margin: 4px 0 0; padding: 4px 6px; border-left: 3px solid var(--bad); background: var(--bad-bg); white-space: pre-wrap; overflow-wrap: anywhere; max-height: 5.6em; overflow: hidden; }
pre.error.full, pre.command { max-height: none; }
pre.command { padding: 8px; background: var(--band); border: 1px solid var(--line); white-space: pre-wrap; overflow-wrap: anywhere; }
.warn { color: var(--warn); }
.headline { display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 8px 24px; margin: 0; }
dl.facts dt { font-size: 12px; color: var(--sub); font-weight: 600; }
dl.facts dd { margin: 0; }
.crumbs { margin-top: 4px; }
.login { max-width: 420px; }
.login form { display: flex; flex-direction: column; gap: 6px; }
.login input, .login button { font: inherit; padding: 6px 8px; }
.error-note { color: var(--bad); font-weight: 600; }
`;
