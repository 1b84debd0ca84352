import type { Queryable } from "../db/types.js";
import type { ProjectStatus } from "../types.js";

/**
 * A project's status as the hub keeps it: what a check last observed (ok, unreachable,
 * scheduler_down), or `unknown` while no check has reached it (a row made by discovery, by a
 * mute, or by a discovery that could not reach the project).
 */
export type ProjectStateStatus = ProjectStatus | "unknown";

/** The reason given for a project no check has reached yet. */
export const NOT_CHECKED_REASON = "no check has reached it yet: run `jobmon check`";

export interface ProjectStateRow {
  project_name: string;
  project_ref: string | null;
  /** How the last check read it: `postgres` (its URL) or `api` (the access token); null before any check. */
  source: "postgres" | "api" | null;
  status: ProjectStateStatus;
  status_since: Date;
  status_reason: string | null;
  last_error: string | null;
  down_since: Date | null;
  /** The status last announced: always one a check observed. */
  alerted_status: ProjectStatus | null;
  alerted_at: Date | null;
  pg_cron_version: string | null;
  cron_timezone: string | null;
  role_name: string | null;
  sees_all_jobs: boolean | null;
  last_discovered_at: Date | null;
  last_checked_at: Date | null;
  run_cursor: number | null;
  /** runid → ISO instant first seen, for runs read before they finished. */
  open_runs: Record<string, string>;
  net_cursor: number | null;
  net_cursor_created: Date | null;
  /** pg_net calls carried between checks (health/net-calls.ts NetCallsState). */
  net_calls: unknown;
  logs_cursor: Date | null;
  muted_until: Date | null;
  updated_at: Date;
}

/** How many projects the last checks read through the Management API (and still watch). */
export async function countApiProjects(db: Queryable): Promise<number> {
  const [row] = await db.query<{ n: number }>("select count(*)::int as n from monitoring.project_state where source = 'api' and status <> 'removed'");
  return row?.n ?? 0;
}

export async function listProjectStates(db: Queryable): Promise<ProjectStateRow[]> {
  const rows = await db.query<ProjectStateRow & Record<string, unknown>>("select * from monitoring.project_state order by project_name");
  return rows.map((row) => (row.status === "unknown" && !row.status_reason ? { ...row, status_reason: NOT_CHECKED_REASON } : row));
}

/**
 * What discovery learnt about a reachable project's pg_cron. Its status is left alone: a new
 * row is `unknown` (the column's default) until a check judges the project's health.
 */
export async function recordDiscovery(
  db: Queryable,
  projectName: string,
  facts: { projectRef: string | null; source: "postgres" | "api"; pgCronVersion: string | null; timezone: string; role: string; seesAllJobs: boolean },
  at: Date,
): Promise<void> {
  await db.query(
    `insert into monitoring.project_state as p
       (project_name, project_ref, pg_cron_version, cron_timezone, role_name, sees_all_jobs,
        last_discovered_at, status_since, updated_at, source)
     values ($1, $2, $3, $4, $5, $6, $7, $7, $7, $8)
     on conflict (project_name) do update set
       project_ref = coalesce(excluded.project_ref, p.project_ref),
       source = excluded.source,
       pg_cron_version = excluded.pg_cron_version,
       cron_timezone = excluded.cron_timezone,
       role_name = excluded.role_name,
       sees_all_jobs = excluded.sees_all_jobs,
       last_discovered_at = excluded.last_discovered_at,
       updated_at = excluded.updated_at`,
    [projectName, facts.projectRef, facts.pgCronVersion, facts.timezone, facts.role, facts.seesAllJobs, at, facts.source],
  );
}

/**
 * Ensures a row exists for a project (e.g. one that has never been reachable). A new row is
 * `unknown` (the column's default), never `ok`; an existing row keeps what a check observed.
 */
export async function ensureProject(db: Queryable, projectName: string, projectRef: string | null, at: Date, source: "postgres" | "api" | null = null): Promise<void> {
  await db.query(
    `insert into monitoring.project_state (project_name, project_ref, status_since, updated_at, source)
     values ($1, $2, $3, $3, $4)
     on conflict (project_name) do update set project_ref = coalesce(excluded.project_ref, monitoring.project_state.project_ref),
       source = coalesce(excluded.source, monitoring.project_state.source)`,
    [projectName, projectRef, at, source],
  );
}

export async function setProjectMute(db: Queryable, projectName: string, until: Date | null): Promise<boolean> {
  const rows = await db.query("update monitoring.project_state set muted_until = $2 where project_name = $1 returning 1", [projectName, until]);
  return rows.length > 0;
}
