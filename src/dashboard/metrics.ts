/**
 * `GET /metrics`: the hub's state in Prometheus' text exposition format (0.0.4), written by
 * prom-client into a fresh Registry for each scrape: every value is read from the hub on
 * the request, nothing is kept between scrapes, and no process metrics are added.
 *
 * Labels are bounded by what is configured: project, job, type, criticality and status,
 * route and channel. No error text, reason or run id ever becomes a label. Status gauges
 * carry one series per possible status (1 for the current one, 0 for the others), so a
 * series never disappears when a job changes state and `== 0` can be asked of it.
 */
import { Counter, Gauge, Registry } from "prom-client";
import { isMuted, type CheckJobEntry } from "../check/report.js";
import type { CheckRunFacts, DeliveryCount } from "../hub/metrics.js";
import type { JobRow } from "../hub/inventory.js";
import type { RouteStateRow } from "../hub/outbox.js";
import type { ProjectStateRow } from "../hub/projects.js";
import { redactSecrets } from "../lib/redact.js";
import { PROJECT_STATUSES } from "../types.js";
import { projectNames, shownProjectStatus, STATUS_ORDER } from "./model.js";

const JOB = ["project", "job", "type", "criticality"] as const;
const ROUTE = ["route", "channel"] as const;

interface MetricDefinition {
  type: "gauge" | "counter";
  labels: readonly string[];
  help: string;
}

/** Every metric /metrics can answer, with its HELP text (also the documentation). */
export const METRICS = {
  jobmon_job_status: {
    type: "gauge",
    labels: [...JOB, "status"],
    help: "1 for the job's current status (as `jobmon status` shows it), 0 for every other status; criticality is `important` when none is set",
  },
  jobmon_job_muted: { type: "gauge", labels: JOB, help: "1 while the job or its project is muted (its alerts are recorded, not sent)" },
  jobmon_job_consecutive_failures: { type: "gauge", labels: JOB, help: "Failed runs in a row up to the latest finished one" },
  jobmon_job_last_run_timestamp_seconds: { type: "gauge", labels: JOB, help: "Unix time the job's latest known run started; absent before any run was seen" },
  jobmon_job_last_success_timestamp_seconds: {
    type: "gauge",
    labels: JOB,
    help: "Unix time the job's latest successful run ended (started, when its end is unknown), among the runs the hub keeps; absent when none succeeded",
  },
  jobmon_job_last_run_duration_seconds: {
    type: "gauge",
    labels: JOB,
    help: "How long the job's latest finished run took (pg_cron jobs; an Edge Function's invocations have no duration)",
  },
  jobmon_project_up: {
    type: "gauge",
    labels: ["project"],
    help: "1 when the last check reached the project's database, 0 when it could not; absent while no check has reached it, or while it is paused or removed",
  },
  jobmon_project_status: {
    type: "gauge",
    labels: ["project", "status"],
    help: "1 for the project's current status (`unchecked` until a check observes it), 0 for every other status",
  },
  jobmon_project_info: { type: "gauge", labels: ["project", "pg_cron_version"], help: "Always 1: the project's pg_cron version, as the last check or discovery read it" },
  jobmon_project_muted: { type: "gauge", labels: ["project"], help: "1 while the project is muted" },
  jobmon_project_last_check_timestamp_seconds: { type: "gauge", labels: ["project"], help: "Unix time the last check recorded the project" },
  jobmon_check_runs_total: {
    type: "counter",
    labels: ["status"],
    help: "Check runs by outcome (completed, failed), counted over the runs the hub keeps (pruned after JOBMON_RETENTION_DAYS, so it can fall)",
  },
  jobmon_last_check_success: { type: "gauge", labels: [], help: "1 when the latest check run completed, 0 when it failed (interrupted or abandoned)" },
  jobmon_last_check_timestamp_seconds: { type: "gauge", labels: [], help: "Unix time the latest completed check recorded its results" },
  jobmon_last_check_duration_seconds: {
    type: "gauge",
    labels: [],
    help: "How long the latest completed check took from taking its lease to having read every project (alert delivery not included)",
  },
  jobmon_last_check_projects: { type: "gauge", labels: [], help: "Projects in the latest completed check's report" },
  jobmon_last_check_jobs: { type: "gauge", labels: [], help: "Jobs the latest completed check judged" },
  jobmon_last_check_alert_events: { type: "gauge", labels: [], help: "State changes (alert events) the latest completed check recorded" },
  jobmon_last_check_management_api_calls: { type: "gauge", labels: [], help: "Supabase Management API requests the latest completed check made reading its projects (absent when it used none)" },
  jobmon_alerts_sent_total: {
    type: "counter",
    labels: ROUTE,
    help: "Alert deliveries sent on the route, counted over the deliveries the hub keeps (monitoring.alert_delivery)",
  },
  jobmon_alerts_failed_total: {
    type: "counter",
    labels: ROUTE,
    help: "Alert deliveries the route refused for good, counted over the deliveries the hub keeps (monitoring.alert_delivery)",
  },
  jobmon_alert_outbox_pending: { type: "gauge", labels: ROUTE, help: "Alert deliveries waiting on the route: not sent yet, retrying, or being sent" },
  jobmon_alert_route_broken: { type: "gauge", labels: ROUTE, help: "1 while the route is marked broken after a permanent error (`jobmon alerts test` clears it)" },
  jobmon_alert_outbox_unrouted: {
    type: "gauge",
    labels: [],
    help: "Unmuted alerts of the last seven days that no route took (none configured, or none usable)",
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

export interface MetricsInput {
  /** Names of the configured projects (a project no check has reached yet still shows). */
  configuredProjects: readonly string[];
  projectStates: readonly ProjectStateRow[];
  /** MonitoringAPI.status().jobs */
  entries: readonly CheckJobEntry[];
  /** The same jobs' job_inventory rows (runs, failures). */
  rows: readonly JobRow[];
  checkRuns: CheckRunFacts;
  deliveries: readonly DeliveryCount[];
  /** The routes configured now (a route with no delivery yet still shows, at 0). */
  routes: readonly { id: string; channel: string }[];
  routeStates: ReadonlyMap<string, RouteStateRow>;
  unrouted: number;
  now: Date;
  secrets: readonly string[];
}

type Labels = Record<string, string>;

/** Writes samples into one registry, creating each metric on its first sample (so a metric with no sample is absent). */
class Samples {
  readonly registry = new Registry();
  private readonly made = new Map<MetricName, Gauge | Counter>();

  add(name: MetricName, labels: Labels, value: number): void {
    const metric = this.metric(name);
    if (metric instanceof Counter) metric.inc(labels, value);
    else metric.set(labels, value);
  }

  /** One series per value of `label`: 1 for `current`, 0 for the others. */
  oneOf(name: MetricName, labels: Labels, label: string, values: readonly string[], current: string): void {
    for (const value of values.includes(current) ? values : [...values, current]) this.add(name, { ...labels, [label]: value }, value === current ? 1 : 0);
  }

  private metric(name: MetricName): Gauge | Counter {
    let metric = this.made.get(name);
    if (!metric) {
      const { type, help, labels } = METRICS[name];
      const config = { name, help, labelNames: [...labels], registers: [this.registry] };
      metric = type === "counter" ? new Counter(config) : new Gauge(config);
      this.made.set(name, metric);
    }
    return metric;
  }
}

const seconds = (d: Date): number => d.getTime() / 1000;

function parseInstant(text: string | null): Date | null {
  if (!text) return null;
  const d = new Date(text);
  return Number.isFinite(d.getTime()) ? d : null;
}

/** When the job last succeeded: the newest succeeded run the row keeps, or its last run when that succeeded. */
function lastSuccess(row: JobRow): Date | null {
  let best: Date | null = null;
  for (const run of Array.isArray(row.recent_runs) ? row.recent_runs : []) {
    const at = run.status === "succeeded" ? (parseInstant(run.end) ?? parseInstant(run.start)) : null;
    if (at && (!best || at > best)) best = at;
  }
  if (row.last_run_status === "succeeded" && row.last_run_at && (!best || row.last_run_at > best)) best = row.last_run_at;
  return best;
}

/** Seconds the newest finished run with a start and an end took (recent_runs is oldest first). */
function lastRunDuration(row: JobRow): number | null {
  if (row.job_type !== "pg_cron") return null;
  const runs = Array.isArray(row.recent_runs) ? row.recent_runs : [];
  for (let i = runs.length - 1; i >= 0; i--) {
    const start = parseInstant(runs[i]?.start ?? null);
    const end = parseInstant(runs[i]?.end ?? null);
    if (start && end) return Math.max(0, (end.getTime() - start.getTime()) / 1000);
  }
  return null;
}

function addJobs(out: Samples, input: MetricsInput): void {
  const rows = new Map(input.rows.map((r) => [r.id, r]));
  for (const entry of input.entries) {
    const labels = { project: entry.project_name, job: entry.job_name, type: entry.job_type, criticality: entry.criticality ?? "important" };
    out.oneOf("jobmon_job_status", labels, "status", STATUS_ORDER, entry.status);
    out.add("jobmon_job_muted", labels, entry.muted ? 1 : 0);
    const row = rows.get(entry.id);
    if (!row) continue;
    out.add("jobmon_job_consecutive_failures", labels, row.consecutive_failures);
    if (row.last_run_at) out.add("jobmon_job_last_run_timestamp_seconds", labels, seconds(row.last_run_at));
    const success = lastSuccess(row);
    if (success) out.add("jobmon_job_last_success_timestamp_seconds", labels, seconds(success));
    const duration = lastRunDuration(row);
    if (duration !== null) out.add("jobmon_job_last_run_duration_seconds", labels, duration);
  }
}

const PROJECT_STATUS_VALUES: readonly string[] = [...PROJECT_STATUSES, "unchecked"];

function addProjects(out: Samples, input: MetricsInput): void {
  const states = new Map(input.projectStates.map((p) => [p.project_name, p]));
  for (const name of projectNames(input.configuredProjects, states.keys(), input.entries)) {
    const state = states.get(name);
    const status = shownProjectStatus(state);
    const labels = { project: name };
    if (status === "ok" || status === "scheduler_down" || status === "unreachable") out.add("jobmon_project_up", labels, status === "unreachable" ? 0 : 1);
    out.oneOf("jobmon_project_status", labels, "status", PROJECT_STATUS_VALUES, status);
    if (state?.pg_cron_version) out.add("jobmon_project_info", { project: name, pg_cron_version: state.pg_cron_version }, 1);
    out.add("jobmon_project_muted", labels, isMuted(state?.muted_until ?? null, input.now) ? 1 : 0);
    if (state?.last_checked_at) out.add("jobmon_project_last_check_timestamp_seconds", labels, seconds(state.last_checked_at));
  }
}

function addChecks(out: Samples, { checkRuns }: MetricsInput): void {
  const counts = new Map(checkRuns.counts.map((c) => [c.status, c]));
  for (const status of new Set(["completed", "failed", ...counts.keys()])) out.add("jobmon_check_runs_total", { status }, counts.get(status)?.runs ?? 0);
  const latest = checkRuns.counts
    .filter((c) => c.last_finished_at !== null && c.status !== "running")
    .sort((a, b) => (b.last_finished_at?.getTime() ?? 0) - (a.last_finished_at?.getTime() ?? 0))[0];
  if (latest) out.add("jobmon_last_check_success", {}, latest.status === "completed" ? 1 : 0);
  const last = checkRuns.lastCompleted;
  if (!last) return;
  out.add("jobmon_last_check_timestamp_seconds", {}, seconds(last.finished_at));
  out.add("jobmon_last_check_duration_seconds", {}, Math.max(0, (last.finished_at.getTime() - last.started_at.getTime()) / 1000));
  const summary = last.summary ?? {};
  if (typeof summary.projects === "number") out.add("jobmon_last_check_projects", {}, summary.projects);
  if (typeof summary.jobs === "number") out.add("jobmon_last_check_jobs", {}, summary.jobs);
  if (typeof summary.events === "number") out.add("jobmon_last_check_alert_events", {}, summary.events);
  if (typeof summary.management_api_calls === "number") out.add("jobmon_last_check_management_api_calls", {}, summary.management_api_calls);
}

function addAlerts(out: Samples, input: MetricsInput): void {
  const routes = new Map<string, { channel: string; sent: number; failed: number; pending: number }>();
  const route = (id: string, channel: string) => {
    let r = routes.get(id);
    if (!r) routes.set(id, (r = { channel, sent: 0, failed: 0, pending: 0 }));
    return r;
  };
  for (const r of input.routes) route(r.id, r.channel);
  for (const state of input.routeStates.values()) route(state.route_id, state.channel);
  for (const d of input.deliveries) {
    const r = route(d.route_id, d.channel);
    if (d.status === "delivered") r.sent += d.deliveries;
    else if (d.status === "failed") r.failed += d.deliveries;
    else r.pending += d.deliveries;
  }
  for (const [id, r] of [...routes].sort(([a], [b]) => a.localeCompare(b))) {
    const labels = { route: redactSecrets(id, input.secrets), channel: r.channel };
    out.add("jobmon_alerts_sent_total", labels, r.sent);
    out.add("jobmon_alerts_failed_total", labels, r.failed);
    out.add("jobmon_alert_outbox_pending", labels, r.pending);
    out.add("jobmon_alert_route_broken", labels, input.routeStates.get(id)?.broken_at ? 1 : 0);
  }
  out.add("jobmon_alert_outbox_unrouted", {}, input.unrouted);
}

/** A fresh registry holding the hub's state (pure: `now` and the secrets are in the input). */
export function metricsRegistry(input: MetricsInput): Registry {
  const out = new Samples();
  addJobs(out, input);
  addProjects(out, input);
  addChecks(out, input);
  addAlerts(out, input);
  return out.registry;
}

/** The exposition: its content type (`text/plain; version=0.0.4; charset=utf-8`) and text. */
export async function renderMetrics(input: MetricsInput): Promise<{ contentType: string; body: string }> {
  const registry = metricsRegistry(input);
  return { contentType: registry.contentType, body: await registry.metrics() };
}
