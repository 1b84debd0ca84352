/**
 * The dashboard's HTML pages, server-rendered from the model (model.ts). Everything that
 * came from a database goes through the `html` tag, which escapes it. The only script is
 * /assets/dashboard.js (filters without a reload, auto-refresh); the pages work without it
 * (the filter form then submits as a GET). Status is always text next to its colour.
 */
import type { DoctorReport } from "../doctor.js";
import { formatDuration } from "../duration.js";
import { DEFAULT_SLOW_FACTOR, type DurationSummary, formatMs, SLOW_FLOOR_SECONDS, SLOW_MIN_HISTORY } from "../health/durations.js";
import { redactSecrets } from "../lib/redact.js";
import { CRITICALITIES } from "../types.js";
import { ASSET_PATHS } from "./assets.js";
import { type Html, html, trusted } from "./html.js";
import type { DashboardJob, DashboardProject, DeliveryView, HealthLogView, JobDetail, JobPage, Overview, RecentRunView } from "./model.js";
import { STATUS_FILTERS } from "./model.js";

const STATUS_ICONS: Record<string, string> = {
  success: "✓",
  ok: "✓",
  delivered: "✓",
  failed: "✗",
  unreachable: "✗",
  stuck: "◷",
  missed: "⚠",
  slow: "◔",
  scheduler_down: "⚠",
  pending: "…",
  unknown: "?",
  unchecked: "?",
  new: "•",
  paused: "‖",
  removed: "–",
};

const STATUS_TEXT: Record<string, string> = {
  ok: "reachable",
  scheduler_down: "scheduler down",
  unchecked: "not checked yet",
  unhealthy: "unhealthy",
};

const statusText = (status: string): string => STATUS_TEXT[status] ?? status;
const cssToken = (value: string): string => value.toLowerCase().replace(/[^a-z0-9_-]/g, "-");

export function statusBadge(status: string): Html {
  const icon = STATUS_ICONS[status] ?? "•";
  return html`<span class="badge s-${cssToken(status)}"><span aria-hidden="true">${icon}</span> ${statusText(status)}</span>`;
}

/** "12m ago" / "in 3h 5m", with the exact UTC instant in `datetime` and the tooltip. */
export function when(isoText: string | null, now: Date): Html {
  if (!isoText) return html`<span class="none">—</span>`;
  const at = new Date(isoText);
  const seconds = (at.getTime() - now.getTime()) / 1000;
  const rel = Math.abs(seconds) < 45 ? (seconds < 0 ? "just now" : "in under a minute") : seconds < 0 ? `${formatDuration(-seconds)} ago` : `in ${formatDuration(seconds)}`;
  return html`<time datetime="${isoText}" title="${utc(isoText)}">${rel}</time>`;
}

export function utc(isoText: string | null): string {
  return isoText ? isoText.replace("T", " ").replace(/(:\d\d)(\.\d+)?Z$/, "$1 UTC") : "—";
}

function runTitle(run: RecentRunView): string {
  const took = run.start && run.end ? `, took ${formatRuntime((new Date(run.end).getTime() - new Date(run.start).getTime()) / 1000)}` : "";
  return `run ${run.runid}: ${run.status}${run.start ? `, started ${utc(run.start)}` : ""}${took}`;
}

function formatRuntime(seconds: number): string {
  return seconds < 60 ? `${Math.max(0, seconds).toFixed(seconds < 10 ? 1 : 0)} s` : formatDuration(seconds);
}

/** One cell per finished run, oldest first; failed cells are also taller (readable without colour). */
export function runStrip(runs: readonly RecentRunView[]): Html {
  if (runs.length === 0) return html`<span class="none">no runs yet</span>`;
  const failed = runs.filter((r) => r.status === "failed").length;
  const label = `last ${runs.length} run${runs.length === 1 ? "" : "s"}: ${runs.length - failed} succeeded, ${failed} failed`;
  return html`<ol class="strip" aria-label="${label}" title="${label}">${runs.map(
    (r) => html`<li class="run r-${cssToken(r.status)}" title="${runTitle(r)}"></li>`,
  )}</ol>`;
}

/**
 * Run durations as a sparkline (inline SVG, no script): one point per value, oldest first, the
 * usual p95 as a dashed line. `null` values (failed or unfinished runs) leave a gap in x.
 */
export function durationSpark(values: readonly (number | null)[], summary: DurationSummary | null, size: { width: number; height: number; wide?: boolean }): Html {
  const known = values.flatMap((v, i) => (v === null ? [] : [{ i, v }]));
  if (known.length < 2) return html``;
  const top = Math.max(...known.map((p) => p.v), summary?.p95_ms ?? 0) || 1;
  const step = size.width / Math.max(1, values.length - 1);
  const y = (v: number): string => (size.height - (v / top) * size.height).toFixed(1);
  const points = known.map((p) => `${(p.i * step).toFixed(1)},${y(p.v)}`).join(" ");
  const label = `durations of the last ${known.length} successful runs${summary ? `: p50 ${formatMs(summary.p50_ms)}, p95 ${formatMs(summary.p95_ms)}, max ${formatMs(summary.max_ms)}` : ""}`;
  return html`<svg class="spark${size.wide ? " wide" : ""}" role="img" aria-label="${label}" viewBox="0 0 ${size.width} ${size.height}" width="${size.wide ? "100%" : size.width}" height="${size.height}" preserveAspectRatio="none"><title>${label}</title>${
    summary ? html`<line class="p95" x1="0" x2="${size.width}" y1="${y(summary.p95_ms)}" y2="${y(summary.p95_ms)}"></line>` : ""
  }<polyline points="${points}"></polyline></svg>`;
}

/** `p50 12s · p95 1m 03s`, or nothing while no duration is kept. */
export function durationText(summary: DurationSummary | null): Html {
  return summary ? html`<span class="sub">p50 ${formatMs(summary.p50_ms)} · p95 ${formatMs(summary.p95_ms)}</span>` : html``;
}

/** The strip's runs as durations: succeeded runs' end − start, null for the others. */
function stripDurations(runs: readonly RecentRunView[]): (number | null)[] {
  return runs.map((r) => (r.status === "succeeded" && r.start && r.end ? Math.max(0, new Date(r.end).getTime() - new Date(r.start).getTime()) : null));
}

/** The full durations of a job's job page: every kept run's duration and the figures, runs and pg_net calls. */
function durationsFact(j: JobDetail): Html {
  const { runs, net } = j.durations;
  if (!runs && !net) return html`<span class="none">no successful run timed yet</span>`;
  const line = (what: string, s: DurationSummary) =>
    html`<span>${what}: p50 ${formatMs(s.p50_ms)}, p95 ${formatMs(s.p95_ms)}, max ${formatMs(s.max_ms)} <span class="sub">(${s.window === s.count ? `${s.count}` : `latest ${s.window} of ${s.count}`})</span></span>`;
  return html`${runs ? line("runs", runs) : ""}${runs && net ? html`<br>` : ""}${net ? line("pg_net calls", net) : ""}${durationSpark(j.run_durations_ms, runs, { width: 400, height: 40, wide: true })}`;
}

function slowRule(j: JobDetail): string {
  if (j.slow_factor === 0) return "off (slow factor 0)";
  if (j.slow_after_seconds !== null) return `after ${formatDuration(j.slow_after_seconds)} (set for this job)`;
  return `above max(${j.slow_factor ?? DEFAULT_SLOW_FACTOR} × p95, p95 + ${formatDuration(SLOW_FLOOR_SECONDS)}), from ${SLOW_MIN_HISTORY} runs${j.slow_factor === null ? " (default factor)" : ""}`;
}

export function successRate(rate: DashboardJob["success_rate"]): Html {
  if (rate.rate === null) return html`<span class="none" title="no finished runs collected in ${rate.days} days">—</span>`;
  const pct = Math.floor(rate.rate * 1000) / 10;
  const grade = rate.rate >= 0.99 ? "good" : rate.rate >= 0.9 ? "fair" : "poor";
  return html`<span class="rate ${grade}">${pct}%</span> <span class="sub">${rate.runs - rate.failed}/${rate.runs} runs</span>`;
}

interface LayoutOptions {
  title: string;
  refreshSeconds: number;
  now: Date;
  /** Outside the refreshed region (the filter form keeps its focus and state). */
  before?: Html;
  live: Html;
  nav?: Html;
}

function layout(o: LayoutOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title}</title>
<link rel="stylesheet" href="${ASSET_PATHS.css}">
<script src="${ASSET_PATHS.js}" defer></script>
</head>
<body data-refresh="${o.refreshSeconds}">
<header class="top">
<p class="brand"><a href="/">jobmon</a></p>
${o.nav ?? ""}
<p class="updated" id="updated">Updated <time datetime="${o.now.toISOString()}">${utc(o.now.toISOString())}</time>${o.refreshSeconds > 0 ? html`, refreshes every ${o.refreshSeconds} s` : ""}</p>
<p id="stale" class="stale" role="status" hidden></p>
</header>
<main>
${o.before ?? ""}
<div id="live">
${o.live}
</div>
</main>
</body>
</html>
`;
}

function option(value: string, label: string, selected: string): Html {
  return html`<option value="${value}"${value === selected ? trusted(" selected") : ""}>${label}</option>`;
}

function filterForm(o: Overview): Html {
  const f = o.filters;
  return html`<form id="filters" class="filters" method="get" action="/" role="search" aria-label="Filter jobs">
<div><label for="f-project">Project</label>
<select id="f-project" name="project">${option("", "All projects", f.project)}${o.projects.map((p) => option(p.project_name, p.project_name, f.project))}</select></div>
<div><label for="f-status">Status</label>
<select id="f-status" name="status" title="unhealthy: failed, stuck or missed">${option("", "All statuses", f.status)}${STATUS_FILTERS.map((s) => option(s, statusText(s), f.status))}</select></div>
<div><label for="f-criticality">Criticality</label>
<select id="f-criticality" name="criticality">${option("", "All criticalities", f.criticality)}${CRITICALITIES.map((c) => option(c, c, f.criticality))}</select></div>
<button type="submit" class="apply">Apply</button>
<p id="shown" class="shown" aria-live="polite">Showing ${o.counts.shown} of ${o.counts.jobs} jobs</p>
</form>`;
}

function projectRow(p: DashboardProject, now: Date): Html {
  const version = p.pg_cron_version ? html`${p.pg_cron_version} <span class="sub">(schedules in ${p.schedule_timezone})</span>` : html`<span class="none">—</span>`;
  const notes = [
    p.reason && p.status !== "ok" ? html`<span class="reason">${p.reason}</span>` : "",
    p.sees_all_jobs === false ? html`<span class="warn">role ${p.role_name ?? ""} cannot see every job (needs BYPASSRLS)</span>` : "",
  ];
  return html`<tr data-project="${p.project_name}">
<th scope="row">${p.project_name}${p.muted ? html` ${mutedBadge(p.muted_until)}` : ""}</th>
<td>${statusBadge(p.status)}</td>
<td>${version}</td>
<td>${p.jobs}${p.unhealthy ? html` <span class="sub">(${p.unhealthy} unhealthy)</span>` : ""}</td>
<td>${when(p.last_checked_at, now)}</td>
<td>${notes}</td>
</tr>`;
}

function mutedBadge(until: string | null): Html {
  return html`<span class="badge muted" title="${until ? `alerts muted until ${utc(until)}` : "alerts muted"}">muted</span>`;
}

function criticalityCell(j: DashboardJob): Html {
  return html`<span class="crit c-${j.criticality}">${j.criticality}</span>${j.criticality_set ? "" : html` <span class="sub" title="no criticality set: counts as important">(default)</span>`}`;
}

function scheduleCell(j: DashboardJob): Html {
  if (!j.schedule) return html`<span class="none">—</span>`;
  return html`${j.schedule_description ?? ""}<br><code class="sub">${j.schedule}</code>`;
}

function nextRunCell(j: DashboardJob, now: Date): Html {
  if (j.next_run_at) return when(j.next_run_at, now);
  return html`<span class="none">${j.next_run_note ?? "—"}</span>`;
}

function reasonCell(j: DashboardJob): Html {
  return html`<span class="reason">${j.reason}</span>${j.error_message ? html`<pre class="error">${j.error_message}</pre>` : ""}`;
}

function jobRow(j: DashboardJob & { visible: boolean }, now: Date): Html {
  return html`<tr data-job="${j.id}" data-project="${j.project_name}" data-status="${j.status}" data-criticality="${j.criticality}"${j.visible ? "" : trusted(" hidden")}>
<td>${statusBadge(j.status)}${j.status_since ? html`<br><span class="sub">since ${when(j.status_since, now)}</span>` : ""}</td>
<th scope="row"><a href="/jobs/${encodeURIComponent(j.id)}">${j.job_name}</a>${j.muted ? html` ${mutedBadge(j.muted_until)}` : ""}<br><span class="sub">${j.project_name}${j.job_type === "pg_cron" ? "" : html` · ${j.job_type}`}</span>${j.description ? html`<br><span class="desc">${j.description}</span>` : ""}</th>
<td>${criticalityCell(j)}</td>
<td>${scheduleCell(j)}</td>
<td>${when(j.last_run_at, now)}${j.last_run_status ? html`<br><span class="sub">${j.last_run_status}</span>` : ""}</td>
<td>${nextRunCell(j, now)}</td>
<td>${runStrip(j.recent_runs)}${durationSpark(stripDurations(j.recent_runs), j.durations.runs, { width: 126, height: 16 })}${durationText(j.durations.runs)}</td>
<td>${successRate(j.success_rate)}</td>
<td class="why">${reasonCell(j)}</td>
</tr>`;
}

export function overviewPage(o: Overview, opts: { refreshSeconds: number; now: Date }): Html {
  const { now } = opts;
  const title = o.counts.unhealthy > 0 ? `${o.counts.unhealthy} unhealthy of ${o.counts.jobs} jobs — jobmon` : `${o.counts.jobs} jobs healthy — jobmon`;
  const live = html`<section aria-labelledby="projects-h">
<h2 id="projects-h">Projects <span class="sub"><a href="/doctor">audit their pg_cron and pg_net set-up</a></span></h2>
<table class="projects">
<thead><tr><th scope="col">Project</th><th scope="col">Reachability</th><th scope="col">pg_cron</th><th scope="col">Jobs</th><th scope="col">Last check</th><th scope="col">Notes</th></tr></thead>
<tbody>${o.projects.length ? o.projects.map((p) => projectRow(p, now)) : html`<tr><td colspan="6" class="none">No projects yet: set SUPABASE_ACCESS_TOKEN (every project it can see) or SUPABASE_POSTGRES_URL (and _2, _3 … for more), then run a check.</td></tr>`}</tbody>
</table>
</section>
<section aria-labelledby="jobs-h">
<h2 id="jobs-h">Jobs <span class="sub">${o.counts.unhealthy} unhealthy, ${o.counts.muted} muted, ${o.counts.jobs} in all</span></h2>
<div class="scroll">
<table class="jobs" id="jobs">
<caption class="sr-only">Every monitored job, unhealthy first</caption>
<thead><tr><th scope="col">Status</th><th scope="col">Job</th><th scope="col">Criticality</th><th scope="col">Schedule</th><th scope="col">Last run</th><th scope="col">Next run</th><th scope="col">Recent runs</th><th scope="col">7-day success</th><th scope="col">Reason and last error</th></tr></thead>
<tbody>${o.jobs.map((j) => jobRow(j, now))}</tbody>
</table>
</div>
<p id="empty" class="none"${o.counts.jobs > 0 && o.counts.shown === 0 ? "" : trusted(" hidden")}>No job matches these filters.</p>
${o.counts.jobs === 0 ? html`<p class="none">No jobs yet: run <code>jobmon discover</code> or <code>jobmon check</code>.</p>` : ""}
</section>`;
  return layout({ title, refreshSeconds: opts.refreshSeconds, now, before: filterForm(o), live });
}

function fact(label: string, value: Html | string | number | null | undefined): Html {
  return html`<div><dt>${label}</dt><dd>${value === null || value === undefined || value === "" ? html`<span class="none">—</span>` : value}</dd></div>`;
}

function seconds(value: number | null, fallback: string): Html {
  return value === null ? html`<span class="sub">${fallback}</span>` : html`${formatDuration(value)}`;
}

function healthRow(h: HealthLogView, now: Date): Html {
  const runs = h.runs_total === null ? "" : `${h.runs_total - (h.runs_failed ?? 0)}/${h.runs_total} ok`;
  return html`<tr>
<td>${when(h.collected_at, now)}<br><span class="sub">${utc(h.collected_at)}</span></td>
<td>${statusBadge(h.status)}</td>
<td>${h.run_id === null ? "" : html`run ${h.run_id}<br>`}${h.run_at ? html`<span class="sub">${utc(h.run_at)}</span>` : ""}</td>
<td>${runs}</td>
<td class="why"><span class="reason">${h.reason ?? ""}</span>${h.error_message ? html`<pre class="error">${h.error_message}</pre>` : ""}</td>
</tr>`;
}

function deliveryRow(d: DeliveryView, now: Date): Html {
  const change = d.to_status ? `${d.from_status ?? "new"} → ${d.to_status}` : d.kind;
  return html`<tr>
<td>${when(d.created_at, now)}<br><span class="sub">${utc(d.created_at)}</span></td>
<td>${statusBadge(d.status)}</td>
<td>${d.channel}<br><span class="sub">${d.route_id}${d.fallback_from ? ` (fallback for ${d.fallback_from})` : ""}</span></td>
<td>${change}</td>
<td>${d.attempts}</td>
<td>${d.delivered_at ? utc(d.delivered_at) : html`<span class="none">—</span>`}</td>
<td class="why">${d.last_error ? html`<pre class="error">${d.last_error}</pre>` : ""}</td>
</tr>`;
}

export function jobPage(p: JobPage, opts: { refreshSeconds: number; now: Date }): Html {
  const { now } = opts;
  const j = p.job;
  const live = html`<nav class="crumbs"><a href="/">← All jobs</a></nav>
<h1>${j.job_name} <span class="sub">${j.project_name} · ${j.job_type}</span></h1>
<p class="headline">${statusBadge(j.status)}${j.muted ? html` ${mutedBadge(j.muted_until)}` : ""} <span class="reason">${j.reason}</span></p>
${j.error_message ? html`<section aria-labelledby="err-h"><h2 id="err-h">Last error</h2><pre class="error full">${j.error_message}</pre></section>` : ""}
<section aria-labelledby="facts-h">
<h2 id="facts-h">Job</h2>
<dl class="facts">
${fact("Description", j.description)}
${fact("How to know it worked", j.success_criteria)}
${fact("Criticality", criticalityCell(j))}
${fact("Schedule", scheduleCell(j))}
${fact("Last run", j.last_run_at ? html`${when(j.last_run_at, now)} <span class="sub">${utc(j.last_run_at)}${j.last_run_status ? `, ${j.last_run_status}` : ""}</span>` : null)}
${fact("Next run", j.next_run_at ? html`${when(j.next_run_at, now)} <span class="sub">${utc(j.next_run_at)}</span>` : nextRunCell(j, now))}
${fact("Status since", j.status_since ? html`${when(j.status_since, now)} <span class="sub">${utc(j.status_since)}</span>` : null)}
${fact("Recent runs", html`${runStrip(j.recent_runs)}${durationSpark(stripDurations(j.recent_runs), j.durations.runs, { width: 126, height: 16 })}`)}
${fact("Durations", durationsFact(j))}
${fact("Slow", slowRule(j))}
${fact(`${p.job.success_rate.days}-day success`, successRate(j.success_rate))}
${fact("Grace before missed", seconds(j.grace_seconds, "default: half the period, 1 min to 1 h"))}
${fact("Max runtime before stuck", seconds(j.max_runtime_seconds, "default: 30m"))}
${fact("Failures before alerting", j.failure_threshold)}
${fact("Runs as", j.run_as ? `${j.run_as}${j.database_name ? ` on ${j.database_name}` : ""}` : null)}
${fact("Source id", j.source_id)}
${fact("First seen", utc(j.first_seen_at))}
${j.removed_at ? fact("Removed", utc(j.removed_at)) : ""}
</dl>
${j.command ? html`<h3>Command <span class="sub">(secrets redacted)</span></h3><pre class="command">${j.command}</pre>` : ""}
</section>
<section aria-labelledby="log-h">
<h2 id="log-h">Health log <span class="sub">newest first, last ${p.health_log.length}</span></h2>
${p.health_log.length
  ? html`<div class="scroll"><table class="log"><thead><tr><th scope="col">Checked</th><th scope="col">Status</th><th scope="col">Run</th><th scope="col">Runs</th><th scope="col">Reason and error</th></tr></thead>
<tbody>${p.health_log.map((h) => healthRow(h, now))}</tbody></table></div>`
  : html`<p class="none">No health log entries yet: run <code>jobmon check</code>.</p>`}
</section>
<section aria-labelledby="alerts-h">
<h2 id="alerts-h">Alert deliveries</h2>
${p.alert_deliveries.length
  ? html`<div class="scroll"><table class="deliveries"><thead><tr><th scope="col">Created</th><th scope="col">State</th><th scope="col">Route</th><th scope="col">Change</th><th scope="col">Attempts</th><th scope="col">Delivered</th><th scope="col">Error</th></tr></thead>
<tbody>${p.alert_deliveries.map((d) => deliveryRow(d, now))}</tbody></table></div>`
  : html`<p class="none">No alerts for this job yet.</p>`}
</section>`;
  return layout({ title: `${j.job_name} (${j.project_name}): ${statusText(j.status)} — jobmon`, refreshSeconds: opts.refreshSeconds, now, live });
}

export function loginPage(opts: { next: string; failed: boolean; now: Date }): Html {
  const live = html`<section class="login" aria-labelledby="login-h">
<h1 id="login-h">Sign in to the jobmon dashboard</h1>
<p>This dashboard requires the token in <code>JOBMON_DASHBOARD_TOKEN</code>.</p>
${opts.failed ? html`<p class="error-note" role="alert">That token is not the one this dashboard was started with.</p>` : ""}
<form method="post" action="/login">
<input type="hidden" name="next" value="${opts.next}">
<label for="token">Dashboard token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</section>`;
  return layout({ title: "Sign in — jobmon", refreshSeconds: 0, now: opts.now, live });
}

export function messagePage(title: string, message: string, now: Date): Html {
  return layout({ title: `${title} — jobmon`, refreshSeconds: 0, now, live: html`<h1>${title}</h1><p>${message}</p><p><a href="/">← All jobs</a></p>` });
}

/**
 * `jobmon doctor` in the browser: each project's findings with why and the fix. Read-only: the
 * fix is shown, never run (`jobmon doctor --fix` runs it). Audited on each load, not refreshed.
 */
export function doctorPage(report: DoctorReport, opts: { now: Date; secrets: readonly string[] }): Html {
  const live = html`<nav class="crumbs"><a href="/">← All jobs</a></nav>
<h1>Doctor <span class="sub">pg_cron and pg_net set-up, audited ${utc(report.checked_at)}</span></h1>
${report.projects.length === 0 ? html`<p class="none">No projects configured.</p>` : ""}
${report.projects.map(
  (p) => html`<section aria-labelledby="doc-${cssToken(p.project_name)}">
<h2 id="doc-${cssToken(p.project_name)}">${p.project_name} <span class="sub">${p.status === "ok" ? `pg_cron ${p.pg_cron_version ?? "not installed"}, read as ${p.role ?? "?"}` : ""}</span></h2>
${p.status !== "ok" ? html`<p>${statusBadge("unreachable")} <span class="reason">${p.error ?? ""}</span></p>` : ""}
${p.history ? html`<p class="sub">Run history: ${p.history.rows_exact ? "" : "about "}${p.history.rows} rows, ${(p.history.bytes / 1024 ** 2).toFixed(1)} MB; ${p.history.cleanup_jobs.length ? `cleaned by ${p.history.cleanup_jobs.join(", ")}` : "no cleanup job"}</p>` : ""}
${p.status === "ok" && p.findings.length === 0 ? html`<p>${statusBadge("ok")} nothing to report</p>` : ""}
${p.findings.length
  ? html`<div class="scroll"><table class="log"><thead><tr><th scope="col">Finding</th><th scope="col">What</th><th scope="col">Why</th><th scope="col">Fix</th></tr></thead>
<tbody>${p.findings.map(
      (f) => html`<tr><td><span class="crit c-${f.severity === "critical" ? "critical" : f.severity === "warning" ? "important" : "low"}">${f.severity}</span><br><code>${f.id}</code></td>
<td class="why">${redactSecrets(f.what, opts.secrets)}</td><td class="why">${f.why}</td>
<td><pre class="command">${redactSecrets(f.fix, opts.secrets)}</pre>${f.fixable ? html`<span class="sub">jobmon doctor --fix ${f.id}</span>` : ""}</td></tr>`,
    )}</tbody></table></div>`
  : ""}
</section>`,
)}`;
  return layout({ title: "Doctor — jobmon", refreshSeconds: 0, now: opts.now, live });
}
