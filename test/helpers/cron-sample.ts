/**
 * A sample of pg_cron history for end-to-end tests: schedules placed half an hour away from
 * the wall clock (minute M = now + 30), so that pg_cron itself does not run them while a
 * test runs, and runs inserted into cron.job_run_details at exact instants.
 */
import { MonitoringAPI } from "../../src/monitor.js";
import type { Db } from "../../src/db/types.js";
import { insertRun, type PgCronCluster } from "../harness/pgcron.js";

export const MIN = 60_000;
export const HOUR = 60 * MIN;

export interface RunSpec {
  at: Date;
  status: "succeeded" | "failed" | "running";
  message?: string;
  /** How long a finished run took (default 2). */
  seconds?: number;
}

/** A run as inserted: it starts one second after its fire instant. */
export interface InsertedRun {
  start: Date;
  end: Date | null;
  status: RunSpec["status"];
}

/** Inserts the runs, oldest first; a succeeded run without a message returns "1 row". */
export async function addRuns(cluster: PgCronCluster, jobid: number, runs: RunSpec[]): Promise<InsertedRun[]> {
  const inserted: InsertedRun[] = [];
  for (const run of runs.sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const start = new Date(run.at.getTime() + 1000);
    const end = run.status === "running" ? null : new Date(start.getTime() + (run.seconds ?? 2) * 1000);
    await insertRun(cluster, { jobid, status: run.status, start_time: start, end_time: end, return_message: run.message ?? (run.status === "succeeded" ? "1 row" : null) });
    inserted.push({ start, end, status: run.status });
  }
  return inserted;
}

/** `count` fire instants, `step` apart, the latest at `latest`. */
export function fires(latest: Date, step: number, count: number): Date[] {
  return Array.from({ length: count }, (_, i) => new Date(latest.getTime() - i * step));
}

export interface AwaySchedules {
  /** Now, to the minute. */
  t0: Date;
  /** `M * * * *` and its latest fire before t0. */
  hourly: string;
  lastHourly: Date;
  /** `M H * * *` (H = now + 12 h) and its latest fire before t0 (11.5 or 12.5 hours ago). */
  daily: string;
  lastDaily: Date;
  /** The latest multiple of five minutes (for `*\/5`, which pg_cron may run for real). */
  lastFive: Date;
}

export function awaySchedules(now = Date.now()): AwaySchedules {
  const t0 = new Date(Math.floor(now / MIN) * MIN);
  const m = (t0.getUTCMinutes() + 30) % 60;
  const h = (t0.getUTCHours() + 12) % 24;
  const todayAt = Date.UTC(t0.getUTCFullYear(), t0.getUTCMonth(), t0.getUTCDate(), h, m);
  return {
    t0,
    hourly: `${m} * * * *`,
    lastHourly: new Date(t0.getTime() - 30 * MIN),
    daily: `${m} ${h} * * *`,
    lastDaily: new Date(todayAt <= t0.getTime() ? todayAt : todayAt - 24 * HOUR),
    lastFive: new Date(Math.floor(t0.getTime() / (5 * MIN)) * 5 * MIN),
  };
}

/**
 * A MonitoringAPI over `hub` whose discovery and first check happen six hours before `t0`
 * (so that runs are expected since then), after which `later` inserts the runs and the
 * clock is the wall clock again. Alerts are sent without pauses.
 */
export async function monitorWithHistory(env: Record<string, string>, hub: Db, t0: Date, later: readonly (() => Promise<unknown>)[]): Promise<MonitoringAPI> {
  let clock: Date | null = new Date(t0.getTime() - 6 * HOUR);
  const monitor = new MonitoringAPI({ env, hub, now: () => clock ?? new Date(), deliver: { sleep: async () => {}, minIntervalMs: { discord: 0, telegram: 0 } } });
  await monitor.auditAllProjects();
  await monitor.checkHealth();
  for (const add of later) await add();
  clock = null;
  return monitor;
}
