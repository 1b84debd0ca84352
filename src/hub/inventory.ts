import type { Queryable } from "../db/types.js";
import { formatDuration } from "../duration.js";
import { JobmonError } from "../errors.js";
import type { JobDurations } from "../health/durations.js";
import type { Criticality, JobStatus, JobType } from "../types.js";

/**
 * A job's status as the hub keeps it: a check's verdict, or `new` until a check has judged
 * the job (the column's default). The column's check constraint allows nothing else, so rows
 * read from the hub are typed, not parsed.
 */
export type JobStateStatus = JobStatus | "new";

/** A finished run as the dashboard's strip shows it (job_inventory.recent_runs keeps 30). */
export interface RecentRun {
  runid: number;
  /** The run's own status (pg_cron's `succeeded`/`failed`, or a function call's), not a verdict. */
  status: string;
  start: string | null;
  end: string | null;
}

/** A job_inventory row, keyed by the hub's column names (what `--json` prints). */
export interface JobRow {
  id: string;
  project_name: string;
  job_type: JobType;
  job_name: string;
  schedule: string | null;
  description: string | null;
  success_criteria: string | null;
  criticality: Criticality | null;
  last_seen_at: Date | null;
  created_at: Date;
  updated_at: Date;
  source_id: string | null;
  command: string | null;
  active: boolean | null;
  run_as: string | null;
  database_name: string | null;
  source_meta: Record<string, unknown>;
  first_seen_at: Date;
  expected_since: Date | null;
  removed_at: Date | null;
  grace_seconds: number | null;
  max_runtime_seconds: number | null;
  failure_threshold: number;
  muted_until: Date | null;
  /** The `slow` rule's factor over the usual p95 (null: the default, 0: never slow). */
  slow_factor: number | null;
  /** An absolute threshold for `slow`, instead of the one from the durations. */
  slow_after_seconds: number | null;
  status: JobStateStatus;
  status_since: Date | null;
  status_reason: string | null;
  last_error: string | null;
  last_run_at: Date | null;
  last_run_status: string | null;
  /** The latest finished runs, newest last (at most 30). */
  recent_runs: RecentRun[];
  /** Durations of the latest successful runs and pg_net calls (at most 200 each; health/durations.ts). */
  durations: JobDurations;
  consecutive_failures: number;
  down_since: Date | null;
  /** The status last announced: always a verdict (a check writes it). */
  alerted_status: JobStatus | null;
  alerted_at: Date | null;
}

/** A job as its source shows it now; what discovery writes. */
export interface DiscoveredJob {
  job_name: string;
  source_id: string;
  schedule: string | null;
  command: string | null;
  active: boolean;
  run_as: string | null;
  database_name: string | null;
  source_meta?: Record<string, unknown>;
}

export interface SyncResult {
  inserted: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

/**
 * Brings one project's jobs of one type in line with what its source shows: new jobs are
 * inserted; schedule, command, active and last_seen_at are refreshed; jobs that left the
 * source are marked removed (and come back if they reappear). Hand annotations
 * (description, success_criteria, criticality, per-job settings) are never written here.
 */
export async function syncInventory(
  db: Queryable,
  projectName: string,
  jobType: JobType,
  jobs: readonly DiscoveredJob[],
  seenAt: Date,
): Promise<SyncResult> {
  const payload = JSON.stringify(jobs.map((j) => ({ ...j, source_meta: j.source_meta ?? {} })));
  const rows = await db.query<{ job_name: string; inserted: boolean; changed: boolean }>(
    `with incoming as (
       select * from jsonb_to_recordset($1::text::jsonb) as j(
         job_name text, source_id text, schedule text, command text, active boolean,
         run_as text, database_name text, source_meta jsonb)
     ),
     previous as (
       select i.job_name, i.schedule, i.command, i.active, i.removed_at
         from monitoring.job_inventory i
        where i.project_name = $2 and i.job_type = $3
     )
     insert into monitoring.job_inventory as t
       (project_name, job_type, job_name, source_id, schedule, command, active, run_as,
        database_name, source_meta, last_seen_at, first_seen_at, expected_since, created_at, updated_at)
     select $2, $3, n.job_name, n.source_id, n.schedule, n.command, n.active, n.run_as,
            n.database_name, coalesce(n.source_meta, '{}'::jsonb), $4, $4, $4, $4, $4
       from incoming n
     on conflict (project_name, job_type, job_name) do update set
       source_id = excluded.source_id,
       schedule = excluded.schedule,
       command = excluded.command,
       active = excluded.active,
       run_as = excluded.run_as,
       database_name = excluded.database_name,
       source_meta = excluded.source_meta,
       last_seen_at = excluded.last_seen_at,
       removed_at = null,
       -- A new schedule, a resumed job or a returning one is given a fresh start for
       -- missed detection: runs are expected from now on, not from long ago.
       expected_since = case
         when t.schedule is distinct from excluded.schedule
           or (t.active is not true and excluded.active)
           or t.removed_at is not null
         then excluded.last_seen_at else coalesce(t.expected_since, t.first_seen_at) end,
       updated_at = case
         when t.schedule is distinct from excluded.schedule
           or t.command is distinct from excluded.command
           or t.active is distinct from excluded.active
           or t.removed_at is not null
         then excluded.updated_at else t.updated_at end
     returning t.job_name,
       not exists (select 1 from previous p where p.job_name = t.job_name) as inserted,
       exists (select 1 from previous p where p.job_name = t.job_name and (
         p.schedule is distinct from t.schedule or p.command is distinct from t.command
         or p.active is distinct from t.active or p.removed_at is not null)) as changed`,
    [payload, projectName, jobType, seenAt],
  );
  const removed = await db.query<{ job_name: string }>(
    `update monitoring.job_inventory
        set removed_at = $4, updated_at = $4
      where project_name = $1 and job_type = $2 and removed_at is null
        and not (job_name = any (select jsonb_array_elements_text($3::text::jsonb)))
      returning job_name`,
    [projectName, jobType, JSON.stringify(jobs.map((j) => j.job_name)), seenAt],
  );
  const inserted = rows.filter((r) => r.inserted).map((r) => r.job_name);
  const changed = rows.filter((r) => !r.inserted && r.changed).map((r) => r.job_name);
  return {
    inserted,
    changed,
    removed: removed.map((r) => r.job_name),
    unchanged: rows.length - inserted.length - changed.length,
  };
}

/**
 * Whether `syncInventory` would change nothing but last_seen_at: the same jobs, none removed
 * or returning, with the same definitions. `rows` are the project's current (not removed)
 * rows of that job type. A check compares first and writes only on a difference, because a
 * check that rewrites every inventory row costs the hub as much as all its other writes.
 */
export function inventoryUnchanged(rows: readonly JobRow[], jobs: readonly DiscoveredJob[]): boolean {
  if (rows.length !== jobs.length) return false;
  const byName = new Map(rows.map((row) => [row.job_name, row]));
  return jobs.every((job) => {
    const row = byName.get(job.job_name);
    return (
      row !== undefined &&
      row.source_id === job.source_id &&
      row.schedule === job.schedule &&
      row.command === job.command &&
      row.active === job.active &&
      row.run_as === job.run_as &&
      row.database_name === job.database_name &&
      canonicalJson(row.source_meta ?? {}) === canonicalJson(job.source_meta ?? {})
    );
  });
}

/** JSON with object keys sorted (jsonb keeps its own key order, not the writer's). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export interface JobFilter {
  project?: string;
  /** Only these projects' jobs. */
  projects?: readonly string[];
  jobType?: JobType;
  includeRemoved?: boolean;
}

export async function listJobs(db: Queryable, filter: JobFilter = {}): Promise<JobRow[]> {
  return db.query<JobRow & Record<string, unknown>>(
    `select * from monitoring.job_inventory
      where ($1::text is null or project_name = $1)
        and ($2::text is null or job_type = $2)
        and ($3::boolean or removed_at is null)
        and ($4::text is null or project_name in (select jsonb_array_elements_text($4::text::jsonb)))
      order by project_name, job_type, job_name`,
    [filter.project ?? null, filter.jobType ?? null, filter.includeRemoved ?? true, filter.projects ? JSON.stringify(filter.projects) : null],
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** No job (or project) by that id or name: the message says what was looked for. */
export class JobNotFoundError extends JobmonError {
  constructor(message: string) {
    super("job_not_found", message, "configuration");
  }
}

/**
 * Finds a job by inventory id or `project/job_name` (split at the first `/`, since job
 * names may contain slashes; `project/edge_function:slug` or `project/pg_cron:name`
 * chooses the type when a cron job and a function share a name).
 */
export async function findJob(db: Queryable, ref: string): Promise<JobRow> {
  if (UUID.test(ref)) {
    const [row] = await db.query<JobRow & Record<string, unknown>>("select * from monitoring.job_inventory where id = $1", [ref]);
    if (!row) throw new JobNotFoundError(`no job with id ${ref}`);
    return row;
  }
  const slash = ref.indexOf("/");
  if (slash <= 0 || slash === ref.length - 1) {
    throw new JobNotFoundError(`"${ref}" is neither a job id nor project/job_name`);
  }
  const project = ref.slice(0, slash);
  let name = ref.slice(slash + 1);
  let jobType: JobType | null = null;
  const typed = /^(pg_cron|edge_function):(.+)$/s.exec(name);
  if (typed) {
    jobType = typed[1] as JobType;
    name = typed[2] as string;
  }
  let rows = await db.query<JobRow & Record<string, unknown>>(
    `select * from monitoring.job_inventory
      where project_name = $1 and job_name = $2 and ($3::text is null or job_type = $3)
      order by job_type`,
    [project, name, jobType],
  );
  if (rows.length === 0 && typed) {
    // A job literally named "pg_cron:…" or "edge_function:…".
    rows = await db.query<JobRow & Record<string, unknown>>(
      "select * from monitoring.job_inventory where project_name = $1 and job_name = $2",
      [project, ref.slice(slash + 1)],
    );
  }
  if (rows.length === 0) throw new JobNotFoundError(`no job named "${name}" in project "${project}"`);
  if (rows.length > 1) {
    throw new JobNotFoundError(
      `"${ref}" matches ${rows.length} jobs: use ${rows.map((r) => `${project}/${r.job_type}:${name}`).join(" or ")}`,
    );
  }
  return rows[0] as JobRow;
}

/** Hand annotations and per-job settings; `undefined` leaves a field alone, `null` clears it. */
export interface JobPatch {
  description?: string | null;
  success_criteria?: string | null;
  criticality?: Criticality | null;
  grace_seconds?: number | null;
  max_runtime_seconds?: number | null;
  failure_threshold?: number;
  muted_until?: Date | null;
  slow_factor?: number | null;
  slow_after_seconds?: number | null;
}

const PATCHABLE = [
  "description",
  "success_criteria",
  "criticality",
  "grace_seconds",
  "max_runtime_seconds",
  "failure_threshold",
  "muted_until",
  "slow_factor",
  "slow_after_seconds",
] as const satisfies readonly (keyof JobPatch)[];

/**
 * What the per-job settings may be. The hub keeps them in integer (int4) columns, in seconds
 * for durations; the bounds are well inside that and wide enough for any real schedule:
 *
 * - grace_seconds, max_runtime_seconds: 1 second to 366 days (31,622,400 seconds);
 * - failure_threshold: 1 to 1,000 consecutive failed runs;
 * - slow_factor: 0 (never slow) to 100 times the usual p95, fractions allowed (a float8 column);
 * - slow_after_seconds: 1 second to 366 days.
 */
export const JOB_SETTING_LIMITS = {
  grace_seconds: { min: 1, max: 366 * 86_400, duration: true },
  max_runtime_seconds: { min: 1, max: 366 * 86_400, duration: true },
  failure_threshold: { min: 1, max: 1_000, duration: false },
  slow_factor: { min: 0, max: 100, duration: false, fraction: true },
  slow_after_seconds: { min: 1, max: 366 * 86_400, duration: true },
} as const;

/** How many health-log entries one history read may ask for: 1 to 10,000. */
export const HISTORY_LIMIT = { min: 1, max: 10_000 } as const;

/** A setting or argument outside what jobmon accepts; the message gives the allowed range. */
export class InvalidSettingError extends JobmonError {
  constructor(message: string) {
    super("invalid_setting", message, "configuration");
  }
}

const shown = (value: unknown): string => (typeof value === "string" ? JSON.stringify(value) : String(value));

interface SettingRange {
  min: number;
  max: number;
  duration?: boolean;
  /** Any finite number in the range, not only whole ones. */
  fraction?: boolean;
}

function inRange(value: unknown, range: SettingRange): boolean {
  return typeof value === "number" && (range.fraction ? Number.isFinite(value) : Number.isSafeInteger(value)) && value >= range.min && value <= range.max;
}

/** The range as the message gives it: `from 1s to 366d (1 to 31622400 seconds)`, `a whole number from 1 to 1000`, `a number from 0 to 100`. */
function describeRange(range: SettingRange): string {
  if (range.duration) return `from ${formatDuration(range.min)} to ${formatDuration(range.max)} (${range.min} to ${range.max} seconds)`;
  return `${range.fraction ? "a number" : "a whole number"} from ${range.min} to ${range.max}`;
}

/**
 * Checks a patch before anything reaches the hub (the library's updateJob and the CLI's
 * annotate alike): each setting in its range (JOB_SETTING_LIMITS), null only where a setting
 * can be cleared, and a mute that ends at a real instant. Throws InvalidSettingError.
 */
export function validateJobPatch(patch: JobPatch): void {
  for (const column of ["grace_seconds", "max_runtime_seconds", "failure_threshold", "slow_factor", "slow_after_seconds"] as const) {
    const value = patch[column];
    if (value === undefined || (value === null && column !== "failure_threshold")) continue;
    const range = JOB_SETTING_LIMITS[column];
    if (!inRange(value, range)) throw new InvalidSettingError(`${column} must be ${describeRange(range)}, not ${shown(value)}`);
  }
  const until = patch.muted_until;
  if (until !== undefined && until !== null && !(until instanceof Date && Number.isFinite(until.getTime()))) {
    throw new InvalidSettingError(`muted_until is not a valid instant (${shown(until)}): is the mute too long?`);
  }
}

/** Checks how many history entries are asked for (HISTORY_LIMIT). Throws InvalidSettingError. */
export function checkHistoryLimit(limit: number): void {
  if (!inRange(limit, HISTORY_LIMIT)) {
    throw new InvalidSettingError(`limit must be a whole number from ${HISTORY_LIMIT.min} to ${HISTORY_LIMIT.max}, not ${shown(limit)}`);
  }
}

export async function updateJob(db: Queryable, id: string, patch: JobPatch, now: Date): Promise<JobRow> {
  validateJobPatch(patch);
  const sets: string[] = [];
  const params: unknown[] = [id, now];
  for (const column of PATCHABLE) {
    if (patch[column] === undefined) continue;
    params.push(patch[column]);
    sets.push(`${column} = $${params.length}`);
  }
  const [row] = await db.query<JobRow & Record<string, unknown>>(
    `update monitoring.job_inventory set ${[...sets, "updated_at = $2"].join(", ")} where id = $1 returning *`,
    params,
  );
  if (!row) throw new JobNotFoundError(`no job with id ${id}`);
  return row;
}
