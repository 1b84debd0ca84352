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
  /** Whether pg_cron is running jobs at all (read in the same statement). */
  scheduler: SchedulerState;
}

interface ProjectFacts extends Record<string, unknown> {
  role: string;
  rolsuper: boolean;
  rolbypassrls: boolean;
  extversion: string | null;
  timezone: string | null;
  launch_active_jobs: string | null;
  log_run: string | null;
  launcher_running: boolean;
}

/**
 * Everything but the jobs in one statement without parameters: a project may sit behind
 * 100+ ms of latency, and each statement is a round trip. Settings come from pg_settings,
 * which hides superuser-only ones (cron.*) from other roles instead of failing the query
 * as current_setting does; a hidden setting falls back to its default.
 */
const FACTS_SQL = `select current_user::text as role,
       coalesce(r.rolsuper, false) as rolsuper, coalesce(r.rolbypassrls, false) as rolbypassrls,
       (select extversion from pg_extension where extname = 'pg_cron') as extversion,
       (select setting from pg_settings where name = 'cron.timezone') as timezone,
       (select setting from pg_settings where name = 'cron.launch_active_jobs') as launch_active_jobs,
       (select setting from pg_settings where name = 'cron.log_run') as log_run,
       exists (select 1 from pg_stat_activity where backend_type = 'pg_cron launcher') as launcher_running
  from (select 1) as one left join pg_roles r on r.rolname = current_user`;

export async function readCronInventory(db: Queryable): Promise<CronInventory> {
  const warnings: string[] = [];
  const [facts] = await db.query<ProjectFacts>(FACTS_SQL);
  if (!facts) throw new Error("could not read the project's role and pg_cron facts");
  const roleName = facts.role;
  const seesAllJobs = facts.rolsuper || facts.rolbypassrls;
  const flag = (v: string | null) => (v === null ? null : v === "on" || v === "true");
  const scheduler: SchedulerState = {
    launcherRunning: facts.launcher_running,
    launchActiveJobs: flag(facts.launch_active_jobs),
    logRun: flag(facts.log_run),
  };
  if (!facts.extversion) {
    return { pgCronVersion: null, timezone: "GMT", role: roleName, seesAllJobs, jobs: [], warnings: ["pg_cron is not installed in this database"], scheduler };
  }
  // cron.timezone arrived in 1.5; 1.4 accepts the setting but schedules in GMT regardless.
  const before15 = /^1\.[0-4](?:\D|$)|^0\./.test(facts.extversion);
  const timezone = before15 ? "GMT" : facts.timezone || "GMT";
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
  return { pgCronVersion: facts.extversion, timezone, role: roleName, seesAllJobs, jobs, warnings, scheduler };
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
  const reread = window.openRunIds.length
    ? db.query<CronRun & Record<string, unknown>>(
        `select ${columns} from cron.job_run_details
          where runid = any (select (jsonb_array_elements_text($1::text::jsonb))::bigint) order by runid`,
        [JSON.stringify(window.openRunIds)],
      )
    : Promise.resolve([]);
  // Awaited below; a handler now keeps an early failure elsewhere from leaving it unhandled.
  reread.catch(() => {});
  if (window.cursor === null) {
    // First check: of the most recent `bootstrapRuns` runs (an index range below max(runid),
    // one probe), only what a verdict needs: each job's latest finished run and the runs
    // still open. Old failures that healed long ago are history, not news.
    const [top] = await db.query<{ max: number | null }>("select max(runid) as max from cron.job_run_details");
    const max = top?.max ?? 0;
    const from = Math.max(0, max - (window.bootstrapRuns ?? 10_000));
    const runs = await db.query<CronRun & Record<string, unknown>>(
      `select * from (
         select distinct on (jobid) ${columns} from cron.job_run_details
          where runid > $1 and runid <= $2 and status not in ('starting', 'connecting', 'sending', 'running')
          order by jobid, runid desc) as latest
       union all
       select ${columns} from cron.job_run_details
        where runid > $1 and runid <= $2 and status in ('starting', 'connecting', 'sending', 'running')
       order by runid`,
      [from, max],
    );
    return { runs, reread: await reread, cursor: max, truncated: false };
  }
  let cursor = window.cursor;
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
  return { runs, reread: await reread, cursor, truncated };
}

export interface SchedulerState {
  /** pg_cron's launcher is a running background worker. */
  launcherRunning: boolean;
  /** cron.launch_active_jobs (1.6): off means nothing runs. null when unreadable. */
  launchActiveJobs: boolean | null;
  /** cron.log_run: off means pg_cron writes no run rows at all. null when unreadable. */
  logRun: boolean | null;
}
