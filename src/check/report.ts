import type { DurationsView } from "../health/durations.js";
import type { JobRow } from "../hub/inventory.js";
import type { ProjectStateStatus } from "../hub/projects.js";
import type { ManagementApiUsage } from "../sources/management-api.js";
import type { Criticality, ProjectStatus } from "../types.js";

/** The `check --json` report. */
export interface CheckReport {
  check_id: string;
  started_at: string;
  finished_at: string;
  dry_run: boolean;
  /** Set when another check held the lease: this one did nothing. */
  skipped?: string;
  /** Set when this check took over the lease of a check that was gone or past its time. */
  lease_takeover?: string;
  /** previous_status: what the hub held before (`unknown` while no check had reached the project). */
  projects: { project_name: string; status: ProjectStateStatus; previous_status: ProjectStateStatus | null; reason: string; error?: string; warnings: string[] }[];
  jobs: CheckJobEntry[];
  events: { kind: "job" | "project"; project_name: string; job_name: string | null; type: string; from: string | null; to: string; muted: boolean }[];
  /** Said once for the check: projects found or not listed, a project list that could not be read. */
  notes?: string[];
  /** What the check cost in the Management API's rate limits, when it used the API. */
  management_api?: ApiUsageReport;
}

/** A check's Management API calls, and the smallest rate-limit budget it saw left. */
export interface ApiUsageReport {
  calls: number;
  by_endpoint: Partial<Record<string, number>>;
  /** The endpoint and project with the fewest requests left in its window (X-RateLimit-Remaining), when the API said. */
  lowest_remaining: { endpoint: string; ref: string | null; remaining: number; limit: number | null } | null;
}

/** The calls made between `before` and `after` (one check), with the budgets last seen. */
export function apiUsageReport(after: ManagementApiUsage, before: ManagementApiUsage): ApiUsageReport {
  const byEndpoint: Partial<Record<string, number>> = {};
  for (const [endpoint, n] of Object.entries(after.byEndpoint)) {
    const made = (n ?? 0) - (before.byEndpoint[endpoint as keyof typeof before.byEndpoint] ?? 0);
    if (made > 0) byEndpoint[endpoint] = made;
  }
  let lowest: ApiUsageReport["lowest_remaining"] = null;
  for (const budget of after.budgets) {
    if (budget.remaining === null || (lowest !== null && lowest.remaining <= budget.remaining)) continue;
    lowest = { endpoint: budget.endpoint, ref: budget.ref, remaining: budget.remaining, limit: budget.limit };
  }
  return { calls: after.calls - before.calls, by_endpoint: byEndpoint, lowest_remaining: lowest };
}

/** One job's row in the check report and in `status`. */
export interface CheckJobEntry {
  id: string;
  project_name: string;
  job_type: string;
  job_name: string;
  status: string;
  previous_status: string;
  reason: string;
  error_message: string | null;
  last_run_at: string | null;
  criticality: Criticality | null;
  muted: boolean;
  /** `status` only: the job's kept durations (count, p50, p95, max in ms). */
  durations?: DurationsView;
}

/** What a job's row says of its health: this check's verdict, or what the hub holds. */
export interface JobHealth {
  status: string;
  reason: string;
  errorMessage: string | null;
  lastRunAt: Date | null;
}

/** A job's report row: the job as the hub held it before, and its health now. */
export function jobEntry(job: JobRow, health: JobHealth, muted: boolean): CheckJobEntry {
  return {
    id: job.id,
    project_name: job.project_name,
    job_type: job.job_type,
    job_name: job.job_name,
    status: health.status,
    previous_status: job.status,
    reason: health.reason,
    error_message: health.errorMessage,
    last_run_at: health.lastRunAt?.toISOString() ?? null,
    criticality: job.criticality,
    muted,
  };
}

/**
 * A job's health as the hub holds it, for `status`: a job paused since the last check says so
 * already, and a successful job shows no stale error.
 */
export function storedHealth(job: JobRow): JobHealth {
  return {
    status: job.active === false ? "paused" : job.status,
    reason: job.status_reason ?? (job.status === "new" ? "not checked yet" : ""),
    errorMessage: job.status === "success" ? null : job.last_error,
    lastRunAt: job.last_run_at,
  };
}

/** Whether a mute that lasts `until` still holds at `now`. */
export function isMuted(until: Date | null, now: Date): boolean {
  return until !== null && until.getTime() > now.getTime();
}

/** The report of a check that did nothing, and why. */
export function skippedReport(checkId: string, startedAt: Date, finishedAt: Date, reason: string): CheckReport {
  return { check_id: checkId, started_at: startedAt.toISOString(), finished_at: finishedAt.toISOString(), dry_run: false, skipped: reason, projects: [], jobs: [], events: [] };
}
