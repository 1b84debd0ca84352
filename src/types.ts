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
 * Project-level verdicts. `paused` (Supabase paused the project) and `removed` (it left the
 * access token's project list) are states of projects found through the Management API: they
 * are recorded and shown, never alerted.
 */
export const PROJECT_STATUSES = ["ok", "unreachable", "scheduler_down", "paused", "removed"] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export function isCriticality(value: unknown): value is Criticality {
  return typeof value === "string" && (CRITICALITIES as readonly string[]).includes(value);
}
