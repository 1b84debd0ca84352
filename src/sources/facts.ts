import type { Queryable, Row } from "../db/types.js";

/**
 * What a check needs to know about a monitored project before it reads anything else: the
 * role it connected as, pg_cron's version, settings and launcher, and whether pg_net's
 * response table is there and readable. One statement without parameters: a project may sit
 * behind 100+ ms of latency, and each statement is a round trip.
 */

export interface SchedulerState {
  /**
   * pg_cron's launcher is a running background worker. null: this role cannot tell (it sees no
   * launcher, and without pg_read_all_stats it cannot see what other roles' backends are).
   */
  launcherRunning: boolean | null;
  /** cron.launch_active_jobs (1.6): off means nothing runs. null when unreadable. */
  launchActiveJobs: boolean | null;
  /** cron.log_run: off means pg_cron writes no run rows at all. null when unreadable. */
  logRun: boolean | null;
}

export interface ProjectFacts {
  role: string;
  /** Superuser or BYPASSRLS: pg_cron's row-level security shows other roles only their own jobs. */
  seesAllJobs: boolean;
  /** Superuser or pg_read_all_settings: superuser-only settings (cron.*) are visible. */
  readsSettings: boolean;
  /** Superuser or pg_read_all_stats: other roles' backends show their backend_type. */
  readsStats: boolean;
  /** pg_extension.extversion, e.g. "1.4-1" or "1.6"; null when pg_cron is not installed. */
  pgCronVersion: string | null;
  /** The cron.timezone setting; null where absent or hidden (a superuser-only setting). */
  cronTimezone: string | null;
  scheduler: SchedulerState;
  /** pg_net's `net._http_response`: not there, there but not readable by this role, or readable. */
  pgNet: "absent" | "forbidden" | "readable";
}

interface FactsRow extends Record<string, unknown> {
  role: string;
  rolsuper: boolean;
  rolbypassrls: boolean;
  extversion: string | null;
  timezone: string | null;
  launch_active_jobs: string | null;
  log_run: string | null;
  launcher_running: boolean;
  reads_settings: boolean;
  reads_stats: boolean;
  net_present: boolean;
  net_readable: boolean | null;
}

/**
 * Settings come from pg_settings (read once), which hides superuser-only ones (cron.*) from other roles
 * instead of failing the query as current_setting does; a hidden setting falls back to its
 * default. pg_net's table is found in the catalogs by oid: naming `net._http_response`
 * (to_regclass, has_table_privilege with text) already needs USAGE on the schema, and would
 * fail where we want a reason.
 *
 * The launcher: its backend_type is 'pg_cron launcher', but a role without pg_read_all_stats
 * (Supabase's supabase_read_only_user) sees NULL there for every other role's backend; its
 * application_name, 'pg_cron scheduler', is shown to every role.
 */
export const FACTS_SQL = `select current_user::text as role,
       coalesce(r.rolsuper, false) as rolsuper, coalesce(r.rolbypassrls, false) as rolbypassrls,
       (select extversion from pg_extension where extname = 'pg_cron') as extversion,
       cron_settings.s->>'cron.timezone' as timezone,
       cron_settings.s->>'cron.launch_active_jobs' as launch_active_jobs,
       cron_settings.s->>'cron.log_run' as log_run,
       exists (select 1 from pg_stat_activity
                where backend_type = 'pg_cron launcher'
                   or (backend_type is null and application_name = 'pg_cron scheduler')) as launcher_running,
       pg_has_role(current_user, 'pg_read_all_settings', 'member') as reads_settings,
       pg_has_role(current_user, 'pg_read_all_stats', 'member') as reads_stats,
       net.oid is not null as net_present,
       has_schema_privilege(net.nsp, 'USAGE') and has_table_privilege(net.oid, 'SELECT') as net_readable
  from (select 1) as one
  left join pg_roles r on r.rolname = current_user
  cross join (select jsonb_object_agg(name, setting) as s from pg_settings
               where name in ('cron.timezone', 'cron.launch_active_jobs', 'cron.log_run')) as cron_settings
  left join (select c.oid, n.oid as nsp from pg_namespace n join pg_class c on c.relnamespace = n.oid
              where n.nspname = 'net' and c.relname = '_http_response') as net on true`;

export async function readProjectFacts(db: Queryable): Promise<ProjectFacts> {
  return projectFacts((await db.query(FACTS_SQL))[0]);
}

/** FACTS_SQL's row, read. */
export function projectFacts(result: Row | undefined): ProjectFacts {
  if (!result) throw new Error("could not read the project's role and pg_cron facts");
  const row = result as FactsRow;
  const flag = (v: string | null) => (v === null ? null : v === "on" || v === "true");
  return {
    role: row.role,
    seesAllJobs: row.rolsuper || row.rolbypassrls,
    readsSettings: row.rolsuper || row.reads_settings,
    readsStats: row.rolsuper || row.reads_stats,
    pgCronVersion: row.extversion,
    cronTimezone: row.timezone,
    scheduler: { launcherRunning: row.launcher_running || (row.rolsuper || row.reads_stats ? false : null), launchActiveJobs: flag(row.launch_active_jobs), logRun: flag(row.log_run) },
    pgNet: !row.net_present ? "absent" : row.net_readable ? "readable" : "forbidden",
  };
}
