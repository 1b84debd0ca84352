import type { Queryable } from "../db/types.js";

/** Hub reads that only the status dashboard (`jobmon serve`) needs. */

export interface RunCounts {
  /** Runs that finished, as counted by the checks in the window. */
  runs: number;
  failed: number;
}

/**
 * Finished and failed runs per job, summed over the per-check health-log rows collected
 * since `since` (check/plan.ts writes `runs_total`/`runs_failed` on each job's per-check row;
 * per-run rows leave them null). One indexed range scan (job_health_log_collected_idx) for
 * every job at once, instead of one history query per job.
 *
 * A job's first check counts the runs it reads from pg_cron's backlog, which may be older
 * than the window: the rate is "runs collected in the window", not "runs started in it".
 */
export async function runCountsSince(db: Queryable, since: Date): Promise<Map<string, RunCounts>> {
  const rows = await db.query<{ job_id: string; runs: number; failed: number }>(
    `select job_inventory_id::text as job_id,
            coalesce(sum(runs_total), 0)::int as runs,
            coalesce(sum(runs_failed), 0)::int as failed
       from monitoring.job_health_log
      where collected_at >= $1 and runs_total is not null
      group by job_inventory_id`,
    [since],
  );
  return new Map(rows.map((r) => [r.job_id, { runs: r.runs, failed: r.failed }]));
}
