/**
 * What the dashboard shows, as plain data: built from the hub's rows by pure functions
 * (`now` and the secrets are arguments). The HTML pages and the JSON API both render this,
 * so they always agree. Every text that came from a monitored database and may carry a
 * credential (commands, error texts, reasons) is redacted here, once.
 */
import { redactSecrets } from "../lib/redact.js";
import { type CheckJobEntry, isMuted, jobEntry, type JobHealth } from "../check/report.js";
import { type DurationsView, durationsView, jobDurations } from "../health/durations.js";
import { effectiveTimezone } from "../health/evaluate.js";
import { describeSchedule, nextFireTime, parsePgCronVersion, parseSchedule } from "../health/schedule/index.js";
import type { RunCounts } from "../hub/run-counts.js";
import type { HealthLogRow } from "../hub/check-results.js";
import type { JobRow } from "../hub/inventory.js";
import type { DeliveryListRow } from "../hub/outbox.js";
import type { ProjectStateRow } from "../hub/projects.js";
import { CRITICALITIES, type Criticality, isUnhealthy, STATUS_ORDER, statusRank } from "../types.js";

export const SUCCESS_RATE_DAYS = 7;

// The page lists jobs in the order the CLI does (src/types.ts).
export { isUnhealthy, STATUS_ORDER, UNHEALTHY_STATUSES } from "../types.js";

export interface RecentRunView {
  runid: number;
  status: string;
  start: string | null;
  end: string | null;
}

export interface DashboardProject {
  project_name: string;
  project_ref: string | null;
  /** ok | unreachable | scheduler_down, or `unchecked` for a configured project no check has reached yet. */
  status: string;
  reachable: boolean | null;
  reason: string;
  last_error: string | null;
  status_since: string | null;
  pg_cron_version: string | null;
  /** cron.timezone as read; pg_cron 1.4 ignores it (see `schedule_timezone`). */
  cron_timezone: string | null;
  schedule_timezone: string;
  role_name: string | null;
  sees_all_jobs: boolean | null;
  last_checked_at: string | null;
  muted: boolean;
  muted_until: string | null;
  jobs: number;
  unhealthy: number;
}

export interface DashboardJob {
  id: string;
  project_name: string;
  job_type: string;
  job_name: string;
  status: string;
  status_since: string | null;
  reason: string;
  /** The last error, redacted (null while the job is healthy). */
  error_message: string | null;
  /** The job's criticality; a job without one counts as important. */
  criticality: Criticality;
  criticality_set: boolean;
  description: string | null;
  schedule: string | null;
  schedule_description: string | null;
  next_run_at: string | null;
  /** Why there is no next run time, or how it is counted (paused, @reboot, intervals …). */
  next_run_note: string | null;
  last_run_at: string | null;
  last_run_status: string | null;
  muted: boolean;
  muted_until: string | null;
  /** The latest finished runs, oldest first (job_inventory.recent_runs keeps 30). */
  recent_runs: RecentRunView[];
  success_rate: { days: number; runs: number; failed: number; rate: number | null };
  /** The kept durations of successful runs and pg_net calls: count, p50, p95, max (ms). */
  durations: DurationsView;
}

export interface JobDetail extends DashboardJob {
  /** Redacted: pg_cron commands often carry `Authorization: Bearer …` keys. */
  command: string | null;
  success_criteria: string | null;
  active: boolean | null;
  run_as: string | null;
  database_name: string | null;
  source_id: string | null;
  first_seen_at: string | null;
  last_seen_at: string | null;
  removed_at: string | null;
  grace_seconds: number | null;
  max_runtime_seconds: number | null;
  failure_threshold: number;
  consecutive_failures: number;
  down_since: string | null;
  /** The `slow` rule's settings: null for the default factor (0: off), and an absolute threshold. */
  slow_factor: number | null;
  slow_after_seconds: number | null;
  /** The kept durations of successful runs (ms), oldest first (at most 200): the job page's sparkline. */
  run_durations_ms: number[];
}

export interface HealthLogView {
  collected_at: string;
  status: string;
  run_at: string | null;
  run_id: number | null;
  reason: string | null;
  error_message: string | null;
  runs_total: number | null;
  runs_failed: number | null;
}

export interface DeliveryView {
  created_at: string;
  delivered_at: string | null;
  status: string;
  attempts: number;
  channel: string;
  route_id: string;
  fallback_from: string | null;
  kind: string;
  from_status: string | null;
  to_status: string | null;
  last_error: string | null;
}

export interface Filters {
  project: string;
  /** A job status, `unhealthy` (failed, stuck, missed or slow), or "" for all. */
  status: string;
  criticality: string;
}

export interface Overview {
  generated_at: string;
  filters: Filters;
  projects: DashboardProject[];
  /** Every job, unhealthy first; `visible` says whether the filters keep it. */
  jobs: (DashboardJob & { visible: boolean })[];
  counts: { jobs: number; shown: number; unhealthy: number; muted: number };
}

export interface JobPage {
  generated_at: string;
  job: JobDetail;
  health_log: HealthLogView[];
  alert_deliveries: DeliveryView[];
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

function redact(text: string | null | undefined, secrets: readonly string[]): string | null {
  return text === null || text === undefined ? null : redactSecrets(text, secrets);
}

function laterOf(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

/** Schedule facts for one job, in the project's pg_cron version and effective time zone. */
export function scheduleFacts(
  job: Pick<JobRow, "schedule" | "active" | "last_run_at">,
  project: Pick<ProjectStateRow, "pg_cron_version" | "cron_timezone"> | undefined,
  now: Date,
): { description: string | null; next: Date | null; note: string | null } {
  if (!job.schedule) return { description: null, next: null, note: "no schedule" };
  const version = parsePgCronVersion(project?.pg_cron_version ?? null);
  const zone = effectiveTimezone(version, project?.cron_timezone ?? "GMT");
  const parsed = parseSchedule(job.schedule, version);
  if (!parsed.ok) return { description: null, next: null, note: `pg_cron ${version} rejects this schedule: ${parsed.error}` };
  const s = parsed.schedule;
  let description: string;
  try {
    description = describeSchedule(s, zone);
  } catch {
    description = describeSchedule(s, "GMT");
  }
  if (job.active === false) return { description, next: null, note: "paused: pg_cron does not run it" };
  if (s.kind === "reboot") return { description, next: null, note: "only when the server starts" };
  if (s.kind === "interval") {
    // pg_cron counts intervals from the previous start, not from the clock.
    const next = job.last_run_at ? new Date(job.last_run_at.getTime() + s.seconds * 1000) : null;
    return { description, next, note: next ? null : `${s.seconds} s after a first run` };
  }
  try {
    const next = nextFireTime(s, now, zone);
    return { description, next, note: next ? null : "never: the schedule matches no date pg_cron will reach" };
  } catch {
    return { description, next: null, note: `unknown time zone "${zone}"` };
  }
}

function recentRuns(runs: JobRow["recent_runs"] | null | undefined): RecentRunView[] {
  return (Array.isArray(runs) ? runs : []).map((r) => ({ runid: r.runid, status: r.status, start: r.start, end: r.end }));
}

function successRate(counts: RunCounts | undefined): DashboardJob["success_rate"] {
  const runs = counts?.runs ?? 0;
  const failed = counts?.failed ?? 0;
  return { days: SUCCESS_RATE_DAYS, runs, failed, rate: runs > 0 ? (runs - failed) / runs : null };
}

function dashboardJob(
  entry: CheckJobEntry,
  row: JobRow,
  project: ProjectStateRow | undefined,
  counts: RunCounts | undefined,
  now: Date,
  secrets: readonly string[],
): DashboardJob {
  const facts = scheduleFacts(row, project, now);
  const projectMute = project?.muted_until && project.muted_until > now ? project.muted_until : null;
  const jobMute = row.muted_until && row.muted_until > now ? row.muted_until : null;
  let reason = redact(entry.reason, secrets) ?? "";
  if (project && project.status === "unreachable") reason = `${project.project_name} is unreachable: state as of the last check that reached it. ${reason}`.trim();
  return {
    id: row.id,
    project_name: row.project_name,
    job_type: row.job_type,
    job_name: row.job_name,
    status: entry.status,
    status_since: iso(row.status_since),
    reason,
    // last_error also holds a successful run's return message ("1 row") while a job is
    // missed or stuck: only an actual failure is shown as an error.
    error_message: entry.status === "failed" || row.last_run_status === "failed" ? redact(entry.error_message, secrets) : null,
    criticality: row.criticality ?? "important",
    criticality_set: row.criticality !== null,
    description: row.description,
    schedule: row.schedule,
    schedule_description: facts.description,
    next_run_at: iso(facts.next),
    next_run_note: facts.note,
    last_run_at: iso(row.last_run_at),
    last_run_status: row.last_run_status,
    muted: entry.muted,
    muted_until: iso(laterOf(projectMute, jobMute)),
    recent_runs: recentRuns(row.recent_runs),
    success_rate: successRate(counts),
    durations: durationsView(row.durations),
  };
}

/** Unhealthy first (failed, stuck, missed, slow), then by criticality, project and name. */
export function compareJobs(a: DashboardJob, b: DashboardJob): number {
  return (
    statusRank(a.status) - statusRank(b.status) ||
    CRITICALITIES.indexOf(a.criticality) - CRITICALITIES.indexOf(b.criticality) ||
    a.project_name.localeCompare(b.project_name) ||
    a.job_name.localeCompare(b.job_name)
  );
}

export const STATUS_FILTERS = ["unhealthy", ...STATUS_ORDER] as const;

/** Filters from a query string; unknown values mean "all" (a stale link still shows jobs). */
export function parseFilters(query: URLSearchParams, projectNames: readonly string[]): Filters {
  const pick = (name: string, allowed: readonly string[]): string => {
    const v = query.get(name) ?? "";
    return allowed.includes(v) ? v : "";
  };
  return {
    project: pick("project", projectNames),
    status: pick("status", STATUS_FILTERS),
    criticality: pick("criticality", CRITICALITIES),
  };
}

export function matchesFilters(job: Pick<DashboardJob, "project_name" | "status" | "criticality">, f: Filters): boolean {
  if (f.project && job.project_name !== f.project) return false;
  if (f.status && (f.status === "unhealthy" ? !isUnhealthy(job.status) : job.status !== f.status)) return false;
  if (f.criticality && job.criticality !== f.criticality) return false;
  return true;
}

export interface OverviewInput {
  /** Names of the configured projects (a project no check has reached yet still shows). */
  configuredProjects: readonly string[];
  projectStates: readonly ProjectStateRow[];
  /** MonitoringAPI.status().jobs */
  entries: readonly CheckJobEntry[];
  /** MonitoringAPI.listJobs() rows (schedules, recent runs, mutes …) */
  rows: readonly JobRow[];
  runCounts: ReadonlyMap<string, RunCounts>;
  query: URLSearchParams;
  now: Date;
  secrets: readonly string[];
}

export function buildOverview(input: OverviewInput): Overview {
  const { now, secrets } = input;
  const states = new Map(input.projectStates.map((p) => [p.project_name, p]));
  const rows = new Map(input.rows.map((r) => [r.id, r]));
  const jobs = input.entries
    .flatMap((e) => {
      const row = rows.get(e.id);
      return row ? [dashboardJob(e, row, states.get(e.project_name), input.runCounts.get(e.id), now, secrets)] : [];
    })
    .sort(compareJobs);

  const names = projectNames(input.configuredProjects, states.keys(), jobs);
  const projects = names.map((name) => dashboardProject(name, states.get(name), jobs, now, secrets));
  const filters = parseFilters(input.query, names);
  const shown = jobs.map((j) => ({ ...j, visible: matchesFilters(j, filters) }));
  return {
    generated_at: now.toISOString(),
    filters,
    projects,
    jobs: shown,
    counts: {
      jobs: jobs.length,
      shown: shown.filter((j) => j.visible).length,
      unhealthy: jobs.filter((j) => isUnhealthy(j.status)).length,
      muted: jobs.filter((j) => j.muted).length,
    },
  };
}

/** Every project to show, by name: configured, known to the hub, or holding a job. */
export function projectNames(configured: readonly string[], known: Iterable<string>, jobs: readonly { project_name: string }[]): string[] {
  return [...new Set([...configured, ...known, ...jobs.map((j) => j.project_name)])].sort((a, b) => a.localeCompare(b));
}

/**
 * A project's status as shown: what the last check observed, or `unchecked` while no check
 * has (no row, or a row made by discovery or a mute, whatever else it knows).
 */
export function shownProjectStatus(state: ProjectStateRow | undefined): string {
  return state && state.last_checked_at && state.status !== "unknown" ? state.status : "unchecked";
}

function dashboardProject(name: string, state: ProjectStateRow | undefined, jobs: readonly DashboardJob[], now: Date, secrets: readonly string[]): DashboardProject {
  const own = jobs.filter((j) => j.project_name === name);
  const checked = state?.last_checked_at ?? null;
  const status = shownProjectStatus(state);
  const version = parsePgCronVersion(state?.pg_cron_version ?? null);
  return {
    project_name: name,
    project_ref: state?.project_ref ?? null,
    status,
    reachable: status === "unchecked" ? null : status !== "unreachable",
    reason: status === "unchecked" ? "no check has reached it yet: run `jobmon check`" : (redact(state?.status_reason, secrets) ?? ""),
    last_error: redact(state?.last_error, secrets),
    status_since: iso(state?.status_since),
    pg_cron_version: state?.pg_cron_version ?? null,
    cron_timezone: state?.cron_timezone ?? null,
    schedule_timezone: state?.pg_cron_version ? effectiveTimezone(version, state.cron_timezone ?? "GMT") : (state?.cron_timezone ?? "GMT"),
    role_name: state?.role_name ?? null,
    sees_all_jobs: state?.sees_all_jobs ?? null,
    last_checked_at: iso(checked),
    muted: state?.muted_until ? state.muted_until > now : false,
    muted_until: state?.muted_until && state.muted_until > now ? state.muted_until.toISOString() : null,
    jobs: own.length,
    unhealthy: own.filter((j) => isUnhealthy(j.status)).length,
  };
}

export interface JobPageInput {
  row: JobRow;
  /** The job's status() entry; absent for a removed job (status() leaves those out). */
  entry: CheckJobEntry | undefined;
  project: ProjectStateRow | undefined;
  runCounts: RunCounts | undefined;
  history: readonly HealthLogRow[];
  deliveries: readonly DeliveryListRow[];
  now: Date;
  secrets: readonly string[];
}

/** The health of a job status() left out (a removed one), as its page shows it. */
function pageHealth(row: JobRow): JobHealth {
  return {
    status: row.removed_at ? "removed" : row.active === false ? "paused" : row.status,
    reason: row.removed_at ? `removed from cron.job at ${row.removed_at.toISOString()}` : (row.status_reason ?? ""),
    errorMessage: row.status === "success" ? null : row.last_error,
    lastRunAt: row.last_run_at,
  };
}

export function buildJobPage(input: JobPageInput): JobPage {
  const { row, now, secrets } = input;
  const projectMuted = isMuted(input.project?.muted_until ?? null, now);
  const entry: CheckJobEntry = input.entry ?? jobEntry(row, pageHealth(row), projectMuted || isMuted(row.muted_until, now));
  const base = dashboardJob(entry, row, input.project, input.runCounts, now, secrets);
  return {
    generated_at: now.toISOString(),
    job: {
      ...base,
      command: redact(row.command, secrets),
      success_criteria: row.success_criteria,
      active: row.active,
      run_as: row.run_as,
      database_name: row.database_name,
      source_id: row.source_id,
      first_seen_at: iso(row.first_seen_at),
      last_seen_at: iso(row.last_seen_at),
      removed_at: iso(row.removed_at),
      grace_seconds: row.grace_seconds,
      max_runtime_seconds: row.max_runtime_seconds,
      failure_threshold: row.failure_threshold,
      consecutive_failures: row.consecutive_failures,
      down_since: iso(row.down_since),
      slow_factor: row.slow_factor,
      slow_after_seconds: row.slow_after_seconds,
      run_durations_ms: jobDurations(row.durations).runs?.recent ?? [],
    },
    health_log: input.history.map((h) => ({
      collected_at: h.collected_at.toISOString(),
      status: h.status,
      run_at: iso(h.run_at),
      run_id: h.run_id,
      reason: redact(h.reason, secrets),
      error_message: redact(h.error_message, secrets),
      runs_total: h.runs_total,
      runs_failed: h.runs_failed,
    })),
    alert_deliveries: input.deliveries.map((d) => ({
      created_at: d.created_at.toISOString(),
      delivered_at: iso(d.delivered_at),
      status: d.status,
      attempts: d.attempts,
      channel: d.channel,
      route_id: redactSecrets(d.route_id, secrets),
      fallback_from: d.fallback_from,
      kind: d.kind,
      from_status: d.from_status,
      to_status: d.to_status,
      last_error: redact(d.last_error, secrets),
    })),
  };
}
