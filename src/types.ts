/** Domain vocabulary shared by the hub, the health engine, the alerts and the CLI. */

export const CRITICALITIES = ["critical", "important", "low"] as const;
export type Criticality = (typeof CRITICALITIES)[number];

export const JOB_TYPES = ["pg_cron", "edge_function"] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** Per-job verdicts of one check. */
export const JOB_STATUSES = ["success", "slow", "failed", "missed", "stuck", "paused", "unknown"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * Statuses that are alerted on when a job enters them. `slow` (a run took far longer than the
 * job's usual durations) is the mildest: the job works, late.
 */
export const DOWN_STATUSES = ["slow", "failed", "missed", "stuck"] as const satisfies readonly JobStatus[];
export type DownStatus = (typeof DOWN_STATUSES)[number];

/**
 * Job statuses from worst to best, as the dashboard and the CLI list jobs: unhealthy first,
 * then what is not known to be healthy (`unknown`, and `new`: in the inventory, not checked
 * yet), then `success` and `paused` (switched off on purpose).
 */
export const STATUS_ORDER = ["failed", "stuck", "missed", "slow", "unknown", "new", "success", "paused"] as const;
export const UNHEALTHY_STATUSES = ["failed", "stuck", "missed", "slow"] as const satisfies readonly JobStatus[];

/** A status's place in STATUS_ORDER; a status it does not name comes last. */
export function statusRank(status: string): number {
  const i = (STATUS_ORDER as readonly string[]).indexOf(status);
  return i < 0 ? STATUS_ORDER.length : i;
}

export function isUnhealthy(status: string): boolean {
  return (UNHEALTHY_STATUSES as readonly string[]).includes(status);
}

/**
 * Project-level verdicts. `paused` (Supabase paused the project) and `removed` (it left the
 * access token's project list) are states of projects found through the Management API: they
 * are recorded and shown, never alerted.
 */
export const PROJECT_STATUSES = ["ok", "unreachable", "scheduler_down", "paused", "removed"] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export function isCriticality(value: unknown): value is Criticality {
  return typeof value === "string" && (CRITICALITIES as readonly string[]).includes(value);
}
