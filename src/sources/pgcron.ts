import type { Queryable, Row } from "../db/types.js";
import { errorMessage } from "../errors.js";
import { type ProjectFacts, readProjectFacts, type SchedulerState } from "./facts.js";
import { sqlBigintArray, sqlInt, sqlSeconds } from "./literal.js";

export type { SchedulerState } from "./facts.js";

/**
 * Everything jobmon reads from a monitored project's pg_cron. SQL against monitored
 * projects lives in sources/ only; it is read-only, and its only values are jobmon's own
 * numbers, written as checked literals (literal.ts says why).
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
  /** Whether pg_cron is running jobs at all (read with the other facts). */
  scheduler: SchedulerState;
}

export const CRON_JOBS_SQL = `select jobid, jobname, schedule, command, active, username::text as username, database::text as database
  from cron.job order by jobid`;

/** cron.job, in jobid order. Only meaningful where the facts show pg_cron installed. */
export async function readCronJobs(db: Queryable): Promise<CronJob[]> {
  return db.query<CronJob & Record<string, unknown>>(CRON_JOBS_SQL);
}

/** Without cron.job there is no inventory: the project cannot be checked. */
export function cronJobsUnreadable(role: string, error: unknown): Error {
  return new Error(`cannot read cron.job as ${role} (${errorMessage(error)}); grant USAGE on schema cron`, { cause: error });
}

/** The facts and cron.job together: what discovery records. */
export function cronInventory(facts: ProjectFacts, jobs: CronJob[]): CronInventory {
  const { role, seesAllJobs, scheduler } = facts;
  if (!facts.pgCronVersion) {
    return { pgCronVersion: null, timezone: "GMT", role, seesAllJobs, jobs: [], warnings: ["pg_cron is not installed in this database"], scheduler };
  }
  // cron.timezone arrived in 1.5; 1.4 accepts the setting but schedules in GMT regardless.
  const before15 = /^1\.[0-4](?:\D|$)|^0\./.test(facts.pgCronVersion);
  const timezone = before15 ? "GMT" : facts.cronTimezone || "GMT";
  const warnings: string[] = [];
  const hidden = unreadableSettings(facts, !before15);
  if (hidden.length > 0) {
    warnings.push(
      `role ${role} cannot read ${hidden.join(", ")} (superuser-only settings; pg_read_all_settings shows them)` +
        `${hidden.includes("cron.timezone") ? ": fire times are computed in GMT, pg_cron's default, which is wrong if this project sets cron.timezone" : ""}`,
    );
  }
  if (scheduler.launcherRunning === null) {
    warnings.push(
      `role ${role} cannot see pg_cron's launcher in pg_stat_activity (that needs pg_read_all_stats or pg_monitor): ` +
        "whether the scheduler runs is judged from the jobs' runs only",
    );
  }
  if (!seesAllJobs) {
    warnings.push(
      `role ${role} has neither SUPERUSER nor BYPASSRLS: pg_cron's row-level security shows it only the jobs it owns. ` +
        `Connect as a role with BYPASSRLS (on Supabase: supabase_read_only_user) to see every job.`,
    );
  }
  return { pgCronVersion: facts.pgCronVersion, timezone, role, seesAllJobs, jobs, warnings, scheduler };
}

/** The settings a check reads that this role cannot see (they read as unset). */
function unreadableSettings(facts: ProjectFacts, hasTimezone: boolean): string[] {
  if (facts.readsSettings) return [];
  const hidden: string[] = [];
  if (hasTimezone && facts.cronTimezone === null) hidden.push("cron.timezone");
  if (facts.scheduler.logRun === null) hidden.push("cron.log_run");
  // cron.launch_active_jobs arrived in 1.6.
  if (facts.scheduler.launchActiveJobs === null && /^(?:1\.(?:[6-9]|\d{2,})|[2-9])/.test(facts.pgCronVersion ?? "")) hidden.push("cron.launch_active_jobs");
  return hidden;
}

/** Facts, then cron.job when pg_cron is there (discovery; a check pipelines more, see project.ts). */
export async function readCronInventory(db: Queryable): Promise<CronInventory> {
  const facts = await readProjectFacts(db);
  if (!facts.pgCronVersion) return cronInventory(facts, []);
  const jobs = await readCronJobs(db).catch((error: unknown) => {
    throw cronJobsUnreadable(facts.role, error);
  });
  return cronInventory(facts, jobs);
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

/** Statuses of a run that has not finished (docs/platform.md: starting → connecting → sending → running). */
export const OPEN_RUN_STATUSES = ["starting", "connecting", "sending", "running"] as const;
export function isOpenRun(status: string): boolean {
  return (OPEN_RUN_STATUSES as readonly string[]).includes(status);
}

const RUN_COLUMNS = `runid, jobid, job_pid, database::text as database, username::text as username, status,
  left(return_message, $RETURN_LIMIT) as return_message, start_time, end_time`;

const OPEN_SQL_LIST = OPEN_RUN_STATUSES.map((s) => `'${s}'`).join(", ");

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
 * Commands that send pg_net requests, as a POSIX regular expression in a SQL literal (a
 * constant of jobmon's, with no quote in it; a superset of what health/function-calls.ts
 * recognises: the runs it selects are filtered again there).
 */
const CALLING_COMMAND_SQL = String.raw`'net\s*\.\s*http_(post|get|delete)\s*\(|supabase_functions\s*\.\s*http_request\s*\(|/functions/v1/'`;

/**
 * Every finished run, started in the last `seconds`, of the jobs whose command sends pg_net
 * requests. A first read of pg_net's responses reaches back that far, and each response must
 * be matched against the run that made it, not only against a job's latest run (all a first
 * read of the runs returns). Bounded like a first read: an index range below max(runid).
 */
export function callingRunsStatement(seconds: number, options: { bootstrapRuns?: number; returnMessageLimit?: number } = {}): string {
  const columns = RUN_COLUMNS.replace("$RETURN_LIMIT", sqlInt(Math.max(1, Math.floor(options.returnMessageLimit ?? 8_192))));
  const back = sqlInt(Math.max(0, Math.floor(options.bootstrapRuns ?? 10_000)));
  return `select ${columns} from cron.job_run_details
     where runid > (select coalesce(max(runid), 0) - ${back} from cron.job_run_details)
       and start_time >= now() - ${sqlSeconds(Math.max(0, seconds))}
       and status not in (${OPEN_SQL_LIST})
       and jobid in (select jobid from cron.job where command ~* ${CALLING_COMMAND_SQL})
     order by runid`;
}

/** A read of runs in two halves, so that a caller can send its first statements with others. */
export interface RunsRead {
  /** The first page (or a first check's whole read) and the re-read of open runs: independent, sent together. */
  statements: string[];
  /** Their rows → the batch, reading further pages when the first one came back full. */
  finish(db: Queryable, results: readonly Row[][]): Promise<RunBatch>;
  /** The whole read on its own: the statements together (one message each), then finish. */
  read(db: Queryable): Promise<RunBatch>;
}

/** The rows of one statement of a batch, typed by the caller that wrote the statement. */
const rowsOf = <T>(results: readonly Row[][], i: number): T[] => (results[i] ?? []) as unknown as T[];

/**
 * Reads cron.job_run_details forward from a runid cursor. `runid` is the table's primary key
 * and only index, so each page is an index range scan: the cost follows the number of new
 * runs, not the size of the history (which pg_cron never cleans).
 */
export function startRunsRead(window: RunWindow): RunsRead {
  const halves = runsReadHalves(window);
  return { ...halves, read: async (db) => halves.finish(db, await Promise.all(halves.statements.map((statement) => db.query(statement)))) };
}

function runsReadHalves(window: RunWindow): Omit<RunsRead, "read"> {
  const pageSize = Math.max(1, Math.floor(window.pageSize ?? 5_000));
  const maxRows = window.maxRows ?? 50_000;
  const columns = RUN_COLUMNS.replace("$RETURN_LIMIT", sqlInt(Math.max(1, Math.floor(window.returnMessageLimit ?? 8_192))));
  const reread = window.openRunIds.length
    ? [`select ${columns} from cron.job_run_details where runid = any (${sqlBigintArray(window.openRunIds)}) order by runid`]
    : [];
  const rereadRows = (results: readonly Row[][]) => (reread.length ? rowsOf<CronRun>(results, 1) : []);

  if (window.cursor === null) {
    // First check: of the most recent `bootstrapRuns` runs (an index range below max(runid),
    // one probe), only what a verdict needs: each job's latest finished run and the runs
    // still open. Old failures that healed long ago are history, not news. max(runid) comes
    // back on every row (and alone on an empty table) so that the cursor is exactly the top
    // of what this statement read.
    const back = sqlInt(Math.max(0, Math.floor(window.bootstrapRuns ?? 10_000)));
    const first = `with top as (select coalesce(max(runid), 0) as top from cron.job_run_details)
       select top.top, r.* from top left join lateral (
         select * from (
           select distinct on (jobid) ${columns} from cron.job_run_details
            where runid > top.top - ${back} and runid <= top.top and status not in (${OPEN_SQL_LIST})
            order by jobid, runid desc) as latest
         union all
         select ${columns} from cron.job_run_details
          where runid > top.top - ${back} and runid <= top.top and status in (${OPEN_SQL_LIST})
       ) as r on true
       order by r.runid`;
    return {
      statements: [first, ...reread],
      async finish(_db, results) {
        const rows = rowsOf<CronRun & { top: number }>(results, 0);
        const runs = rows.filter((row) => row.runid !== null).map(({ top: _top, ...run }) => run as CronRun);
        return { runs, reread: rereadRows(results), cursor: rows[0]?.top ?? 0, truncated: false };
      },
    };
  }

  const page = (after: number) => `select ${columns} from cron.job_run_details where runid > ${sqlInt(after)} order by runid limit ${sqlInt(pageSize)}`;
  const start = window.cursor;
  return {
    statements: [page(start), ...reread],
    async finish(db, results) {
      let cursor = start;
      const runs: CronRun[] = [];
      let truncated = false;
      let rows = rowsOf<CronRun>(results, 0);
      for (;;) {
        runs.push(...rows);
        if (rows.length > 0) cursor = (rows[rows.length - 1] as CronRun).runid;
        if (rows.length < pageSize) break;
        if (runs.length >= maxRows) {
          truncated = true;
          break;
        }
        rows = await db.query<CronRun & Row>(page(cursor));
      }
      return { runs, reread: rereadRows(results), cursor, truncated };
    },
  };
}
