import type { Queryable } from "../db/types.js";
import { errorMessage } from "../errors.js";

/**
 * Everything jobmon reads from a monitored project's pg_cron. SQL against monitored
 * projects lives in sources/ only; it is read-only and uses bound parameters.
 */

export interface CronJob {
  jobid: number;
  /** cron.job.jobname; null for jobs scheduled without a name. */
  jobname: string | null;
  schedule: string;
  command: string;
  active: boolean;
  username: string;
  database: string;
}

export interface CronInventory {
  /** pg_extension.extversion, e.g. "1.4-1" or "1.6"; null when pg_cron is not installed. */
  pgCronVersion: string | null;
  /** cron.timezone; GMT where absent (before 1.5) or unreadable (superuser-only setting). */
  timezone: string;
  role: string;
  /** Superuser or BYPASSRLS: pg_cron's row-level security shows other roles only their own jobs. */
  seesAllJobs: boolean;
  jobs: CronJob[];
  warnings: string[];
}

async function readSetting(db: Queryable, name: string): Promise<string | null> {
  try {
    const [row] = await db.query<{ value: string | null }>("select current_setting($1, true) as value", [name]);
    return row?.value ?? null;
  } catch {
    // cron.* settings are superuser-only to read on some versions: fall back.
    return null;
  }
}

export async function readCronInventory(db: Queryable): Promise<CronInventory> {
  const warnings: string[] = [];
  const [role] = await db.query<{ role: string; rolsuper: boolean; rolbypassrls: boolean }>(
    `select current_user::text as role, r.rolsuper, r.rolbypassrls
       from pg_roles r where r.rolname = current_user`,
  );
  const [ext] = await db.query<{ extversion: string }>(
    "select extversion from pg_extension where extname = 'pg_cron'",
  );
  const roleName = role?.role ?? "unknown";
  const seesAllJobs = Boolean(role?.rolsuper || role?.rolbypassrls);
  if (!ext) {
    return { pgCronVersion: null, timezone: "GMT", role: roleName, seesAllJobs, jobs: [], warnings: ["pg_cron is not installed in this database"] };
  }
  // cron.timezone arrived in 1.5; 1.4 accepts the setting but schedules in GMT regardless.
  const before15 = /^1\.[0-4](?:\D|$)|^0\./.test(ext.extversion);
  const timezone = before15 ? "GMT" : (await readSetting(db, "cron.timezone")) || "GMT";
  if (!seesAllJobs) {
    warnings.push(
      `role ${roleName} has neither SUPERUSER nor BYPASSRLS: pg_cron's row-level security shows it only the jobs it owns. ` +
        `Connect as a role with BYPASSRLS (on Supabase: supabase_read_only_user) to see every job.`,
    );
  }
  let jobs: CronJob[];
  try {
    jobs = await db.query<CronJob & Record<string, unknown>>(
      `select jobid, jobname, schedule, command, active, username::text as username, database::text as database
         from cron.job order by jobid`,
    );
  } catch (error) {
    throw new Error(`cannot read cron.job as ${roleName} (${errorMessage(error)}); grant USAGE on schema cron`, { cause: error });
  }
  return { pgCronVersion: ext.extversion, timezone, role: roleName, seesAllJobs, jobs, warnings };
}

/**
 * The inventory name of a cron job: its jobname, or `job_<jobid>` for an unnamed one.
 * pg_cron's names are unique per (jobname, username): when two roles use one name, the
 * lowest jobid keeps it and the others get `@<username>`, which stays stable over time.
 */
export function cronJobNames(jobs: readonly CronJob[]): Map<number, string> {
  const names = new Map<number, string>();
  const taken = new Set<string>();
  for (const job of [...jobs].sort((a, b) => a.jobid - b.jobid)) {
    let name = job.jobname && job.jobname.length > 0 ? job.jobname : `job_${job.jobid}`;
    if (taken.has(name)) name = `${name}@${job.username}`;
    if (taken.has(name)) name = `${name}#${job.jobid}`;
    taken.add(name);
    names.set(job.jobid, name);
  }
  return names;
}

/** A row of cron.job_run_details. `start_time` is NULL until the run is `running`. */
export interface CronRun {
  runid: number;
  jobid: number;
  job_pid: number | null;
  database: string | null;
  username: string | null;
  status: string;
  return_message: string | null;
  start_time: Date | null;
  end_time: Date | null;
}

/** Statuses of a run that has not finished (PLATFORM.md: starting → connecting → sending → running). */
export const OPEN_RUN_STATUSES = ["starting", "connecting", "sending", "running"] as const;
export function isOpenRun(status: string): boolean {
  return (OPEN_RUN_STATUSES as readonly string[]).includes(status);
}

const RUN_COLUMNS = `runid, jobid, job_pid, database::text as database, username::text as username, status,
  left(return_message, $RETURN_LIMIT) as return_message, start_time, end_time`;

export interface RunWindow {
  /** Highest runid already read; null on a project's first check. */
  cursor: number | null;
  /** Runs read earlier that had not finished: read again by runid. */
  openRunIds: readonly number[];
  /** First check: how many of the most recent runs to read (bounded; never the whole table). */
  bootstrapRuns?: number;
  /** Rows per page; pages are read until the end of the table or `maxRows`. */
  pageSize?: number;
  maxRows?: number;
  /** Longest return_message kept (a failing job can write megabytes of error text). */
  returnMessageLimit?: number;
}

export interface RunBatch {
  runs: CronRun[];
  /** Re-read rows of runs that were open at the previous check. */
  reread: CronRun[];
  /** The new cursor: the highest runid read (unchanged when there was nothing new). */
  cursor: number | null;
  /** True when `maxRows` stopped the read before the end of the table. */
  truncated: boolean;
}

/**
 * Reads cron.job_run_details forward from a runid cursor. `runid` is the table's primary key
 * and only index, so each page is an index range scan: the cost follows the number of new
 * runs, not the size of the history (which pg_cron never cleans).
 */
export async function readRuns(db: Queryable, window: RunWindow): Promise<RunBatch> {
  const pageSize = window.pageSize ?? 5_000;
  const maxRows = window.maxRows ?? 50_000;
  const columns = RUN_COLUMNS.replace("$RETURN_LIMIT", String(Math.max(1, Math.floor(window.returnMessageLimit ?? 8_192))));
  let cursor = window.cursor;
  if (cursor === null) {
    // First check: start just before the most recent `bootstrapRuns` runs. max(runid) is
    // one index probe.
    const [top] = await db.query<{ max: number | null }>("select max(runid) as max from cron.job_run_details");
    cursor = top?.max === null || top?.max === undefined ? 0 : Math.max(0, top.max - (window.bootstrapRuns ?? 10_000));
  }
  const runs: CronRun[] = [];
  let truncated = false;
  for (;;) {
    const page: CronRun[] = await db.query<CronRun & Record<string, unknown>>(
      `select ${columns} from cron.job_run_details where runid > $1 order by runid limit $2`,
      [cursor, pageSize],
    );
    runs.push(...page);
    if (page.length > 0) cursor = (page[page.length - 1] as CronRun).runid;
    if (page.length < pageSize) break;
    if (runs.length >= maxRows) {
      truncated = true;
      break;
    }
  }
  const reread = window.openRunIds.length
    ? await db.query<CronRun & Record<string, unknown>>(
        `select ${columns} from cron.job_run_details where runid = any($1::bigint[]) order by runid`,
        [window.openRunIds.map(String)],
      )
    : [];
  return { runs, reread, cursor, truncated };
}

export interface SchedulerState {
  /** pg_cron's launcher is a running background worker. */
  launcherRunning: boolean;
  /** cron.launch_active_jobs (1.6): off means nothing runs. null when unreadable. */
  launchActiveJobs: boolean | null;
  /** cron.log_run: off means pg_cron writes no run rows at all. null when unreadable. */
  logRun: boolean | null;
}

export async function readSchedulerState(db: Queryable): Promise<SchedulerState> {
  const [row] = await db.query<{ running: boolean }>(
    "select exists (select 1 from pg_stat_activity where backend_type = 'pg_cron launcher') as running",
  );
  const flag = (v: string | null) => (v === null ? null : v === "on" || v === "true");
  return {
    launcherRunning: Boolean(row?.running),
    launchActiveJobs: flag(await readSetting(db, "cron.launch_active_jobs")),
    logRun: flag(await readSetting(db, "cron.log_run")),
  };
}
