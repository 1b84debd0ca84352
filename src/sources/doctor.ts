import type { ProjectDb, Row } from "../db/types.js";
import { type ProjectFacts, readProjectFacts } from "./facts.js";
import { type CronJob, OPEN_RUN_STATUSES } from "./pgcron.js";

/**
 * What `jobmon doctor` reads from a monitored project to audit its pg_cron and pg_net set-up
 * (health/doctor.ts judges it). Every statement is read-only, has no parameters and names
 * every object outside pg_catalog with its schema, so it runs over a Postgres connection and
 * over the Management API's read-only endpoint alike. The statements are issued together (one
 * round trip; one HTTP call on the API path) and each one settles on its own: a role that
 * cannot read a table or a setting gets the rest, and the judgement says what it could not see.
 *
 * cron.job_run_details has one index, its primary key runid, and pg_cron never cleans it: the
 * reads of its rows stay inside the latest ACTIVITY_WINDOW_RUNS runids (an index range scan),
 * never the whole table. Its size comes from the catalogs; its exact row count only when the
 * table is small (SMALL_TABLE_BYTES).
 */

/** Runs (by runid) read for the activity of each job: the latest ones. */
export const ACTIVITY_WINDOW_RUNS = 1_000_000;
/** Below this heap size, cron.job_run_details is counted exactly; above, pg_class.reltuples estimates it. */
export const SMALL_TABLE_BYTES = 32 * 1024 * 1024;

/** The settings the audit reads (pg_settings hides cron.* from a role without pg_read_all_settings). */
export const DOCTOR_SETTINGS = [
  "cron.log_run",
  "cron.log_statement",
  "cron.use_background_workers",
  "cron.max_running_jobs",
  "cron.timezone",
  "max_worker_processes",
  "pg_net.ttl",
  "pg_net.batch_size",
] as const;
export type DoctorSetting = (typeof DOCTOR_SETTINGS)[number];

/** A setting as pg_settings shows it: `setting` in its `unit` (pg_net.ttl is an interval text). */
export interface SettingValue {
  setting: string;
  unit: string | null;
}

export const DOCTOR_SETTINGS_SQL = `select name, setting, unit from pg_catalog.pg_settings
 where name in (${DOCTOR_SETTINGS.map((name) => `'${name}'`).join(", ")}) order by name`;

/** A cron.job row, with whether its database and role still exist. */
export interface DoctorJob extends CronJob {
  database_exists: boolean;
  role_exists: boolean;
}

export const DOCTOR_JOBS_SQL = `select j.jobid, j.jobname, j.schedule, j.command, j.active,
       j.username::text as username, j.database::text as database,
       exists (select 1 from pg_catalog.pg_database d where d.datname = j.database) as database_exists,
       exists (select 1 from pg_catalog.pg_roles r where r.rolname = j.username) as role_exists
  from cron.job j order by j.jobid`;

/** cron.job_run_details as a table: its size, its rows, its oldest run. */
export interface RunHistoryStats {
  /** pg_total_relation_size: heap, indexes and TOAST. */
  total_bytes: number;
  /** pg_class.reltuples (-1: never analysed). */
  estimated_rows: number;
  /** count(*), only when the table is small; null otherwise. */
  exact_rows: number | null;
  /** When the oldest run (lowest runid) ended, or started; epoch seconds, null when the table is empty. */
  oldest_epoch: number | null;
  /** The database's clock, epoch seconds. */
  now_epoch: number;
  /** Row-level security is on (pg_cron turns it on): a role without BYPASSRLS counts only its own rows. */
  row_security: boolean;
}

export const DOCTOR_HISTORY_SQL = `select pg_catalog.pg_total_relation_size(c.oid)::bigint as total_bytes,
       c.reltuples::float8 as estimated_rows,
       case when pg_catalog.pg_relation_size(c.oid) < ${SMALL_TABLE_BYTES}
            then (select count(*) from cron.job_run_details)::bigint end as exact_rows,
       (select extract(epoch from coalesce(r.end_time, r.start_time))::float8
          from cron.job_run_details r order by r.runid limit 1) as oldest_epoch,
       extract(epoch from now())::float8 as now_epoch,
       c.relrowsecurity as row_security
  from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
 where n.nspname = 'cron' and c.relname = 'job_run_details'`;

/** One job's runs among the latest ACTIVITY_WINDOW_RUNS; `jobid` null: the window as a whole. */
export interface JobActivity {
  jobid: number | null;
  runs: number;
  runs_day: number;
  runs_week: number;
  /** The latest end_time (else start_time), epoch seconds; null when none of its runs has one. */
  last_epoch: number | null;
  /** The window's oldest end_time (else start_time), epoch seconds (meaningful on the window's row). */
  first_epoch: number | null;
  /** Runs not finished (starting … running); `starting` alone. */
  open_runs: number;
  starting_runs: number;
}

const OPEN_LIST = OPEN_RUN_STATUSES.map((s) => `'${s}'`).join(", ");

export const DOCTOR_ACTIVITY_SQL = `with top as (select coalesce(max(runid), 0) as top from cron.job_run_details),
recent as (
  select r.jobid, r.status, coalesce(r.end_time, r.start_time) as at, r.end_time
    from cron.job_run_details r, top where r.runid > top.top - ${ACTIVITY_WINDOW_RUNS})
select jobid, count(*)::bigint as runs,
       count(*) filter (where end_time >= now() - interval '1 day')::bigint as runs_day,
       count(*) filter (where end_time >= now() - interval '7 days')::bigint as runs_week,
       extract(epoch from max(at))::float8 as last_epoch,
       extract(epoch from min(at))::float8 as first_epoch,
       count(*) filter (where status in (${OPEN_LIST}))::bigint as open_runs,
       count(*) filter (where status = 'starting')::bigint as starting_runs
  from recent group by grouping sets ((jobid), ()) order by jobid nulls first`;

/**
 * The most runs that were running at one instant in the last day: +1 at each start, -1 at each
 * end, a running sum in time order (ends before starts at the same instant).
 */
export const DOCTOR_PEAK_SQL = `with top as (select coalesce(max(runid), 0) as top from cron.job_run_details),
day as (
  select r.start_time, r.end_time from cron.job_run_details r, top
   where r.runid > top.top - ${ACTIVITY_WINDOW_RUNS} and r.start_time is not null
     and (r.end_time is null or r.end_time >= now() - interval '1 day')),
events as (select start_time as at, 1 as delta from day union all select end_time, -1 from day where end_time is not null)
select coalesce(max(running), 0)::bigint as peak
  from (select sum(delta) over (order by at, delta rows unbounded preceding) as running from events) as s`;

/** What the connected role may do, for `--fix` and for what the audit could not see. */
export interface RoleAbilities {
  /** May run cron.schedule. */
  can_schedule: boolean;
  /** May delete from cron.job_run_details (a cleanup job runs as the role that schedules it). */
  can_delete_history: boolean;
  /** The session is read-only (default_transaction_read_only). */
  read_only: boolean;
  /** May create schemas in this database: a role that only reads (a monitoring role) may not. */
  can_create: boolean;
}

export const DOCTOR_ROLE_SQL = `select has_function_privilege('cron.schedule(text, text, text)', 'EXECUTE') as can_schedule,
       has_table_privilege('cron.job_run_details', 'DELETE') as can_delete_history,
       current_setting('transaction_read_only') = 'on' as read_only,
       has_database_privilege(current_database(), 'CREATE') as can_create`;

/** pg_net's queue: requests not yet sent. */
export const DOCTOR_NET_QUEUE_SQL = "select count(*)::bigint as queued from net.http_request_queue";

/** Everything read; a part a statement could not read is the Error it failed with. */
export interface DoctorRead {
  facts: ProjectFacts;
  settings: Partial<Record<DoctorSetting, SettingValue>> | Error;
  /** null without pg_cron (nothing else of pg_cron is read then). */
  jobs: DoctorJob[] | Error | null;
  history: RunHistoryStats | Error | null;
  activity: JobActivity[] | Error | null;
  peak: number | Error | null;
  role: RoleAbilities | Error | null;
  /** null when pg_net is absent. */
  netQueue: number | Error | null;
}

const settled = <T>(promise: Promise<T>): Promise<T | Error> => promise.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));

/** The facts first (they say whether pg_cron and pg_net are there), then every other statement together. */
export async function readDoctor(db: ProjectDb): Promise<DoctorRead> {
  const facts = await readProjectFacts(db);
  const cron = facts.pgCronVersion !== null;
  const rows = <T>(sql: string) => settled(db.query(sql)) as Promise<(T & Row)[] | Error>;
  const ifCron = <T>(sql: string) => (cron ? rows<T>(sql) : Promise.resolve(null));
  const [settings, jobs, history, activity, peak, role, netQueue] = await Promise.all([
    rows<{ name: DoctorSetting } & SettingValue>(DOCTOR_SETTINGS_SQL),
    ifCron<DoctorJob>(DOCTOR_JOBS_SQL),
    ifCron<RunHistoryStats>(DOCTOR_HISTORY_SQL),
    ifCron<JobActivity>(DOCTOR_ACTIVITY_SQL),
    ifCron<{ peak: number }>(DOCTOR_PEAK_SQL),
    ifCron<RoleAbilities>(DOCTOR_ROLE_SQL),
    facts.pgNet === "absent" ? Promise.resolve(null) : rows<{ queued: number }>(DOCTOR_NET_QUEUE_SQL),
  ]);
  const first = <T, U>(value: T[] | Error | null, map: (row: T) => U): U | Error | null =>
    value === null || value instanceof Error ? value : value[0] === undefined ? new Error("no row") : map(value[0]);
  return {
    facts,
    settings: settings instanceof Error ? settings : Object.fromEntries(settings.map((s) => [s.name, { setting: s.setting, unit: s.unit }])),
    jobs,
    history: first(history, (row) => row),
    activity,
    peak: first(peak, (row) => row.peak),
    role: first(role, (row) => row),
    netQueue: first(netQueue, (row) => row.queued),
  };
}
