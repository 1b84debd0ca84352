import type { Queryable } from "../db/types.js";
import type { JobDurations } from "../health/durations.js";
import type { JobStatus, ProjectStatus } from "../types.js";
import { checkHistoryLimit, type RecentRun } from "./inventory.js";

/** The hub side of a check: everything one cycle writes, in bulk, inside one transaction. */

export interface JobStateUpdate {
  id: string;
  status: JobStatus;
  status_since: Date | null;
  status_reason: string;
  last_error: string | null;
  last_run_at: Date | null;
  last_run_status: string | null;
  consecutive_failures: number;
  down_since: Date | null;
  alerted_status: JobStatus | null;
  alerted_at: Date | null;
  recent_runs: RecentRun[];
  /** The job's kept durations after this check (bounded: health/durations.ts). */
  durations: JobDurations;
  /** The check saw the job at its source (pg_cron, or the Management API's list). */
  last_seen_at: Date | null;
}

export type { RecentRun };

export interface HealthLogEntry {
  job_inventory_id: string;
  status: JobStatus;
  error_message: string | null;
  run_at: Date | null;
  reason: string;
  run_id: number | null;
  runs_total?: number | null;
  runs_failed?: number | null;
}

export interface AlertEventInsert {
  id: string;
  kind: "job" | "project" | "message";
  project_name: string | null;
  job_inventory_id: string | null;
  criticality: string;
  from_status: JobStatus | ProjectStatus | null;
  to_status: JobStatus | ProjectStatus | null;
  muted: boolean;
  payload: unknown;
}

export interface ProjectStateUpdate {
  project_name: string;
  project_ref: string | null;
  /** How the project is read: through its URL, or through the Management API. */
  source: "postgres" | "api";
  status: ProjectStatus;
  status_since: Date;
  status_reason: string;
  last_error: string | null;
  down_since: Date | null;
  alerted_status: ProjectStatus | null;
  alerted_at: Date | null;
  /** Only for reachable projects: the collectors' new positions. */
  run_cursor?: number | null;
  open_runs?: Record<string, string>;
  /** pg_net's cursor, when pg_net was read. */
  net_cursor?: { created: Date; id: number } | null;
  /** pg_net calls carried to the next check, when the check judged them. */
  net_calls?: unknown;
  /** Where the Edge Function logs were read up to, when they were read. */
  logs_cursor?: Date;
  /** What the check learnt of a reachable project's pg_cron (as discovery records it). */
  discovery?: { pgCronVersion: string | null; timezone: string; role: string; seesAllJobs: boolean };
}

const json = (value: unknown) => JSON.stringify(value);

export async function writeJobStates(db: Queryable, updates: readonly JobStateUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  await db.query(
    `update monitoring.job_inventory t set
        status = u.status, status_since = u.status_since, status_reason = u.status_reason,
        last_error = u.last_error, last_run_at = u.last_run_at, last_run_status = u.last_run_status,
        consecutive_failures = u.consecutive_failures, down_since = u.down_since,
        alerted_status = u.alerted_status, alerted_at = u.alerted_at, recent_runs = u.recent_runs,
        durations = u.durations, last_seen_at = u.last_seen_at
       from jsonb_to_recordset($1::text::jsonb) as u(
         id uuid, status text, status_since timestamptz, status_reason text, last_error text,
         last_run_at timestamptz, last_run_status text, consecutive_failures int,
         down_since timestamptz, alerted_status text, alerted_at timestamptz, recent_runs jsonb,
         durations jsonb, last_seen_at timestamptz)
      where t.id = u.id`,
    [json(updates)],
  );
}

/** last_seen_at for jobs a check saw at their source and otherwise left as they were. */
export async function markSeenAtSource(db: Queryable, ids: readonly string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    "update monitoring.job_inventory set last_seen_at = $2 where id in (select (jsonb_array_elements_text($1::text::jsonb))::uuid)",
    [json(ids), at],
  );
}

export async function insertHealthLog(db: Queryable, checkId: string, entries: readonly HealthLogEntry[], collectedAt: Date): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `insert into monitoring.job_health_log (job_inventory_id, status, error_message, run_at, collected_at, check_id, reason, run_id, runs_total, runs_failed)
     select e.job_inventory_id, e.status, e.error_message, e.run_at, $2, $3, e.reason, e.run_id, e.runs_total, e.runs_failed
       from jsonb_to_recordset($1::text::jsonb) as e(
         job_inventory_id uuid, status text, error_message text, run_at timestamptz, reason text, run_id bigint,
         runs_total int, runs_failed int)`,
    [json(entries), collectedAt, checkId],
  );
}

export async function insertAlertEvents(db: Queryable, checkId: string | null, events: readonly AlertEventInsert[], createdAt: Date): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `insert into monitoring.alert_event (id, created_at, check_id, kind, project_name, job_inventory_id, criticality, from_status, to_status, muted, payload)
     select e.id, $2, $3, e.kind, e.project_name, e.job_inventory_id, e.criticality, e.from_status, e.to_status, e.muted, e.payload
       from jsonb_to_recordset($1::text::jsonb) as e(
         id uuid, kind text, project_name text, job_inventory_id uuid, criticality text,
         from_status text, to_status text, muted boolean, payload jsonb)`,
    [json(events), createdAt, checkId],
  );
}

/**
 * Every project's state after a check: a row for a project seen for the first time, then one
 * update for all of them. Cursors and discovered facts are written where the update has them.
 */
export async function writeProjectStates(db: Queryable, updates: readonly ProjectStateUpdate[], now: Date): Promise<void> {
  if (updates.length === 0) return;
  const rows = updates.map((u) => ({
    project_name: u.project_name,
    project_ref: u.project_ref,
    source: u.source,
    status: u.status,
    status_since: u.status_since,
    status_reason: u.status_reason,
    last_error: u.last_error,
    down_since: u.down_since,
    alerted_status: u.alerted_status,
    alerted_at: u.alerted_at,
    has_run_cursor: u.run_cursor !== undefined,
    run_cursor: u.run_cursor ?? null,
    open_runs: u.open_runs ?? {},
    has_net_cursor: u.net_cursor !== undefined,
    net_cursor: u.net_cursor?.id ?? null,
    net_cursor_created: u.net_cursor?.created ?? null,
    has_net_calls: u.net_calls !== undefined,
    net_calls: u.net_calls ?? null,
    logs_cursor: u.logs_cursor ?? null,
    discovered: u.discovery !== undefined,
    pg_cron_version: u.discovery?.pgCronVersion ?? null,
    cron_timezone: u.discovery?.timezone ?? null,
    role_name: u.discovery?.role ?? null,
    sees_all_jobs: u.discovery?.seesAllJobs ?? null,
  }));
  await db.query(
    `insert into monitoring.project_state (project_name, status_since, updated_at)
     select name, $2, $2 from jsonb_array_elements_text($1::text::jsonb) as name
     on conflict (project_name) do nothing`,
    [JSON.stringify(rows.map((r) => r.project_name)), now],
  );
  await db.query(
    `update monitoring.project_state p set
        project_ref = coalesce(u.project_ref, p.project_ref),
        source = u.source,
        status = u.status, status_since = u.status_since, status_reason = u.status_reason,
        last_error = u.last_error, down_since = u.down_since,
        alerted_status = u.alerted_status, alerted_at = u.alerted_at, last_checked_at = $2,
        run_cursor = case when u.has_run_cursor then u.run_cursor else p.run_cursor end,
        open_runs = case when u.has_run_cursor then u.open_runs else p.open_runs end,
        net_cursor = case when u.has_net_cursor then u.net_cursor else p.net_cursor end,
        net_cursor_created = case when u.has_net_cursor then u.net_cursor_created else p.net_cursor_created end,
        net_calls = case when u.has_net_calls then u.net_calls else p.net_calls end,
        logs_cursor = coalesce(u.logs_cursor, p.logs_cursor),
        pg_cron_version = case when u.discovered then u.pg_cron_version else p.pg_cron_version end,
        cron_timezone = case when u.discovered then u.cron_timezone else p.cron_timezone end,
        role_name = case when u.discovered then u.role_name else p.role_name end,
        sees_all_jobs = case when u.discovered then u.sees_all_jobs else p.sees_all_jobs end,
        last_discovered_at = case when u.discovered then $2 else p.last_discovered_at end,
        updated_at = $2
       from jsonb_to_recordset($1::text::jsonb) as u(
         project_name text, project_ref text, source text, status text, status_since timestamptz, status_reason text,
         last_error text, down_since timestamptz, alerted_status text, alerted_at timestamptz,
         has_run_cursor boolean, run_cursor bigint, open_runs jsonb, has_net_cursor boolean, net_cursor bigint,
         net_cursor_created timestamptz, has_net_calls boolean, net_calls jsonb, logs_cursor timestamptz, discovered boolean, pg_cron_version text,
         cron_timezone text, role_name text, sees_all_jobs boolean)
      where p.project_name = u.project_name`,
    [JSON.stringify(rows), now],
  );
}

/**
 * Records a check run's end. A new row starts when the check took its lease (check_lock's
 * acquired_at, while this check holds it), so `finished_at - started_at` is how long the
 * check took to read its projects; without the lease (a dry run) it starts at `finishedAt`.
 */
export async function finishCheckRun(db: Queryable, id: string, finishedAt: Date, status: "completed" | "failed", summary: unknown, error: string | null): Promise<void> {
  await db.query(
    `insert into monitoring.check_run (id, started_at, finished_at, status, summary, error)
     select $1::uuid, coalesce((select l.acquired_at from monitoring.check_lock l where l.id and l.holder = $1::uuid and l.acquired_at <= $2::timestamptz), $2::timestamptz),
            $2::timestamptz, $3::text, $4::text::jsonb, $5::text
     on conflict (id) do update set finished_at = $2, status = $3, summary = $4::text::jsonb, error = $5`,
    [id, finishedAt, status, json(summary), error],
  );
}

/** Deletes health-log rows (and old check runs) older than the retention period. */
export async function pruneHistory(db: Queryable, before: Date): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `with gone as (delete from monitoring.job_health_log where collected_at < $1 returning 1)
     select count(*)::int as n from gone`,
    [before],
  );
  await db.query("delete from monitoring.check_run where started_at < $1", [before]);
  return rows[0]?.n ?? 0;
}

export interface HealthLogRow {
  id: string;
  job_inventory_id: string;
  /** The column's check constraint allows only verdicts. */
  status: JobStatus;
  error_message: string | null;
  run_at: Date | null;
  collected_at: Date;
  check_id: string | null;
  reason: string | null;
  run_id: number | null;
  runs_total: number | null;
  runs_failed: number | null;
}

/** The job's health log, newest first; `limit` from 1 to HISTORY_LIMIT.max (InvalidSettingError otherwise). */
export async function jobHistory(db: Queryable, jobId: string, limit = 100): Promise<HealthLogRow[]> {
  checkHistoryLimit(limit);
  return db.query<HealthLogRow & Record<string, unknown>>(
    `select * from monitoring.job_health_log where job_inventory_id = $1
      order by collected_at desc, run_id desc nulls first limit $2`,
    [jobId, limit],
  );
}
